//! The settings every command reads: a TOML file and `PORTICO_*`
//! environment variables over the defaults.
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use std::path::PathBuf;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub database_url: String,
    pub listen: String,
    pub cookie_secure: bool,
    /// `json` for structured logs, anything else for text.
    pub log_format: String,
    /// Where mail goes: `smtp://host:port`, `smtp://host:587?tls=required`
    /// or `smtps://user:pass@host`. Empty: mail is recorded in the outbox
    /// page only, never sent.
    pub smtp_url: String,
    /// The sender of every mail.
    pub mail_from: String,
    /// The Mitake SMS API (`https://smsapi.mitake.com.tw`); empty: SMS is
    /// recorded in the outbox page only, never sent.
    pub sms_url: String,
    pub sms_username: String,
    pub sms_password: String,
    /// The portal's public base URL, as people and applications reach it
    /// (`https://portal.tainan.gov.tw`): the OpenID issuer. Empty: taken
    /// from `listen`, which suits trials on one machine only.
    pub public_url: String,
    /// Removed: the system parameter 可信任的反向代理 (trusted proxies)
    /// replaces it. Present in a configuration, it stops the start, so a
    /// proxy's address is never taken for every client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_proxy: Option<bool>,
    /// Trust anchors for citizen certificate cards (GRCA and MOICA
    /// certificates, PEM). Empty: card sign-in is off.
    pub card_trust_file: String,
    /// The HiPKI local sign server the pages talk to.
    pub card_agent_url: String,
    /// The mobile ID SP API (`https://fidoapi.moi.gov.tw/moise/sp`); empty:
    /// mobile ID is off.
    pub mobile_id_url: String,
    /// The service id and AES key (base64) issued at onboarding.
    pub mobile_id_service_id: String,
    pub mobile_id_key: String,
    /// Trust anchors for mobile ID certificates (PEM); empty: the card's.
    pub mobile_id_trust_file: String,
    /// The master key that seals the token signing keys in the database:
    /// 32 random bytes, base64, created when missing. Every node needs the
    /// same file; back it up apart from the database.
    pub key_file: String,
    /// This node's name, sent with every response as `X-Portico-Node` so
    /// an operator (or a test) behind a balancer sees which node answered.
    /// Empty (the default): no such header, so nothing about the machine
    /// reaches the outside unless asked for.
    pub node_name: String,
    /// Seconds between housekeeping rounds (purging spent sessions, codes
    /// and tokens; the jobs that are due, each claimed once across nodes).
    pub housekeeping_seconds: u64,
    /// Where uploaded files (signed forms' scans) are kept: a folder on
    /// this machine, used when `files_s3_endpoint` is empty. Several nodes
    /// need S3-compatible storage instead.
    pub files_dir: String,
    /// An S3-compatible endpoint (`https://s3.example.gov.tw`, MinIO, Ceph)
    /// and its bucket and credentials; the bucket must exist.
    pub files_s3_endpoint: String,
    pub files_s3_bucket: String,
    pub files_s3_region: String,
    pub files_s3_access_key: String,
    pub files_s3_secret_key: String,
    /// The font printed forms are set in: a TrueType collection and the
    /// face (Debian's fonts-noto-cjk, Noto Sans CJK TC).
    pub pdf_font: String,
    pub pdf_font_index: u32,
    /// Seconds a node owns an outbox message it claimed before another node
    /// may take it over (the first died mid-delivery). Keep it well above
    /// the slowest delivery, or a slow message goes out twice.
    pub outbox_lease_seconds: u64,
    /// 訊息介接: the city's systems the home page reads (`[office]`).
    pub office: OfficeConfig,
}

/// The `[office]` section: where the home page's blocks come from. Each
/// system left empty has no block. The contracts are in
/// `docs/office-systems.md`.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OfficeConfig {
    /// 公務郵件: `imaps://mail.tainan.gov.tw:993` (`imap://` on loopback
    /// only), read as a master user on each person's behalf.
    pub mail_url: String,
    pub mail_master_user: String,
    pub mail_master_password: String,
    /// The mail server's CA certificates (PEM); empty: the system's roots.
    pub mail_ca_file: String,
    /// 公文系統, 陳情案件系統, 差勤系統, 刷卡: each `GET {url}?account=`.
    pub documents_url: String,
    pub documents_token: String,
    pub petitions_url: String,
    pub petitions_token: String,
    pub attendance_url: String,
    pub attendance_token: String,
    pub punches_url: String,
    pub punches_token: String,
    /// The city website's feeds (RSS or Atom): `[[office.feeds]]` with
    /// `name` and `url`.
    pub feeds: Vec<portico_app::office::systems::FeedSetup>,
    /// Milliseconds the home page waits for a block it has nothing for
    /// (0: the default, 300).
    pub wait_ms: u64,
}

impl OfficeConfig {
    pub fn setup(&self) -> Result<portico_app::office::OfficeSetup, String> {
        use portico_app::office::{OfficeSetup, mail::MailSetup, systems::SystemSetup};
        let system = |url: &str, token: &str| {
            (!url.is_empty()).then(|| SystemSetup {
                url: url.to_owned(),
                token: token.to_owned(),
            })
        };
        let mail = if self.mail_url.is_empty() {
            None
        } else {
            let ca_pem = if self.mail_ca_file.is_empty() {
                String::new()
            } else {
                std::fs::read_to_string(&self.mail_ca_file)
                    .map_err(|e| format!("reading {}: {e}", self.mail_ca_file))?
            };
            Some(MailSetup {
                url: self.mail_url.clone(),
                master_user: self.mail_master_user.clone(),
                master_password: self.mail_master_password.clone(),
                ca_pem,
            })
        };
        Ok(OfficeSetup {
            mail,
            documents: system(&self.documents_url, &self.documents_token),
            petitions: system(&self.petitions_url, &self.petitions_token),
            attendance: system(&self.attendance_url, &self.attendance_token),
            punches: system(&self.punches_url, &self.punches_token),
            feeds: self.feeds.clone(),
            wait: std::time::Duration::from_millis(self.wait_ms),
            ages: None,
        })
    }
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
            node_name: String::new(),
            housekeeping_seconds: 300,
            files_dir: "data/files".into(),
            files_s3_endpoint: String::new(),
            files_s3_bucket: String::new(),
            files_s3_region: String::new(),
            files_s3_access_key: String::new(),
            files_s3_secret_key: String::new(),
            pdf_font: portico_app::access::print::DEFAULT_FONT.into(),
            pdf_font_index: 3,
            outbox_lease_seconds: 60,
            office: OfficeConfig::default(),
        }
    }
}

pub fn load_config(path: Option<&PathBuf>) -> Result<Config, String> {
    let mut f = Figment::from(Serialized::defaults(Config::default()));
    if let Some(p) = path {
        f = f.merge(Toml::file_exact(p));
    }
    f.merge(Env::prefixed("PORTICO_"))
        .extract()
        .map_err(|e| format!("configuration: {e}"))
}

pub fn init_logs(format: &str) {
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

impl Config {
    /// The file store this configuration names.
    pub fn files(&self) -> Result<portico_app::files::Files, String> {
        if self.files_s3_endpoint.is_empty() {
            portico_app::files::Files::folder(std::path::Path::new(&self.files_dir))
        } else {
            portico_app::files::Files::s3(&portico_app::files::S3 {
                endpoint: self.files_s3_endpoint.clone(),
                bucket: self.files_s3_bucket.clone(),
                region: self.files_s3_region.clone(),
                access_key: self.files_s3_access_key.clone(),
                secret_key: self.files_s3_secret_key.clone(),
            })
        }
        .map_err(|e| e.to_string())
    }

    /// The OpenID issuer: `public_url`, or `http://` + the address served.
    pub fn issuer(&self, listen: &str) -> String {
        if self.public_url.is_empty() {
            format!("http://{listen}")
        } else {
            self.public_url.clone()
        }
    }
}
