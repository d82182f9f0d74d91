//! Fixed-window rate limits, counted in the database (`store::rates`) so a
//! limit holds across nodes: with two nodes behind a balancer a client gets
//! the limit once, not once per node. The window is the minute of the
//! app's clock.
//!
//! A node does not write every request: it leases a slice of the limit
//! (one twentieth of it, at most 50 hits) by adding the whole slice to the
//! shared count at once, and spends the slice in memory. The shared count
//! never falls below what was allowed anywhere, so across nodes the limit
//! holds; what a node leased and did not spend still counts, so a key may
//! be refused up to a slice per node early, never allowed late. A limit
//! under 20 a minute is counted hit by hit.
use crate::{App, Result};
use portico_store::{db_err, rates};
use std::collections::HashMap;

/// One minute, in milliseconds.
const WINDOW_MS: i64 = 60_000;

/// How many hits a node leases at once for a limit of `per_minute`.
fn slice(per_minute: u32) -> u32 {
    (per_minute / 20).clamp(1, 50)
}

/// The hits a node holds, per key: the window they were leased in, and the
/// ordinals of the next hit and of the end of the lease in that window's
/// count (so a limit lowered meanwhile still stops the lease).
#[derive(Debug, Default)]
pub(crate) struct Leases(std::sync::Mutex<HashMap<String, (i64, i64, i64)>>);

impl App {
    /// Counts one request for `key`; false when the key has already made
    /// `per_minute` requests in the current minute. A limit of 0 means no
    /// limit (and nothing is counted).
    pub(crate) async fn rate_allow(&self, key: &str, per_minute: u32) -> Result<bool> {
        if per_minute == 0 {
            return Ok(true);
        }
        let now = portico_core::time::to_millis(self.now());
        let window = now - now.rem_euclid(WINDOW_MS);
        let limit = i64::from(per_minute);
        {
            let mut m = self.leases.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((w, next, end)) = m.get_mut(key)
                && *w == window
                && *next < *end
                && *next < limit
            {
                *next += 1;
                return Ok(true);
            }
        }
        let n = i64::from(slice(per_minute));
        // Through the group commit: a burst of requests shares one write.
        let hits = self.rate_hit(key, window, n).await?;
        // Of the slice, what still fits under the limit.
        let before = hits - n;
        let end = hits.min(limit);
        let mut m = self.leases.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 100_000 {
            m.retain(|_, (w, _, _)| *w == window);
        }
        if before >= end {
            m.remove(key);
            return Ok(false);
        }
        m.insert(key.to_owned(), (window, before + 1, end));
        Ok(true)
    }

    /// Forgets the windows that ended: run by the jobs every ten minutes.
    pub(crate) async fn sweep_rate_windows(&self) -> Result<u64> {
        let now = portico_core::time::to_millis(self.now());
        let mut tx = self.db.begin().await?;
        let n = rates::sweep(&mut tx, now - 2 * WINDOW_MS).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use crate::{App, ManualClock};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_limit_stops_at_its_count_per_key_and_a_new_minute_starts_over() {
        let dir = std::env::temp_dir().join(format!("portico-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = portico_store::Db::connect(&format!("sqlite://{}/t.db", dir.display()))
            .await
            .unwrap();
        portico_store::migrate::run(&db).await.unwrap();
        let start = time::macros::datetime!(2026-12-01 09:00:00 UTC);
        let clock = ManualClock::new(start);
        let app = App::with(
            db,
            Arc::new(clock.clone()),
            crate::passwords::Hasher::with_workers(64, 1, 1, 1, std::time::Duration::from_secs(1)),
        );
        for _ in 0..3 {
            assert!(app.rate_allow("a", 3).await.unwrap());
        }
        assert!(!app.rate_allow("a", 3).await.unwrap());
        assert!(
            app.rate_allow("b", 3).await.unwrap(),
            "another key counts apart"
        );
        assert!(app.rate_allow("a", 0).await.unwrap(), "0: no limit");
        clock.advance(time::Duration::seconds(60));
        assert!(app.rate_allow("a", 3).await.unwrap(), "a new minute");
        for _ in 0..2 {
            assert!(app.rate_allow("a", 3).await.unwrap());
        }
        // A node whose clock is a minute behind counts into the same
        // window instead of starting an older one over.
        clock.advance(time::Duration::seconds(-60));
        assert!(
            !app.rate_allow("a", 3).await.unwrap(),
            "a clock behind resets nothing"
        );
        clock.advance(time::Duration::minutes(6));
        assert_eq!(app.sweep_rate_windows().await.unwrap(), 2);

        // Two nodes leasing slices of one limit of 100 (slices of 5): what
        // they allow together never passes the limit, and falls short of
        // it by at most a slice each.
        let other = App::with(
            app.db.clone(),
            Arc::new(clock.clone()),
            crate::passwords::Hasher::with_workers(64, 1, 1, 1, std::time::Duration::from_secs(1)),
        );
        let mut allowed = 0;
        for i in 0..160 {
            let node = if i % 2 == 0 { &app } else { &other };
            if node.rate_allow("shared", 100).await.unwrap() {
                allowed += 1;
            }
        }
        assert!((90..=100).contains(&allowed), "{allowed}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
