//! The password policy. 004 §貳/§參 and SEEDS.md "Passwords": 8–15
//! characters with upper and lower case letters, digits and a special
//! character; the quote `'` is not allowed; not equal to the login name; none
//! of the last three passwords. The numbers are system parameters.
use crate::msg::Msg;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    pub min_len: u32,
    pub max_len: u32,
    pub require_upper: bool,
    pub require_lower: bool,
    pub require_digit: bool,
    pub require_special: bool,
    /// How many previous passwords may not be reused.
    pub history: u32,
    /// Days until a password expires; 0 means never.
    pub max_age_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_len: 8,
            max_len: 15,
            require_upper: true,
            require_lower: true,
            require_digit: true,
            require_special: true,
            history: 3,
            max_age_days: 90,
        }
    }
}

/// Characters never allowed: 004 forbids the quote, which old systems
/// downstream mishandle.
pub const FORBIDDEN: &[char] = &['\''];

impl PasswordPolicy {
    /// Checks the policy's own numbers (an admin edits them).
    pub fn validate(&self) -> Result<(), Vec<(&'static str, Msg)>> {
        let mut errs = Vec::new();
        if !(6..=64).contains(&self.min_len) {
            errs.push((
                "min_len",
                Msg::new(
                    "密碼最短長度須介於 6 至 64",
                    "Minimum length must be between 6 and 64",
                ),
            ));
        }
        if !(self.min_len..=128).contains(&self.max_len) {
            errs.push((
                "max_len",
                Msg::new(
                    "密碼最長長度須不小於最短長度且不超過 128",
                    "Maximum length must be at least the minimum and at most 128",
                ),
            ));
        }
        if self.history > 24 {
            errs.push((
                "history",
                Msg::new(
                    "不可重複使用的密碼數須介於 0 至 24",
                    "Password history must be between 0 and 24",
                ),
            ));
        }
        if self.max_age_days > 3650 {
            errs.push((
                "max_age_days",
                Msg::new(
                    "密碼有效天數須介於 0 至 3650",
                    "Password lifetime must be between 0 and 3650 days",
                ),
            ));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// Every way `password` breaks the policy, each as its own message, so a
    /// person fixes them all at once. History is checked by the caller, which
    /// holds the hashes.
    pub fn check(&self, password: &str, login: &str) -> Vec<Msg> {
        let mut out = Vec::new();
        let n = password.chars().count() as u32;
        if n < self.min_len || n > self.max_len {
            out.push(Msg::owned(
                format!("密碼長度須為 {} 至 {} 個字元", self.min_len, self.max_len),
                format!(
                    "The password must be {} to {} characters",
                    self.min_len, self.max_len
                ),
            ));
        }
        if !password.chars().all(|c| c.is_ascii_graphic()) {
            out.push(Msg::new(
                "密碼只能使用英文字母、數字及鍵盤上的特殊符號（不含空白）",
                "The password may use only letters, digits and keyboard symbols (no spaces)",
            ));
        }
        if password.chars().any(|c| FORBIDDEN.contains(&c)) {
            out.push(Msg::new(
                "密碼不可包含單引號 '",
                "The password must not contain the quote '",
            ));
        }
        if self.require_upper && !password.chars().any(|c| c.is_ascii_uppercase()) {
            out.push(Msg::new(
                "密碼須包含大寫英文字母",
                "The password needs an upper-case letter",
            ));
        }
        if self.require_lower && !password.chars().any(|c| c.is_ascii_lowercase()) {
            out.push(Msg::new(
                "密碼須包含小寫英文字母",
                "The password needs a lower-case letter",
            ));
        }
        if self.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
            out.push(Msg::new("密碼須包含數字", "The password needs a digit"));
        }
        if self.require_special && !password.chars().any(is_special) {
            out.push(Msg::new(
                "密碼須包含特殊符號（例如 ! @ # $ %）",
                "The password needs a special character (e.g. ! @ # $ %)",
            ));
        }
        if !login.is_empty() && password.eq_ignore_ascii_case(login) {
            out.push(Msg::new(
                "密碼不可與帳號相同",
                "The password must not equal the login name",
            ));
        }
        out
    }

    /// Days left before the password expires, rounded up ("4 days 23
    /// hours" reads as 5), and negative exactly when it has expired; `None`
    /// when passwords never expire.
    pub fn days_left(
        &self,
        changed_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Option<i64> {
        if self.max_age_days == 0 {
            return None;
        }
        let secs = (self.expires_at(changed_at) - now).whole_seconds();
        Some(if secs > 0 {
            (secs + 86_399) / 86_400
        } else {
            secs.div_euclid(86_400).min(-1)
        })
    }

    /// True once the password is past its lifetime.
    pub fn is_expired(&self, changed_at: time::OffsetDateTime, now: time::OffsetDateTime) -> bool {
        self.max_age_days != 0 && now >= self.expires_at(changed_at)
    }

    fn expires_at(&self, changed_at: time::OffsetDateTime) -> time::OffsetDateTime {
        changed_at + time::Duration::days(i64::from(self.max_age_days))
    }
}

fn is_special(c: char) -> bool {
    c.is_ascii_punctuation() && !FORBIDDEN.contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    #[test]
    fn seed_policy_accepts_a_compliant_password() {
        assert!(p().check("Tainan#2024", "wang").is_empty());
    }

    #[test]
    fn seed_policy_length_is_8_to_15() {
        assert!(!p().check("Ab1#xyz", "wang").is_empty());
        assert!(p().check("Ab1#xyzw", "wang").is_empty());
        assert!(p().check("Ab1#xyzwxyzwxyz", "wang").is_empty());
        assert!(!p().check("Ab1#xyzwxyzwxyzw", "wang").is_empty());
    }

    #[test]
    fn seed_policy_requires_upper_lower_digit_special() {
        assert_eq!(p().check("ab1#abcdef", "wang").len(), 1);
        assert_eq!(p().check("AB1#ABCDEF", "wang").len(), 1);
        assert_eq!(p().check("Abc#abcdef", "wang").len(), 1);
        assert_eq!(p().check("Ab1cabcdef", "wang").len(), 1);
    }

    #[test]
    fn seed_policy_forbids_the_quote() {
        let errs = p().check("Ab1'abcdef", "wang");
        assert!(errs.iter().any(|m| m.zh.contains("單引號")));
    }

    #[test]
    fn seed_policy_forbids_the_login_name() {
        let errs = p().check("Wang#2024x", "wang#2024x");
        assert!(errs.iter().any(|m| m.en.contains("login name")));
    }

    #[test]
    fn days_left_counts_down_and_goes_negative() {
        let t0 = time::macros::datetime!(2026-01-01 00:00 UTC);
        assert_eq!(p().days_left(t0, t0), Some(90));
        assert_eq!(p().days_left(t0, t0 + time::Duration::days(20)), Some(70));
        assert_eq!(p().days_left(t0, t0 + time::Duration::days(91)), Some(-1));
        // Part of a day counts as a day while the password is valid …
        assert_eq!(
            p().days_left(t0, t0 + time::Duration::days(85) + time::Duration::hours(1)),
            Some(5)
        );
        assert_eq!(
            p().days_left(
                t0,
                t0 + time::Duration::days(90) - time::Duration::seconds(1)
            ),
            Some(1)
        );
        // … and the moment it expires, it is negative.
        assert_eq!(p().days_left(t0, t0 + time::Duration::days(90)), Some(-1));
        assert!(p().is_expired(t0, t0 + time::Duration::days(90)));
        assert!(!p().is_expired(
            t0,
            t0 + time::Duration::days(90) - time::Duration::seconds(1)
        ));
        let never = PasswordPolicy {
            max_age_days: 0,
            ..p()
        };
        assert_eq!(never.days_left(t0, t0), None);
    }

    #[test]
    fn default_policy_is_valid_and_nonsense_is_not() {
        assert!(p().validate().is_ok());
        assert!(
            PasswordPolicy {
                min_len: 20,
                max_len: 10,
                ..p()
            }
            .validate()
            .is_err()
        );
    }

    proptest! {
        #[test]
        fn check_agrees_with_the_rule(pw in "[ -~]{0,20}") {
            let ok = p().check(&pw, "someone").is_empty();
            let n = pw.chars().count();
            let expected = (8..=15).contains(&n)
                && !pw.contains('\'') && !pw.contains(' ')
                && pw.chars().any(|c| c.is_ascii_uppercase())
                && pw.chars().any(|c| c.is_ascii_lowercase())
                && pw.chars().any(|c| c.is_ascii_digit())
                && pw.chars().any(|c| c.is_ascii_punctuation() && c != '\'')
                && !pw.eq_ignore_ascii_case("someone");
            prop_assert_eq!(ok, expected);
        }

        #[test]
        fn check_never_panics(pw in "\\PC{0,40}") {
            let _ = p().check(&pw, "x");
        }
    }
}
