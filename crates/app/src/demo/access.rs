//! The demo's access requests (issue 14): member categories, organisations
//! (agencies of the tree, a district office whose people skip to roles,
//! other cities), the sample application's roles and its manager, and a
//! statistician part-way through seed 000's journey: category and
//! membership approved, one role held, a form for the manager's role
//! waiting with its scans.
use super::SEED;
use crate::{App, Result};
use portico_core::access::{
    Approver, CategoryInput, FormState, Line, Op, OrgInput, RoleInput, Step,
};
use portico_core::files::FileKind;
use portico_core::ids::{AccountId, OrgUnitId};
use portico_store::access::defs as store_defs;
use portico_store::access::{self as store, NewForm};
use portico_store::{Tx, accounts, clients, orgs};
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

pub(super) struct People {
    pub admin: AccountId,
    pub manager: AccountId,
    pub statistician: AccountId,
    pub civil_admin: AccountId,
}

/// A scan as a phone or a copier makes one: a grey page with a dark
/// signature stroke. Enough for the approver's inline view.
fn demo_scan() -> Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(600, 420, |x, y| {
        let on_line =
            (y as i64 - 300 - ((x as i64 - 380) / 6)).abs() < 3 && (380..540).contains(&x);
        let frame = x < 20 || y < 20 || x > 580 || y > 400;
        if on_line {
            image::Rgb([30, 30, 80])
        } else if frame {
            image::Rgb([200, 200, 200])
        } else {
            image::Rgb([245, 244, 240])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| crate::Error::internal(format!("demo scan: {e}")))?;
    Ok(out.into_inner())
}

impl App {
    async fn demo_file(
        &self,
        tx: &mut Tx,
        owner: AccountId,
        name: &str,
        bytes: &[u8],
    ) -> Result<portico_core::ids::FileId> {
        let st = self
            .stash_upload("forms", name, FileKind::Png, bytes.to_vec())
            .await?;
        self.keep_stashed(tx, owner, &st).await
    }

    pub(super) async fn seed_demo_access(
        &self,
        tx: &mut Tx,
        who: &People,
        now: OffsetDateTime,
    ) -> Result<()> {
        let sys = SEED.system();
        let mut cats = Vec::new();
        for (code, name, desc, form) in [
            (
                "stausr",
                "地方政府公務統計人員",
                "公務統計帳號申請：辦理公務統計報表與統計資料管理之人員。",
                true,
            ),
            (
                "bmausr",
                "建築管理業務人員",
                "辦理建築執照審查、使用管理等建築管理業務之人員。",
                true,
            ),
            (
                "plnusr",
                "都市計畫業務人員",
                "辦理都市計畫、土地使用分區業務之人員。",
                false,
            ),
        ] {
            let f = CategoryInput {
                code,
                name,
                description: desc,
                needs_form: form,
            }
            .check()?;
            cats.push(store_defs::insert_category(tx, sys, &f, now).await?);
        }
        let tree = orgs::list_all(tx).await?;
        let unit = |name: &str| -> Result<(OrgUnitId, String, String)> {
            tree.iter()
                .find(|u| u.name == name && u.kind == portico_core::org::OrgKind::Agency)
                .map(|u| (u.id, u.name.clone(), u.oid.clone()))
                .ok_or_else(|| crate::Error::internal(format!("demo agency {name}")))
        };
        let mut org_ids = BTreeMap::new();
        for (name, roles_only, form) in [
            ("主計處", false, true),
            ("民政局", false, true),
            ("都市發展局", false, true),
            ("臺南市安平區公所", true, false),
        ] {
            let (id, uname, oid) = unit(name)?;
            let f = OrgInput {
                unit: Some(id.0),
                name: &uname,
                oid: &oid,
                description: if roles_only {
                    "區公所人員僅需申請應用系統角色，所屬機關即為其組織。"
                } else {
                    ""
                },
                needs_form: form,
                roles_only,
            }
            .check()?;
            let org = store_defs::insert_org(tx, sys, &f, now).await?;
            store_defs::insert_title(tx, sys, org, "預設身分").await?;
            if name == "都市發展局" {
                store_defs::insert_title(tx, sys, org, "耐震系統使用單位").await?;
            }
            org_ids.insert(name, org);
        }
        // Other cities' governments, whose statisticians come through
        // My-E-Government: outside the tree, signed off by system admins.
        for (name, oid) in [
            ("臺北市政府", "2.16.886.101.90001"),
            ("新竹縣政府", "2.16.886.101.90004"),
            ("嘉義縣政府", "2.16.886.101.90010"),
            ("高雄市政府", "2.16.886.101.90030"),
        ] {
            let f = OrgInput {
                unit: None,
                name,
                oid,
                needs_form: true,
                ..Default::default()
            }
            .check()?;
            let org = store_defs::insert_org(tx, sys, &f, now).await?;
            store_defs::insert_title(tx, sys, org, "預設身分").await?;
        }

        let sample = clients::by_client_id(tx, super::clients::SAMPLE_CLIENT_ID)
            .await?
            .ok_or_else(|| crate::Error::internal("demo sample app"))?;
        let manage = SEED.manage_app(sample.id, who.admin);
        store_defs::add_manager(tx, manage, who.manager, now).await?;
        let role = |code: &'static str,
                    name: &'static str,
                    desc: &'static str,
                    form: bool,
                    approver: Approver| RoleInput {
            code,
            name,
            description: desc,
            needs_category: Some(cats[0]),
            needs_org: None,
            needs_form: form,
            needs_undertaking: form,
            approver: approver.as_str(),
            schema: "",
        };
        let user = store_defs::insert_role(
            tx,
            manage,
            &role(
                "stat.user",
                "地方政府統計使用者",
                "查詢與填報所屬機關的公務統計報表。",
                false,
                Approver::OrgAdmins,
            )
            .check()?,
            now,
        )
        .await?;
        let manager_role = store_defs::insert_role(
            tx,
            manage,
            &role(
                "stat.manager",
                "地方政府統計管理者",
                "管理所屬機關的統計報表與使用者；需經主管同意，並簽署保密切結書。",
                true,
                Approver::AppManagers,
            )
            .check()?,
            now,
        )
        .await?;
        store_defs::insert_role(
            tx,
            manage,
            &RoleInput {
                schema: "report_code|負責報表編號|必填\nextension|聯絡分機",
                needs_undertaking: false,
                // District offices' people ask for it directly.
                needs_category: None,
                ..role(
                    "stat.reporter",
                    "統計報表填報人",
                    "負責特定報表的填報，請填寫負責的報表編號。",
                    false,
                    Approver::OrgAdmins,
                )
            }
            .check()?,
            now,
        )
        .await?;

        // The statistician: category and membership approved weeks ago,
        // stat.user held, the manager's role waiting with its scans.
        let s = accounts::get(tx, who.statistician)
            .await?
            .ok_or_else(|| crate::Error::internal("demo statistician"))?;
        let org = org_ids["主計處"];
        let title = store_defs::org(tx, org)
            .await?
            .and_then(|o| o.titles.first().map(|t| t.id));
        let empty = BTreeMap::new();
        let scan = demo_scan()?;
        let base = NewForm {
            step: Step::Category,
            op: Op::Add,
            account: s.id,
            category: Some(cats[0]),
            org: None,
            title_before: None,
            title: None,
            app: None,
            purpose: "公務統計帳號申請",
            note: "",
            attrs: &empty,
            approver: Approver::SystemAdmins,
            scope_path: None,
            form_file: None,
            undertaking_file: None,
            lines: &[],
        };
        let decided = [
            (
                NewForm {
                    form_file: Some(
                        self.demo_file(tx, s.id, "member_type_application.png", &scan)
                            .await?,
                    ),
                    lines: &[Line {
                        item: cats[0],
                        before: false,
                        after: true,
                    }],
                    ..base
                },
                who.admin,
                21,
            ),
            (
                NewForm {
                    step: Step::Org,
                    category: None,
                    org: Some(org),
                    title,
                    approver: Approver::OrgAdmins,
                    scope_path: Some(&s.unit_path),
                    form_file: Some(
                        self.demo_file(tx, s.id, "org_application.png", &scan)
                            .await?,
                    ),
                    lines: &[Line {
                        item: org,
                        before: false,
                        after: true,
                    }],
                    purpose: "辦理主計處公務統計業務",
                    ..base
                },
                who.manager,
                14,
            ),
            (
                NewForm {
                    step: Step::Role,
                    category: None,
                    app: Some(sample.id),
                    approver: Approver::OrgAdmins,
                    scope_path: Some(&s.unit_path),
                    lines: &[Line {
                        item: user,
                        before: false,
                        after: true,
                    }],
                    purpose: "查詢所屬機關統計報表",
                    ..base
                },
                who.manager,
                7,
            ),
        ];
        for (f, by, days) in &decided {
            let at = now - Duration::days(*days);
            let (id, _) = store::insert(tx, f, at).await?;
            store::decide(
                tx,
                id,
                FormState::Approved,
                *by,
                "資料齊全，同意",
                at + Duration::hours(3),
            )
            .await?;
            let form = store::get(tx, id).await?.ok_or(crate::Error::NotFound)?;
            store::apply(tx, SEED.access(s.id), &form, at + Duration::hours(3)).await?;
        }
        let waiting = NewForm {
            step: Step::Role,
            category: None,
            app: Some(sample.id),
            approver: Approver::AppManagers,
            form_file: Some(
                self.demo_file(tx, s.id, "bccs_account_application.png", &scan)
                    .await?,
            ),
            undertaking_file: Some(self.demo_file(tx, s.id, "undertaking.png", &scan).await?),
            lines: &[Line {
                item: manager_role,
                before: false,
                after: true,
            }],
            purpose: "業務需要：管理主計處統計報表與使用者",
            ..base
        };
        store::insert(tx, &waiting, now - Duration::hours(20)).await?;
        // A declined form, so 個人簽核記錄查詢 shows both outcomes.
        let c = accounts::get(tx, who.civil_admin)
            .await?
            .ok_or_else(|| crate::Error::internal("demo civil admin"))?;
        let declined = NewForm {
            account: c.id,
            category: Some(cats[1]),
            lines: &[Line {
                item: cats[1],
                before: false,
                after: true,
            }],
            purpose: "協辦建築管理業務",
            form_file: None,
            ..base
        };
        let (id, _) = store::insert(tx, &declined, now - Duration::days(3)).await?;
        store::decide(
            tx,
            id,
            FormState::Rejected,
            who.admin,
            "未附主管簽章的申請書，請補件後重新申請",
            now - Duration::days(2),
        )
        .await?;
        Ok(())
    }
}
