//! The group commit: the small writes that many requests make at once and
//! that have no transaction of their own to ride in (a rate-limit hit, the
//! audit event of a client-credentials grant) are queued, and one task
//! writes whatever has queued meanwhile in one transaction. Under load many
//! requests share a commit, and the audit chain's head moves once for all
//! the events in it. A caller is answered only when its write is
//! committed, so nothing is issued unaudited and no hit goes uncounted.
use crate::{App, Result};
use portico_core::Error;
use portico_store::{Db, audit, db_err, rates};
use time::OffsetDateTime;

/// The most writes one commit carries.
const GROUP_MAX: usize = 512;

/// How many times the writer gives way to other tasks before a commit.
const LINGER_YIELDS: usize = 2;

/// One queued write.
#[derive(Debug)]
enum Write {
    /// An audit event, at the time it happened.
    Audit(Box<audit::NewEvent>, OffsetDateTime),
    /// Rate-limit hits (a count) for a key in the window starting then
    /// (epoch ms).
    Hit(String, i64, i64),
}

/// A write and who to tell: the hits counted so far in the window for a
/// hit, the event's sequence number for an event.
type Pending = (
    Write,
    tokio::sync::oneshot::Sender<std::result::Result<i64, String>>,
);

#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    /// The writer's queue; started on first use, and again if the writer
    /// ended (a panic, or the runtime that started it went away).
    queue: std::sync::Mutex<Option<tokio::sync::mpsc::Sender<Pending>>>,
}

async fn writer(db: Db, mut rx: tokio::sync::mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::new();
    // The audit chain's head as this writer last left it: a batch of events
    // only is then appended in one round trip, which checks that no one else
    // appended meanwhile (`audit::append_after`).
    let mut head: Option<(i64, String)> = None;
    while let Some(first) = rx.recv().await {
        batch.push(first);
        // Let the requests already running reach the queue before the
        // commit: yielding twice to the scheduler costs no timer and no
        // thread hand-off, and under load it turns commits of one or two
        // into commits of many (each commit costs several round trips to
        // the database).
        let mut yields = 0;
        loop {
            while batch.len() < GROUP_MAX {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            if batch.len() >= GROUP_MAX || yields == LINGER_YIELDS {
                break;
            }
            yields += 1;
            tokio::task::yield_now().await;
        }
        let written = write(&db, &batch, &mut head)
            .await
            .map_err(|e| e.to_string());
        match written {
            Ok(answers) => {
                for ((_, reply), a) in batch.drain(..).zip(answers) {
                    let _ = reply.send(Ok(a));
                }
            }
            Err(e) => {
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Writes a batch; an answer per write, in order. Events alone, with the
/// head known, go in one round trip; otherwise one transaction carries the
/// batch.
async fn write(db: &Db, batch: &[Pending], head: &mut Option<(i64, String)>) -> Result<Vec<i64>> {
    let events: Vec<(usize, (&audit::NewEvent, OffsetDateTime))> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, (w, _))| match w {
            Write::Audit(e, at) => Some((i, (&**e, *at))),
            Write::Hit(..) => None,
        })
        .collect();
    let only: Vec<_> = events.iter().map(|(_, e)| *e).collect();
    let mut answers = vec![0; batch.len()];
    if events.len() == batch.len()
        && let Some(h) = head.as_ref()
    {
        let tried = audit::append_after(&mut *db.autocommit().await?, h, &only).await;
        match tried {
            Ok(Some((seqs, new_head))) => {
                *head = Some(new_head);
                for ((i, _), seq) in events.iter().zip(seqs) {
                    answers[*i] = seq;
                }
                return Ok(answers);
            }
            // Someone else appended since: the locking way, below.
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the one-statement audit append failed; appending in a transaction")
            }
        }
    }
    let mut tx = db.begin().await?;
    for (i, (w, _)) in batch.iter().enumerate() {
        if let Write::Hit(key, window, n) = w {
            answers[i] = rates::hit(&mut tx, key, *window, *n).await?;
        }
    }
    if only.is_empty() {
        tx.commit().await.map_err(db_err)?;
        return Ok(answers);
    }
    *head = None;
    let (seqs, new_head) = audit::append_many_head(&mut tx, &only).await?;
    for ((i, _), seq) in events.iter().zip(seqs) {
        answers[*i] = seq;
    }
    tx.commit().await.map_err(db_err)?;
    // Known only once committed: a rolled-back head is no head.
    *head = Some(new_head);
    Ok(answers)
}

impl App {
    async fn group_write(&self, w: Write) -> Result<i64> {
        let queue = {
            let mut q = self
                .group_commit
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match q.as_ref() {
                Some(tx) if !tx.is_closed() => tx.clone(),
                _ => {
                    let (tx, rx) = tokio::sync::mpsc::channel(16 * GROUP_MAX);
                    tokio::spawn(writer(self.db.clone(), rx));
                    *q = Some(tx.clone());
                    tx
                }
            }
        };
        let (reply, done) = tokio::sync::oneshot::channel();
        queue
            .send((w, reply))
            .await
            .map_err(|_| Error::internal("the group commit stopped"))?;
        done.await
            .map_err(|_| Error::internal("the group commit stopped"))?
            .map_err(|e| Error::internal(format!("group commit: {e}")))
    }

    /// Appends `e` through the group commit; returns its sequence number
    /// once it is committed.
    pub(crate) async fn audit_committed(&self, e: audit::NewEvent) -> Result<i64> {
        self.group_write(Write::Audit(Box::new(e), self.now()))
            .await
    }

    /// Counts `n` rate-limit hits through the group commit: the hits in
    /// the window so far, these included.
    pub(crate) async fn rate_hit(&self, key: &str, window_start: i64, n: i64) -> Result<i64> {
        self.group_write(Write::Hit(key.to_owned(), window_start, n))
            .await
    }
}
