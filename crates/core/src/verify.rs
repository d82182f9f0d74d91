//! Proving who you are before a signed-out step (apply, activate, forgot
//! password, reinstate): a one-time code sent to an address the person
//! controls. Other methods (citizen certificate, mobile ID) plug in beside
//! it as further [`Method`]s.
use crate::msg::Msg;
use time::Duration;

/// Codes are six digits. Issue 3 / security baseline: single use, short
/// lived, few tries, and sending is rate-limited.
pub const CODE_DIGITS: usize = 6;
pub const CODE_TTL: Duration = Duration::minutes(10);
pub const MAX_TRIES: u32 = 5;
/// Codes sent to one address within [`SEND_WINDOW`].
pub const MAX_SENDS_PER_ADDRESS: i64 = 5;
/// Codes sent for one client address within [`SEND_WINDOW`].
pub const MAX_SENDS_PER_IP: i64 = 20;
/// Codes sent for one address inside the government network within
/// [`SEND_WINDOW`]: an office's staff may share one.
pub const MAX_SENDS_PER_INTERNAL_IP: i64 = 500;
pub const SEND_WINDOW: Duration = Duration::hours(1);
/// After a code is accepted, the next step must be finished within this.
pub const VERIFIED_TTL: Duration = Duration::minutes(30);

/// What a code is for; a code for one purpose never proves another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Verify a backup e-mail before applying for an account.
    Apply,
    /// Verify again to modify a pending application.
    ModifyApplication,
    /// Verify before setting the first password (開通帳號).
    Activate,
    /// Verify before setting a new password (忘記密碼).
    ResetPassword,
    /// Verify before applying for reinstatement (帳號復用).
    Reinstate,
    /// Verify before looking up the agency's administrators.
    FindAdmins,
    /// Confirm a new backup e-mail or mobile phone of a signed-in person.
    BindAddress,
    /// A custodian who forgot a mail account's password (004 L2975).
    MailboxPassword,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Purpose::Apply,
        Purpose::ModifyApplication,
        Purpose::Activate,
        Purpose::ResetPassword,
        Purpose::Reinstate,
        Purpose::FindAdmins,
        Purpose::BindAddress,
        Purpose::MailboxPassword,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Apply => "apply",
            Purpose::ModifyApplication => "modify",
            Purpose::Activate => "activate",
            Purpose::ResetPassword => "reset",
            Purpose::Reinstate => "reinstate",
            Purpose::FindAdmins => "find_admins",
            Purpose::BindAddress => "bind",
            Purpose::MailboxPassword => "mailbox_password",
        }
    }
    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// What the person is doing, for the mail that carries the code.
    pub fn label(self) -> Msg {
        match self {
            Purpose::Apply => Msg::new("申請帳號", "account application"),
            Purpose::ModifyApplication => Msg::new("修改帳號申請", "changing your application"),
            Purpose::Activate => Msg::new("開通帳號", "account activation"),
            Purpose::ResetPassword => Msg::new("忘記密碼", "password reset"),
            Purpose::Reinstate => Msg::new("帳號復用", "account reinstatement"),
            Purpose::FindAdmins => Msg::new("機關管理員查詢", "finding your administrators"),
            Purpose::BindAddress => Msg::new("綁定聯絡資料", "confirming contact details"),
            Purpose::MailboxPassword => {
                Msg::new("郵件帳號重設密碼", "resetting a mail account's password")
            }
        }
    }
}

/// How a signed-out person proves who they are in an account flow, and
/// what they type for it (004 L570–L935): the certificate card (its PIN),
/// mobile ID (the 身分證字號 its push goes to), a code to the backup
/// e-mail (the address and a captcha), a code by SMS to the bound mobile
/// (the number and a captcha).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Card,
    MobileId,
    EmailCode,
    SmsCode,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Card => "card",
            Check::MobileId => "mobile_id",
            Check::EmailCode => "email",
            Check::SmsCode => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<Check> {
        [
            Check::Card,
            Check::MobileId,
            Check::EmailCode,
            Check::SmsCode,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Check::Card => Msg::new("使用自然人憑證", "Citizen certificate card"),
            Check::MobileId => Msg::new("使用行動自然人憑證", "Mobile ID"),
            Check::EmailCode => Msg::new("使用備用信箱", "Backup e-mail"),
            Check::SmsCode => Msg::new("使用手機簡訊", "SMS to my mobile"),
        }
    }
    /// Whether the step sends a code (and so asks for a captcha first).
    pub fn sends_code(self) -> bool {
        matches!(self, Check::EmailCode | Check::SmsCode)
    }
}

impl Purpose {
    /// The checks an account flow offers, in the seed's order: 開通帳號,
    /// 帳號復用 and 機關管理員查詢 by mobile ID or the backup e-mail (004
    /// L570, L1639, L1732); 忘記密碼 also by the card and by SMS (L791).
    pub fn checks(self) -> &'static [Check] {
        match self {
            Purpose::ResetPassword => &[
                Check::Card,
                Check::MobileId,
                Check::EmailCode,
                Check::SmsCode,
            ],
            Purpose::Activate | Purpose::Reinstate | Purpose::FindAdmins => {
                &[Check::MobileId, Check::EmailCode]
            }
            Purpose::Apply
            | Purpose::ModifyApplication
            | Purpose::BindAddress
            | Purpose::MailboxPassword => &[],
        }
    }
}

/// Checks the shape of a typed code: six digits, spaces ignored.
pub fn parse_code(input: &str) -> Result<String, Msg> {
    let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() == CODE_DIGITS && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s)
    } else {
        Err(Msg::new("驗證碼為 6 位數字", "The code is 6 digits"))
    }
}

/// Why a typed code was not accepted. Deliberately the same words whether
/// the code was wrong, expired or never sent, so nothing is revealed.
pub fn code_refused() -> Msg {
    Msg::new(
        "驗證碼錯誤或已失效；請核對後再輸入一次，或重新取得驗證碼",
        "The code is wrong or no longer valid; check it and type it again, or request a new one",
    )
}

pub fn too_many_sends() -> Msg {
    Msg::new(
        "驗證碼寄送次數過多，請一小時後再試",
        "Too many codes were requested; try again in an hour",
    )
}

/// 004 §參: the backup e-mail may not be on the official mail domain (it is
/// how a person gets in when the official account is unavailable).
pub fn check_backup_email(email: &crate::text::Email, official_domain: &str) -> Result<(), Msg> {
    let d = email.domain();
    let official = official_domain.trim().to_ascii_lowercase();
    if !official.is_empty() && (d == official || d.ends_with(&format!(".{official}"))) {
        return Err(Msg::owned(
            format!("備用電子郵件不可使用公務信箱（{official}）"),
            format!("The backup e-mail cannot be an official address ({official})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Email;

    #[test]
    fn account_flows_offer_the_seeds_checks() {
        // 004 L570: 開通帳號 by mobile ID or the backup e-mail; L791: 忘記密碼
        // by card, mobile ID, backup e-mail or SMS; L1639, L1732 as L570.
        use Check::*;
        assert_eq!(Purpose::Activate.checks(), &[MobileId, EmailCode]);
        assert_eq!(Purpose::Reinstate.checks(), &[MobileId, EmailCode]);
        assert_eq!(Purpose::FindAdmins.checks(), &[MobileId, EmailCode]);
        assert_eq!(
            Purpose::ResetPassword.checks(),
            &[Card, MobileId, EmailCode, SmsCode]
        );
        for c in [Card, MobileId, EmailCode, SmsCode] {
            assert_eq!(Check::parse(c.as_str()), Some(c));
        }
        assert!(EmailCode.sends_code() && SmsCode.sends_code() && !MobileId.sends_code());
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_code(" 123 456 ").as_deref(), Ok("123456"));
        for bad in ["12345", "1234567", "12345a", "", "１２３４５６"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn backup_email_must_not_be_on_the_official_mail_domain() {
        let official = "mail.tainan.gov.tw";
        for bad in [
            "a@mail.tainan.gov.tw",
            "a@MAIL.tainan.gov.tw",
            "a@x.mail.tainan.gov.tw",
        ] {
            let e = Email::parse(bad).unwrap();
            assert!(check_backup_email(&e, official).is_err(), "{bad}");
        }
        for ok in [
            "a@gmail.com",
            "a@tainan.gov.tw",
            "a@notmail.tainan.gov.tw.example",
        ] {
            let e = Email::parse(ok).unwrap();
            assert!(check_backup_email(&e, official).is_ok(), "{ok}");
        }
    }

    #[test]
    fn purposes_round_trip() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
    }
}
