//! Messages a person reads, always in both of the product's languages.
use std::borrow::Cow;
use std::fmt;

/// The two languages the product speaks; Traditional Chinese first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    /// Parses a stored or submitted language code; anything unknown is zh-TW.
    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") || code.to_ascii_lowercase().starts_with("en-") {
            Lang::En
        } else {
            Lang::ZhTw
        }
    }
}

/// A user-facing message. Constructing one requires both languages, so no
/// message can exist in only one of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Msg {
    pub zh: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Msg {
    pub const fn new(zh: &'static str, en: &'static str) -> Msg {
        Msg {
            zh: Cow::Borrowed(zh),
            en: Cow::Borrowed(en),
        }
    }

    pub fn owned(zh: String, en: String) -> Msg {
        Msg {
            zh: Cow::Owned(zh),
            en: Cow::Owned(en),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhTw => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)
    }
}

impl AsRef<Msg> for Msg {
    fn as_ref(&self) -> &Msg {
        self
    }
}
