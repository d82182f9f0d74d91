//! 檔案下載區 (issue 17; seed 004 §伍 三): files staff share with the whole
//! city or their own agency, each with its 使用說明, a 主類別 and a 發布範圍,
//! and the 保留 flag the clean-up after the new portal goes live reads.
use crate::error::{Collector, Error};
use crate::msg::Msg;
use crate::richtext::strip_markup;

/// The most files one entry holds, and the largest.
pub const MAX_FILES: usize = 10;
pub const MAX_FILE: usize = 30 * 1024 * 1024;
/// The longest 使用說明.
pub const DESCRIPTION_CHARS: usize = 500;

/// 主類別: the city's categories of shared files.
pub const CATEGORIES: [(&str, &str, &str); 8] = [
    ("forms", "表單範本", "Form templates"),
    ("rules", "法規及規定", "Rules and regulations"),
    ("manuals", "系統操作手冊", "System manuals"),
    ("training", "教育訓練教材", "Training material"),
    ("meetings", "會議資料", "Meeting papers"),
    ("promotion", "宣導資料", "Campaign material"),
    ("budget", "預算及會計", "Budget and accounting"),
    ("other", "其他", "Other"),
];

pub fn category_label(key: &str) -> Msg {
    CATEGORIES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| Msg::new(zh, en))
        .unwrap_or(Msg::new("其他", "Other"))
}

/// 發布範圍.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// 全府: everyone signed in.
    City,
    /// 本機關: the people of the uploader's agency (and its units).
    Agency,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::City => "city",
            Scope::Agency => "agency",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim() {
            "city" => Some(Scope::City),
            "agency" => Some(Scope::Agency),
            _ => None,
        }
    }
    pub fn label(self) -> Msg {
        match self {
            Scope::City => Msg::new("全府", "Whole city"),
            Scope::Agency => Msg::new("本機關", "This agency"),
        }
    }
}

/// An entry as its form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DownloadInput {
    /// 使用說明.
    pub description: String,
    /// 主類別's key.
    pub category: String,
    /// 發布範圍: `city` or `agency`.
    pub scope: String,
}

/// A checked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub description: String,
    pub category: &'static str,
    pub scope: Scope,
}

impl DownloadInput {
    pub fn check(&self) -> Result<Download, Error> {
        let mut c = Collector::new();
        let description = strip_markup(self.description.trim()).trim().to_owned();
        let n = description.chars().count();
        if n == 0 {
            c.push(
                "description",
                Msg::new(
                    "請填寫使用說明，讓同仁知道這個檔案的用途",
                    "Describe the file, so colleagues know what it is for",
                ),
            );
        } else if n > DESCRIPTION_CHARS {
            c.push(
                "description",
                Msg::owned(
                    format!("使用說明不可超過 {DESCRIPTION_CHARS} 字（目前 {n} 字）"),
                    format!(
                        "The description may be {DESCRIPTION_CHARS} characters at most ({n} now)"
                    ),
                ),
            );
        } else if description
            .chars()
            .any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t')
        {
            c.push(
                "description",
                Msg::new(
                    "使用說明不可包含控制字元",
                    "The description must not contain control characters",
                ),
            );
        }
        let category = CATEGORIES
            .iter()
            .find(|(k, _, _)| *k == self.category.trim())
            .map(|(k, _, _)| *k);
        if category.is_none() {
            c.push("category", Msg::new("請選擇主類別", "Choose a category"));
        }
        let scope = Scope::parse(&self.scope);
        if scope.is_none() {
            c.push(
                "scope",
                Msg::new(
                    "請選擇發布範圍：全府或本機關",
                    "Choose who sees it: the whole city or this agency",
                ),
            );
        }
        c.finish()?;
        match (category, scope) {
            (Some(category), Some(scope)) => Ok(Download {
                description,
                category,
                scope,
            }),
            _ => Err(Error::internal("a checked entry lacks a field")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Error) -> Vec<&'static str> {
        match e {
            Error::Invalid(v) => v.iter().map(|f| f.field).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn an_entry_needs_its_description_category_and_scope() {
        let ok = DownloadInput {
            description: "  <b>差旅費</b>報支單（115 年版） ".into(),
            category: "forms".into(),
            scope: "agency".into(),
        }
        .check()
        .unwrap();
        assert_eq!(
            ok.description, "差旅費報支單（115 年版）",
            "markup stripped"
        );
        assert_eq!((ok.category, ok.scope), ("forms", Scope::Agency));
        let e = DownloadInput::default().check().unwrap_err();
        assert_eq!(fields(e), vec!["description", "category", "scope"]);
        let long = DownloadInput {
            description: "字".repeat(DESCRIPTION_CHARS + 1),
            category: "weather".into(),
            scope: "world".into(),
        };
        assert_eq!(
            fields(long.check().unwrap_err()),
            vec!["description", "category", "scope"]
        );
    }
}
