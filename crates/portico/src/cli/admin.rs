//! The commands an operator runs by hand: migrations, the console's
//! account tasks, the signing keys and the audit chain's check.
use super::config::Config;
use super::serve::{open, sqlite_path, with_keys};
use clap::Subcommand;
use portico_store::Db;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Creates a new signing key for an algorithm; the old key stays in
    /// the JWKS for an hour, until every token it signed has expired.
    Rotate {
        /// ES256 (the default for applications) or RS256.
        #[arg(long, default_value = "ES256")]
        alg: String,
    },
    /// Lists the published keys.
    List,
}

#[derive(Subcommand)]
pub enum DirectoryCmd {
    /// Compares a target's directory with Portico and reports the drift:
    /// accounts missing, entries extra, attributes changed, entries in the
    /// wrong OU or state. Without --dry-run the drifted accounts are queued
    /// for a sync (extras are reported, never deleted). Exits 1 on drift.
    Reconcile {
        /// The target's number (see the sync page); every enabled target
        /// when omitted.
        #[arg(long)]
        target: Option<i64>,
        #[arg(long)]
        dry_run: bool,
        /// A first import: link the directory's existing entries to
        /// Portico's accounts first (by login, or with --by mail by the
        /// official e-mail, renaming the entry to the account's login).
        #[arg(long)]
        adopt: bool,
        /// What --adopt links by: `login` (sAMAccountName / uid) or `mail`.
        #[arg(long, default_value = "login")]
        by: String,
        /// Also write the drift as a workbook: FILE.xlsx or FILE.ods.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum AdminCmd {
    /// Creates a system administrator with a one-time password that must be
    /// changed at first sign-in.
    CreateSystemAdmin {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// The OID of the unit the account belongs to; without it, a unit is
        /// created when the org tree is empty.
        #[arg(long)]
        unit_oid: Option<String>,
    },
    /// Sets a new one-time password for an account (to be changed at the
    /// next sign-in) and lifts any lock.
    ResetPassword {
        #[arg(long)]
        login: String,
    },
    /// Sets the government network's ranges and the trusted reverse
    /// proxies (comma-separated CIDRs), as 系統參數管理 does: the way in
    /// when a proxy not yet entered makes every request look outside.
    Network {
        #[arg(long)]
        internal: Option<String>,
        #[arg(long)]
        trusted_proxies: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Checks the hash chain and names the first broken event.
    Verify,
}

pub async fn migrate(cfg: &Config) -> Result<(), String> {
    let db = Db::connect(&cfg.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let n = portico_store::migrate::run(&db)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Applied {n} migration(s); the database is at version {}.",
        portico_store::migrate::latest()
    );
    Ok(())
}

pub async fn admin(cfg: &Config, cmd: AdminCmd) -> Result<(), String> {
    let app = open(&cfg.database_url).await?;
    match cmd {
        AdminCmd::CreateSystemAdmin {
            login,
            name,
            unit_oid,
        } => {
            let pw = app
                .create_system_admin(&login, &name, unit_oid.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "Created system administrator {login}. One-time password (change at first sign-in): {pw}"
            );
        }
        AdminCmd::Network {
            internal,
            trusted_proxies,
        } => {
            let s = app
                .set_network_cli(internal.as_deref(), trusted_proxies.as_deref())
                .await
                .map_err(|e| match e {
                    portico_core::Error::Invalid(errs) => errs
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message.en))
                        .collect::<Vec<_>>()
                        .join("; "),
                    e => e.to_string(),
                })?;
            println!(
                "Government network: {}\nTrusted proxies: {}",
                s.internal_networks.replace('\n', ", "),
                if s.trusted_proxies.is_empty() {
                    "(none)".to_owned()
                } else {
                    s.trusted_proxies.replace('\n', ", ")
                }
            );
        }
        AdminCmd::ResetPassword { login } => {
            let pw = app
                .reset_password_cli(&login)
                .await
                .map_err(|e| e.to_string())?;
            println!("New one-time password for {login} (change at next sign-in): {pw}");
        }
    }
    Ok(())
}

pub async fn keys(cfg: &Config, cmd: KeysCmd) -> Result<(), String> {
    let issuer = cfg.issuer(&cfg.listen);
    let app = with_keys(open(&cfg.database_url).await?, &issuer, &cfg.key_file)?;
    match cmd {
        KeysCmd::Rotate { alg } => {
            let alg = portico_core::sso::SigningAlg::parse(&alg)
                .ok_or_else(|| format!("unknown algorithm {alg}: use ES256 or RS256"))?;
            let kid = app
                .rotate_signing_key(alg)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "New {} signing key {kid}; the previous one stays published for an hour.",
                alg.as_str()
            );
        }
        KeysCmd::List => {
            let ring = app.key_ring().await.map_err(|e| e.to_string())?;
            println!("{}", ring.jwks());
        }
    }
    Ok(())
}

pub async fn audit(cfg: &Config, cmd: AuditCmd) -> Result<ExitCode, String> {
    let AuditCmd::Verify = cmd;
    // A check must not create what it checks: a database that is not there
    // is an error, not an empty chain reported intact.
    if let Some(path) = sqlite_path(&cfg.database_url)
        && !std::path::Path::new(path).exists()
    {
        return Err(format!(
            "沒有資料庫 {path}：請以 --config 指定設定檔，或設定 PORTICO_DATABASE_URL。\n\
             No database at {path}: name the configuration with --config, or set PORTICO_DATABASE_URL."
        ));
    }
    let mut app = open(&cfg.database_url).await?;
    // A purged chain resumes from a checkpoint sealed with the master key;
    // the key is read, never created, here.
    if std::path::Path::new(&cfg.key_file).exists() {
        app = with_keys(app, &cfg.issuer(&cfg.listen), &cfg.key_file)?;
    }
    let v = app.verify_audit_chain().await.map_err(|e| e.to_string())?;
    Ok(match v.first_break {
        None => {
            if v.purged_through > 0 {
                println!(
                    "Audit chain intact: {} events checked from the signed checkpoint after event {} (older events purged past retention), head at {}.",
                    v.checked, v.purged_through, v.head_seq
                );
            } else {
                println!(
                    "Audit chain intact: {} events checked, head at {}.",
                    v.checked, v.head_seq
                );
            }
            ExitCode::SUCCESS
        }
        Some(b) => {
            println!(
                "Audit chain BROKEN after {} good events: {}",
                v.checked,
                describe(&b)
            );
            ExitCode::from(2)
        }
    })
}

fn describe(b: &portico_core::audit::Break) -> String {
    use portico_core::audit::Break;
    match b {
        Break::Altered { seq } => {
            format!("event {seq} was altered (its hash does not match its content)")
        }
        Break::Relinked { seq } => format!("event {seq} does not link to the event before it"),
        Break::Checkpoint { seq } => format!(
            "the purge checkpoint at event {seq} is not signed by this portal's key (forged or altered)"
        ),
        Break::Gap {
            expected_seq,
            found_seq,
        } => format!(
            "expected event {expected_seq}, found {found_seq} (an event was removed or inserted)"
        ),
    }
}

pub async fn directory(cfg: &Config, cmd: DirectoryCmd) -> Result<ExitCode, String> {
    let DirectoryCmd::Reconcile {
        target,
        dry_run,
        adopt,
        by,
        report,
    } = cmd;
    let by = portico_app::directory::reconcile::AdoptBy::parse(&by)
        .ok_or_else(|| format!("--by takes login or mail, not {by}"))?;
    let format = match &report {
        None => None,
        Some(p) => Some(
            p.extension()
                .and_then(|e| e.to_str())
                .and_then(portico_app::export::Sheet::parse)
                .ok_or("--report names a .xlsx or .ods file")?,
        ),
    };
    let issuer = cfg.issuer(&cfg.listen);
    let app = with_keys(open(&cfg.database_url).await?, &issuer, &cfg.key_file)?;
    let ctx = portico_app::Ctx::new("127.0.0.1", "portico directory reconcile");
    let ids = match target {
        Some(t) => vec![t],
        None => app
            .enabled_directory_ids()
            .await
            .map_err(|e| e.to_string())?,
    };
    let mut drifted = false;
    let several = ids.len() > 1;
    for id in ids {
        let d = if adopt {
            let a = app
                .adopt_directory(id, by, dry_run, &ctx)
                .await
                .map_err(|e| format!("target {id}: {e}"))?;
            println!(
                "target {id}: {} linked by login, {} linked by mail{}",
                a.by_login,
                a.renamed.len(),
                if dry_run {
                    " (dry run: nothing renamed)"
                } else {
                    ""
                }
            );
            for (login, dn, old) in &a.renamed {
                println!("  linked    {login}  {dn}  (was {old})");
            }
            a.drift
        } else {
            app.reconcile_directory(id, dry_run, &ctx)
                .await
                .map_err(|e| format!("target {id}: {e}"))?
        };
        if let (Some(path), Some(format)) = (&report, format) {
            // Several targets: one workbook each, named after the target.
            let path = if several {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("drift");
                path.with_file_name(format!("{stem}-{id}.{}", format.extension()))
            } else {
                path.clone()
            };
            let path = &path;
            let bytes = portico_app::export::table(&d.table(portico_core::Lang::ZhTw), format)
                .map_err(|e| e.to_string())?;
            std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        println!(
            "target {id}: {} compared; missing {}, extra {}, changed {}, misplaced {}, wrong state {}{}",
            d.compared,
            d.missing.len(),
            d.extra.len(),
            d.changed.len(),
            d.misplaced.len(),
            d.wrong_state.len(),
            if dry_run || d.is_empty() {
                ""
            } else {
                " (queued for a sync)"
            }
        );
        for l in &d.missing {
            println!("  missing   {l}");
        }
        for (l, dn) in &d.extra {
            println!("  extra     {l}  {dn}");
        }
        for (l, a) in &d.changed {
            println!("  changed   {l}  {}", a.join(", "));
        }
        for (l, at, want) in &d.misplaced {
            println!("  misplaced {l}  {at}  ->  {want}");
        }
        for l in &d.wrong_state {
            println!("  state     {l}");
        }
        drifted |= !d.is_empty();
    }
    Ok(if drifted {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
