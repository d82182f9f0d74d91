//! Accounts: their states and the rules of sign-in and lockout.
use crate::msg::Msg;
use time::{Duration, OffsetDateTime};

/// The life of an account. 004 §(三): application → agency admin review →
/// activation by the applicant; disabled accounts come back by reinstatement.
/// Being locked is not a state: it is a time limit on an active account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// 待審核: applied, waiting for the agency admin.
    Pending,
    /// 待開通: approved, waiting for the person to set a password.
    Approved,
    /// 啟用: may sign in.
    Active,
    /// 停用: disabled by an admin, by idleness or by an agency change.
    Disabled,
    /// 申請退回: the application was rejected; the applicant may correct it
    /// and submit it again (修改個人帳號申請內容).
    Rejected,
    /// 註銷: the person left the post (002 §五, §六 (三) 4). The account
    /// keeps its records, signs in nowhere and comes back never; its login
    /// and backup e-mail stay taken; its signed forms are destroyed a year
    /// on (002 §六 (一)).
    Cancelled,
}

impl AccountState {
    pub const ALL: [AccountState; 6] = [
        AccountState::Pending,
        AccountState::Approved,
        AccountState::Active,
        AccountState::Disabled,
        AccountState::Rejected,
        AccountState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Pending => "pending",
            AccountState::Approved => "approved",
            AccountState::Active => "active",
            AccountState::Disabled => "disabled",
            AccountState::Rejected => "rejected",
            AccountState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<AccountState> {
        AccountState::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> Msg {
        match self {
            AccountState::Pending => Msg::new("待審核", "Pending review"),
            AccountState::Approved => Msg::new("待開通", "Awaiting activation"),
            AccountState::Active => Msg::new("啟用", "Active"),
            AccountState::Disabled => Msg::new("停用", "Disabled"),
            AccountState::Rejected => Msg::new("申請退回", "Application rejected"),
            AccountState::Cancelled => Msg::new("已註銷", "Cancelled"),
        }
    }

    /// An admin disables the account. Only active or approved accounts can be
    /// disabled; the "only agency admin" guard is checked by the caller,
    /// which knows the agency.
    pub fn disable(self) -> Result<AccountState, Msg> {
        match self {
            AccountState::Active | AccountState::Approved => Ok(AccountState::Disabled),
            AccountState::Disabled => Err(Msg::new(
                "此帳號已是停用狀態",
                "This account is already disabled",
            )),
            AccountState::Cancelled => Err(Msg::new(
                "此帳號已註銷，無法停用",
                "This account is cancelled",
            )),
            AccountState::Pending | AccountState::Rejected => Err(Msg::new(
                "帳號申請請於待簽核中核准或退回，無法停用",
                "An application is approved or rejected in the review queue, not disabled",
            )),
        }
    }

    /// 帳號註銷: an account in use, or disabled, is cancelled for good. An
    /// application is withdrawn or rejected instead.
    pub fn cancel(self) -> Result<AccountState, Msg> {
        match self {
            AccountState::Active | AccountState::Approved | AccountState::Disabled => {
                Ok(AccountState::Cancelled)
            }
            AccountState::Cancelled => Err(Msg::new(
                "此帳號已註銷",
                "This account is already cancelled",
            )),
            AccountState::Pending | AccountState::Rejected => Err(Msg::new(
                "帳號申請請於待簽核中核准或退回，無法註銷",
                "An application is approved or rejected in the review queue, not cancelled",
            )),
        }
    }

    /// An admin enables a disabled account. Without a password it goes back to
    /// awaiting activation, so the person sets one.
    pub fn enable(self, has_password: bool) -> Result<AccountState, Msg> {
        match self {
            AccountState::Disabled if has_password => Ok(AccountState::Active),
            AccountState::Disabled => Ok(AccountState::Approved),
            _ => Err(Msg::new(
                "只有停用的帳號可以啟用",
                "Only a disabled account can be enabled",
            )),
        }
    }
}

/// Why a sign-in with correct credentials is still refused, with what the
/// person should do next. 004 §第一節.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInRefusal {
    Locked { until: OffsetDateTime },
    Disabled,
    Pending,
    AwaitingActivation,
    Rejected,
    Cancelled,
}

impl SignInRefusal {
    pub fn message(&self) -> Msg {
        match self {
            SignInRefusal::Locked { until } => Msg::owned(
                format!(
                    "帳號因多次登入失敗已暫時鎖定，請於 {} 後再試，或洽機關管理者解除鎖定。",
                    crate::time::display(*until)
                ),
                format!(
                    "The account is locked after repeated failed sign-ins. Try again after {}, or ask your agency administrator to unlock it.",
                    crate::time::display(*until)
                ),
            ),
            SignInRefusal::Disabled => Msg::new(
                "帳號已停用。如需繼續使用，請至「個人帳號復用」提出申請，或洽機關管理者。",
                "The account is disabled. To use it again, apply for reinstatement or contact your agency administrator.",
            ),
            SignInRefusal::Pending => Msg::new(
                "帳號申請尚在審核中，請待機關管理者審核通過後再登入。",
                "Your application is still under review. Sign in once your agency administrator approves it.",
            ),
            SignInRefusal::AwaitingActivation => Msg::new(
                "帳號已核准但尚未開通，請先至「開通帳號」設定密碼。",
                "Your account is approved but not activated yet. Activate it and set a password first.",
            ),
            SignInRefusal::Rejected => Msg::new(
                "帳號申請未通過審核，請至「修改個人帳號申請內容」修正後重新送出。",
                "Your application was not approved. Correct it under 'Modify my application' and submit it again.",
            ),
            SignInRefusal::Cancelled => Msg::new(
                "帳號已註銷，無法再登入；如有疑問請洽機關管理者。",
                "The account is cancelled and signs in nowhere; ask your agency administrator if anything is unclear.",
            ),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SignInRefusal::Locked { .. } => "locked",
            SignInRefusal::Disabled => "disabled",
            SignInRefusal::Pending => "pending",
            SignInRefusal::AwaitingActivation => "awaiting_activation",
            SignInRefusal::Rejected => "rejected",
            SignInRefusal::Cancelled => "cancelled",
        }
    }
}

/// Decides whether an account may sign in at all, before any password is
/// compared. Locking is checked first: a locked account learns nothing more.
pub fn sign_in_gate(
    state: AccountState,
    locked_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), SignInRefusal> {
    if state == AccountState::Cancelled {
        return Err(SignInRefusal::Cancelled);
    }
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Err(SignInRefusal::Locked { until });
    }
    match state {
        AccountState::Active => Ok(()),
        AccountState::Disabled => Err(SignInRefusal::Disabled),
        AccountState::Pending => Err(SignInRefusal::Pending),
        AccountState::Approved => Err(SignInRefusal::AwaitingActivation),
        AccountState::Rejected => Err(SignInRefusal::Rejected),
        AccountState::Cancelled => Err(SignInRefusal::Cancelled),
    }
}

/// Lockout after repeated failures. Security baseline: at least 15 minutes
/// after 5 failures; both numbers are system parameters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window_minutes: u32,
    pub lock_minutes: u32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window_minutes: 15,
            lock_minutes: 15,
        }
    }
}

/// The failure counter of an account after one more failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub window_start: OffsetDateTime,
    pub locked_until: Option<OffsetDateTime>,
}

impl LockoutPolicy {
    pub fn validate(&self) -> Result<(), Vec<(&'static str, Msg)>> {
        let mut errs = Vec::new();
        if !(1..=100).contains(&self.max_failures) {
            errs.push((
                "max_failures",
                Msg::new(
                    "失敗次數上限須介於 1 至 100",
                    "Failures before lockout must be between 1 and 100",
                ),
            ));
        }
        if !(1..=1440).contains(&self.window_minutes) {
            errs.push((
                "window_minutes",
                Msg::new(
                    "計算期間須介於 1 至 1440 分鐘",
                    "The counting window must be 1 to 1440 minutes",
                ),
            ));
        }
        // The security baseline asks for at least 15 minutes.
        if !(15..=1440).contains(&self.lock_minutes) {
            errs.push((
                "lock_minutes",
                Msg::new(
                    "鎖定時間須介於 15 至 1440 分鐘",
                    "The lock must last 15 to 1440 minutes",
                ),
            ));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// Counts one more failure. Failures older than the window start a new
    /// count; reaching the maximum within the window locks the account.
    pub fn register_failure(
        &self,
        previous: Option<(u32, OffsetDateTime)>,
        now: OffsetDateTime,
    ) -> Failures {
        let window = Duration::minutes(i64::from(self.window_minutes));
        let (count, window_start) = match previous {
            Some((n, start)) if now - start < window => (n + 1, start),
            _ => (1, now),
        };
        let locked_until = (count >= self.max_failures)
            .then(|| now + Duration::minutes(i64::from(self.lock_minutes)));
        Failures {
            count,
            window_start,
            locked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn five_failures_within_15_minutes_lock_for_15_minutes() {
        let p = LockoutPolicy::default();
        let t0 = datetime!(2026-11-23 09:00 UTC);
        let mut prev = None;
        for i in 0..4 {
            let f = p.register_failure(prev, t0 + Duration::minutes(i * 3));
            assert_eq!(f.locked_until, None, "failure {}", i + 1);
            prev = Some((f.count, f.window_start));
        }
        let f = p.register_failure(prev, t0 + Duration::minutes(14));
        assert_eq!(f.count, 5);
        assert_eq!(f.locked_until, Some(t0 + Duration::minutes(29)));
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let p = LockoutPolicy::default();
        let t0 = datetime!(2026-11-23 09:00 UTC);
        let f = p.register_failure(Some((4, t0)), t0 + Duration::minutes(16));
        assert_eq!((f.count, f.locked_until), (1, None));
    }

    #[test]
    fn locked_account_is_refused_until_the_lock_ends() {
        let now = datetime!(2026-11-23 09:00 UTC);
        let until = now + Duration::minutes(10);
        assert_eq!(
            sign_in_gate(AccountState::Active, Some(until), now),
            Err(SignInRefusal::Locked { until })
        );
        assert_eq!(
            sign_in_gate(AccountState::Active, Some(until), until),
            Ok(())
        );
    }

    #[test]
    fn disabled_pending_and_unactivated_accounts_are_told_why() {
        let now = datetime!(2026-11-23 09:00 UTC);
        for (s, code) in [
            (AccountState::Disabled, "disabled"),
            (AccountState::Pending, "pending"),
            (AccountState::Approved, "awaiting_activation"),
        ] {
            let r = sign_in_gate(s, None, now).unwrap_err();
            assert_eq!(r.code(), code);
            assert!(!r.message().zh.is_empty() && !r.message().en.is_empty());
        }
    }

    #[test]
    fn lockout_below_15_minutes_is_refused_by_the_baseline() {
        assert!(
            LockoutPolicy {
                lock_minutes: 10,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn state_transitions() {
        assert_eq!(AccountState::Active.disable(), Ok(AccountState::Disabled));
        assert!(AccountState::Disabled.disable().is_err());
        assert!(AccountState::Pending.disable().is_err());
        assert_eq!(
            AccountState::Disabled.enable(true),
            Ok(AccountState::Active)
        );
        assert_eq!(
            AccountState::Disabled.enable(false),
            Ok(AccountState::Approved)
        );
        assert!(AccountState::Active.enable(true).is_err());
    }
}
