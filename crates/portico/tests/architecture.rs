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
            &["crates/core/src/permission", "crates/app/src/sessions.rs"]
        ),
        Vec::<String>::new()
    );
}

#[test]
fn the_command_line_principal_stays_in_the_binary_its_examples_and_tests() {
    assert_eq!(
        used_outside(
            "unchecked_for_command_line(",
            &["crates/core/src/permission", "crates/portico/"]
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
                "crates/core/src/permission",
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
        if path.starts_with("crates/core/src/permission") {
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

/// The web crate's modules that every feature may use; they use no feature.
const WEB_SUPPORT: [&str; 6] = ["support", "error", "extract", "view", "forms", "flow"];

/// The `crate::…` modules a web source file names.
fn web_uses(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, D};`: each first segment.
            let list = &list[..list.find("};").unwrap_or(list.len())];
            for item in list.split(',') {
                let head: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    out.insert(head);
                }
            }
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(head);
        }
    }
    out
}

#[test]
fn the_web_support_modules_import_no_feature() {
    let features: Vec<String> = sources("crates/web/src")
        .iter()
        .filter_map(|(p, _)| {
            let name = p.strip_prefix("crates/web/src/")?.strip_suffix(".rs")?;
            let name = name.split('/').next()?;
            (!WEB_SUPPORT.contains(&name) && name != "lib").then(|| name.to_owned())
        })
        .collect();
    assert!(features.len() > 10, "features found: {features:?}");
    let mut wrong = Vec::new();
    for (path, text) in sources("crates/web/src") {
        let module = path
            .trim_start_matches("crates/web/src/")
            .split(['/', '.'])
            .next()
            .unwrap_or("")
            .to_owned();
        if !WEB_SUPPORT.contains(&module.as_str()) {
            continue;
        }
        for used in web_uses(&text) {
            if features.contains(&used) {
                wrong.push(format!("{path} uses crate::{used}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "support modules naming a feature: {wrong:#?}"
    );
}

#[test]
fn every_router_is_merged_once_at_the_root() {
    let mut merged_elsewhere = Vec::new();
    for (path, text) in sources("crates/web/src") {
        if path == "crates/web/src/lib.rs" {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if line.contains(".merge(") && line.contains("router()") {
                merged_elsewhere.push(format!("{path}:{}", n + 1));
            }
        }
    }
    assert!(
        merged_elsewhere.is_empty(),
        "routers merged outside lib.rs: {merged_elsewhere:?}"
    );
    let lib = std::fs::read_to_string(root().join("crates/web/src/lib.rs")).expect("lib.rs");
    for (path, text) in sources("crates/web/src") {
        if text.contains("pub fn router() -> Router<AppState>") && !path.contains("/api/") {
            let module = path
                .trim_start_matches("crates/web/src/")
                .trim_end_matches(".rs");
            assert_eq!(
                lib.matches(&format!(".merge({module}::router())")).count(),
                1,
                "{module}'s router merged once in lib.rs"
            );
        }
    }
}

#[test]
fn every_refusal_status_is_decided_in_error_rs() {
    // Handlers name the situation (`error::INVALID_INPUT`, `form_status`,
    // `sign_in_status`…); which 4xx it is, error.rs alone says. The
    // simulators of outside services answer as those services do.
    let refusals = [
        "StatusCode::BAD_REQUEST",
        "StatusCode::UNAUTHORIZED",
        "StatusCode::FORBIDDEN",
        "StatusCode::NOT_FOUND",
        "StatusCode::CONFLICT",
        "StatusCode::PAYLOAD_TOO_LARGE",
        "StatusCode::UNPROCESSABLE_ENTITY",
        "StatusCode::TOO_MANY_REQUESTS",
        "StatusCode::from_u16",
    ];
    let mut found = Vec::new();
    for (path, text) in sources("crates/web/src") {
        if path.ends_with("/error.rs") || path.ends_with("_sim.rs") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if refusals.iter().any(|r| line.contains(r)) {
                found.push(format!("{path}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "statuses chosen outside error.rs: {found:#?}"
    );
}

/// Every action a use case writes to the audit trail has its zh-TW and
/// English label (issue 12 §2.5: the trail must not speak in codes). An
/// action is a string literal made of a known first word and dotted
/// lower-case parts; OAuth scopes that look alike are not actions.
#[test]
fn every_audited_action_has_a_label() {
    use portico_core::audit::labels::ACTIONS;
    const FIRST: [&str; 16] = [
        "access",
        "mailbox",
        "directory",
        "auth",
        "account",
        "org",
        "settings",
        "outbox",
        "oauth",
        "app",
        "demo",
        "application",
        "reinstate",
        "admin_rights",
        "agency_change",
        "request",
    ];
    const NOT_ACTIONS: [&str; 3] = ["account.verify", "sms.send", "portico.api"];
    let mut missing = std::collections::BTreeSet::new();
    let mut seen = std::collections::BTreeSet::new();
    for dir in ["crates/app/src", "crates/portico/src"] {
        for (path, text) in sources(dir) {
            for lit in text.split('"').skip(1).step_by(2) {
                let parts: Vec<&str> = lit.split('.').collect();
                let word = |p: &&str| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                };
                if parts.len() >= 2
                    && FIRST.contains(&parts[0])
                    && parts.iter().all(word)
                    && !NOT_ACTIONS.contains(&lit)
                {
                    seen.insert(lit.to_owned());
                    if !ACTIONS.iter().any(|(c, _, _)| *c == lit) {
                        missing.insert(format!("{lit} ({path})"));
                    }
                }
            }
        }
    }
    // The scan sees the actions (so it can fail).
    assert!(
        seen.contains("auth.sign_in") && seen.contains("oauth.token") && seen.len() > 40,
        "{seen:?}"
    );
    // The decisions are written as request.{approve,reject}.
    for d in ["request.approve", "request.reject"] {
        assert!(ACTIONS.iter().any(|(c, _, _)| *c == d));
    }
    assert!(missing.is_empty(), "actions without a label: {missing:?}");
}
