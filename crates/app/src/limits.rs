//! Fixed-window rate limits, counted in the database (`store::rates`) so a
//! limit holds across nodes: with two nodes behind a balancer a client gets
//! the limit once, not once per node. The window is the minute of the
//! app's clock.
use crate::{App, Result};
use portico_store::{db_err, rates};

/// One minute, in milliseconds.
const WINDOW_MS: i64 = 60_000;

impl App {
    /// Counts one request for `key`; false when the key has already made
    /// `per_minute` requests in the current minute. A limit of 0 means no
    /// limit (and nothing is counted).
    pub(crate) async fn rate_allow(&self, key: &str, per_minute: u32) -> Result<bool> {
        if per_minute == 0 {
            return Ok(true);
        }
        let now = portico_core::time::to_millis(self.now());
        // Through the group commit: a burst of requests shares one write.
        let hits = self.rate_hit(key, now - now.rem_euclid(WINDOW_MS)).await?;
        Ok(hits <= i64::from(per_minute))
    }

    /// The same, counted in the caller's transaction (one that writes
    /// anyway): no commit of its own.
    pub(crate) async fn rate_allow_in(
        &self,
        tx: &mut portico_store::Conn,
        key: &str,
        per_minute: u32,
    ) -> Result<bool> {
        if per_minute == 0 {
            return Ok(true);
        }
        let now = portico_core::time::to_millis(self.now());
        let hits = rates::hit(tx, key, now - now.rem_euclid(WINDOW_MS)).await?;
        Ok(hits <= i64::from(per_minute))
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
        let _ = std::fs::remove_dir_all(&dir);
    }
}
