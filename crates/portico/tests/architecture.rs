//! The architecture, held by a test rather than by a comment: the capability
//! map in `docs/ARCHITECTURE.md` names files that exist, and the loudly
//! named ways around the permission handles are used only where the map
//! says they may be.
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, with its path relative to the root.
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(at: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(at).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join(dir), &mut files);
    files
        .into_iter()
        // This file names what it looks for.
        .filter(|p| !p.ends_with("tests/architecture.rs"))
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("read"))
        })
        .collect()
}

/// The files outside `allowed` (path prefixes) that contain `needle`.
fn used_outside(needle: &str, allowed: &[&str]) -> Vec<String> {
    sources("crates")
        .into_iter()
        .filter(|(path, text)| {
            text.contains(needle) && !allowed.iter().any(|a| path.starts_with(a))
        })
        .map(|(path, _)| path)
        .collect()
}

#[test]
fn every_file_the_capability_map_names_exists() {
    let map = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("the map");
    let mut named = 0;
    let mut missing = Vec::new();
    for cell in map.split('`').skip(1).step_by(2) {
        // Paths only: `crates/…`, `e2e/…`, `docs/…`, `scripts/…`.
        if !["crates/", "e2e/", "docs/", "scripts/"]
            .iter()
            .any(|p| cell.starts_with(p))
        {
            continue;
        }
        named += 1;
        let path = cell.trim_end_matches('/');
        if !root().join(path).exists() {
            missing.push(cell.to_owned());
        }
    }
    assert!(named > 40, "the map names only {named} files");
    assert!(
        missing.is_empty(),
        "named in docs/ARCHITECTURE.md but missing: {missing:?}"
    );
}

#[test]
fn a_principal_comes_from_a_loaded_session_only() {
    assert_eq!(
        used_outside(
            "Principal::from_session(",
            &["crates/core/src/permission.rs", "crates/app/src/auth.rs"]
        ),
        Vec::<String>::new()
    );
}

#[test]
fn the_command_line_principal_stays_in_the_binary_its_examples_and_tests() {
    assert_eq!(
        used_outside(
            "unchecked_for_command_line(",
            &["crates/core/src/permission.rs", "crates/portico/"]
        ),
        Vec::<String>::new()
    );
}

#[test]
fn unattended_writes_stay_in_the_modules_that_have_no_session() {
    // Sign-in bookkeeping, the code-proven account flows, the idle sweep,
    // the demo seeder, the console's own commands, a new account's first
    // row, and the binary. Never the web layer or an admin console module.
    assert_eq!(
        used_outside(
            "Unattended::unattended(",
            &[
                "crates/core/src/permission.rs",
                "crates/app/src/auth.rs",
                "crates/app/src/enrolment.rs",
                "crates/app/src/jobs.rs",
                "crates/app/src/demo.rs",
                "crates/app/src/console.rs",
                "crates/app/src/settings.rs",
                "crates/store/src/accounts.rs",
                "crates/portico/",
            ]
        ),
        Vec::<String>::new()
    );
}

#[test]
fn the_unaudited_grant_baseline_stays_in_the_benchmarks() {
    assert_eq!(
        used_outside(
            "without_grant_audit_for_benchmarks(",
            &["crates/app/src/lib.rs", "crates/portico/examples/"]
        ),
        Vec::<String>::new()
    );
}

#[test]
fn no_permission_check_is_discarded() {
    // `actor.system_admin()?;` proves something and throws the proof away:
    // the handle must reach what it guards.
    let mut found = Vec::new();
    for (path, text) in sources("crates") {
        if path.starts_with("crates/core/src/permission.rs") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            let discards = ["system_admin()", "admin()"].iter().any(|check| {
                l.contains(check)
                    && !l.starts_with("//")
                    && (l.ends_with(")?;") || l.ends_with("?;"))
                    && (l.starts_with("actor.")
                        || l.starts_with("s.")
                        || l.starts_with("p.")
                        || l.starts_with("let _ ")
                        || l.starts_with("let _="))
            });
            if discards {
                found.push(format!("{path}:{}: {l}", n + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "checks whose handle is dropped: {found:#?}"
    );
}
