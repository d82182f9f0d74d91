//! 檔案下載區 (issue 17; seed 004 §伍 三): a person shares files with the
//! whole city or their agency (新增檔案), finds them by keyword or by
//! category, uploading agency and update dates (進階查詢), opens one
//! (詳細) and downloads its files; the uploader and the admins over the
//! agency edit, delete and mark it 保留 for the clean-up. Sharing, each
//! change and each download are audited.
use crate::access::Upload;
use crate::files::{FileBytes, Stashed};
use crate::{App, Ctx, Result, event};
use portico_core::audit::Outcome;
use portico_core::download::{DownloadInput, MAX_FILE, MAX_FILES};
use portico_core::files::check_document;
use portico_core::ids::{FileId, OrgUnitId};
use portico_core::permission::{DownloadKeeper, PostSeen, Principal};
use portico_core::{Error, Msg};
use portico_store::downloads::{
    self as store, DownloadRow, EntryFile, Filter, ForAgency, Reader, Tab,
};
use portico_store::{Conn, Page, accounts, audit, db_err};
use serde_json::json;

/// An entry with its files, and whether the reader keeps it.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub entry: DownloadRow,
    pub files: Vec<EntryFile>,
    pub keeper: bool,
}

/// A list's search as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DownloadQuery {
    pub tab: String,
    pub q: String,
    pub category: String,
    pub agency: String,
    /// 更新時間 from and to, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
}

fn seen(d: &DownloadRow) -> PostSeen<'_> {
    PostSeen {
        id: d.id,
        author: d.owner_id,
        agency: &d.agency_path,
    }
}

fn entry_event(
    ctx: &Ctx,
    actor: &Principal,
    action: &str,
    d: &DownloadRow,
    detail: serde_json::Value,
) -> audit::NewEvent {
    let mut e = event(ctx, action);
    e.actor_id = Some(actor.account_id().0);
    e.actor_login = actor.login().to_owned();
    e.target_kind = "download".into();
    e.target_id = Some(d.id);
    e.target_label = d.description.chars().take(60).collect();
    e.scope_path = d.agency_path.as_str().to_owned();
    e.outcome = Some(Outcome::Ok);
    e.detail = detail.to_string();
    e
}

impl App {
    async fn download_reader(&self, actor: &Principal) -> Result<Reader> {
        let me = accounts::get(&mut *self.db.read().await?, actor.account_id())
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(Reader {
            account: actor.account_id(),
            agency: me.agency_id,
        })
    }

    fn check_entry_files(
        &self,
        files: &[Upload],
        have: usize,
    ) -> Result<Vec<portico_core::files::FileKind>> {
        if have + files.len() > MAX_FILES {
            return Err(Error::invalid(
                "files",
                Msg::owned(
                    format!("檔案至多 {MAX_FILES} 個（已有 {have} 個）"),
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

    async fn stash_entry_files(
        &self,
        files: Vec<Upload>,
        kinds: &[portico_core::files::FileKind],
    ) -> Result<Vec<Stashed>> {
        let mut out = Vec::with_capacity(files.len());
        for (f, k) in files.into_iter().zip(kinds) {
            match self.stash_upload("downloads", &f.name, *k, f.bytes).await {
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

    async fn keep_entry_files(
        &self,
        tx: &mut Conn,
        actor: &Principal,
        w: DownloadKeeper,
        stashed: &[Stashed],
    ) -> Result<()> {
        for s in stashed {
            let file = self.keep_stashed(tx, actor.account_id(), s).await?;
            store::add_file(tx, w, file).await?;
        }
        Ok(())
    }

    /// 新增檔案: an entry for the person's agency, with at least one file.
    pub async fn share_download(
        &self,
        actor: &Principal,
        input: &DownloadInput,
        files: Vec<Upload>,
        ctx: &Ctx,
    ) -> Result<i64> {
        let now = self.now();
        let d = input.check();
        let kinds = self.check_entry_files(&files, 0);
        let no_file = files.is_empty();
        // Every field's message at once.
        let (d, kinds) = match (d, kinds) {
            (Ok(d), Ok(k)) if !no_file => (d, k),
            (d, k) => {
                let mut errs = Vec::new();
                for r in [d.err(), k.err()].into_iter().flatten() {
                    match r {
                        Error::Invalid(v) => errs.extend(v),
                        other => return Err(other),
                    }
                }
                if no_file && !errs.iter().any(|e| e.field == "files") {
                    errs.push(portico_core::FieldError {
                        field: "files",
                        message: Msg::new("請選擇要上傳的檔案", "Choose the file to share"),
                    });
                }
                return Err(Error::Invalid(errs));
            }
        };
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
                "您的帳號不屬於任何機關，無法上傳檔案；請洽機關管理者",
                "Your account belongs to no agency, so it cannot share files; ask your agency administrator",
            )));
        };
        let stashed = self.stash_entry_files(files, &kinds).await?;
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
                &d,
                now,
            )
            .await?;
            let row = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
            let w = actor.download_keeper(&seen(&row))?;
            self.keep_entry_files(&mut tx, actor, w, &stashed).await?;
            let e = entry_event(
                ctx,
                actor,
                "download.share",
                &row,
                json!({ "files": stashed.len(), "scope": d.scope.as_str() }),
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

    async fn kept_entry(
        &self,
        c: &mut Conn,
        actor: &Principal,
        id: i64,
    ) -> Result<(DownloadRow, DownloadKeeper)> {
        let d = store::get(c, id).await?.ok_or(Error::NotFound)?;
        let w = actor.download_keeper(&seen(&d))?;
        Ok((d, w))
    }

    /// 詳細: an entry the person may read, with its files.
    pub async fn download_entry(&self, actor: &Principal, id: i64) -> Result<EntryView> {
        let who = self.download_reader(actor).await?;
        let mut c = self.db.read().await?;
        let entry = store::get(&mut c, id).await?.ok_or(Error::NotFound)?;
        let keeper = actor.download_keeper(&seen(&entry)).is_ok();
        if !who.reads(&entry) && !keeper {
            return Err(Error::NotFound);
        }
        let files = store::entry_files(&mut c, id).await?;
        Ok(EntryView {
            entry,
            files,
            keeper,
        })
    }

    /// 編輯: rewrites an entry and adds the files sent.
    pub async fn edit_download(
        &self,
        actor: &Principal,
        id: i64,
        input: &DownloadInput,
        files: Vec<Upload>,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let (before, have) = {
            let mut c = self.db.read().await?;
            let (d, _) = self.kept_entry(&mut c, actor, id).await?;
            let n = store::entry_files(&mut c, id).await?.len();
            (d, n)
        };
        let d = input.check()?;
        let kinds = self.check_entry_files(&files, have)?;
        let stashed = self.stash_entry_files(files, &kinds).await?;
        let done = async {
            let mut tx = self.db.begin().await?;
            let (_, w) = self.kept_entry(&mut tx, actor, id).await?;
            store::update(&mut tx, w, &d, now).await?;
            self.keep_entry_files(&mut tx, actor, w, &stashed).await?;
            let e = entry_event(
                ctx,
                actor,
                "download.update",
                &before,
                json!({ "files": stashed.len(), "scope": d.scope.as_str() }),
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

    /// The ✕ before a file's name: removes it from the entry. The last file
    /// stays: an entry without a file has nothing to download.
    pub async fn remove_download_file(
        &self,
        actor: &Principal,
        id: i64,
        file: i64,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (d, w) = self.kept_entry(&mut tx, actor, id).await?;
        let files = store::entry_files(&mut tx, id).await?;
        let name = files
            .iter()
            .find(|f| f.file_id.0 == file)
            .map(|f| f.name.clone())
            .ok_or(Error::NotFound)?;
        if files.len() == 1 {
            return Err(Error::Refused(Msg::new(
                "這是最後一個檔案，無法移除；若不再需要，請刪除整筆檔案資料",
                "This is the last file and cannot be removed; delete the whole entry if it is no longer needed",
            )));
        }
        let key = store::remove_file(&mut tx, w, FileId(file), now)
            .await?
            .ok_or(Error::NotFound)?;
        let e = entry_event(
            ctx,
            actor,
            "download.file_remove",
            &d,
            json!({ "file": name }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        if let Err(e) = self.files.delete(&key).await {
            tracing::warn!(%key, error = %e, "a removed file's bytes stay in the file store");
        }
        Ok(())
    }

    /// 刪除: the entry and its files.
    pub async fn delete_download(&self, actor: &Principal, id: i64, ctx: &Ctx) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (d, w) = self.kept_entry(&mut tx, actor, id).await?;
        let keys = store::delete(&mut tx, w, now)
            .await?
            .ok_or(Error::NotFound)?;
        let e = entry_event(
            ctx,
            actor,
            "download.delete",
            &d,
            json!({ "files": keys.len() }),
        );
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        for key in keys {
            if let Err(e) = self.files.delete(&key).await {
                tracing::warn!(%key, error = %e, "a deleted entry's bytes stay in the file store");
            }
        }
        Ok(())
    }

    /// 保留: ticked or not, for the clean-up.
    pub async fn keep_download(
        &self,
        actor: &Principal,
        id: i64,
        keep: bool,
        ctx: &Ctx,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (d, w) = self.kept_entry(&mut tx, actor, id).await?;
        store::set_keep(&mut tx, w, keep).await?;
        let e = entry_event(ctx, actor, "download.keep", &d, json!({ "keep": keep }));
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// A tab of 檔案下載區, searched.
    pub async fn downloads(
        &self,
        actor: &Principal,
        q: &DownloadQuery,
        page: u32,
    ) -> Result<Page<DownloadRow>> {
        let who = self.download_reader(actor).await?;
        let (from, until) = crate::announcements::date_range(&q.from, &q.to)?;
        let agency = match q.agency.trim() {
            "" => None,
            a => Some(OrgUnitId(a.parse().map_err(|_| {
                Error::invalid(
                    "agency",
                    Msg::new(
                        "請從清單選擇上傳單位",
                        "Choose the uploading agency from the list",
                    ),
                )
            })?)),
        };
        let f = Filter {
            tab: Tab::parse(&q.tab),
            q: Some(q.q.as_str()),
            category: Some(q.category.as_str()),
            agency,
            from,
            until,
        };
        store::list(&mut *self.db.read().await?, &who, &f, page.max(1), 20).await
    }

    /// 下載: one file of an entry the person may read; audited and counted.
    pub async fn download_file(
        &self,
        actor: &Principal,
        id: i64,
        file: i64,
        ctx: &Ctx,
    ) -> Result<FileBytes> {
        let v = self.download_entry(actor, id).await?;
        if !v.files.iter().any(|f| f.file_id.0 == file) {
            return Err(Error::NotFound);
        }
        let f = self.read_kept(FileId(file)).await?;
        let mut tx = self.db.begin().await?;
        store::count_download(&mut tx, id).await?;
        let e = entry_event(
            ctx,
            actor,
            "download.download",
            &v.entry,
            json!({ "file": f.file.name }),
        );
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(f)
    }
}
