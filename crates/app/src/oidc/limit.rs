//! A fixed-window rate limiter in memory, per key (a client, an account).
//! Each node limits on its own: with N nodes a key gets at most N times the
//! limit, which is what a limit against floods needs.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Counts one request for `key`; false when the key has made `per_minute`
    /// requests in the current minute. A limit of 0 means no limit.
    pub fn allow(&self, key: &str, per_minute: u32) -> bool {
        if per_minute == 0 {
            return true;
        }
        let now = Instant::now();
        let mut m = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 100_000 {
            m.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            // Still full of live keys: a flood of distinct ones. Forget
            // them rather than grow without bound.
            if m.len() > 100_000 {
                m.clear();
            }
        }
        let w = m.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(w.0) >= WINDOW {
            *w = (now, 0);
        }
        if w.1 >= per_minute {
            return false;
        }
        w.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_limit_per_key() {
        let l = RateLimiter::default();
        for _ in 0..3 {
            assert!(l.allow("a", 3));
        }
        assert!(!l.allow("a", 3));
        assert!(l.allow("b", 3));
        assert!(l.allow("a", 0));
    }
}
