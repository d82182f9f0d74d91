//! Password hashing: Argon2id at the OWASP parameters (m = 19 MiB, t = 2,
//! p = 1), in a bounded pool of its own.
//!
//! Every hash needs 19 MiB and about 30 ms of one core. Spawned one per
//! request on the blocking pool, a morning's sign-ins ran as many hashes at
//! once as requests arrived: the allocator kept their memory (4.4 GB after
//! 100 people), and the hashes crowded out the async workers, so a
//! millisecond single-sign-on hop waited a second. Here as many hashes run
//! at once as there are cores, each worker thread reuses one buffer, and the
//! rest wait in a bounded queue with a deadline. A request that cannot be
//! served in time is told the system is busy ([`Error::Busy`]) rather than
//! queued without end, so memory stays bounded whoever posts sign-ins.
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use portico_core::{Error, Msg, Result};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many requests wait per worker before the next is told "busy".
const QUEUE_PER_WORKER: usize = 64;
/// How long a request waits for a worker before it is told "busy".
const MAX_WAIT: Duration = Duration::from_secs(3);
/// The largest memory cost a stored hash may ask for (64 MiB); a larger one
/// never matches rather than allocating what it names.
const MAX_M_KIB: u32 = 64 * 1024;

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A real hash of a random password, verified against when an account
    /// does not exist, so a wrong login name takes as long as a wrong
    /// password.
    dummy: Arc<String>,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Hasher(m={}, t={}, p={}, workers={})",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
            self.pool.workers
        )
    }
}

/// What a worker is asked to do.
enum Work {
    Hash(String),
    Verify(String, Option<String>),
}

enum Done {
    Hashed(String),
    Verified(bool),
}

struct Job {
    work: Work,
    deadline: Instant,
    reply: tokio::sync::oneshot::Sender<Result<Done>>,
}

/// The worker threads and their queue. The threads end when the last
/// `Hasher` holding the queue is dropped.
struct Pool {
    queue: Queue,
    workers: usize,
}

/// The queue's sender, and how long a job may wait in it.
struct Queue {
    tx: SyncSender<Job>,
    max_wait: Duration,
}

impl Hasher {
    /// OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 passes, 1 lane.
    pub fn owasp() -> Hasher {
        Hasher::with_params(19 * 1024, 2, 1)
    }

    /// A hasher with one worker per core.
    pub fn with_params(m_kib: u32, t: u32, p: u32) -> Hasher {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hasher::with_workers(m_kib, t, p, cores, MAX_WAIT)
    }

    /// A hasher with `workers` threads whose requests wait at most
    /// `max_wait` for one of them.
    pub fn with_workers(m_kib: u32, t: u32, p: u32, workers: usize, max_wait: Duration) -> Hasher {
        let params = Params::new(m_kib, t, p, None).unwrap_or_default();
        let workers = workers.max(1);
        let salt_src = crate::random_token(16).unwrap_or_else(|_| "portico-dummy".into());
        let dummy = Arc::new(hash_with(&params, &salt_src, &mut Vec::new()).unwrap_or_default());
        let pool = Pool::start(params.clone(), workers, max_wait);
        Hasher {
            params,
            dummy,
            pool: Arc::new(pool),
        }
    }

    /// Hashes on the current thread (for the CLI, the seeder and benchmarks).
    pub fn hash_now(&self, password: &str) -> Result<String> {
        hash_with(&self.params, password, &mut Vec::new())
    }

    /// Verifies on the current thread. A malformed stored hash never matches.
    pub fn verify_now(&self, password: &str, stored: &str) -> bool {
        verify_with(password, stored, &mut Vec::new())
    }

    /// Hashes in the pool; [`Error::Busy`] when it is full.
    pub async fn hash(&self, password: &str) -> Result<String> {
        match self.pool.run(Work::Hash(password.to_owned())).await? {
            Done::Hashed(h) => Ok(h),
            Done::Verified(_) => Err(Error::internal("hash pool answered a verification")),
        }
    }

    /// Verifies against `stored`, or against the dummy hash when there is
    /// none (always false then, in the same time); [`Error::Busy`] when the
    /// pool is full.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let work = Work::Verify(
            password.to_owned(),
            Some(stored.map_or_else(|| (*self.dummy).clone(), str::to_owned)),
        );
        let real = stored.is_some();
        match self.pool.run(work).await? {
            Done::Verified(ok) => Ok(ok && real),
            Done::Hashed(_) => Err(Error::internal("hash pool answered a hash")),
        }
    }

    /// How many hashes run at once.
    pub fn workers(&self) -> usize {
        self.pool.workers
    }
}

impl Pool {
    fn start(params: Params, workers: usize, max_wait: Duration) -> Pool {
        let (queue, rx) = std::sync::mpsc::sync_channel::<Job>(workers * QUEUE_PER_WORKER);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            let params = params.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&rx, &params));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-hashing thread");
            }
        }
        Pool {
            queue: Queue {
                tx: queue,
                max_wait,
            },
            workers,
        }
    }

    async fn run(&self, work: Work) -> Result<Done> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            work,
            deadline: Instant::now() + self.queue.max_wait,
            reply,
        };
        match self.queue.tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(busy()),
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::internal("no password-hashing threads"));
            }
        }
        answer
            .await
            .map_err(|_| Error::internal("a password-hashing thread ended"))?
    }
}

/// The niceness of a hashing thread. A hash that waits a little costs a
/// sign-in some milliseconds; an async worker that waits holds up every
/// request it serves (a single-sign-on hop is about a millisecond of work).
/// At nice 11 the kernel gives the hashes about a tenth of a core that the
/// async workers want, and all of it when they do not.
const NICE: u8 = 20; // thread-priority's 0–99 scale maps to nice 19…-20: 20 is about nice 11

/// A worker: takes jobs until the queue closes, with one memory buffer for
/// all of them.
fn work(rx: &Mutex<Receiver<Job>>, params: &Params) {
    let lower = thread_priority::ThreadPriorityValue::try_from(NICE)
        .map_err(|e| e.to_string())
        .and_then(|v| {
            thread_priority::set_current_thread_priority(
                thread_priority::ThreadPriority::Crossplatform(v),
            )
            .map_err(|e| format!("{e:?}"))
        });
    if let Err(e) = lower {
        tracing::warn!(error = %e, "password hashing runs at normal priority");
    }
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = {
            let guard = rx.lock().unwrap_or_else(|e| e.into_inner());
            match guard.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        // The person gave up (the request was dropped), or waited too long:
        // spend no core on it.
        if job.reply.is_closed() {
            continue;
        }
        if Instant::now() > job.deadline {
            let _ = job.reply.send(Err(busy()));
            continue;
        }
        let done = match job.work {
            Work::Hash(p) => hash_with(params, &p, &mut memory).map(Done::Hashed),
            Work::Verify(p, Some(s)) => Ok(Done::Verified(verify_with(&p, &s, &mut memory))),
            Work::Verify(_, None) => Ok(Done::Verified(false)),
        };
        let _ = job.reply.send(done);
    }
}

/// The refusal of a bounded pool that is full: come back in a moment.
pub(crate) fn busy() -> Error {
    Error::Busy(Msg::new(
        "系統忙碌中，請稍候幾秒再試一次",
        "The system is busy; try again in a few seconds",
    ))
}

/// `memory` grown to the blocks `params` needs, and that slice of it.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let n = params.block_count();
    if memory.len() < n {
        memory.resize(n, Block::new());
    }
    &mut memory[..n]
}

fn hash_with(params: &Params, password: &str, memory: &mut Vec<Block>) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            blocks(memory, params),
        )
        .map_err(|e| Error::internal(format!("hashing: {e}")))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)
            .map_err(|e| Error::internal(format!("hash parameters: {e}")))?,
        salt: Some(Salt::new(&salt).map_err(|e| Error::internal(format!("salt: {e}")))?),
        hash: Some(Output::new(&out).map_err(|e| Error::internal(format!("hash output: {e}")))?),
    };
    Ok(phc.to_string())
}

/// A malformed stored hash, or one asking for more memory than we allow,
/// never matches.
fn verify_with(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&h.salt, &h.hash) else {
        return false;
    };
    let Ok(alg) = Algorithm::try_from(h.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = Version::try_from(h.version.unwrap_or(0x13)) else {
        return false;
    };
    let Ok(params) = Params::try_from(&h) else {
        return false;
    };
    if params.m_cost() > MAX_M_KIB {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(alg, version, params.clone());
    if argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
            blocks(memory, &params),
        )
        .is_err()
    {
        return false;
    }
    crate::constant_time_eq(&out, expected.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let h = Hasher::owasp();
        let s = h.hash_now("Tainan#2024").unwrap();
        assert!(s.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{s}");
        assert!(h.verify_now("Tainan#2024", &s));
        assert!(!h.verify_now("Tainan#2025", &s));
        assert!(!h.verify_now("Tainan#2024", "not a hash"));
    }

    #[test]
    fn hashes_agree_with_the_reference_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let h = Hasher::with_params(64, 1, 1);
        let ours = h.hash_now("Tainan#2024").unwrap();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        reference
            .verify_password(b"Tainan#2024", &PasswordHash::new(&ours).unwrap())
            .unwrap();
        let theirs = reference
            .hash_password_with_salt(b"Tainan#2024", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(h.verify_now("Tainan#2024", &theirs));
        assert!(!h.verify_now("Tainan#2025", &theirs));
    }

    #[test]
    fn a_stored_hash_asking_for_too_much_memory_never_matches() {
        let h = Hasher::with_params(64, 1, 1);
        let s = h.hash_now("x").unwrap().replace("m=64", "m=1048576");
        assert!(!h.verify_now("x", &s));
    }

    #[tokio::test]
    async fn the_pool_hashes_and_verifies_and_the_dummy_never_matches() {
        let h = Hasher::with_workers(64, 1, 1, 2, MAX_WAIT);
        let s = h.hash("Tainan#2024").await.unwrap();
        assert!(h.verify("Tainan#2024", Some(&s)).await.unwrap());
        assert!(!h.verify("Tainan#2025", Some(&s)).await.unwrap());
        assert!(!h.verify("Tainan#2024", None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_growing() {
        // One worker, kept busy by slow hashes; the queue holds 32. Of many
        // more sent at once, the ones beyond worker + queue are told busy at
        // once, and the rest are served.
        let h = Hasher::with_workers(8 * 1024, 3, 1, 1, Duration::from_secs(60));
        let n = 1 + QUEUE_PER_WORKER + 20;
        let all = futures_join(&h, n).await;
        let busy = all
            .iter()
            .filter(|r| matches!(r, Err(Error::Busy(_))))
            .count();
        let served = all.iter().filter(|r| r.is_ok()).count();
        assert!(busy >= 19, "busy {busy} of {n}");
        assert_eq!(busy + served, n);
        assert!(served >= QUEUE_PER_WORKER, "served {served}");
    }

    #[tokio::test]
    async fn a_request_past_its_deadline_is_told_busy_without_hashing() {
        // A zero wait: whatever a worker takes is already late.
        let h = Hasher::with_workers(64, 1, 1, 1, Duration::ZERO);
        assert!(matches!(h.hash("x").await, Err(Error::Busy(_))));
        assert!(matches!(h.verify("x", None).await, Err(Error::Busy(_))));
    }

    #[tokio::test]
    async fn hashing_threads_run_below_the_async_workers() {
        let h = Hasher::with_workers(64, 1, 1, 1, MAX_WAIT);
        h.hash("x").await.unwrap();
        // Linux: /proc/self/task/<tid>/stat, field 19 is the niceness.
        let mut nice = Vec::new();
        for t in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            if comm.starts_with("argon2-") {
                let stat = std::fs::read_to_string(t.path().join("stat")).unwrap();
                let after = &stat[stat.rfind(')').unwrap() + 2..];
                nice.push(after.split(' ').nth(16).unwrap().parse::<i32>().unwrap());
            }
        }
        assert!(!nice.is_empty(), "a hashing thread is running");
        assert!(nice.iter().all(|&n| n >= 10), "niceness {nice:?}");
    }

    /// `n` hashes asked for at once: on the test's one-thread runtime every
    /// task queues its job before any hash can finish.
    async fn futures_join(h: &Hasher, n: usize) -> Vec<Result<String>> {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let h = h.clone();
            set.spawn(async move { h.hash("x").await });
        }
        set.join_all().await
    }
}
