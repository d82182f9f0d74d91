//! Validated text values that are not identifiers: names, titles, phones,
//! e-mail addresses, free text. Each `parse` returns the bilingual message a
//! person sees beside the field.
use crate::msg::Msg;

/// Trims and checks a free-text field: length in characters, and no control
/// characters (which would break exports and logs).
pub fn clean_text(input: &str, min: usize, max: usize) -> Result<String, Msg> {
    let s = input.trim();
    let n = s.chars().count();
    if n < min {
        return Err(if min == 1 {
            Msg::new("此欄位為必填", "This field is required")
        } else {
            Msg::owned(
                format!("長度至少須 {min} 個字元"),
                format!("Must be at least {min} characters"),
            )
        });
    }
    if n > max {
        return Err(Msg::owned(
            format!("長度不可超過 {max} 個字元"),
            format!("Must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(Msg::new(
            "不可包含控制字元",
            "Must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

/// The characters that reorder text as it is shown (U+202A–U+202E,
/// U+2066–U+2069): in a note or a name they would make a record read
/// otherwise than it is stored.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A person's name as shown in the directory: 1–30 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, Msg> {
        clean_text(input, 1, 30).map(PersonName)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An official phone number. 004 §參: digits only, without the area code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfficePhone(String);

impl OfficePhone {
    pub fn parse(input: &str) -> Result<OfficePhone, Msg> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Msg::new(
                "請輸入公務電話",
                "Enter the official phone number",
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Msg::new(
                "公務電話只能輸入數字，不含區碼及符號",
                "The official phone takes digits only, without area code or symbols",
            ));
        }
        if s.starts_with('0') {
            return Err(Msg::new("公務電話請勿輸入區碼", "Leave out the area code"));
        }
        if !(5..=8).contains(&s.len()) {
            return Err(Msg::new(
                "公務電話須為 5 至 8 位數字",
                "The official phone has 5 to 8 digits",
            ));
        }
        Ok(OfficePhone(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An extension: optional, 1–6 digits.
pub fn parse_extension(input: &str) -> Result<String, Msg> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    if s.len() > 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Msg::new(
            "分機須為 1 至 6 位數字",
            "The extension has 1 to 6 digits",
        ));
    }
    Ok(s.to_owned())
}

/// A Taiwanese mobile number: 09 followed by 8 digits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MobilePhone(String);

impl MobilePhone {
    pub fn parse(input: &str) -> Result<MobilePhone, Msg> {
        let s: String = input
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        if s.len() == 10 && s.starts_with("09") && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(MobilePhone(s))
        } else {
            Err(Msg::new(
                "手機號碼格式為 09 開頭的 10 位數字",
                "A mobile number is 10 digits starting with 09",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked for shape only (delivery proves the rest).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, Msg> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Msg::new("請輸入電子郵件", "Enter an e-mail address"));
        }
        let bad = || Msg::new("電子郵件格式不正確", "The e-mail address is not valid");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// A login name. 004 §參: 3–12 characters of A–Z a–z 0–9 and `_`. Stored in
/// lower case: directory account names are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct LoginName(String);

impl LoginName {
    pub fn parse(input: &str) -> Result<LoginName, Msg> {
        let s = input.trim();
        let n = s.chars().count();
        if !(3..=12).contains(&n) {
            return Err(Msg::new(
                "帳號長度須為 3 至 12 個字元",
                "The login name must be 3 to 12 characters",
            ));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Msg::new(
                "帳號只能使用英文字母、數字及底線",
                "The login name may contain only letters, digits and underscores",
            ));
        }
        Ok(LoginName(s.to_ascii_lowercase()))
    }

    /// 004 §參: the login name must not be the national ID, nor contain the
    /// birthday or the ID's digits. Any run of four or more digits that also
    /// appears in the ID's digits or the birthday (YYYYMMDD or ROC YYYMMDD) is
    /// refused.
    pub fn check_personal(
        &self,
        national_id: Option<&str>,
        birthday: Option<time::Date>,
    ) -> Result<(), Msg> {
        let refuse = || {
            Msg::new(
                "帳號不可為身分證號，亦不可包含生日或身分證號中的數字",
                "The login name must not be the national ID or contain the birthday or ID digits",
            )
        };
        let mut sources: Vec<String> = Vec::new();
        if let Some(id) = national_id {
            if self.0.eq_ignore_ascii_case(id) {
                return Err(refuse());
            }
            sources.push(id.chars().filter(|c| c.is_ascii_digit()).collect());
        }
        if let Some(d) = birthday {
            let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
            sources.push(format!("{y:04}{m:02}{day:02}"));
            sources.push(format!("{:03}{m:02}{day:02}", y - 1911));
        }
        for run in digit_runs(&self.0) {
            for w in 0..=run.len().saturating_sub(4) {
                if run.len() < 4 {
                    break;
                }
                let piece = &run[w..w + 4];
                if sources.iter().any(|s| s.contains(piece)) {
                    return Err(refuse());
                }
            }
        }
        // 004 L1154: no sensitive data, even unknown to the portal yet
        // (the form asks neither the mobile nor the birthday): a mobile
        // number, or a date someone could be born on.
        if digit_runs(&self.0).any(looks_like_a_mobile_or_a_birthday) {
            return Err(Msg::new(
                "帳號不可包含手機號碼或生日等個人資料",
                "The login name must not contain personal data such as a mobile number or a birthday",
            ));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Taiwan mobile number (09 and eight digits, or without its 0), or a
/// birthday written YYYYMMDD (1900–2099) or in the ROC calendar (YYYMMDD,
/// YYMMDD).
fn looks_like_a_mobile_or_a_birthday(run: &str) -> bool {
    // Digit runs are ASCII, so byte windows are character windows.
    let windows = |n: usize| (0..(run.len() + 1).saturating_sub(n)).map(move |i| &run[i..i + n]);
    let date = |y: i32, md: &str| {
        let (Ok(m), Ok(d)) = (md[..2].parse::<u8>(), md[2..].parse::<u8>()) else {
            return false;
        };
        time::Month::try_from(m)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
            .is_some()
    };
    let western = |w: &str| {
        (w.starts_with("19") || w.starts_with("20")) && date(w[..4].parse().unwrap_or(0), &w[4..])
    };
    let roc = |w: &str| {
        let y: i32 = w[..3].parse().unwrap_or(0);
        (1..=150).contains(&y) && date(y + 1911, &w[3..])
    };
    // ROC years below 100 are often written with two digits: 740214.
    let roc2 = |w: &str| {
        let y: i32 = w[..2].parse().unwrap_or(0);
        (10..=99).contains(&y) && date(y + 1911, &w[2..])
    };
    windows(10).any(|w| w.starts_with("09"))
        || windows(9).any(|w| w.starts_with('9'))
        || windows(8).any(western)
        || windows(7).any(roc)
        || windows(6).any(roc2)
}

fn digit_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
}

impl std::fmt::Display for LoginName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Escapes a value for a `LIKE`-free prefix search: returns the half-open
/// range `[lo, hi)` of strings that start with `prefix`, so an ordinary
/// B-tree index answers it on every database.
pub fn prefix_range(prefix: &str) -> (String, String) {
    let mut hi: Vec<char> = prefix.chars().collect();
    // Bump the last character that can be bumped; U+10FFFF cannot.
    while let Some(last) = hi.pop() {
        if let Some(next) =
            char::from_u32(last as u32 + 1).or_else(|| char::from_u32(last as u32 + 0x801))
        {
            hi.push(next);
            return (prefix.to_owned(), hi.into_iter().collect());
        }
    }
    (prefix.to_owned(), "\u{10FFFF}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_004_a_login_holds_no_mobile_number_nor_birthday_even_unknown_ones() {
        for bad in [
            "u0912345678",
            "a912345678",
            "wang19850214",
            "chen0740214",
            "lin740214x",
        ] {
            let l = LoginName::parse(bad).unwrap();
            assert!(l.check_personal(None, None).is_err(), "{bad}");
        }
        for good in ["wang_xm", "chen2024", "lin123456", "user19851399", "a0001"] {
            let l = LoginName::parse(good).unwrap();
            assert!(l.check_personal(None, None).is_ok(), "{good}");
        }
    }

    #[test]
    fn free_text_refuses_characters_that_reorder_what_is_shown() {
        assert!(clean_text("核准\u{202E}銷撤", 1, 50).is_err());
        assert!(clean_text("a\u{2066}b", 1, 50).is_err());
        assert_eq!(
            clean_text(" 仍辦理本項業務 ", 1, 50).unwrap(),
            "仍辦理本項業務"
        );
    }

    #[test]
    fn login_name_length_is_3_to_12() {
        assert!(LoginName::parse("ab").is_err());
        assert!(LoginName::parse("abc").is_ok());
        assert!(LoginName::parse("abcdefghijkl").is_ok());
        assert!(LoginName::parse("abcdefghijklm").is_err());
    }

    #[test]
    fn login_name_allows_only_letters_digits_underscore() {
        assert!(LoginName::parse("wang_01").is_ok());
        for bad in [
            "wang-01",
            "wang.01",
            "王小明",
            "a b c",
            "x'or1=1",
            "<b>x</b>",
        ] {
            assert!(LoginName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_name_is_stored_lower_case() {
        assert_eq!(LoginName::parse("WangMing").unwrap().as_str(), "wangming");
    }

    #[test]
    fn login_name_must_not_be_national_id_or_contain_its_digits_or_birthday() {
        let id = "A123456789";
        let bday = time::Date::from_calendar_date(1985, time::Month::March, 14).unwrap();
        assert!(
            LoginName::parse("a123456789")
                .unwrap()
                .check_personal(Some(id), None)
                .is_err()
        );
        assert!(
            LoginName::parse("wang5678")
                .unwrap()
                .check_personal(Some(id), None)
                .is_err()
        );
        assert!(
            LoginName::parse("wang0314")
                .unwrap()
                .check_personal(None, Some(bday))
                .is_err()
        );
        assert!(
            LoginName::parse("wang1985")
                .unwrap()
                .check_personal(None, Some(bday))
                .is_err()
        );
        // ROC year 74 → 0740314
        assert!(
            LoginName::parse("w740314")
                .unwrap()
                .check_personal(None, Some(bday))
                .is_err()
        );
        assert!(
            LoginName::parse("wang999")
                .unwrap()
                .check_personal(Some(id), Some(bday))
                .is_ok()
        );
        assert!(
            LoginName::parse("wang2024")
                .unwrap()
                .check_personal(Some(id), Some(bday))
                .is_ok()
        );
    }

    #[test]
    fn official_phone_is_digits_without_area_code() {
        assert!(OfficePhone::parse("2991111").is_ok());
        assert!(OfficePhone::parse("06-2991111").is_err());
        assert!(OfficePhone::parse("062991111").is_err());
        assert!(OfficePhone::parse("299 1111").is_err());
    }

    #[test]
    fn email_shapes() {
        assert_eq!(
            Email::parse(" Wang@Example.COM ").unwrap().as_str(),
            "Wang@example.com"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_range_brackets_exactly_the_prefixed_strings() {
        let (lo, hi) = prefix_range("王");
        assert!("王" >= lo.as_str() && "王" < hi.as_str());
        assert!("王小明" >= lo.as_str() && "王小明" < hi.as_str());
        assert!(!("玉" >= lo.as_str() && "玉" < hi.as_str()));
        assert!(!("珏" >= lo.as_str() && "珏" < hi.as_str()));
    }

    proptest! {
        #[test]
        fn login_name_parse_accepts_exactly_the_rule(s in "\\PC{0,16}") {
            let ok = LoginName::parse(&s).is_ok();
            let t = s.trim();
            let expected = (3..=12).contains(&t.chars().count())
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            prop_assert_eq!(ok, expected);
        }

        #[test]
        fn login_name_valid_inputs_roundtrip(s in "[A-Za-z0-9_]{3,12}") {
            let n = LoginName::parse(&s).unwrap();
            prop_assert_eq!(n.as_str(), s.to_ascii_lowercase());
        }

        #[test]
        fn prefix_range_contains_every_extension(p in "\\PC{1,4}", tail in "\\PC{0,4}") {
            let (lo, hi) = prefix_range(&p);
            let s = format!("{p}{tail}");
            prop_assert!(s.as_str() >= lo.as_str() && s.as_str() < hi.as_str());
        }
    }
}
