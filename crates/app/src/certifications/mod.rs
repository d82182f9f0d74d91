//! 權限清查 (002 §六 (二): every user's rights reviewed at least every six
//! months). A campaign over a scope gathers each right held there, sends
//! each to its reviewer (`core::certification::reviewer_of`), and ends at
//! its deadline by revoking or flagging what nobody decided. Decisions,
//! handing on and the schedule are `decide.rs`; the report `report.rs`.
use crate::{App, Ctx, Result, event, mail};
use portico_core::audit::Outcome;
use portico_core::certification::{
    self as rules, Decision, ItemKind, NewCampaign, Reviewer, ScopeKind, check_campaign,
};
use portico_core::ids::{AccountId, OrgUnitId};
use portico_core::org::{OrgKind, TreePath};
use portico_core::permission::{CampaignOwner, CampaignSeen, ItemSeen, Principal, RoleKind};
use portico_core::{Error, Msg};
use portico_store::certifications::{self as store, Campaign, Item, ItemFilter};
use portico_store::{Conn, Page, audit, db_err, orgs, roles};
use serde_json::json;
use std::collections::BTreeMap;

mod decide;
mod report;

pub use decide::{Action, DecideOutcome};

/// Where a campaign is to look, as the form sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OpenInput {
    pub name: String,
    pub scope_kind: String,
    /// The agency or unit.
    pub unit: Option<i64>,
    pub app: Option<i64>,
    pub deadline: String,
    pub on_expiry: String,
}

/// A scope resolved: what it is, its id, and where an owner's rank must
/// reach.
pub(crate) struct Scope {
    kind: ScopeKind,
    id: i64,
    place: Option<(i64, TreePath)>,
    /// The accounts' subtree, for a unit or agency.
    under: Option<TreePath>,
}

impl Scope {
    /// An agency and everyone under it.
    pub(crate) fn agency(a: &orgs::OrgUnit) -> Scope {
        Scope {
            kind: ScopeKind::Agency,
            id: a.id.0,
            place: Some((a.id.0, a.path.clone())),
            under: Some(a.path.clone()),
        }
    }
}

/// Who opens a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opening {
    Admin,
    Schedule,
    /// The demo's seed, which mails nobody.
    Seed,
}

/// What the actor may open a campaign over.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub city: bool,
    /// (id, name, is an agency), agencies first in tree order.
    pub units: Vec<(i64, String, bool)>,
    pub apps: Vec<(i64, String)>,
}

impl Choices {
    pub fn any(&self) -> bool {
        self.city || !self.units.is_empty() || !self.apps.is_empty()
    }
}

/// One item as its page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: Item,
    /// The right in words: 機關管理者（民政局）.
    pub what: String,
    /// Who reviews it, in words.
    pub reviewer_label: String,
    /// Six months or more without signing in (or never).
    pub unused: bool,
    /// The sign-in methods bound besides the password.
    pub methods: String,
    /// May the viewer decide it now?
    pub may_decide: bool,
}

/// What a campaign's page shows.
#[derive(Debug, Clone)]
pub struct CampaignView {
    pub campaign: Campaign,
    /// The viewer owns it: sees every item and takes the report.
    pub owner: bool,
    pub items: Page<ItemView>,
    /// Items waiting on the viewer's own list.
    pub mine: i64,
}

/// Which items a campaign's page lists.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ViewFilter {
    /// `mine` (the default: the viewer's list), or `all` for an owner.
    pub show: String,
    /// `pending` (default), `decided` or `any`.
    pub state: String,
    pub kind: String,
    pub q: String,
    pub page: u32,
}

pub const PER_PAGE: u32 = 50;

/// The right in words.
pub fn what(i: &Item) -> String {
    match i.kind {
        ItemKind::AdminRole => {
            let role = RoleKind::parse(&i.code)
                .map(|k| k.label().zh.to_string())
                .unwrap_or_else(|| i.code.clone());
            if i.name.is_empty() {
                role
            } else {
                format!("{role}（{}）", i.name)
            }
        }
        ItemKind::Custodian => format!("{} 保管人", i.name),
        _ => i.name.clone(),
    }
}

/// Who reviews an item, in words.
pub fn reviewer_label(i: &Item) -> String {
    match i.reviewer {
        Reviewer::Unit(_) => format!("{} 單位管理者", i.reviewer_name),
        Reviewer::Agency(_) => format!("{} 機關管理者", i.reviewer_name),
        Reviewer::App(_) => format!("{} 應用系統管理者", i.reviewer_name),
        Reviewer::System => "系統管理者".into(),
        Reviewer::Person(_) => format!("{}（轉交）", i.reviewer_name),
    }
}

fn methods(i: &Item) -> String {
    let mut m = vec!["密碼".to_string()];
    if i.totp {
        m.push("驗證器".into());
    }
    if i.passkeys > 0 {
        m.push(format!("通行金鑰 {}", i.passkeys));
    }
    if i.certificates > 0 {
        m.push("自然人憑證".into());
    }
    m.join("、")
}

pub(crate) fn target(e: &mut audit::NewEvent, c: &Campaign) {
    e.target_kind = "certification".into();
    e.target_id = Some(c.id);
    e.target_label = c.name.clone();
    e.scope_path = c
        .place_path
        .as_ref()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
}

/// A right is in one open review at a time: a city, agency or unit
/// campaign may not cover people another open one covers (an
/// application's campaign stands beside them).
async fn refuse_overlap(c: &mut Conn, scope: &Scope) -> Result<()> {
    if scope.kind == ScopeKind::App {
        return Ok(());
    }
    for o in store::open(c).await? {
        if o.scope_kind == ScopeKind::App {
            continue;
        }
        let overlaps = match (scope.under.as_ref(), o.place_path.as_ref()) {
            (Some(a), Some(b)) => a.contains(b) || b.contains(a),
            _ => true,
        };
        if overlaps {
            return Err(Error::Conflict {
                field: "scope",
                message: Msg::owned(
                    format!(
                        "「{}」仍在進行中，範圍與此重疊；請待它結束（{}）後再開始，以免同一項權限被清查兩次",
                        o.name,
                        portico_core::time::date_str(o.deadline)
                    ),
                    format!(
                        "\"{}\" is still open and covers some of the same people; open this once it ends ({})",
                        o.name,
                        portico_core::time::date_str(o.deadline)
                    ),
                ),
            });
        }
    }
    Ok(())
}

impl App {
    async fn scope_of(
        &self,
        c: &mut Conn,
        kind: ScopeKind,
        unit: Option<i64>,
        app: Option<i64>,
    ) -> Result<Scope> {
        let missing = |field: &'static str, zh: &str, en: &str| {
            Error::invalid(field, Msg::owned(zh.to_owned(), en.to_owned()))
        };
        Ok(match kind {
            ScopeKind::City => Scope {
                kind,
                id: 0,
                place: None,
                under: None,
            },
            ScopeKind::Agency | ScopeKind::Unit => {
                let u = match unit {
                    Some(u) => orgs::get(c, OrgUnitId(u)).await?,
                    None => None,
                };
                let Some(u) = u.filter(|u| u.kind != OrgKind::Group) else {
                    return Err(missing(
                        "unit",
                        "請選擇要清查的機關或單位",
                        "Choose the agency or unit to review",
                    ));
                };
                if kind == ScopeKind::Agency && u.kind != OrgKind::Agency {
                    return Err(missing(
                        "unit",
                        "所選的不是機關，請改選「單位」範圍或選擇機關",
                        "That is not an agency; choose the unit scope, or an agency",
                    ));
                }
                Scope {
                    kind,
                    id: u.id.0,
                    place: Some((u.id.0, u.path.clone())),
                    under: Some(u.path),
                }
            }
            ScopeKind::App => {
                let a = match app {
                    Some(a) => portico_store::clients::get(c, a).await?,
                    None => None,
                };
                let Some(a) = a else {
                    return Err(missing(
                        "app",
                        "請選擇要清查的應用系統",
                        "Choose the application to review",
                    ));
                };
                let agency = orgs::get(c, a.agency_id).await?.ok_or(Error::NotFound)?;
                Scope {
                    kind,
                    id: a.id,
                    place: Some((agency.id.0, agency.path)),
                    under: None,
                }
            }
        })
    }

    /// Opens a campaign (a system admin for the city, an agency admin or
    /// above for an agency, a unit or an application of their agency):
    /// every right held in the scope goes to its reviewer, who is mailed.
    /// Returns the campaign's id.
    pub async fn open_campaign(
        &self,
        actor: &Principal,
        input: &OpenInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let kind = ScopeKind::parse(&input.scope_kind).ok_or_else(|| {
            Error::invalid(
                "scope_kind",
                Msg::new("請選擇清查範圍", "Choose what the review covers"),
            )
        })?;
        let mut c = self.db.read().await?;
        let scope = self.scope_of(&mut c, kind, input.unit, input.app).await?;
        drop(c);
        let owner = actor.campaign_owner(&CampaignSeen {
            kind,
            place: scope.place.as_ref().map(|(_, p)| p),
        })?;
        let n = check_campaign(&input.name, &input.deadline, &input.on_expiry, self.today())?;
        self.open_as(owner, &scope, &n, Opening::Admin, ctx).await
    }

    /// Opens a campaign as `owner` proved: gathers the rights, writes the
    /// items, records the event and mails each reviewer their count (the
    /// demo's seed mails nobody), in one transaction.
    pub(crate) async fn open_as(
        &self,
        owner: CampaignOwner,
        scope: &Scope,
        n: &NewCampaign,
        how: Opening,
        ctx: &Ctx,
    ) -> Result<i64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        refuse_overlap(&mut tx, scope).await?;
        let id = store::insert(
            &mut tx,
            &owner,
            &store::NewCampaign {
                name: &n.name,
                scope_kind: scope.kind,
                scope_id: scope.id,
                place_unit_id: scope.place.as_ref().map(|(u, _)| *u),
                deadline: n.deadline,
                on_expiry: n.on_expiry,
                scheduled: how == Opening::Schedule,
            },
            now,
        )
        .await?;
        let app = (scope.kind == ScopeKind::App).then_some(scope.id);
        let found = store::holdings(&mut tx, scope.under.as_ref(), app).await?;
        let items: Vec<_> = found
            .into_iter()
            .map(|h| {
                let r = rules::reviewer_of(&h);
                (h, r)
            })
            .collect();
        if items.is_empty() {
            return Err(Error::Refused(Msg::new(
                "這個範圍目前沒有任何人持有可清查的權限",
                "Nobody in this scope holds a right to review",
            )));
        }
        store::insert_items(&mut tx, &owner, id, &items).await?;
        let campaign = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let mut e = event(ctx, "certification.open");
        self.as_actor(&mut tx, &mut e, owner.by()).await?;
        target(&mut e, &campaign);
        e.outcome = Some(Outcome::Ok);
        e.detail = json!({
            "scope": scope.kind.as_str(), "items": items.len(),
            "deadline": portico_core::time::date_str(n.deadline),
            "on_expiry": n.on_expiry.as_str(),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        if how != Opening::Seed {
            self.mail_reviewers(&mut tx, &campaign, mail::campaign_opened)
                .await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.wake_outbox();
        Ok(id)
    }

    /// Mails each reviewer still holding items in `c` once, with their
    /// count (a person reviewing for several units hears the sum).
    pub(crate) async fn mail_reviewers(
        &self,
        tx: &mut portico_store::Tx,
        c: &Campaign,
        text: fn(&Campaign, i64) -> mail::Text,
    ) -> Result<()> {
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for (r, k) in store::waiting_reviewers(tx, c.id).await? {
            for to in self.reviewer_mail(tx, r).await? {
                *counts.entry(to).or_default() += k;
            }
        }
        let path = c
            .place_path
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        for (to, k) in counts {
            self.put_mail(tx, &to, text(c, k), None, &path).await?;
        }
        Ok(())
    }

    /// Fills the actor's fields of an event: a person, or the portal.
    pub(crate) async fn as_actor(
        &self,
        c: &mut Conn,
        e: &mut audit::NewEvent,
        by: Option<AccountId>,
    ) -> Result<()> {
        if let Some(by) = by {
            let a = portico_store::accounts::get(c, by)
                .await?
                .ok_or(Error::Unauthenticated)?;
            e.actor_id = Some(by.0);
            e.actor_login = a.login;
        }
        Ok(())
    }

    /// The addresses of whoever reviews for `r`: a unit's own admins (or,
    /// without any, its agency's), an agency's admins, an application's
    /// managers (or the system admins), the system admins, a person.
    pub(crate) async fn reviewer_mail(&self, c: &mut Conn, r: Reviewer) -> Result<Vec<String>> {
        let mut to: Vec<String> = match r {
            Reviewer::Unit(u) => {
                let own = roles::unit_admins_of(c, OrgUnitId(u)).await?;
                if own.is_empty() {
                    match orgs::get(c, OrgUnitId(u)).await?.and_then(|u| u.agency_id) {
                        Some(a) => roles::agency_admins(c, a).await?,
                        None => Vec::new(),
                    }
                } else {
                    own
                }
                .into_iter()
                .map(|a| a.official_email)
                .collect()
            }
            Reviewer::Agency(a) => roles::agency_admins(c, OrgUnitId(a))
                .await?
                .into_iter()
                .map(|a| a.official_email)
                .collect(),
            Reviewer::App(app) => {
                let mut out = Vec::new();
                for m in portico_store::access::defs::manager_ids(c, app).await? {
                    if let Some(a) = portico_store::accounts::get(c, m).await? {
                        out.push(a.official_email);
                    }
                }
                if out.is_empty() {
                    out = roles::system_admins(c)
                        .await?
                        .into_iter()
                        .map(|a| a.official_email)
                        .collect();
                }
                out
            }
            Reviewer::System => roles::system_admins(c)
                .await?
                .into_iter()
                .map(|a| a.official_email)
                .collect(),
            Reviewer::Person(p) => portico_store::accounts::get(c, AccountId(p))
                .await?
                .map(|a| vec![a.official_email])
                .unwrap_or_default(),
        };
        to.retain(|t| !t.is_empty());
        to.sort();
        to.dedup();
        Ok(to)
    }

    /// May `actor` own this campaign?
    fn owner_of(&self, actor: &Principal, c: &Campaign) -> Result<CampaignOwner> {
        actor.campaign_owner(&CampaignSeen {
            kind: c.scope_kind,
            place: c.place_path.as_ref(),
        })
    }

    /// The subtrees where `actor` ranks agency admin or above (`None`:
    /// everywhere), and their review list.
    async fn lists_of(
        &self,
        c: &mut Conn,
        actor: &Principal,
    ) -> Result<(Option<Vec<TreePath>>, portico_core::permission::Reviewing)> {
        let apps = portico_store::access::defs::managed_apps(c, actor.account_id()).await?;
        let r = actor.reviewing(apps);
        let owned = (!r.all()).then(|| r.agency_roots().to_vec());
        Ok((owned, r))
    }

    /// The scopes the actor may open a campaign over.
    pub async fn campaign_choices(&self, actor: &Principal) -> Result<Choices> {
        let mut c = self.db.read().await?;
        let owns = |kind: ScopeKind, path: Option<&TreePath>| {
            actor
                .campaign_owner(&CampaignSeen { kind, place: path })
                .is_ok()
        };
        let all = orgs::list_all(&mut c).await?;
        let names: std::collections::HashMap<i64, String> =
            all.iter().map(|u| (u.id.0, u.name.clone())).collect();
        let mut units: Vec<(i64, String, bool, String)> = all
            .iter()
            .filter(|u| u.enabled && u.kind != OrgKind::Group)
            .filter(|u| owns(ScopeKind::Unit, Some(&u.path)))
            .map(|u| {
                let agency = u.agency_id.and_then(|a| names.get(&a.0)).cloned();
                let label = match agency {
                    Some(a) if u.kind != OrgKind::Agency => format!("{a} {}", u.name),
                    _ => u.name.clone(),
                };
                (
                    u.id.0,
                    label,
                    u.kind == OrgKind::Agency,
                    u.path.as_str().to_owned(),
                )
            })
            .collect();
        units.sort_by(|a, b| a.3.cmp(&b.3));
        let mut apps = Vec::new();
        for a in portico_store::access::defs::apps_with_roles(&mut c).await? {
            if let Some(client) = portico_store::clients::get(&mut c, a.id).await?
                && let Some(agency) = orgs::get(&mut c, client.agency_id).await?
                && owns(ScopeKind::App, Some(&agency.path))
            {
                apps.push((a.id, a.name));
            }
        }
        Ok(Choices {
            city: owns(ScopeKind::City, None),
            units: units.into_iter().map(|(i, n, a, _)| (i, n, a)).collect(),
            apps,
        })
    }

    /// The campaigns the actor owns or has items in, newest first, each
    /// with the items waiting on their list.
    pub async fn campaigns(&self, actor: &Principal, page: u32) -> Result<Page<(Campaign, i64)>> {
        let mut c = self.db.read().await?;
        let (owned, r) = self.lists_of(&mut c, actor).await?;
        store::list(&mut c, owned.as_deref(), &r, page, 20).await
    }

    /// One campaign: its owner sees every item, a reviewer their list;
    /// anyone else is told it is not found.
    pub async fn campaign(
        &self,
        actor: &Principal,
        id: i64,
        f: &ViewFilter,
    ) -> Result<CampaignView> {
        let mut c = self.db.read().await?;
        let campaign = store::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let owner = self.owner_of(actor, &campaign).is_ok();
        let (_, r) = self.lists_of(&mut c, actor).await?;
        let now = self.now();
        let mine_filter = ItemFilter {
            reviewing: Some(&r),
            pending: Some(true),
            ..Default::default()
        };
        let mine = store::items(&mut c, id, &mine_filter, now, 1, 1)
            .await?
            .total;
        if !owner {
            let any = ItemFilter {
                reviewing: Some(&r),
                ..Default::default()
            };
            if store::items(&mut c, id, &any, now, 1, 1).await?.total == 0 {
                return Err(Error::NotFound);
            }
        }
        let kind = ItemKind::parse(&f.kind);
        let q = f.q.trim();
        let filter = ItemFilter {
            reviewing: (!owner || f.show != "all").then_some(&r),
            pending: match f.state.as_str() {
                "decided" => Some(false),
                "any" => None,
                _ => Some(true),
            },
            kind,
            q: (!q.is_empty()).then_some(q),
        };
        let page = store::items(&mut c, id, &filter, now, f.page.max(1), PER_PAGE).await?;
        let open = campaign.state == rules::State::Open;
        let mut views = Vec::with_capacity(page.items.len());
        for i in page.items {
            let may =
                open && i.decision.is_none() && self.certifier_of(&mut c, actor, &i).await.is_ok();
            views.push(ItemView {
                what: what(&i),
                reviewer_label: reviewer_label(&i),
                unused: rules::unused(i.last_used_at, now),
                methods: methods(&i),
                may_decide: may,
                item: i,
            });
        }
        Ok(CampaignView {
            campaign,
            owner,
            items: Page {
                items: views,
                total: page.total,
                page: page.page,
                per_page: page.per_page,
            },
            mine,
        })
    }

    /// The check of one item against the actor, with the application's
    /// managers read for an application's role.
    pub(crate) async fn certifier_of(
        &self,
        c: &mut Conn,
        actor: &Principal,
        i: &Item,
    ) -> Result<portico_core::permission::Certifier> {
        let managers = match i.reviewer {
            Reviewer::App(app) => portico_store::access::defs::manager_ids(c, app).await?,
            _ => Vec::new(),
        };
        actor.certifier(&ItemSeen {
            account: AccountId(i.account_id),
            reviewer: i.reviewer,
            place: i.reviewer_path.as_ref(),
            managers: &managers,
        })
    }
}

/// A decision's label, for pages and the report.
pub fn decision_label(d: Option<Decision>) -> Msg {
    d.map(Decision::label)
        .unwrap_or_else(|| Msg::new("待清查", "Waiting"))
}
