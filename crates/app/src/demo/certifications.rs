//! The demo's access review (issue 15, 002 §六 (二)): 民政局's statistics
//! staff hold the statistician's category, the bureau's membership and the
//! sample application's role; most signed in lately, a few not for months.
//! 民政局's review is open, about half of it decided by its admin and the
//! application's manager, one item handed on, the rest waiting with the
//! unused accounts first.
use super::{Rng, SEED};
use crate::certifications::{Action, Opening, Scope};
use crate::{App, Ctx, Result};
use portico_core::access::Step;
use portico_core::account::AccountState;
use portico_core::certification::{ItemKind, NewCampaign, OnExpiry, Reviewer};
use portico_core::ids::AccountId;
use portico_core::org::OrgKind;
use portico_store::access::defs as store_defs;
use portico_store::certifications::{self as store, ItemFilter};
use portico_store::{accounts, clients, db_err, orgs};
use time::Duration;

/// How many of 民政局's crowd do its statistics.
const STATISTICIANS: usize = 8;

impl App {
    /// 民政局's open review, once the seed is committed (opening and each
    /// decision are transactions of their own).
    pub(super) async fn seed_demo_review(&self) -> Result<()> {
        let now = self.now();
        let mut rng = Rng(0xC3E7_1F1E_5EED);
        let mut tx = self.db.begin().await?;
        let tree = orgs::list_all(&mut tx).await?;
        let Some(civil) = tree
            .iter()
            .find(|u| u.name == "民政局" && u.kind == OrgKind::Agency)
            .cloned()
        else {
            return Ok(());
        };
        let mut person = Vec::new();
        for l in ["civil_admin", "stat_mgr"] {
            person.push(
                accounts::find_by_login(&mut tx, l)
                    .await?
                    .ok_or_else(|| crate::Error::internal(format!("demo account {l}")))?,
            );
        }
        let (civil_admin, stat_mgr) = (person[0].clone(), person[1].clone());
        let named: Vec<String> = super::named_accounts()
            .into_iter()
            .map(|a| a.login)
            .collect();
        let stausr = store_defs::categories(&mut tx, false)
            .await?
            .into_iter()
            .find(|c| c.code == "stausr");
        let org = store_defs::orgs(&mut tx, "民政局", false, 1, 5)
            .await?
            .items
            .into_iter()
            .find(|o| o.unit_id == Some(civil.id));
        let sample = clients::by_client_id(&mut tx, super::clients::SAMPLE_CLIENT_ID).await?;
        let role = match &sample {
            Some(app) => store_defs::roles_of(&mut tx, app.id, false)
                .await?
                .into_iter()
                .find(|r| r.code == "stat.user"),
            None => None,
        };
        let (Some(stausr), Some(org), Some(role)) = (stausr, org, role) else {
            return Ok(());
        };
        let title = org.titles.first().map(|t| t.id);
        // 民政局's crowd signed in: most within weeks, a few half a year
        // ago or more (the idle sweep will disable them), some never. The
        // named accounts are left as they are, never signed in.
        let mut crowd = Vec::new();
        for id in orgs::accounts_in_subtree(&mut tx, &civil.path).await? {
            let Some(a) = accounts::get(&mut tx, AccountId(id)).await? else {
                continue;
            };
            if a.state != AccountState::Active || named.contains(&a.login) {
                continue;
            }
            let at = match rng.below(10) {
                0..7 => Some(now - Duration::minutes(60 + rng.below(30 * 24 * 60) as i64)),
                7..9 => Some(now - Duration::days(190 + rng.below(150) as i64)),
                _ => None,
            };
            if let Some(t) = at {
                accounts::record_sign_in(&mut tx, SEED.account(a.id), t).await?;
            }
            crowd.push(a.id);
        }
        // Its statistics staff, granted over the last year or two.
        for (k, id) in crowd.iter().take(STATISTICIANS).enumerate() {
            let at = now - Duration::days(60 + rng.below(600) as i64);
            let g = SEED.access(*id);
            // Two of them moved on half a year ago and kept their rights.
            if k == 0 || k == 2 {
                let last = now - Duration::days(200 + 20 * k as i64);
                accounts::record_sign_in(&mut tx, SEED.account(*id), last).await?;
            }
            portico_store::access::grant_directly(&mut tx, g, Step::Category, stausr.id, None, at)
                .await?;
            if k < 6 {
                portico_store::access::grant_directly(&mut tx, g, Step::Org, org.id, title, at)
                    .await?;
            }
            if k < 5 {
                portico_store::access::grant_directly(&mut tx, g, Step::Role, role.id, None, at)
                    .await?;
            }
        }
        tx.commit().await.map_err(db_err)?;

        // The review, opened by 民政局's admin.
        let today = self.today();
        let ctx = Ctx::new("127.0.0.1", "portico demo");
        let n = NewCampaign {
            name: format!("民政局 {} 年下半年權限清查", today.year() - 1911),
            deadline: today + Duration::days(21),
            on_expiry: OnExpiry::Revoke,
        };
        let id = self
            .open_as(
                SEED.campaign_owner_for(civil_admin.id),
                &Scope::agency(&civil),
                &n,
                Opening::Seed,
                &ctx,
            )
            .await?;
        let items = store::items(
            &mut *self.db.read().await?,
            id,
            &ItemFilter::default(),
            now,
            1,
            0,
        )
        .await?
        .items;
        // About half decided: the bureau's admin keeps the mail accounts'
        // custody (but one) and some recent rights and revokes two long-unused memberships; the
        // application's manager keeps some of its roles and hands one to
        // the bureau's admin. The admins' own roles wait.
        let mut revoked = 0;
        let mut handed = false;
        let mut custody_left = false;
        for (k, item) in items.iter().enumerate() {
            let unused = portico_core::certification::unused(item.last_used_at, now);
            let (by, action, note) = match item.reviewer {
                _ if item.kind == ItemKind::AdminRole => continue,
                // The first mail account's custody is left waiting.
                _ if item.kind == ItemKind::Custodian && !custody_left => {
                    custody_left = true;
                    continue;
                }
                _ if item.kind == ItemKind::Custodian => (&civil_admin, Action::Keep, "仍負責保管"),
                Reviewer::App(_) if !handed => {
                    handed = true;
                    (&stat_mgr, Action::HandOn(civil_admin.login.clone()), "")
                }
                Reviewer::App(_) if k % 2 == 0 => (&stat_mgr, Action::Keep, "業務需要，保留"),
                Reviewer::Unit(_) if unused && revoked < 2 && item.kind == ItemKind::Membership => {
                    revoked += 1;
                    (&civil_admin, Action::Revoke, "已調整職務，不再辦理統計業務")
                }
                Reviewer::Agency(_) | Reviewer::Unit(_) if !unused && k % 2 == 1 => {
                    (&civil_admin, Action::Keep, "")
                }
                _ => continue,
            };
            let to = match &action {
                Action::HandOn(_) => Some(&civil_admin),
                _ => None,
            };
            let cert = SEED.certifier_for(by.id, AccountId(item.account_id));
            let mut tx = self.db.begin().await?;
            match self
                .certify(&mut tx, &cert, &by.login, item, &action, note, to, &ctx)
                .await
            {
                Ok(()) => tx.commit().await.map_err(db_err)?,
                // A guard (an agency's only admin) keeps it waiting.
                Err(crate::Error::Refused(_) | crate::Error::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
