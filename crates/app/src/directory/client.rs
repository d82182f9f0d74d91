//! The LDAP client side of a directory target (`ldap3`): a secured,
//! bound connection, and the connection test that says which step failed
//! in words (name lookup, connection, TLS, bind, the base DNs).
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope};
use portico_core::Msg;
use portico_core::directory::{Security, Target, explain};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;
use std::time::Duration;

/// How long a step may take before the directory counts as unreachable.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The steps of reaching a directory, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Resolve,
    Connect,
    Tls,
    Bind,
    Base,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Resolve,
        Step::Connect,
        Step::Tls,
        Step::Bind,
        Step::Base,
    ];
    pub fn label(self) -> Msg {
        match self {
            Step::Resolve => Msg::new("主機名稱解析（DNS）", "Name lookup (DNS)"),
            Step::Connect => Msg::new("建立連線", "Connection"),
            Step::Tls => Msg::new("加密連線（TLS）與憑證", "Secure link (TLS) and certificate"),
            Step::Bind => Msg::new("以繫結帳號登入（bind）", "Bind with the service account"),
            Step::Base => Msg::new("基準 DN", "Base DNs"),
        }
    }
}

/// Where reaching a directory stopped, and why in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub step: Step,
    pub message: Msg,
    /// What the library or the server said, for the administrator who
    /// reads further.
    pub detail: String,
}

impl Failure {
    fn new(step: Step, message: Msg, detail: impl std::fmt::Display) -> Failure {
        Failure {
            step,
            message,
            detail: detail.to_string(),
        }
    }
}

/// The TLS settings of a target: its CA certificates, or the system's
/// roots when it names none (through the default settings of `ldap3`).
fn tls_config(t: &Target) -> Result<Option<Arc<rustls::ClientConfig>>, Failure> {
    if t.ca_pem.is_empty() {
        return Ok(None);
    }
    let bad = |e: &dyn std::fmt::Display| {
        Failure::new(
            Step::Tls,
            Msg::new("CA 憑證無法讀取", "The CA certificate cannot be read"),
            e,
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(t.ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| bad(&e))?;
        roots.add(cert).map_err(|e| bad(&e))?;
    }
    if roots.is_empty() {
        return Err(bad(&"no certificate in the PEM"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(cfg)))
}

/// A bound connection to the target, as its service account.
pub async fn connect(t: &Target, bind_password: &str) -> Result<Ldap, Failure> {
    // Name lookup and TCP first, so a failure names its step.
    let addrs: Vec<_> =
        tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((t.host.as_str(), t.port)))
            .await
            .map_err(|_| Failure::new(Step::Resolve, unreachable_msg(), "timed out"))?
            .map_err(|e| {
                Failure::new(
                    Step::Resolve,
                    Msg::owned(
                        format!("找不到主機 {}，請檢查網址", t.host),
                        format!("Host {} was not found; check the URL", t.host),
                    ),
                    e,
                )
            })?
            .collect();
    let Some(addr) = addrs.first() else {
        return Err(Failure::new(Step::Resolve, unreachable_msg(), "no address"));
    };
    tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| Failure::new(Step::Connect, unreachable_msg(), "timed out"))?
        .map_err(|e| {
            Failure::new(
                Step::Connect,
                Msg::owned(
                    format!(
                        "無法連線到 {}:{}（目錄服務未啟動，或防火牆阻擋）",
                        t.host, t.port
                    ),
                    format!(
                        "Cannot connect to {}:{} (the directory is down, or a firewall blocks it)",
                        t.host, t.port
                    ),
                ),
                e,
            )
        })?;
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(TIMEOUT)
        .set_starttls(t.security == Security::StartTls);
    if let Some(cfg) = tls_config(t)? {
        settings = settings.set_config(cfg);
    }
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, &t.url)
        .await
        .map_err(|e| {
            Failure::new(
                Step::Tls,
                Msg::new(
                    "無法建立加密連線：目錄的憑證不受信任、已過期或不符主機名稱，或未支援 StartTLS",
                    "No secure link: the directory's certificate is untrusted, expired or for another name, or StartTLS is not offered",
                ),
                e,
            )
        })?;
    ldap3::drive!(conn);
    ldap.with_timeout(TIMEOUT);
    match ldap.simple_bind(&t.bind_dn, bind_password).await {
        Ok(r) => {
            if r.rc != 0 {
                return Err(Failure::new(
                    Step::Bind,
                    explain(r.rc, &r.text),
                    format!("{}: {}", r.rc, r.text),
                ));
            }
        }
        Err(e) => return Err(Failure::new(Step::Bind, unreachable_msg(), e)),
    }
    Ok(ldap)
}

fn unreachable_msg() -> Msg {
    Msg::new(
        "目錄沒有回應，請確認網址與網路",
        "The directory does not answer; check the URL and the network",
    )
}

/// Whether a DN exists, read at the base scope.
pub async fn exists(ldap: &mut Ldap, dn: &str) -> Result<bool, LdapError> {
    let r = ldap
        .search(dn, Scope::Base, "(objectClass=*)", vec!["1.1"])
        .await?;
    match r.1.rc {
        0 => Ok(!r.0.is_empty()),
        32 => Ok(false),
        _ => Err(LdapError::LdapResult { result: r.1 }),
    }
}

/// The connection test of the target page: every step in order, stopping
/// at the first that fails.
pub async fn probe(t: &Target, bind_password: &str) -> Result<(), Failure> {
    let mut ldap = connect(t, bind_password).await?;
    for base in [&t.people_base, &t.mail_base] {
        match exists(&mut ldap, base).await {
            Ok(true) => {}
            Ok(false) => {
                return Err(Failure::new(
                    Step::Base,
                    Msg::owned(
                        format!("目錄中沒有 {base}，請先建立，或更正基準 DN"),
                        format!(
                            "{base} is not in the directory; create it, or correct the base DN"
                        ),
                    ),
                    "noSuchObject",
                ));
            }
            Err(e) => return Err(Failure::new(Step::Base, unreachable_msg(), e)),
        }
    }
    let _ = ldap.unbind().await;
    Ok(())
}

/// Every entry a subtree search finds, read in pages of 500 (RFC 2696):
/// Active Directory answers a plain search with at most 1,000 entries
/// (its MaxPageSize), and a city's directory holds tens of thousands.
pub async fn search_all(
    ldap: &mut Ldap,
    base: &str,
    filter: &str,
    attrs: Vec<String>,
) -> std::result::Result<Vec<ldap3::SearchEntry>, ldap3::LdapError> {
    use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
    let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(500)),
    ];
    let mut stream = ldap
        .streaming_search_with(adapters, base, ldap3::Scope::Subtree, filter, attrs)
        .await?;
    let mut out = Vec::new();
    while let Some(e) = stream.next().await? {
        out.push(ldap3::SearchEntry::construct(e));
    }
    stream.finish().await.success()?;
    Ok(out)
}
