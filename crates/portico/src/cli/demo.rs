//! `portico demo`: an embedded SQLite database seeded with Tainan's org
//! tree and thousands of accounts, the identity stand-ins, credentials
//! printed; and `portico seed`, the same data into the configured database.
use super::config::Config;
use super::serve::{housekeeping, open, run_server, with_keys};
use super::sims::{Holder, start_id_sims};
use portico_app::App;
use portico_web::WebConfig;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct DemoArgs {
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
}

pub async fn run(cfg: &Config, a: DemoArgs) -> Result<(), String> {
    let DemoArgs {
        listen,
        data,
        fresh,
        accounts,
        card_agent,
        mobile_id_sim,
    } = a;
    super::config::init_logs(&cfg.log_format);
    if fresh && data.exists() {
        std::fs::remove_dir_all(&data).map_err(|e| format!("removing {}: {e}", data.display()))?;
    }
    std::fs::create_dir_all(&data).map_err(|e| format!("creating {}: {e}", data.display()))?;
    let url = format!("sqlite://{}/portico.db", data.display());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("binding {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let key_file = data.join("portico.key");
    let files =
        portico_app::files::Files::folder(&data.join("files")).map_err(|e| e.to_string())?;
    let app = with_keys(
        open(&url).await?,
        &format!("http://{addr}"),
        &key_file.to_string_lossy(),
    )?
    .with_files(files)
    .with_pdf_font(&cfg.pdf_font, cfg.pdf_font_index);
    let started = std::time::Instant::now();
    let seeded = app.seed_demo(accounts).await.map_err(|e| e.to_string())?;
    let (app, card_note) = demo_card(app, &card_agent, &mobile_id_sim).await?;
    let (app, office_note) = demo_office(app).await?;
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
    println!(
        "Official document attachments, signed out: http://{addr}/filedownload with 南市民 字第 1150001234 號, 識別碼 {}",
        portico_app::demo::DEMO_DOCUMENT_CODE
    );
    println!("{card_note}");
    println!("{office_note}");
    println!(
        "Passkeys need a host name: open http://localhost:{}/ to add and use them.",
        addr.port()
    );
    // Browsers accept Secure cookies on http://127.0.0.1 and localhost only.
    let local = addr.ip().is_loopback();
    let web = WebConfig {
        cookie_secure: local || cfg.cookie_secure,
        node: None,
    };
    run_server(app, web, listener, housekeeping(cfg)).await
}

/// `portico seed`: the demo's data into the configured database.
pub async fn seed(cfg: &Config, accounts: usize) -> Result<(), String> {
    super::config::init_logs(&cfg.log_format);
    let app = open(&cfg.database_url).await?.with_files(cfg.files()?);
    let started = std::time::Instant::now();
    if app.seed_demo(accounts).await.map_err(|e| e.to_string())? {
        println!(
            "Seeded {accounts} demo accounts in {:.1} s; the demo password is {}.",
            started.elapsed().as_secs_f64(),
            portico_app::demo::DEMO_PASSWORD
        );
    } else {
        println!("The database already has accounts: nothing seeded.");
    }
    Ok(())
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

/// The demo's 訊息介接: a simulator of the city's document, petition,
/// attendance and card-punch systems and of the city website's feeds, on a
/// free loopback port.
async fn demo_office(app: App) -> Result<(App, String), String> {
    const TOKEN: &str = "portico-demo-office";
    let sim = portico_web::office_sim::OfficeSim::new(TOKEN);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("binding the office simulator: {e}"))?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let router = sim.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let system = |path: &str| {
        Some(portico_app::office::systems::SystemSetup {
            url: format!("{base}/{path}"),
            token: TOKEN.into(),
        })
    };
    let feeds = portico_web::office_sim::FEEDS
        .iter()
        .map(|(key, name)| portico_app::office::systems::FeedSetup {
            name: (*name).into(),
            url: format!("{base}/feeds/{key}.xml"),
        })
        .collect();
    let app = app.with_office(portico_app::office::OfficeSetup {
        mail: None,
        documents: system("documents"),
        petitions: system("petitions"),
        attendance: system("attendance"),
        punches: system("punches"),
        feeds,
        wait: std::time::Duration::ZERO,
        ages: None,
    })?;
    Ok((
        app,
        format!(
            "The city's systems on the home page (公文, 陳情, 差勤, 刷卡, 市府新聞): a simulator at {base}; take one down with `curl -X POST {base}/sim/petitions/down` (and /up)."
        ),
    ))
}
