//! Answers of outside systems kept per key (a person and a block, or a
//! feed), refreshed in the background, so a page never waits longer than
//! its budget for a system however slow it is.
//!
//! - A fresh answer is served as it is.
//! - An old one is served at once while one refresh runs behind it.
//! - With nothing to show, the caller waits up to its budget for the
//!   refresh, then says 讀取中 and the refresh goes on to fill the cache.
//! - A failure is remembered for a while, so a system that is down is not
//!   asked again by every page view.
//!
//! However many pages ask at once, one refresh per key runs at a time.
use super::super::lock;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long answers count as fresh, how long an old one may stand in while
/// a refresh runs, and how long a failure is believed.
#[derive(Debug, Clone, Copy)]
pub struct Ages {
    pub fresh: Duration,
    pub keep: Duration,
    pub failure: Duration,
}

impl Default for Ages {
    fn default() -> Ages {
        Ages {
            fresh: Duration::from_secs(120),
            keep: Duration::from_secs(30 * 60),
            failure: Duration::from_secs(30),
        }
    }
}

/// What a caller gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Got<V> {
    /// The answer, and when it was fetched.
    Ready(V, Instant),
    /// Still being fetched after the caller's budget.
    Pending,
    /// The system did not answer, or not as its contract says.
    Failed,
}

struct Slot<V> {
    last: Option<(Instant, Result<V, ()>)>,
    running: Option<watch::Receiver<()>>,
}

/// The most keys kept; past it, entries too old to serve are dropped.
const MAX_KEYS: usize = 200_000;

pub struct Refreshing<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
    ages: Ages,
}

impl<K, V> Refreshing<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(ages: Ages) -> Refreshing<K, V> {
        Refreshing {
            slots: Mutex::new(HashMap::new()),
            ages,
        }
    }

    /// The answer for `key`, fetching it by `fetch` when it is missing or
    /// old; waits at most `budget` for that fetch.
    pub async fn get<F, Fut>(self: &Arc<Self>, key: K, budget: Duration, fetch: F) -> Got<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, ()>> + Send + 'static,
    {
        let now = Instant::now();
        let mut waiter = {
            let mut slots = lock(&self.slots);
            if slots.len() > MAX_KEYS {
                let keep = self.ages.keep;
                slots.retain(|_, s| {
                    s.running.is_some() || s.last.as_ref().is_some_and(|(at, _)| now - *at < keep)
                });
            }
            let slot = slots.entry(key.clone()).or_insert(Slot {
                last: None,
                running: None,
            });
            let served = match &slot.last {
                Some((at, Ok(v))) if now - *at < self.ages.fresh => {
                    return Got::Ready(v.clone(), *at);
                }
                Some((at, Err(()))) if now - *at < self.ages.failure => return Got::Failed,
                Some((at, Ok(v))) if now - *at < self.ages.keep => Some(Got::Ready(v.clone(), *at)),
                _ => None,
            };
            let rx = match &slot.running {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(());
                    slot.running = Some(rx.clone());
                    let fut = fetch();
                    let me = Arc::clone(self);
                    let k = key.clone();
                    tokio::spawn(async move {
                        let answer = fut.await;
                        let mut slots = lock(&me.slots);
                        if let Some(s) = slots.get_mut(&k) {
                            s.last = Some((Instant::now(), answer));
                            s.running = None;
                        }
                        drop(slots);
                        drop(tx);
                    });
                    rx
                }
            };
            if let Some(old) = served {
                return old;
            }
            rx
        };
        // The sender is dropped when the refresh has stored its answer.
        let _ = tokio::time::timeout(budget, waiter.changed()).await;
        let slots = lock(&self.slots);
        match slots.get(&key).and_then(|s| s.last.as_ref()) {
            Some((at, Ok(v))) if *at >= now => Got::Ready(v.clone(), *at),
            Some((at, Err(()))) if *at >= now => Got::Failed,
            _ => Got::Pending,
        }
    }

    /// Forgets `key`'s answer (a person asked to refresh the block).
    pub fn forget(&self, key: &K) {
        if let Some(s) = lock(&self.slots).get_mut(key) {
            s.last = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::Notify;

    fn cache(fresh: u64) -> Arc<Refreshing<u32, &'static str>> {
        Arc::new(Refreshing::new(Ages {
            fresh: Duration::from_secs(fresh),
            keep: Duration::from_secs(3600),
            failure: Duration::from_secs(3600),
        }))
    }

    #[tokio::test]
    async fn a_quick_answer_is_served_and_then_kept() {
        let c = cache(60);
        let calls = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let n = calls.clone();
            let got = c
                .get(1, Duration::from_secs(5), move || async move {
                    n.fetch_add(1, Ordering::SeqCst);
                    Ok("seven unread")
                })
                .await;
            assert!(matches!(got, Got::Ready("seven unread", _)));
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "fresh answers are not asked again"
        );
    }

    #[tokio::test]
    async fn a_slow_system_leaves_the_caller_at_its_budget_and_fills_the_cache_later() {
        let c = cache(60);
        let release = Arc::new(Notify::new());
        let r = release.clone();
        let got = c
            .get(1, Duration::from_millis(20), move || async move {
                r.notified().await;
                Ok("late")
            })
            .await;
        assert_eq!(got, Got::Pending);
        // A second caller meanwhile joins the same refresh, not a new one.
        let second = c.get(1, Duration::from_millis(0), || async { Ok("second fetch") });
        assert_eq!(second.await, Got::Pending);
        release.notify_one();
        let third = c
            .get(1, Duration::from_secs(5), || async { Ok("third fetch") })
            .await;
        assert!(matches!(third, Got::Ready("late", _)), "{third:?}");
    }

    #[tokio::test]
    async fn a_failure_is_believed_for_a_while() {
        let c = cache(60);
        let got = c.get(1, Duration::from_secs(5), || async { Err(()) }).await;
        assert_eq!(got, Got::Failed);
        let again = c
            .get(1, Duration::from_secs(5), || async { Ok("up again") })
            .await;
        assert_eq!(
            again,
            Got::Failed,
            "a system that is down is not asked on every view"
        );
        c.forget(&1);
        let asked = c
            .get(1, Duration::from_secs(5), || async { Ok("up again") })
            .await;
        assert!(matches!(asked, Got::Ready("up again", _)));
    }

    #[tokio::test]
    async fn an_old_answer_stands_in_while_the_refresh_runs() {
        let c = cache(0);
        let first = c
            .get(1, Duration::from_secs(5), || async { Ok("old") })
            .await;
        assert!(matches!(first, Got::Ready("old", _)));
        let hold = Arc::new(Notify::new());
        let h = hold.clone();
        let stood_in = c
            .get(1, Duration::from_secs(5), move || async move {
                h.notified().await;
                Ok("new")
            })
            .await;
        assert!(
            matches!(stood_in, Got::Ready("old", _)),
            "served at once, not waited for"
        );
        hold.notify_one();
    }
}
