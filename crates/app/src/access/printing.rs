//! 列印申請書: the use cases that print a form (as it will be sent, or as
//! it was filed) and the undertaking, off the async workers.
use super::{Ask, Checked, print};
use crate::{App, Error, Result};
use portico_core::access::Step;
use portico_core::ids::FormId;
use portico_core::permission::Principal;
use portico_store::access::defs::{self as store_defs, AccessOrg};
use portico_store::access::{self as store, Form, HeldOrg};
use portico_store::accounts::Account;

impl App {
    /// 列印申請書: the form as it will be sent, to print and sign.
    pub async fn print_ask(&self, p: &Principal, ask: &Ask) -> Result<Vec<u8>> {
        let mut c = self.db.read().await?;
        let a = self.account_of(&mut c, p).await?;
        let k = self.check_ask(&mut c, &a, ask).await?;
        let held = store::held_orgs(&mut c, a.id).await?;
        drop(c);
        let f = print_of(&self.portal_name(), &a, &k, &held, self.now());
        self.render_pdf(move |font| print::render_form(font, &f))
            .await
    }

    /// 保密切結書 for an application's roles, to print and sign.
    pub async fn print_undertaking(&self, p: &Principal, app: i64) -> Result<Vec<u8>> {
        let mut c = self.db.read().await?;
        let a = self.account_of(&mut c, p).await?;
        let app = store_defs::apps_with_roles(&mut c)
            .await?
            .into_iter()
            .find(|x| x.id == app)
            .ok_or(Error::NotFound)?;
        drop(c);
        let u = print::PrintUndertaking {
            portal: self.portal_name(),
            app: app.name,
            login: a.login,
            name: a.name,
            agency: a.agency_name,
            date: print_date(self.now()),
        };
        self.render_pdf(move |font| print::render_undertaking(font, &u))
            .await
    }

    /// A filed form printed again, with its number.
    pub async fn print_form(&self, p: &Principal, id: FormId) -> Result<Vec<u8>> {
        let v = self.form_view(p, id).await?;
        let f = printed_form(&self.portal_name(), &v.form);
        self.render_pdf(move |font| print::render_form(font, &f))
            .await
    }

    pub(crate) fn portal_name(&self) -> String {
        "臺南市政府公務入口網".to_owned()
    }
}

/// 申請時間 as the seed prints it: `2025/12/17`.
pub(crate) fn print_date(t: time::OffsetDateTime) -> String {
    let d = t.to_offset(portico_core::time::TAIPEI).date();
    format!("{:04}/{:02}/{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(crate) fn phone_of(phone: &str, ext: &str) -> String {
    if ext.is_empty() {
        phone.to_owned()
    } else {
        format!("{phone} 分機 {ext}")
    }
}

/// 注意事項 of the role form (seed 000).
fn role_notices() -> Vec<String> {
    vec![
        "帳號申請者，資格限制為〔系統實際使用者〕".into(),
        "請檢附相關在職證明文件".into(),
        "資料不全者恕不受理".into(),
    ]
}

fn title_name(org: Option<&AccessOrg>, id: Option<i64>) -> String {
    org.and_then(|o| o.titles.iter().find(|t| Some(t.id) == id))
        .map(|t| t.name.clone())
        .unwrap_or_default()
}

/// The print of an ask not yet filed.
fn print_of(
    portal: &str,
    a: &Account,
    k: &Checked,
    held: &[HeldOrg],
    now: time::OffsetDateTime,
) -> print::PrintForm {
    let mut subject = Vec::new();
    let mut roles = Vec::new();
    match k.step {
        Step::Category => {
            if let Some(x) = &k.category {
                subject.push(("會員類別名稱".into(), format!("{} {}", x.code, x.name)));
            }
        }
        Step::Org => {
            if let Some(o) = &k.org {
                subject.push(("申請組織".into(), format!("{}（OID {}）", o.name, o.oid)));
                let t = title_name(Some(o), k.title);
                subject.push(("申請職稱/身分".into(), t));
            }
        }
        Step::Role => {
            let orgs = held
                .iter()
                .map(|o| {
                    if o.title.is_empty() {
                        o.name.clone()
                    } else {
                        format!("{}（{}）", o.name, o.title)
                    }
                })
                .collect::<Vec<_>>()
                .join("、");
            subject.push(("申請組織".into(), orgs));
            for r in &k.roles {
                let op = k.lines.iter().find(|l| l.item == r.id);
                let verb = if op.is_some_and(|l| l.after) {
                    "新增"
                } else {
                    "刪除"
                };
                roles.push([
                    r.app_name.clone(),
                    r.name.clone(),
                    verb.into(),
                    "個人".into(),
                ]);
            }
            for (key, v) in &k.attrs {
                let label = k
                    .roles
                    .iter()
                    .flat_map(|r| r.schema.iter())
                    .find(|f| &f.key == key)
                    .map(|f| f.label.clone())
                    .unwrap_or_else(|| key.clone());
                subject.push((label, v.clone()));
            }
        }
    }
    print::PrintForm {
        portal: portal.to_owned(),
        title: String::new(),
        purpose_label: String::new(),
        step: Some(k.step),
        op: Some(k.op),
        number: String::new(),
        date: print_date(now),
        subject,
        roles,
        login: a.login.clone(),
        name: a.name.clone(),
        phone: phone_of(&a.office_phone, &a.office_ext),
        email: if a.official_email.is_empty() {
            a.backup_email.clone()
        } else {
            a.official_email.clone()
        },
        purpose: k.purpose.clone(),
        note: k.note.clone(),
        notices: if k.step == Step::Role {
            role_notices()
        } else {
            Vec::new()
        },
    }
}

/// The print of a filed form, from what it recorded.
fn printed_form(portal: &str, f: &Form) -> print::PrintForm {
    let mut subject = Vec::new();
    let mut roles = Vec::new();
    match f.step {
        Step::Category => {
            for l in &f.lines {
                subject.push(("會員類別名稱".into(), format!("{} {}", l.code, l.name)));
            }
        }
        Step::Org => {
            subject.push((
                "申請組織".into(),
                format!("{}（OID {}）", f.org_name, f.org_oid),
            ));
            subject.push(("申請職稱/身分".into(), f.title.clone()));
        }
        Step::Role => {
            for l in &f.lines {
                let verb = if l.after { "新增" } else { "刪除" };
                roles.push([
                    f.app_name.clone(),
                    l.name.clone(),
                    verb.into(),
                    "個人".into(),
                ]);
            }
            for (k, v) in &f.attrs {
                subject.push((k.clone(), v.clone()));
            }
        }
    }
    print::PrintForm {
        portal: portal.to_owned(),
        title: String::new(),
        purpose_label: String::new(),
        step: Some(f.step),
        op: Some(f.op),
        number: f.number.clone(),
        date: print_date(f.submitted_at),
        subject,
        roles,
        login: f.applicant.login.clone(),
        name: f.applicant.name.clone(),
        phone: phone_of(&f.applicant.office_phone, &f.applicant.office_ext),
        email: f.applicant.email.clone(),
        purpose: f.purpose.clone(),
        note: f.note.clone(),
        notices: if f.step == Step::Role {
            role_notices()
        } else {
            Vec::new()
        },
    }
}
