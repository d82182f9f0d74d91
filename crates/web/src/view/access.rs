//! Access requests' pages (issue 14): 個人會員類別維護, 個人組織維護, 應用系統
//! 角色維護, the ask page with 列印申請書 and the upload, one form, 待簽核表單,
//! 個人簽核記錄查詢, and the definitions' pages.
use super::*;
use portico_app::access::{Approval, FormView, MyAccess, Standing};
use portico_core::access::{FormState, Step};
use portico_store::access::Form;
use portico_store::access::defs::{AccessOrg, AppRole, Category, RoleApp};

/// The three steps as the pages show them, each with whether it is open.
pub struct AccessStep {
    pub step: Step,
    pub href: &'static str,
    pub nav: &'static str,
    pub closed: Option<Msg>,
}

pub fn steps(my: &MyAccess) -> Vec<AccessStep> {
    Step::ALL
        .into_iter()
        .map(|step| AccessStep {
            step,
            href: match step {
                Step::Category => "/access/categories",
                Step::Org => "/access/orgs",
                Step::Role => "/access/roles",
            },
            nav: match step {
                Step::Category => "access-categories",
                Step::Org => "access-orgs",
                Step::Role => "access-roles",
            },
            closed: my.closed.get(&step).cloned(),
        })
        .collect()
}

/// What 狀態 shows for a choice.
pub fn standing_label(s: &Standing) -> Msg {
    match s {
        Standing::Held { .. } => Msg::new("已申請", "Held"),
        Standing::Pending { .. } => Msg::new("簽核中", "Awaiting approval"),
        Standing::Open => Msg::new("未申請", "Not applied"),
    }
}

pub struct AccessCategoryRow {
    pub category: Category,
    pub standing: Standing,
}

#[derive(Template)]
#[template(path = "access/categories.html")]
pub struct AccessCategoriesPage {
    pub c: Chrome,
    pub steps: Vec<AccessStep>,
    pub rows: Vec<AccessCategoryRow>,
    pub state: String,
    pub q: String,
}

pub struct AccessOrgRow {
    pub org: AccessOrg,
    pub standing: Standing,
}

#[derive(Template)]
#[template(path = "access/orgs.html")]
pub struct AccessOrgsPage {
    pub c: Chrome,
    pub steps: Vec<AccessStep>,
    pub my: MyAccess,
    /// 未加入的組織, a page of the search.
    pub page: portico_store::Page<AccessOrgRow>,
    pub q: String,
    pub query_string: String,
}

impl AccessOrgsPage {
    pub fn closed(&self) -> Option<&Msg> {
        self.my.closed.get(&Step::Org)
    }
    pub fn pending(&self) -> Vec<&Form> {
        self.my
            .forms
            .iter()
            .filter(|f| f.step == Step::Org && f.state == FormState::Pending)
            .collect()
    }
}

pub struct AccessAppRow {
    pub app: RoleApp,
    pub roles: Vec<AppRole>,
    pub standing: Standing,
    /// The codes of the roles held there.
    pub held: Vec<String>,
}

#[derive(Template)]
#[template(path = "access/roles.html")]
pub struct AccessRolesPage {
    pub c: Chrome,
    pub steps: Vec<AccessStep>,
    pub closed: Option<Msg>,
    pub rows: Vec<AccessAppRow>,
    pub q: String,
}

impl AccessRolesPage {
    pub fn held(&self) -> Vec<&AccessAppRow> {
        self.rows.iter().filter(|r| !r.held.is_empty()).collect()
    }
    pub fn pending(&self) -> Vec<&AccessAppRow> {
        self.rows
            .iter()
            .filter(|r| matches!(r.standing, Standing::Pending { .. }))
            .collect()
    }
    pub fn open(&self) -> Vec<&AccessAppRow> {
        let q = self.q.trim();
        self.rows
            .iter()
            .filter(|r| r.held.is_empty() && !matches!(r.standing, Standing::Pending { .. }))
            .filter(|r| q.is_empty() || r.app.name.contains(q))
            .collect()
    }
}

/// The ask page's subject: one category, one organisation or one
/// application's roles, and what the person holds of it.
pub enum AskSubject {
    Category(Category),
    Org {
        org: AccessOrg,
        /// The 職稱/身分 held now, if a member.
        held_title: Option<Option<i64>>,
    },
    Roles {
        app: RoleApp,
        roles: Vec<AppRole>,
        held: Vec<i64>,
        attrs: std::collections::BTreeMap<String, String>,
    },
}

/// What the person typed, shown again with the errors.
#[derive(Default, Clone)]
pub struct AskValues {
    pub remove: bool,
    pub title: Option<i64>,
    pub roles: Vec<i64>,
    pub purpose: String,
    pub note: String,
    pub attrs: std::collections::BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "access/ask.html")]
pub struct AccessAskPage {
    pub c: Chrome,
    pub step: Step,
    pub item: i64,
    pub subject: AskSubject,
    pub v: AskValues,
    /// The step is not open yet: why.
    pub closed: Option<Msg>,
    /// A form for this item already waits: its id and number.
    pub pending: Option<(portico_core::ids::FormId, String)>,
    pub errs: Errors,
    pub error: String,
}

impl AccessAskPage {
    pub fn heading(&self) -> String {
        let (zh, en) = match (&self.subject, self.v.remove) {
            (AskSubject::Category(x), false) => (
                format!("{} 申請加入", x.name),
                format!("Ask for {}", x.name),
            ),
            (AskSubject::Category(x), true) => (
                format!("{} 申請刪除", x.name),
                format!("Give up {}", x.name),
            ),
            (AskSubject::Org { org, .. }, false) => (
                format!("{} 組織申請", org.name),
                format!("Join {}", org.name),
            ),
            (AskSubject::Org { org, .. }, true) => (
                format!("{} 申請退出", org.name),
                format!("Leave {}", org.name),
            ),
            (AskSubject::Roles { app, .. }, _) => (
                format!("{} 角色申請", app.name),
                format!("Roles in {}", app.name),
            ),
        };
        if self.c.lang == Lang::En { en } else { zh }
    }
    pub fn description(&self) -> &str {
        match &self.subject {
            AskSubject::Category(x) => &x.description,
            AskSubject::Org { org, .. } => &org.description,
            AskSubject::Roles { app, .. } => &app.description,
        }
    }
    /// Whether a signed form must be uploaded, as the definitions say.
    pub fn needs_form(&self) -> bool {
        match &self.subject {
            AskSubject::Category(x) => x.needs_form,
            AskSubject::Org { org, .. } => org.needs_form,
            AskSubject::Roles { roles, .. } => roles.iter().any(|r| r.needs_form),
        }
    }
    pub fn any_undertaking(&self) -> bool {
        matches!(&self.subject, AskSubject::Roles { roles, .. } if roles.iter().any(|r| r.needs_undertaking))
    }
    pub fn role_checked(&self, id: &i64) -> bool {
        self.v.roles.contains(id)
    }
    pub fn attr(&self, key: &str) -> &str {
        self.v.attrs.get(key).map(String::as_str).unwrap_or("")
    }
    /// 類型 as the form will be sent.
    pub fn op_label(&self) -> Msg {
        match (&self.subject, self.v.remove) {
            (_, true) => portico_core::access::Op::Remove.label(),
            (
                AskSubject::Org {
                    held_title: Some(_),
                    ..
                },
                false,
            ) => portico_core::access::Op::Change.label(),
            (AskSubject::Roles { held, .. }, false) if !held.is_empty() => {
                portico_core::access::Op::Change.label()
            }
            _ => portico_core::access::Op::Add.label(),
        }
    }
    /// Where the step before this one is asked for.
    pub fn before_href(&self) -> &'static str {
        match self.step {
            Step::Role => "/access/orgs",
            _ => "/access/categories",
        }
    }
    pub fn title_checked(&self, id: &i64) -> bool {
        self.v.title == Some(*id)
    }
}

impl AccessFormPage {
    /// Which radio is on: what was sent, else approve unless blocked.
    pub fn approve_on(&self) -> bool {
        match self.decision.as_str() {
            "approve" => true,
            "reject" => false,
            _ => self.v.blocked.is_none(),
        }
    }
}

#[derive(Template)]
#[template(path = "access/form.html")]
pub struct AccessFormPage {
    pub c: Chrome,
    pub v: FormView,
    /// The decision sent, kept beside its errors.
    pub decision: String,
    pub note: String,
    pub errs: Errors,
    pub error: String,
}

#[derive(Template)]
#[template(path = "access/approvals.html")]
pub struct AccessApprovalsPage {
    pub c: Chrome,
    pub page: portico_store::Page<Approval>,
    /// What a refused batch sent, kept: the decision, the note, the ticks.
    pub decision: String,
    pub note: String,
    pub ticked: Vec<i64>,
    pub step: String,
    pub q: String,
    pub query_string: String,
    /// What a batch left: each refused form's number and why.
    pub outcome: Vec<(String, String)>,
    pub errs: Errors,
    pub error: String,
}

impl AccessApprovalsPage {
    pub fn is_ticked(&self, id: &portico_core::ids::FormId) -> bool {
        self.ticked.contains(&id.0)
    }
    /// 序號 across pages.
    pub fn seq(&self, index: &usize) -> u64 {
        u64::from(self.page.page.saturating_sub(1)) * u64::from(self.page.per_page) + *index as u64
    }
}

#[derive(Template)]
#[template(path = "access/decided.html")]
pub struct AccessDecidedPage {
    pub c: Chrome,
    pub page: portico_store::Page<Form>,
    pub query_string: String,
}

/// What a definitions form sent, shown again beside its errors: the form
/// (`section`) and its fields.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pub section: String,
    pub fields: std::collections::HashMap<&'static str, String>,
}

impl Posted {
    /// The value sent for `field` when `section`'s form was the one sent;
    /// `stored` otherwise.
    pub fn val(&self, section: &str, field: &str, stored: &str) -> String {
        if self.section == section
            && let Some(v) = self.fields.get(field)
        {
            return v.clone();
        }
        stored.to_owned()
    }
    /// A checkbox as sent, or as stored.
    pub fn on(&self, section: &str, field: &str, stored: bool) -> bool {
        if self.section == section {
            self.fields.get(field).is_some_and(|v| !v.is_empty())
        } else {
            stored
        }
    }
}

/// 會員類別與組織管理 (system admins).
#[derive(Template)]
#[template(path = "access/admin.html")]
pub struct AccessAdminPage {
    pub c: Chrome,
    pub categories: Vec<Category>,
    pub page: portico_store::Page<AccessOrg>,
    pub q: String,
    pub query_string: String,
    /// Agencies of the tree, grouped, for an organisation from the tree.
    pub units: Vec<(String, Vec<(i64, String)>)>,
    /// The form the errors belong to (`category`, `org`, `org-<id>`,
    /// `category-<id>`), and what it sent.
    pub section: String,
    pub posted: Posted,
    pub errs: Errors,
    pub error: String,
}

impl AccessAdminPage {
    pub fn is(&self, section: &str) -> bool {
        self.section == section
    }
    pub fn cval(&self, id: &i64, field: &str, stored: &str) -> String {
        self.posted.val(&format!("category-{id}"), field, stored)
    }
    pub fn con(&self, id: &i64, field: &str, stored: &bool) -> bool {
        self.posted.on(&format!("category-{id}"), field, *stored)
    }
    pub fn oval(&self, id: &i64, field: &str, stored: &str) -> String {
        self.posted.val(&format!("org-{id}"), field, stored)
    }
    pub fn oon(&self, id: &i64, field: &str, stored: &bool) -> bool {
        self.posted.on(&format!("org-{id}"), field, *stored)
    }
    /// A new category's or organisation's form as sent.
    pub fn nval(&self, section: &str, field: &str) -> String {
        self.posted.val(section, field, "")
    }
    pub fn non(&self, section: &str, field: &str, default: bool) -> bool {
        self.posted.on(section, field, default)
    }
    pub fn open_category(&self, id: &i64) -> bool {
        self.section == format!("category-{id}")
    }
    pub fn open_org(&self, id: &i64) -> bool {
        self.section == format!("org-{id}")
    }
}

/// 應用系統角色管理: the applications whose roles the person defines.
#[derive(Template)]
#[template(path = "access/apps.html")]
pub struct AccessAppsPage {
    pub c: Chrome,
    pub apps: Vec<portico_store::clients::Client>,
}

#[derive(Template)]
#[template(path = "access/app.html")]
pub struct AccessAppPage {
    pub c: Chrome,
    pub a: portico_app::access::AppRoles,
    pub section: String,
    pub posted: Posted,
    pub errs: Errors,
    pub error: String,
}

impl AccessAppPage {
    pub fn open_role(&self, id: &i64) -> bool {
        self.section == format!("role-{id}")
    }
    pub fn approvers(&self) -> [portico_core::access::Approver; 3] {
        portico_core::access::Approver::ALL
    }
    pub fn rval(&self, id: &i64, field: &str, stored: &str) -> String {
        self.posted.val(&format!("role-{id}"), field, stored)
    }
    pub fn ron(&self, id: &i64, field: &str, stored: &bool) -> bool {
        self.posted.on(&format!("role-{id}"), field, *stored)
    }
    pub fn rsel(&self, id: &i64, field: &str, stored: Option<i64>) -> Option<i64> {
        let section = format!("role-{id}");
        if self.posted.section == section {
            self.posted.fields.get(field).and_then(|v| v.parse().ok())
        } else {
            stored
        }
    }
    pub fn nval(&self, field: &str, default: &str) -> String {
        self.posted.val("role", field, default)
    }
    pub fn non(&self, field: &str) -> bool {
        self.posted.on("role", field, false)
    }
    pub fn nsel(&self, field: &str) -> Option<i64> {
        if self.posted.section == "role" {
            self.posted.fields.get(field).and_then(|v| v.parse().ok())
        } else {
            None
        }
    }
    pub fn same(&self, a: &Option<i64>, b: &i64) -> bool {
        *a == Some(*b)
    }
    pub fn cat_of(&self, r: &AppRole) -> Option<i64> {
        r.needs_category.as_ref().map(|x| x.0)
    }
    pub fn org_of(&self, r: &AppRole) -> Option<i64> {
        r.needs_org.as_ref().map(|x| x.0)
    }
    pub fn schema(&self, r: &AppRole) -> String {
        portico_core::access::schema_text(&r.schema)
    }
}
