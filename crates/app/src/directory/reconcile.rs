//! Reconcile (issue 13 §4): a target's directory compared with Portico —
//! who is missing, who is extra, which attributes changed, who is in the
//! wrong OU or the wrong state — and, unless it is a dry run, the drifted
//! accounts queued for a sync, which repairs them through the same path as
//! every change. Entries that exist only in the directory are reported and
//! never deleted.
use super::client;
use super::sync::{differing, mailbox_from, mailbox_subject, person_from, subject};
use crate::{App, Ctx, Result};
use ldap3::{Scope, SearchEntry};
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
            let (mut part, _) = ldap
                .search(base, Scope::Subtree, &filter, attrs.clone())
                .await
                .and_then(|r| r.success())
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
            let e = SearchEntry::construct(e);
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
