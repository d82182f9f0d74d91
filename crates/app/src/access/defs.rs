//! The definitions access requests ask for (issue 14 §1): member
//! categories and organisations with their 職稱/身分 (system admins), each
//! application's roles and managers (its managers, and system admins).
use crate::{App, Ctx, Result, event};
use portico_core::access::{CategoryInput, OrgInput, RoleInput, check_title};
use portico_core::ids::OrgUnitId;
use portico_core::permission::{AppManage, Principal};
use portico_core::{Error, Msg};
use portico_store::access::defs::{self as store, AccessOrg, AppRole, Category, Manager, RoleApp};
use portico_store::{Conn, Page, accounts, audit, clients, db_err, orgs};

/// An organisation as the system admin's form sends it. With a unit of
/// the org tree, the name and OID default to the unit's.
#[derive(Debug, Clone, Default)]
pub struct OrgDraft {
    pub unit: Option<i64>,
    pub name: String,
    pub oid: String,
    pub description: String,
    pub needs_form: bool,
    pub roles_only: bool,
    pub active: bool,
}

/// A role as its form sends it.
#[derive(Debug, Clone, Default)]
pub struct RoleDraft {
    pub code: String,
    pub name: String,
    pub description: String,
    pub needs_category: Option<i64>,
    pub needs_org: Option<i64>,
    pub needs_form: bool,
    pub needs_undertaking: bool,
    pub approver: String,
    pub schema: String,
    pub active: bool,
}

/// One application's roles page: the roles, its managers, and what a
/// role may name as prerequisites.
#[derive(Debug, Clone)]
pub struct AppRoles {
    pub app: clients::Client,
    pub roles: Vec<AppRole>,
    pub managers: Vec<Manager>,
    pub categories: Vec<Category>,
    pub orgs: Vec<AccessOrg>,
}

fn def_event(
    ctx: &Ctx,
    action: &str,
    p: &Principal,
    kind: &str,
    id: i64,
    label: &str,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(p.account_id().0);
    e.actor_login = p.login().to_owned();
    e.target_kind = kind.into();
    e.target_id = Some(id);
    e.target_label = label.to_owned();
    e.scope_path = "/".into();
    e
}

impl App {
    /// 會員類別 a person may ask for: the active ones.
    pub async fn access_categories(&self) -> Result<Vec<Category>> {
        store::categories(&mut *self.db.read().await?, false).await
    }

    /// 會員類別與組織管理: every category and a page of the organisations,
    /// inactive ones too; system admins only.
    pub async fn access_definitions(
        &self,
        p: &Principal,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<Category>, Page<AccessOrg>)> {
        let admin = p.system_admin()?;
        let mut c = self.db.read().await?;
        Ok((
            store::categories(&mut c, true).await?,
            store::orgs(
                &mut c,
                q,
                admin.principal().is_system_admin(),
                page,
                per_page,
            )
            .await?,
        ))
    }

    /// Adds a category (`id` None) or changes one; system admins only.
    pub async fn save_category(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: Option<i64>,
        input: &CategoryInput<'_>,
        active: bool,
    ) -> Result<i64> {
        let w = p.system_admin()?.writes();
        let f = input.check()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = match id {
            Some(id) => {
                store::update_category(&mut tx, w, id, &f, active, now).await?;
                id
            }
            None => store::insert_category(&mut tx, w, &f, now).await?,
        };
        let mut e = def_event(ctx, "access.category", p, "member_category", id, &f.code);
        e.detail = serde_json::json!({"name": f.name, "active": active}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// Organisations a person may join, by name or OID, a page.
    pub async fn access_orgs(&self, q: &str, page: u32, per_page: u32) -> Result<Page<AccessOrg>> {
        store::orgs(&mut *self.db.read().await?, q, false, page, per_page).await
    }

    pub async fn access_org(&self, id: i64) -> Result<AccessOrg> {
        store::org(&mut *self.db.read().await?, id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Adds an organisation (`id` None) or changes one; system admins only.
    pub async fn save_access_org(
        &self,
        p: &Principal,
        ctx: &Ctx,
        id: Option<i64>,
        d: &OrgDraft,
    ) -> Result<i64> {
        let w = p.system_admin()?.writes();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (mut name, mut oid) = (d.name.clone(), d.oid.clone());
        if let Some(u) = d.unit {
            let unit = orgs::get(&mut tx, OrgUnitId(u)).await?.ok_or_else(|| {
                Error::invalid("unit", Msg::new("找不到此機關", "No such agency"))
            })?;
            if name.trim().is_empty() {
                name = unit.name;
            }
            if oid.trim().is_empty() {
                oid = unit.oid;
            }
        }
        let f = OrgInput {
            unit: d.unit,
            name: &name,
            oid: &oid,
            description: &d.description,
            needs_form: d.needs_form,
            roles_only: d.roles_only,
        }
        .check()?;
        let id = match id {
            Some(id) => {
                store::update_org(&mut tx, w, id, &f, d.active, now).await?;
                id
            }
            None => {
                let id = store::insert_org(&mut tx, w, &f, now).await?;
                // Every organisation offers 預設身分 (seed 000) until its
                // admin adds others.
                store::insert_title(&mut tx, w, id, "預設身分").await?;
                id
            }
        };
        let mut e = def_event(ctx, "access.org", p, "access_org", id, &f.name);
        e.detail = serde_json::json!({"oid": f.oid, "active": d.active}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// Adds a 職稱/身分 to an organisation.
    pub async fn add_org_title(
        &self,
        p: &Principal,
        ctx: &Ctx,
        org: i64,
        name: &str,
    ) -> Result<i64> {
        let w = p.system_admin()?.writes();
        let name = check_title(name).map_err(|m| Error::invalid("title", m))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let o = store::org(&mut tx, org).await?.ok_or(Error::NotFound)?;
        let id = store::insert_title(&mut tx, w, org, &name).await?;
        let mut e = def_event(ctx, "access.title", p, "access_org", org, &o.name);
        e.detail = serde_json::json!({"title": name}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// Offers a 職稱/身分 again, or no longer (those who hold it keep it).
    pub async fn set_org_title_active(
        &self,
        p: &Principal,
        ctx: &Ctx,
        org: i64,
        title: i64,
        active: bool,
    ) -> Result<()> {
        let w = p.system_admin()?.writes();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let o = store::org(&mut tx, org).await?.ok_or(Error::NotFound)?;
        // An organisation with titles is joined with one: its last one
        // offered stays until another is added.
        if !active && !o.titles.iter().any(|t| t.active && t.id != title) {
            return Err(Error::Refused(Msg::new(
                "這是此組織唯一開放的職稱/身分，停用後將無法申請加入；請先新增其他職稱/身分",
                "This is the organisation's only title offered; add another before withdrawing it",
            )));
        }
        store::set_title_active(&mut tx, w, org, title, active).await?;
        let name = o
            .titles
            .iter()
            .find(|t| t.id == title)
            .map(|t| t.name.clone());
        let mut e = def_event(ctx, "access.title", p, "access_org", org, &o.name);
        e.detail = serde_json::json!({"title": name, "active": active}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// The right to define one application's roles.
    async fn manage_app(&self, c: &mut Conn, p: &Principal, app: i64) -> Result<AppManage> {
        if clients::get(c, app).await?.is_none() {
            return Err(Error::NotFound);
        }
        let managers = store::manager_ids(c, app).await?;
        p.manager_of(app, &managers)
    }

    /// The applications whose roles this person defines.
    pub async fn managed_role_apps(&self, p: &Principal) -> Result<Vec<clients::Client>> {
        let mut c = self.db.read().await?;
        let ids = if p.is_system_admin() {
            clients::all_ids(&mut c).await?
        } else {
            store::managed_apps(&mut c, p.account_id()).await?
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(a) = clients::get(&mut c, id).await? {
                out.push(a);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One application's roles page, for its managers and system admins.
    pub async fn app_roles(&self, p: &Principal, app: i64) -> Result<AppRoles> {
        let mut c = self.db.read().await?;
        self.manage_app(&mut c, p, app).await?;
        Ok(AppRoles {
            app: clients::get(&mut c, app).await?.ok_or(Error::NotFound)?,
            roles: store::roles_of(&mut c, app, true).await?,
            managers: store::managers(&mut c, app).await?,
            categories: store::categories(&mut c, false).await?,
            orgs: store::orgs(&mut c, "", false, 1, 500).await?.items,
        })
    }

    /// Adds a role (`id` None) or changes one.
    pub async fn save_app_role(
        &self,
        p: &Principal,
        ctx: &Ctx,
        app: i64,
        id: Option<i64>,
        d: &RoleDraft,
    ) -> Result<i64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let w = self.manage_app(&mut tx, p, app).await?;
        let f = RoleInput {
            code: &d.code,
            name: &d.name,
            description: &d.description,
            needs_category: d.needs_category,
            needs_org: d.needs_org,
            needs_form: d.needs_form,
            needs_undertaking: d.needs_undertaking,
            approver: &d.approver,
            schema: &d.schema,
        }
        .check()?;
        if let Some(cat) = f.needs_category
            && store::category(&mut tx, cat).await?.is_none()
        {
            return Err(Error::invalid(
                "needs_category",
                Msg::new("找不到此會員類別", "No such member category"),
            ));
        }
        if let Some(org) = f.needs_org
            && store::org(&mut tx, org).await?.is_none()
        {
            return Err(Error::invalid(
                "needs_org",
                Msg::new("找不到此組織", "No such organisation"),
            ));
        }
        let id = match id {
            Some(id) => {
                store::update_role(&mut tx, w, id, &f, d.active, now).await?;
                id
            }
            None => store::insert_role(&mut tx, w, &f, now).await?,
        };
        let mut e = def_event(ctx, "access.role", p, "app", app, &f.code);
        e.detail =
            serde_json::json!({"name": f.name, "role": f.code, "active": d.active}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// Appoints an application manager by login.
    pub async fn add_app_manager(
        &self,
        p: &Principal,
        ctx: &Ctx,
        app: i64,
        login: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let w = self.manage_app(&mut tx, p, app).await?;
        let a = accounts::find_by_login(&mut tx, login.trim())
            .await?
            .filter(|a| a.state == portico_core::account::AccountState::Active)
            .ok_or_else(|| {
                Error::invalid(
                    "login",
                    Msg::new("找不到此帳號，或帳號未啟用", "No such active account"),
                )
            })?;
        if !store::add_manager(&mut tx, w, a.id, now).await? {
            return Err(Error::Refused(Msg::new(
                "此帳號已是此應用系統的管理者",
                "This account already manages the application",
            )));
        }
        let mut e = def_event(ctx, "access.manager_add", p, "app", app, &a.login);
        e.detail = serde_json::json!({"login": a.login}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub async fn remove_app_manager(
        &self,
        p: &Principal,
        ctx: &Ctx,
        app: i64,
        account: portico_core::ids::AccountId,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let w = self.manage_app(&mut tx, p, app).await?;
        if !store::remove_manager(&mut tx, w, account).await? {
            return Err(Error::NotFound);
        }
        let login = accounts::get(&mut tx, account)
            .await?
            .map(|a| a.login)
            .unwrap_or_default();
        let mut e = def_event(ctx, "access.manager_remove", p, "app", app, &login);
        e.detail = serde_json::json!({"login": login}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// 應用系統角色維護's list: the applications that offer roles, with
    /// their active roles.
    pub async fn role_apps(&self) -> Result<Vec<(RoleApp, Vec<AppRole>)>> {
        let mut c = self.db.read().await?;
        let apps = store::apps_with_roles(&mut c).await?;
        let mut out = Vec::with_capacity(apps.len());
        for a in apps {
            let roles = store::roles_of(&mut c, a.id, false).await?;
            out.push((a, roles));
        }
        Ok(out)
    }
}
