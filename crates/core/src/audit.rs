//! The audit trail: append-only events, each chained to the previous one by
//! a SHA-256 hash, so that editing or deleting any row shows.
pub mod labels;
mod reasons;

use sha2::{Digest, Sha256};

/// The outcome recorded with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Failed,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Ok, Outcome::Failed, Outcome::Refused]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
    pub fn label(self) -> crate::Msg {
        match self {
            Outcome::Ok => crate::Msg::new("成功", "Succeeded"),
            Outcome::Failed => crate::Msg::new("失敗", "Failed"),
            Outcome::Refused => crate::Msg::new("拒絕", "Refused"),
        }
    }
}

/// The hash of the chain's first event's predecessor.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Every field an event's hash covers, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_id: Option<i64>,
    pub actor_login: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: Option<i64>,
    pub target_label: &'a str,
    pub scope_path: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub outcome: &'a str,
    pub reason: &'a str,
    pub detail: &'a str,
}

impl EventFields<'_> {
    /// hex(SHA-256(prev_hash ‖ each field, length-prefixed)). Length
    /// prefixes keep `("ab","c")` and `("a","bc")` apart.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        let mut put = |b: &[u8]| {
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        };
        put(prev_hash.as_bytes());
        put(&self.seq.to_be_bytes());
        put(&self.at_ms.to_be_bytes());
        put(self
            .actor_id
            .map(|v| v.to_string())
            .unwrap_or_default()
            .as_bytes());
        put(self.actor_login.as_bytes());
        put(self.action.as_bytes());
        put(self.target_kind.as_bytes());
        put(self
            .target_id
            .map(|v| v.to_string())
            .unwrap_or_default()
            .as_bytes());
        put(self.target_label.as_bytes());
        put(self.scope_path.as_bytes());
        put(self.ip.as_bytes());
        put(self.user_agent.as_bytes());
        put(self.outcome.as_bytes());
        put(self.reason.as_bytes());
        put(self.detail.as_bytes());
        hex(&h.finalize())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Where a chain first breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The stored hash does not match the event's fields: the row was edited.
    Altered { seq: i64 },
    /// The event does not follow the one before it: a row was removed or
    /// inserted, or the order was changed.
    Gap { expected_seq: i64, found_seq: i64 },
    /// The recorded previous hash is not the previous event's hash.
    Relinked { seq: i64 },
    /// The purge checkpoint the chain resumes from is not signed by this
    /// portal's key: it was written or changed by someone else.
    Checkpoint { seq: i64 },
}

/// Walks the chain as it is read from the store, one event at a time.
#[derive(Debug)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// A chain whose events up to `seq` were purged, resuming from the
    /// checkpoint's `hash` (the last purged event's).
    pub fn after(seq: i64, hash: &str) -> ChainVerifier {
        ChainVerifier {
            next_seq: seq + 1,
            prev_hash: hash.to_owned(),
            checked: 0,
        }
    }

    pub fn check(
        &mut self,
        fields: &EventFields<'_>,
        stored_prev: &str,
        stored_hash: &str,
    ) -> Result<(), Break> {
        if fields.seq != self.next_seq {
            return Err(Break::Gap {
                expected_seq: self.next_seq,
                found_seq: fields.seq,
            });
        }
        if stored_prev != self.prev_hash {
            return Err(Break::Relinked { seq: fields.seq });
        }
        if fields.chain_hash(stored_prev) != stored_hash {
            return Err(Break::Altered { seq: fields.seq });
        }
        self.next_seq += 1;
        self.prev_hash = stored_hash.to_owned();
        self.checked += 1;
        Ok(())
    }

    /// After the last event: the chain must end where the head says.
    pub fn finish(&self, head_seq: i64) -> Result<(), Break> {
        if self.next_seq - 1 != head_seq {
            return Err(Break::Gap {
                expected_seq: head_seq,
                found_seq: self.next_seq - 1,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, action: &str) -> EventFields<'_> {
        EventFields {
            seq,
            at_ms: 1_700_000_000_000 + seq,
            actor_id: Some(1),
            actor_login: "admin",
            action,
            target_kind: "account",
            target_id: Some(2),
            target_label: "wang",
            scope_path: "/1/",
            ip: "127.0.0.1",
            user_agent: "test",
            outcome: "ok",
            reason: "",
            detail: "{}",
        }
    }

    fn chain(actions: &[&'static str]) -> Vec<(EventFields<'static>, String, String)> {
        let mut prev = GENESIS.to_owned();
        let mut out = Vec::new();
        for (i, a) in actions.iter().enumerate() {
            let e = ev(i as i64 + 1, a);
            let h = e.chain_hash(&prev);
            out.push((e, prev.clone(), h.clone()));
            prev = h;
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(&["a", "b", "c"]);
        let mut v = ChainVerifier::default();
        for (e, p, h) in &c {
            v.check(e, p, h).unwrap();
        }
        assert!(v.finish(3).is_ok());
        assert_eq!(v.checked, 3);
    }

    #[test]
    fn an_edited_event_is_named() {
        let mut c = chain(&["a", "b", "c"]);
        c[1].0.reason = "edited";
        let mut v = ChainVerifier::default();
        v.check(&c[0].0, &c[0].1, &c[0].2).unwrap();
        assert_eq!(
            v.check(&c[1].0, &c[1].1, &c[1].2),
            Err(Break::Altered { seq: 2 })
        );
    }

    #[test]
    fn a_removed_event_is_named() {
        let c = chain(&["a", "b", "c"]);
        let mut v = ChainVerifier::default();
        v.check(&c[0].0, &c[0].1, &c[0].2).unwrap();
        assert_eq!(
            v.check(&c[2].0, &c[2].1, &c[2].2),
            Err(Break::Gap {
                expected_seq: 2,
                found_seq: 3
            })
        );
    }

    #[test]
    fn a_removed_last_event_shows_against_the_head() {
        let c = chain(&["a", "b"]);
        let mut v = ChainVerifier::default();
        v.check(&c[0].0, &c[0].1, &c[0].2).unwrap();
        assert!(v.finish(2).is_err());
    }

    #[test]
    fn a_purged_chain_verifies_from_its_checkpoint() {
        let c = chain(&["a", "b", "c", "d"]);
        // Events 1 and 2 purged; the checkpoint holds event 2's hash.
        let mut v = ChainVerifier::after(2, &c[1].2);
        for (e, p, h) in &c[2..] {
            v.check(e, p, h).unwrap();
        }
        assert!(v.finish(4).is_ok());
        // A checkpoint with another hash does not fit the chain.
        let mut v = ChainVerifier::after(2, &c[0].2);
        assert_eq!(
            v.check(&c[2].0, &c[2].1, &c[2].2),
            Err(Break::Relinked { seq: 3 })
        );
    }

    #[test]
    fn fields_are_length_prefixed() {
        let mut a = ev(1, "ab");
        a.target_kind = "c";
        let mut b = ev(1, "a");
        b.target_kind = "bc";
        assert_ne!(a.chain_hash(GENESIS), b.chain_hash(GENESIS));
    }
}
