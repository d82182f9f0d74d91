//! Access requests (seed 000, 002 §五): a person asks, in order, for a
//! member category (會員類別), a membership of an organisation (個人組織,
//! with a 職稱/身分) and roles in an application (應用系統角色). Each step
//! opens when the one before it is approved; an organisation may let its
//! people skip to roles (seed 000: 國家公園…僅需申請應用系統角色). A step
//! that needs the supervisor's consent comes with a printed form, signed,
//! scanned and uploaded; the right approver signs it off in 待簽核表單.
use crate::error::{Collector, Error};
use crate::msg::Msg;
use crate::text::clean_text;
use std::collections::BTreeMap;

/// The three steps, in the order a person takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 個人會員類別: a member category such as `stausr`.
    Category,
    /// 個人組織: a membership of an organisation, with a 職稱/身分.
    Org,
    /// 應用系統角色: roles in one application.
    Role,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Category, Step::Org, Step::Role];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Category => "category",
            Step::Org => "org",
            Step::Role => "role",
        }
    }
    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Step::Category => Msg::new("會員類別", "Member category"),
            Step::Org => Msg::new("個人組織", "Organisation"),
            Step::Role => Msg::new("應用系統角色", "Application roles"),
        }
    }
    /// The printed form's title (seed 000).
    pub fn form_title(self) -> Msg {
        match self {
            Step::Category => Msg::new("會員類別申請表", "Member category application"),
            Step::Org => Msg::new("個人組織申請表", "Organisation membership application"),
            Step::Role => Msg::new("應用系統角色申請表", "Application role application"),
        }
    }
    /// The queue's heading for a form of this step (seed 000:
    /// 會員類別異動申請 [加入]).
    pub fn queue_title(self) -> Msg {
        match self {
            Step::Category => Msg::new("會員類別異動申請", "Member category change"),
            Step::Org => Msg::new("個人組織異動申請", "Organisation membership change"),
            Step::Role => Msg::new("應用系統角色異動申請", "Application role change"),
        }
    }
    /// The letters a form's number starts with: AA (account application)
    /// and two for the step, as seed 000's `AAMT025-0000011059`.
    fn prefix(self) -> &'static str {
        match self {
            Step::Category => "AAMT",
            Step::Org => "AAOG",
            Step::Role => "AARL",
        }
    }
}

/// A form's number: the step's letters, the year's last three digits and
/// the form's sequence number, ten digits (`AAMT025-0000011059`). Unique
/// because the sequence is.
pub fn form_number(step: Step, year: i32, seq: i64) -> String {
    format!("{}{:03}-{:010}", step.prefix(), year.rem_euclid(1000), seq)
}

/// The sequence a form number carries (`AAMT025-0000011059` → 11059), to
/// find a form by its number; also a bare sequence.
pub fn form_seq(number: &str) -> Option<i64> {
    let s = number.trim();
    let digits = match s.rsplit_once('-') {
        Some((head, tail)) if head.len() == 7 && head.is_ascii() => tail,
        Some(_) => return None,
        None => s,
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// What a form asks: 類型 新增 / 刪除, or 異動 when it does both or changes
/// a 職稱/身分 (002 §五 權限異動).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Add,
    Remove,
    Change,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Add, Op::Remove, Op::Change];
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Change => "change",
        }
    }
    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Op::Add => Msg::new("新增", "Add"),
            Op::Remove => Msg::new("刪除", "Remove"),
            Op::Change => Msg::new("異動", "Change"),
        }
    }
    /// The bracket the queue shows after the title (seed 000: [加入]).
    pub fn verb(self) -> Msg {
        match self {
            Op::Add => Msg::new("加入", "join"),
            Op::Remove => Msg::new("退出", "leave"),
            Op::Change => Msg::new("變更", "change"),
        }
    }
}

/// One line of a form's mapping: an item held now (目前對應) and after the
/// form is approved (簽核後).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub item: i64,
    pub before: bool,
    pub after: bool,
}

/// The form's 類型 from its lines: all added is 新增, all removed is 刪除,
/// anything else (some of each, or a title changed) is 異動. `None` when
/// no line changes anything.
pub fn op_of(lines: &[Line], title_changed: bool) -> Option<Op> {
    let adds = lines.iter().filter(|l| !l.before && l.after).count();
    let removes = lines.iter().filter(|l| l.before && !l.after).count();
    match (adds, removes, title_changed) {
        (0, 0, false) => None,
        (_, 0, false) => Some(Op::Add),
        (0, _, false) => Some(Op::Remove),
        _ => Some(Op::Change),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormState {
    /// 簽核中: waiting for its approver.
    Pending,
    Approved,
    Rejected,
    /// The applicant took it back before anyone decided.
    Withdrawn,
}

impl FormState {
    pub const ALL: [FormState; 4] = [
        FormState::Pending,
        FormState::Approved,
        FormState::Rejected,
        FormState::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FormState::Pending => "pending",
            FormState::Approved => "approved",
            FormState::Rejected => "rejected",
            FormState::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<FormState> {
        FormState::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            FormState::Pending => Msg::new("簽核中", "Awaiting approval"),
            FormState::Approved => Msg::new("同意", "Approved"),
            FormState::Rejected => Msg::new("不同意", "Declined"),
            FormState::Withdrawn => Msg::new("已撤回", "Withdrawn"),
        }
    }
}

/// Who signs off a role's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Approver {
    /// The administrators of the applicant's own agency (002 §五: 送機關
    /// (單位)管理者辦理).
    OrgAdmins,
    /// The application's managers (應用系統管理者), appointed per
    /// application.
    AppManagers,
    /// 系統管理者.
    SystemAdmins,
}

impl Approver {
    pub const ALL: [Approver; 3] = [
        Approver::OrgAdmins,
        Approver::AppManagers,
        Approver::SystemAdmins,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Approver::OrgAdmins => "org_admins",
            Approver::AppManagers => "app_managers",
            Approver::SystemAdmins => "system_admins",
        }
    }
    pub fn parse(s: &str) -> Option<Approver> {
        Approver::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Approver::OrgAdmins => Msg::new(
                "申請人機關的管理者",
                "The applicant's agency administrators",
            ),
            Approver::AppManagers => Msg::new("應用系統管理者", "The application's managers"),
            Approver::SystemAdmins => Msg::new("系統管理者", "System administrators"),
        }
    }
}

impl Approver {
    /// Who signs off a form of this step, in words: a membership's
    /// organisation admins are that organisation's, not the applicant's.
    pub fn label_for(self, step: Step) -> Msg {
        match (self, step) {
            (Approver::OrgAdmins, Step::Org) => {
                Msg::new("該組織的管理者", "The organisation's administrators")
            }
            _ => self.label(),
        }
    }
}

/// A member category's code: a letter, then 1–19 letters, digits or `_`
/// (seed 000: `stausr`). Lower case, so `STAUSR` and `stausr` are one.
pub fn check_code(input: &str) -> Result<String, Msg> {
    let s = input.trim().to_ascii_lowercase();
    let ok = (2..=20).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(s)
    } else {
        Err(Msg::new(
            "代碼為 2–20 個英文字母、數字或底線，且以英文字母開頭（例如 stausr）",
            "The code is 2–20 letters, digits or underscores, starting with a letter (e.g. stausr)",
        ))
    }
}

/// What a system admin types for a member category.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub needs_form: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub needs_form: bool,
}

impl CategoryInput<'_> {
    pub fn check(&self) -> Result<CategoryFields, Error> {
        let mut c = Collector::new();
        let code = c.take("code", check_code(self.code));
        let name = c.take("name", clean_text(self.name, 1, 40));
        let description = c.take("description", clean_text(self.description, 0, 500));
        c.finish()?;
        Ok(CategoryFields {
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            description: description.unwrap_or_default(),
            needs_form: self.needs_form,
        })
    }
}

/// An organisation that accepts members: a unit of the org tree (its name
/// and OID come from there) or an outside organisation with its own.
#[derive(Debug, Clone, Default)]
pub struct OrgInput<'a> {
    /// Empty for an outside organisation.
    pub unit: Option<i64>,
    pub name: &'a str,
    pub oid: &'a str,
    pub description: &'a str,
    pub needs_form: bool,
    /// Its people ask for roles directly, without a category or a
    /// membership (seed 000: 國家公園…僅需申請應用系統角色).
    pub roles_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFields {
    pub unit: Option<i64>,
    pub name: String,
    pub oid: String,
    pub description: String,
    pub needs_form: bool,
    pub roles_only: bool,
}

impl OrgInput<'_> {
    /// An outside organisation needs its name and OID; one from the tree
    /// takes them from its unit (the caller fills them in).
    pub fn check(&self) -> Result<OrgFields, Error> {
        let mut c = Collector::new();
        let name = c.take("name", clean_text(self.name, 1, 60));
        let oid = c.take(
            "oid",
            crate::org::GovOid::parse(self.oid.trim()).map(|o| o.as_str().to_owned()),
        );
        let description = c.take("description", clean_text(self.description, 0, 500));
        if self.roles_only && self.unit.is_none() {
            c.push(
                "roles_only",
                Msg::new(
                    "只有組織樹中的機關可設為「僅需申請應用系統角色」：系統須依申請人所屬機關認定其組織",
                    "Only an organisation from the org tree may skip to roles: the applicant's agency is what makes them its member",
                ),
            );
        }
        c.finish()?;
        Ok(OrgFields {
            unit: self.unit,
            name: name.unwrap_or_default(),
            oid: oid.unwrap_or_default(),
            description: description.unwrap_or_default(),
            needs_form: self.needs_form,
            roles_only: self.roles_only,
        })
    }
}

/// A 職稱/身分 an organisation offers (seed 000: 預設身分).
pub fn check_title(input: &str) -> Result<String, Msg> {
    clean_text(input, 1, 30)
}

/// One field a role's holder fills in (the outside users' licence
/// profiles, seed 001): a key, its label and whether it is required.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttrField {
    pub key: String,
    pub label: String,
    pub required: bool,
}

/// The schema as a system admin types it: one field per line,
/// `key|標籤` or `key|標籤|必填`.
pub fn parse_schema(input: &str) -> Result<Vec<AttrField>, Msg> {
    let mut out: Vec<AttrField> = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            Msg::owned(
                format!(
                    "第 {} 行格式不符：請寫成「代碼|標籤」或「代碼|標籤|必填」",
                    n + 1
                ),
                format!("Line {}: write key|label or key|label|required", n + 1),
            )
        };
        let mut parts = line.split('|').map(str::trim);
        let key = parts.next().unwrap_or_default();
        let label = parts.next().ok_or_else(bad)?;
        let required = match parts.next() {
            None | Some("") => false,
            Some("必填" | "required") => true,
            Some(_) => return Err(bad()),
        };
        if parts.next().is_some()
            || !(1..=30).contains(&key.len())
            || !key.starts_with(|c: char| c.is_ascii_lowercase())
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            || clean_text(label, 1, 30).is_err()
        {
            return Err(bad());
        }
        if out.iter().any(|f| f.key == key) {
            return Err(Msg::owned(
                format!("第 {} 行的代碼 {key} 重複", n + 1),
                format!("Line {}: the key {key} appears twice", n + 1),
            ));
        }
        out.push(AttrField {
            key: key.to_owned(),
            label: label.to_owned(),
            required,
        });
    }
    if out.len() > 20 {
        return Err(Msg::new("屬性最多 20 個", "At most 20 attributes"));
    }
    Ok(out)
}

/// The schema back as the admin typed it.
pub fn schema_text(fields: &[AttrField]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.required {
                format!("{}|{}|必填", f.key, f.label)
            } else {
                format!("{}|{}", f.key, f.label)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The values a holder gave for a role's fields: every required one
/// present, none unknown, each at most 100 characters.
pub fn check_attrs(
    schema: &[AttrField],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Error> {
    let mut c = Collector::new();
    let mut out = BTreeMap::new();
    for f in schema {
        let v = given.get(&f.key).map(|s| s.trim()).unwrap_or_default();
        if v.is_empty() {
            if f.required {
                c.push(
                    "attrs",
                    Msg::owned(
                        format!("請填寫「{}」", f.label),
                        format!("Fill in “{}”", f.label),
                    ),
                );
            }
            continue;
        }
        if let Some(v) = c.take("attrs", clean_text(v, 1, 100)) {
            out.insert(f.key.clone(), v);
        }
    }
    if given
        .iter()
        .any(|(k, v)| !v.trim().is_empty() && !schema.iter().any(|f| &f.key == k))
    {
        c.push(
            "attrs",
            Msg::new(
                "有此角色未定義的屬性",
                "An attribute this role does not define",
            ),
        );
    }
    c.finish()?;
    Ok(out)
}

/// A role code: 1–40 letters, digits, `_ . : -`, starting with a letter;
/// what the application receives in its `roles` claim.
pub fn check_role_code(input: &str) -> Result<String, Msg> {
    let s = input.trim();
    let ok = (1..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Msg::new(
            "角色代碼為 1–40 個英文字母、數字或 _ . : -，且以英文字母開頭；應用系統在 roles 中收到的就是此代碼",
            "A role code is 1–40 letters, digits or _ . : -, starting with a letter; it is what the application receives in roles",
        ))
    }
}

/// What a role's definition holds.
#[derive(Debug, Clone, Default)]
pub struct RoleInput<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub needs_category: Option<i64>,
    pub needs_org: Option<i64>,
    pub needs_form: bool,
    pub needs_undertaking: bool,
    pub approver: &'a str,
    pub schema: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub needs_category: Option<i64>,
    pub needs_org: Option<i64>,
    pub needs_form: bool,
    pub needs_undertaking: bool,
    pub approver: Approver,
    pub schema: Vec<AttrField>,
}

impl RoleInput<'_> {
    pub fn check(&self) -> Result<RoleFields, Error> {
        let mut c = Collector::new();
        let code = c.take("code", check_role_code(self.code));
        let name = c.take("name", clean_text(self.name, 1, 40));
        let description = c.take("description", clean_text(self.description, 0, 500));
        let approver = c.take(
            "approver",
            Approver::parse(self.approver)
                .ok_or_else(|| Msg::new("請選擇簽核者", "Choose who approves")),
        );
        let schema = c.take("schema", parse_schema(self.schema));
        c.finish()?;
        Ok(RoleFields {
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            description: description.unwrap_or_default(),
            needs_category: self.needs_category,
            needs_org: self.needs_org,
            needs_form: self.needs_form,
            needs_undertaking: self.needs_undertaking,
            approver: approver.unwrap_or(Approver::SystemAdmins),
            schema: schema.unwrap_or_default(),
        })
    }
}

/// What a person holds now, as the order and the prerequisites see it:
/// their approved categories and memberships, and the organisations they
/// belong to by their agency (those marked roles-only).
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub categories: Vec<i64>,
    pub orgs: Vec<i64>,
    /// Organisations whose people skip straight to roles and which hold
    /// the person's agency.
    pub roles_only_orgs: Vec<i64>,
}

impl Holdings {
    pub fn in_org(&self, org: i64) -> bool {
        self.orgs.contains(&org) || self.roles_only_orgs.contains(&org)
    }
}

/// 須等前項申請授權完成後，才能進行次項申請 (seed 000): a membership
/// needs an approved category; roles need a membership, unless the
/// person's agency is an organisation that skips to roles. Removing is
/// never out of order.
pub fn step_open(step: Step, h: &Holdings) -> Result<(), Msg> {
    match step {
        Step::Category => Ok(()),
        Step::Org if !h.categories.is_empty() => Ok(()),
        Step::Org => Err(Msg::new(
            "請先申請會員類別，待核准後才能申請加入組織",
            "Ask for a member category first; you can join an organisation once it is approved",
        )),
        Step::Role if !h.roles_only_orgs.is_empty() => Ok(()),
        Step::Role if h.categories.is_empty() => Err(Msg::new(
            "請先申請會員類別與個人組織，待核准後才能申請應用系統角色",
            "Ask for a member category and an organisation first; you can ask for roles once they are approved",
        )),
        Step::Role if h.orgs.is_empty() => Err(Msg::new(
            "請先申請加入組織，待核准後才能申請應用系統角色",
            "Join an organisation first; you can ask for roles once the membership is approved",
        )),
        Step::Role => Ok(()),
    }
}

/// A role's own prerequisites: the category and organisation it names,
/// held now. `names` are the prerequisites' names for the message.
pub fn role_prerequisites(
    needs_category: Option<(i64, &str)>,
    needs_org: Option<(i64, &str)>,
    h: &Holdings,
) -> Result<(), Msg> {
    if let Some((id, name)) = needs_category
        && !h.categories.contains(&id)
    {
        return Err(Msg::owned(
            format!("此角色須先具有會員類別「{name}」"),
            format!("This role needs the member category “{name}” first"),
        ));
    }
    if let Some((id, name)) = needs_org
        && !h.in_org(id)
    {
        return Err(Msg::owned(
            format!("此角色須先加入組織「{name}」"),
            format!("This role needs membership of “{name}” first"),
        ));
    }
    Ok(())
}

/// The applicant's 用途說明 and 備註.
pub fn check_purpose(purpose: &str, note: &str) -> Result<(String, String), Error> {
    let mut c = Collector::new();
    let p = c.take("purpose", clean_text(purpose, 1, 200));
    let n = c.take("note", clean_text(note, 0, 200));
    c.finish()?;
    Ok((p.unwrap_or_default(), n.unwrap_or_default()))
}

/// The approver's 備註: optional with 同意, required with 不同意 (the
/// applicant is told why).
pub fn check_decision_note(approve: bool, note: &str) -> Result<String, Msg> {
    let note = clean_text(note, 0, 200)?;
    if !approve && note.is_empty() {
        return Err(Msg::new(
            "不同意時請填寫簽核備註，讓申請人知道原因",
            "Give a note when declining, so the applicant knows why",
        ));
    }
    Ok(note)
}

pub fn out_of_order() -> Msg {
    Msg::new(
        "此申請的前一項尚未核准，或已不再具備；請先完成前一項申請",
        "The step before this one is not approved, or no longer held; complete it first",
    )
}

pub fn already_pending() -> Msg {
    Msg::new(
        "此項目已有簽核中的申請，請等待簽核結果，或先撤回該申請",
        "A form for this is already awaiting approval; wait for it, or withdraw it first",
    )
}

pub fn already_decided() -> Msg {
    Msg::new(
        "此表單已由其他簽核者處理，請重新整理清單",
        "Another approver has already decided this form; reload the list",
    )
}

pub fn form_missing() -> Msg {
    Msg::new(
        "此申請須上傳主管簽章的申請書：請先「列印申請書」，請單位主管簽章後掃描上傳",
        "This request needs the application form signed by your supervisor: print it, have it signed, then upload the scan",
    )
}

pub fn undertaking_missing() -> Msg {
    Msg::new(
        "此角色須另上傳簽署的保密切結書",
        "This role also needs a signed confidentiality undertaking",
    )
}

#[cfg(test)]
mod tests;
