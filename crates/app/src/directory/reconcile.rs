//! Reconcile (issue 13 §4): a target's directory compared with Portico —
//! who is missing, who is extra, which attributes changed, who is in the
//! wrong OU or the wrong state — and, unless it is a dry run, the drifted
//! accounts queued for a sync, which repairs them through the same path as
//! every change. Entries that exist only in the directory are reported and
//! never deleted.
use super::client;
use super::sync::{differing, mailbox_from, mailbox_subject, person_from, subject};
use crate::{App, Ctx, Result};
use portico_core::Error;
use portico_store::directory::{self as store, TargetRow};
use portico_store::{accounts, audit, db_err, mailboxes};
use std::collections::HashMap;

/// How a target's directory differs from Portico.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    /// Accounts Portico holds that the directory lacks (under the people base).
    pub missing: Vec<String>,
    /// Entries under the people base no account names: (login, DN).
    pub extra: Vec<(String, String)>,
    /// Accounts whose entry holds other values: (login, the attributes).
    pub changed: Vec<(String, Vec<String>)>,
    /// Accounts whose entry is elsewhere: (login, where it is, where it belongs).
    pub misplaced: Vec<(String, String, String)>,
    /// Accounts whose entry may sign in when it should not, or the reverse.
    pub wrong_state: Vec<String>,
    /// How many accounts were compared.
    pub compared: usize,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.extra.is_empty()
            && self.changed.is_empty()
            && self.misplaced.is_empty()
            && self.wrong_state.is_empty()
    }
    /// The drifted accounts (extras are not Portico's to repair).
    fn logins(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .missing
            .iter()
            .map(String::as_str)
            .chain(self.changed.iter().map(|(l, _)| l.as_str()))
            .chain(self.misplaced.iter().map(|(l, _, _)| l.as_str()))
            .chain(self.wrong_state.iter().map(String::as_str))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl Drift {
    /// The drift as a table, one row per difference, for an xlsx or ODS
    /// report (the sync page's export, `portico directory reconcile
    /// --report`).
    pub fn table(&self, lang: portico_core::Lang) -> crate::export::Table<'static> {
        let tr = |zh: &str, en: &str| {
            if lang == portico_core::Lang::En {
                en
            } else {
                zh
            }
            .to_owned()
        };
        let mut rows = Vec::new();
        for l in &self.missing {
            rows.push(vec![tr("目錄缺少", "Missing"), l.clone(), String::new()]);
        }
        for (l, dn) in &self.extra {
            rows.push(vec![
                tr("目錄多出（不會刪除）", "Extra (never deleted)"),
                l.clone(),
                dn.clone(),
            ]);
        }
        for (l, a) in &self.changed {
            rows.push(vec![tr("屬性不同", "Changed"), l.clone(), a.join(", ")]);
        }
        for (l, at, want) in &self.misplaced {
            rows.push(vec![
                tr("OU 不同", "Misplaced"),
                l.clone(),
                format!("{at} → {want}"),
            ]);
        }
        for l in &self.wrong_state {
            rows.push(vec![
                tr("狀態不同", "Wrong state"),
                l.clone(),
                String::new(),
            ]);
        }
        crate::export::Table {
            name: if lang == portico_core::Lang::En {
                "Drift"
            } else {
                "差異"
            },
            headers: vec![
                tr("差異", "Drift"),
                tr("帳號", "Login"),
                tr("內容", "Detail"),
            ],
            rows,
        }
    }
}

impl App {
    /// Compares one target with Portico, and unless `dry_run` queues a sync
    /// of every drifted account. For the command line and the sync page
    /// (whose caller has checked it is a system admin).
    pub async fn reconcile_directory(
        &self,
        target_id: i64,
        dry_run: bool,
        ctx: &Ctx,
    ) -> Result<Drift> {
        let row = store::target_unattended(&mut *self.db.read().await?, target_id)
            .await?
            .ok_or(Error::NotFound)?;
        let drift = self.drift_of(&row).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::new();
        if !dry_run {
            for login in drift.logins() {
                if let Some(a) = accounts::find_by_login(&mut tx, login).await? {
                    ids.push(subject(a.id));
                } else if let Some(m) = mailboxes::find_by_local_part(&mut tx, login).await? {
                    ids.push(mailbox_subject(m.id));
                }
            }
            for s in &ids {
                store::enqueue(&mut tx, row.id, s, "sync_person", None, now).await?;
            }
        }
        let mut e = crate::event(ctx, "directory.reconcile");
        e.target_kind = "directory".into();
        e.target_id = Some(row.id);
        e.target_label = row.target.name.chars().take(60).collect();
        e.detail = serde_json::json!({
            "dry_run": dry_run,
            "compared": drift.compared,
            "missing": drift.missing.len(),
            "extra": drift.extra.len(),
            "changed": drift.changed.len(),
            "misplaced": drift.misplaced.len(),
            "wrong_state": drift.wrong_state.len(),
            "queued": ids.len(),
        })
        .to_string();
        audit::append(&mut tx, &e, now).await?;
        tx.commit().await.map_err(db_err)?;
        if !ids.is_empty() {
            self.wake_outbox();
        }
        Ok(drift)
    }

    /// The enabled targets' numbers (the command line's default).
    pub async fn enabled_directory_ids(&self) -> Result<Vec<i64>> {
        Ok(store::enabled_targets(&mut *self.db.read().await?)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    async fn drift_of(&self, row: &TargetRow) -> Result<Drift> {
        let t = &row.target;
        let pw = self.bind_password(row)?;
        let mut ldap = client::connect(t, &pw)
            .await
            .map_err(|f| Error::Refused(f.message))?;
        let login_attr = t.login_attribute().to_lowercase();
        let (enabled_attr, _) = t.enabled_attribute(true);
        let mut attrs: Vec<String> = vec![t.login_attribute().to_owned(), enabled_attr.clone()];
        // The attributes Portico keeps, named once (their values differ by
        // person, their names do not).
        let sample = portico_core::directory::Person::default();
        attrs.extend(t.person_attributes(&sample).into_iter().map(|(a, _)| a));
        let filter = format!("({}=*)", t.login_attribute());
        let mut bases = vec![t.people_base.clone()];
        if t.mail_base_apart() {
            bases.push(t.mail_base.clone());
        }
        let mut found = Vec::new();
        for base in &bases {
            let mut part = client::search_all(&mut ldap, base, &filter, attrs.clone())
                .await
                .map_err(|e| {
                    Error::Refused(portico_core::Msg::owned(
                        format!("讀取目錄失敗：{e}"),
                        format!("Reading the directory failed: {e}"),
                    ))
                })?;
            found.append(&mut part);
        }
        let _ = ldap.unbind().await;
        let mut entries: HashMap<String, (String, HashMap<String, Vec<String>>)> = HashMap::new();
        for e in found {
            let attrs: HashMap<String, Vec<String>> = e
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect();
            if let Some(login) = attrs.get(&login_attr).and_then(|v| v.first()) {
                entries.insert(login.to_lowercase(), (e.dn, attrs));
            }
        }
        let tree = self.org_tree().await?;
        let mut drift = Drift::default();
        let mut after = 0;
        loop {
            let page = accounts::provisioned(&mut *self.db.read().await?, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for a in &page {
                compare(t, &person_from(a, &tree), &mut entries, &mut drift);
            }
        }
        let mut after = 0;
        loop {
            let page = mailboxes::provisioned(&mut *self.db.read().await?, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for m in &page {
                compare(t, &mailbox_from(m), &mut entries, &mut drift);
            }
        }
        let mut extra: Vec<(String, String)> =
            entries.into_iter().map(|(l, (dn, _))| (l, dn)).collect();
        extra.sort();
        drift.extra = extra;
        Ok(drift)
    }
}

/// One entry Portico holds, against what the directory has under its name
/// (taken out of `entries`, so what stays there is extra).
fn compare(
    t: &portico_core::directory::Target,
    p: &portico_core::directory::Person,
    entries: &mut HashMap<String, (String, HashMap<String, Vec<String>>)>,
    drift: &mut Drift,
) {
    drift.compared += 1;
    let Some((dn, current)) = entries.remove(&p.login.to_lowercase()) else {
        drift.missing.push(p.login.clone());
        return;
    };
    let want = t.person_dn(p);
    if !dn.eq_ignore_ascii_case(&want) {
        drift.misplaced.push((p.login.clone(), dn, want));
    }
    let changed: Vec<String> = differing(t, p, &current)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    if !changed.is_empty() {
        drift.changed.push((p.login.clone(), changed));
    }
    let (attr, values) = t.enabled_attribute(p.enabled);
    let have: std::collections::HashSet<&String> = current
        .get(&attr.to_lowercase())
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    if have != values.iter().collect() {
        drift.wrong_state.push(p.login.clone());
    }
}

/// How a first import (`--adopt`) links the directory's existing entries
/// to Portico's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptBy {
    /// By the login attribute (AD's `sAMAccountName`, LDAP's `uid`): the
    /// entry of the same name is the account's.
    Login,
    /// By `mail` against the account's official e-mail: an entry named
    /// otherwise takes the account's login.
    Mail,
}

impl AdoptBy {
    pub fn parse(s: &str) -> Option<AdoptBy> {
        match s.to_ascii_lowercase().as_str() {
            "" | "login" | "samaccountname" | "uid" => Some(AdoptBy::Login),
            "mail" => Some(AdoptBy::Mail),
            _ => None,
        }
    }
}

/// What a first import found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Adoption {
    /// Entries found under the account's own login.
    pub by_login: usize,
    /// Entries found by the chosen attribute and renamed to the account's
    /// login: (login, the entry's DN, its old name).
    pub renamed: Vec<(String, String, String)>,
    /// The drift after linking (what the syncs then repair).
    pub drift: Drift,
}

impl App {
    /// A first import (issue 13 §4): links a directory that already holds
    /// the city's people to Portico's accounts, by login or by `mail`, then
    /// reconciles — so each account's entry is moved and corrected where it
    /// differs, and what already agrees is not written. Unless `dry_run`,
    /// the renames are written and the drifted accounts queued.
    pub async fn adopt_directory(
        &self,
        target_id: i64,
        by: AdoptBy,
        dry_run: bool,
        ctx: &Ctx,
    ) -> Result<Adoption> {
        let row = store::target_unattended(&mut *self.db.read().await?, target_id)
            .await?
            .ok_or(Error::NotFound)?;
        let t = &row.target;
        let pw = self.bind_password(&row)?;
        let mut ldap = client::connect(t, &pw)
            .await
            .map_err(|f| Error::Refused(f.message))?;
        let login_attr = t.login_attribute().to_lowercase();
        let filter = format!("({}=*)", t.login_attribute());
        let found = client::search_all(
            &mut ldap,
            &t.search_base(),
            &filter,
            vec![t.login_attribute().to_owned(), "mail".to_owned()],
        )
        .await
        .map_err(|e| {
            Error::Refused(portico_core::Msg::owned(
                format!("讀取目錄失敗：{e}"),
                format!("Reading the directory failed: {e}"),
            ))
        })?;
        let mut names: HashMap<String, String> = HashMap::new();
        let mut by_mail: HashMap<String, (String, String)> = HashMap::new();
        for e in found {
            let attrs: HashMap<String, Vec<String>> = e
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect();
            let Some(name) = attrs.get(&login_attr).and_then(|v| v.first()) else {
                continue;
            };
            names.insert(name.to_lowercase(), e.dn.clone());
            if let Some(m) = attrs.get("mail").and_then(|v| v.first()) {
                by_mail.insert(m.to_lowercase(), (e.dn.clone(), name.clone()));
            }
        }
        let mut out = Adoption::default();
        let mut after = 0;
        loop {
            let page = accounts::provisioned(&mut *self.db.read().await?, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.id.0;
            for a in &page {
                if names.contains_key(&a.login.to_lowercase()) {
                    out.by_login += 1;
                    continue;
                }
                if by != AdoptBy::Mail || a.official_email.is_empty() {
                    continue;
                }
                let Some((dn, old)) = by_mail.get(&a.official_email.to_lowercase()) else {
                    continue;
                };
                // Another account of Portico's has that name: leave it be.
                if accounts::find_by_login(&mut *self.db.read().await?, &old.to_lowercase())
                    .await?
                    .is_some()
                {
                    continue;
                }
                if !dry_run {
                    rename(&mut ldap, t, dn, &a.login).await?;
                }
                out.renamed.push((a.login.clone(), dn.clone(), old.clone()));
            }
        }
        let _ = ldap.unbind().await;
        let mut tx = self.db.begin().await?;
        let mut e = crate::event(ctx, "directory.adopt");
        e.target_kind = "directory".into();
        e.target_id = Some(row.id);
        e.target_label = row.target.name.chars().take(60).collect();
        e.detail = serde_json::json!({
            "dry_run": dry_run,
            "by_login": out.by_login,
            "renamed": out.renamed.len(),
        })
        .to_string();
        audit::append(&mut tx, &e, self.now()).await?;
        tx.commit().await.map_err(db_err)?;
        out.drift = self.reconcile_directory(target_id, dry_run, ctx).await?;
        Ok(out)
    }
}

/// Gives an entry the account's login: AD's `sAMAccountName` (and the
/// `userPrincipalName` that follows it); on LDAP the `uid` that names it.
async fn rename(
    ldap: &mut ldap3::Ldap,
    t: &portico_core::directory::Target,
    dn: &str,
    login: &str,
) -> Result<()> {
    let failed = |e: ldap3::LdapError| {
        Error::Refused(portico_core::Msg::owned(
            format!("無法更名 {dn}：{e}"),
            format!("Could not rename {dn}: {e}"),
        ))
    };
    match t.kind {
        portico_core::directory::DirectoryKind::ActiveDirectory => {
            let upn = format!("{login}@{}", t.upn_domain());
            ldap.modify(
                dn,
                vec![
                    ldap3::Mod::Replace("sAMAccountName", [login].into()),
                    ldap3::Mod::Replace("userPrincipalName", [upn.as_str()].into()),
                ],
            )
            .await
            .and_then(|r| r.success())
            .map_err(failed)?;
        }
        portico_core::directory::DirectoryKind::Ldap => {
            let rdn = format!("uid={}", portico_core::directory::escape_dn_value(login));
            ldap.modifydn(dn, &rdn, true, None)
                .await
                .and_then(|r| r.success())
                .map_err(failed)?;
        }
    }
    Ok(())
}
