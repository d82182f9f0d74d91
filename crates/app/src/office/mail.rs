//! 公務郵件: a person's unread mail, read over IMAP as the portal's master
//! user on the person's behalf (SASL PLAIN with an authorisation identity,
//! RFC 4616 — Dovecot's master users, and any server that honours it). The
//! mailbox is opened read-only (`EXAMINE`) and only envelopes are fetched,
//! so reading the home page never marks a message read.
use portico_core::office::{LISTED, Mail, MailBox, subject};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Where the mail server is and how the portal signs in to it.
#[derive(Clone)]
pub struct MailSetup {
    /// `imaps://host:993`, or `imap://127.0.0.1:143` on loopback only.
    pub url: String,
    /// The master user and its password.
    pub master_user: String,
    pub master_password: String,
    /// The server's CA certificates (PEM); empty: the system's roots.
    /// Government mail servers' certificates chain to GRCA, which is not
    /// among the usual roots, so this is normally set.
    pub ca_pem: String,
}

impl std::fmt::Debug for MailSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSetup")
            .field("url", &self.url)
            .field("master_user", &self.master_user)
            .finish_non_exhaustive()
    }
}

/// A checked mail setup: the address parsed and TLS prepared.
pub(crate) struct MailReader {
    host: String,
    port: u16,
    tls: Option<Arc<rustls::ClientConfig>>,
    master_user: String,
    master_password: String,
}

impl MailReader {
    pub(crate) fn new(s: &MailSetup) -> Result<MailReader, String> {
        let u = url::Url::parse(&s.url).map_err(|e| format!("mail URL {:?}: {e}", s.url))?;
        let host = u.host_str().ok_or("the mail URL names no host")?.to_owned();
        let tls = match u.scheme() {
            "imaps" => true,
            "imap" => false,
            other => {
                return Err(format!(
                    "the mail URL must be imaps:// (or imap:// on loopback), not {other}://"
                ));
            }
        };
        let loopback = matches!(host.as_str(), "127.0.0.1" | "[::1]" | "localhost");
        if !tls && !loopback {
            return Err("mail passwords never cross the network in clear: use imaps://".into());
        }
        if s.master_user.is_empty() {
            return Err("the mail setup needs the master user".into());
        }
        let tls = if tls {
            Some(tls_config(&s.ca_pem)?)
        } else {
            None
        };
        Ok(MailReader {
            port: u.port().unwrap_or(if tls.is_some() { 993 } else { 143 }),
            host,
            tls,
            master_user: s.master_user.clone(),
            master_password: s.master_password.clone(),
        })
    }

    /// The person's unread count and newest unread envelopes.
    pub(crate) async fn unread(&self, login: &str) -> Result<MailBox, String> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("connecting to {}:{}: {e}", self.host, self.port))?;
        match &self.tls {
            None => self.read(tcp, login).await,
            Some(cfg) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| format!("{}: {e}", self.host))?;
                let stream = tokio_rustls::TlsConnector::from(cfg.clone())
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS with {}: {e}", self.host))?;
                self.read(stream, login).await
            }
        }
    }

    async fn read<T>(&self, stream: T, login: &str) -> Result<MailBox, String>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug,
    {
        use futures::TryStreamExt;
        let err =
            |what: &'static str| move |e: async_imap::error::Error| format!("IMAP {what}: {e}");
        let mut client = async_imap::Client::new(stream);
        client
            .read_response()
            .await
            .map_err(|e| format!("IMAP greeting: {e}"))?
            .ok_or("the mail server closed before greeting")?;
        let plain = Plain(format!(
            "{login}\0{}\0{}",
            self.master_user, self.master_password
        ));
        let mut session = client
            .authenticate("PLAIN", plain)
            .await
            .map_err(|(e, _)| format!("IMAP sign-in for {login}: {e}"))?;
        session.examine("INBOX").await.map_err(err("EXAMINE"))?;
        let mut unseen: Vec<u32> = session
            .uid_search("UNSEEN")
            .await
            .map_err(err("SEARCH"))?
            .into_iter()
            .collect();
        unseen.sort_unstable();
        let newest: Vec<String> = unseen
            .iter()
            .rev()
            .take(LISTED)
            .map(u32::to_string)
            .collect();
        let mut latest = Vec::new();
        if !newest.is_empty() {
            let fetched: Vec<_> = session
                .uid_fetch(newest.join(","), "(UID ENVELOPE INTERNALDATE)")
                .await
                .map_err(err("FETCH"))?
                .try_collect()
                .await
                .map_err(err("FETCH"))?;
            let mut rows: Vec<(u32, Mail)> = fetched
                .iter()
                .map(|f| {
                    let env = f.envelope();
                    let subject_raw = env.and_then(|e| e.subject.as_deref()).unwrap_or_default();
                    let from = env
                        .and_then(|e| e.from.as_ref())
                        .and_then(|v| v.first())
                        .map(sender)
                        .unwrap_or_default();
                    let received = f.internal_date().and_then(|d| {
                        time::OffsetDateTime::from_unix_timestamp(d.timestamp()).ok()
                    });
                    let mut s = subject(&decode_words(subject_raw));
                    if s.is_empty() {
                        s = "（無主旨）".into();
                    }
                    (
                        f.uid.unwrap_or(0),
                        Mail {
                            subject: s,
                            from,
                            received,
                        },
                    )
                })
                .collect();
            rows.sort_by_key(|r| std::cmp::Reverse(r.0));
            latest = rows.into_iter().map(|(_, m)| m).collect();
        }
        let _ = session.logout().await;
        Ok(MailBox {
            unread: u32::try_from(unseen.len()).unwrap_or(u32::MAX),
            latest,
        })
    }
}

/// SASL PLAIN with the person as the authorisation identity.
struct Plain(String);

impl async_imap::Authenticator for Plain {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        std::mem::take(&mut self.0)
    }
}

/// The sender as people read it: the name, or the address.
fn sender(a: &async_imap::imap_proto::Address<'_>) -> String {
    if let Some(n) = a.name.as_deref() {
        let n = subject(&decode_words(n));
        if !n.is_empty() {
            return n;
        }
    }
    let part = |v: Option<&[u8]>| String::from_utf8_lossy(v.unwrap_or_default()).into_owned();
    subject(&format!(
        "{}@{}",
        part(a.mailbox.as_deref()),
        part(a.host.as_deref())
    ))
}

fn tls_config(ca_pem: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    if ca_pem.trim().is_empty() {
        let found = rustls_native_certs::load_native_certs();
        for c in found.certs {
            let _ = roots.add(c);
        }
    } else {
        for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots
                .add(c.map_err(|e| format!("the mail CA file: {e}"))?)
                .map_err(|e| format!("the mail CA file: {e}"))?;
        }
    }
    if roots.is_empty() {
        return Err("no CA certificate to check the mail server by".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// A header's text with its RFC 2047 encoded words (`=?UTF-8?B?…?=`,
/// `=?Big5?Q?…?=`) decoded; whitespace between two encoded words goes, as
/// the RFC says. Bytes outside encoded words are read as UTF-8.
pub(crate) fn decode_words(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    let mut rest: &str = &text;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, from) = rest.split_at(start);
        match encoded_word(from) {
            Some((decoded, used)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                rest = &from[used..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &from[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    use base64::Engine;
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (enc, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let payload = &body[..end];
    if payload.contains(' ') || enc.len() != 1 {
        return None;
    }
    let bytes = match enc {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(payload.trim_end_matches('='))
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(payload.trim_end_matches('='))
            })
            .ok()?,
        "Q" | "q" => q_decode(payload)?,
        _ => return None,
    };
    // `charset*language` (RFC 2231) names the charset first.
    let charset = charset.split('*').next().unwrap_or(charset);
    let encoding =
        encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(&bytes);
    let used = 2 + s[2..].find('?')? + 1 + enc.len() + 1 + end + 2;
    Some((text.into_owned(), used))
}

fn q_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// How long one reading may take before the block says 暫時無法取得.
pub(crate) const MAIL_TIMEOUT: Duration = Duration::from_secs(8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_decode_in_utf8_and_big5() {
        assert_eq!(decode_words(b"=?UTF-8?B?5pyD6K2w6YCa55+l?="), "會議通知");
        assert_eq!(
            decode_words(b"Re: =?utf-8?Q?=E5=85=AC=E6=96=87_ok?="),
            "Re: 公文 ok"
        );
        // Big5 (still common in the city's older systems): 公告.
        assert_eq!(decode_words(b"=?Big5?B?pL2naQ==?="), "公告");
        // Whitespace between two words goes; around plain text it stays.
        assert_eq!(
            decode_words(b"=?UTF-8?B?5pyD6K2w?= =?UTF-8?B?6YCa55+l?= today"),
            "會議通知 today"
        );
        assert_eq!(decode_words(b"plain =?x"), "plain =?x");
        assert_eq!(decode_words("已是 UTF-8".as_bytes()), "已是 UTF-8");
    }

    #[test]
    fn mail_passwords_never_cross_the_network_in_clear() {
        let setup = |url: &str| MailSetup {
            url: url.into(),
            master_user: "portal".into(),
            master_password: "pw".into(),
            ca_pem: String::new(),
        };
        assert!(MailReader::new(&setup("imap://mail.tainan.gov.tw")).is_err());
        assert!(MailReader::new(&setup("imap://127.0.0.1:1143")).is_ok());
        assert!(MailReader::new(&setup("pop3://mail.tainan.gov.tw")).is_err());
    }
}
