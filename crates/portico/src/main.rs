//! The `portico` command: serve, demo, seed, migrate, admin, keys and
//! audit; each subcommand lives in `cli/`.
#![forbid(unsafe_code)]

mod cli;

use clap::{Parser, Subcommand};
use cli::admin::{AdminCmd, AuditCmd, KeysCmd};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "Portico: the government staff portal with single sign-on"
)]
struct Cli {
    /// A TOML file with the settings; every setting can also come from a
    /// `PORTICO_*` environment variable (PORTICO_DATABASE_URL …).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the server: one node; any number of them may share a
    /// PostgreSQL database behind a load balancer.
    Serve {
        #[arg(long)]
        listen: Option<String>,
    },
    /// Runs the demo: an embedded SQLite database seeded with Tainan's org
    /// tree and thousands of accounts; prints the sign-in credentials.
    Demo(cli::demo::DemoArgs),
    /// Seeds the demo's org tree, accounts and sample application into the
    /// configured database (PostgreSQL, for a trial of several nodes)
    /// without serving; a database already seeded is left as it is.
    Seed {
        #[arg(long, default_value_t = 600)]
        accounts: usize,
    },
    /// Applies pending database migrations.
    Migrate,
    /// Runs a simulator of the Mitake SMS API (for trials where the carrier
    /// cannot be reached); point `sms_url` at it.
    SmsSimulator(cli::sims::SmsSimArgs),
    /// Runs the identity stand-ins for trials of `portico serve`: a test
    /// CA, the HiPKI local sign server with one person's card, and the
    /// mobile ID service with that person's app. Prints the settings that
    /// point the portal at them; never for production.
    IdSimulators(cli::sims::IdSimArgs),
    /// Account administration from the command line.
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// The OpenID provider's token signing keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// The directories Portico writes accounts to (AD 同步管理作業).
    Directory {
        #[command(subcommand)]
        cmd: cli::admin::DirectoryCmd,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("portico: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("portico: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let cfg = cli::config::load_config(cli.config.as_ref())?;
    if cfg.trust_proxy.is_some() {
        return Err("the trust_proxy setting is gone: enter the proxies' addresses under 系統參數管理 → 可信任的反向代理 (trusted_proxies) instead, and remove trust_proxy from the configuration".into());
    }
    match cli.cmd {
        Cmd::Serve { listen } => cli::serve::run(&cfg, listen).await?,
        Cmd::Demo(a) => cli::demo::run(&cfg, a).await?,
        Cmd::Seed { accounts } => cli::demo::seed(&cfg, accounts).await?,
        Cmd::IdSimulators(a) => cli::sims::id_simulators(&cfg, a).await?,
        Cmd::SmsSimulator(a) => cli::sims::sms_simulator(&cfg, a).await?,
        Cmd::Migrate => cli::admin::migrate(&cfg).await?,
        Cmd::Admin { cmd } => cli::admin::admin(&cfg, cmd).await?,
        Cmd::Keys { cmd } => cli::admin::keys(&cfg, cmd).await?,
        Cmd::Directory { cmd } => return cli::admin::directory(&cfg, cmd).await,
        Cmd::Audit { cmd } => return cli::admin::audit(&cfg, cmd).await,
    }
    Ok(ExitCode::SUCCESS)
}
