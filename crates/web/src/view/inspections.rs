//! Inspections' pages (issue 15; 002 §七): the list with the periods to
//! draw, one inspection with its sample to mark, and the open findings.
use super::*;
use portico_app::inspections::{Due, InspectionView, Overview, targets_for};
use portico_core::inspection::{Kind, Mark, State};
use portico_store::inspections::{Inspection, Item};

#[derive(Template)]
#[template(path = "inspections/index.html")]
pub struct InspectionsPage {
    pub c: Chrome,
    pub o: Overview,
    /// The list's page, for the pager, and the filters it keeps.
    pub page: portico_store::Page<portico_store::inspections::Inspection>,
    pub query_string: String,
    /// The filters as typed.
    pub period: String,
    pub kind: String,
    pub state: String,
    /// Agencies whose ethics contact the actor may set: (id, name, address).
    pub ethics: Vec<(i64, String, String)>,
    pub error: String,
    pub errs: Errors,
}

impl InspectionsPage {
    pub fn kinds(&self) -> [Kind; 2] {
        [Kind::Unit, Kind::Agency]
    }
    pub fn states(&self) -> [State; 2] {
        [State::Open, State::Signed]
    }
    pub fn need(&self, d: &Due) -> String {
        match d.kind {
            Kind::Unit => {
                let t = targets_for(d.records, d.people);
                if self.c.lang == Lang::En {
                    format!(
                        "{} records by {} people; audit ≥ {} records, ≥ {} people",
                        d.records, d.people, t.records, t.people
                    )
                } else {
                    format!(
                        "{} 筆、{} 人；應稽核 {} 筆、{} 人以上",
                        d.records, d.people, t.records, t.people
                    )
                }
            }
            Kind::Agency => {
                if self.c.lang == Lang::En {
                    format!("{} unit audits, {} records sampled", d.people, d.records)
                } else {
                    format!("單位稽核 {} 份，共抽樣 {} 筆", d.people, d.records)
                }
            }
        }
    }
}

/// One inspection's page.
#[derive(Template)]
#[template(path = "inspections/inspection.html")]
pub struct InspectionPage {
    pub c: Chrome,
    pub v: InspectionView,
    /// The marks as sent, after a refusal: (seq, mark, note).
    pub sent: Vec<(i64, String, String)>,
    pub conclusion: String,
    /// The redraw's answer, when asked.
    pub redraw: Option<(usize, bool)>,
    pub error: String,
    pub errs: Errors,
}

impl InspectionPage {
    pub fn i(&self) -> &Inspection {
        &self.v.inspection
    }
    pub fn month_label(&self, m: &u8) -> String {
        self.v
            .inspection
            .period
            .months()
            .get(*m as usize)
            .map(|(y, mo)| format!("{y}-{mo:02}"))
            .unwrap_or_default()
    }
    /// The mark to show selected: what was sent, else what is stored.
    pub fn mark_of(&self, it: &Item) -> &str {
        if let Some((_, m, _)) = self.sent.iter().find(|(s, _, _)| *s == it.seq) {
            return m;
        }
        it.mark.map(Mark::as_str).unwrap_or("")
    }
    pub fn note_of(&self, it: &Item) -> String {
        if let Some((_, _, n)) = self.sent.iter().find(|(s, _, _)| *s == it.seq) {
            return n.clone();
        }
        it.note.clone()
    }
    pub fn is_agency(&self) -> bool {
        self.v.inspection.kind == Kind::Agency
    }
    pub fn signed(&self) -> bool {
        self.v.inspection.state == State::Signed
    }
    pub fn period_label(&self) -> Msg {
        self.v.inspection.period.label()
    }
    pub fn due(&self) -> String {
        portico_core::time::date_str(self.v.inspection.period.due())
    }
    pub fn send_by(&self) -> String {
        portico_core::time::date_str(self.v.inspection.period.send_by())
    }
}

#[derive(Template)]
#[template(path = "inspections/findings.html")]
pub struct FindingsPage {
    pub c: Chrome,
    /// Each finding, and whether this admin may close it.
    pub items: Vec<(Item, bool)>,
    pub error: String,
}
