//! Write-through (issue 13 §2): every change of an account is queued for
//! each enabled target in the change's own transaction, and applied in
//! order per account by the directory worker. A change reads the account
//! as it is when applied, so it converges on the latest state however many
//! were queued, and applying it twice changes nothing the second time.
use super::client::{self, Failure};
use crate::{App, Result};
use ldap3::{Ldap, LdapError, Mod, Scope, SearchEntry};
use portico_core::Error;
use portico_core::account::AccountState;
use portico_core::directory::{
    DirectoryKind, Person, Target, ad_password, escape_filter_value, worth_retrying,
};
use portico_core::ids::{AccountId, MailboxId};
use portico_core::mailbox::MailboxState;
use portico_store::directory::{self as store, Op, TargetRow};
use portico_store::{Tx, accounts, db_err, mailboxes};
use std::collections::{HashMap, HashSet};
use time::Duration;

/// What the sealed password of a queued change is sealed with.
const SEAL: &str = "directory-op";
/// How long a worker holds a change it is applying.
const LEASE: Duration = Duration::seconds(120);

/// One round of the directory worker.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryRound {
    pub applied: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// Why a change did not apply: whether trying again can help, the LDAP
/// result code if the directory answered, and what was said.
struct Refusal {
    retry: bool,
    code: Option<i64>,
    text: String,
}

impl From<LdapError> for Refusal {
    fn from(e: LdapError) -> Refusal {
        match e {
            LdapError::LdapResult { result } => Refusal {
                retry: worth_retrying(result.rc),
                code: Some(i64::from(result.rc)),
                text: format!("{}: {}", result.rc, result.text),
            },
            // The link broke, or timed out: the directory may come back.
            other => Refusal {
                retry: true,
                code: None,
                text: other.to_string(),
            },
        }
    }
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Refusal {
        Refusal {
            // A wrong bind password or base stays wrong until someone
            // mends the target; retried all the same, so the queue drains
            // once they do.
            retry: true,
            code: None,
            text: format!("{}: {}", f.message.en, f.detail),
        }
    }
}

fn check(r: ldap3::LdapResult) -> std::result::Result<(), Refusal> {
    r.success().map(|_| ()).map_err(Refusal::from)
}

impl App {
    /// Queues a sync of the account for every enabled target, in `tx`.
    pub(crate) async fn queue_person(&self, tx: &mut Tx, id: AccountId) -> Result<()> {
        self.queue_sync(tx, &subject(id)).await
    }

    /// Queues a sync of a mail account for every enabled target, in `tx`.
    pub(crate) async fn queue_mailbox(&self, tx: &mut Tx, id: MailboxId) -> Result<()> {
        self.queue_sync(tx, &mailbox_subject(id)).await
    }

    async fn queue_sync(&self, tx: &mut Tx, subject: &str) -> Result<()> {
        let now = self.now();
        for t in store::enabled_targets(tx).await? {
            store::enqueue(tx, t.id, subject, "sync_person", None, now).await?;
        }
        Ok(())
    }

    /// Queues a sync of everyone in a unit's subtree (the unit renamed,
    /// renumbered or moved), in `tx`.
    pub(crate) async fn queue_people_under(
        &self,
        tx: &mut Tx,
        path: &portico_core::org::TreePath,
    ) -> Result<()> {
        // The targets once for the whole subtree, not once per person.
        let targets = store::enabled_targets(tx).await?;
        if targets.is_empty() {
            return Ok(());
        }
        let now = self.now();
        for id in portico_store::orgs::accounts_in_subtree(tx, path).await? {
            for t in &targets {
                store::enqueue(tx, t.id, &subject(AccountId(id)), "sync_person", None, now).await?;
            }
        }
        Ok(())
    }

    /// Queues a password for every enabled target that syncs passwords,
    /// sealed under the master key, in `tx`; then a sync, which applies the
    /// state the password may have unlocked.
    pub(crate) async fn queue_password(
        &self,
        tx: &mut Tx,
        id: AccountId,
        password: &str,
    ) -> Result<()> {
        self.queue_secret(tx, &subject(id), password).await
    }

    /// A mail account's password, as [`App::queue_password`] queues a
    /// person's.
    pub(crate) async fn queue_mailbox_password(
        &self,
        tx: &mut Tx,
        id: MailboxId,
        password: &str,
    ) -> Result<()> {
        self.queue_secret(tx, &mailbox_subject(id), password).await
    }

    async fn queue_secret(&self, tx: &mut Tx, subject: &str, password: &str) -> Result<()> {
        let now = self.now();
        let targets = store::enabled_targets(tx).await?;
        if targets.iter().any(|t| t.target.password_sync) {
            let sealed = self.master()?.seal(SEAL, password.as_bytes())?;
            for t in targets.iter().filter(|t| t.target.password_sync) {
                store::enqueue(tx, t.id, subject, "set_password", Some(&sealed), now).await?;
            }
        }
        Ok(())
    }

    /// The directory worker: applies the changes that are due, a target's
    /// over one connection, each account's in order.
    pub async fn deliver_directory(&self) -> Result<DirectoryRound> {
        let mut round = DirectoryRound::default();
        // Each pass takes the head of every account's queue; the next
        // pass, the change after it. Retries wait for their time.
        for _ in 0..50 {
            let now = self.now();
            let due = store::due(&mut *self.db.read().await?, now, 200).await?;
            if due.is_empty() {
                break;
            }
            self.directory_pass(due, now, &mut round).await?;
        }
        Ok(round)
    }

    async fn directory_pass(
        &self,
        due: Vec<Op>,
        now: time::OffsetDateTime,
        round: &mut DirectoryRound,
    ) -> Result<()> {
        let mut by_target: Vec<(i64, Vec<Op>)> = Vec::new();
        for op in due {
            match by_target.iter_mut().find(|(t, _)| *t == op.target_id) {
                Some((_, ops)) => ops.push(op),
                None => by_target.push((op.target_id, vec![op])),
            }
        }
        for (target_id, ops) in by_target {
            let Some(row) =
                store::target_unattended(&mut *self.db.read().await?, target_id).await?
            else {
                continue;
            };
            let mut conn = None;
            // The OUs this connection has seen exist: each is looked up
            // once per pass, not once per person in it.
            let mut known_ous = HashSet::new();
            // The target's batch is leased in one transaction; a change
            // another worker holds is left to it.
            let mut taken = Vec::with_capacity(ops.len());
            let mut tx = self.db.begin().await?;
            for op in ops {
                if store::claim(&mut tx, op.id, now, now + LEASE).await? {
                    taken.push(op);
                }
            }
            tx.commit().await.map_err(db_err)?;
            for op in taken {
                let outcome = self.apply_op(&row, &op, &mut conn, &mut known_ous).await?;
                let mut tx = self.db.begin().await?;
                match outcome {
                    Ok(()) => {
                        store::mark_applied(&mut tx, op.id, self.now()).await?;
                        round.applied += 1;
                    }
                    Err(r) if r.retry => {
                        // A broken link is opened again next time.
                        if r.code.is_none() {
                            conn = None;
                        }
                        // A unit may have gone meanwhile: look again.
                        known_ous.clear();
                        let wait = Duration::seconds(30 * (1i64 << op.attempts.clamp(0, 7)));
                        store::retry_at(&mut tx, op.id, self.now() + wait, r.code, &r.text).await?;
                        round.retrying += 1;
                    }
                    Err(r) => {
                        store::mark_failed(&mut tx, op.id, r.code, &r.text).await?;
                        round.failed += 1;
                    }
                }
                tx.commit().await.map_err(db_err)?;
            }
        }
        Ok(())
    }

    async fn apply_op(
        &self,
        row: &TargetRow,
        op: &Op,
        conn: &mut Option<Ldap>,
        known_ous: &mut HashSet<String>,
    ) -> Result<std::result::Result<(), Refusal>> {
        let Some(subject) = Subject::parse(&op.subject) else {
            return Ok(Err(Refusal {
                retry: false,
                code: None,
                text: format!("unknown subject {}", op.subject),
            }));
        };
        let password = match (op.op.as_str(), &op.secret) {
            ("set_password", Some(s)) => Some(
                String::from_utf8(self.master()?.open(SEAL, s)?)
                    .map_err(|_| Error::internal("sealed password is not text"))?,
            ),
            ("set_password", None) => return Ok(Ok(())),
            _ => None,
        };
        let entry = match subject {
            Subject::Account(id) => self.person_of(id).await?,
            Subject::Mailbox(id) => self.mailbox_entry(id).await?,
        };
        let Some(person) = entry else {
            // Not (or no longer) in the directory's business: a pending or
            // rejected application, an account gone.
            return Ok(Ok(()));
        };
        if conn.is_none() {
            let pw = self.bind_password(row)?;
            match client::connect(&row.target, &pw).await {
                Ok(l) => *conn = Some(l),
                Err(f) => return Ok(Err(f.into())),
            }
        }
        let Some(ldap) = conn.as_mut() else {
            return Err(Error::internal("no directory connection"));
        };
        Ok(apply_person(ldap, &row.target, &person, password.as_deref(), known_ous).await)
    }

    /// The account as the directory should hold it, if it should at all:
    /// approved, active or disabled (an applicant waiting or rejected has
    /// no entry yet).
    async fn person_of(&self, id: AccountId) -> Result<Option<Person>> {
        let Some(a) = accounts::get(&mut *self.db.read().await?, id).await? else {
            return Ok(None);
        };
        if matches!(a.state, AccountState::Pending | AccountState::Rejected) {
            return Ok(None);
        }
        let tree = self.org_tree().await?;
        Ok(Some(person_from(&a, &tree)))
    }

    /// A mail account as the directory should hold it, once approved.
    async fn mailbox_entry(&self, id: MailboxId) -> Result<Option<Person>> {
        let m = mailboxes::get(&mut *self.db.read().await?, id).await?;
        Ok(
            m.filter(|m| matches!(m.state, MailboxState::Active | MailboxState::Disabled))
                .map(|m| mailbox_from(&m)),
        )
    }
}

/// A mail account as a directory should hold it: named by its address's
/// local part, under the mail base, its agency as the company.
pub(crate) fn mailbox_from(m: &mailboxes::Mailbox) -> Person {
    Person {
        login: m.local_part.clone(),
        name: m.name.clone(),
        official_email: m.address.clone(),
        agency_name: m.agency_name.clone(),
        enabled: m.state.may_sign_in(),
        mailbox: true,
        ..Person::default()
    }
}

/// What a queued change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    Account(AccountId),
    Mailbox(MailboxId),
}

impl Subject {
    pub(crate) fn parse(s: &str) -> Option<Subject> {
        let (kind, id) = s.split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "account" => Some(Subject::Account(AccountId(id))),
            "mailbox" => Some(Subject::Mailbox(MailboxId(id))),
            _ => None,
        }
    }
}

/// An account as a directory should hold it, its unit named from the top
/// of the tree down.
pub(crate) fn person_from(a: &accounts::Account, tree: &crate::orgs::Tree) -> Person {
    let unit_names = a
        .unit_path
        .ids()
        .iter()
        .filter_map(|u| tree.get(*u).map(|u| u.name.clone()))
        .collect();
    let unit_oid = tree
        .get(a.unit_id)
        .map(|u| u.oid.clone())
        .unwrap_or_default();
    Person {
        login: a.login.clone(),
        name: a.name.clone(),
        title: a.title.clone(),
        office_phone: a.office_phone.clone(),
        office_ext: a.office_ext.clone(),
        official_email: a.official_email.clone(),
        unit_names,
        agency_name: a.agency_name.clone(),
        unit_oid,
        enabled: a.state == AccountState::Active,
        mailbox: false,
    }
}

/// The attributes of an entry (names lower-cased) that differ from what
/// Portico holds, with the values they should have.
pub(crate) fn differing(
    t: &Target,
    p: &Person,
    current: &HashMap<String, Vec<String>>,
) -> Vec<(String, Vec<String>)> {
    t.person_attributes(p)
        .into_iter()
        .filter(|(a, v)| {
            let have = current
                .get(&a.to_lowercase())
                .map(|v| set_of(v))
                .unwrap_or_default();
            have != set_of(v)
        })
        .collect()
}

pub(crate) fn subject(id: AccountId) -> String {
    format!("account:{}", id.0)
}

pub(crate) fn mailbox_subject(id: MailboxId) -> String {
    format!("mailbox:{}", id.0)
}

fn set_of(v: &[String]) -> HashSet<String> {
    v.iter().cloned().collect()
}

/// Brings one person's entry to what Portico holds: the OUs above it, the
/// entry itself (made if missing, moved if its unit changed), the
/// attributes that differ, the password if one came, then whether they
/// may sign in. Nothing is written where the directory already agrees.
async fn apply_person(
    ldap: &mut Ldap,
    t: &Target,
    p: &Person,
    password: Option<&str>,
    known_ous: &mut HashSet<String>,
) -> std::result::Result<(), Refusal> {
    for (dn, name) in t.unit_dns(&p.unit_names).iter().zip(&p.unit_names) {
        if known_ous.contains(dn) {
            continue;
        }
        if !client::exists(ldap, dn).await? {
            let attrs = vec![
                (
                    "objectClass".to_owned(),
                    set_of(&["top".into(), "organizationalUnit".into()]),
                ),
                ("ou".to_owned(), set_of(std::slice::from_ref(name))),
            ];
            check(ldap.add(dn, attrs).await?)?;
        }
        known_ous.insert(dn.clone());
    }
    let desired = t.person_attributes(p);
    let (enabled_attr, enabled_values) = t.enabled_attribute(p.enabled);
    let mut wanted: Vec<String> = desired.iter().map(|(a, _)| a.clone()).collect();
    wanted.push(enabled_attr.clone());
    let filter = format!(
        "({}={})",
        t.login_attribute(),
        escape_filter_value(&p.login)
    );
    let (found, res) = ldap
        .search(
            &t.search_base_of(p),
            Scope::Subtree,
            &filter,
            wanted.clone(),
        )
        .await?
        .success()
        .map_err(Refusal::from)?;
    let _ = res;
    let dn = t.person_dn(p);
    let current: Option<(String, HashMap<String, Vec<String>>)> =
        found.into_iter().next().map(|e| {
            let e = SearchEntry::construct(e);
            let attrs = e
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect();
            (e.dn, attrs)
        });
    let current = match current {
        None => {
            let mut attrs: Vec<(String, HashSet<String>)> = vec![
                (
                    "objectClass".into(),
                    t.person_classes().iter().map(|c| c.to_string()).collect(),
                ),
                (
                    t.login_attribute().into(),
                    set_of(std::slice::from_ref(&p.login)),
                ),
            ];
            for (a, v) in &desired {
                if !v.is_empty() {
                    attrs.push((a.clone(), set_of(v)));
                }
            }
            if t.kind == DirectoryKind::ActiveDirectory {
                // Made disabled: AD lets an account sign in only once it
                // has a password.
                attrs.push(t.enabled_attribute(false).into_values());
            }
            check(ldap.add(&dn, attrs).await?)?;
            HashMap::new()
        }
        Some((at, attrs)) => {
            // A mail account is an entry Portico made under the mail base:
            // one of that name elsewhere (a service account, a person the
            // directory holds) is not taken over, and its password is not set.
            if p.mailbox && !at.eq_ignore_ascii_case(&dn) {
                return Err(Refusal {
                    retry: false,
                    // As the directory says of a name taken (RFC 4511
                    // entryAlreadyExists), so the page reads it so.
                    code: Some(68),
                    text: format!(
                        "the name {} is held by another directory entry ({at}); a mail account does not take it over",
                        p.login
                    ),
                });
            }
            if !at.eq_ignore_ascii_case(&dn) {
                let (rdn, parent) = dn.split_once(',').unwrap_or((dn.as_str(), ""));
                check(ldap.modifydn(&at, rdn, true, Some(parent)).await?)?;
            }
            attrs
        }
    };
    let mods: Vec<Mod<String>> = differing(t, p, &current)
        .into_iter()
        .map(|(a, v)| Mod::Replace(a, set_of(&v)))
        .collect();
    if !mods.is_empty() {
        check(ldap.modify(&dn, mods).await?)?;
    }
    if let Some(pw) = password {
        match t.kind {
            DirectoryKind::ActiveDirectory => {
                let m = vec![Mod::Replace(
                    b"unicodePwd".to_vec(),
                    HashSet::from([ad_password(pw)]),
                )];
                check(ldap.modify(&dn, m).await?)?;
            }
            DirectoryKind::Ldap => {
                let (_, r) = ldap
                    .extended(ldap3::exop::PasswordModify {
                        user_id: Some(&dn),
                        old_pass: None,
                        new_pass: Some(pw),
                    })
                    .await?
                    .success()
                    .map_err(Refusal::from)?;
                let _ = r;
            }
        }
    }
    let have = current
        .get(&enabled_attr.to_lowercase())
        .map(|v| set_of(v))
        .unwrap_or_default();
    let fresh_ad = current.is_empty() && t.kind == DirectoryKind::ActiveDirectory;
    if have != set_of(&enabled_values) || fresh_ad {
        check(
            ldap.modify(
                &dn,
                vec![Mod::Replace(enabled_attr, set_of(&enabled_values))],
            )
            .await?,
        )?;
    }
    Ok(())
}

/// An attribute and its values as an entry's part.
trait IntoValues {
    fn into_values(self) -> (String, HashSet<String>);
}

impl IntoValues for (String, Vec<String>) {
    fn into_values(self) -> (String, HashSet<String>) {
        (self.0, self.1.into_iter().collect())
    }
}

impl App {
    /// Records who changed an account, when and why, and queues the change
    /// for the directories: every account change goes through here.
    pub(crate) async fn account_changed(
        &self,
        tx: &mut Tx,
        w: portico_core::permission::AccountWrite,
        ch: &accounts::Change<'_>,
    ) -> Result<()> {
        accounts::note_change(tx, w, ch).await?;
        self.queue_person(tx, w.id()).await
    }
}
