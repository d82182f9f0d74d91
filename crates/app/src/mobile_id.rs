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
/// Requests one national ID may cause per minute (on this node).
const PUSHES_PER_ID_PER_MINUTE: u32 = 5;
/// Requests one client address may cause per minute (on this node).
const PUSHES_PER_IP_PER_MINUTE: u32 = 10;

fn too_many_pushes() -> Msg {
    Msg::new(
        "推播次數過多，請一分鐘後再試",
        "Too many requests; try again in a minute",
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
        let signature = STANDARD
            .decode(signed.as_bytes())
            .map_err(|_| ServiceError::Unreachable("signed_response is not base64".into()))?;
        let cert = STANDARD
            .decode(r["cert"].as_str().unwrap_or("").as_bytes())
            .map_err(|_| ServiceError::Unreachable("cert is not base64".into()))?;
        Ok(Outcome::Signed {
            hashed_id_num: hashed,
            signature,
            cert,
        })
    }
}

/// `error_code`, a string ("0") or, in some deployments, a number.
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
    SignedIn(crate::auth::NewSession),
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

/// Whose identity an account flow checks.
#[derive(Debug, Clone, Copy)]
pub enum Who<'a> {
    /// An account flow names the account by login.
    Login(&'a str),
    /// Modifying an application names it by its backup e-mail.
    Email(&'a str),
}

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

mod use_cases {
    use super::*;
    use crate::auth::{SignInError, Subject, attempt_event};
    use crate::{App, Ctx, random_token, token_hash};
    use portico_core::verify::Purpose;
    use portico_core::zone::SignInMethod;
    use portico_store::{accounts, db_err, factors};
    use std::sync::Arc;

    const SIGN_IN: &str = "mobile_id";
    const VERIFY: &str = "mobile_id_verify";

    impl App {
        pub fn with_mobile_id(mut self, setup: MobileIdSetup) -> App {
            self.mobile_id = Some(Arc::new(setup));
            self
        }

        pub fn mobile_id_enabled(&self) -> bool {
            self.mobile_id.is_some()
        }

        fn mobile_id(&self) -> Result<&MobileIdSetup> {
            self.mobile_id
                .as_deref()
                .ok_or_else(|| Error::internal("mobile ID is not configured"))
        }

        /// Asks the service to have the person sign a fresh challenge;
        /// keeps the transaction under a handle for the page to poll with.
        async fn mobile_id_request(
            &self,
            kind: &str,
            id_num: &str,
            mode: Mode,
            purpose: &str,
            key: &str,
            account: Option<i64>,
        ) -> std::result::Result<Started, ServiceError> {
            let internal = |e: Error| ServiceError::Unreachable(e.to_string());
            let setup = self.mobile_id().map_err(internal)?;
            let mut challenge = [0u8; 32];
            getrandom::fill(&mut challenge)
                .map_err(|e| ServiceError::Unreachable(format!("no randomness: {e}")))?;
            let sign_data = STANDARD.encode(challenge);
            let t = random_token(16).map_err(internal)?;
            let tx = format!(
                "{}-{}-{}-{}-{}",
                &t[..8],
                &t[8..12],
                &t[12..16],
                &t[16..20],
                &t[20..]
            );
            let mut two = [0u8; 1];
            getrandom::fill(&mut two)
                .map_err(|e| ServiceError::Unreachable(format!("no randomness: {e}")))?;
            let confirm = format!("{:02}", two[0] % 100);
            let hint = if kind == SIGN_IN {
                format!("登入臺南市政府公務入口網（確認碼 {confirm}）")
            } else {
                format!("臺南市政府公務入口網身分驗證（確認碼 {confirm}）")
            };
            let ticket = setup
                .client
                .request(&tx, id_num, mode, &hint, &sign_data)
                .await?;
            let ticket_id = ticket_fields(&ticket)
                .and_then(|f| f["sp_ticket_id"].as_str().map(str::to_owned))
                .ok_or(ServiceError::BadChecksum)?;
            let handle = random_token(24).map_err(internal)?;
            let now = self.now();
            let data = serde_json::to_string(&Txn {
                tx,
                ticket_id,
                id_num: id_num.to_owned(),
                challenge: sign_data,
                mode,
                last_poll: now.unix_timestamp(),
                purpose: purpose.to_owned(),
                key: key.to_owned(),
                account,
            })
            .map_err(|e| ServiceError::Unreachable(e.to_string()))?;
            let mut db = self.db.begin().await.map_err(internal)?;
            factors::challenge_put(
                &mut db,
                &token_hash(&handle),
                kind,
                None,
                &data,
                now,
                now + time::Duration::seconds(TIME_LIMIT_SECS + 30),
            )
            .await
            .map_err(internal)?;
            db.commit()
                .await
                .map_err(|e| ServiceError::Unreachable(e.to_string()))?;
            let qr_svg = if mode == Mode::Qr {
                qrcode::QrCode::new(ticket.as_bytes())
                    .map(|q| {
                        q.render::<qrcode::render::svg::Color>()
                            .min_dimensions(220, 220)
                            .build()
                    })
                    .unwrap_or_default()
            } else {
                String::new()
            };
            Ok(Started {
                handle,
                mode,
                qr_svg,
                confirm,
            })
        }

        /// Asks the service how a transaction stands, no more often than
        /// every four seconds (of two polls at once, one asks); a settled
        /// transaction is spent.
        async fn mobile_id_advance(&self, kind: &str, handle: &str) -> Result<Advance> {
            let setup = self.mobile_id()?;
            let now = self.now();
            let hash = token_hash(handle);
            let peeked = if handle.is_empty() || handle.len() > 128 {
                None
            } else {
                factors::challenge_peek(&mut *self.db.read().await?, &hash, kind, now).await?
            };
            let Some((_, data)) = peeked else {
                return Ok(Advance::Unknown);
            };
            let mut t: Txn =
                serde_json::from_str(&data).map_err(|e| Error::internal(e.to_string()))?;
            // A decoy (an account that may not use the step) never settles.
            if t.tx.is_empty() || now.unix_timestamp() - t.last_poll < POLL_INTERVAL.whole_seconds()
            {
                return Ok(Advance::Pending);
            }
            t.last_poll = now.unix_timestamp();
            let after = serde_json::to_string(&t).map_err(|e| Error::internal(e.to_string()))?;
            let mut db = self.db.begin().await?;
            let mine = factors::challenge_update(&mut db, &hash, &data, &after).await?;
            db.commit().await.map_err(db_err)?;
            if !mine {
                return Ok(Advance::Pending);
            }
            let answer = match setup.client.result(&t.tx, &t.ticket_id).await {
                Ok(Outcome::Pending) => return Ok(Advance::Pending),
                // A blip is not an answer: the person may still approve.
                Err(ServiceError::Unreachable(e)) => {
                    tracing::warn!(error = %e, "mobile ID service unreachable");
                    return Ok(Advance::Pending);
                }
                Ok(Outcome::Signed {
                    signature, cert, ..
                }) => Ok((signature, cert)),
                Err(e) => Err(e),
            };
            let mut db = self.db.begin().await?;
            let spent = factors::challenge_take(&mut db, &hash, kind, now)
                .await?
                .is_some();
            db.commit().await.map_err(db_err)?;
            Ok(if spent {
                Advance::Settled(Box::new(t), answer)
            } else {
                Advance::Pending
            })
        }

        /// Checks the person's signature over the transaction's challenge
        /// and their certificate, and that it names `id_num`.
        async fn mobile_id_check(
            &self,
            t: &Txn,
            signature: &[u8],
            cert: &[u8],
        ) -> Result<std::result::Result<(), &'static str>> {
            let setup = self.mobile_id()?;
            let challenge = STANDARD.decode(t.challenge.as_bytes()).unwrap_or_default();
            Ok(
                match verify_signed(&setup.trust, &challenge, signature, cert, self.now()).await {
                    Err(r) => Err(r.code()),
                    Ok(who) if !t.id_num.ends_with(&who.id_last4) => Err("mobile_id_mismatch"),
                    Ok(_) => Ok(()),
                },
            )
        }

        /// Starts a mobile-ID sign-in for a national ID: a push to the
        /// phone, or a QR code (004 §第一節 一). Asking again is 重新發送推播.
        pub async fn mobile_id_start(
            &self,
            id_num: &str,
            mode: Mode,
            ctx: &Ctx,
        ) -> Result<Started, SignInError> {
            let method = SignInMethod::MobileId;
            self.mobile_id()?;
            let id = id_num.trim().to_uppercase();
            // Checked first: nothing unchecked reaches the audit trail.
            let Ok(id) = portico_core::national_id::NationalId::parse(&id) else {
                let fail = attempt_event(ctx, "", method.as_str());
                self.failed_attempt(fail, "bad_national_id", method)
                    .await
                    .ok();
                return Err(SignInError::Service(Msg::new(
                    "身分證字號格式不正確",
                    "The national ID is not valid",
                )));
            };
            let id = id.as_str().to_owned();
            self.zone_gate(method, &mask(&id), ctx).await?;
            let fail = attempt_event(ctx, &mask(&id), method.as_str());
            if !self.mobile_id_rate(&id, ctx) {
                self.failed_attempt(fail, "too_many_pushes", method)
                    .await
                    .ok();
                return Err(SignInError::Service(too_many_pushes()));
            }
            match self
                .mobile_id_request(SIGN_IN, &id, mode, "", "", None)
                .await
            {
                Ok(s) => Ok(s),
                Err(e) => {
                    self.failed_attempt(fail, e.short(), method).await.ok();
                    Err(SignInError::Service(e.message()))
                }
            }
        }

        /// Pushes to one national ID, and from one address, are limited:
        /// nobody can flood a phone until its owner taps "approve".
        fn mobile_id_rate(&self, id: &str, ctx: &Ctx) -> bool {
            let l = &self.oidc.limiter;
            l.allow(&format!("mobile_id:id:{id}"), PUSHES_PER_ID_PER_MINUTE)
                && l.allow(
                    &format!("mobile_id:ip:{}", ctx.ip),
                    PUSHES_PER_IP_PER_MINUTE,
                )
        }

        /// Asks how a sign-in stands; on approval checks the signature over
        /// the challenge and the certificate, and signs the person in.
        pub async fn mobile_id_poll(&self, handle: &str, ctx: &Ctx) -> Result<Poll, SignInError> {
            let method = SignInMethod::MobileId;
            let mut fail = attempt_event(ctx, "", method.as_str());
            let (t, answer) = match self.mobile_id_advance(SIGN_IN, handle).await? {
                Advance::Pending => return Ok(Poll::Pending),
                Advance::Unknown => {
                    return self
                        .failed_attempt(fail, "unknown_challenge", method)
                        .await
                        .map(Poll::SignedIn);
                }
                Advance::Settled(t, a) => (t, a),
            };
            fail.actor_login = mask(&t.id_num);
            fail.target_label = mask(&t.id_num);
            let account =
                accounts::find_by_national_id(&mut *self.db.read().await?, &t.id_num).await?;
            let (signature, cert) = match answer {
                Ok(sc) => sc,
                Err(e) => {
                    // A forged answer counts against the account it names;
                    // a refusal by the person or the service does not.
                    if let (ServiceError::BadChecksum, Some(a)) = (&e, account) {
                        let (a, fail) = self.sign_in_subject(Subject::Account(a.id), fail).await?;
                        self.sign_in_verdict(a, fail, Err("mobile_id_checksum"), method)
                            .await?;
                        return Err(SignInError::BadCredentials(method));
                    }
                    self.failed_attempt(fail, e.short(), method).await.ok();
                    return Err(SignInError::Service(e.message()));
                }
            };
            let Some(account) = account else {
                self.failed_attempt(fail, "no_account", method).await.ok();
                return Err(SignInError::Service(Msg::new(
                    "此身分證字號沒有公務帳號；請先申請帳號",
                    "No official account has this national ID; apply for one first",
                )));
            };
            let (account, fail) = self
                .sign_in_subject(Subject::Account(account.id), fail)
                .await?;
            let check = self.mobile_id_check(&t, &signature, &cert).await?;
            let checked = self.sign_in_verdict(account, fail, check, method).await?;
            self.start_session(checked, method, ctx)
                .await
                .map(Poll::SignedIn)
        }

        /// The account an identity check is about, if it may use the step.
        async fn verification_subject(
            &self,
            purpose: Purpose,
            who: Who<'_>,
        ) -> Result<(String, Option<accounts::Account>)> {
            let mut c = self.db.read().await?;
            let (key, a) = match who {
                Who::Login(login) => {
                    let login = portico_core::text::LoginName::parse(login)
                        .map_err(|m| Error::invalid("login", m))?;
                    let a = accounts::find_by_login(&mut c, login.as_str()).await?;
                    (format!("login:{}", login.as_str()), a)
                }
                Who::Email(email) => {
                    let email = portico_core::text::Email::parse(email)
                        .map_err(|m| Error::invalid("email", m))?;
                    let a = accounts::find_by_backup_email(&mut c, email.as_str()).await?;
                    (email.as_str().to_owned(), a)
                }
            };
            Ok((
                key,
                a.filter(|a| crate::applications::eligible(purpose, a.state)),
            ))
        }

        /// Anyone: mobile ID as the identity check of an account flow
        /// (開通帳號, 忘記密碼, 帳號復用, 機關管理員查詢) or of modifying an
        /// application. The push goes to the national ID on the account, if
        /// the account may use the step; otherwise nothing is sent, and the
        /// page answers the same.
        pub async fn start_mobile_id_verification(
            &self,
            purpose: Purpose,
            who: Who<'_>,
            ctx: &Ctx,
        ) -> Result<Started> {
            let (key, a) = self.verification_subject(purpose, who).await?;
            let nid = a
                .as_ref()
                .and_then(|a| a.national_id.clone())
                .unwrap_or_default();
            if !self.mobile_id_rate(&format!("{nid}{key}"), ctx) {
                return Err(Error::Refused(too_many_pushes()));
            }
            let mut e = crate::event(ctx, "auth.mobile_id.verify");
            e.target_kind = "account".into();
            e.target_label = key.trim_start_matches("login:").chars().take(60).collect();
            let started = match a
                .as_ref()
                .and_then(|a| a.national_id.clone().map(|n| (a.id, n)))
            {
                Some((account, id)) => {
                    e.target_id = Some(account.0);
                    match self
                        .mobile_id_request(
                            VERIFY,
                            &id,
                            Mode::Push,
                            purpose.as_str(),
                            &key,
                            Some(account.0),
                        )
                        .await
                    {
                        Ok(s) => Some(s),
                        Err(err) => {
                            e.outcome = Some(portico_core::audit::Outcome::Failed);
                            e.reason = err.short().to_owned();
                            None
                        }
                    }
                }
                None => {
                    e.outcome = Some(portico_core::audit::Outcome::Failed);
                    e.reason = "not_eligible".into();
                    None
                }
            };
            let mut db = self.db.begin().await?;
            portico_store::audit::append(&mut db, &e, self.now()).await?;
            db.commit().await.map_err(db_err)?;
            Ok(match started {
                Some(s) => s,
                None => self.mobile_id_decoy().await?,
            })
        }

        /// A transaction that never settles, for an account that may not
        /// use the step: it waits, then expires, like a real one nobody
        /// approves, so the page tells nothing.
        async fn mobile_id_decoy(&self) -> Result<Started> {
            let handle = random_token(24)?;
            let now = self.now();
            let data = serde_json::to_string(&Txn {
                tx: String::new(),
                ticket_id: String::new(),
                id_num: String::new(),
                challenge: String::new(),
                mode: Mode::Push,
                last_poll: now.unix_timestamp(),
                purpose: String::new(),
                key: String::new(),
                account: None,
            })
            .map_err(|e| Error::internal(e.to_string()))?;
            let mut db = self.db.begin().await?;
            factors::challenge_put(
                &mut db,
                &token_hash(&handle),
                VERIFY,
                None,
                &data,
                now,
                now + time::Duration::seconds(TIME_LIMIT_SECS + 30),
            )
            .await?;
            db.commit().await.map_err(db_err)?;
            let mut two = [0u8; 1];
            getrandom::fill(&mut two)
                .map_err(|e| Error::internal(format!("no randomness: {e}")))?;
            Ok(Started {
                handle,
                mode: Mode::Push,
                qr_svg: String::new(),
                confirm: format!("{:02}", two[0] % 100),
            })
        }

        /// Polls a mobile-ID identity check: `None` while waiting, then the
        /// proof the step after it accepts.
        pub async fn poll_mobile_id_verification(
            &self,
            purpose: Purpose,
            handle: &str,
            ctx: &Ctx,
        ) -> Result<Option<String>> {
            let (t, answer) = match self.mobile_id_advance(VERIFY, handle).await? {
                Advance::Pending => return Ok(None),
                // The same words as a request nobody approved in time.
                Advance::Unknown => {
                    return Err(Error::Refused(
                        ServiceError::Code("SPTKT_OVD".into()).message(),
                    ));
                }
                Advance::Settled(t, a) => (t, a),
            };
            let mut e = crate::event(ctx, "auth.mobile_id.verify");
            e.target_kind = "account".into();
            e.target_label = t
                .key
                .trim_start_matches("login:")
                .chars()
                .take(60)
                .collect();
            e.target_id = t.account;
            let a = match t.account {
                Some(id) => accounts::get(
                    &mut *self.db.read().await?,
                    portico_core::ids::AccountId(id),
                )
                .await?
                .filter(|a| crate::applications::eligible(purpose, a.state)),
                None => None,
            };
            let outcome: std::result::Result<(), (String, Msg)> = match (&a, answer) {
                _ if t.purpose != purpose.as_str() => {
                    Err(("wrong_purpose".into(), crate::verify::proof_expired_msg()))
                }
                (None, _) => Err(("not_eligible".into(), crate::verify::proof_expired_msg())),
                (Some(_), Err(err)) => Err((err.short().into(), err.message())),
                (Some(_), Ok((sig, cert))) => match self.mobile_id_check(&t, &sig, &cert).await? {
                    Ok(()) => Ok(()),
                    Err(code) => Err((code.into(), CardRefusal::BadSignature.message())),
                },
            };
            let mut db = self.db.begin().await?;
            let r = match (outcome, a) {
                (Ok(()), Some(a)) => Ok(Some(
                    self.issue_proof(&mut db, purpose, &t.key, Some(a.id))
                        .await?,
                )),
                (Err((code, m)), _) => {
                    e.outcome = Some(portico_core::audit::Outcome::Failed);
                    e.reason = code;
                    Err(Error::Refused(m))
                }
                (Ok(()), None) => Err(Error::Refused(crate::verify::proof_expired_msg())),
            };
            portico_store::audit::append(&mut db, &e, self.now()).await?;
            db.commit().await.map_err(db_err)?;
            r
        }
    }

    /// A national ID as the audit trail shows it: A1******89.
    fn mask(id: &str) -> String {
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
}
