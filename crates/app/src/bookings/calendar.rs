//! Calendar feeds (RFC 5545): the person's own bookings, or one venue's,
//! car's or driver's, at an unguessable address they can revoke. Only the
//! token's hash is kept; each fetch reads as the owner as they are then,
//! so a disabled owner's feeds, or an item they no longer may see, go
//! quiet.
use crate::{App, Ctx, Result, event, random_token, token_hash};
use portico_core::booking::{Kind, State, may_borrow};
use portico_core::ical;
use portico_core::permission::Principal;
use portico_core::{Error, Msg};
use portico_store::bookings::{self as store, BookingFilter, Feed};
use portico_store::{audit, db_err};
use serde_json::json;
use time::Duration;

/// A feed just made: the address, shown once.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub id: i64,
    pub token: String,
}

/// What a feed is of: `None` the person's own bookings.
fn kind_str(item: Option<(Kind, i64)>) -> &'static str {
    item.map(|(k, _)| k.as_str()).unwrap_or("mine")
}

impl App {
    /// May the actor follow this item's calendar? Its keepers may; so may
    /// those who may borrow a venue or a car (they see its week already).
    pub(crate) async fn may_follow(
        &self,
        actor: &Principal,
        kind: Kind,
        id: i64,
    ) -> Result<String> {
        if kind == Kind::Repair {
            // A repair type is never booked: it has no calendar.
            return Err(Error::NotFound);
        }
        let mut c = self.db.read().await?;
        if let Ok((item, _)) = self.kept_item(&mut c, actor, kind, id).await {
            return Ok(item.label);
        }
        let item = store::item(&mut c, kind, id)
            .await?
            .ok_or(Error::NotFound)?;
        let me = self.borrower(&mut c, actor).await?;
        let lends = match kind {
            Kind::Venue => store::venue(&mut c, id)
                .await?
                .filter(|v| v.public)
                .map(|v| (v.borrowers, v.agency_id, v.agencies)),
            Kind::Car => store::car(&mut c, id)
                .await?
                .filter(|v| v.public)
                .map(|v| (v.borrowers, v.agency_id, v.agencies)),
            Kind::Driver | Kind::Repair => None,
        };
        match lends {
            Some((who, owner, listed))
                if may_borrow(who, owner, &listed, me.agency_id.map(|a| a.0)) =>
            {
                Ok(item.label)
            }
            _ => Err(Error::NotFound),
        }
    }

    /// Makes a feed of the person's own bookings (`None`) or of an item
    /// they may follow. The address is returned once.
    pub async fn create_feed(
        &self,
        actor: &Principal,
        item: Option<(Kind, i64)>,
        ctx: &Ctx,
    ) -> Result<NewFeed> {
        let label = match item {
            Some((k, id)) => self.may_follow(actor, k, id).await?,
            None => "我的借用".to_owned(),
        };
        let mut c = self.db.read().await?;
        if store::feeds_of(&mut c, actor.account_id()).await?.len() >= 50 {
            return Err(Error::Refused(Msg::new(
                "行事曆訂閱網址已達 50 個，請先停用不用的網址",
                "You have 50 calendar addresses; revoke unused ones first",
            )));
        }
        drop(c);
        let token = random_token(24)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_feed(
            &mut tx,
            actor.own_account(),
            &token_hash(&token),
            kind_str(item),
            item.map(|(_, i)| i),
            now,
        )
        .await?;
        let mut e = event(ctx, "calendar.create");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        e.target_kind = "calendar_feed".into();
        e.target_id = Some(id);
        e.target_label = label;
        e.scope_path = actor.unit_path().as_str().to_owned();
        e.detail = json!({ "feed": kind_str(item) }).to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(NewFeed { id, token })
    }

    /// The person's feeds in use.
    pub async fn my_feeds(&self, actor: &Principal) -> Result<Vec<Feed>> {
        store::feeds_of(&mut *self.db.read().await?, actor.account_id()).await
    }

    /// The owner revokes a feed.
    pub async fn revoke_feed(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::revoke_feed(&mut tx, actor.own_account(), id, now).await? {
            return Err(Error::NotFound);
        }
        let mut e = event(ctx, "calendar.revoke");
        e.actor_id = Some(actor.account_id().0);
        e.actor_login = actor.login().to_owned();
        e.target_kind = "calendar_feed".into();
        e.target_id = Some(id);
        e.scope_path = actor.unit_path().as_str().to_owned();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The calendar a token opens, or `None` (unknown, revoked, its owner
    /// disabled, or the item no longer theirs to follow): from 30 days ago
    /// to 180 days ahead.
    pub async fn feed_calendar(&self, token: &str) -> Result<Option<String>> {
        let mut c = self.db.read().await?;
        let Some(feed) = store::feed_by_hash(&mut c, &token_hash(token)).await? else {
            return Ok(None);
        };
        drop(c);
        let Some(owner) = self.principal_now(feed.account_id).await? else {
            return Ok(None);
        };
        let item = match (Kind::parse(&feed.kind), feed.item_id) {
            (Some(k), Some(id)) => Some((k, id)),
            _ => None,
        };
        let name = match item {
            Some((k, id)) => match self.may_follow(&owner, k, id).await {
                Ok(label) => label,
                Err(Error::NotFound | Error::Forbidden) => return Ok(None),
                Err(e) => return Err(e),
            },
            None => format!("{} 的場地及公務車借用", owner.name()),
        };
        let now = self.now();
        let (from, until) = (now - Duration::days(30), now + Duration::days(180));
        let states: &[State] = if item.is_some() {
            &[State::Approved]
        } else {
            &[State::Pending, State::Approved]
        };
        let f = BookingFilter {
            kind: item.map(|(k, _)| if k == Kind::Driver { Kind::Car } else { k }),
            item: item.filter(|(k, _)| *k != Kind::Driver).map(|(_, i)| i),
            driver: item.filter(|(k, _)| *k == Kind::Driver).map(|(_, i)| i),
            account: item.is_none().then(|| owner.account_id()),
            states,
            from: Some(from),
            until: Some(until),
            ..Default::default()
        };
        let all = store::bookings(&mut *self.db.read().await?, &f, 1, 0)
            .await?
            .items;
        let events: Vec<ical::Event> = all
            .iter()
            .map(|b| {
                let (summary, description) = if item.is_some() {
                    // Followers of an item see who holds it, not why.
                    (
                        format!("{} 已借出（{}）", b.item_name, b.unit_name),
                        String::new(),
                    )
                } else {
                    let mut d = format!("申請事由：{}\n狀態：{}", b.purpose, b.state.label().zh);
                    if b.kind == Kind::Car {
                        let who = if b.driver_name.is_empty() {
                            "自駕".to_owned()
                        } else {
                            b.driver_name.clone()
                        };
                        d.push_str(&format!("\n目的地：{}\n派遣司機：{who}", b.destination));
                    }
                    (format!("{}：{}", b.item_name, b.purpose), d)
                };
                ical::Event {
                    uid: format!("booking-{}@portico", b.id),
                    start: b.starts_at,
                    end: b.ends_at,
                    summary,
                    location: b.item_label.clone(),
                    description,
                    confirmed: b.state == State::Approved,
                    stamp: b.decided_at.unwrap_or(b.created_at),
                }
            })
            .collect();
        Ok(Some(ical::calendar(&name, &events)))
    }
}
