//! Access reviews' pages (權限清查, issue 15; 002 §六 (二)): the campaigns
//! with the form that opens one, and one campaign's items to decide.
use super::*;
use portico_app::certifications::{Choices, ItemView, decision_label};
use portico_core::certification::{ItemKind, OnExpiry, ScopeKind, State};
use portico_store::Page;
use portico_store::certifications::Campaign;

#[derive(Template)]
#[template(path = "certifications/index.html")]
pub struct CampaignsPage {
    pub c: Chrome,
    /// Each campaign with the items waiting on the viewer's list.
    pub page: Page<(Campaign, i64)>,
    pub query_string: String,
    pub choices: Choices,
    /// The open form as typed.
    pub name: String,
    pub scope_kind: String,
    pub unit: i64,
    pub app: i64,
    pub deadline: String,
    /// The earliest and latest deadline, for the date picker.
    pub deadline_min: String,
    pub deadline_max: String,
    pub on_expiry: String,
    pub error: String,
    pub errs: Errors,
}

impl CampaignsPage {
    pub fn scopes(&self) -> Vec<ScopeKind> {
        ScopeKind::ALL
            .into_iter()
            .filter(|k| match k {
                ScopeKind::City => self.choices.city,
                ScopeKind::Agency => self.choices.units.iter().any(|u| u.2),
                ScopeKind::Unit => !self.choices.units.is_empty(),
                ScopeKind::App => !self.choices.apps.is_empty(),
            })
            .collect()
    }
    pub fn expiries(&self) -> [OnExpiry; 2] {
        [OnExpiry::Flag, OnExpiry::Revoke]
    }
    pub fn scope_of(&self, c: &Campaign) -> String {
        let kind = self.c.msg(c.scope_kind.label());
        if c.scope_name.is_empty() {
            kind
        } else {
            format!("{kind}：{}", c.scope_name)
        }
    }
    pub fn is_open(&self, c: &Campaign) -> bool {
        c.state == State::Open
    }
}

#[derive(Template)]
#[template(path = "certifications/campaign.html")]
pub struct CampaignPage {
    pub c: Chrome,
    pub campaign: Campaign,
    /// The viewer owns it: sees every item and takes the report.
    pub owner: bool,
    /// Items waiting on the viewer's own list.
    pub mine: i64,
    pub page: Page<ItemView>,
    pub query_string: String,
    /// The filters as typed.
    pub show: String,
    pub state: String,
    pub kind: String,
    pub q: String,
    /// What a batch sent, after a refusal.
    pub ticked: Vec<i64>,
    pub action: String,
    pub to: String,
    pub note: String,
    /// Items a batch could not decide: (who and what, why).
    pub outcome: Vec<(String, String)>,
    pub error: String,
    pub errs: Errors,
}

impl CampaignPage {
    pub fn kinds(&self) -> [ItemKind; 5] {
        ItemKind::ALL
    }
    pub fn decision(&self, i: &ItemView) -> String {
        self.c.msg(decision_label(i.item.decision))
    }
    pub fn is_ticked(&self, id: &i64) -> bool {
        self.ticked.contains(id)
    }
    pub fn open(&self) -> bool {
        self.campaign.state == State::Open
    }
    pub fn any_decidable(&self) -> bool {
        self.page.items.iter().any(|i| i.may_decide)
    }
    pub fn scope(&self) -> String {
        let c = &self.campaign;
        let kind = self.c.msg(c.scope_kind.label());
        if c.scope_name.is_empty() {
            kind
        } else {
            format!("{kind}：{}", c.scope_name)
        }
    }
    /// Each decision's share of all items, for the bar: (label, count,
    /// percent, css class).
    pub fn shares(&self) -> Vec<(String, i64, i64, &'static str)> {
        let c = &self.campaign;
        let pct = |n: i64| if c.total == 0 { 0 } else { n * 100 / c.total };
        vec![
            (
                self.c.tr("保留", "Kept").to_owned(),
                c.kept,
                pct(c.kept),
                "kept",
            ),
            (
                self.c.tr("撤銷", "Revoked").to_owned(),
                c.revoked,
                pct(c.revoked),
                "revoked",
            ),
            (
                self.c.tr("逾期待查", "Flagged").to_owned(),
                c.flagged,
                pct(c.flagged),
                "flagged",
            ),
            (
                self.c.tr("待清查", "Waiting").to_owned(),
                c.pending,
                pct(c.pending),
                "pending",
            ),
        ]
    }
    /// The bar's segments: (x, width, css class), in percent of the whole.
    pub fn segments(&self) -> Vec<(f64, f64, &'static str)> {
        let c = &self.campaign;
        let total = c.total.max(1) as f64;
        let mut x = 0.0;
        let mut out = Vec::new();
        for (n, cls) in [
            (c.kept, "kept"),
            (c.revoked, "revoked"),
            (c.flagged, "flagged"),
            (c.pending, "pending"),
        ] {
            if n > 0 {
                let w = n as f64 * 100.0 / total;
                out.push((x, w, cls));
                x += w;
            }
        }
        out
    }
    pub fn last_used(&self, i: &ItemView) -> String {
        match i.item.last_used_at {
            Some(t) => self.c.time(t),
            None => self.c.tr("從未登入", "Never").to_owned(),
        }
    }
}
