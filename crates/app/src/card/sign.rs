//! Signing as the card does, for the HiPKI stand-in and tests: a CMS
//! SignedData over `tbs` (attached), with the signed attributes HiPKI
//! writes (content type, signing time, message digest, nonce, card
//! number), the signer's certificate and its chain.
use super::*;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::CmsVersion;
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignerInfo, SignerInfos};
use der::Any;
use der::asn1::SetOfVec;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

const ID_NONCE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.25.3");

fn attr(oid: Oid, value: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(der_err)?,
    })
}

fn der_err(e: der::Error) -> Error {
    Error::internal(format!("cms: {e}"))
}

/// The card's key: an RSA or ECDSA P-256 key in PKCS#8.
pub enum CardKey {
    Rsa(aws_lc_rs::signature::RsaKeyPair),
    Ec(aws_lc_rs::signature::EcdsaKeyPair),
}

impl CardKey {
    pub fn from_pkcs8(der: &[u8]) -> Result<CardKey> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, RsaKeyPair};
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            return Ok(CardKey::Rsa(k));
        }
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
            .map(CardKey::Ec)
            .map_err(|e| Error::internal(format!("card key: {e}")))
    }
    /// A raw PKCS#1 v1.5 (RSA) or ASN.1 ECDSA signature with SHA-256,
    /// as the mobile ID app returns it.
    pub fn sign_raw(&self, msg: &[u8]) -> Result<Vec<u8>> {
        self.sign(msg).map(|(_, s)| s)
    }

    fn sign(&self, msg: &[u8]) -> Result<(Oid, Vec<u8>)> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match self {
            CardKey::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
                    .map_err(|e| Error::internal(format!("card sign: {e}")))?;
                Ok((RSA_ENCRYPTION, sig))
            }
            CardKey::Ec(k) => {
                let sig = k
                    .sign(&rng, msg)
                    .map_err(|e| Error::internal(format!("card sign: {e}")))?;
                Ok((ECDSA_WITH_SHA256, sig.as_ref().to_vec()))
            }
        }
    }
}

/// The base64 CMS SignedData a card returns for `tbs`.
pub fn sign_tbs(
    cert_der: &[u8],
    chain: &[Vec<u8>],
    key: &CardKey,
    tbs: &[u8],
    card_number: &str,
    nonce: &[u8],
    at: OffsetDateTime,
) -> Result<String> {
    use base64::Engine;
    let cert = Certificate::from_der(cert_der).map_err(der_err)?;
    let when = x509_cert::time::Time::UtcTime(
        der::asn1::UtcTime::from_unix_duration(StdDuration::from_secs(
            at.unix_timestamp().max(0) as u64
        ))
        .map_err(der_err)?,
    );
    let mut attrs = vec![
        attr(
            ID_CONTENT_TYPE,
            Any::encode_from(&ID_DATA).map_err(der_err)?,
        )?,
        attr(ID_SIGNING_TIME, Any::encode_from(&when).map_err(der_err)?)?,
        attr(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(Sha256::digest(tbs).to_vec()).map_err(der_err)?)
                .map_err(der_err)?,
        )?,
    ];
    if !nonce.is_empty() {
        attrs.push(attr(
            ID_NONCE,
            Any::encode_from(&OctetString::new(nonce.to_vec()).map_err(der_err)?)
                .map_err(der_err)?,
        )?);
    }
    if !card_number.is_empty() {
        attrs.push(attr(
            ID_CARD_NUMBER,
            Any::encode_from(&der::asn1::PrintableStringRef::new(card_number).map_err(der_err)?)
                .map_err(der_err)?,
        )?);
    }
    let signed_attrs = SetOfVec::try_from(attrs).map_err(der_err)?;
    let (sig_oid, signature) = key.sign(&signed_attrs.to_der().map_err(der_err)?)?;
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    };
    let si = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate().issuer().clone(),
            serial_number: cert.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: sig_oid,
            parameters: (sig_oid == RSA_ENCRYPTION).then_some(Any::null()),
        },
        signature: OctetString::new(signature).map_err(der_err)?,
        unsigned_attrs: None,
    };
    let mut certs = vec![CertificateChoices::Certificate(cert)];
    for c in chain {
        certs.push(CertificateChoices::Certificate(
            Certificate::from_der(c).map_err(der_err)?,
        ));
    }
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256]).map_err(der_err)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: Some(
                Any::encode_from(&OctetString::new(tbs.to_vec()).map_err(der_err)?)
                    .map_err(der_err)?,
            ),
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certs).map_err(der_err)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![si]).map_err(der_err)?),
    };
    let ci = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&sd).map_err(der_err)?,
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(ci.to_der().map_err(der_err)?))
}
