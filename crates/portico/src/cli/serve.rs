//! `portico serve`: one node of the portal, and what every command that
//! opens the database shares (migrations, the signing keys' master key,
//! where mail and SMS go).
use super::config::Config;
use portico_app::App;
use portico_store::Db;
use portico_web::{AppState, WebConfig};
use std::sync::Arc;

/// Runs one node until Ctrl-C.
pub async fn run(cfg: &Config, listen: Option<String>) -> Result<(), String> {
    super::config::init_logs(&cfg.log_format);
    let listen = listen.unwrap_or(cfg.listen.clone());
    let issuer = cfg.issuer(&listen);
    let files = cfg.files()?;
    tracing::info!(store = %files.describe, "uploaded files");
    let mut app = with_keys(open(&cfg.database_url).await?, &issuer, &cfg.key_file)?
        .with_delivery(delivery(cfg)?)
        .with_files(files)
        .with_pdf_font(&cfg.pdf_font, cfg.pdf_font_index)
        .with_office(cfg.office.setup()?)?;
    if !cfg.card_trust_file.is_empty() {
        let pem = std::fs::read_to_string(&cfg.card_trust_file)
            .map_err(|e| format!("reading {}: {e}", cfg.card_trust_file))?;
        app = app.with_card(portico_app::card::CardSetup {
            trust: portico_app::card::CardTrust::from_pem(&pem).map_err(|e| e.to_string())?,
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
        let key =
            portico_app::mobile_id::parse_key(&cfg.mobile_id_key).map_err(|e| e.to_string())?;
        app = app.with_mobile_id(portico_app::mobile_id::MobileIdSetup {
            client: portico_app::mobile_id::MobileIdClient::new(
                &cfg.mobile_id_url,
                &cfg.mobile_id_service_id,
                key,
            )
            .map_err(|e| e.to_string())?,
            trust: portico_app::card::CardTrust::from_pem(&pem).map_err(|e| e.to_string())?,
        });
    }
    let web = WebConfig {
        cookie_secure: cfg.cookie_secure,
        node: Some(cfg.node_name.clone()).filter(|n| !n.is_empty()),
    };
    serve(app, web, &listen, housekeeping(cfg)).await
}

/// How often a node does its housekeeping.
pub fn housekeeping(cfg: &Config) -> std::time::Duration {
    std::time::Duration::from_secs(cfg.housekeeping_seconds.max(1))
}

/// Opens the database at `url` (making a SQLite file's folder) and migrates it.
/// The file of a `sqlite://` URL.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let path = url.strip_prefix("sqlite://")?;
    Some(path.split('?').next().unwrap_or(path))
}

pub async fn open(url: &str) -> Result<App, String> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = std::path::Path::new(path).parent()
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

/// Gives the app its OpenID issuer and the master key from `key_file`.
pub fn with_keys(app: App, issuer: &str, key_file: &str) -> Result<App, String> {
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
pub fn delivery(cfg: &Config) -> Result<portico_app::outbox::Delivery, String> {
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
    Ok(
        Delivery::new(mailer, sms).with_lease(time::Duration::seconds(
            cfg.outbox_lease_seconds.max(1) as i64,
        )),
    )
}

async fn serve(
    app: App,
    web: WebConfig,
    listen: &str,
    every: std::time::Duration,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("binding {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Portico listening on http://{addr}");
    run_server(app, web, listener, every).await
}

/// Serves on `listener` until Ctrl-C, with the node's two background
/// loops: housekeeping every `every`, and the outbox worker.
pub async fn run_server(
    app: App,
    web: WebConfig,
    listener: tokio::net::TcpListener,
    every: std::time::Duration,
) -> Result<(), String> {
    let janitor = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
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
            match janitor.run_due_jobs().await {
                Ok(Some(sweep)) => tracing::info!(
                    disabled = sweep.disabled.len(),
                    kept = sweep.kept.len(),
                    "this node ran the daily idle sweep"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a periodic job failed"),
            }
            tracing::debug!("housekeeping round done");
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
