use super::sign::{CardKey, sign_tbs};
use super::test_ca::TestCa;
use super::*;
use time::Duration;

struct Fixture {
    ca: TestCa,
    card: test_ca::Card,
    key: CardKey,
    now: OffsetDateTime,
}

fn fixture() -> Fixture {
    let ca = TestCa::new("Test MOICA", "http://127.0.0.1:9/crl").unwrap();
    let now = OffsetDateTime::now_utc();
    let card = ca
        .issue(
            "王小明",
            "6789",
            7,
            now - Duration::days(1),
            now + Duration::days(30),
        )
        .unwrap();
    let key = CardKey::from_pkcs8(&card.key_pkcs8).unwrap();
    Fixture { ca, card, key, now }
}

fn signed(f: &Fixture, tbs: &[u8]) -> String {
    sign_tbs(
        &f.card.cert_der,
        &[],
        &f.key,
        tbs,
        "TP03000000000001",
        b"n",
        f.now,
    )
    .unwrap()
}

fn check(
    f: &Fixture,
    sig: &str,
    challenge: &[u8],
    revoked: &[u64],
) -> Result<CardIdentity, CardRefusal> {
    let anchors = [CertificateDer::from(f.ca.cert_der.clone())];
    let crl = f.ca.crl(revoked, f.now).unwrap();
    parse(sig, challenge)?.verify(&anchors, Some(&[crl.as_slice()]), f.now)
}

#[test]
fn a_card_signature_over_our_challenge_names_the_holder() {
    let f = fixture();
    let id = check(&f, &signed(&f, b"challenge-1"), b"challenge-1", &[]).unwrap();
    assert_eq!(id.id_last4, "6789");
    assert_eq!(id.serial, "07");
    assert_eq!(id.card_number, "TP03000000000001");
    assert!(id.subject.contains("王小明"), "{}", id.subject);
    assert_eq!(
        parse(&signed(&f, b"x"), b"x").unwrap().crl_urls(),
        vec!["http://127.0.0.1:9/crl".to_owned()]
    );
}

#[test]
fn forgeries_and_bad_certificates_are_refused_by_name() {
    let f = fixture();
    let sig = signed(&f, b"challenge-1");
    assert_eq!(
        check(&f, &sig, b"challenge-2", &[]).unwrap_err(),
        CardRefusal::WrongChallenge,
        "a signature over another challenge"
    );
    assert_eq!(
        check(&f, &sig, b"challenge-1", &[7]).unwrap_err(),
        CardRefusal::Revoked
    );
    assert_eq!(
        check(&f, "not base64!", b"c", &[]).unwrap_err(),
        CardRefusal::Malformed
    );
    // Another CA's card.
    let other = fixture();
    let anchors = [CertificateDer::from(f.ca.cert_der.clone())];
    let crl = f.ca.crl(&[], f.now).unwrap();
    assert_eq!(
        parse(&signed(&other, b"c"), b"c")
            .unwrap()
            .verify(&anchors, Some(&[crl.as_slice()]), f.now)
            .unwrap_err(),
        CardRefusal::Untrusted
    );
    // Without the CRL, revocation is unknown: refused, not let through.
    assert_eq!(
        parse(&sig, b"challenge-1")
            .unwrap()
            .verify(&anchors, Some(&[]), f.now)
            .unwrap_err(),
        CardRefusal::RevocationUnknown
    );
    // An expired card.
    let old =
        f.ca.issue(
            "舊卡",
            "6789",
            8,
            f.now - Duration::days(400),
            f.now - Duration::days(1),
        )
        .unwrap();
    let old_key = CardKey::from_pkcs8(&old.key_pkcs8).unwrap();
    let old_sig = sign_tbs(&old.cert_der, &[], &old_key, b"c", "", b"", f.now).unwrap();
    assert_eq!(
        parse(&old_sig, b"c")
            .unwrap()
            .verify(&anchors, Some(&[crl.as_slice()]), f.now)
            .unwrap_err(),
        CardRefusal::Expired
    );
    // A signature by another key under this card's certificate.
    let forged = sign_tbs(
        &f.card.cert_der,
        &[],
        &CardKey::from_pkcs8(&old.key_pkcs8).unwrap(),
        b"c",
        "",
        b"",
        f.now,
    )
    .unwrap();
    assert_eq!(
        parse(&forged, b"c")
            .unwrap()
            .verify(&anchors, Some(&[crl.as_slice()]), f.now)
            .unwrap_err(),
        CardRefusal::BadSignature
    );
}
