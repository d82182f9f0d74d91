//! SMS through Mitake (三竹簡訊), the carrier gateway government agencies
//! use: its published HTTP API (`SmSend`, form-encoded, an INI-style reply),
//! with the outbox's idempotency key as `clientid`, which Mitake uses to
//! refuse a repeat within 12 hours.
use crate::outbox::{BoxFut, DeliveryError, SmsGateway};
use portico_store::outbox::Message;
use std::time::Duration;

/// Installs the TLS crypto provider (ring) for outgoing HTTPS, once per
/// process. Idempotent.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The Mitake HTTP API client.
#[derive(Debug, Clone)]
pub struct MitakeSms {
    http: reqwest::Client,
    /// `https://smsapi.mitake.com.tw` in production; the simulator's address
    /// in tests.
    base: String,
    username: String,
    password: String,
}

impl MitakeSms {
    pub fn new(base: &str, username: &str, password: &str) -> crate::Result<MitakeSms> {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| portico_core::Error::internal(format!("SMS client: {e}")))?;
        Ok(MitakeSms {
            http,
            base: base.trim_end_matches('/').to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// One reply of `SmSend`: the fields of its first message section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub msgid: String,
    pub statuscode: String,
    pub duplicate: bool,
    pub error: String,
}

/// Parses the INI-style reply (`[1]` / `msgid=#000000013` / `statuscode=1`
/// …); keys outside a section (an account-level error) count too.
pub fn parse_reply(text: &str) -> Reply {
    let mut r = Reply::default();
    let mut sections = 0;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            sections += 1;
            if sections > 1 {
                break;
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim() {
            "msgid" => r.msgid = v.trim().to_owned(),
            "statuscode" => r.statuscode = v.trim().to_owned(),
            "Duplicate" => r.duplicate = v.trim().eq_ignore_ascii_case("y"),
            "Error" => r.error = v.trim().to_owned(),
            _ => {}
        }
    }
    r
}

/// What a reply means for the outbox. Status 0–4: accepted (scheduled, sent
/// to the carrier, delivered); a duplicate `clientid` was accepted before.
/// 5 content, 6 number, 7 disabled number and `v` invalid number are this
/// message's fault: no retry. Anything else (8 timeout, 9 cancelled,
/// account or parameter letters such as `e` for credentials) is retried, so
/// a fixed configuration still delivers what waited.
pub fn outcome(r: &Reply) -> Result<(), DeliveryError> {
    let why = || {
        format!(
            "Mitake statuscode={}{}",
            r.statuscode,
            if r.error.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.error)
            }
        )
    };
    match r.statuscode.as_str() {
        _ if r.duplicate => Ok(()),
        "0" | "1" | "2" | "3" | "4" => Ok(()),
        "5" | "6" | "7" | "v" => Err(DeliveryError::Permanent(why())),
        _ => Err(DeliveryError::Transient(why())),
    }
}

impl SmsGateway for MitakeSms {
    fn send<'a>(&'a self, m: &'a Message) -> BoxFut<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let res = self
                .http
                .post(format!("{}/b2c/mtk/SmSend?CharsetURL=UTF-8", self.base))
                .form(&[
                    ("username", self.username.as_str()),
                    ("password", self.password.as_str()),
                    ("dstaddr", m.recipient.as_str()),
                    ("smbody", m.body.as_str()),
                    ("clientid", m.idem_key.as_str()),
                ])
                .send()
                .await
                .map_err(|e| DeliveryError::Transient(format!("Mitake: {e}")))?;
            if !res.status().is_success() {
                return Err(DeliveryError::Transient(format!(
                    "Mitake answered HTTP {}",
                    res.status()
                )));
            }
            let text = res
                .text()
                .await
                .map_err(|e| DeliveryError::Transient(format!("Mitake reply: {e}")))?;
            outcome(&parse_reply(&text))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_read_from_its_first_section() {
        let r = parse_reply(
            "[1]\r\nmsgid=#000000013\r\nstatuscode=1\r\nAccountPoint=126\r\n[2]\r\nstatuscode=v\r\n",
        );
        assert_eq!(
            (r.msgid.as_str(), r.statuscode.as_str()),
            ("#000000013", "1")
        );
        assert_eq!(outcome(&r), Ok(()));
    }

    #[test]
    fn status_codes_map_to_sent_permanent_or_retry() {
        for ok in ["0", "1", "2", "3", "4"] {
            assert_eq!(
                outcome(&Reply {
                    statuscode: ok.into(),
                    ..Reply::default()
                }),
                Ok(())
            );
        }
        for bad in ["5", "6", "7", "v"] {
            assert!(matches!(
                outcome(&Reply {
                    statuscode: bad.into(),
                    ..Reply::default()
                }),
                Err(DeliveryError::Permanent(_))
            ));
        }
        for later in ["8", "9", "e", ""] {
            assert!(matches!(
                outcome(&Reply {
                    statuscode: later.into(),
                    ..Reply::default()
                }),
                Err(DeliveryError::Transient(_))
            ));
        }
        let dup = parse_reply("[1]\nmsgid=#1\nstatuscode=1\nDuplicate=Y\n");
        assert!(dup.duplicate);
        assert_eq!(outcome(&dup), Ok(()));
    }
}
