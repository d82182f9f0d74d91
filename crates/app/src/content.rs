//! What system admins publish on the portal (issue 17; seed 004 §壹 二
//! 首頁橫幅, §伍 二 常見問題, §伍 六 外部連結, 表 2 訊息管理 and
//! 首頁應用程式管理): banners with their image, platform notices with a
//! period and an audience, the FAQ, and the links of the application list
//! and the dashboard. Each change is audited; readers get what is theirs.
use crate::access::Upload;
use crate::files::FileBytes;
use crate::{App, Ctx, Result, event};
use portico_core::audit::Outcome;
use portico_core::content::{BannerInput, FaqInput, LinkInput, NoticeInput};
use portico_core::files::check_photo;
use portico_core::ids::{FileId, OrgUnitId};
use portico_core::permission::Principal;
use portico_core::{Error, Msg};
use portico_store::content::{self as store, BannerRow, FaqRow, LinkPlace, LinkRow, NoticeRow};
use portico_store::{Conn, audit, db_err};
use serde_json::json;

/// The largest banner image.
pub const MAX_BANNER: usize = 3 * 1024 * 1024;

/// Which list of content an event is about, and its words in the trail.
fn content_event(
    ctx: &Ctx,
    actor: &Principal,
    action: &str,
    id: i64,
    label: &str,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "content".into();
    e.target_id = Some(id);
    e.target_label = label.chars().take(60).collect();
    e.outcome = Some(Outcome::Ok);
    e
}

impl App {
    /// The agencies listed for an audience exist.
    async fn check_agencies(&self, c: &mut Conn, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let known: std::collections::HashSet<i64> = portico_store::orgs::list_all(c)
            .await?
            .into_iter()
            .filter(|u| u.kind == portico_core::org::OrgKind::Agency)
            .map(|u| u.id.0)
            .collect();
        if ids.iter().all(|i| known.contains(i)) {
            Ok(())
        } else {
            Err(Error::invalid(
                "agencies",
                Msg::new(
                    "選擇的機關不存在，請重新選擇",
                    "A chosen agency does not exist; choose again",
                ),
            ))
        }
    }

    /// The nodes above the reader: what an audience of agencies matches.
    async fn reader_agencies(&self, c: &mut Conn, actor: &Principal) -> Result<Vec<OrgUnitId>> {
        Ok(self.reader(c, actor).await?.above)
    }

    async fn content_done(&self, mut tx: portico_store::Tx, e: audit::NewEvent) -> Result<()> {
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)
    }

    // ---- banners ---------------------------------------------------------

    /// 首頁橫幅 as the console lists them.
    pub async fn all_banners(&self, actor: &Principal) -> Result<Vec<BannerRow>> {
        let admin = actor.system_admin()?;
        store::all_banners(&mut *self.db.read().await?, &admin).await
    }

    /// The banners shown now, in order.
    pub async fn home_banners(&self) -> Result<Vec<BannerRow>> {
        store::banners(&mut *self.db.read().await?, Some(self.now())).await
    }

    /// One banner for the console's form.
    pub async fn banner(&self, actor: &Principal, id: i64) -> Result<BannerRow> {
        let admin = actor.system_admin()?;
        store::all_banners(&mut *self.db.read().await?, &admin)
            .await?
            .into_iter()
            .find(|b| b.id == id)
            .ok_or(Error::NotFound)
    }

    /// A banner's image, for anyone signed in (the banner is on everyone's
    /// home page).
    /// A banner's image: to anyone signed in while the banner is shown,
    /// to system admins (the console's preview) at any time.
    pub async fn banner_image(&self, actor: &Principal, id: i64) -> Result<FileBytes> {
        let b = store::banner(&mut *self.db.read().await?, id)
            .await?
            .ok_or(Error::NotFound)?;
        let now = self.now();
        let shown = b.starts_at.is_none_or(|s| s <= now) && b.ends_at.is_none_or(|e| e > now);
        if !shown && actor.system_admin().is_err() {
            return Err(Error::NotFound);
        }
        self.read_kept(b.file_id).await
    }

    /// Adds (`id` `None`) or rewrites a banner; a new one needs its image.
    pub async fn save_banner(
        &self,
        actor: &Principal,
        id: Option<i64>,
        input: &BannerInput,
        image: Option<Upload>,
        ctx: &Ctx,
    ) -> Result<i64> {
        let w = actor.system_admin()?.writes();
        let b = input.check()?;
        let kind = match &image {
            Some(u) => Some(
                check_photo(&u.name, &u.bytes, MAX_BANNER)
                    .map_err(|m| Error::invalid("image", m))?,
            ),
            None if id.is_none() => {
                return Err(Error::invalid(
                    "image",
                    Msg::new(
                        "請選擇橫幅圖片（JPEG 或 PNG）",
                        "Choose the banner's image (JPEG or PNG)",
                    ),
                ));
            }
            None => None,
        };
        let stashed = match (image, kind) {
            (Some(u), Some(k)) => Some(self.stash_upload("banners", &u.name, k, u.bytes).await?),
            _ => None,
        };
        let now = self.now();
        let done = async {
            let mut tx = self.db.begin().await?;
            let file = match &stashed {
                Some(s) => Some(self.keep_stashed(&mut tx, actor.account_id(), s).await?),
                None => None,
            };
            let (id, replaced) = match (id, file) {
                (Some(id), file) => (
                    id,
                    store::update_banner(&mut tx, w, id, &b, file, now).await?,
                ),
                (None, Some(file)) => {
                    (store::insert_banner(&mut tx, w, &b, file, now).await?, None)
                }
                (None, None) => return Err(Error::internal("a new banner without its image")),
            };
            let mut e = content_event(ctx, actor, "content.banner_save", id, &b.title);
            e.detail = json!({ "image": file.is_some() }).to_string();
            if let Some(old) = replaced {
                portico_store::files::mark_purged(&mut tx, old, now).await?;
            }
            self.content_done(tx, e).await?;
            Ok::<_, Error>((id, replaced))
        }
        .await;
        match done {
            Ok((id, replaced)) => {
                if let Some(old) = replaced {
                    self.destroy_file(old).await;
                }
                Ok(id)
            }
            Err(e) => {
                if let Some(s) = &stashed {
                    self.drop_stashed(s).await;
                }
                Err(e)
            }
        }
    }

    async fn destroy_file(&self, id: FileId) {
        let key = match self.db.read().await {
            Ok(mut c) => portico_store::files::get(&mut c, id)
                .await
                .ok()
                .flatten()
                .map(|f| f.key),
            Err(_) => None,
        };
        if let Some(key) = key
            && let Err(e) = self.files.delete(&key).await
        {
            tracing::warn!(%key, error = %e, "a replaced file's bytes stay in the file store");
        }
    }

    pub async fn delete_banner(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let w = actor.system_admin()?.writes();
        let mut tx = self.db.begin().await?;
        let b = store::banner(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let file = store::delete_banner(&mut tx, w, id)
            .await?
            .ok_or(Error::NotFound)?;
        portico_store::files::mark_purged(&mut tx, file, self.now()).await?;
        self.content_done(
            tx,
            content_event(ctx, actor, "content.banner_delete", id, &b.title),
        )
        .await?;
        self.destroy_file(file).await;
        Ok(())
    }

    // ---- notices ---------------------------------------------------------

    pub async fn all_notices(&self, actor: &Principal) -> Result<Vec<NoticeRow>> {
        let admin = actor.system_admin()?;
        store::all_notices(&mut *self.db.read().await?, &admin).await
    }

    pub async fn notice(&self, actor: &Principal, id: i64) -> Result<NoticeRow> {
        let admin = actor.system_admin()?;
        store::notice_for(&mut *self.db.read().await?, &admin, id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// The notices shown now: to a signed-in person, everyone's and their
    /// agencies'; on the sign-in page (`None`), everyone's only.
    pub async fn current_notices(&self, actor: Option<&Principal>) -> Result<Vec<NoticeRow>> {
        let mut c = self.db.read().await?;
        let agencies = match actor {
            Some(a) => self.reader_agencies(&mut c, a).await?,
            None => Vec::new(),
        };
        store::notices(&mut c, Some(&agencies), self.now()).await
    }

    pub async fn save_notice(
        &self,
        actor: &Principal,
        id: Option<i64>,
        input: &NoticeInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let w = actor.system_admin()?.writes();
        let n = input.check()?;
        let mut tx = self.db.begin().await?;
        self.check_agencies(&mut tx, &n.agencies).await?;
        let id = store::save_notice(&mut tx, w, id, &n, self.now()).await?;
        let mut e = content_event(ctx, actor, "content.notice_save", id, &n.title);
        e.detail =
            json!({ "audience": n.audience.as_str(), "agencies": n.agencies.len() }).to_string();
        self.content_done(tx, e).await?;
        Ok(id)
    }

    pub async fn delete_notice(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let w = actor.system_admin()?.writes();
        let mut tx = self.db.begin().await?;
        let n = store::notice(&mut tx, id).await?.ok_or(Error::NotFound)?;
        store::delete_notice(&mut tx, w, id).await?;
        self.content_done(
            tx,
            content_event(ctx, actor, "content.notice_delete", id, &n.title),
        )
        .await
    }

    // ---- the FAQ ---------------------------------------------------------

    /// 常見問題, searched by 關鍵字 in questions and answers.
    pub async fn faqs(&self, q: &str) -> Result<Vec<FaqRow>> {
        store::faqs(&mut *self.db.read().await?, q).await
    }

    /// Every question and the category names, for the console.
    pub async fn all_faqs(&self, actor: &Principal) -> Result<(Vec<FaqRow>, Vec<String>)> {
        let admin = actor.system_admin()?;
        store::all_faqs(&mut *self.db.read().await?, &admin).await
    }

    pub async fn save_faq(
        &self,
        actor: &Principal,
        id: Option<i64>,
        input: &FaqInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let w = actor.system_admin()?.writes();
        let f = input.check()?;
        let mut tx = self.db.begin().await?;
        let id = store::save_faq(&mut tx, w, id, &f, self.now()).await?;
        let mut e = content_event(ctx, actor, "content.faq_save", id, &f.question);
        e.detail = json!({ "category": f.category }).to_string();
        self.content_done(tx, e).await?;
        Ok(id)
    }

    pub async fn delete_faq(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let w = actor.system_admin()?.writes();
        let mut tx = self.db.begin().await?;
        if !store::delete_faq(&mut tx, w, id).await? {
            return Err(Error::NotFound);
        }
        self.content_done(tx, content_event(ctx, actor, "content.faq_delete", id, ""))
            .await
    }

    // ---- links -----------------------------------------------------------

    pub async fn all_links(&self, actor: &Principal) -> Result<Vec<LinkRow>> {
        let admin = actor.system_admin()?;
        store::all_links(&mut *self.db.read().await?, &admin).await
    }

    pub async fn link(&self, actor: &Principal, id: i64) -> Result<LinkRow> {
        let admin = actor.system_admin()?;
        store::link_for(&mut *self.db.read().await?, &admin, id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// The links the person sees in one place: the home dashboard's or the
    /// application list's.
    pub async fn links_for(&self, actor: &Principal, place: LinkPlace) -> Result<Vec<LinkRow>> {
        let mut c = self.db.read().await?;
        let agencies = self.reader_agencies(&mut c, actor).await?;
        store::links(&mut c, Some((&agencies, place))).await
    }

    pub async fn save_link(
        &self,
        actor: &Principal,
        id: Option<i64>,
        input: &LinkInput,
        ctx: &Ctx,
    ) -> Result<i64> {
        let w = actor.system_admin()?.writes();
        let l = input.check()?;
        let mut tx = self.db.begin().await?;
        self.check_agencies(&mut tx, &l.agencies).await?;
        let id = store::save_link(&mut tx, w, id, &l, self.now()).await?;
        let mut e = content_event(ctx, actor, "content.link_save", id, &l.name);
        e.detail = json!({ "audience": l.audience.as_str(), "url": l.url }).to_string();
        self.content_done(tx, e).await?;
        Ok(id)
    }

    pub async fn delete_link(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let w = actor.system_admin()?.writes();
        let mut tx = self.db.begin().await?;
        let l = store::link(&mut tx, id).await?.ok_or(Error::NotFound)?;
        store::delete_link(&mut tx, w, id).await?;
        self.content_done(
            tx,
            content_event(ctx, actor, "content.link_delete", id, &l.name),
        )
        .await
    }
}
