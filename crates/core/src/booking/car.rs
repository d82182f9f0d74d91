//! Official cars and their drivers (seed 004 §捌 三, §玖 三–五): a car as
//! 公務車清單管理 types it, a driver as 派遣司機清單管理 does, and a car
//! request (公務車借用登記) with or without a driver.
use super::{
    Borrowers, Opening, Span, check_borrowers, check_contact, check_opening, check_span, fe,
    text_in,
};
use crate::error::Error;
use crate::msg::Msg;
use crate::text::clean_text;
use time::OffsetDateTime;

/// The car types the seed's picker offers (車型).
pub const CAR_TYPES: [&str; 6] = ["小客車", "休旅車", "小貨車", "中型巴士", "大客車", "機車"];

/// The licence classes a driver may hold (司機證照).
pub const LICENCES: [&str; 6] = [
    "普通小型車",
    "職業小型車",
    "職業大貨車",
    "職業大客車",
    "職業聯結車",
    "普通重型機車",
];

/// The most passengers a car carries.
pub const MAX_PASSENGERS: i64 = 60;

/// A car as its maker or custodian types it (公務車資訊).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CarInput {
    pub location: String,
    pub car_type: String,
    pub plate: String,
    pub passengers: String,
    pub agency_id: Option<i64>,
    pub brand: String,
    pub year: String,
    pub displacement: String,
    pub number: String,
    pub open_from: String,
    pub open_until: String,
    /// Monday first, "1" for open: `1111100`.
    pub open_days: String,
    pub note: String,
    pub public: bool,
    pub borrowers: String,
    pub agencies: Vec<i64>,
    /// The drivers it may be dispatched with (公務車司機).
    pub drivers: Vec<i64>,
}

/// A car checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Car {
    pub location: String,
    pub car_type: String,
    pub plate: String,
    pub passengers: i64,
    pub agency_id: i64,
    pub brand: String,
    pub year: i64,
    pub displacement: i64,
    pub number: String,
    pub opening: Opening,
    pub note: String,
    pub public: bool,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
    pub drivers: Vec<i64>,
}

fn number_in(
    field: &'static str,
    s: &str,
    range: std::ops::RangeInclusive<i64>,
    zh: &str,
    en: &str,
    errs: &mut Vec<crate::error::FieldError>,
) -> i64 {
    match s.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errs.push(fe(
                field,
                Msg::owned(
                    format!("{zh}請輸入 {} 到 {} 的整數", range.start(), range.end()),
                    format!(
                        "{en} is a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                ),
            ));
            0
        }
    }
}

/// A plate as Taiwan writes it: letters and digits in two groups joined by
/// a hyphen (ABC-1234, 1234-AB, RRR-000), kept upper case.
pub fn check_plate(s: &str) -> Result<String, Msg> {
    let p = s.trim().to_ascii_uppercase();
    let ok = match p.split_once('-') {
        Some((a, b)) => {
            (2..=4).contains(&a.len())
                && (2..=4).contains(&b.len())
                && (a.len() + b.len()) <= 7
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        None => false,
    };
    if ok {
        Ok(p)
    } else {
        Err(Msg::new(
            "車號格式如 ABC-1234 或 1234-AB（英數字，以 - 分隔）",
            "A plate is like ABC-1234 or 1234-AB (letters and digits, joined by -)",
        ))
    }
}

impl CarInput {
    /// Every field at once: a person sees all that is wrong.
    pub fn check(&self, this_year: i32) -> Result<Car, Error> {
        let mut errs = Vec::new();
        let location = text_in(&mut errs, "location", &self.location, 1, 50);
        let brand = text_in(&mut errs, "brand", &self.brand, 1, 30);
        let number = text_in(&mut errs, "number", &self.number, 1, 30);
        let note = text_in(&mut errs, "note", &self.note, 0, 1000);
        let car_type = self.car_type.trim();
        if !CAR_TYPES.contains(&car_type) {
            errs.push(fe(
                "car_type",
                Msg::new("請選擇車型", "Choose the car type"),
            ));
        }
        let plate = check_plate(&self.plate)
            .map_err(|m| errs.push(fe("plate", m)))
            .unwrap_or_default();
        if self.agency_id.is_none() {
            errs.push(fe(
                "agency_id",
                Msg::new("請選擇管理機關", "Choose the managing agency"),
            ));
        }
        let passengers = number_in(
            "passengers",
            &self.passengers,
            1..=MAX_PASSENGERS,
            "乘客人數上限",
            "The passenger limit",
            &mut errs,
        );
        let year = number_in(
            "year",
            &self.year,
            1950..=i64::from(this_year) + 1,
            "年份",
            "The year",
            &mut errs,
        );
        let displacement = number_in(
            "displacement",
            &self.displacement,
            0..=20_000,
            "排氣量（c.c.，電動車填 0）",
            "The displacement (cc; 0 for electric)",
            &mut errs,
        );
        let opening = check_opening(
            &self.open_from,
            &self.open_until,
            &self.open_days,
            &mut errs,
        );
        let (borrowers, agencies) = check_borrowers(&self.borrowers, &self.agencies, &mut errs);
        let mut drivers = self.drivers.clone();
        drivers.sort_unstable();
        drivers.dedup();
        match (self.agency_id, opening, borrowers) {
            (Some(agency_id), Some(opening), Some(borrowers)) if errs.is_empty() => Ok(Car {
                location,
                car_type: car_type.to_owned(),
                plate,
                passengers,
                agency_id,
                brand,
                year,
                displacement,
                number,
                opening,
                note,
                public: self.public,
                borrowers,
                agencies,
                drivers,
            }),
            _ => Err(Error::Invalid(errs)),
        }
    }
}

/// A driver as their maker or manager types them (司機資訊).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DriverInput {
    pub location: String,
    pub name: String,
    pub agency_id: Option<i64>,
    pub licence: String,
    pub phone: String,
    pub note: String,
    pub public: bool,
    pub borrowers: String,
    pub agencies: Vec<i64>,
}

/// A driver checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Driver {
    pub location: String,
    pub name: String,
    pub agency_id: i64,
    pub licence: String,
    pub phone: String,
    pub note: String,
    pub public: bool,
    pub borrowers: Borrowers,
    pub agencies: Vec<i64>,
}

impl DriverInput {
    pub fn check(&self) -> Result<Driver, Error> {
        let mut errs = Vec::new();
        let location = text_in(&mut errs, "location", &self.location, 1, 50);
        let name = text_in(&mut errs, "name", &self.name, 2, 30);
        let note = text_in(&mut errs, "note", &self.note, 0, 1000);
        let licence = self.licence.trim();
        if !LICENCES.contains(&licence) {
            errs.push(fe(
                "licence",
                Msg::new("請選擇司機證照", "Choose the driver's licence"),
            ));
        }
        let phone = self.phone.trim();
        if !(8..=20).contains(&phone.len())
            || !phone
                .chars()
                .all(|c| c.is_ascii_digit() || "-()# ".contains(c))
        {
            errs.push(fe(
                "phone",
                Msg::new(
                    "請輸入司機連絡電話（數字，可含 - ，如 0912-345-678）",
                    "Enter the driver's phone (digits, - allowed, such as 0912-345-678)",
                ),
            ));
        }
        if self.agency_id.is_none() {
            errs.push(fe(
                "agency_id",
                Msg::new("請選擇管理機關", "Choose the managing agency"),
            ));
        }
        let (borrowers, agencies) = check_borrowers(&self.borrowers, &self.agencies, &mut errs);
        match (self.agency_id, borrowers) {
            (Some(agency_id), Some(borrowers)) if errs.is_empty() => Ok(Driver {
                location,
                name,
                agency_id,
                licence: licence.to_owned(),
                phone: phone.to_owned(),
                note,
                public: self.public,
                borrowers,
                agencies,
            }),
            _ => Err(Error::Invalid(errs)),
        }
    }
}

/// A car request as the form sends it (公務車借用登記 申請資訊).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CarRequestInput {
    pub date: String,
    pub from: String,
    pub until: String,
    /// 派遣司機: `yes` with a driver, anything else 否，我要自駕.
    pub with_driver: String,
    pub driver_id: Option<i64>,
    pub phone: String,
    pub ext: String,
    pub unit_id: Option<i64>,
    pub purpose: String,
    /// 乘坐人數（不含司機）.
    pub people: String,
    pub destination: String,
}

/// A car request checked against the car.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarRequest {
    pub span: Span,
    pub driver_id: Option<i64>,
    pub phone: String,
    pub ext: String,
    pub people: i64,
    pub purpose: String,
    pub destination: String,
}

impl CarRequestInput {
    /// Checks the request against the car's hours and passenger limit; a
    /// driver, if asked for, must be chosen (whether they are free is the
    /// caller's to check, against the database).
    pub fn check(
        &self,
        open: &Opening,
        passengers: i64,
        now: OffsetDateTime,
    ) -> Result<CarRequest, Error> {
        let mut errs = match check_span(&self.date, &self.from, &self.until, open, now) {
            Ok(_) => Vec::new(),
            Err(Error::Invalid(e)) => e,
            Err(e) => return Err(e),
        };
        let with_driver = self.with_driver.trim() == "yes";
        if with_driver && self.driver_id.is_none() {
            errs.push(fe(
                "driver_id",
                Msg::new(
                    "請選擇派遣司機，或改選「否，我要自駕」",
                    "Choose a driver, or choose to drive yourself",
                ),
            ));
        }
        let (phone, ext) = check_contact(&self.phone, &self.ext, &mut errs);
        let people = match self.people.trim().parse::<i64>() {
            Ok(n) if (0..=passengers).contains(&n) => n,
            Ok(n) if n > passengers => {
                errs.push(fe(
                    "people",
                    Msg::owned(
                        format!("乘坐人數超過此車乘客人數上限 {passengers} 人"),
                        format!("More passengers than the car carries ({passengers})"),
                    ),
                ));
                0
            }
            _ => {
                errs.push(fe(
                    "people",
                    Msg::new(
                        "請輸入乘坐人數（不含司機，0 以上）",
                        "Enter the passengers (not counting the driver, 0 or more)",
                    ),
                ));
                0
            }
        };
        let purpose = clean_text(&self.purpose, 1, 200)
            .map_err(|m| errs.push(fe("purpose", m)))
            .unwrap_or_default();
        let destination = clean_text(&self.destination, 1, 100)
            .map_err(|m| errs.push(fe("destination", m)))
            .unwrap_or_default();
        if !errs.is_empty() {
            return Err(Error::Invalid(errs));
        }
        let span = check_span(&self.date, &self.from, &self.until, open, now)?;
        Ok(CarRequest {
            span,
            driver_id: if with_driver { self.driver_id } else { None },
            phone,
            ext,
            people,
            purpose,
            destination,
        })
    }
}
