//! Comments on a post (留言) and its author's replies (回覆留言, seed 004
//! §伍 一 (三)–(四)): anyone who may read a released post comments; its
//! author replies; a comment is hidden by whoever wrote it, the post's
//! author or an admin over the post's agency.
use super::{post_event, seen};
use crate::{App, Ctx, Result};
use portico_core::announcement::{Status, check_comment};
use portico_core::permission::Principal;
use portico_core::{Error, Msg};
use portico_store::announcements as store;
use portico_store::{audit, db_err};
use serde_json::json;

fn gone() -> Error {
    Error::Conflict {
        field: "comment",
        message: Msg::new("這則留言已被移除", "This comment has been removed"),
    }
}

impl App {
    /// 確定留言: a comment on a released post the actor may read.
    pub async fn comment_announcement(
        &self,
        actor: &Principal,
        id: i64,
        text: &str,
        ctx: &Ctx,
    ) -> Result<i64> {
        let body = check_comment(text).map_err(|m| Error::invalid("comment", m))?;
        // The limit first: its count goes through the group commit, which
        // must not wait behind this request's own transaction.
        if !self
            .rate_allow(&format!("comment:{}", actor.account_id().0), 10)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "留言次數過多，請稍候一分鐘再試",
                "Too many comments; wait a minute and try again",
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let p = self.visible_post(&mut tx, actor, id).await?;
        if p.status(now) != Status::Published {
            return Err(Error::Refused(Msg::new(
                "公告發布後才能留言",
                "Comments open once the announcement is published",
            )));
        }
        let cid = store::add_comment(&mut tx, id, actor.account_id(), &body, now).await?;
        let e = post_event(
            ctx,
            actor,
            "announcement.comment",
            &p,
            json!({ "comment": cid }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(cid)
    }

    /// 回覆: the post's author answers a comment (again, to change it).
    pub async fn reply_comment(
        &self,
        actor: &Principal,
        id: i64,
        comment: i64,
        text: &str,
        ctx: &Ctx,
    ) -> Result<()> {
        let reply = check_comment(text).map_err(|m| Error::invalid("reply", m))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let p = self.visible_post(&mut tx, actor, id).await?;
        let w = actor.post_author(&seen(&p))?;
        if !store::reply(&mut tx, w, comment, &reply, now).await? {
            return Err(gone());
        }
        let e = post_event(
            ctx,
            actor,
            "announcement.reply",
            &p,
            json!({ "comment": comment }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Hides a comment: its writer, the post's author or an admin over the
    /// post's agency; anyone else is refused.
    pub async fn hide_comment(
        &self,
        actor: &Principal,
        id: i64,
        comment: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let p = self.visible_post(&mut tx, actor, id).await?;
        let Some(writer) = store::comment_author(&mut tx, id, comment).await? else {
            return Err(gone());
        };
        if writer != actor.account_id() {
            actor.post_moderator(&seen(&p))?;
        }
        if !store::hide_comment(&mut tx, id, comment, actor.account_id(), now).await? {
            return Err(gone());
        }
        let own = writer == actor.account_id();
        let e = post_event(
            ctx,
            actor,
            "announcement.comment_hide",
            &p,
            json!({ "comment": comment, "own": own }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }
}
