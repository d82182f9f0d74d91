//! Requests an administrator reviews (待簽核). 004 §(三) and 002 §五: a new
//! account, a reinstatement (復用), an agency change (機關(單位)異動) and an
//! admin-rights request (機關管理者申請) each wait for a decision, which is
//! made once: two admins deciding at once, one of them is told it is done.
use crate::account::AccountState;
use crate::msg::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 個人帳號申請: a new account.
    NewAccount,
    /// 個人帳號復用: a disabled account asks to come back.
    Reinstate,
    /// 機關(單位)異動: moving to another agency or unit.
    AgencyChange,
    /// 權限異動: a general user asks to become the agency's administrator.
    AdminRights,
    /// 機關及資訊系統帳號申請: an agency or system mail account.
    Mailbox,
    /// 帳號註銷: the person leaves the post (002 §五).
    Cancel,
}

impl RequestKind {
    pub const ALL: [RequestKind; 6] = [
        RequestKind::NewAccount,
        RequestKind::Reinstate,
        RequestKind::AgencyChange,
        RequestKind::AdminRights,
        RequestKind::Mailbox,
        RequestKind::Cancel,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::NewAccount => "new_account",
            RequestKind::Reinstate => "reinstate",
            RequestKind::AgencyChange => "agency_change",
            RequestKind::AdminRights => "admin_rights",
            RequestKind::Mailbox => "mailbox",
            RequestKind::Cancel => "cancel",
        }
    }
    pub fn parse(s: &str) -> Option<RequestKind> {
        RequestKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            RequestKind::NewAccount => Msg::new("帳號申請", "New account"),
            RequestKind::Reinstate => Msg::new("帳號復用", "Reinstatement"),
            RequestKind::AgencyChange => Msg::new("機關(單位)異動", "Agency change"),
            RequestKind::AdminRights => Msg::new("機關管理者申請", "Admin rights"),
            RequestKind::Mailbox => Msg::new("機關及資訊系統帳號申請", "Mail account"),
            RequestKind::Cancel => Msg::new("帳號註銷", "Account cancellation"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Pending,
    Approved,
    Rejected,
}

impl RequestState {
    pub const ALL: [RequestState; 3] = [
        RequestState::Pending,
        RequestState::Approved,
        RequestState::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            RequestState::Pending => Msg::new("待審核", "Pending"),
            RequestState::Approved => Msg::new("審核通過", "Approved"),
            RequestState::Rejected => Msg::new("退回", "Rejected"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
    pub fn label(self) -> Msg {
        match self {
            Decision::Approve => Msg::new("通過", "Approve"),
            Decision::Reject => Msg::new("退回", "Reject"),
        }
    }
}

/// The state the applicant's account is in while a request of this kind
/// waits: a decision applies only to an account still in it.
pub fn waiting_state(kind: RequestKind) -> AccountState {
    match kind {
        RequestKind::NewAccount => AccountState::Pending,
        RequestKind::Reinstate | RequestKind::AgencyChange => AccountState::Disabled,
        RequestKind::AdminRights | RequestKind::Mailbox | RequestKind::Cancel => {
            AccountState::Active
        }
    }
}

/// The message for an account that changed while its request waited.
pub fn account_changed() -> Msg {
    Msg::new(
        "申請人的帳號狀態已在審核期間變更，此申請無法通過，請退回",
        "The applicant's account changed while the request waited; it cannot be approved, reject it",
    )
}

/// The message for a request somebody else decided first.
pub fn already_decided() -> Msg {
    Msg::new(
        "此申請已由其他管理者審核完成，請重新整理清單",
        "Another administrator has already decided this request; reload the list",
    )
}

/// A pending request and the decision taken on it: what becomes of the
/// request and of the account. The account's state is the one it had when
/// the request was made (`from_state`) where a rejection restores it.
pub fn decide(
    kind: RequestKind,
    state: RequestState,
    decision: Decision,
    from_state: Option<AccountState>,
) -> Result<(RequestState, Option<AccountState>), Msg> {
    if state != RequestState::Pending {
        return Err(already_decided());
    }
    Ok(match (kind, decision) {
        // 004 §(三): approved applications wait for the applicant to activate.
        (RequestKind::NewAccount, Decision::Approve) => {
            (RequestState::Approved, Some(AccountState::Approved))
        }
        (RequestKind::NewAccount, Decision::Reject) => {
            (RequestState::Rejected, Some(AccountState::Rejected))
        }
        // 004 §伍: a reinstated account is activated again by its owner.
        (RequestKind::Reinstate, Decision::Approve) => {
            (RequestState::Approved, Some(AccountState::Approved))
        }
        (RequestKind::Reinstate, Decision::Reject) => {
            (RequestState::Rejected, Some(AccountState::Disabled))
        }
        // 004 §(三): the account was disabled when the change was asked;
        // approval lets it sign in again in the new unit, rejection returns
        // it to its old unit and state.
        (RequestKind::AgencyChange, Decision::Approve) => {
            (RequestState::Approved, Some(AccountState::Active))
        }
        (RequestKind::AgencyChange, Decision::Reject) => (
            RequestState::Rejected,
            Some(from_state.unwrap_or(AccountState::Active)),
        ),
        // Rights change the role, not the account's state.
        (RequestKind::AdminRights, Decision::Approve) => (RequestState::Approved, None),
        (RequestKind::AdminRights, Decision::Reject) => (RequestState::Rejected, None),
        // A mail account opens or not; the applicant's account is as it was.
        (RequestKind::Mailbox, Decision::Approve) => (RequestState::Approved, None),
        (RequestKind::Mailbox, Decision::Reject) => (RequestState::Rejected, None),
        // 002 §五: the account is cancelled once its admin agrees.
        (RequestKind::Cancel, Decision::Approve) => {
            (RequestState::Approved, Some(AccountState::Cancelled))
        }
        (RequestKind::Cancel, Decision::Reject) => (RequestState::Rejected, None),
    })
}

/// A reviewer's note: optional on approval, required on rejection (the
/// applicant is told why).
pub fn check_note(decision: Decision, note: &str) -> Result<String, Msg> {
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(Msg::new(
            "審核說明不可超過 200 字",
            "The note is at most 200 characters",
        ));
    }
    if decision == Decision::Reject && note.is_empty() {
        return Err(Msg::new(
            "退回時請填寫審核說明，讓申請人知道原因",
            "Give a note when rejecting, so the applicant knows why",
        ));
    }
    Ok(note.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_approve_then_activate_and_reject_is_correctable() {
        let (r, a) = decide(
            RequestKind::NewAccount,
            RequestState::Pending,
            Decision::Approve,
            Some(AccountState::Pending),
        )
        .unwrap();
        assert_eq!(
            (r, a),
            (RequestState::Approved, Some(AccountState::Approved))
        );
        let (r, a) = decide(
            RequestKind::NewAccount,
            RequestState::Pending,
            Decision::Reject,
            Some(AccountState::Pending),
        )
        .unwrap();
        assert_eq!(
            (r, a),
            (RequestState::Rejected, Some(AccountState::Rejected))
        );
    }

    #[test]
    fn a_request_is_decided_once() {
        for s in [RequestState::Approved, RequestState::Rejected] {
            for d in [Decision::Approve, Decision::Reject] {
                assert_eq!(
                    decide(RequestKind::NewAccount, s, d, None),
                    Err(already_decided())
                );
            }
        }
    }

    #[test]
    fn agency_change_rejection_restores_the_old_state() {
        let (_, a) = decide(
            RequestKind::AgencyChange,
            RequestState::Pending,
            Decision::Reject,
            Some(AccountState::Active),
        )
        .unwrap();
        assert_eq!(a, Some(AccountState::Active));
    }

    #[test]
    fn rejection_needs_a_note() {
        assert!(check_note(Decision::Reject, "  ").is_err());
        assert_eq!(check_note(Decision::Approve, "").as_deref(), Ok(""));
        assert!(check_note(Decision::Approve, &"字".repeat(201)).is_err());
    }
}
