//! Token signing keys and compact JWS (RFC 7515) for ID and access tokens.
//!
//! Keys are generated here (ES256 on P-256, RS256 on RSA-2048) and stored
//! sealed with the server's master key (AES-256-GCM, the key id as
//! associated data). A verifier never trusts the token header's `alg`: the
//! key named by `kid` fixes the algorithm, so no algorithm confusion.
use crate::{Error, Result};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portico_core::sso::SigningAlg;
use std::path::Path;

mod ring;

/// The server's master key: seals the signing keys at rest. Kept in a file
/// outside the database (`key_file`), so a copy of the database alone does
/// not yield the keys.
pub struct MasterKey(LessSafeKey);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    pub fn from_bytes(b: &[u8; 32]) -> Result<MasterKey> {
        let k = UnboundKey::new(&AES_256_GCM, b).map_err(|_| Error::internal("bad master key"))?;
        Ok(MasterKey(LessSafeKey::new(k)))
    }

    /// Reads the key file (32 bytes, base64), creating it with a new random
    /// key, readable by the owner only, when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<(MasterKey, bool)> {
        match std::fs::read_to_string(path) {
            Ok(s) => {
                let b = STANDARD
                    .decode(s.trim())
                    .map_err(|_| Error::internal(format!("{}: not base64", path.display())))?;
                let b: [u8; 32] = b.try_into().map_err(|_| {
                    Error::internal(format!("{}: the key must be 32 bytes", path.display()))
                })?;
                Ok((MasterKey::from_bytes(&b)?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut b = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut b)
                    .map_err(|_| Error::internal("no randomness"))?;
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
                }
                write_private(path, format!("{}\n", STANDARD.encode(b)).as_bytes())?;
                Ok((MasterKey::from_bytes(&b)?, true))
            }
            Err(e) => Err(Error::internal(format!("{}: {e}", path.display()))),
        }
    }

    pub(crate) fn seal(&self, kid: &str, plain: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::internal("no randomness"))?;
        let mut buf = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut buf,
            )
            .map_err(|_| Error::internal("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(STANDARD.encode(out))
    }

    pub(crate) fn open(&self, kid: &str, sealed: &str) -> Result<Vec<u8>> {
        let raw = STANDARD
            .decode(sealed)
            .map_err(|_| Error::internal("sealed key is not base64"))?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(Error::internal("sealed key too short"));
        }
        let (n, ct) = raw.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(n).map_err(|_| Error::internal("bad nonce"))?;
        let mut buf = ct.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buf)
            .map_err(|_| {
                Error::internal(format!(
                    "signing key {kid} cannot be opened: the key file is not the one it was sealed with"
                ))
            })?;
        Ok(plain.to_vec())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::internal(format!("{}: {e}", path.display())))?;
    f.write_all(bytes)
        .map_err(|e| Error::internal(format!("{}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::internal(format!("{}: {e}", path.display())))
}

enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// One signing key, opened.
pub struct Key {
    pub kid: String,
    pub alg: SigningAlg,
    pub retired: bool,
    signer: Signer,
    verifier: ParsedPublicKey,
    /// The public key as a JWK (RFC 7517), for the JWKS document.
    pub jwk: serde_json::Value,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("retired", &self.retired)
            .finish()
    }
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

impl Key {
    /// A new key: its private half as PKCS#8 DER.
    pub fn generate(alg: SigningAlg) -> Result<Vec<u8>> {
        match alg {
            SigningAlg::ES256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                    .map(|d| d.as_ref().to_vec())
                    .map_err(|_| Error::internal("EC key generation failed"))
            }
            SigningAlg::RS256 => {
                let kp = RsaKeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| Error::internal("RSA key generation failed"))?;
                let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = kp
                    .as_der()
                    .map_err(|_| Error::internal("RSA key encoding failed"))?;
                Ok(der.as_ref().to_vec())
            }
        }
    }

    /// Opens a key from its PKCS#8 DER.
    pub fn from_pkcs8(kid: &str, alg: SigningAlg, der: &[u8], retired: bool) -> Result<Key> {
        let bad = |_| Error::internal(format!("signing key {kid} is unreadable"));
        let (signer, verifier, jwk) = match alg {
            SigningAlg::ES256 => {
                let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| Error::internal(format!("signing key {kid} is unreadable")))?;
                let point = kp.public_key().as_ref().to_vec();
                if point.len() != 65 || point[0] != 4 {
                    return Err(Error::internal("unexpected EC public key form"));
                }
                let jwk = serde_json::json!({
                    "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                    "x": b64(&point[1..33]), "y": b64(&point[33..65]),
                });
                let v = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point).map_err(bad)?;
                (Signer::Ec(kp), v, jwk)
            }
            SigningAlg::RS256 => {
                let kp = RsaKeyPair::from_pkcs8(der).map_err(bad)?;
                let pk = kp.public_key();
                let jwk = serde_json::json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": b64(pk.modulus().big_endian_without_leading_zero()),
                    "e": b64(pk.exponent().big_endian_without_leading_zero()),
                });
                let v =
                    ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pk.as_ref()).map_err(bad)?;
                (Signer::Rsa(kp), v, jwk)
            }
        };
        Ok(Key {
            kid: kid.to_owned(),
            alg,
            retired,
            signer,
            verifier,
            jwk,
        })
    }

    pub fn seal(master: &MasterKey, kid: &str, der: &[u8]) -> Result<String> {
        master.seal(kid, der)
    }

    pub fn open(
        master: &MasterKey,
        kid: &str,
        alg: SigningAlg,
        sealed: &str,
        retired: bool,
    ) -> Result<Key> {
        let der = master.open(kid, sealed)?;
        Key::from_pkcs8(kid, alg, &der, retired)
    }

    fn sign_bytes(&self, msg: &[u8]) -> Result<Vec<u8>> {
        match &self.signer {
            Signer::Ec(kp) => kp
                .sign(&SystemRandom::new(), msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::internal("signing failed")),
            Signer::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig)
                    .map_err(|_| Error::internal("signing failed"))?;
                Ok(sig)
            }
        }
    }

    /// Signs the claims as a compact JWS with header `{alg, typ, kid}`.
    pub fn sign(&self, typ: &str, claims: &serde_json::Value) -> Result<String> {
        let header = serde_json::json!({"alg": self.alg.as_str(), "typ": typ, "kid": self.kid});
        let mut out = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.sign_bytes(out.as_bytes())?;
        out.push('.');
        out.push_str(&b64(&sig));
        Ok(out)
    }
}

/// Why a token was not accepted. Never says which check failed to the
/// caller beyond what the protocol's error code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtError {
    Malformed,
    UnknownKey,
    BadSignature,
}

/// A compact JWS split into its parts, header decoded.
pub struct Parsed<'a> {
    pub kid: String,
    pub alg: String,
    pub typ: String,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

pub fn parse(token: &str) -> Result<Parsed<'_>, JwtError> {
    if token.len() > 16 * 1024 {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed)?;
    let field = |k: &str| {
        header
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    Ok(Parsed {
        kid: field("kid"),
        alg: field("alg"),
        typ: field("typ"),
        signing_input: &token[..h.len() + 1 + p.len()],
        payload: URL_SAFE_NO_PAD.decode(p).map_err(|_| JwtError::Malformed)?,
        signature: URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?,
    })
}

impl Parsed<'_> {
    /// Checks the signature with `key` (whose algorithm must be the one the
    /// header names) and returns the claims.
    pub fn verify(
        &self,
        key: &Key,
    ) -> Result<serde_json::Map<String, serde_json::Value>, JwtError> {
        if self.alg != key.alg.as_str() || self.kid != key.kid {
            return Err(JwtError::BadSignature);
        }
        key.verifier
            .verify_sig(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| JwtError::BadSignature)?;
        serde_json::from_slice(&self.payload).map_err(|_| JwtError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(alg: SigningAlg) -> Key {
        Key::from_pkcs8("k1", alg, &Key::generate(alg).unwrap(), false).unwrap()
    }

    #[test]
    fn sign_then_verify_both_algorithms() {
        for alg in SigningAlg::ALL {
            let k = key(alg);
            let t = k.sign("JWT", &serde_json::json!({"sub": "7"})).unwrap();
            let claims = parse(&t).unwrap().verify(&k).unwrap();
            assert_eq!(claims["sub"], "7");
        }
    }

    #[test]
    fn tampered_payload_or_swapped_alg_is_refused() {
        let k = key(SigningAlg::ES256);
        let t = k.sign("JWT", &serde_json::json!({"sub": "7"})).unwrap();
        let mut parts: Vec<&str> = t.split('.').collect();
        let evil = URL_SAFE_NO_PAD.encode(br#"{"sub":"1"}"#);
        parts[1] = &evil;
        let forged = parts.join(".");
        assert_eq!(
            parse(&forged).unwrap().verify(&k).unwrap_err(),
            JwtError::BadSignature
        );
        // A header claiming `none` or another algorithm is refused before
        // any signature check.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#),
            evil
        );
        assert_eq!(
            parse(&none).unwrap().verify(&k).unwrap_err(),
            JwtError::BadSignature
        );
        assert_eq!(parse("a.b").err(), Some(JwtError::Malformed));
        // Another key of the same algorithm does not verify it.
        let other = key(SigningAlg::ES256);
        assert!(parse(&t).unwrap().verify(&other).is_err());
    }

    #[test]
    fn sealed_keys_open_only_with_their_master_key_and_kid() {
        let m = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let der = Key::generate(SigningAlg::ES256).unwrap();
        let sealed = Key::seal(&m, "k1", &der).unwrap();
        assert!(!sealed.contains(&STANDARD.encode(&der[..16])));
        assert!(Key::open(&m, "k1", SigningAlg::ES256, &sealed, false).is_ok());
        assert!(Key::open(&m, "k2", SigningAlg::ES256, &sealed, false).is_err());
        let other = MasterKey::from_bytes(&[8u8; 32]).unwrap();
        assert!(Key::open(&other, "k1", SigningAlg::ES256, &sealed, false).is_err());
    }

    #[test]
    fn jwks_members_are_base64url() {
        let k = key(SigningAlg::RS256);
        assert_eq!(k.jwk["kty"], "RSA");
        assert_eq!(k.jwk["e"], "AQAB");
        let ec = key(SigningAlg::ES256);
        assert_eq!(ec.jwk["x"].as_str().unwrap().len(), 43);
    }
}
