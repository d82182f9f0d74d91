//! The admin console's pages: accounts, the org tree, system
//! parameters, the audit trail, the outbox.
use super::*;

pub struct AccountQueryView {
    pub name: String,
    pub login: String,
    pub title: String,
    pub agency: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
pub struct AdminAccountsPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::accounts::AccountRow>,
    pub q: AccountQueryView,
    pub agencies: Vec<(i64, String)>,
    pub query_string: String,
}

#[derive(Template)]
#[template(path = "admin/account.html")]
pub struct AdminAccountPage {
    pub c: Chrome,
    pub m: portico_app::accounts::Managed,
    /// Units the admin may scope a role to: (id, indented name).
    pub scopes: Vec<(i64, String)>,
    /// The roles the admin can grant somewhere in their scope.
    pub grantable: Vec<portico_core::permission::RoleKind>,
    /// The scope preselected: the account's agency.
    pub default_scope: i64,
    pub error: String,
    /// The refused form's fields, each message under its field.
    pub errs: Errors,
    /// The person's data as the edit form shows it (as typed, after a
    /// refusal).
    pub profile: portico_app::account::ProfileForm,
}

#[derive(Template)]
#[template(path = "org/tree.html")]
pub struct AdminOrgPage {
    pub c: Chrome,
    pub rows: Vec<OrgRow>,
    pub form: portico_app::orgs::UnitForm,
    pub errs: Errors,
    pub parents: Vec<Choice>,
    /// The search typed (rows are then the units found, with full names).
    pub q: String,
    /// The agency whose units are shown (the tree is folded to agencies).
    pub open: Option<i64>,
}

impl AdminOrgPage {
    pub fn is_open(&self, id: &i64) -> bool {
        self.open == Some(*id)
    }
}

/// One option of a select, with whether it is chosen.
pub struct Choice {
    pub id: i64,
    pub label: String,
    pub selected: bool,
    /// The OID a new child of this unit would take (a suggestion).
    pub next_oid: String,
}

pub struct OrgRow {
    pub id: i64,
    pub name: String,
    /// The name with its ancestors' (民政局／行政科).
    pub path_name: String,
    pub depth: usize,
    /// Units below it (shown when it is opened).
    pub children: usize,
    pub is_agency: bool,
    pub kind: Msg,
    pub oid: String,
    pub enabled: bool,
    pub accounts: i64,
}

#[derive(Template)]
#[template(path = "org/unit.html")]
pub struct AdminUnitPage {
    pub c: Chrome,
    pub unit: portico_store::orgs::OrgUnit,
    pub form: portico_app::orgs::UnitForm,
    pub errs: Errors,
    pub parents: Vec<Choice>,
    /// The OID the move form shows: the stored one, or what was typed.
    pub move_oid: String,
    pub accounts: i64,
}

#[derive(Template)]
#[template(path = "settings/index.html")]
pub struct AdminSettingsPage {
    pub c: Chrome,
    pub s: portico_core::settings::SystemSettings,
    /// The version `s` was read at, sent back with the form.
    pub version: i64,
    /// Another admin saved meanwhile and changed the same fields: which.
    pub conflict: String,
    pub errs: Errors,
    /// The address the server sees for this request, and whether the
    /// saved zones count it as inside: proof the proxy setting is right.
    pub seen_ip: String,
    pub seen_inside: bool,
    /// The fields as posted, after a refusal: shown instead of the saved
    /// values, so nothing typed is lost.
    pub typed: Option<std::collections::HashMap<String, String>>,
}

impl AdminSettingsPage {
    /// What a field shows: what was typed, after a refusal; else `saved`.
    pub fn typed(&self, key: &str, saved: impl std::fmt::Display) -> String {
        match self.typed.as_ref().and_then(|t| t.get(key)) {
            Some(v) => v.clone(),
            None => saved.to_string(),
        }
    }
    /// Whether a box is ticked: as posted, after a refusal; else `saved`.
    pub fn checked(&self, key: &str, saved: &bool) -> bool {
        match &self.typed {
            Some(t) => t.get(key).is_some_and(|v| v == "on"),
            None => *saved,
        }
    }
    pub fn outside_checked(&self, m: &portico_core::zone::SignInMethod) -> bool {
        self.checked(
            &format!("outside.{}", m.as_str()),
            &self.s.outside_methods.contains(m),
        )
    }
}

#[derive(Template)]
#[template(path = "audit/index.html")]
pub struct AdminAuditPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::audit::Event>,
    pub q: RecordQuery,
    pub actor: String,
    pub query_string: String,
    pub errs: Errors,
    /// The grounds are shown open (one person's records, an export).
    pub asks: bool,
    /// Nothing is listed until the grounds are given.
    pub needs_grounds: bool,
    pub reason_kind: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "account/record.html")]
pub struct AdminEventPage {
    pub c: Chrome,
    pub e: portico_store::audit::Event,
    pub back: String,
}

pub struct OutboxQueryView {
    pub state: String,
    pub channel: String,
    pub to: String,
}

#[derive(Template)]
#[template(path = "outbox/index.html")]
pub struct AdminOutboxPage {
    pub c: Chrome,
    pub page: portico_store::Page<portico_store::outbox::Message>,
    pub counts: Vec<(portico_core::outbox::DeliveryState, i64)>,
    pub q: OutboxQueryView,
    pub query_string: String,
    /// The channels that only record (the demo's), named.
    pub demo_channels: String,
}

#[derive(Template)]
#[template(path = "outbox/message.html")]
pub struct AdminMessagePage {
    pub c: Chrome,
    pub m: portico_store::outbox::Message,
}

#[derive(Template)]
#[template(path = "admin/national_id.html")]
pub struct NationalIdPage {
    pub c: Chrome,
    pub id: i64,
    pub login: String,
    pub name: String,
    /// The ID with its middle hidden; empty when none is on file.
    pub masked: String,
    /// The whole ID, once a reason was given.
    pub shown: Option<String>,
    pub errs: Errors,
    pub reason_kind: String,
    pub reason: String,
}
