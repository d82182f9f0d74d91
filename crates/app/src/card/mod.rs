//! The citizen certificate card (自然人憑證, MOICA; 004 §參 十, §第一節 二):
//! the page has the HiPKI local sign server sign the portal's one-time
//! challenge with the card (PKCS#7 / CMS SignedData); the portal checks the
//! signature over its own challenge, the signed attributes, the chain to the
//! configured trust anchors, revocation (the CRL named in the certificate),
//! and reads the holder's national-ID digits to compare with the account.
use crate::{Error, Result};
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{Decode, Encode};
use portico_core::Msg;
use rustls_pki_types::{CertificateDer, UnixTime};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{CrlDistributionPoints, SubjectDirectoryAttributes};

const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const ID_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const ID_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// The card number attribute HiPKI adds when asked `withCardSN`.
pub const ID_CARD_NUMBER: Oid = Oid::new_unwrap("2.16.886.1.100.2.204");
/// The holder's national-ID last four digits, in Subject Directory
/// Attributes (INTEGRATIONS.md).
pub const ID_LAST4: Oid = Oid::new_unwrap("2.16.886.1.100.2.51");
/// A signature made longer ago than this (by the card's clock) is stale.
const SIGNING_SKEW: i64 = 600;

/// Why a card signature was refused: each is audited under `code()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRefusal {
    /// Not a CMS SignedData we can read.
    Malformed,
    /// Signed, but not over the challenge the portal issued.
    WrongChallenge,
    BadSignature,
    /// The chain does not lead to a configured trust anchor.
    Untrusted,
    Expired,
    Revoked,
    /// The CRL could not be fetched or read: refused, not let through.
    RevocationUnknown,
    /// The certificate carries no national-ID digits.
    NoIdDigits,
}

impl CardRefusal {
    pub fn code(self) -> &'static str {
        match self {
            CardRefusal::Malformed => "card_malformed",
            CardRefusal::WrongChallenge => "card_wrong_challenge",
            CardRefusal::BadSignature => "card_bad_signature",
            CardRefusal::Untrusted => "card_untrusted",
            CardRefusal::Expired => "card_expired",
            CardRefusal::Revoked => "card_revoked",
            CardRefusal::RevocationUnknown => "card_revocation_unknown",
            CardRefusal::NoIdDigits => "card_no_id",
        }
    }
    pub fn message(self) -> Msg {
        match self {
            CardRefusal::Expired => Msg::new(
                "此自然人憑證已過期，請至戶政事務所辦理展期",
                "This certificate has expired; renew it at a household registration office",
            ),
            CardRefusal::Revoked => Msg::new(
                "此自然人憑證已被廢止，無法使用",
                "This certificate has been revoked",
            ),
            CardRefusal::RevocationUnknown => Msg::new(
                "目前無法確認憑證廢止狀態，請稍後再試",
                "The certificate's revocation status cannot be checked now; try again later",
            ),
            CardRefusal::Untrusted => Msg::new(
                "此憑證非由受信任的憑證機構簽發",
                "This certificate was not issued by a trusted authority",
            ),
            _ => Msg::new(
                "自然人憑證簽章驗證失敗，請重新插卡並輸入 PIN 碼",
                "The card's signature could not be verified; reinsert the card and enter the PIN",
            ),
        }
    }
}

/// What a verified card signature tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardIdentity {
    /// The certificate's serial, upper-case hex.
    pub serial: String,
    pub issuer: String,
    pub subject: String,
    pub not_after: OffsetDateTime,
    /// The holder's national-ID last four digits.
    pub id_last4: String,
    /// The card number, when the signature carries it.
    pub card_number: String,
}

/// A card signature, parsed: the signer's certificate, the others sent
/// with it, and what the signature covers.
pub struct Signed {
    /// The signed content is the challenge (and the digest matches it).
    covers_challenge: bool,
    signer: Vec<u8>,
    others: Vec<Vec<u8>>,
    message: Vec<u8>,
    signature: Vec<u8>,
    alg: &'static dyn rustls_pki_types::SignatureVerificationAlgorithm,
    signing_time: Option<i64>,
    card_number: String,
}

fn attr_value(attrs: &x509_cert::attr::Attributes, oid: Oid) -> Option<&der::Any> {
    attrs
        .iter()
        .find(|a| a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

/// A string-valued attribute (PrintableString, UTF8String, IA5String).
fn any_text(v: &der::Any) -> String {
    String::from_utf8_lossy(v.value()).into_owned()
}

/// Parses a base64 CMS SignedData made for `challenge` ([`Signed::verify`]
/// checks that it covers it).
pub fn parse(signature_b64: &str, challenge: &[u8]) -> Result<Signed, CardRefusal> {
    use base64::Engine;
    let clean: String = signature_b64
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(clean.as_bytes())
        .map_err(|_| CardRefusal::Malformed)?;
    let ci = ContentInfo::from_der(&der).map_err(|_| CardRefusal::Malformed)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(CardRefusal::Malformed);
    }
    let sd: SignedData = ci.content.decode_as().map_err(|_| CardRefusal::Malformed)?;
    // The content is the challenge, attached or detached.
    let content: Vec<u8> = match &sd.encap_content_info.econtent {
        Some(any) => {
            let os: OctetString = any.decode_as().map_err(|_| CardRefusal::Malformed)?;
            os.as_bytes().to_vec()
        }
        None => challenge.to_vec(),
    };
    // Checked in `verify`, after the signer is known: a signature over
    // another challenge still names whose card it claims to be.
    let mut covers_challenge = content == challenge;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or(CardRefusal::Malformed)?;
    let certs: Vec<Certificate> = sd
        .certificates
        .as_ref()
        .map(|s| {
            s.0.iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let is_signer = |c: &Certificate| match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate().issuer() == &ias.issuer
                && c.tbs_certificate().serial_number() == &ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, k)| k.0 == ski.0),
    };
    let signer = certs
        .iter()
        .find(|c| is_signer(c))
        .ok_or(CardRefusal::Malformed)?;
    let signer_der = signer.to_der().map_err(|_| CardRefusal::Malformed)?;
    let others = certs
        .iter()
        .filter(|c| !is_signer(c))
        .filter_map(|c| c.to_der().ok())
        .collect();
    if si.digest_alg.oid != ID_SHA256 {
        return Err(CardRefusal::BadSignature);
    }
    let alg: &'static dyn rustls_pki_types::SignatureVerificationAlgorithm =
        match si.signature_algorithm.oid {
            o if o == RSA_ENCRYPTION || o == SHA256_WITH_RSA => {
                webpki::ring::RSA_PKCS1_2048_8192_SHA256
            }
            o if o == ECDSA_WITH_SHA256 => webpki::ring::ECDSA_P256_SHA256,
            _ => return Err(CardRefusal::BadSignature),
        };
    let mut signing_time = None;
    let mut card_number = String::new();
    let message = match &si.signed_attrs {
        Some(attrs) => {
            // RFC 5652 §5.4: the digest of the content is among the signed
            // attributes, and the signature covers their DER as a SET.
            let digest = attr_value(attrs, ID_MESSAGE_DIGEST)
                .and_then(|v| v.decode_as::<OctetString>().ok())
                .ok_or(CardRefusal::BadSignature)?;
            if digest.as_bytes() != &Sha256::digest(&content)[..] {
                covers_challenge = false;
            }
            if attr_value(attrs, ID_CONTENT_TYPE)
                .and_then(|v| v.decode_as::<Oid>().ok())
                .is_some_and(|o| o != ID_DATA)
            {
                return Err(CardRefusal::Malformed);
            }
            signing_time = attr_value(attrs, ID_SIGNING_TIME)
                .and_then(|v| v.decode_as::<x509_cert::time::Time>().ok())
                .map(|t| t.to_unix_duration().as_secs() as i64);
            card_number = attr_value(attrs, ID_CARD_NUMBER)
                .map(any_text)
                .unwrap_or_default();
            attrs.to_der().map_err(|_| CardRefusal::Malformed)?
        }
        None => content,
    };
    Ok(Signed {
        covers_challenge,
        signer: signer_der,
        others,
        message,
        signature: si.signature.as_bytes().to_vec(),
        alg,
        signing_time,
        card_number,
    })
}

impl Signed {
    /// The issuer and serial the signer's certificate claims, before
    /// anything is verified: to find whose card a forgery names.
    pub fn claimed(&self) -> Option<(String, String)> {
        let cert = Certificate::from_der(&self.signer).ok()?;
        let tbs = cert.tbs_certificate();
        Some((
            tbs.issuer().to_string(),
            portico_core::audit::hex(tbs.serial_number().as_bytes()).to_uppercase(),
        ))
    }

    /// The signer certificate's CRL distribution points (http URLs).
    pub fn crl_urls(&self) -> Vec<String> {
        crl_urls_of(&self.signer)
    }

    /// Checks the signature, its time, the chain to `anchors` at `now`,
    /// and revocation against `crls` (DER); reads the identity.
    /// With `crls` `None`, everything but revocation.
    pub fn verify(
        &self,
        anchors: &[CertificateDer<'static>],
        crls: Option<&[&[u8]]>,
        now: OffsetDateTime,
    ) -> Result<CardIdentity, CardRefusal> {
        let ee_der = CertificateDer::from(self.signer.as_slice());
        let ee = webpki::EndEntityCert::try_from(&ee_der).map_err(|_| CardRefusal::Malformed)?;
        ee.verify_signature(self.alg, &self.message, &self.signature)
            .map_err(|_| CardRefusal::BadSignature)?;
        if !self.covers_challenge {
            return Err(CardRefusal::WrongChallenge);
        }
        if let Some(t) = self.signing_time
            && (t - now.unix_timestamp()).abs() > SIGNING_SKEW
        {
            return Err(CardRefusal::WrongChallenge);
        }
        check_chain(&self.signer, &self.others, anchors, crls, now)?;
        identity_of(&self.signer, &self.card_number)
    }
}

/// A certificate's CRL distribution points (http URLs).
pub fn crl_urls_of(cert_der: &[u8]) -> Vec<String> {
    let Ok(cert) = Certificate::from_der(cert_der) else {
        return Vec::new();
    };
    let Ok(Some((_, dps))) = cert
        .tbs_certificate()
        .get_extension::<CrlDistributionPoints>()
    else {
        return Vec::new();
    };
    dps.0
        .iter()
        .filter_map(|dp| match &dp.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        })
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .collect()
}

/// Checks a certificate's chain to `anchors` at `now` (named refusals for
/// an untrusted or expired one), then, given CRLs, its revocation. The
/// caller checks the chain alone first and only then fetches the CRLs the
/// certificate names: a stranger's certificate sends the server nowhere.
pub fn check_chain(
    signer: &[u8],
    others: &[Vec<u8>],
    anchors: &[CertificateDer<'static>],
    crls: Option<&[&[u8]]>,
    now: OffsetDateTime,
) -> Result<(), CardRefusal> {
    let ee_der = CertificateDer::from(signer);
    let ee = webpki::EndEntityCert::try_from(&ee_der).map_err(|_| CardRefusal::Malformed)?;
    let trust: Vec<_> = anchors
        .iter()
        .filter_map(|a| webpki::anchor_from_trusted_cert(a).ok())
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = others
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let at = UnixTime::since_unix_epoch(StdDuration::from_secs(now.unix_timestamp().max(0) as u64));
    let refusal = |e: webpki::Error| match e {
        webpki::Error::CertRevoked => CardRefusal::Revoked,
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            CardRefusal::Expired
        }
        webpki::Error::UnknownRevocationStatus | webpki::Error::CrlExpired { .. } => {
            CardRefusal::RevocationUnknown
        }
        _ => CardRefusal::Untrusted,
    };
    let verify = |revocation| {
        ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &trust,
            &intermediates,
            at,
            webpki::KeyUsage::client_auth(),
            revocation,
            None,
        )
        .map(|_| ())
        .map_err(refusal)
    };
    // The chain first, so an untrusted or expired card is named as
    // such; then revocation, which needs the CRL.
    verify(None)?;
    let Some(crls) = crls else {
        return Ok(());
    };
    let parsed: Vec<webpki::CertRevocationList<'_>> = crls
        .iter()
        .filter_map(|c| webpki::BorrowedCertRevocationList::from_der(c).ok())
        .map(Into::into)
        .collect();
    let refs: Vec<&webpki::CertRevocationList<'_>> = parsed.iter().collect();
    let revocation = webpki::RevocationOptionsBuilder::new(&refs)
        .map_err(|_| CardRefusal::RevocationUnknown)?
        .with_depth(webpki::RevocationCheckDepth::EndEntity)
        .with_status_policy(webpki::UnknownStatusPolicy::Deny)
        .with_expiration_policy(webpki::ExpirationPolicy::Enforce)
        .build();
    verify(Some(revocation))
}

/// What a holder's certificate says: serial, names, validity, ID digits.
pub fn identity_of(signer: &[u8], card_number: &str) -> Result<CardIdentity, CardRefusal> {
    let cert = Certificate::from_der(signer).map_err(|_| CardRefusal::Malformed)?;
    let tbs = cert.tbs_certificate();
    let id_last4 = tbs
        .get_extension::<SubjectDirectoryAttributes>()
        .ok()
        .flatten()
        .and_then(|(_, sda)| {
            sda.0
                .iter()
                .find(|a| a.oid == ID_LAST4)
                .and_then(|a| a.values.iter().next().map(any_text))
        })
        .filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(CardRefusal::NoIdDigits)?;
    let not_after = tbs.validity().not_after.to_unix_duration().as_secs() as i64;
    Ok(CardIdentity {
        serial: portico_core::audit::hex(tbs.serial_number().as_bytes()).to_uppercase(),
        issuer: tbs.issuer().to_string(),
        subject: tbs.subject().to_string(),
        not_after: OffsetDateTime::from_unix_timestamp(not_after)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        id_last4,
        card_number: card_number.to_owned(),
    })
}

/// Where card signatures are checked: the trust anchors (GRCA, MOICA), and
/// CRLs fetched from the certificates' distribution points, kept until an
/// hour has passed.
#[derive(Debug, Default)]
pub struct CardTrust {
    pub anchors: Vec<CertificateDer<'static>>,
    crls: Mutex<HashMap<String, FetchedCrl>>,
}

/// A CRL and when it was fetched.
type FetchedCrl = (Instant, Arc<Vec<u8>>);

const CRL_TTL: StdDuration = StdDuration::from_secs(3600);

impl CardTrust {
    /// Trust anchors from a PEM bundle.
    pub fn from_pem(pem: &str) -> Result<CardTrust> {
        let certs = Certificate::load_pem_chain(pem.as_bytes())
            .map_err(|e| Error::internal(format!("card trust anchors: {e}")))?;
        let anchors = certs
            .iter()
            .map(|c| c.to_der().map(CertificateDer::from))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::internal(format!("card trust anchors: {e}")))?;
        if anchors.is_empty() {
            return Err(Error::internal(
                "card trust anchors: no certificate in the file",
            ));
        }
        Ok(CardTrust {
            anchors,
            crls: Mutex::new(HashMap::new()),
        })
    }

    /// Trust anchors given as DER certificates.
    pub fn from_der(anchors: Vec<Vec<u8>>) -> CardTrust {
        CardTrust {
            anchors: anchors.into_iter().map(CertificateDer::from).collect(),
            crls: Mutex::new(HashMap::new()),
        }
    }

    /// The CRLs at `urls`, from the cache or fetched now; those that cannot
    /// be fetched are left out (and revocation is then unknown). Shared,
    /// not copied: a CRL can be megabytes.
    pub async fn crls(&self, urls: &[String]) -> Vec<Arc<Vec<u8>>> {
        let mut out = Vec::new();
        for url in urls.iter().take(4) {
            let cached = self
                .crls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(url)
                .filter(|(at, _)| at.elapsed() < CRL_TTL)
                .map(|(_, c)| c.clone());
            if let Some(c) = cached {
                out.push(c);
                continue;
            }
            match fetch(url).await {
                Ok(body) => {
                    let body = Arc::new(body);
                    let mut cache = self.crls.lock().unwrap_or_else(|e| e.into_inner());
                    // A handful of CAs publish CRLs; more entries than
                    // that is a flood, not a cache.
                    if cache.len() >= 64 {
                        cache.clear();
                    }
                    cache.insert(url.clone(), (Instant::now(), body.clone()));
                    out.push(body);
                }
                Err(e) => tracing::warn!(%url, error = %e, "CRL fetch failed"),
            }
        }
        out
    }

    /// Forgets fetched CRLs (a test revokes a certificate and wants the
    /// new list at once).
    pub fn forget_crls(&self) {
        self.crls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

async fn fetch(url: &str) -> std::result::Result<Vec<u8>, String> {
    const LIMIT: usize = 20 * 1024 * 1024;
    crate::sms::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(StdDuration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("HTTP {}", r.status()));
    }
    // Read up to the limit, never the whole of an endless answer.
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > LIMIT {
            return Err("CRL larger than 20 MB".into());
        }
        body.extend_from_slice(&chunk);
    }
    // A PEM CRL is accepted too.
    let der = if body.starts_with(b"-----BEGIN") {
        use base64::Engine;
        let text = String::from_utf8_lossy(&body);
        let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| e.to_string())?
    } else {
        body
    };
    // Only a CRL is worth keeping.
    webpki::BorrowedCertRevocationList::from_der(&der).map_err(|e| format!("not a CRL: {e:?}"))?;
    Ok(der)
}

pub mod sign;
pub mod test_ca;

#[cfg(test)]
mod tests;

/// How the portal reaches cards: the trust it checks them against, and
/// the HiPKI local sign server's address the pages talk to.
#[derive(Debug)]
pub struct CardSetup {
    pub trust: CardTrust,
    /// `http://127.0.0.1:61161` for the real HiCOS client.
    pub agent_url: String,
}

/// A card ceremony started: the handle the page sends back, the text to
/// sign, and where the signer listens.
#[derive(Debug, serde::Serialize)]
pub struct CardChallenge {
    pub handle: String,
    pub tbs: String,
    pub agent: String,
}

const CARD_TTL: time::Duration = time::Duration::minutes(5);

mod use_cases;
