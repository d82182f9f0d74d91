//! Network zones (004 §第一節 壹: 府外環境 offers only the certificate
//! methods): address ranges, the client address behind trusted proxies, and
//! which sign-in methods a zone allows.
use crate::msg::Msg;
use std::net::IpAddr;

/// An address range in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`), or
/// one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

/// An IPv4 address as IPv4 even when it came mapped into IPv6 (::ffff:a.b.c.d).
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, Msg> {
        let s = s.trim();
        let bad = || {
            Msg::owned(
                format!(
                    "「{}」不是正確的網段（例如 10.0.0.0/8）",
                    s.chars().take(50).collect::<String>()
                ),
                format!(
                    "\"{}\" is not an address range (e.g. 10.0.0.0/8)",
                    s.chars().take(50).collect::<String>()
                ),
            )
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net = unmap(addr.parse::<IpAddr>().map_err(|_| bad())?);
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { net, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, unmap(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// Parses a list of ranges, one per line or separated by commas.
pub fn parse_ranges(input: &str) -> Result<Vec<Cidr>, Msg> {
    input
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Cidr::parse)
        .collect()
}

pub fn in_any(ranges: &[Cidr], ip: IpAddr) -> bool {
    ranges.iter().any(|r| r.contains(ip))
}

/// The client's address: the peer, unless the peer is a trusted proxy; then
/// `X-Forwarded-For` is read from the right, skipping trusted proxies, and
/// the first address that is not one is the client. Entries further left
/// were written by the client and are never believed. `None` when a
/// trusted proxy forwarded no readable client address (an empty or broken
/// header, or only proxies), or when an untrusted peer sends the header at
/// all: such a request is nobody's, and counts as outside.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> Option<IpAddr> {
    if !in_any(trusted, peer) {
        // A forwarded-for header from a peer nobody said is a proxy: a
        // reverse proxy not yet entered (whose own address would make the
        // whole internet look inside), or a client's forgery. Either way
        // the client is unknown: outside.
        let forwarded = forwarded_for
            .iter()
            .any(|h| h.split(',').any(|e| !e.trim().is_empty()));
        return (!forwarded).then_some(unmap(peer));
    }
    for entry in forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.split(',').rev())
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let ip = unmap(entry.parse::<IpAddr>().ok()?);
        if !in_any(trusted, ip) {
            return Some(ip);
        }
    }
    None
}

/// The ways to sign in (004 §第一節 壹 一–五, plus passkeys), with their
/// `amr` values (RFC 8176).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    Totp,
    TempPassword,
    Certificate,
    MobileId,
    Passkey,
}

impl SignInMethod {
    pub const ALL: [SignInMethod; 6] = [
        SignInMethod::MobileId,
        SignInMethod::Certificate,
        SignInMethod::Passkey,
        SignInMethod::Totp,
        SignInMethod::TempPassword,
        SignInMethod::Password,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::Totp => "totp",
            SignInMethod::TempPassword => "temp_password",
            SignInMethod::Certificate => "certificate",
            SignInMethod::MobileId => "mobile_id",
            SignInMethod::Passkey => "passkey",
        }
    }
    pub fn parse(s: &str) -> Option<SignInMethod> {
        SignInMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            SignInMethod::Password => Msg::new("一般登入", "Password"),
            SignInMethod::Totp => Msg::new("動態驗證碼", "Authenticator app code"),
            SignInMethod::TempPassword => Msg::new("臨時密碼", "Temporary password"),
            SignInMethod::Certificate => Msg::new("自然人憑證", "Citizen certificate card"),
            SignInMethod::MobileId => Msg::new("行動自然人憑證", "Mobile ID"),
            SignInMethod::Passkey => Msg::new("通行金鑰", "Passkey"),
        }
    }
    /// RFC 8176 authentication method references.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            SignInMethod::Password => &["pwd"],
            SignInMethod::Totp => &["otp"],
            SignInMethod::TempPassword => &["otp", "mail"],
            SignInMethod::Certificate => &["sc", "pin", "hwk"],
            SignInMethod::MobileId => &["mfa", "user", "swk"],
            SignInMethod::Passkey => &["hwk", "user"],
        }
    }
    /// Certificate-based or bound to a device: what the seed allows outside
    /// the government network, and what an application asking for a strong
    /// method gets.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            SignInMethod::Certificate | SignInMethod::MobileId | SignInMethod::Passkey
        )
    }
}

/// Where a request comes from, and what may sign in from there.
#[derive(Debug, Clone, Default)]
pub struct Zones {
    /// The government network's ranges; empty: every address is inside.
    pub internal: Vec<Cidr>,
    /// Methods allowed from outside the government network.
    pub outside_methods: Vec<SignInMethod>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub proxies: Vec<Cidr>,
}

impl Zones {
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.internal.is_empty() || in_any(&self.internal, ip)
    }
    pub fn allows(&self, method: SignInMethod, ip: IpAddr) -> bool {
        self.is_internal(ip) || self.outside_methods.contains(&method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_what_they_should() {
        let r = Cidr::parse("10.20.0.0/16").unwrap();
        assert!(r.contains(ip("10.20.255.1")));
        assert!(!r.contains(ip("10.21.0.1")));
        assert!(r.contains(ip("::ffff:10.20.1.1")), "IPv4-mapped counts");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8::1"))
        );
        assert!(
            !Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("10.0.0.1"))
        );
        assert_eq!(
            Cidr::parse("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0/8",
            "example.org",
            "10.0.0.0/-1",
            "::/129",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_ranges("10.0.0.0/8, 172.16.0.0/12\n192.168.0.0/16")
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn a_forged_forwarded_for_does_not_make_a_request_internal() {
        let proxies = parse_ranges("10.0.0.5").unwrap();
        // From an untrusted peer the header makes the client unknown:
        // a forgery gains nothing, and an unentered proxy fails closed.
        assert_eq!(
            client_address(ip("203.0.113.9"), &["10.1.1.1"], &proxies),
            None
        );
        assert_eq!(client_address(ip("10.9.9.9"), &["203.0.113.9"], &[]), None);
        assert_eq!(
            client_address(ip("203.0.113.9"), &[" "], &proxies),
            Some(ip("203.0.113.9")),
            "an empty header is no header"
        );
        // Through the trusted proxy: the address it added, not the client's
        // own claim further left.
        assert_eq!(
            client_address(ip("10.0.0.5"), &["10.1.1.1, 203.0.113.9"], &proxies),
            Some(ip("203.0.113.9"))
        );
        // Two trusted proxies in a row are skipped.
        let two = parse_ranges("10.0.0.5, 10.0.0.6").unwrap();
        assert_eq!(
            client_address(ip("10.0.0.5"), &["198.51.100.2, 10.0.0.6"], &two),
            Some(ip("198.51.100.2"))
        );
        // Nothing readable behind the proxy: nobody's, so never inside.
        for broken in [
            &[][..],
            &[""],
            &["10.0.0.6"],
            &["203.0.113.9:443"],
            &["garbage"],
        ] {
            assert_eq!(
                client_address(ip("10.0.0.5"), broken, &two),
                None,
                "{broken:?}"
            );
        }
    }

    #[test]
    fn seed_004_outside_the_network_only_certificate_methods() {
        let z = Zones {
            internal: parse_ranges("10.0.0.0/8").unwrap(),
            outside_methods: vec![
                SignInMethod::Certificate,
                SignInMethod::MobileId,
                SignInMethod::Passkey,
            ],
            proxies: Vec::new(),
        };
        for m in SignInMethod::ALL {
            assert!(z.allows(m, ip("10.3.4.5")), "{m:?} inside");
            assert_eq!(
                z.allows(m, ip("203.0.113.9")),
                m.is_strong(),
                "{m:?} outside"
            );
        }
        assert!(
            Zones::default().is_internal(ip("203.0.113.9")),
            "no ranges: all inside"
        );
        for m in SignInMethod::ALL {
            assert_eq!(SignInMethod::parse(m.as_str()), Some(m));
            assert!(!m.amr().is_empty());
        }
    }
}
