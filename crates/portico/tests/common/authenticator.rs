//! A software WebAuthn authenticator for tests over HTTP: an ES256 key, a
//! credential id and a signature counter, answering the options the server
//! sends with "none" attestation (WebAuthn Level 3 §6, CTAP2 CBOR written
//! by hand for these fixed shapes). The browser journeys use Chromium's own
//! virtual authenticator instead.
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub struct SoftKey {
    key: EcdsaKeyPair,
    pub cred_id: Vec<u8>,
    pub counter: u32,
    pub user_handle: Vec<u8>,
    rp_id: String,
    origin: String,
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn unb64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

/// A CBOR byte string's header and bytes.
fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = match b.len() {
        n if n < 24 => vec![0x40 + n as u8],
        n if n < 256 => vec![0x58, n as u8],
        n => vec![0x59, (n >> 8) as u8, n as u8],
    };
    out.extend_from_slice(b);
    out
}

fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = vec![0x60 + s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

impl SoftKey {
    /// A new key for the relying party `rp_id` at `origin`.
    pub fn new(rp_id: &str, origin: &str) -> SoftKey {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).expect("key");
        let mut cred_id = vec![0u8; 32];
        getrandom::fill(&mut cred_id).expect("random");
        SoftKey {
            key,
            cred_id,
            counter: 0,
            user_handle: Vec::new(),
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
        }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false
        }))
        .expect("json")
    }

    /// rpIdHash, flags (user present and verified, plus `extra`), counter.
    fn auth_data(&self, extra_flags: u8) -> Vec<u8> {
        let mut d = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        d.push(0x01 | 0x04 | extra_flags);
        d.extend_from_slice(&self.counter.to_be_bytes());
        d
    }

    /// Answers `navigator.credentials.create` options.
    pub fn register(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        self.user_handle = unb64(pk["user"]["id"].as_str().expect("user id"));
        let client_data = self.client_data(
            "webauthn.create",
            pk["challenge"].as_str().expect("challenge"),
        );
        let public = self.key.public_key().as_ref();
        let (x, y) = (&public[1..33], &public[33..65]);
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cose.extend(cbor_bytes(x));
        cose.push(0x22);
        cose.extend(cbor_bytes(y));
        let mut auth = self.auth_data(0x40);
        auth.extend_from_slice(&[0u8; 16]);
        auth.extend_from_slice(&(self.cred_id.len() as u16).to_be_bytes());
        auth.extend_from_slice(&self.cred_id);
        auth.extend(cose);
        let mut att = vec![0xa3];
        att.extend(cbor_text("fmt"));
        att.extend(cbor_text("none"));
        att.extend(cbor_text("attStmt"));
        att.push(0xa0);
        att.extend(cbor_text("authData"));
        att.extend(cbor_bytes(&auth));
        json!({
            "id": b64(&self.cred_id), "rawId": b64(&self.cred_id), "type": "public-key",
            "extensions": {},
            "response": { "clientDataJSON": b64(&client_data), "attestationObject": b64(&att) }
        })
    }

    /// Answers `navigator.credentials.get` options, counting up first.
    pub fn assert(&mut self, options: &Value) -> Value {
        self.counter += 1;
        self.assert_with_counter(options, self.counter)
    }

    /// The same with a counter of the caller's choosing (a cloned key).
    pub fn assert_with_counter(&self, options: &Value, counter: u32) -> Value {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .expect("challenge");
        let client_data = self.client_data("webauthn.get", challenge);
        let mut auth = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        auth.push(0x05);
        auth.extend_from_slice(&counter.to_be_bytes());
        let mut signed = auth.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let sig = self.key.sign(&SystemRandom::new(), &signed).expect("sign");
        json!({
            "id": b64(&self.cred_id), "rawId": b64(&self.cred_id), "type": "public-key",
            "extensions": {},
            "response": {
                "clientDataJSON": b64(&client_data), "authenticatorData": b64(&auth),
                "signature": b64(sig.as_ref()), "userHandle": b64(&self.user_handle)
            }
        })
    }
}
