//! Raw Argon2id verifications per second at the portal's parameters, on
//! plain OS threads: the physical limit of password sign-in on the cores
//! this process may use. `scripts/bench-storm` runs it pinned to the
//! server's cores (taskset) and reports sign-ins/s as a ratio to it.
//!
//! No runtime, pool or queue is involved, so the figure does not move when
//! the server's hashing is reorganised; only the cores and the parameters
//! change it.
//!
//! cargo run --release -p portico --example bench_argon [-- THREADS SECONDS]
//! (THREADS defaults to the cores available to the process.)
use portico_app::passwords::Hasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let threads: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(cores);
    let secs: f64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(5.0);
    let hasher = Hasher::owasp();
    let password = portico_app::demo::DEMO_PASSWORD;
    let stored = Arc::new(hasher.hash_now(password).expect("hash"));
    // One verification first, so a wrong hash fails loudly instead of
    // being counted, and the pages of the first buffer are not timed.
    assert!(hasher.verify_now(password, &stored), "the hash must verify");

    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (h, stored, done) = (hasher.clone(), stored.clone(), done.clone());
            std::thread::spawn(move || {
                while Instant::now() < until {
                    assert!(h.verify_now(password, &stored));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    // Counted to the last verification's end, which may run past `until`.
    let elapsed = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!("cores: {cores}");
    println!("threads: {threads}");
    println!("seconds: {elapsed:.2}");
    println!("verifications: {n}");
    println!("{hasher:?}");
    println!("raw Argon2id verifications/s: {:.2}", n as f64 / elapsed);
}
