//! A stand-in certificate authority for the demo and the tests: a root
//! (the GRCA's place) that issues card certificates with the MOICA
//! extensions (the holder's ID digits, a CRL distribution point), and
//! their CRL. Never a production trust anchor.
use super::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber,
};

fn rc(e: rcgen::Error) -> Error {
    Error::internal(format!("test CA: {e}"))
}

pub struct TestCa {
    /// The CA certificate (a trust anchor for the demo and tests).
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    /// Where the card certificates say their CRL is.
    pub crl_url: String,
}

/// A card: its certificate and PKCS#8 key.
pub struct Card {
    pub cert_der: Vec<u8>,
    pub key_pkcs8: Vec<u8>,
    pub serial: u64,
}

/// Subject Directory Attributes holding the ID's last four digits:
/// SEQUENCE { SEQUENCE { OID, SET { PrintableString } } }.
fn id_digits_extension(last4: &str) -> Result<Vec<u8>> {
    use der::asn1::{PrintableStringRef, SetOfVec};
    let value = der::Any::encode_from(&PrintableStringRef::new(last4).map_err(sign_err)?)
        .map_err(sign_err)?;
    let sda = SubjectDirectoryAttributes(vec![x509_cert::attr::Attribute {
        oid: ID_LAST4,
        values: SetOfVec::try_from(vec![value]).map_err(sign_err)?,
    }]);
    sda.to_der().map_err(sign_err)
}

fn sign_err(e: der::Error) -> Error {
    Error::internal(format!("test CA: {e}"))
}

impl TestCa {
    pub fn new(name: &str, crl_url: &str) -> Result<TestCa> {
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
        p.distinguished_name.push(DnType::CountryName, "TW");
        p.distinguished_name
            .push(DnType::OrganizationName, "Portico test CA");
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        p.not_before = OffsetDateTime::now_utc() - time::Duration::days(365);
        p.not_after = OffsetDateTime::now_utc() + time::Duration::days(3650);
        let key = KeyPair::generate().map_err(rc)?;
        let cert = p.self_signed(&key).map_err(rc)?;
        Ok(TestCa {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(p, key),
            crl_url: crl_url.to_owned(),
        })
    }

    /// Issues a card certificate for a holder whose ID ends in
    /// `id_last4`, valid from `not_before` to `not_after`.
    pub fn issue(
        &self,
        holder: &str,
        id_last4: &str,
        serial: u64,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Card> {
        let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .map_err(rc)?;
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
        p.distinguished_name.push(DnType::CountryName, "TW");
        p.distinguished_name.push(DnType::CommonName, holder);
        p.serial_number = Some(SerialNumber::from(serial));
        p.not_before = not_before;
        p.not_after = not_after;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        p.use_authority_key_identifier_extension = true;
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![self.crl_url.clone()],
        }];
        p.custom_extensions = vec![CustomExtension::from_oid_content(
            &[2, 5, 29, 9],
            id_digits_extension(id_last4)?,
        )];
        let cert = p.signed_by(&key, &self.issuer).map_err(rc)?;
        Ok(Card {
            cert_der: cert.der().to_vec(),
            key_pkcs8: key.serialize_der(),
            serial,
        })
    }

    /// The CRL listing `revoked` serials, valid for a day from `now`.
    pub fn crl(&self, revoked: &[u64], now: OffsetDateTime) -> Result<Vec<u8>> {
        let p = CertificateRevocationListParams {
            this_update: now - time::Duration::minutes(5),
            next_update: now + time::Duration::days(1),
            crl_number: SerialNumber::from(now.unix_timestamp().max(1) as u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: now - time::Duration::minutes(5),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(p.signed_by(&self.issuer).map_err(rc)?.der().to_vec())
    }
}
