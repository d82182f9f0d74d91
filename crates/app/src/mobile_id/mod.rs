//! Mobile ID (行動自然人憑證, TW FidO; 004 §第一節 一): the client of the
//! Ministry of the Interior's SP API (《行動自然人憑證應用程式介面規格書》
//! v2.9, as INTEGRATIONS.md records it). Every request carries
//! `sp_checksum`, every answer's `idp_checksum` is checked, results are
//! polled no faster than every four seconds, and the person's signature
//! over the portal's own challenge is checked against the certificate the
//! service returns, and that certificate against the trust anchors.
//!
//! The portal asks for `op_code` `SIGN` with a PKCS#1 signature over a
//! random challenge rather than a bare `ATH`: the result then carries a
//! signature this server can verify itself, not only the service's word.
use crate::card::{CardIdentity, CardRefusal, CardTrust, check_chain, identity_of};
use crate::{Error, Result};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portico_core::Msg;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration as StdDuration;

/// Results are asked for no more often than this (the spec's advice).
pub const POLL_INTERVAL: time::Duration = time::Duration::seconds(4);
/// How long the person has to answer on the phone.
pub const TIME_LIMIT_SECS: i64 = 180;
/// "Not finished yet" (display code 9007).
pub const PENDING: &str = "SPTKTID_TXNLOG_NF";
/// The no-script page's answer while the phone has not answered.
pub fn not_yet() -> Msg {
    Msg::new(
        "尚未收到手機上的確認，請於 APP 完成驗證後再按一次。",
        "The phone has not answered yet; finish in the app, then press again.",
    )
}

fn too_many_pushes() -> Msg {
    Msg::new(
        "推播次數過多，請一小時後再試",
        "Too many requests; try again in an hour",
    )
}

fn hex(b: &[u8]) -> String {
    portico_core::audit::hex(b)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn sha256_hex(payload: &str) -> String {
    hex(&Sha256::digest(payload.as_bytes()))
}

/// `sp_checksum` / `idp_checksum`: hex(IV) + hex(AES-256-GCM(key, IV,
/// lowercase hex SHA-256 of the payload) ‖ tag), with a zero IV.
pub fn checksum(key: &[u8; 32], payload: &str) -> Result<String> {
    let k = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| Error::internal("mobile ID key"))?,
    );
    let iv = [0u8; 12];
    let mut data = sha256_hex(payload).into_bytes();
    k.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut data)
        .map_err(|_| Error::internal("mobile ID checksum"))?;
    Ok(format!("{}{}", hex(&iv), hex(&data)))
}

/// Checks a checksum over `payload`, whatever IV it was made with.
pub fn checksum_ok(key: &[u8; 32], payload: &str, sum: &str) -> bool {
    let Some(raw) = unhex(&sum.to_ascii_lowercase()) else {
        return false;
    };
    if raw.len() < 12 + 16 {
        return false;
    }
    let Ok(unbound) = UnboundKey::new(&AES_256_GCM, key) else {
        return false;
    };
    let k = LessSafeKey::new(unbound);
    let mut iv = [0u8; 12];
    iv.copy_from_slice(&raw[..12]);
    let mut data = raw[12..].to_vec();
    match k.open_in_place(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut data) {
        Ok(plain) => crate::constant_time_eq(plain, sha256_hex(payload).as_bytes()),
        Err(_) => false,
    }
}

/// The SP's AES key as issued at onboarding: base64 of 32 bytes.
pub fn parse_key(b64: &str) -> Result<[u8; 32]> {
    let raw = STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::internal("mobile_id_key is not base64"))?;
    raw.try_into()
        .map_err(|_| Error::internal("mobile_id_key must be 32 bytes"))
}

/// A fresh AES key, as onboarding issues one (for trials with the
/// simulator).
pub fn new_key() -> Result<[u8; 32]> {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(|e| Error::internal(format!("no randomness: {e}")))?;
    Ok(k)
}

/// The fields of an `sp_ticket` the portal uses: base64url JSON, a dot,
/// base64url SHA-256 of the first part.
pub fn ticket_fields(ticket: &str) -> Option<Value> {
    let (body, digest) = ticket.split_once('.')?;
    let want = URL_SAFE_NO_PAD.encode(Sha256::digest(body.as_bytes()));
    if !crate::constant_time_eq(want.as_bytes(), digest.as_bytes()) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
}

/// How the person is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A push to the phone bound to the ID (`requestAthOrSignPush`).
    Push,
    /// A QR code the app scans (`getSpTicket`, `I-SCAN`).
    Qr,
}

/// A refusal by the service, or a broken answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// The service answered with this `error_code` (e.g.
    /// `SP-API-ATH-03-IDNUM_USERPROF_NF`).
    Code(String),
    /// The answer's `idp_checksum` is missing or wrong.
    BadChecksum,
    /// The service could not be reached or answered nonsense.
    Unreachable(String),
}

impl ServiceError {
    /// The code without the interface prefix (`IDNUM_USERPROF_NF`).
    pub fn short(&self) -> &str {
        match self {
            ServiceError::Code(c) => c.rsplit('-').next().unwrap_or(c),
            ServiceError::BadChecksum => "idp_checksum",
            ServiceError::Unreachable(_) => "unreachable",
        }
    }
    pub fn message(&self) -> Msg {
        match self.short() {
            "IDNUM_USERPROF_NF" | "IDNUM_DEVPROF_NF" => Msg::new(
                "此身分證字號尚未註冊行動自然人憑證，請先至內政部行動自然人憑證網站註冊並下載 APP",
                "This ID has no mobile ID yet; register at the Ministry of the Interior's mobile ID site and install the app first",
            ),
            "APP_USER_CANCEL" => Msg::new(
                "您已在手機上拒絕此次登入",
                "You declined this sign-in on your phone",
            ),
            "SPTKT_OVD" => Msg::new(
                "驗證逾時，請重新發送推播或改用 QR Code",
                "The request timed out; send the push again or use the QR code",
            ),
            "PM_IDN_FT_ERR" => Msg::new("身分證字號格式不正確", "The national ID is not valid"),
            _ => Msg::new(
                "行動自然人憑證服務暫時無法使用，請稍後再試或改用其他登入方式",
                "The mobile ID service is unavailable; try again later or use another method",
            ),
        }
    }
}

/// The result of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    /// The person approved: the signature over the challenge and the
    /// signer's certificate (DER).
    Signed {
        hashed_id_num: String,
        signature: Vec<u8>,
        cert: Vec<u8>,
    },
}

/// The SP API client.
#[derive(Debug, Clone)]
pub struct MobileIdClient {
    /// `https://fidoapi.moi.gov.tw/moise/sp` (the test service:
    /// `https://fidoapi-test.moi.gov.tw/moise/sp`).
    pub base: String,
    pub service_id: String,
    key: [u8; 32],
    http: reqwest::Client,
}

impl MobileIdClient {
    pub fn new(base: &str, service_id: &str, key: [u8; 32]) -> Result<MobileIdClient> {
        crate::sms::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(10))
            .build()
            .map_err(|e| Error::internal(format!("mobile ID client: {e}")))?;
        Ok(MobileIdClient {
            base: base.trim_end_matches('/').to_owned(),
            service_id: service_id.to_owned(),
            key,
            http,
        })
    }

    async fn call(&self, name: &str, body: Value) -> std::result::Result<Value, ServiceError> {
        let r = self
            .http
            .post(format!("{}/{name}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| ServiceError::Unreachable(e.to_string()))?;
        if !r.status().is_success() {
            return Err(ServiceError::Unreachable(format!("HTTP {}", r.status())));
        }
        r.json::<Value>()
            .await
            .map_err(|e| ServiceError::Unreachable(e.to_string()))
    }

    /// Asks the person to sign `sign_data` (base64): by push to their
    /// phone, or by a ticket for a QR code. Returns the `sp_ticket`.
    pub async fn request(
        &self,
        transaction_id: &str,
        id_num: &str,
        mode: Mode,
        hint: &str,
        sign_data: &str,
    ) -> std::result::Result<String, ServiceError> {
        let (name, payload, mut body) = match mode {
            Mode::Push => (
                "requestAthOrSignPush",
                format!(
                    "{transaction_id}{}{id_num}{}SIGN{hint}{sign_data}",
                    self.service_id, ""
                ),
                json!({}),
            ),
            Mode::Qr => (
                "getSpTicket",
                format!(
                    "{transaction_id}{}{id_num}SIGNI-SCAN{hint}{sign_data}",
                    self.service_id
                ),
                json!({ "op_mode": "I-SCAN" }),
            ),
        };
        let sum =
            checksum(&self.key, &payload).map_err(|e| ServiceError::Unreachable(e.to_string()))?;
        for (k, v) in [
            ("transaction_id", json!(transaction_id)),
            ("sp_service_id", json!(self.service_id)),
            ("sp_checksum", json!(sum)),
            ("id_num", json!(id_num)),
            ("op_code", json!("SIGN")),
            ("hint", json!(hint)),
            ("time_limit", json!(TIME_LIMIT_SECS)),
            (
                "sign_info",
                json!({
                    "sign_data": sign_data, "sign_type": "PKCS#1",
                    "tbs_encoding": "base64", "hash_algorithm": "SHA256"
                }),
            ),
        ] {
            body[k] = v;
        }
        let v = self.call(name, body).await?;
        let code = code_of(&v);
        if code != "0" {
            return Err(ServiceError::Code(code));
        }
        let ticket = v["result"]["sp_ticket"].as_str().unwrap_or("").to_owned();
        let idp = v["result"]["idp_checksum"].as_str().unwrap_or("");
        if !checksum_ok(&self.key, &format!("{transaction_id}{code}{ticket}"), idp) {
            return Err(ServiceError::BadChecksum);
        }
        Ok(ticket)
    }

    /// Asks for the result of a transaction.
    pub async fn result(
        &self,
        transaction_id: &str,
        sp_ticket_id: &str,
    ) -> std::result::Result<Outcome, ServiceError> {
        let sum = checksum(
            &self.key,
            &format!("{transaction_id}{}{sp_ticket_id}", self.service_id),
        )
        .map_err(|e| ServiceError::Unreachable(e.to_string()))?;
        let v = self
            .call(
                "getAthOrSignResult",
                json!({
                    "transaction_id": transaction_id, "sp_service_id": self.service_id,
                    "sp_checksum": sum, "sp_ticket_id": sp_ticket_id,
                }),
            )
            .await?;
        let code = code_of(&v);
        if code != "0" {
            let short = code.rsplit('-').next().unwrap_or(&code);
            // Other clients of the service also read 20002 and 20003 as
            // "not yet".
            if short == PENDING || short == "20002" || short == "20003" {
                return Ok(Outcome::Pending);
            }
            return Err(ServiceError::Code(code));
        }
        let r = &v["result"];
        let hashed = r["hashed_id_num"].as_str().unwrap_or("").to_owned();
        let signed = r["signed_response"].as_str().unwrap_or("").to_owned();
        let idp = r["idp_checksum"].as_str().unwrap_or("");
        if !checksum_ok(
            &self.key,
            &format!("{transaction_id}{code}{hashed}{signed}"),
            idp,
        ) {
            return Err(ServiceError::BadChecksum);
        }
        // A broken answer is an answer (refused), not a blip to wait out.
        let signature = STANDARD
            .decode(signed.as_bytes())
            .map_err(|_| ServiceError::Code("malformed_signed_response".into()))?;
        let cert = STANDARD
            .decode(r["cert"].as_str().unwrap_or("").as_bytes())
            .map_err(|_| ServiceError::Code("malformed_cert".into()))?;
        Ok(Outcome::Signed {
            hashed_id_num: hashed,
            signature,
            cert,
        })
    }
}

/// `error_code`, a string ("0") or, in some deployments, a number.
/// A national ID as the audit trail and the simulator's phone show it:
/// A1******89.
pub fn mask(id: &str) -> String {
    let c: Vec<char> = id.chars().collect();
    if c.len() < 4 {
        return String::new();
    }
    format!(
        "{}******{}",
        c[..2].iter().collect::<String>(),
        c[c.len() - 2..].iter().collect::<String>()
    )
}

fn code_of(v: &Value) -> String {
    match &v["error_code"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "missing_error_code".into(),
    }
}

/// Checks a person's PKCS#1 signature over `challenge` and their
/// certificate's chain and revocation.
pub async fn verify_signed(
    trust: &CardTrust,
    challenge: &[u8],
    signature: &[u8],
    cert: &[u8],
    now: time::OffsetDateTime,
) -> std::result::Result<CardIdentity, CardRefusal> {
    let der = rustls_pki_types::CertificateDer::from(cert);
    let ee = webpki::EndEntityCert::try_from(&der).map_err(|_| CardRefusal::Malformed)?;
    ee.verify_signature(
        webpki::ring::RSA_PKCS1_2048_8192_SHA256,
        challenge,
        signature,
    )
    .or_else(|_| ee.verify_signature(webpki::ring::ECDSA_P256_SHA256, challenge, signature))
    .map_err(|_| CardRefusal::BadSignature)?;
    // The chain first: only a trusted certificate's CRL is fetched.
    check_chain(cert, &[], &trust.anchors, None, now)?;
    let crls = trust.crls(&crate::card::crl_urls_of(cert)).await;
    let crls: Vec<&[u8]> = crls.iter().map(|c| c.as_slice()).collect();
    check_chain(cert, &[], &trust.anchors, Some(&crls), now)?;
    identity_of(cert, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_follow_the_published_construction() {
        let key = [7u8; 32];
        let sum = checksum(&key, "tx1svcA123456789SIGNhint").unwrap();
        assert_eq!(sum.len(), 184, "hex(12 + 64 + 16)");
        assert!(sum.starts_with("000000000000000000000000"), "zero IV");
        assert!(
            sum.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert!(checksum_ok(&key, "tx1svcA123456789SIGNhint", &sum));
        assert!(checksum_ok(
            &key,
            "tx1svcA123456789SIGNhint",
            &sum.to_uppercase()
        ));
        assert!(
            !checksum_ok(&key, "tx1svcA123456789SIGNhinT", &sum),
            "another payload"
        );
        assert!(
            !checksum_ok(&[8u8; 32], "tx1svcA123456789SIGNhint", &sum),
            "another key"
        );
        assert!(!checksum_ok(&key, "x", "zz"), "not hex");
        // Deterministic with the zero IV, as the reference client is.
        assert_eq!(sum, checksum(&key, "tx1svcA123456789SIGNhint").unwrap());
    }

    #[test]
    fn tickets_carry_a_digest_of_their_body() {
        let body = URL_SAFE_NO_PAD.encode(br#"{"transaction_id":"t","sp_ticket_id":"k"}"#);
        let ticket = format!(
            "{body}.{}",
            URL_SAFE_NO_PAD.encode(Sha256::digest(body.as_bytes()))
        );
        assert_eq!(ticket_fields(&ticket).unwrap()["sp_ticket_id"], "k");
        assert!(ticket_fields(&format!("{body}.AAAA")).is_none());
        assert!(ticket_fields("no-dot").is_none());
    }
}

/// How the portal reaches the mobile ID service, and the anchors its
/// certificates chain to.
#[derive(Debug)]
pub struct MobileIdSetup {
    pub client: MobileIdClient,
    pub trust: CardTrust,
}

/// A mobile-ID sign-in started: the handle the page polls with, and the
/// QR code to scan in QR mode.
#[derive(Debug, Clone)]
pub struct Started {
    pub handle: String,
    pub mode: Mode,
    pub qr_svg: String,
    /// Two digits the phone shows in the request's hint and the page shows
    /// beside it: the person approves only the request they started.
    pub confirm: String,
}

/// What a poll finds.
#[derive(Debug)]
pub enum Poll {
    Pending,
    SignedIn(crate::sessions::NewSession),
}

/// A transaction as the challenge row keeps it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Txn {
    tx: String,
    ticket_id: String,
    id_num: String,
    challenge: String,
    mode: Mode,
    /// Unix seconds of the last call to the service.
    last_poll: i64,
    /// An identity check: what for, the key its proof is issued under
    /// (`login:NAME`, or the application's e-mail), and the account (all
    /// empty for a sign-in).
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    account: Option<i64>,
}

pub use crate::verify::Who;

/// Where a transaction stands after a poll.
enum Advance {
    /// No such live transaction (unknown, spent or expired).
    Unknown,
    Pending,
    /// Settled: the transaction, and the service's answer.
    Settled(
        Box<Txn>,
        std::result::Result<(Vec<u8>, Vec<u8>), ServiceError>,
    ),
}

mod use_cases;
