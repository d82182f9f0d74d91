//! Repair pages (issue 16; seed 004 §捌 一, §玖 六): the types a person may
//! report on, a type's page with the person's reports, the report form,
//! 我的維修, a report with its 處理狀況回覆, the repair staff's queue, and
//! the keeper's list, form and 處理狀況.
use super::*;
use portico_app::repairs::{RepairCase, RepairStats};
use portico_core::repair::{Place, RepairState, ReportInput, places_text};
use portico_store::Page;
use portico_store::bookings::{Custodian, CustodianChange, RepairTypeRow};
use portico_store::repairs::{RepairRow, Step};

/// How a state reads in a list: its words and a class for its colour.
pub fn state_class(s: &RepairState) -> &'static str {
    match s {
        RepairState::Pending => "state-pending",
        RepairState::Done => "state-done",
        RepairState::Rated => "state-closed",
    }
}

#[derive(Template)]
#[template(path = "repairs/index.html")]
pub struct RepairsPage {
    pub c: Chrome,
    pub types: Vec<RepairTypeRow>,
    pub q: String,
}

#[derive(Template)]
#[template(path = "repairs/type.html")]
pub struct RepairTypePage {
    pub c: Chrome,
    pub kind: RepairTypeRow,
    pub page: Page<RepairRow>,
    pub query_string: String,
}

#[derive(Template)]
#[template(path = "repairs/new.html")]
pub struct ReportFormPage {
    pub c: Chrome,
    pub kind: RepairTypeRow,
    /// The form as typed: the use case's own input.
    pub form: ReportInput,
    pub reporter: String,
    pub unit: String,
    pub max_photos: usize,
    pub max_photo_mb: usize,
    pub error: String,
    pub errs: Errors,
}

impl ReportFormPage {
    pub fn places(&self) -> &[Place] {
        &self.kind.places
    }
}

#[derive(Template)]
#[template(path = "repairs/mine.html")]
pub struct MyRepairsPage {
    pub c: Chrome,
    pub page: Page<RepairRow>,
    pub state: String,
    pub query_string: String,
    /// 報修處理狀況回報: the queue, for those who repair.
    pub work: bool,
}

impl MyRepairsPage {
    pub fn states(&self) -> [RepairState; 3] {
        RepairState::ALL
    }
}

#[derive(Template)]
#[template(path = "repairs/case.html")]
pub struct RepairCasePage {
    pub c: Chrome,
    pub case: RepairCase,
    pub error: String,
    pub errs: Errors,
    /// What was typed into a form that was refused.
    pub typed: String,
}

impl RepairCasePage {
    pub fn photo_numbers(&self) -> Vec<usize> {
        (1..=self.case.photos).collect()
    }
    pub fn step_word(&self, s: &Step) -> &'static str {
        match (s.kind.as_str(), self.c.lang == Lang::En) {
            ("reply", false) => "處理結果回報",
            ("reply", true) => "Reply",
            ("return", false) => "退回",
            ("return", true) => "Returned",
            (_, false) => "評分",
            (_, true) => "Rating",
        }
    }
    pub fn scores(&self) -> [i64; 5] {
        [5, 4, 3, 2, 1]
    }
}

#[derive(Template)]
#[template(path = "repairs/work.html")]
pub struct RepairWorkPage {
    pub c: Chrome,
    pub page: Page<RepairRow>,
    pub state: String,
    pub q: String,
    pub query_string: String,
}

impl RepairWorkPage {
    pub fn states(&self) -> [RepairState; 3] {
        RepairState::ALL
    }
}

#[derive(Template)]
#[template(path = "repairs/kept.html")]
pub struct KeptRepairTypesPage {
    pub c: Chrome,
    pub page: Page<RepairTypeRow>,
    pub query_string: String,
    pub q: String,
    pub can_make: bool,
}

/// The repair type form as typed.
#[derive(Debug, Clone, Default)]
pub struct RepairTypeForm {
    pub name: String,
    pub agency_id: i64,
    pub description: String,
    pub borrowers: String,
    pub agencies: Vec<i64>,
    pub places: String,
    pub categories: String,
    pub staff: String,
    pub custodian: String,
}

impl RepairTypeForm {
    pub fn of(v: &RepairTypeRow) -> RepairTypeForm {
        RepairTypeForm {
            name: v.name.clone(),
            agency_id: v.agency_id,
            description: v.description.clone(),
            borrowers: v.borrowers.as_str().to_owned(),
            agencies: v.agencies.clone(),
            places: places_text(&v.places),
            categories: v.categories.join("\n"),
            staff: v
                .staff
                .iter()
                .map(|s| s.login.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            custodian: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "repairs/form.html")]
pub struct RepairTypeFormPage {
    pub c: Chrome,
    pub kind: Option<RepairTypeRow>,
    pub form: RepairTypeForm,
    pub makers: Vec<(i64, String)>,
    pub all: Vec<(i64, String)>,
    pub changes: Vec<CustodianChange>,
    pub item_path: String,
    pub manager: bool,
    pub error: String,
    pub errs: Errors,
}

impl ItemFormView for RepairTypeFormPage {
    fn form_days(&self) -> [bool; 7] {
        [true; 7]
    }
    fn form_agencies(&self) -> &[i64] {
        &self.form.agencies
    }
    fn kept(&self) -> &[Custodian] {
        self.kind
            .as_ref()
            .map(|v| v.custodians.as_slice())
            .unwrap_or(&[])
    }
}

#[derive(Template)]
#[template(path = "repairs/status.html")]
pub struct RepairStatusPage {
    pub c: Chrome,
    pub kind: RepairTypeRow,
    pub stats: RepairStats,
    pub from: String,
    pub until: String,
    /// The charts, drawn on the server as inline SVG.
    pub by_period: String,
    pub by_unit: String,
    /// The period's reports, newest first.
    pub page: Page<RepairRow>,
    pub query_string: String,
    pub errs: Errors,
}
