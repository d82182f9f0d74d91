//! Official documents' attachments (issue 17; seed 004 §肆 三
//! 我的公文附件管理, §伍 四 公文附件下載區): a person files a topic for
//! their agency's document with its files; colleagues fetch them in the
//! portal by agency, number and code; agencies outside the city fetch the
//! public ones from a signed-out page that needs the number and the code,
//! slowed per caller and blocked after repeated misses. Nothing is served
//! after the 下架日期. Filing, each change and each download are audited.
use crate::access::Upload;
use crate::files::FileBytes;
use crate::{App, Ctx, Result, event};
use portico_core::audit::Outcome;
use portico_core::booking::today;
use portico_core::document::{
    CALLER_GUESSES, DOCUMENT_GUESSES, Guesses, Lookup, LookupInput, MAX_FILE, MAX_FILES,
    TopicInput, check_code, check_number, served,
};
use portico_core::files::check_document;
use portico_core::ids::{FileId, OrgUnitId};
use portico_core::permission::{PostSeen, Principal, TopicKeeper};
use portico_core::{Error, Msg};
use portico_store::documents::{self as store, ForAgency, TopicFile, TopicFilter, TopicRow};
use portico_store::{Conn, Page, accounts, audit, db_err};
use serde_json::json;

/// A topic with its files.
#[derive(Debug, Clone)]
pub struct TopicView {
    pub topic: TopicRow,
    pub files: Vec<TopicFile>,
}

/// 我的公文附件管理's search as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TopicQuery {
    /// 關鍵字: 公文字號 or 公文簡述.
    pub q: String,
    /// 發布日期 from and to, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
}

fn seen(t: &TopicRow) -> PostSeen<'_> {
    PostSeen {
        id: t.id,
        author: t.owner_id,
        agency: &t.agency_path,
    }
}

fn topic_event(
    ctx: &Ctx,
    actor: Option<&Principal>,
    action: &str,
    t: &TopicRow,
    detail: serde_json::Value,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    if let Some(a) = actor {
        e.actor_id = Some(a.account_id().0);
        e.actor_login = a.login().to_owned();
    }
    e.target_kind = "document".into();
    e.target_id = Some(t.id);
    e.target_label = t.full_number();
    e.scope_path = t.agency_path.as_str().to_owned();
    e.outcome = Some(Outcome::Ok);
    e.detail = detail.to_string();
    e
}

fn ctx_label(agency: i64, number: &str) -> String {
    format!("{agency}:{number}")
}

/// What the public page says for every miss: the same words whatever the
/// reason, so it tells a guesser nothing.
fn no_match() -> Error {
    Error::Refused(Msg::new(
        "查無符合的公文附件。請確認公文字、公文號、支號與識別碼；附件也可能已下架或未開放公開查詢，請洽發文機關。",
        "No attachment matches. Check the document's word, number, branch and code; it may also be past its take-down date or not public: ask the agency that sent it.",
    ))
}

impl App {
    /// A random four-digit 識別碼, the form's default.
    pub fn new_document_code(&self) -> Result<String> {
        let t = crate::random_token(8)?;
        let n = t
            .bytes()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
        Ok(format!("{:04}", n % 10_000))
    }

    /// The 公文字 the person used last, to start their next topic with.
    pub async fn last_document_word(&self, actor: &Principal) -> Result<String> {
        let mut c = self.db.read().await?;
        let f = TopicFilter {
            owner: Some(actor.account_id()),
            ..Default::default()
        };
        Ok(store::list(&mut c, &f, 1, 1)
            .await?
            .items
            .into_iter()
            .next()
            .map(|t| t.word)
            .unwrap_or_default())
    }

    fn check_topic_files(
        &self,
        files: &[Upload],
        have: usize,
    ) -> Result<Vec<portico_core::files::FileKind>> {
        if have + files.len() > MAX_FILES {
            return Err(Error::invalid(
                "files",
                Msg::owned(
                    format!("附件至多 {MAX_FILES} 個（已有 {have} 個）"),
                    format!("At most {MAX_FILES} files ({have} already)"),
                ),
            ));
        }
        files
            .iter()
            .map(|f| {
                check_document(&f.name, &f.bytes, MAX_FILE).map_err(|m| Error::invalid("files", m))
            })
            .collect()
    }

    /// Writes the files' bytes, then (in `tx`) their rows and links.
    async fn keep_topic_files(
        &self,
        tx: &mut Conn,
        actor: &Principal,
        w: TopicKeeper,
        stashed: &[crate::files::Stashed],
    ) -> Result<()> {
        for s in stashed {
            let file = self.keep_stashed(tx, actor.account_id(), s).await?;
            store::add_file(tx, w, file).await?;
        }
        Ok(())
    }

    async fn stash_topic_files(
        &self,
        files: Vec<Upload>,
        kinds: &[portico_core::files::FileKind],
    ) -> Result<Vec<crate::files::Stashed>> {
        let mut out = Vec::with_capacity(files.len());
        for (f, k) in files.into_iter().zip(kinds) {
            match self.stash_upload("documents", &f.name, *k, f.bytes).await {
                Ok(s) => out.push(s),
                Err(e) => {
                    for s in &out {
                        self.drop_stashed(s).await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// 新增公文主題 → 確定發布: a topic for the person's agency, with files.
    pub async fn file_topic(
        &self,
        actor: &Principal,
        input: &TopicInput,
        files: Vec<Upload>,
        ctx: &Ctx,
    ) -> Result<i64> {
        let now = self.now();
        let topic = input.check(today(now), None)?;
        let kinds = self.check_topic_files(&files, 0)?;
        let (me, agency_path) = {
            let mut c = self.db.read().await?;
            let me = accounts::get(&mut c, actor.account_id())
                .await?
                .ok_or(Error::Unauthenticated)?;
            let path = match me.agency_id {
                Some(a) => portico_store::orgs::get(&mut c, a).await?.map(|u| u.path),
                None => None,
            };
            (me, path)
        };
        let (Some(agency), Some(agency_path)) = (me.agency_id, agency_path) else {
            return Err(Error::Refused(Msg::new(
                "您的帳號不屬於任何機關，無法建立公文主題；請洽機關管理者",
                "Your account belongs to no agency, so it cannot file documents; ask your agency administrator",
            )));
        };
        let stashed = self.stash_topic_files(files, &kinds).await?;
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
                &topic,
                now,
            )
            .await?;
            let row = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
            let w = actor.topic_keeper(&seen(&row))?;
            self.keep_topic_files(&mut tx, actor, w, &stashed).await?;
            let e = topic_event(
                ctx,
                Some(actor),
                "document.publish",
                &row,
                json!({ "files": stashed.len(), "public": topic.public }),
            );
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            Ok::<_, Error>(id)
        }
        .await;
        if done.is_err() {
            for s in &stashed {
                self.drop_stashed(s).await;
            }
        }
        done
    }

    async fn kept_topic(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(TopicRow, TopicKeeper)> {
        let t = store::get(c, id).await?.ok_or(Error::NotFound)?;
        let w = actor.topic_keeper(&seen(&t))?;
        Ok((t, w))
    }

    /// A topic for its keepers' edit page.
    pub async fn topic_for_edit(&self, actor: &Principal, id: i64) -> Result<TopicView> {
        let mut c = self.db.read().await?;
        let (topic, _) = self.kept_topic(&mut c, actor, id).await?;
        let files = store::topic_files(&mut c, id).await?;
        Ok(TopicView { topic, files })
    }

    /// 編輯: rewrites a topic (its code stays) and adds the files sent.
    pub async fn edit_topic(
        &self,
        actor: &Principal,
        id: i64,
        input: &TopicInput,
        files: Vec<Upload>,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let (before, have) = {
            let mut c = self.db.read().await?;
            let (t, _) = self.kept_topic(&mut c, actor, id).await?;
            let n = store::topic_files(&mut c, id).await?.len();
            (t, n)
        };
        let topic = input.check(today(now), Some(&before.code))?;
        let kinds = self.check_topic_files(&files, have)?;
        let stashed = self.stash_topic_files(files, &kinds).await?;
        let done = async {
            let mut tx = self.db.begin().await?;
            let (_, w) = self.kept_topic(&mut tx, actor, id).await?;
            store::update(&mut tx, w, &topic, now).await?;
            self.keep_topic_files(&mut tx, actor, w, &stashed).await?;
            let e = topic_event(
                ctx,
                Some(actor),
                "document.update",
                &before,
                json!({ "files": stashed.len(), "public": topic.public, "takedown": portico_core::time::date_str(topic.takedown) }),
            );
            audit::append(&mut tx, &e, now).await?;
            tx.commit().await.map_err(db_err)?;
            Ok::<_, Error>(())
        }
        .await;
        if done.is_err() {
            for s in &stashed {
                self.drop_stashed(s).await;
            }
        }
        done
    }

    /// The X before a file's name: removes it from the topic.
    pub async fn remove_topic_file(
        &self,
        actor: &Principal,
        id: i64,
        file: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (t, w) = self.kept_topic(&mut tx, actor, id).await?;
        let name = store::topic_files(&mut tx, id)
            .await?
            .into_iter()
            .find(|f| f.file_id.0 == file)
            .map(|f| f.name)
            .ok_or(Error::NotFound)?;
        let key = store::remove_file(&mut tx, w, FileId(file), now)
            .await?
            .ok_or(Error::NotFound)?;
        let e = topic_event(
            ctx,
            Some(actor),
            "document.file_remove",
            &t,
            json!({ "file": name }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        if let Err(e) = self.files.delete(&key).await {
            tracing::warn!(%key, error = %e, "a removed file's bytes stay in the file store");
        }
        Ok(())
    }

    /// Deletes a topic and destroys its files.
    pub async fn delete_topic(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (t, w) = self.kept_topic(&mut tx, actor, id).await?;
        let keys = store::delete(&mut tx, w, now)
            .await?
            .ok_or(Error::NotFound)?;
        let e = topic_event(
            ctx,
            Some(actor),
            "document.delete",
            &t,
            json!({ "files": keys.len() }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        for key in keys {
            if let Err(e) = self.files.delete(&key).await {
                tracing::warn!(%key, error = %e, "a deleted topic's bytes stay in the file store");
            }
        }
        Ok(())
    }

    /// 我的公文附件管理: the person's topics, searched.
    pub async fn my_topics(
        &self,
        actor: &Principal,
        q: &TopicQuery,
        page: u32,
    ) -> Result<Page<TopicRow>> {
        let (from, until) = crate::announcements::date_range(&q.from, &q.to)?;
        let f = TopicFilter {
            owner: Some(actor.account_id()),
            q: Some(q.q.as_str()),
            from,
            until,
        };
        store::list(&mut *self.db.read().await?, &f, page.max(1), 20).await
    }

    /// 公文附件下載區: an agency's served topics of a number with this code,
    /// for anyone signed in (public or not), with their files.
    pub async fn find_topics(
        &self,
        actor: &Principal,
        agency: i64,
        number: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<Vec<TopicView>> {
        let mut errs = portico_core::error::Collector::new();
        if agency <= 0 {
            errs.push(
                "agency",
                Msg::new("請選擇發文機關", "Choose the agency that sent it"),
            );
        }
        let number = errs.take("number", check_number(number));
        let code = errs.take("code", check_code(code));
        errs.finish()?;
        let (Some(number), Some(code)) = (number, code) else {
            return Err(Error::internal("a checked search lacks a field"));
        };
        if !self
            .rate_allow(&format!("doc-find:{}", actor.account_id().0), 30)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "查詢太頻繁，請稍候一分鐘再試",
                "Too many searches; wait a minute and try again",
            )));
        }
        self.guard_signed_in_guess(actor).await?;
        let mut c = self.db.read().await?;
        let rows =
            store::find(&mut c, OrgUnitId(agency), &number, &code, today(self.now())).await?;
        if rows.is_empty() {
            drop(c);
            self.signed_in_miss(actor, ctx_label(agency, &number), ctx)
                .await?;
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(rows.len());
        for topic in rows {
            let files = store::topic_files(&mut c, topic.id).await?;
            out.push(TopicView {
                topic: topic.without_code(),
                files,
            });
        }
        Ok(out)
    }

    /// One file of a served topic for someone signed in who names its code
    /// (or keeps it); the download is audited and counted.
    pub async fn topic_file(
        &self,
        actor: &Principal,
        id: i64,
        file: i64,
        code: &str,
        ctx: &Ctx,
    ) -> Result<FileBytes> {
        let t = store::get(&mut *self.db.read().await?, id)
            .await?
            .ok_or(Error::NotFound)?;
        let keeper = actor.topic_keeper(&seen(&t)).is_ok();
        if !keeper {
            // The code is the lock: the same rate and the same count of
            // misses as the download area's search, so a colleague cannot
            // try codes here instead.
            self.guard_signed_in_guess(actor).await?;
            if t.code != code.trim() {
                self.signed_in_miss(actor, t.full_number(), ctx).await?;
                return Err(Error::NotFound);
            }
            if !served(t.takedown, self.now()) {
                return Err(Error::NotFound);
            }
        }
        self.serve_topic_file(Some(actor), &t, file, false, ctx)
            .await
    }

    async fn serve_topic_file(
        &self,
        actor: Option<&Principal>,
        t: &TopicRow,
        file: i64,
        public: bool,
        ctx: &Ctx,
    ) -> Result<FileBytes> {
        let files = store::topic_files(&mut *self.db.read().await?, t.id).await?;
        if !files.iter().any(|f| f.file_id.0 == file) {
            return Err(Error::NotFound);
        }
        let f = self.read_kept(FileId(file)).await?;
        let mut tx = self.db.begin().await?;
        store::count_download(&mut tx, t.id).await?;
        let e = topic_event(
            ctx,
            actor,
            "document.download",
            t,
            json!({ "file": f.file.name, "public": public }),
        );
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(f)
    }

    /// The public page's lookup (本府以外機關下載): slowed per caller,
    /// blocked after repeated misses by caller and by document; a public,
    /// served topic named exactly, code included, with its files.
    pub async fn public_lookup(&self, input: &LookupInput, ctx: &Ctx) -> Result<TopicView> {
        let l = input.check()?;
        let t = self.guarded_lookup(&l, ctx).await?;
        let files = store::topic_files(&mut *self.db.read().await?, t.id).await?;
        Ok(TopicView {
            topic: t.without_code(),
            files,
        })
    }

    /// A file through the public page: the lookup again, then the file.
    pub async fn public_file(
        &self,
        input: &LookupInput,
        file: i64,
        ctx: &Ctx,
    ) -> Result<FileBytes> {
        let l = input.check()?;
        let t = self.guarded_lookup(&l, ctx).await?;
        self.serve_topic_file(None, &t, file, true, ctx).await
    }

    /// Inside the portal, a person names a code too (公文附件下載區, a
    /// file of it): 30 tries a minute, and after [`CALLER_GUESSES`] wrong
    /// codes in a window no more tries for an hour, counted per account.
    async fn guard_signed_in_guess(&self, actor: &Principal) -> Result<()> {
        if !self
            .rate_allow(&format!("doc-find:{}", actor.account_id().0), 30)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "查詢太頻繁，請稍候一分鐘再試",
                "Too many searches; wait a minute and try again",
            )));
        }
        let key = format!("acct:{}", actor.account_id().0);
        let mine = store::guesses(&mut *self.db.read().await?, &key).await?;
        if Guesses::blocked(mine.as_ref(), self.now()) {
            return Err(Error::Refused(Msg::new(
                "識別碼錯誤次數過多，已暫停查詢一小時；請向發文機關確認公文字號與識別碼",
                "Too many wrong codes: lookups are paused for an hour. Check the number and code with the agency that sent it",
            )));
        }
        Ok(())
    }

    /// A wrong code named inside the portal: counted against the account;
    /// the block, when it falls, is audited.
    async fn signed_in_miss(&self, actor: &Principal, label: String, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let key = format!("acct:{}", actor.account_id().0);
        let mut tx = self.db.begin().await?;
        let mine = store::guesses(&mut tx, &key).await?;
        let next = Guesses::fail(mine.as_ref(), now, CALLER_GUESSES);
        store::record_guesses(&mut tx, &key, &next).await?;
        tx.commit().await.map_err(db_err)?;
        if next.blocked_until.is_some_and(|b| b > now) {
            let mut e = event(ctx, "document.lookup_blocked");
            e.actor_id = Some(actor.account_id().0);
            e.actor_login = actor.login().to_owned();
            e.target_kind = "document".into();
            e.target_label = label;
            e.outcome = Some(Outcome::Refused);
            e.detail = json!({ "failures": next.failures }).to_string();
            self.audit_committed(e).await?;
        }
        Ok(())
    }

    async fn guarded_lookup(&self, l: &Lookup, ctx: &Ctx) -> Result<TopicRow> {
        if !self
            .rate_allow(&format!("doc-public:{}", ctx.ip), 10)
            .await?
        {
            return Err(Error::Refused(Msg::new(
                "查詢太頻繁，請稍候一分鐘再試",
                "Too many lookups; wait a minute and try again",
            )));
        }
        let now = self.now();
        let caller = format!("ip:{}", ctx.ip);
        let document = format!("doc:{}|{}|{}", l.word, l.number, l.branch);
        let mut c = self.db.read().await?;
        let mine = store::guesses(&mut c, &caller).await?;
        if Guesses::blocked(mine.as_ref(), now) {
            return Err(Error::Refused(Msg::new(
                "查詢錯誤次數過多，已暫停查詢一小時；請確認公文字號與識別碼後再試，或洽發文機關",
                "Too many wrong lookups: lookups are paused for an hour. Check the number and code, or ask the agency that sent it",
            )));
        }
        let theirs = store::guesses(&mut c, &document).await?;
        if Guesses::blocked(theirs.as_ref(), now) {
            return Err(Error::Refused(Msg::new(
                "這份公文的查詢錯誤次數過多，暫停公開查詢一小時；請洽發文機關取得附件",
                "Too many wrong lookups of this document: its public lookup is paused for an hour. Ask the agency that sent it",
            )));
        }
        let found = store::lookup(&mut c, l).await?;
        drop(c);
        match found {
            Some(t) if t.public && served(t.takedown, now) => Ok(t),
            // The right code for a document not (or no longer) offered: a
            // miss, but not a guess.
            Some(_) => Err(no_match()),
            None => {
                let mut tx = self.db.begin().await?;
                let mine = Guesses::fail(mine.as_ref(), now, CALLER_GUESSES);
                let theirs = Guesses::fail(theirs.as_ref(), now, DOCUMENT_GUESSES);
                store::record_guesses(&mut tx, &caller, &mine).await?;
                store::record_guesses(&mut tx, &document, &theirs).await?;
                tx.commit().await.map_err(db_err)?;
                if mine.blocked_until.is_some_and(|b| b > now) {
                    let mut e = event(ctx, "document.lookup_blocked");
                    e.target_kind = "document".into();
                    e.target_label =
                        portico_core::document::full_number(&l.word, &l.number, &l.branch);
                    e.outcome = Some(Outcome::Refused);
                    e.detail = json!({ "failures": mine.failures }).to_string();
                    self.audit_committed(e).await?;
                }
                Err(no_match())
            }
        }
    }
}
