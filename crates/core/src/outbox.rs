//! The durable outbox: what a message is, and when a failed delivery is
//! tried again.
use crate::msg::Msg;
use time::Duration;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Mail,
    Sms,
    /// A back-channel logout token POSTed to an application (OpenID
    /// Connect Back-Channel Logout 1.0): the recipient is its logout URI,
    /// the subject its client id, the body the session's `sid`.
    Logout,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Mail => "mail",
            Channel::Sms => "sms",
            Channel::Logout => "logout",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        [Channel::Mail, Channel::Sms, Channel::Logout]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            Channel::Mail => Msg::new("電子郵件", "E-mail"),
            Channel::Sms => Msg::new("簡訊", "SMS"),
            Channel::Logout => Msg::new("登出通知", "Logout notice"),
        }
    }
}

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first try, or for its next retry.
    Pending,
    /// Delivered to the peer (the SMTP server, the SMS carrier).
    Sent,
    /// Given up after [`MAX_ATTEMPTS`] tries, or refused for good by the
    /// peer; an admin may send it again.
    Failed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 3] = [
        DeliveryState::Pending,
        DeliveryState::Sent,
        DeliveryState::Failed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|c| c.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            DeliveryState::Pending => Msg::new("待送出", "Pending"),
            DeliveryState::Sent => Msg::new("已送出", "Sent"),
            DeliveryState::Failed => Msg::new("失敗", "Failed"),
        }
    }
}

/// Tries before a message is marked failed: with [`backoff`] they span
/// about twelve hours, so a peer down overnight loses nothing.
pub const MAX_ATTEMPTS: u32 = 12;

/// The wait before try `attempt + 1` after `attempt` failed tries:
/// 30 s doubling each time, capped at 4 hours.
pub fn backoff(attempts: u32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    Duration::seconds(secs.min(4 * 3600))
}

/// How long a worker owns a claimed message before another node may take
/// it (a node that died mid-delivery).
pub const LEASE: Duration = Duration::seconds(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30_seconds_and_stops_at_4_hours() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(10), Duration::hours(4));
        assert_eq!(backoff(40), Duration::hours(4));
    }

    #[test]
    fn retries_span_about_twelve_hours_before_giving_up() {
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| backoff(a).whole_seconds()).sum();
        assert!((10 * 3600..24 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn states_and_channels_round_trip() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(s));
        }
        assert_eq!(Channel::parse("sms"), Some(Channel::Sms));
        assert_eq!(Channel::parse("fax"), None);
    }
}
