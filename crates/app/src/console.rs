//! The use cases of `portico admin …` on the server's console: no session,
//! so they act as the portal itself ([`Unattended`]), and every one is
//! audited as `cli`.
use crate::{App, Result};
use portico_core::account::AccountState;
use portico_core::ids::AccountId;
use portico_core::permission::{RoleKind, Unattended};
use portico_core::text::PersonName;
use portico_core::{Error, Msg};
use portico_store::accounts::{self, Change};
use portico_store::{audit, db_err, orgs, roles, sessions};

/// An event the command line causes about an account.
fn cli_event(
    action: &str,
    target: AccountId,
    login: &str,
    unit: &portico_core::org::TreePath,
) -> audit::NewEvent {
    let mut e = crate::event(&crate::Ctx::new("cli", "portico admin"), action);
    e.actor_login = "cli".into();
    e.target_kind = "account".into();
    e.target_id = Some(target.0);
    e.target_label = login.to_owned();
    e.scope_path = unit.as_str().to_owned();
    e
}

/// A random password that meets the default policy, for one-time use.
pub(crate) fn one_time_password() -> Result<String> {
    let t = crate::random_token(6)?;
    Ok(format!("Pt#{t}x"))
}

impl App {
    /// The CLI: creates a system admin (and, in an empty tree, a place for
    /// them), with a one-time password to change at first sign-in.
    pub async fn create_system_admin(
        &self,
        login: &str,
        name: &str,
        unit_oid: Option<&str>,
    ) -> Result<String> {
        let cli = Unattended::unattended("portico admin create-system-admin");
        let login =
            portico_core::text::LoginName::parse(login).map_err(|m| Error::invalid("login", m))?;
        let name = PersonName::parse(name).map_err(|m| Error::invalid("name", m))?;
        let pw = one_time_password()?;
        let hash = self.hasher.hash(&pw).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let units = orgs::list_all(&mut tx).await?;
        let unit = match unit_oid {
            Some(oid) => units.into_iter().find(|u| u.oid == oid).ok_or_else(|| {
                Error::invalid(
                    "unit_oid",
                    Msg::new("找不到此 OID 的單位", "No unit has this OID"),
                )
            })?,
            None if units.is_empty() => {
                let g = orgs::insert(
                    &mut tx,
                    cli.system(),
                    orgs::NewUnit {
                        parent: None,
                        kind: portico_core::org::OrgKind::Group,
                        name: "府內單位",
                        oid: &format!("{}.1", crate::demo::CITY_OID),
                        sort_order: 0,
                    },
                    now,
                )
                .await?;
                orgs::insert(
                    &mut tx,
                    cli.system(),
                    orgs::NewUnit {
                        parent: Some(&g),
                        kind: portico_core::org::OrgKind::Agency,
                        name: "智慧發展中心",
                        oid: &format!("{}.1.1", crate::demo::CITY_OID),
                        sort_order: 0,
                    },
                    now,
                )
                .await?
            }
            None => {
                return Err(Error::invalid(
                    "unit_oid",
                    Msg::new(
                        "組織樹已存在，請以 --unit-oid 指定所屬單位",
                        "The org tree exists; choose the unit with --unit-oid",
                    ),
                ));
            }
        };
        let id = accounts::insert(
            &mut tx,
            &accounts::NewAccount {
                login: login.as_str(),
                national_id: None,
                name: name.as_str(),
                unit_id: unit.id,
                title: "",
                office_phone: "",
                office_ext: "",
                mobile: "",
                backup_email: "",
                official_email: "",
                state: AccountState::Active,
                password_hash: Some(&hash),
            },
            now,
        )
        .await?;
        accounts::set_must_change_password(&mut tx, cli.account(id), true).await?;
        roles::grant(
            &mut tx,
            &cli.grant(id, RoleKind::SystemAdmin, None, id),
            now,
        )
        .await?;
        let e = cli_event(
            "account.create_system_admin",
            id,
            login.as_str(),
            &unit.path,
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(pw)
    }

    /// The CLI: a new one-time password for an account, lock lifted, every
    /// session ended.
    pub async fn reset_password_cli(&self, login: &str) -> Result<String> {
        let cli = Unattended::unattended("portico admin reset-password");
        let login =
            portico_core::text::LoginName::parse(login).map_err(|m| Error::invalid("login", m))?;
        let pw = one_time_password()?;
        let hash = self.hasher.hash(&pw).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let a = accounts::find_by_login(&mut tx, login.as_str())
            .await?
            .ok_or(Error::NotFound)?;
        let ch = Change {
            at: now,
            by: "cli",
            note: "重設密碼",
        };
        accounts::set_password(&mut tx, cli.account(a.id), &hash, true, &ch).await?;
        self.queue_password(&mut tx, a.id, &pw).await?;
        self.account_changed(&mut tx, cli.account(a.id), &ch)
            .await?;
        sessions::delete_all_of(&mut tx, a.id, now).await?;
        let e = cli_event("account.password.reset", a.id, &a.login, &a.unit_path);
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(pw)
    }
}
