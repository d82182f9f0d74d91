//! Announcements (issue 17; seed 004 §肆 二 我的公告管理, §伍 一 公告專區):
//! a person posts for their agency with a reach, now or at a time, with
//! attachments and images; people the reach holds read it once its time
//! has come, and comment; the author replies; the author and the admins
//! over the agency take it down, delete it and hide comments. Publishing,
//! each change and each download are audited.
mod comments;
mod sheets;

use crate::access::Upload;
use crate::files::FileBytes;
use crate::{App, Ctx, Result, event};
use portico_core::announcement::{
    MAX_ATTACHMENT, MAX_ATTACHMENTS, MAX_IMAGE, MAX_IMAGES, Post, PostInput, Reach, Status,
};
use portico_core::audit::Outcome;
use portico_core::files::{check_document, check_photo};
use portico_core::ids::FileId;
use portico_core::permission::{PostAuthor, PostModerator, PostSeen, Principal};
use portico_core::time::{parse_date, taipei_day_start};
use portico_core::{Error, Msg};
use portico_store::announcements::{
    self as store, CommentRow, ForAgency, PostFile, PostFilter, PostRow, Reader,
};
use portico_store::{Conn, Page, accounts, audit, db_err};
use serde_json::json;

/// A post's page: the post, its files and comments, and what the viewer
/// may do with it.
#[derive(Debug, Clone)]
pub struct PostView {
    pub post: PostRow,
    pub status: Status,
    pub files: Vec<PostFile>,
    pub comments: Vec<CommentRow>,
    /// The viewer wrote it: they edit it and reply to comments.
    pub author: bool,
    /// The viewer takes it down, deletes it and hides comments.
    pub moderator: bool,
}

impl PostView {
    pub fn attachments(&self) -> impl Iterator<Item = &PostFile> {
        self.files.iter().filter(|f| f.role == "attachment")
    }
    pub fn images(&self) -> impl Iterator<Item = &PostFile> {
        self.files.iter().filter(|f| f.role == "image")
    }
}

/// A list's search as typed (公告專區 and 我的公告管理 share it).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PostQuery {
    /// 我的公告管理's tab: `published`, `scheduled`, `unpublished`, or
    /// empty for 全部.
    pub status: String,
    /// 發布範圍, or empty for any.
    pub reach: String,
    /// 關鍵字.
    pub q: String,
    /// 發布日期 from and to, `YYYY-MM-DD`, both days included.
    pub from: String,
    pub to: String,
}

/// Attachments and images sent with a form.
#[derive(Debug, Default)]
pub struct PostUploads {
    pub attachments: Vec<Upload>,
    pub images: Vec<Upload>,
}

impl PostUploads {
    pub fn is_empty(&self) -> bool {
        self.attachments.is_empty() && self.images.is_empty()
    }
}

/// A search's dates as instants: from the start of the first day to the
/// end of the last.
pub(crate) fn date_range(
    from: &str,
    to: &str,
) -> Result<(Option<time::OffsetDateTime>, Option<time::OffsetDateTime>)> {
    let day = |field: &'static str, s: &str| -> Result<Option<time::Date>> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        parse_date(s).map(Some).ok_or_else(|| {
            Error::invalid(
                field,
                Msg::owned(
                    format!(
                        "「{}」不是日期，請以 年-月-日 輸入，例如 2026-12-01",
                        s.trim()
                    ),
                    format!(
                        "“{}” is not a date; type it as year-month-day, e.g. 2026-12-01",
                        s.trim()
                    ),
                ),
            )
        })
    };
    let (a, z) = (day("from", from)?, day("to", to)?);
    if let (Some(a), Some(z)) = (a, z)
        && z < a
    {
        return Err(Error::invalid(
            "to",
            Msg::new(
                "結束日期早於開始日期",
                "The end date is before the start date",
            ),
        ));
    }
    Ok((
        a.map(taipei_day_start),
        z.and_then(|z| z.next_day()).map(taipei_day_start),
    ))
}

fn seen(p: &PostRow) -> PostSeen<'_> {
    PostSeen {
        id: p.id,
        author: p.author_id,
        agency: &p.agency_path,
    }
}

/// An event on a post, as the actor, in the post's agency.
fn post_event(
    ctx: &Ctx,
    actor: &Principal,
    action: &str,
    p: &PostRow,
    detail: serde_json::Value,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "announcement".into();
    e.target_id = Some(p.id);
    e.target_label = p.title.chars().take(60).collect();
    e.scope_path = p.agency_path.as_str().to_owned();
    e.outcome = Some(Outcome::Ok);
    e.detail = detail.to_string();
    e
}

fn upload_error(field: &'static str, m: Msg) -> Error {
    Error::invalid(field, m)
}

impl App {
    /// The reader the actor is: their agency and the nodes above them.
    pub(crate) async fn reader(&self, c: &mut Conn, actor: &Principal) -> Result<Reader> {
        let me = accounts::get(c, actor.account_id())
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(Reader::of(&me.unit_path, me.agency_id))
    }

    async fn post_row(&self, c: &mut Conn, id: i64) -> Result<PostRow> {
        store::get(c, id).await?.ok_or(Error::NotFound)
    }

    /// The post if the actor may see it: released to them, or theirs, or
    /// one they moderate. Anyone else is told it is not found.
    async fn visible_post(&self, c: &mut Conn, actor: &Principal, id: i64) -> Result<PostRow> {
        let p = self.post_row(c, id).await?;
        if actor.post_moderator(&seen(&p)).is_ok() {
            return Ok(p);
        }
        let reader = self.reader(c, actor).await?;
        if store::readable(c, id, &reader, self.now()).await? {
            Ok(p)
        } else {
            Err(Error::NotFound)
        }
    }

    /// Checks the files of a form: how many, and each by its content.
    fn check_uploads(
        &self,
        u: &PostUploads,
        have: (usize, usize),
    ) -> Result<Vec<(&'static str, portico_core::files::FileKind)>> {
        if have.0 + u.attachments.len() > MAX_ATTACHMENTS {
            return Err(upload_error(
                "attachments",
                Msg::owned(
                    format!("附件至多 {MAX_ATTACHMENTS} 個（已有 {} 個）", have.0),
                    format!("At most {MAX_ATTACHMENTS} attachments ({} already)", have.0),
                ),
            ));
        }
        if have.1 + u.images.len() > MAX_IMAGES {
            return Err(upload_error(
                "images",
                Msg::owned(
                    format!("圖片至多 {MAX_IMAGES} 張（已有 {} 張）", have.1),
                    format!("At most {MAX_IMAGES} images ({} already)", have.1),
                ),
            ));
        }
        let mut kinds = Vec::new();
        for a in &u.attachments {
            let k = check_document(&a.name, &a.bytes, MAX_ATTACHMENT)
                .map_err(|m| upload_error("attachments", m))?;
            kinds.push(("attachment", k));
        }
        for i in &u.images {
            let k =
                check_photo(&i.name, &i.bytes, MAX_IMAGE).map_err(|m| upload_error("images", m))?;
            kinds.push(("image", k));
        }
        Ok(kinds)
    }

    /// Writes the uploads' bytes, then links their rows to the post in
    /// `tx`; on a failure the caller drops the stashed bytes.
    async fn stash_post_files(
        &self,
        u: PostUploads,
        kinds: &[(&'static str, portico_core::files::FileKind)],
    ) -> Result<Vec<(&'static str, crate::files::Stashed)>> {
        let mut out = Vec::with_capacity(kinds.len());
        let all = u.attachments.into_iter().chain(u.images);
        for (f, (role, kind)) in all.zip(kinds) {
            match self
                .stash_upload("announcements", &f.name, *kind, f.bytes)
                .await
            {
                Ok(s) => out.push((*role, s)),
                Err(e) => {
                    for (_, s) in &out {
                        self.drop_stashed(s).await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// 發布新公告: a post for the actor's agency, with its files. Returns
    /// its id.
    pub async fn post_announcement(
        &self,
        actor: &Principal,
        input: &PostInput,
        uploads: PostUploads,
        ctx: &Ctx,
    ) -> Result<i64> {
        let now = self.now();
        let post = input.check(now, None)?;
        let kinds = self.check_uploads(&uploads, (0, 0))?;
        let me = {
            let mut c = self.db.read().await?;
            accounts::get(&mut c, actor.account_id())
                .await?
                .ok_or(Error::Unauthenticated)?
        };
        let Some(agency) = me.agency_id else {
            return Err(Error::Refused(Msg::new(
                "您的帳號不屬於任何機關，無法發布公告；請洽機關管理者",
                "Your account belongs to no agency, so it cannot post; ask your agency administrator",
            )));
        };
        if !self
            .rate_allow(&format!("announce:{}", actor.account_id().0), 20)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "發布次數過多，請稍候一分鐘再試",
                "Too many posts; wait a minute and try again",
            )));
        }
        let agency_path = {
            let mut c = self.db.read().await?;
            portico_store::orgs::get(&mut c, agency)
                .await?
                .ok_or(Error::NotFound)?
                .path
        };
        let stashed = self.stash_post_files(uploads, &kinds).await?;
        let done = async {
            let mut tx = self.db.begin().await?;
            let id = store::insert(
                &mut tx,
                actor.account_id(),
                ForAgency {
                    id: agency,
                    path: &agency_path,
                    name: &me.agency_name,
                },
                &post,
                now,
            )
            .await?;
            let w = self.author_of(&mut tx, actor, id).await?;
            for (role, s) in &stashed {
                let file = self.keep_stashed(&mut tx, actor.account_id(), s).await?;
                store::add_file(&mut tx, w, file, role).await?;
            }
            let row = self.post_row(&mut tx, id).await?;
            let e = post_event(
                ctx,
                actor,
                "announcement.publish",
                &row,
                json!({
                    "reach": post.reach.as_str(),
                    "status": Status::of(post.publish_at, now).as_str(),
                    "files": stashed.len(),
                }),
            );
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            Ok::<_, Error>(id)
        }
        .await;
        if done.is_err() {
            for (_, s) in &stashed {
                self.drop_stashed(s).await;
            }
        }
        done
    }

    async fn author_of(&self, c: &mut Conn, actor: &Principal, id: i64) -> Result<PostAuthor> {
        let p = self.post_row(c, id).await?;
        actor.post_author(&seen(&p))
    }

    /// A post as its author edits it; anyone else is refused.
    pub async fn announcement_for_edit(&self, actor: &Principal, id: i64) -> Result<PostView> {
        let mut c = self.db.read().await?;
        let p = self.post_row(&mut c, id).await?;
        actor.post_author(&seen(&p))?;
        self.post_view(&mut c, actor, p).await
    }

    async fn post_view(&self, c: &mut Conn, actor: &Principal, post: PostRow) -> Result<PostView> {
        let files = store::files(c, post.id).await?;
        let comments = store::comments(c, post.id).await?;
        Ok(PostView {
            status: post.status(self.now()),
            author: post.author_id == actor.account_id(),
            moderator: actor.post_moderator(&seen(&post)).is_ok(),
            post,
            files,
            comments,
        })
    }

    /// 編輯: rewrites the author's post and adds the files sent with it;
    /// the update is counted (更新次數).
    pub async fn edit_announcement(
        &self,
        actor: &Principal,
        id: i64,
        input: &PostInput,
        uploads: PostUploads,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let (before, have) = {
            let mut c = self.db.read().await?;
            let p = self.post_row(&mut c, id).await?;
            actor.post_author(&seen(&p))?;
            let files = store::files(&mut c, id).await?;
            let n = files.iter().filter(|f| f.role == "attachment").count();
            (p, (n, files.len() - n))
        };
        let post: Post = input.check(now, before.publish_at)?;
        let kinds = self.check_uploads(&uploads, have)?;
        let stashed = self.stash_post_files(uploads, &kinds).await?;
        let done = async {
            let mut tx = self.db.begin().await?;
            let w = self.author_of(&mut tx, actor, id).await?;
            store::update(&mut tx, w, &post, now).await?;
            for (role, s) in &stashed {
                let file = self.keep_stashed(&mut tx, actor.account_id(), s).await?;
                store::add_file(&mut tx, w, file, role).await?;
            }
            let mut changed = Vec::new();
            if before.title != post.title {
                changed.push("title");
            }
            if before.body_html != post.body_html {
                changed.push("body");
            }
            if before.reach != post.reach {
                changed.push("reach");
            }
            if before.publish_at != post.publish_at {
                changed.push("release");
            }
            let e = post_event(
                ctx,
                actor,
                "announcement.update",
                &before,
                json!({
                    "fields": changed.join(","),
                    "reach": post.reach.as_str(),
                    "status": Status::of(post.publish_at, now).as_str(),
                    "files": stashed.len(),
                }),
            );
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            Ok::<_, Error>(())
        }
        .await;
        if done.is_err() {
            for (_, s) in &stashed {
                self.drop_stashed(s).await;
            }
        }
        done
    }

    /// Removes one of the author's post's files (the X before its name).
    pub async fn remove_announcement_file(
        &self,
        actor: &Principal,
        id: i64,
        file: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let p = self.post_row(&mut tx, id).await?;
        let w = actor.post_author(&seen(&p))?;
        let name = store::files(&mut tx, id)
            .await?
            .into_iter()
            .find(|f| f.file_id.0 == file)
            .map(|f| f.name)
            .ok_or(Error::NotFound)?;
        let Some(key) = store::remove_file(&mut tx, w, FileId(file), now).await? else {
            return Err(Error::NotFound);
        };
        let e = post_event(
            ctx,
            actor,
            "announcement.file_remove",
            &p,
            json!({ "file": name }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.destroy_bytes(&key).await;
        Ok(())
    }

    async fn destroy_bytes(&self, key: &str) {
        if let Err(e) = self.files.delete(key).await {
            tracing::warn!(%key, error = %e, "a removed file's bytes stay in the file store");
        }
    }

    async fn moderator_of(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(PostRow, PostModerator)> {
        let p = self.post_row(c, id).await?;
        let m = match actor.post_moderator(&seen(&p)) {
            Ok(m) => m,
            // One who may read it is told they may not; anyone else that
            // there is no such post.
            Err(e) => {
                let reader = self.reader(c, actor).await?;
                return Err(if store::readable(c, id, &reader, self.now()).await? {
                    e
                } else {
                    Error::NotFound
                });
            }
        };
        Ok((p, m))
    }

    /// 下架: a released post back to 未發布.
    pub async fn take_down_announcement(
        &self,
        actor: &Principal,
        id: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (p, m) = self.moderator_of(&mut tx, actor, id).await?;
        if !store::take_down(&mut tx, m, now).await? {
            return Err(Error::Conflict {
                field: "post",
                message: Msg::new(
                    "這則公告已是未發布，不需下架",
                    "This announcement is not published; there is nothing to take down",
                ),
            });
        }
        let e = post_event(ctx, actor, "announcement.take_down", &p, json!({}));
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)
    }

    /// 刪除: the post, its comments and its files' bytes.
    pub async fn delete_announcement(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (p, m) = self.moderator_of(&mut tx, actor, id).await?;
        let Some(files) = store::delete(&mut tx, m, now).await? else {
            return Err(Error::NotFound);
        };
        let e = post_event(
            ctx,
            actor,
            "announcement.delete",
            &p,
            json!({ "files": files.len(), "comments": p.comments }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        for (_, key) in files {
            self.destroy_bytes(&key).await;
        }
        Ok(())
    }

    pub(crate) fn filter_of<'a>(&self, q: &'a PostQuery) -> Result<PostFilter<'a>> {
        let (from, until) = date_range(&q.from, &q.to)?;
        Ok(PostFilter {
            status: Status::parse(&q.status),
            reach: Reach::parse(&q.reach),
            q: Some(q.q.as_str()),
            from,
            until,
            ..Default::default()
        })
    }

    /// 我所發布的公告: the actor's own posts, newest changed first.
    pub async fn my_announcements(
        &self,
        actor: &Principal,
        q: &PostQuery,
        page: u32,
    ) -> Result<Page<PostRow>> {
        let f = PostFilter {
            author: Some(actor.account_id()),
            ..self.filter_of(q)?
        };
        let mut c = self.db.read().await?;
        store::list(&mut c, &f, self.now(), page.max(1), 20).await
    }

    /// 公告專區: what the actor may read, newest first.
    pub async fn announcements(
        &self,
        actor: &Principal,
        q: &PostQuery,
        page: u32,
    ) -> Result<Page<PostRow>> {
        let mut c = self.db.read().await?;
        let reader = self.reader(&mut c, actor).await?;
        let f = PostFilter {
            reader: Some(&reader),
            status: None,
            ..self.filter_of(q)?
        };
        store::list(&mut c, &f, self.now(), page.max(1), 20).await
    }

    /// The newest posts the actor may read (the home page's 最新公告).
    pub async fn latest_announcements(&self, actor: &Principal, n: u32) -> Result<Vec<PostRow>> {
        let mut c = self.db.read().await?;
        let reader = self.reader(&mut c, actor).await?;
        let f = PostFilter {
            reader: Some(&reader),
            ..Default::default()
        };
        Ok(store::list(&mut c, &f, self.now(), 1, n).await?.items)
    }

    /// A post's page. A reading by anyone but its author is counted
    /// (點閱數) when it is released.
    pub async fn read_announcement(&self, actor: &Principal, id: i64) -> Result<PostView> {
        let mut c = self.db.read().await?;
        let p = self.visible_post(&mut c, actor, id).await?;
        drop(c);
        let counted =
            p.author_id != actor.account_id() && p.status(self.now()) == Status::Published;
        if counted {
            let mut tx = self.db.begin().await?;
            store::count_view(&mut tx, id).await?;
            tx.commit().await.map_err(db_err)?;
        }
        let mut c = self.db.read().await?;
        let mut view = self.post_view(&mut c, actor, p).await?;
        if counted {
            view.post.views += 1;
        }
        Ok(view)
    }

    /// One of a post's files, for one who may see the post. An
    /// attachment's download is audited; an image shown on the page is not.
    pub async fn announcement_file(
        &self,
        actor: &Principal,
        id: i64,
        file: i64,
        ctx: &Ctx,
    ) -> Result<FileBytes> {
        let (p, role) = {
            let mut c = self.db.read().await?;
            let p = self.visible_post(&mut c, actor, id).await?;
            let role = store::files(&mut c, id)
                .await?
                .into_iter()
                .find(|f| f.file_id.0 == file)
                .map(|f| f.role)
                .ok_or(Error::NotFound)?;
            (p, role)
        };
        let f = self.read_kept(FileId(file)).await?;
        if role == "attachment" {
            let e = post_event(
                ctx,
                actor,
                "announcement.download",
                &p,
                json!({ "file": f.file.name }),
            );
            self.audit_committed(e).await?;
        }
        Ok(f)
    }
}
