//! Agency and system mail accounts (004 §捌 五, §肆 四, §第二節 貳): one
//! 機關郵件帳號 per agency and any number of 資訊系統郵件帳號, each kept by
//! a custodian (保管人) who is a person of that agency. Applied for under
//! 線上申請作業, approved by the agency's admins, then provisioned in the
//! directory the mail system reads.
use crate::msg::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxKind {
    /// 機關郵件帳號: the agency's own address, one per agency.
    Agency,
    /// 資訊系統郵件帳號: an information system's address, many per agency.
    System,
}

impl MailboxKind {
    pub const ALL: [MailboxKind; 2] = [MailboxKind::Agency, MailboxKind::System];
    pub fn as_str(self) -> &'static str {
        match self {
            MailboxKind::Agency => "agency",
            MailboxKind::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<MailboxKind> {
        MailboxKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            MailboxKind::Agency => Msg::new("機關郵件帳號", "Agency mail account"),
            MailboxKind::System => Msg::new("資訊系統郵件帳號", "System mail account"),
        }
    }
    /// The 說明 beside the type on the application form (004 L4756).
    pub fn about(self) -> Msg {
        match self {
            MailboxKind::Agency => Msg::new(
                "以機關名義對外收發公文與通知的郵件帳號（例如機關總收發信箱）。每一機關僅能有一個機關郵件帳號，由申請人擔任保管人；保管人離職或調動前，須先將保管人移轉給同機關的其他人。",
                "The address the agency itself sends and receives from (e.g. its general mailbox). An agency has one; the applicant becomes its custodian, who must hand it to someone else in the agency before leaving or moving.",
            ),
            MailboxKind::System => Msg::new(
                "供資訊系統寄送通知或收取郵件使用的帳號（例如差勤系統的通知信箱）。每一機關可申請多個資訊系統郵件帳號，每個帳號由申請人擔任保管人，負責其密碼與狀態。",
                "An address an information system sends notices from or reads mail with (e.g. the attendance system's). An agency may have many; each is kept by its applicant, who looks after its password and state.",
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxState {
    /// Applied for, waiting for the agency admins.
    Pending,
    Active,
    Disabled,
    /// The application was not approved; the name is free again.
    Rejected,
}

impl MailboxState {
    pub const ALL: [MailboxState; 4] = [
        MailboxState::Pending,
        MailboxState::Active,
        MailboxState::Disabled,
        MailboxState::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MailboxState::Pending => "pending",
            MailboxState::Active => "active",
            MailboxState::Disabled => "disabled",
            MailboxState::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<MailboxState> {
        MailboxState::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            MailboxState::Pending => Msg::new("審核中", "Pending review"),
            MailboxState::Active => Msg::new("啟用", "Active"),
            MailboxState::Disabled => Msg::new("停用", "Disabled"),
            MailboxState::Rejected => Msg::new("未通過", "Not approved"),
        }
    }
    /// Whether the mail system lets it sign in (帳號登入許可狀態).
    pub fn may_sign_in(self) -> bool {
        self == MailboxState::Active
    }
    /// The state 我要停用 / 我要啟用 leads to, or why not.
    pub fn toggle(self, enable: bool) -> Result<MailboxState, Msg> {
        match (self, enable) {
            (MailboxState::Disabled, true) => Ok(MailboxState::Active),
            (MailboxState::Active, false) => Ok(MailboxState::Disabled),
            (MailboxState::Active, true) => Err(Msg::new(
                "此郵件帳號已是啟用狀態",
                "This mail account is active already",
            )),
            (MailboxState::Disabled, false) => Err(Msg::new(
                "此郵件帳號已是停用狀態",
                "This mail account is disabled already",
            )),
            (MailboxState::Pending | MailboxState::Rejected, _) => Err(Msg::new(
                "此郵件帳號尚未審核通過，不能變更狀態",
                "This mail account has not been approved; its state cannot change",
            )),
        }
    }
}

/// What a mail account's record (異動紀錄) holds. 資料異動紀錄 lists the
/// custodian and password changes; 帳號狀態紀錄, the state changes (004
/// L3010, L3043).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Custodian,
    Password,
    State,
}

impl LogKind {
    pub const ALL: [LogKind; 3] = [LogKind::Custodian, LogKind::Password, LogKind::State];
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Custodian => "custodian",
            LogKind::Password => "password",
            LogKind::State => "state",
        }
    }
    pub fn parse(s: &str) -> Option<LogKind> {
        LogKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            LogKind::Custodian => Msg::new("保管人異動", "Custodian change"),
            LogKind::Password => Msg::new("密碼異動", "Password change"),
            LogKind::State => Msg::new("帳號狀態異動", "State change"),
        }
    }
}

/// The two records of a mail account's edit page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// 資料異動紀錄: custodian and password changes.
    Data,
    /// 帳號狀態紀錄: state changes.
    State,
}

impl Record {
    pub fn parse(s: &str) -> Option<Record> {
        match s {
            "data" => Some(Record::Data),
            "state" => Some(Record::State),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Record::Data => "data",
            Record::State => "state",
        }
    }
    pub fn kinds(self) -> &'static [LogKind] {
        match self {
            Record::Data => &[LogKind::Custodian, LogKind::Password],
            Record::State => &[LogKind::State],
        }
    }
    pub fn label(self) -> Msg {
        match self {
            Record::Data => Msg::new("資料異動紀錄", "Data changes"),
            Record::State => Msg::new("帳號狀態紀錄", "State changes"),
        }
    }
}

/// The part of an address before `@`: 3 to 20 characters (AD's
/// `sAMAccountName` holds 20), lower-case letters, digits, `.`, `_` and
/// `-`, starting with a letter and ending with a letter or digit, no two
/// dots together. Upper case is folded.
pub fn check_local_part(s: &str) -> Result<String, Msg> {
    let s = s.trim().to_ascii_lowercase();
    let s = s.strip_suffix('@').unwrap_or(&s).to_owned();
    if s.contains('@') {
        return Err(Msg::new(
            "請只輸入 @ 之前的帳號部分，網域會自動加上",
            "Type only the part before @; the domain is added for you",
        ));
    }
    let n = s.chars().count();
    if !(3..=20).contains(&n) {
        return Err(Msg::new(
            "郵件帳號長度須為 3 至 20 個字元",
            "The mail account name must be 3 to 20 characters",
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Msg::new(
            "郵件帳號只能使用英文字母、數字及 . _ -",
            "The mail account name may use only letters, digits and . _ -",
        ));
    }
    let first = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let last = s
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first || !last || s.contains("..") {
        return Err(Msg::new(
            "郵件帳號須以英文字母開頭、以英文字母或數字結尾，且不可連續使用兩個句點",
            "The mail account name must start with a letter, end with a letter or digit, and have no two dots together",
        ));
    }
    Ok(s)
}

/// Names the mail system keeps for itself and nobody may apply for.
/// Portico's own logins may not be any of them either (a person's login is
/// their official address).
pub const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "postmaster",
    "post.master",
    "abuse",
    "hostmaster",
    "webmaster",
    "root",
    "noreply",
    "no-reply",
    "no_reply",
    "nobody",
    "info",
    "mailer-daemon",
    "mailer_daemon",
    "guest",
    "krbtgt",
    "defaultaccount",
    "wdagutilityaccount",
    "security",
    "support",
];

/// Whether a name is kept for the mail system or the directory.
pub fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name.to_ascii_lowercase().as_str())
}

/// The message for a local part somebody (or some account) has.
pub fn address_taken() -> Msg {
    Msg::new(
        "此郵件帳號已被使用，請改用其他名稱",
        "This mail account name is taken; choose another",
    )
}

/// The message for a second agency mail account.
pub fn agency_has_one() -> Msg {
    Msg::new(
        "您的機關已有機關郵件帳號（一個機關僅能有一個），如需使用請洽其保管人；或改申請資訊系統郵件帳號",
        "Your agency has its agency mail account already (one per agency); ask its custodian, or apply for a system mail account",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_part_rules() {
        assert_eq!(
            check_local_part(" Civil.Affairs ").as_deref(),
            Ok("civil.affairs")
        );
        assert_eq!(
            check_local_part("hr_system-2").as_deref(),
            Ok("hr_system-2")
        );
        assert!(check_local_part("ab").is_err());
        assert!(check_local_part(&"a".repeat(21)).is_err());
        assert!(check_local_part("1abc").is_err());
        assert!(check_local_part("abc.").is_err());
        assert!(check_local_part("a..bc").is_err());
        assert!(check_local_part("資訊室").is_err());
        assert!(check_local_part("abc@mail.tainan.gov.tw").is_err());
    }

    #[test]
    fn only_approved_accounts_toggle() {
        assert_eq!(
            MailboxState::Active.toggle(false),
            Ok(MailboxState::Disabled)
        );
        assert_eq!(
            MailboxState::Disabled.toggle(true),
            Ok(MailboxState::Active)
        );
        assert!(MailboxState::Active.toggle(true).is_err());
        assert!(MailboxState::Pending.toggle(true).is_err());
        assert!(MailboxState::Rejected.toggle(false).is_err());
    }

    #[test]
    fn records_split_the_log_as_the_seed_does() {
        assert_eq!(
            Record::Data.kinds(),
            &[LogKind::Custodian, LogKind::Password]
        );
        assert_eq!(Record::State.kinds(), &[LogKind::State]);
    }
}
