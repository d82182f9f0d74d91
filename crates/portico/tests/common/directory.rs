//! The directories the directory tests write to: OpenLDAP and Samba AD on
//! loopback, from `scripts/peers/directory`. The test command starts them
//! once and passes their settings in `PORTICO_TEST_*`; a test run without
//! them starts them itself, once per machine (Samba's ports are fixed),
//! under a file lock, and leaves them running for the next run.
use portico_core::directory::TargetInput;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The settings the peers script printed.
pub struct Peers {
    vars: HashMap<String, String>,
}

impl Peers {
    fn var(&self, k: &str) -> String {
        self.vars
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{k} missing from the directory peers' settings"))
    }
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.var("PORTICO_TEST_DIR_CA")).expect("the test CA")
    }
    /// A target form for OpenLDAP (`ldap`) or Samba AD (`ad`).
    pub fn target(&self, kind: &str) -> (TargetInput, String) {
        let p = if kind == "ad" { "AD" } else { "LDAP" };
        let input = TargetInput {
            name: format!("test {kind}"),
            kind: kind.into(),
            url: self.var(&format!("PORTICO_TEST_{p}_URL")),
            starttls: if kind == "ldap" {
                "on".into()
            } else {
                String::new()
            },
            ca_pem: self.ca_pem(),
            bind_dn: self.var(&format!("PORTICO_TEST_{p}_BIND_DN")),
            bind_password: self.var(&format!("PORTICO_TEST_{p}_PASSWORD")),
            people_base: self.var(&format!("PORTICO_TEST_{p}_BASE")),
            unit_ous: "on".into(),
            password_sync: "on".into(),
            enabled: "on".into(),
            ..Default::default()
        };
        let pw = input.bind_password.clone();
        (input, pw)
    }
}

fn parse_exports(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect()
}

fn alive(vars: &HashMap<String, String>) -> bool {
    let Some(port) = vars
        .get("PORTICO_TEST_LDAP_URL")
        .and_then(|u| u.rsplit(':').next())
        .and_then(|p| p.parse::<u16>().ok())
    else {
        return false;
    };
    [port, 636].iter().all(|p| {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], *p)),
            std::time::Duration::from_millis(300),
        )
        .is_ok()
    })
}

pub fn peers() -> &'static Peers {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    PEERS.get_or_init(|| {
        let from_env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("PORTICO_TEST_") && !k.starts_with("PORTICO_TEST_PG"))
            .collect();
        if from_env.contains_key("PORTICO_TEST_AD_URL") {
            return Peers { vars: from_env };
        }
        let dir = std::env::temp_dir().join("portico-directory-peers");
        std::fs::create_dir_all(&dir).expect("peers folder");
        let lock = std::fs::File::create(dir.join("lock")).expect("lock file");
        lock.lock().expect("lock the peers folder");
        let env_file = dir.join("env");
        if let Ok(text) = std::fs::read_to_string(&env_file) {
            let vars = parse_exports(&text);
            if alive(&vars) {
                return Peers { vars };
            }
        }
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/directory");
        let out = std::process::Command::new(&script)
            .arg("start")
            .arg(dir.join("run"))
            .output()
            .expect("run scripts/peers/directory");
        assert!(
            out.status.success(),
            "scripts/peers/directory failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        std::fs::write(&env_file, &text).expect("keep the peers' settings");
        Peers {
            vars: parse_exports(&text),
        }
    })
}

impl Peers {
    /// A target whose people base is a fresh OU of its own under the
    /// directory's base, so tests (and runs) never see each other's
    /// entries.
    pub async fn fresh_target(&self, kind: &str) -> (TargetInput, String) {
        let (mut input, pw) = self.target(kind);
        let t = input.check().expect("a valid target");
        let mut ldap = portico_app::directory::client::connect(&t, &pw)
            .await
            .unwrap_or_else(|f| panic!("{kind}: {f:?}"));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let ou = if kind == "ad" { "OU" } else { "ou" };
        let dn = format!("{ou}=t{nanos},{}", t.people_base);
        let attrs = vec![
            (
                "objectClass",
                ["top", "organizationalUnit"].into_iter().collect(),
            ),
            (
                "ou",
                [format!("t{nanos}").leak() as &str].into_iter().collect(),
            ),
        ];
        ldap.add(&dn, attrs).await.unwrap().success().unwrap();
        input.people_base = dn;
        (input, pw)
    }

    /// A fresh target whose mail accounts have an OU of their own inside
    /// its people base (the mail server searches the people base).
    pub async fn fresh_target_with_mail(&self, kind: &str) -> (TargetInput, String) {
        let (mut input, pw) = self.fresh_target(kind).await;
        let t = input.check().expect("a valid target");
        let mut ldap = portico_app::directory::client::connect(&t, &pw)
            .await
            .unwrap_or_else(|f| panic!("{kind}: {f:?}"));
        let ou = if kind == "ad" { "OU" } else { "ou" };
        let dn = format!("{ou}=Mailboxes,{}", t.people_base);
        ldap.add(
            &dn,
            vec![
                ("objectClass", ["top", "organizationalUnit"].into()),
                ("ou", ["Mailboxes"].into()),
            ],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
        input.mail_base = dn;
        (input, pw)
    }

    /// Whether `dn` binds with `password` on the target's directory.
    pub async fn binds(&self, input: &TargetInput, dn: &str, password: &str) -> bool {
        let mut t = input.check().unwrap();
        t.bind_dn = dn.to_owned();
        portico_app::directory::client::connect(&t, password)
            .await
            .is_ok()
    }

    /// The entry a login names under the target's people base: its DN and
    /// attributes (names lower-cased).
    pub async fn entry(
        &self,
        input: &TargetInput,
        pw: &str,
        login: &str,
    ) -> Option<(String, HashMap<String, Vec<String>>)> {
        let t = input.check().unwrap();
        let mut ldap = portico_app::directory::client::connect(&t, pw)
            .await
            .unwrap();
        let (found, _) = ldap
            .search(
                &t.people_base,
                ldap3::Scope::Subtree,
                &format!("({}={login})", t.login_attribute()),
                vec!["*"],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        found.into_iter().next().map(|e| {
            let e = ldap3::SearchEntry::construct(e);
            (
                e.dn,
                e.attrs
                    .into_iter()
                    .map(|(k, v)| (k.to_lowercase(), v))
                    .collect(),
            )
        })
    }
}

/// Dovecot (IMAP) signing people in by binding to a target's directory as
/// them, under the target's people base; stopped when dropped.
pub struct Imap {
    dir: PathBuf,
    pub port: u16,
}

impl Imap {
    pub fn start(input: &TargetInput, pw: &str) -> Imap {
        let t = input.check().expect("a valid target");
        let dir = std::env::temp_dir().join(format!(
            "portico-dovecot-{}-{}",
            std::process::id(),
            t.kind.as_str()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let ca = dir.with_extension("ca.pem");
        std::fs::write(&ca, &input.ca_pem).expect("the CA file");
        let filter = format!("({}=%u)", t.login_attribute());
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/dovecot");
        let out = std::process::Command::new(script)
            .arg("start")
            .arg(&dir)
            .arg(&t.url)
            .arg(&ca)
            .arg(&t.bind_dn)
            .arg(pw)
            .arg(&t.people_base)
            .arg(filter)
            .output()
            .expect("run scripts/peers/dovecot");
        assert!(
            out.status.success(),
            "dovecot: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a port");
        Imap { dir, port }
    }

    /// Whether `login` signs in over IMAP with `password` (Python's
    /// imaplib, a client nobody here wrote).
    pub fn signs_in(&self, login: &str, password: &str) -> bool {
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg("import imaplib,sys\nm=imaplib.IMAP4('127.0.0.1',int(sys.argv[1]))\ntry:\n  m.login(sys.argv[2],sys.argv[3]); print('ok')\nexcept imaplib.IMAP4.error as e:\n  print('refused', e)")
            .arg(self.port.to_string())
            .arg(login)
            .arg(password)
            .output()
            .expect("python3 imaplib");
        String::from_utf8_lossy(&out.stdout).trim() == "ok"
    }
}

impl Drop for Imap {
    fn drop(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/peers/dovecot");
        let _ = std::process::Command::new(script)
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}
