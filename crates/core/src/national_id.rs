//! National ID (身分證字號) and resident certificate numbers, with the
//! checksum. INTEGRATIONS.md "National ID".
use crate::msg::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum IdKind {
    /// `^[A-Z][12]\d{8}$`
    Citizen,
    /// Old resident format `^[A-Z][A-D]\d{8}$`.
    ResidentOld,
    /// New resident format (2021) `^[A-Z][89]\d{8}$`.
    ResidentNew,
}

/// A valid national ID or resident number, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct NationalId(String);

/// The two-digit code of each leading letter.
fn letter_code(c: u8) -> Option<u32> {
    const CODES: [u32; 26] = [
        10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32,
        30, 31, 33,
    ];
    c.is_ascii_uppercase().then(|| CODES[(c - b'A') as usize])
}

impl NationalId {
    pub fn parse(input: &str) -> Result<NationalId, Msg> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let format = || {
            Msg::new(
                "身分證號格式不正確（1 個英文字母加 9 個數字，或居留證號）",
                "The national ID must be one letter and nine digits, or a resident certificate number",
            )
        };
        if b.len() != 10 || !b[2..].iter().all(u8::is_ascii_digit) {
            return Err(format());
        }
        let first = letter_code(b[0]).ok_or_else(format)?;
        let kind = match b[1] {
            b'1' | b'2' => IdKind::Citizen,
            b'8' | b'9' => IdKind::ResidentNew,
            b'A'..=b'D' => IdKind::ResidentOld,
            _ => return Err(format()),
        };
        let d2 = match kind {
            // The old resident format's second letter counts by its code mod 10.
            IdKind::ResidentOld => letter_code(b[1]).map(|c| c % 10).ok_or_else(format)?,
            _ => u32::from(b[1] - b'0'),
        };
        let digits: Vec<u32> = b[2..].iter().map(|d| u32::from(d - b'0')).collect();
        let mut sum = (first / 10) + (first % 10) * 9 + d2 * 8;
        for (i, d) in digits.iter().enumerate() {
            // d3..d9 weigh 7..1, the check digit d10 weighs 1.
            let w = if i < 7 { 7 - i as u32 } else { 1 };
            sum += d * w;
        }
        if sum % 10 != 0 {
            return Err(Msg::new(
                "身分證號檢查碼不正確，請確認是否輸入錯誤",
                "The national ID's check digit is wrong; check for a typo",
            ));
        }
        Ok(NationalId(s))
    }

    pub fn kind(&self) -> IdKind {
        match self.0.as_bytes()[1] {
            b'1' | b'2' => IdKind::Citizen,
            b'8' | b'9' => IdKind::ResidentNew,
            _ => IdKind::ResidentOld,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID with all but the first and last three characters hidden, as
    /// shown on pages (`A12****789`).
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }

    /// Builds the valid ID for a letter and the first eight digits after it
    /// (citizen or new-resident formats): used by the demo seeder and tests.
    pub fn with_check_digit(letter: char, eight: &str) -> Option<NationalId> {
        (0..10).find_map(|d| NationalId::parse(&format!("{letter}{eight}{d}")).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_ids_pass() {
        // Published examples of valid numbers.
        for id in ["A123456789", "F131104093", "a123456789"] {
            assert!(NationalId::parse(id).is_ok(), "{id}");
        }
        assert_eq!(
            NationalId::parse("A123456789").unwrap().kind(),
            IdKind::Citizen
        );
    }

    #[test]
    fn wrong_check_digit_is_refused_with_its_own_message() {
        let e = NationalId::parse("A123456788").unwrap_err();
        assert!(e.zh.contains("檢查碼"));
    }

    #[test]
    fn new_resident_format_is_accepted() {
        let id = NationalId::with_check_digit('A', "80000001").unwrap();
        assert_eq!(id.kind(), IdKind::ResidentNew);
        assert_eq!(id.as_str(), "A800000014");
    }

    #[test]
    fn old_resident_format_uses_letter_code_mod_10() {
        // AC: A=10, C=12 → d2 = 2. Find the check digit by the rule and compare.
        let ok = (0..10)
            .filter(|d| NationalId::parse(&format!("AC0000001{d}")).is_ok())
            .count();
        assert_eq!(ok, 1);
        let id = (0..10)
            .find_map(|d| NationalId::parse(&format!("AC0000001{d}")).ok())
            .unwrap();
        assert_eq!(id.kind(), IdKind::ResidentOld);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "A12345678",
            "A1234567890",
            "1123456789",
            "A323456789",
            "AE23456789",
            "A12345678X",
        ] {
            assert!(NationalId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masked_hides_the_middle() {
        assert_eq!(
            NationalId::parse("A123456789").unwrap().masked(),
            "A12****789"
        );
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_completes_any_prefix(l in "[A-Z]", g in "[1289]", seven in "[0-9]{7}") {
            let n = (0..10).filter(|d| NationalId::parse(&format!("{l}{g}{seven}{d}")).is_ok()).count();
            prop_assert_eq!(n, 1);
        }

        #[test]
        // Positions whose weight (7, 3, 1, 1) is coprime to 10: any change shows.
        fn changing_one_digit_breaks_the_checksum(l in "[A-Z]", g in "[12]", seven in "[0-9]{7}", pos in prop::sample::select(vec![2usize, 6, 8, 9]), delta in 1u8..10) {
            let id = NationalId::with_check_digit(l.chars().next().unwrap(), &format!("{g}{seven}")).unwrap();
            let mut b = id.as_str().as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let s = String::from_utf8(b).unwrap();
            prop_assert!(NationalId::parse(&s).is_err(), "{}", s);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,14}") {
            let _ = NationalId::parse(&s);
        }
    }
}

/// A national ID with its middle hidden (`A12****789`), as pages show it
/// until someone gives a reason to see it whole (002 §六 (三) 2).
pub fn masked(id: &str) -> String {
    let c: Vec<char> = id.chars().collect();
    if c.len() < 7 {
        return "*".repeat(c.len());
    }
    let (head, tail) = (3, 3);
    let mut s: String = c[..head].iter().collect();
    s.push_str(&"*".repeat(c.len() - head - tail));
    s.extend(&c[c.len() - tail..]);
    s
}

#[cfg(test)]
mod mask_tests {
    #[test]
    fn a_shown_national_id_hides_its_middle() {
        assert_eq!(super::masked("A123456789"), "A12****789");
        assert_eq!(super::masked("A1"), "**");
    }
}
