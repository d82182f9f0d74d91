//! Repair requests (issue 16; seed 004 §捌 一 線上報修, §玖 六 報修類型管理,
//! 表 2 報修處理狀況回報, 圖 17): a repair type names where it may be
//! reported (所在地 with its floors), who may report, its categories (分類)
//! and its repair staff; a report is a place, a floor and the fault; the
//! staff reply with the result and a category; the reporter rates it or
//! returns it with a reason, and the returns are counted.
use crate::booking::{Borrowers, check_borrowers, check_contact, text_in};
use crate::error::{Error, FieldError};
use crate::msg::Msg;

/// Where a repair type may be reported: a place and its floors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub location: String,
    pub floors: Vec<String>,
}

/// The most places a type lists, and floors a place has.
pub const MAX_PLACES: usize = 50;
pub const MAX_FLOORS: usize = 200;

fn fe(field: &'static str, message: Msg) -> FieldError {
    FieldError { field, message }
}

/// A field's fault said in its own words rather than the generic ones.
fn said(errs: &mut [FieldError], field: &str, message: Msg) {
    if let Some(e) = errs.iter_mut().find(|e| e.field == field) {
        e.message = message;
    }
}

/// Places as typed, one a line: `永華市政中心：B1, 1-12`. Floors are split
/// on commas (either width), 、 or spaces; `a-b` of whole numbers is every
/// floor from a to b.
pub fn parse_places(text: &str) -> Result<Vec<Place>, Msg> {
    let mut places: Vec<Place> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((location, floors)) = line.split_once(['：', ':']) else {
            return Err(Msg::owned(
                format!(
                    "「{line}」缺少樓層：請寫成「所在地：樓層」，例如「永華市政中心：B1, 1-12」"
                ),
                format!(
                    "“{line}” has no floors: write “place: floors”, e.g. “永華市政中心: B1, 1-12”"
                ),
            ));
        };
        let location = crate::text::clean_text(location, 1, 50).map_err(|m| {
            Msg::owned(
                format!("所在地「{}」：{}", location.trim(), m.zh),
                format!("Place “{}”: {}", location.trim(), m.en),
            )
        })?;
        if places.iter().any(|p| p.location == location) {
            return Err(Msg::owned(
                format!("所在地「{location}」重複，請合併成一行"),
                format!("“{location}” is listed twice; put its floors on one line"),
            ));
        }
        let mut list: Vec<String> = Vec::new();
        for token in floors
            .split([',', '，', '、', ' ', '\u{3000}'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            for f in expand_floor(token).map_err(|m| {
                Msg::owned(
                    format!("「{location}」的樓層{}", m.zh),
                    format!("{location}'s floors: {}", m.en),
                )
            })? {
                if !list.contains(&f) {
                    list.push(f);
                }
            }
        }
        if list.is_empty() {
            return Err(Msg::owned(
                format!("請寫出「{location}」的樓層"),
                format!("Write the floors of “{location}”"),
            ));
        }
        if list.len() > MAX_FLOORS {
            return Err(Msg::owned(
                format!("「{location}」的樓層超過 {MAX_FLOORS} 層"),
                format!("“{location}” has more than {MAX_FLOORS} floors"),
            ));
        }
        places.push(Place {
            location,
            floors: list,
        });
        if places.len() > MAX_PLACES {
            return Err(Msg::owned(
                format!("所在地至多 {MAX_PLACES} 處"),
                format!("At most {MAX_PLACES} places"),
            ));
        }
    }
    if places.is_empty() {
        return Err(Msg::new(
            "請至少寫出一個所在地及其樓層，例如「永華市政中心：B1, 1-12」",
            "List at least one place with its floors, e.g. “永華市政中心: B1, 1-12”",
        ));
    }
    Ok(places)
}

/// One floor token: `3`, `B1`, `頂樓`, or a range `1-12`.
fn expand_floor(token: &str) -> Result<Vec<String>, Msg> {
    if let Some((a, b)) = token.split_once(['-', '–', '~', '～'])
        && let (Ok(a), Ok(b)) = (a.trim().parse::<i32>(), b.trim().parse::<i32>())
    {
        if a > b {
            return Err(Msg::owned(
                format!("「{token}」的範圍不正確，請由低樓層寫到高樓層"),
                format!("“{token}” is not a range from low to high"),
            ));
        }
        if b - a >= MAX_FLOORS as i32 {
            return Err(Msg::owned(
                format!("「{token}」超過 {MAX_FLOORS} 層"),
                format!("“{token}” is more than {MAX_FLOORS} floors"),
            ));
        }
        return Ok((a..=b).map(|n| n.to_string()).collect());
    }
    if token.chars().count() > 10 || token.chars().any(|c| c.is_control() || "<>\"'".contains(c)) {
        return Err(Msg::owned(
            format!("「{token}」不是樓層（至多 10 個字）"),
            format!("“{token}” is not a floor (at most 10 characters)"),
        ));
    }
    Ok(vec![token.to_owned()])
}

/// Places as a person types them back: runs of three or more whole
/// floors shortened to `a-b`.
pub fn places_text(places: &[Place]) -> String {
    places
        .iter()
        .map(|p| format!("{}：{}", p.location, floors_text(&p.floors)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn floors_text(floors: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < floors.len() {
        let mut j = i;
        if let Ok(start) = floors[i].parse::<i32>() {
            while j + 1 < floors.len()
                && floors[j + 1].parse::<i32>().ok() == Some(start + (j + 1 - i) as i32)
            {
                j += 1;
            }
        }
        if j >= i + 2 {
            out.push(format!("{}-{}", floors[i], floors[j]));
        } else {
            out.extend(floors[i..=j].iter().cloned());
        }
        i = j + 1;
    }
    out.join(", ")
}

/// Categories (分類), one a line, each once.
pub fn parse_categories(text: &str) -> Result<Vec<String>, Msg> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let name = crate::text::clean_text(line, 1, 40).map_err(|m| {
            Msg::owned(
                format!("分類「{line}」：{}", m.zh),
                format!("Category “{line}”: {}", m.en),
            )
        })?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.len() > 50 {
        return Err(Msg::new("分類至多 50 個", "At most 50 categories"));
    }
    Ok(out)
}

/// A repair type as its maker or keeper types it (報修類型資訊).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RepairTypeInput {
    pub name: String,
    pub agency_id: Option<i64>,
    pub description: String,
    /// 允許報修機關, as 允許借用機關 reads.
    pub borrowers: String,
    pub agencies: Vec<i64>,
    /// One place a line: `所在地：樓層, 樓層`.
    pub places: String,
    /// One category a line.
    pub categories: String,
}

/// A repair type checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairType {
    pub name: String,
    pub agency_id: i64,
    pub description: String,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
    pub places: Vec<Place>,
    pub categories: Vec<String>,
}

impl RepairTypeInput {
    /// Every field at once.
    pub fn check(&self) -> Result<RepairType, Error> {
        let mut errs = Vec::new();
        let name = text_in(&mut errs, "name", &self.name, 2, 40);
        let description = text_in(&mut errs, "description", &self.description, 0, 1000);
        if self.agency_id.is_none() {
            errs.push(fe(
                "agency_id",
                Msg::new("請選擇所屬機關", "Choose the owning agency"),
            ));
        }
        let (borrowers, agencies) = check_borrowers(&self.borrowers, &self.agencies, &mut errs);
        // check_borrowers speaks of borrowing; a repair type is reported.
        said(
            &mut errs,
            "borrowers",
            Msg::new("請選擇允許報修機關", "Choose who may report"),
        );
        said(
            &mut errs,
            "agencies",
            Msg::new(
                "請加入至少一個可報修的其他機關",
                "Add at least one other agency that may report",
            ),
        );
        if self.name.trim().is_empty() {
            said(
                &mut errs,
                "name",
                Msg::new("請輸入報修類型名稱", "Name the repair type"),
            );
        }
        let places = parse_places(&self.places).unwrap_or_else(|m| {
            errs.push(fe("places", m));
            Vec::new()
        });
        let categories = parse_categories(&self.categories).unwrap_or_else(|m| {
            errs.push(fe("categories", m));
            Vec::new()
        });
        match (self.agency_id, borrowers) {
            (Some(agency_id), Some(borrowers)) if errs.is_empty() => Ok(RepairType {
                name,
                agency_id,
                description,
                borrowers,
                agencies,
                places,
                categories,
            }),
            _ => Err(Error::Invalid(errs)),
        }
    }
}

/// The repair staff's logins as typed (設置維修人員): commas, 、 or spaces
/// between, each once, at most 20.
pub fn parse_logins(text: &str) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for l in text
        .split([',', '，', '、', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(Error::invalid(
            "staff",
            Msg::new("維修人員至多 20 位", "At most 20 repair staff"),
        ));
    }
    Ok(out)
}

/// A report as the form sends it (新增報修案件).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReportInput {
    pub location: String,
    pub floor: String,
    pub fault: String,
    pub phone: String,
    pub ext: String,
}

/// A report checked against its type's places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub location: String,
    pub floor: String,
    pub fault: String,
    pub phone: String,
    pub ext: String,
}

impl ReportInput {
    /// The place one of the type's, the floor one of that place's, the
    /// fault said, and a phone to call back.
    pub fn check(&self, places: &[Place]) -> Result<Report, Error> {
        let mut errs = Vec::new();
        let place = places.iter().find(|p| p.location == self.location.trim());
        match place {
            None => errs.push(fe(
                "location",
                Msg::new("請選擇所在地", "Choose where it is"),
            )),
            Some(p) if !p.floors.iter().any(|f| f == self.floor.trim()) => errs.push(fe(
                "floor",
                Msg::owned(
                    format!("請選擇「{}」的樓層", p.location),
                    format!("Choose a floor of “{}”", p.location),
                ),
            )),
            Some(_) => {}
        }
        let fault = text_in(&mut errs, "fault", &self.fault, 2, 1000);
        if self.fault.trim().is_empty() {
            said(
                &mut errs,
                "fault",
                Msg::new("請寫出故障原因", "Say what is wrong"),
            );
        }
        let (phone, ext) = check_contact(&self.phone, &self.ext, &mut errs);
        said(
            &mut errs,
            "phone",
            Msg::new(
                "請輸入報修人員公務電話（數字，可含 - ）",
                "Enter your office phone (digits, - allowed)",
            ),
        );
        if !errs.is_empty() {
            return Err(Error::Invalid(errs));
        }
        Ok(Report {
            location: self.location.trim().to_owned(),
            floor: self.floor.trim().to_owned(),
            fault,
            phone,
            ext,
        })
    }
}

/// Where a report is (處理狀況).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairState {
    /// 待處理: reported, or returned for another try.
    Pending,
    /// 已處理: the staff replied; the reporter may rate or return it.
    Done,
    /// 已評分: the reporter rated it; it is closed.
    Rated,
}

impl RepairState {
    pub const ALL: [RepairState; 3] = [RepairState::Pending, RepairState::Done, RepairState::Rated];
    pub fn as_str(self) -> &'static str {
        match self {
            RepairState::Pending => "pending",
            RepairState::Done => "done",
            RepairState::Rated => "rated",
        }
    }
    pub fn parse(s: &str) -> Option<RepairState> {
        RepairState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> Msg {
        match self {
            RepairState::Pending => Msg::new("待處理", "Pending"),
            RepairState::Done => Msg::new("已處理", "Done"),
            RepairState::Rated => Msg::new("已評分", "Rated"),
        }
    }
    /// The seed's export reads only 待處理 or 已處理: a rated report was
    /// handled.
    pub fn export_label(self) -> &'static str {
        match self {
            RepairState::Pending => "待處理",
            RepairState::Done | RepairState::Rated => "已處理",
        }
    }
}

/// The staff's reply (處理狀況回報): the result, and a category of the
/// type's when it has any.
pub fn check_reply(
    result: &str,
    category: &str,
    categories: &[String],
) -> Result<(String, String), Error> {
    let mut errs = Vec::new();
    let empty = result.trim().is_empty();
    let result = text_in(&mut errs, "result", result, 2, 1000);
    if empty {
        said(
            &mut errs,
            "result",
            Msg::new("請寫出處理結果", "Say what was done"),
        );
    }
    let category = category.trim();
    if !categories.is_empty() && !categories.iter().any(|c| c == category) {
        errs.push(fe("category", Msg::new("請選擇分類", "Choose a category")));
    }
    if !errs.is_empty() {
        return Err(Error::Invalid(errs));
    }
    Ok((result, category.to_owned()))
}

/// The reporter's rating (評分): 1 to 5, and a note (備註).
pub fn check_rating(score: &str, note: &str) -> Result<(i64, String), Error> {
    let mut errs = Vec::new();
    let score = match score.trim().parse::<i64>() {
        Ok(n) if (1..=5).contains(&n) => n,
        _ => {
            errs.push(fe(
                "score",
                Msg::new("請選擇 1 到 5 分", "Choose a score from 1 to 5"),
            ));
            0
        }
    };
    let note = text_in(&mut errs, "note", note, 0, 500);
    if !errs.is_empty() {
        return Err(Error::Invalid(errs));
    }
    Ok((score, note))
}

/// A return's reason (退回原因), required.
pub fn check_return(reason: &str) -> Result<String, Error> {
    crate::text::clean_text(reason, 2, 500).map_err(|m| {
        Error::invalid(
            "reason",
            if reason.trim().is_empty() {
                Msg::new(
                    "請輸入退回原因，讓維修人員知道哪裡仍未修好",
                    "Say why it is returned, so the repair staff know what is still wrong",
                )
            } else {
                m
            },
        )
    })
}

/// The most photos a report carries, and the largest one.
pub const MAX_PHOTOS: usize = 3;
pub const MAX_PHOTO: usize = 5 * 1024 * 1024;

#[cfg(test)]
mod tests;
