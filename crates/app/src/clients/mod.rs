//! 應用系統服務介接 (004 §捌 七): a signed-in person registers an
//! application and applies for its services; a system admin reviews each
//! application; the approved services are what the OpenID provider, the
//! account-verification API, the portal tiles and the SMS API allow.

mod api;
mod tiles;
use crate::auth::SignInError;
use crate::oidc::{Client, day_of};
use crate::outbox::Outgoing;
use crate::{App, Ctx, Result, event, mail, random_token, token_hash};
use portico_core::audit::Outcome;
use portico_core::clients::{AppInput, ServiceKind, ips_to_stored};
use portico_core::error::Collector;
use portico_core::ids::OrgUnitId;
use portico_core::org::OrgKind;
use portico_core::outbox::Channel;
use portico_core::permission::Principal;
use portico_core::request::{Decision, check_note};
use portico_core::sso::{self, Claim, ClientType, SigningAlg, UriKind, claims_to_stored};
use portico_core::text::{MobilePhone, clean_text};
use portico_core::{Error, Msg};
use portico_store::clients::{
    self as store_clients, ClientRow, ListFilter, Listed, NewService, Service,
};
use portico_store::{Page, audit, db_err, oauth, orgs};
use serde_json::{Map, Value, json};
use time::Duration;

/// An application as its page shows it.
#[derive(Debug, Clone)]
pub struct AppView {
    pub app: store_clients::Client,
    /// Every application for a service, newest first.
    pub services: Vec<Service>,
    /// Usage per day over the last 30 days.
    pub usage: Vec<store_clients::DayUsage>,
}

impl AppView {
    pub fn approved(&self, kind: ServiceKind) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.kind == kind && s.state == portico_core::clients::ServiceState::Approved)
    }
    pub fn pending(&self, kind: ServiceKind) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.kind == kind && s.state == portico_core::clients::ServiceState::Pending)
    }
    /// May the owner generate a secret? Once any service is approved.
    pub fn may_have_secret(&self) -> bool {
        self.services
            .iter()
            .any(|s| s.state == portico_core::clients::ServiceState::Approved)
    }
}

/// What a person types to apply for a service, and what the form shows
/// again after a refusal. Fields that do not belong to the kind are
/// ignored.
#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    pub kind: String,
    pub claims: Vec<String>,
    pub redirect_uris: String,
    pub post_logout_uris: String,
    pub client_type: String,
    pub signing_alg: String,
    pub api_access: bool,
    pub initiate_login_uri: String,
    pub backchannel_logout_uri: String,
    pub tile_agencies: Vec<i64>,
    pub sms_quota: String,
    pub reason: String,
}

impl ServiceInput {
    pub fn has_claim(&self, c: &Claim) -> bool {
        self.claims.iter().any(|x| x == c.as_str())
    }
    pub fn has_agency(&self, id: &i64) -> bool {
        self.tile_agencies.contains(id)
    }
}

/// The answer of the account-verification API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    pub ok: bool,
    /// Why not: `bad_credentials`, `locked`, `disabled`, `pending`,
    /// `password_expired`, `rate_limited`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
}

fn may_see(actor: &Principal, app: &store_clients::Client) -> bool {
    actor.is_system_admin() || app.owner_id == actor.account_id()
}

pub(crate) fn not_approved(kind: ServiceKind) -> Error {
    Error::Refused(Msg::owned(
        format!("此應用系統尚未核准「{}」服務", kind.label().zh),
        format!(
            "This application is not approved for {}",
            kind.label().en.to_lowercase()
        ),
    ))
}

pub(crate) fn from_registered_ip() -> Error {
    Error::Refused(Msg::new(
        "呼叫來源不是此應用系統登記的正式 IP",
        "The call does not come from one of the application's registered production IPs",
    ))
}

impl App {
    /// 新增應用系統: anyone signed in registers an application they are
    /// responsible for; its managing agency is an agency of the tree.
    pub async fn register_app(
        &self,
        actor: &Principal,
        input: &AppInput<'_>,
        agency: i64,
        ctx: &Ctx,
    ) -> Result<i64> {
        let (fields, agency) = self.check_app(input, agency).await?;
        let client_id = format!("portico-{}", random_token(10)?);
        let ips = ips_to_stored(&fields.ips);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store_clients::insert(
            &mut tx,
            &client_id,
            &row(&fields, agency, &ips),
            actor.account_id(),
            now,
        )
        .await?;
        let mut e = app_event(ctx, "app.create", actor, id, &fields.name);
        e.detail = json!({"client_id": client_id, "ips": ips}).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    async fn check_app(
        &self,
        input: &AppInput<'_>,
        agency: i64,
    ) -> Result<(portico_core::clients::AppFields, OrgUnitId)> {
        let mut errs = match input.check() {
            Ok(_) => Vec::new(),
            Err(Error::Invalid(e)) => e,
            Err(e) => return Err(e),
        };
        let unit = orgs::get(&mut *self.db.read().await?, OrgUnitId(agency)).await?;
        if !unit.is_some_and(|u| u.kind == OrgKind::Agency && u.enabled) {
            errs.push(portico_core::FieldError {
                field: "agency",
                message: Msg::new("請選擇管理機關", "Choose the managing agency"),
            });
        }
        if !errs.is_empty() {
            return Err(Error::Invalid(errs));
        }
        Ok((input.check()?, OrgUnitId(agency)))
    }

    /// Edits an application's registration (owner or system admin).
    pub async fn edit_app(
        &self,
        actor: &Principal,
        id: i64,
        input: &AppInput<'_>,
        agency: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let app = self.app_for(actor, id).await?;
        let (fields, agency) = self.check_app(input, agency).await?;
        // The addresses the APIs trust and the address people are sent to
        // were part of what was approved: once a service is approved, only
        // a system admin changes them.
        if !actor.is_system_admin()
            && (fields.ips != app.ips || fields.url != app.url)
            && !store_clients::approved_of(&mut *self.db.read().await?, id)
                .await?
                .is_empty()
        {
            return Err(Error::Refused(Msg::new(
                "服務核准後，正式 IP 與應用系統網址的變更請洽系統管理者辦理",
                "Once a service is approved, ask a system administrator to change the production IPs or the URL",
            )));
        }
        let ips = ips_to_stored(&fields.ips);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store_clients::update(&mut tx, app.id, &row(&fields, agency, &ips), now).await?;
        let mut e = app_event(ctx, "app.update", actor, app.id, &fields.name);
        e.detail = json!({"ips": ips, "url": fields.url}).to_string();
        audit::append(&mut tx, &e, now).await?;
        // Every node's client cache reloads (versions.rs).
        portico_store::versions::bump(&mut tx, portico_store::versions::CLIENTS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        Ok(())
    }

    async fn app_for(&self, actor: &Principal, id: i64) -> Result<store_clients::Client> {
        store_clients::get(&mut *self.db.read().await?, id)
            .await?
            .filter(|a| may_see(actor, a))
            .ok_or(Error::NotFound)
    }

    /// An application with its services and usage, for its owner or a
    /// system admin (anyone else: not found).
    pub async fn app_view(&self, actor: &Principal, id: i64) -> Result<AppView> {
        let app = self.app_for(actor, id).await?;
        let mut c = self.db.read().await?;
        let services = store_clients::services_of(&mut c, id).await?;
        let since = day_of(self.now() - Duration::days(30));
        let usage = store_clients::usage_of(&mut c, id, &since).await?;
        Ok(AppView {
            app,
            services,
            usage,
        })
    }

    /// The applications a person registered; a system admin sees all
    /// when `all` is asked.
    pub async fn list_apps(
        &self,
        actor: &Principal,
        all: bool,
        name: &str,
        pending_only: bool,
        page: u32,
    ) -> Result<Page<Listed>> {
        // Everyone's applications for system admins; one's own otherwise.
        let owner = if all {
            actor.system_admin().map(|_| None)?
        } else {
            Some(actor.account_id())
        };
        let f = ListFilter {
            owner,
            name: name.chars().take(60).collect(),
            pending_only,
        };
        let since = day_of(self.now() - Duration::days(30));
        store_clients::list(&mut *self.db.read().await?, &f, &since, page.max(1), 20).await
    }

    /// 我要申請: applies for one service of an application.
    pub async fn apply_service(
        &self,
        actor: &Principal,
        app_id: i64,
        input: &ServiceInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let app = self.app_for(actor, app_id).await?;
        let kind = ServiceKind::parse(&input.kind)
            .ok_or_else(|| Error::invalid("kind", Msg::new("請選擇服務", "Choose a service")))?;
        let mut c = Collector::new();
        let claims = if kind.has_claims() {
            c.take("claims", sso::parse_claims(&input.claims))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let (redirect_uris, post_logout_uris) = if kind == ServiceKind::Sso {
            (
                c.take(
                    "redirect_uris",
                    sso::redirect_uris(&input.redirect_uris, true),
                )
                .unwrap_or_default(),
                c.take(
                    "post_logout_uris",
                    sso::redirect_uris(&input.post_logout_uris, false),
                )
                .unwrap_or_default(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let client_type = if kind == ServiceKind::Sso {
            c.take(
                "client_type",
                ClientType::parse(&input.client_type).ok_or(Msg::new(
                    "請選擇應用系統類型",
                    "Choose the kind of application",
                )),
            )
            .unwrap_or(ClientType::Confidential)
        } else {
            ClientType::Confidential
        };
        let signing_alg = if kind == ServiceKind::Sso {
            c.take(
                "signing_alg",
                SigningAlg::parse(&input.signing_alg)
                    .ok_or(Msg::new("請選擇簽章演算法", "Choose the signing algorithm")),
            )
            .unwrap_or(SigningAlg::ES256)
        } else {
            SigningAlg::ES256
        };
        let initiate = if kind == ServiceKind::Tile {
            c.take(
                "initiate_login_uri",
                sso::registered_uri(&input.initiate_login_uri, UriKind::InitiateLogin),
            )
            .unwrap_or_default()
        } else {
            String::new()
        };
        // Optional: an application that keeps no session of its own needs
        // no notice.
        let backchannel =
            if kind == ServiceKind::Sso && !input.backchannel_logout_uri.trim().is_empty() {
                c.take(
                    "backchannel_logout_uri",
                    sso::registered_uri(&input.backchannel_logout_uri, UriKind::BackchannelLogout),
                )
                .unwrap_or_default()
            } else {
                String::new()
            };
        let mut agencies = Vec::new();
        if kind == ServiceKind::Tile {
            let tree = self.org_tree().await?;
            for id in &input.tile_agencies {
                match tree.get(OrgUnitId(*id)) {
                    Some(u) if u.kind == OrgKind::Agency => agencies.push(OrgUnitId(*id)),
                    _ => c.push(
                        "tile_agencies",
                        Msg::new("請從清單選擇機關", "Choose agencies from the list"),
                    ),
                }
            }
            agencies.sort();
            agencies.dedup();
        }
        let quota = if kind == ServiceKind::Sms {
            c.take(
                "sms_quota",
                input
                    .sms_quota
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|q| (1..=10_000).contains(q))
                    .ok_or(Msg::new(
                        "每日簡訊上限須介於 1 至 10000 則",
                        "The daily SMS quota must be 1 to 10000",
                    )),
            )
            .unwrap_or(0)
        } else {
            0
        };
        let reason = c.take("reason", clean_text(&input.reason, 1, 500));
        c.finish()?;
        let reason = reason.unwrap_or_default();
        let now = self.now();
        let stored_claims = claims_to_stored(&claims);
        let mut tx = self.db.begin().await?;
        let id = store_clients::insert_service(
            &mut tx,
            &NewService {
                app_id: app.id,
                kind,
                claims: &stored_claims,
                redirect_uris: &redirect_uris,
                post_logout_uris: &post_logout_uris,
                client_type,
                signing_alg,
                api_access: kind == ServiceKind::Sso && input.api_access,
                initiate_login_uri: &initiate,
                backchannel_logout_uri: &backchannel,
                tile_agencies: &agencies,
                sms_quota: quota,
                reason: &reason,
                submitted_by: actor.account_id(),
                submitted_login: actor.login(),
            },
            now,
        )
        .await?;
        let mut e = app_event(ctx, "app.service.apply", actor, app.id, &app.name);
        e.detail = json!({"service": kind.as_str(), "application": id}).to_string();
        e.reason = reason;
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(id)
    }

    /// One service application (審核紀錄, printable), for the app's owner
    /// or a system admin.
    pub async fn service_view(
        &self,
        actor: &Principal,
        service_id: i64,
    ) -> Result<(store_clients::Client, Service)> {
        let s = store_clients::service(&mut *self.db.read().await?, service_id)
            .await?
            .ok_or(Error::NotFound)?;
        let app = self.app_for(actor, s.app_id).await?;
        Ok((app, s))
    }

    /// A system admin approves or rejects a service application; the
    /// application's contact is mailed. Of two reviewers one decides.
    pub async fn decide_service(
        &self,
        actor: &Principal,
        service_id: i64,
        decision: Decision,
        note: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        let note = check_note(decision, note).map_err(|m| Error::invalid("note", m))?;
        let (app, s) = self.service_view(actor, service_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store_clients::lock(&mut tx, app.id).await?;
        let approve = decision == Decision::Approve;
        if !store_clients::decide_service(
            &mut tx,
            admin.writes(),
            &s,
            approve,
            actor.login(),
            &note,
            now,
        )
        .await?
        {
            return Err(Error::Conflict {
                field: "state",
                message: portico_core::request::already_decided(),
            });
        }
        let action = if approve {
            "app.service.approve"
        } else {
            "app.service.reject"
        };
        let mut e = app_event(ctx, action, actor, app.id, &app.name);
        e.detail = json!({"service": s.kind.as_str(), "application": s.id}).to_string();
        e.reason = note.clone();
        audit::append(&mut tx, &e, now).await?;
        let t = mail::service_decision(&app.name, &s.kind.label(), approve, &note);
        self.mail_contact(&mut tx, &app, t, now).await?;
        // Every node's client cache reloads (versions.rs).
        portico_store::versions::bump(&mut tx, portico_store::versions::CLIENTS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        self.wake_outbox();
        Ok(())
    }

    /// The owner (the person who registered the application) generates or
    /// rotates the client secret and gets it back: the only time anyone
    /// sees it. The previous secret stops working at once. Nobody else
    /// may, a system admin included: a secret handed to someone else could
    /// sign in as the application unseen. A system admin who fears a leak
    /// revokes it instead ([`App::revoke_secret`]). The contact is mailed
    /// either way.
    pub async fn generate_secret(
        &self,
        actor: &Principal,
        app_id: i64,
        ctx: &Ctx,
    ) -> Result<String> {
        let view = self.app_view(actor, app_id).await?;
        if view.app.owner_id != actor.account_id() {
            return Err(Error::Refused(Msg::new(
                "只有應用系統的申請人可以產生用戶端密鑰；系統管理者如認為密鑰外洩，可撤銷密鑰並由申請人重新產生",
                "Only the person who registered the application may generate its client secret; a system admin who suspects a leak may revoke it for the owner to generate a new one",
            )));
        }
        if !view.may_have_secret() {
            return Err(Error::Refused(Msg::new(
                "應用系統至少須有一項服務核准後才能產生用戶端密鑰",
                "A client secret can be generated once a service is approved",
            )));
        }
        let secret = random_token(32)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store_clients::set_secret(&mut tx, app_id, &token_hash(&secret), now).await?;
        let action = if view.app.secret_hash.is_some() {
            "app.secret.rotate"
        } else {
            "app.secret.create"
        };
        audit::append(
            &mut tx,
            &app_event(ctx, action, actor, app_id, &view.app.name),
            now,
        )
        .await?;
        let t = mail::secret_changed(
            &view.app.name,
            actor.login(),
            "",
            portico_core::time::display(now),
        );
        self.mail_contact(&mut tx, &view.app, t, now).await?;
        // Every node's client cache reloads (versions.rs).
        portico_store::versions::bump(&mut tx, portico_store::versions::CLIENTS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        self.wake_outbox();
        Ok(secret)
    }

    /// A system admin revokes the client secret (a suspected leak): it
    /// stops working at once, nobody is shown a new one, and the contact is
    /// mailed to have the owner generate another. Audited with the reason.
    pub async fn revoke_secret(
        &self,
        actor: &Principal,
        app_id: i64,
        note: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        let note = clean_text(note, 1, 200).map_err(|_| {
            Error::invalid(
                "note",
                Msg::new(
                    "請填寫撤銷原因（200 字內）",
                    "Give a reason (at most 200 characters) for revoking",
                ),
            )
        })?;
        let view = self.app_view(actor, app_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store_clients::clear_secret(&mut tx, admin.writes(), app_id, now).await? {
            return Err(Error::Refused(Msg::new(
                "此應用系統目前沒有用戶端密鑰",
                "This application has no client secret",
            )));
        }
        let mut e = app_event(ctx, "app.secret.revoke", actor, app_id, &view.app.name);
        e.reason = note.clone();
        audit::append(&mut tx, &e, now).await?;
        let t = mail::secret_changed(
            &view.app.name,
            actor.login(),
            &note,
            portico_core::time::display(now),
        );
        self.mail_contact(&mut tx, &view.app, t, now).await?;
        portico_store::versions::bump(&mut tx, portico_store::versions::CLIENTS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        self.wake_outbox();
        Ok(())
    }

    /// A mail to the application's contact, with the change that causes it.
    async fn mail_contact(
        &self,
        tx: &mut portico_store::Tx,
        app: &store_clients::Client,
        t: mail::Text,
        now: time::OffsetDateTime,
    ) -> Result<()> {
        crate::outbox::put(
            tx,
            Outgoing {
                channel: Channel::Mail,
                to: &app.contact_email,
                subject: t.subject,
                body: t.body,
                account: None,
                scope_path: "",
                secret: false,
            },
            now,
        )
        .await?;
        Ok(())
    }

    /// A system admin suspends (停用) or reactivates an application. A
    /// suspended client gets no tokens, and its refresh tokens stop.
    pub async fn set_app_suspended(
        &self,
        actor: &Principal,
        app_id: i64,
        suspended: bool,
        note: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let admin = actor.system_admin()?;
        let note = if suspended {
            clean_text(note, 1, 200).map_err(|_| {
                Error::invalid(
                    "note",
                    Msg::new(
                        "停用時請填寫原因（200 字內）",
                        "Give a reason (at most 200 characters) for suspending",
                    ),
                )
            })?
        } else {
            String::new()
        };
        let app = self.app_for(actor, app_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store_clients::set_suspended(&mut tx, admin.writes(), app_id, suspended, &note, now)
            .await?
        {
            return Err(Error::Conflict {
                field: "state",
                message: Msg::new(
                    "應用系統已是此狀態，請重新整理頁面",
                    "The application is already in that state; reload the page",
                ),
            });
        }
        if suspended {
            oauth::revoke(&mut tx, oauth::Grants::App(app_id), now).await?;
        }
        let action = if suspended {
            "app.suspend"
        } else {
            "app.reactivate"
        };
        let mut e = app_event(ctx, action, actor, app_id, &app.name);
        e.reason = note;
        audit::append(&mut tx, &e, now).await?;
        // Every node's client cache reloads (versions.rs).
        portico_store::versions::bump(&mut tx, portico_store::versions::CLIENTS).await?;
        tx.commit().await.map_err(db_err)?;
        self.forget_versions();
        Ok(())
    }
}

fn row<'a>(
    f: &'a portico_core::clients::AppFields,
    agency: OrgUnitId,
    ips: &'a str,
) -> ClientRow<'a> {
    ClientRow {
        name: &f.name,
        short_name: &f.short_name,
        agency_id: agency,
        contact_name: &f.contact_name,
        contact_phone: &f.contact_phone,
        contact_email: &f.contact_email,
        vendor: &f.vendor,
        description: &f.description,
        url: &f.url,
        ips,
    }
}

fn app_event(
    ctx: &Ctx,
    action: &str,
    actor: &Principal,
    app_id: i64,
    name: &str,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "app".into();
    e.target_id = Some(app_id);
    e.target_label = name.to_owned();
    e.outcome = Some(Outcome::Ok);
    e
}

/// The claims a service form offers, with their labels.
pub fn claim_choices() -> Vec<(Claim, Msg)> {
    Claim::ALL.iter().map(|c| (*c, c.label())).collect()
}
