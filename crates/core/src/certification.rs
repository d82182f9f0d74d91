//! 權限清查 (002 §六 (二)): access-review campaigns. Every right a person
//! holds in a scope — an admin role, an application's role, a membership,
//! a category, the custody of a mail account — goes to the one who answers
//! for it, who keeps it, revokes it or hands it to another reviewer; at the
//! deadline what is left is revoked or flagged, as the campaign chose.
//!
//! "Review" in Portico is the review of requests (待簽核); this periodic
//! re-certification of what people hold is a certification campaign.
use crate::error::Error;
use crate::msg::Msg;
use crate::permission::RoleKind;
use crate::text::clean_text;
use time::{Date, Duration, OffsetDateTime};

/// 002 §六 (二): unused for six months, a right may be cancelled. Such
/// people are listed first.
pub const UNUSED_AFTER: Duration = Duration::days(183);

/// A deadline is at least this far off, so that reviewers can answer.
pub const MIN_DAYS: i64 = 7;
/// And at most this far: a review that takes longer is no review.
pub const MAX_DAYS: i64 = 90;
/// The schedule's campaigns run this long.
pub const SCHEDULED_DAYS: i64 = 30;
/// Reviewers still holding items are reminded this many days before.
pub const REMIND_DAYS: i64 = 7;
/// A batch of decisions is at most this many items.
pub const MAX_BATCH: usize = 500;

/// What a campaign covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// Every account in the city.
    City,
    /// The accounts of an agency's subtree.
    Agency,
    /// The accounts of a unit's subtree.
    Unit,
    /// One application's roles, whoever holds them.
    App,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::City => "city",
            ScopeKind::Agency => "agency",
            ScopeKind::Unit => "unit",
            ScopeKind::App => "app",
        }
    }
    pub fn parse(s: &str) -> Option<ScopeKind> {
        ScopeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub const ALL: [ScopeKind; 4] = [
        ScopeKind::City,
        ScopeKind::Agency,
        ScopeKind::Unit,
        ScopeKind::App,
    ];
    pub fn label(self) -> Msg {
        match self {
            ScopeKind::City => Msg::new("全市", "The whole city"),
            ScopeKind::Agency => Msg::new("機關", "An agency"),
            ScopeKind::Unit => Msg::new("單位", "A unit"),
            ScopeKind::App => Msg::new("應用系統", "An application"),
        }
    }
}

/// What happens at the deadline to items nobody decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExpiry {
    /// Revoked, as 002 §六 (二) allows for what nobody vouches for.
    Revoke,
    /// Left in place and flagged in the report.
    Flag,
}

impl OnExpiry {
    pub fn as_str(self) -> &'static str {
        match self {
            OnExpiry::Revoke => "revoke",
            OnExpiry::Flag => "flag",
        }
    }
    pub fn parse(s: &str) -> Option<OnExpiry> {
        [OnExpiry::Revoke, OnExpiry::Flag]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            OnExpiry::Revoke => Msg::new("逾期未清查者撤銷權限", "Revoke what is not reviewed"),
            OnExpiry::Flag => Msg::new("逾期未清查者標記待查", "Flag what is not reviewed"),
        }
    }
}

/// The kind of right an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A unit, agency or system admin role (`roles`).
    AdminRole,
    /// A role in an application (`account_roles`).
    AppRole,
    /// A membership of an organisation (`account_orgs`).
    Membership,
    /// A member category (`account_categories`).
    Category,
    /// The custody of an agency or system mail account (`mailboxes`).
    Custodian,
}

impl ItemKind {
    pub const ALL: [ItemKind; 5] = [
        ItemKind::AdminRole,
        ItemKind::AppRole,
        ItemKind::Membership,
        ItemKind::Category,
        ItemKind::Custodian,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::AdminRole => "admin_role",
            ItemKind::AppRole => "app_role",
            ItemKind::Membership => "membership",
            ItemKind::Category => "category",
            ItemKind::Custodian => "custodian",
        }
    }
    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            ItemKind::AdminRole => Msg::new("管理者角色", "Admin role"),
            ItemKind::AppRole => Msg::new("應用系統角色", "Application role"),
            ItemKind::Membership => Msg::new("組織成員", "Membership"),
            ItemKind::Category => Msg::new("會員類別", "Member category"),
            ItemKind::Custodian => Msg::new("郵件帳號保管人", "Mail account custodian"),
        }
    }
    /// Can a reviewer revoke it in place? A mail account always has a
    /// custodian (the custodian guard), so its custody is handed over in
    /// the mail accounts' pages, never dropped here.
    pub fn revocable(self) -> bool {
        self != ItemKind::Custodian
    }
}

/// Who answers for an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Reviewer {
    /// The admins whose scope holds the unit (the unit's admin first).
    Unit(i64),
    /// The agency's admins (rank agency admin or above over it).
    Agency(i64),
    /// The application's managers.
    App(i64),
    /// The system admins.
    System,
    /// A person it was handed to.
    Person(i64),
}

impl Reviewer {
    pub fn kind_str(self) -> &'static str {
        match self {
            Reviewer::Unit(_) => "unit",
            Reviewer::Agency(_) => "agency",
            Reviewer::App(_) => "app",
            Reviewer::System => "system",
            Reviewer::Person(_) => "person",
        }
    }
    pub fn id(self) -> Option<i64> {
        match self {
            Reviewer::Unit(i) | Reviewer::Agency(i) | Reviewer::App(i) | Reviewer::Person(i) => {
                Some(i)
            }
            Reviewer::System => None,
        }
    }
    pub fn from_parts(kind: &str, id: Option<i64>) -> Option<Reviewer> {
        Some(match (kind, id) {
            ("unit", Some(i)) => Reviewer::Unit(i),
            ("agency", Some(i)) => Reviewer::Agency(i),
            ("app", Some(i)) => Reviewer::App(i),
            ("system", _) => Reviewer::System,
            ("person", Some(i)) => Reviewer::Person(i),
            _ => return None,
        })
    }
}

/// A right as the store found it, with what routing needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub account_id: i64,
    pub kind: ItemKind,
    /// The row it is: `roles.id`, `app_roles.id`, `access_orgs.id`,
    /// `member_categories.id` or `mailboxes.id`.
    pub ref_id: i64,
    /// The role kind (`unit_admin` …), the application role's code, the
    /// category's code, the mail account's kind.
    pub code: String,
    /// The right in words: the scope's name, 「系統／角色」, the
    /// organisation's, the category's, the mail address.
    pub name: String,
    /// Where it points: an admin role's scope's agency, the application,
    /// the organisation's unit (`None` for an outside organisation), the
    /// holder's own unit (a category), the mail account's agency.
    pub place: Option<i64>,
    pub last_used_at: Option<OffsetDateTime>,
    /// The highest admin role the holder holds, and the holder's agency:
    /// nobody reviews the rights of someone who ranks with or above them.
    pub holder_rank: Option<RoleKind>,
    pub holder_agency: Option<i64>,
}

/// 002 §六 (二) leaves the reviewer to each 使用機關; Portico sends each
/// right to whoever grants it: a unit admin's role to the agency's admins,
/// an agency or system admin's to the system admins, an application's role
/// to its managers, a membership to the admins of the organisation's unit
/// (an outside organisation's to the system admins), a category to the
/// admins of the holder's unit, a mail account's custody to its agency's
/// admins.
///
/// A right of an admin goes above them, as their admin role does: an
/// agency or system admin's rights to the system admins, a unit admin's
/// unit-reviewed rights to their agency's admins — so a unit admin never
/// judges (nor sees) the rights of the agency admin over them. An
/// application's roles stay with its managers, whose application it is.
pub fn reviewer_of(h: &Holding) -> Reviewer {
    let base = base_reviewer(h);
    match (h.holder_rank, base) {
        (_, Reviewer::App(_)) => base,
        (Some(RoleKind::SystemAdmin | RoleKind::AgencyAdmin), _) => Reviewer::System,
        (Some(RoleKind::UnitAdmin), Reviewer::Unit(_)) => match h.holder_agency {
            Some(a) => Reviewer::Agency(a),
            None => Reviewer::System,
        },
        _ => base,
    }
}

fn base_reviewer(h: &Holding) -> Reviewer {
    match (h.kind, h.place) {
        (ItemKind::AdminRole, Some(agency))
            if RoleKind::parse(&h.code) == Some(RoleKind::UnitAdmin) =>
        {
            Reviewer::Agency(agency)
        }
        (ItemKind::AdminRole, _) => Reviewer::System,
        (ItemKind::AppRole, Some(app)) => Reviewer::App(app),
        (ItemKind::Membership, Some(unit)) | (ItemKind::Category, Some(unit)) => {
            Reviewer::Unit(unit)
        }
        (ItemKind::Custodian, Some(agency)) => Reviewer::Agency(agency),
        _ => Reviewer::System,
    }
}

/// Has this person gone six months without signing in? Never signed in
/// counts as unused.
pub fn unused(last_used_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    last_used_at.is_none_or(|t| now - t >= UNUSED_AFTER)
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 保留.
    Keep,
    /// 撤銷.
    Revoke,
    /// 待查: nobody decided by the deadline, and the campaign flags.
    Flag,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Revoke => "revoke",
            Decision::Flag => "flag",
        }
    }
    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Keep, Decision::Revoke, Decision::Flag]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Decision::Keep => Msg::new("保留", "Kept"),
            Decision::Revoke => Msg::new("撤銷", "Revoked"),
            Decision::Flag => Msg::new("逾期待查", "Flagged, not reviewed"),
        }
    }
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    /// Past its deadline, the rest revoked or flagged.
    Closed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [State::Open, State::Closed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            State::Open => Msg::new("清查中", "Open"),
            State::Closed => Msg::new("已結束", "Closed"),
        }
    }
}

/// A campaign as an admin asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub name: String,
    pub deadline: Date,
    pub on_expiry: OnExpiry,
}

/// Checks a campaign's name, deadline (7–90 days after `today`) and what
/// the deadline does; each error names its field.
pub fn check_campaign(
    name: &str,
    deadline: &str,
    on_expiry: &str,
    today: Date,
) -> Result<NewCampaign, Error> {
    let mut errors = Vec::new();
    let name = match clean_text(name, 2, 100) {
        Ok(n) => Some(n),
        Err(_) if name.trim().is_empty() => {
            errors.push(fe(
                "name",
                Msg::new(
                    "請輸入清查名稱，如「115 年下半年權限清查」",
                    "Name the review, such as \"Second-half 2026 review\"",
                ),
            ));
            None
        }
        Err(m) => {
            errors.push(fe("name", m));
            None
        }
    };
    let deadline = match crate::time::parse_date(deadline) {
        None => {
            errors.push(fe(
                "deadline",
                Msg::new(
                    "請輸入截止日期（如 2026-12-31）",
                    "Enter a deadline (such as 2026-12-31)",
                ),
            ));
            None
        }
        Some(d) if d < today + Duration::days(MIN_DAYS) || d > today + Duration::days(MAX_DAYS) => {
            errors.push(fe("deadline", {
                let (a, b) = deadline_range(today);
                let (a, b) = (crate::time::date_str(a), crate::time::date_str(b));
                Msg::owned(
                    format!("截止日期須在今天起 {MIN_DAYS} 到 {MAX_DAYS} 天之間（{a} 至 {b}）"),
                    format!(
                        "The deadline must be {MIN_DAYS} to {MAX_DAYS} days from today ({a} to {b})"
                    ),
                )
            }));
            None
        }
        Some(d) => Some(d),
    };
    let on_expiry = match OnExpiry::parse(on_expiry) {
        Some(o) => Some(o),
        None => {
            errors.push(fe(
                "on_expiry",
                Msg::new(
                    "請選擇逾期未清查的處理方式",
                    "Choose what happens to what is not reviewed",
                ),
            ));
            None
        }
    };
    match (name, deadline, on_expiry) {
        (Some(name), Some(deadline), Some(on_expiry)) if errors.is_empty() => Ok(NewCampaign {
            name,
            deadline,
            on_expiry,
        }),
        _ => Err(Error::Invalid(errors)),
    }
}

/// The earliest and latest deadline a campaign opened `today` may have.
pub fn deadline_range(today: Date) -> (Date, Date) {
    (
        today + Duration::days(MIN_DAYS),
        today + Duration::days(MAX_DAYS),
    )
}

/// The note beside a decision: optional, at most 500 characters.
pub fn check_note(note: &str) -> Result<String, Error> {
    clean_text(note, 0, 500).map_err(|m| Error::invalid("note", m))
}

/// 002 §六 (二), "至少每六個月清查一次": is a scope due a scheduled
/// campaign, given when its last one opened? `every_months` is the
/// system parameter (1–6; 0 turns the schedule off).
pub fn due(last_opened: Option<Date>, today: Date, every_months: u8) -> bool {
    if every_months == 0 {
        return false;
    }
    match last_opened {
        None => true,
        Some(d) => months_between(d, today) >= i32::from(every_months),
    }
}

fn fe(field: &'static str, message: Msg) -> crate::FieldError {
    crate::FieldError { field, message }
}

/// Whole calendar months from `a` to `b` (a day of the month not yet
/// reached does not count).
fn months_between(a: Date, b: Date) -> i32 {
    let m = (b.year() - a.year()) * 12 + (b.month() as i32 - a.month() as i32);
    if b.day() < a.day() { m - 1 } else { m }
}

#[cfg(test)]
mod tests;
