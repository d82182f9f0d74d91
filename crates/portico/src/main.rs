//! The `portico` command: serve, demo, migrate, admin and audit.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use portico_app::App;
use portico_store::Db;
use portico_web::{AppState, WebConfig};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    /// Runs the server.
    Serve {
        #[arg(long)]
        listen: Option<String>,
    },
    /// Runs the demo: an embedded SQLite database seeded with Tainan's org
    /// tree and thousands of accounts; prints the sign-in credentials.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Where the demo keeps its database (reused on the next run).
        #[arg(long, default_value = "data/demo")]
        data: PathBuf,
        /// Start over with a new database.
        #[arg(long)]
        fresh: bool,
        /// How many accounts to seed.
        #[arg(long, default_value_t = 5000)]
        accounts: usize,
        /// Where the stand-in for the HiPKI local sign server (with a test
        /// citizen certificate card in its reader) listens; the real one
        /// uses 127.0.0.1:61161.
        #[arg(long, default_value = "127.0.0.1:61161")]
        card_agent: String,
        /// Where the mobile ID service simulator (with its phone page)
        /// listens.
        #[arg(long, default_value = "127.0.0.1:8091")]
        mobile_id_sim: String,
    },
    /// Applies pending database migrations.
    Migrate,
    /// Runs a simulator of the Mitake SMS API (for trials where the carrier
    /// cannot be reached); point `sms_url` at it.
    SmsSimulator {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
        #[arg(long, default_value = "portico")]
        username: String,
        #[arg(long, default_value = "portico")]
        password: String,
    },
    /// Runs the identity stand-ins for trials of `portico serve`: a test
    /// CA, the HiPKI local sign server with one person's card, and the
    /// mobile ID service with that person's app. Prints the settings that
    /// point the portal at them; never for production.
    IdSimulators {
        #[arg(long, default_value = "127.0.0.1:61161")]
        card_listen: String,
        #[arg(long, default_value = "127.0.0.1:8091")]
        mobile_id_listen: String,
        /// The holder's name and national ID (the account's).
        #[arg(long)]
        name: String,
        #[arg(long)]
        national_id: String,
        #[arg(long, default_value = "123456")]
        pin: String,
        #[arg(long, default_value = "PORTICO-TRIAL")]
        service_id: String,
        /// Where the test CA's certificate goes (for `card_trust_file`).
        #[arg(long, default_value = "data/test-ca.pem")]
        ca_out: PathBuf,
    },
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
}

#[derive(Subcommand)]
enum KeysCmd {
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
enum AdminCmd {
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
enum AuditCmd {
    /// Checks the hash chain and names the first broken event.
    Verify,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Config {
    database_url: String,
    listen: String,
    cookie_secure: bool,
    /// `json` for structured logs, anything else for text.
    log_format: String,
    /// Where mail goes: `smtp://host:port`, `smtp://host:587?tls=required`
    /// or `smtps://user:pass@host`. Empty: mail is recorded in the outbox
    /// page only, never sent.
    smtp_url: String,
    /// The sender of every mail.
    mail_from: String,
    /// The Mitake SMS API (`https://smsapi.mitake.com.tw`); empty: SMS is
    /// recorded in the outbox page only, never sent.
    sms_url: String,
    sms_username: String,
    sms_password: String,
    /// The portal's public base URL, as people and applications reach it
    /// (`https://portal.tainan.gov.tw`): the OpenID issuer. Empty: taken
    /// from `listen`, which suits trials on one machine only.
    public_url: String,
    /// Removed: the system parameter 可信任的反向代理 (trusted proxies)
    /// replaces it. Present in a configuration, it stops the start, so a
    /// proxy's address is never taken for every client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    trust_proxy: Option<bool>,
    /// Trust anchors for citizen certificate cards (GRCA and MOICA
    /// certificates, PEM). Empty: card sign-in is off.
    card_trust_file: String,
    /// The HiPKI local sign server the pages talk to.
    card_agent_url: String,
    /// The mobile ID SP API (`https://fidoapi.moi.gov.tw/moise/sp`); empty:
    /// mobile ID is off.
    mobile_id_url: String,
    /// The service id and AES key (base64) issued at onboarding.
    mobile_id_service_id: String,
    mobile_id_key: String,
    /// Trust anchors for mobile ID certificates (PEM); empty: the card's.
    mobile_id_trust_file: String,
    /// The master key that seals the token signing keys in the database:
    /// 32 random bytes, base64, created when missing. Every node needs the
    /// same file; back it up apart from the database.
    key_file: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://data/portico.db".into(),
            listen: "127.0.0.1:8080".into(),
            cookie_secure: true,
            log_format: "text".into(),
            smtp_url: String::new(),
            mail_from: "臺南市政府公務入口網 <noreply@portico.invalid>".into(),
            sms_url: String::new(),
            sms_username: String::new(),
            sms_password: String::new(),
            public_url: String::new(),
            key_file: "data/portico.key".into(),
            trust_proxy: None,
            card_trust_file: String::new(),
            card_agent_url: "http://127.0.0.1:61161".into(),
            mobile_id_url: String::new(),
            mobile_id_service_id: String::new(),
            mobile_id_key: String::new(),
            mobile_id_trust_file: String::new(),
        }
    }
}

fn load_config(path: Option<&PathBuf>) -> Result<Config, String> {
    let mut f = Figment::from(Serialized::defaults(Config::default()));
    if let Some(p) = path {
        f = f.merge(Toml::file_exact(p));
    }
    f.merge(Env::prefixed("PORTICO_"))
        .extract()
        .map_err(|e| format!("configuration: {e}"))
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PORTICO_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        b.json().init();
    } else {
        b.init();
    }
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

async fn open(url: &str) -> Result<App, String> {
    if let Some(path) = url.strip_prefix("sqlite://")
        && let Some(dir) = std::path::Path::new(path.split('?').next().unwrap_or(path)).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    portico_store::migrate::run(&db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(App::new(db))
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let cfg = load_config(cli.config.as_ref())?;
    if cfg.trust_proxy.is_some() {
        return Err("the trust_proxy setting is gone: enter the proxies' addresses under 系統參數管理 → 可信任的反向代理 (trusted_proxies) instead, and remove trust_proxy from the configuration".into());
    }
    match cli.cmd {
        Cmd::Serve { listen } => {
            init_logs(&cfg.log_format);
            let listen = listen.unwrap_or(cfg.listen.clone());
            let issuer = if cfg.public_url.is_empty() {
                format!("http://{listen}")
            } else {
                cfg.public_url.clone()
            };
            let mut app = with_keys(open(&cfg.database_url).await?, &issuer, &cfg.key_file)?
                .with_delivery(delivery(&cfg)?);
            if !cfg.card_trust_file.is_empty() {
                let pem = std::fs::read_to_string(&cfg.card_trust_file)
                    .map_err(|e| format!("reading {}: {e}", cfg.card_trust_file))?;
                app = app.with_card(portico_app::card::CardSetup {
                    trust: portico_app::card::CardTrust::from_pem(&pem)
                        .map_err(|e| e.to_string())?,
                    agent_url: cfg.card_agent_url.clone(),
                });
            }
            if !cfg.mobile_id_url.is_empty() {
                let file = if cfg.mobile_id_trust_file.is_empty() {
                    &cfg.card_trust_file
                } else {
                    &cfg.mobile_id_trust_file
                };
                let pem = std::fs::read_to_string(file)
                    .map_err(|e| format!("reading mobile ID trust anchors {file}: {e}"))?;
                let key = portico_app::mobile_id::parse_key(&cfg.mobile_id_key)
                    .map_err(|e| e.to_string())?;
                app = app.with_mobile_id(portico_app::mobile_id::MobileIdSetup {
                    client: portico_app::mobile_id::MobileIdClient::new(
                        &cfg.mobile_id_url,
                        &cfg.mobile_id_service_id,
                        key,
                    )
                    .map_err(|e| e.to_string())?,
                    trust: portico_app::card::CardTrust::from_pem(&pem)
                        .map_err(|e| e.to_string())?,
                });
            }
            let web = WebConfig {
                cookie_secure: cfg.cookie_secure,
            };
            serve(app, web, &listen).await?;
        }
        Cmd::Demo {
            listen,
            data,
            fresh,
            accounts,
            card_agent,
            mobile_id_sim,
        } => {
            init_logs(&cfg.log_format);
            if fresh && data.exists() {
                std::fs::remove_dir_all(&data)
                    .map_err(|e| format!("removing {}: {e}", data.display()))?;
            }
            std::fs::create_dir_all(&data)
                .map_err(|e| format!("creating {}: {e}", data.display()))?;
            let url = format!("sqlite://{}/portico.db", data.display());
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("binding {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let key_file = data.join("portico.key");
            let app = with_keys(
                open(&url).await?,
                &format!("http://{addr}"),
                &key_file.to_string_lossy(),
            )?;
            let started = std::time::Instant::now();
            let seeded = app.seed_demo(accounts).await.map_err(|e| e.to_string())?;
            let (app, card_note) = demo_card(app, &card_agent, &mobile_id_sim).await?;
            println!("Portico listening on http://{addr}");
            if seeded {
                println!(
                    "Seeded {accounts} demo accounts in {:.1} s into {}",
                    started.elapsed().as_secs_f64(),
                    data.display()
                );
            }
            println!(
                "Demo password for every account below: {}",
                portico_app::demo::DEMO_PASSWORD
            );
            for a in portico_app::demo::named_accounts() {
                println!("  {:<14} {}", a.login, a.what);
            }
            println!(
                "OpenID provider: http://{addr}/.well-known/openid-configuration\n  sample application: client_id {} client_secret {} (run examples/sample-rp, then open {})",
                portico_app::demo::SAMPLE_CLIENT_ID,
                portico_app::demo::SAMPLE_CLIENT_SECRET,
                portico_app::demo::SAMPLE_APP_URL
            );
            println!("{card_note}");
            println!(
                "Passkeys need a host name: open http://localhost:{}/ to add and use them.",
                addr.port()
            );
            // Browsers accept Secure cookies on http://127.0.0.1 and localhost only.
            let local = addr.ip().is_loopback();
            let web = WebConfig {
                cookie_secure: local || cfg.cookie_secure,
            };
            run_server(app, web, listener).await?;
        }
        Cmd::IdSimulators {
            card_listen,
            mobile_id_listen,
            name,
            national_id,
            pin,
            service_id,
            ca_out,
        } => {
            init_logs(&cfg.log_format);
            let id = portico_core::national_id::NationalId::parse(&national_id)
                .map_err(|m| format!("--national-id: {}", m.en))?;
            let key = portico_app::mobile_id::new_key().map_err(|e| e.to_string())?;
            let holder = Holder {
                name: &name,
                national_id: id.as_str(),
                pin: &pin,
                service_id: &service_id,
                key,
            };
            let sims = start_id_sims(&card_listen, &mobile_id_listen, &holder).await?;
            if let Some(dir) = ca_out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("creating {}: {e}", dir.display()))?;
            }
            std::fs::write(&ca_out, &sims.anchor_pem)
                .map_err(|e| format!("writing {}: {e}", ca_out.display()))?;
            use base64::Engine;
            println!(
                "Identity stand-ins for trials (never production). Put in portico.toml:\n\ncard_trust_file = \"{}\"\ncard_agent_url = \"{}\"\nmobile_id_url = \"{}/moise/sp\"\nmobile_id_service_id = \"{service_id}\"\nmobile_id_key = \"{}\"\n\n{name}'s card is in the reader, PIN {pin}; approve mobile-ID requests for {} at {}/sim/phone.",
                ca_out.display(),
                sims.agent,
                sims.fido_base,
                base64::engine::general_purpose::STANDARD.encode(key),
                id.as_str(),
                sims.fido_base
            );
            let _ = tokio::signal::ctrl_c().await;
        }
        Cmd::SmsSimulator {
            listen,
            username,
            password,
        } => {
            init_logs(&cfg.log_format);
            let sim = portico_web::mitake_sim::MitakeSim::new(&username, &password);
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("binding {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            println!("Mitake SMS simulator listening on http://{addr} (messages at /sim/messages)");
            axum::serve(listener, sim.router())
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| e.to_string())?;
        }
        Cmd::Migrate => {
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
        }
        Cmd::Admin { cmd } => {
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
        }
        Cmd::Keys { cmd } => {
            let issuer = if cfg.public_url.is_empty() {
                format!("http://{}", cfg.listen)
            } else {
                cfg.public_url.clone()
            };
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
        }
        Cmd::Audit {
            cmd: AuditCmd::Verify,
        } => {
            let app = open(&cfg.database_url).await?;
            let v = app.verify_audit_chain().await.map_err(|e| e.to_string())?;
            return Ok(match v.first_break {
                None => {
                    println!(
                        "Audit chain intact: {} events checked, head at {}.",
                        v.checked, v.head_seq
                    );
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
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(b: &portico_core::audit::Break) -> String {
    use portico_core::audit::Break;
    match b {
        Break::Altered { seq } => {
            format!("event {seq} was altered (its hash does not match its content)")
        }
        Break::Relinked { seq } => format!("event {seq} does not link to the event before it"),
        Break::Gap {
            expected_seq,
            found_seq,
        } => format!(
            "expected event {expected_seq}, found {found_seq} (an event was removed or inserted)"
        ),
    }
}

/// The identity stand-ins: a test CA (trusted by whoever is told so, never
/// in production); a card for the holder in the reader of a HiPKI
/// stand-in, which also serves the CA's CRL; and the holder's mobile ID
/// in a simulator of the service.
struct IdSims {
    /// The HiPKI stand-in's address and the mobile ID simulator's.
    agent: String,
    fido_base: String,
    /// The CA certificate (DER and PEM), the trust anchor for both.
    anchor: Vec<u8>,
    anchor_pem: String,
}

struct Holder<'a> {
    name: &'a str,
    national_id: &'a str,
    pin: &'a str,
    service_id: &'a str,
    key: [u8; 32],
}

async fn start_id_sims(
    card_listen: &str,
    mobile_listen: &str,
    h: &Holder<'_>,
) -> Result<IdSims, String> {
    use portico_app::card::test_ca::TestCa;
    let e = |e: portico_app::Error| e.to_string();
    let listener = bind_or_any(card_listen).await?;
    let agent = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let ca = TestCa::new(
        "Portico 測試用自然人憑證管理中心",
        &format!("{agent}/crl/test-moica.crl"),
    )
    .map_err(e)?;
    let id = h.national_id;
    let last4 = &id[id.len().saturating_sub(4)..];
    let now = time::OffsetDateTime::now_utc();
    let year = |serial| {
        ca.issue(
            h.name,
            last4,
            serial,
            now - time::Duration::days(1),
            now + time::Duration::days(365),
        )
    };
    let card = year(0x5001).map_err(e)?;
    let phone = year(0x6001).map_err(e)?;
    let sim = portico_web::hipki_sim::HipkiSim::new();
    sim.insert(portico_web::hipki_sim::SimCard {
        cert_der: card.cert_der,
        chain: Vec::new(),
        key: portico_app::card::sign::CardKey::from_pkcs8(&card.key_pkcs8).map_err(e)?,
        pin: h.pin.into(),
        card_number: "TP03000000005001".into(),
    });
    sim.set_crl(ca.crl(&[], now).map_err(e)?);
    let fido = portico_web::twfido_sim::TwFidoSim::new(h.service_id, h.key);
    fido.enroll(
        id,
        portico_web::twfido_sim::Enrolled {
            cert_der: phone.cert_der,
            key: portico_app::card::sign::CardKey::from_pkcs8(&phone.key_pkcs8).map_err(e)?,
        },
    );
    let fido_listener = bind_or_any(mobile_listen).await?;
    let fido_base = format!(
        "http://{}",
        fido_listener.local_addr().map_err(|e| e.to_string())?
    );
    let fido_router = fido.router();
    tokio::spawn(async move {
        let _ = axum::serve(fido_listener, fido_router).await;
    });
    let router = sim.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let sims = IdSims {
        agent,
        fido_base,
        anchor: ca.cert_der.clone(),
        anchor_pem: ca.cert_pem.clone(),
    };
    // A fresh CRL every hour, as the real CA publishes.
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            if let Ok(crl) = ca.crl(&[], time::OffsetDateTime::now_utc()) {
                sim.set_crl(crl);
            }
        }
    });
    Ok(sims)
}

/// The demo's strong methods: the stand-ins with 王小明's (`staff`) card
/// and mobile ID, trusted by the demo alone.
async fn demo_card(app: App, listen: &str, mobile_listen: &str) -> Result<(App, String), String> {
    const PIN: &str = "123456";
    let id = app
        .demo_national_id("staff")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| "A000000000".into());
    // The demo's AES key; a real one is issued at onboarding.
    let key: [u8; 32] = *b"portico-demo-mobile-id-aes-key!!";
    let holder = Holder {
        name: "王小明",
        national_id: &id,
        pin: PIN,
        service_id: "PORTICO-DEMO",
        key,
    };
    let sims = start_id_sims(listen, mobile_listen, &holder).await?;
    let (agent, fido_base) = (sims.agent.clone(), sims.fido_base.clone());
    let app = app
        .with_card(portico_app::card::CardSetup {
            trust: portico_app::card::CardTrust::from_der(vec![sims.anchor.clone()]),
            agent_url: agent.clone(),
        })
        .with_mobile_id(portico_app::mobile_id::MobileIdSetup {
            client: portico_app::mobile_id::MobileIdClient::new(
                &format!("{fido_base}/moise/sp"),
                "PORTICO-DEMO",
                key,
            )
            .map_err(|e| e.to_string())?,
            trust: portico_app::card::CardTrust::from_der(vec![sims.anchor]),
        });
    Ok((
        app,
        format!(
            "Citizen certificate card: a HiPKI stand-in at {agent} holds 王小明's (staff) test card, PIN {PIN}; bind it on the account page, then sign in with it.\nMobile ID: a simulator of the service at {fido_base}; sign in with 王小明's national ID {id} and approve on the phone page {fido_base}/sim/phone."
        ),
    ))
}

/// Binds `addr`, or any free port when it is taken (a second demo).
async fn bind_or_any(addr: &str) -> Result<tokio::net::TcpListener, String> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(e) => {
            tracing::warn!(%addr, error = %e, "simulator on another port");
            tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// Gives the app its OpenID issuer and the master key from `key_file`.
fn with_keys(app: App, issuer: &str, key_file: &str) -> Result<App, String> {
    let (master, created) =
        portico_app::oidc::keys::MasterKey::load_or_create(std::path::Path::new(key_file))
            .map_err(|e| e.to_string())?;
    if created {
        tracing::warn!(
            key_file,
            "created a new master key: back it up apart from the database"
        );
    }
    Ok(app.with_oidc(issuer, master))
}

/// Where mail and SMS go: the configured SMTP server and Mitake account, or
/// the outbox page alone when one is not configured.
fn delivery(cfg: &Config) -> Result<portico_app::outbox::Delivery, String> {
    use portico_app::outbox::{Delivery, Mailer, Recording, SmsGateway, SmtpMailer};
    let mailer: Arc<dyn Mailer> = if cfg.smtp_url.is_empty() {
        tracing::warn!("smtp_url is not set: mail is recorded in the outbox, not sent");
        Arc::new(Recording)
    } else {
        Arc::new(SmtpMailer::new(&cfg.smtp_url, &cfg.mail_from).map_err(|e| e.to_string())?)
    };
    let sms: Arc<dyn SmsGateway> = if cfg.sms_url.is_empty() {
        tracing::warn!("sms_url is not set: SMS is recorded in the outbox, not sent");
        Arc::new(Recording)
    } else {
        Arc::new(
            portico_app::sms::MitakeSms::new(&cfg.sms_url, &cfg.sms_username, &cfg.sms_password)
                .map_err(|e| e.to_string())?,
        )
    };
    Ok(Delivery::new(mailer, sms))
}

async fn serve(app: App, web: WebConfig, listen: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("binding {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Portico listening on http://{addr}");
    run_server(app, web, listener).await
}

async fn run_server(
    app: App,
    web: WebConfig,
    listener: tokio::net::TcpListener,
) -> Result<(), String> {
    let janitor = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = janitor.purge_idle_sessions().await {
                tracing::warn!(error = %e, "purging idle sessions failed");
            }
            if let Err(e) = janitor.purge_verification().await {
                tracing::warn!(error = %e, "purging verification codes failed");
            }
            if let Err(e) = janitor.purge_oauth().await {
                tracing::warn!(error = %e, "purging spent OAuth codes and tokens failed");
            }
            if let Err(e) = janitor.run_due_jobs().await {
                tracing::warn!(error = %e, "a periodic job failed");
            }
        }
    });
    let worker = app.clone();
    tokio::spawn(async move { worker.run_outbox(std::future::pending()).await });
    let state = AppState {
        app,
        cfg: Arc::new(web),
    };
    portico_web::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}
