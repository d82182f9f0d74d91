//! The stand-ins for services that cannot run on a trial machine: the
//! HiPKI local sign server with a test card, the mobile ID service, and
//! Mitake's SMS API. Never for production.
use super::config::Config;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct IdSimArgs {
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
}

#[derive(clap::Args)]
pub struct SmsSimArgs {
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    #[arg(long, default_value = "portico")]
    username: String,
    #[arg(long, default_value = "portico")]
    password: String,
}

pub async fn id_simulators(cfg: &Config, a: IdSimArgs) -> Result<(), String> {
    let IdSimArgs {
        card_listen,
        mobile_id_listen,
        name,
        national_id,
        pin,
        service_id,
        ca_out,
    } = a;
    super::config::init_logs(&cfg.log_format);
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
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
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
    Ok(())
}

pub async fn sms_simulator(cfg: &Config, a: SmsSimArgs) -> Result<(), String> {
    let SmsSimArgs {
        listen,
        username,
        password,
    } = a;
    super::config::init_logs(&cfg.log_format);
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
        .map_err(|e| e.to_string())
}

/// The identity stand-ins: a test CA (trusted by whoever is told so, never
/// in production); a card for the holder in the reader of a HiPKI
/// stand-in, which also serves the CA's CRL; and the holder's mobile ID
/// in a simulator of the service.
pub(super) struct IdSims {
    /// The HiPKI stand-in's address and the mobile ID simulator's.
    pub(super) agent: String,
    pub(super) fido_base: String,
    /// The CA certificate (DER and PEM), the trust anchor for both.
    pub(super) anchor: Vec<u8>,
    pub(super) anchor_pem: String,
}

pub(super) struct Holder<'a> {
    pub(super) name: &'a str,
    pub(super) national_id: &'a str,
    pub(super) pin: &'a str,
    pub(super) service_id: &'a str,
    pub(super) key: [u8; 32],
}

pub(super) async fn start_id_sims(
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
