//! Official cars' and drivers' pages (issue 16; seed 004 §捌 三, §玖 三–五):
//! the cars a person may borrow, by car or by time; one car's week with
//! the request form; the keeper's lists and forms.
use super::*;
use portico_app::bookings::{Week, WeekCell};
use portico_core::booking::{CAR_TYPES, LICENCES, Span};
use portico_store::Page;
use portico_store::bookings::{Booking, CarRow, Custodian, DriverBrief, DriverRow};

#[derive(Template)]
#[template(path = "cars/index.html")]
pub struct CarsPage {
    pub c: Chrome,
    pub cars: Vec<CarRow>,
    pub locations: Vec<String>,
    pub location: String,
    pub car_type: String,
    pub date: String,
    pub from: String,
    pub until: String,
    pub found: Option<(Span, Vec<CarRow>)>,
    pub errs: Errors,
}

impl CarsPage {
    pub fn types(&self) -> [&'static str; 6] {
        CAR_TYPES
    }
    pub fn hours(&self) -> Vec<u8> {
        (0..=24).collect()
    }
    pub fn span_query(&self, s: &Span) -> String {
        span_query(s)
    }
}

/// A span as the query a week page prefills its form from.
pub fn span_query(s: &Span) -> String {
    format!(
        "date={}&from={}&until={}",
        portico_core::time::date_str(s.date),
        s.from,
        s.until
    )
}

/// The car request form as typed (or prefilled from the grid).
#[derive(Debug, Clone, Default)]
pub struct CarRequestForm {
    /// 借用單位 chosen (0: the person's agency).
    pub unit_id: i64,
    pub date: String,
    pub from: String,
    pub until: String,
    pub with_driver: bool,
    pub driver_id: i64,
    pub phone: String,
    pub ext: String,
    pub people: String,
    pub purpose: String,
    pub destination: String,
}

#[derive(Template)]
#[template(path = "cars/car.html")]
pub struct CarPage {
    pub c: Chrome,
    /// The car's photos (their places).
    pub photos: Vec<i64>,
    pub week: Week<CarRow>,
    pub form: CarRequestForm,
    /// The drivers offered: free for the whole span asked, when one is.
    pub drivers: Vec<DriverBrief>,
    pub span_known: bool,
    /// The 借用單位 the person may choose, their agency first.
    pub units: Vec<(i64, String)>,
    pub registrant: String,
    pub this_week: bool,
    pub errs: Errors,
}

impl CarPage {
    pub fn day_label(&self, d: &time::Date) -> String {
        day_label(self.c.lang, d)
    }
    pub fn cell<D: std::borrow::Borrow<usize>, H: std::borrow::Borrow<usize>>(
        &self,
        day: D,
        hour: H,
    ) -> &WeekCell {
        &self.week.cells[*day.borrow()][*hour.borrow()]
    }
    pub fn date_of<D: std::borrow::Borrow<usize>>(&self, day: D) -> String {
        portico_core::time::date_str(self.week.days[*day.borrow()])
    }
    pub fn week_link(&self, weeks: i64) -> String {
        portico_core::time::date_str(self.week.monday + time::Duration::weeks(weeks))
    }
    pub fn hour_choices(&self) -> Vec<u8> {
        let o = self.week.item.opening;
        (o.from..=o.until).collect()
    }
}

#[derive(Template)]
#[template(path = "cars/kept.html")]
pub struct KeptCarsPage {
    pub c: Chrome,
    pub page: Page<CarRow>,
    pub query_string: String,
    pub q: String,
    pub can_make: bool,
}

#[derive(Template)]
#[template(path = "cars/drivers.html")]
pub struct KeptDriversPage {
    pub c: Chrome,
    pub page: Page<DriverRow>,
    pub query_string: String,
    pub q: String,
    pub can_make: bool,
}

/// The car form as typed.
#[derive(Debug, Clone, Default)]
pub struct CarForm {
    pub location: String,
    pub car_type: String,
    pub plate: String,
    pub passengers: String,
    pub agency_id: i64,
    pub brand: String,
    pub year: String,
    pub displacement: String,
    pub number: String,
    pub open_from: String,
    pub open_until: String,
    pub days: [bool; 7],
    pub note: String,
    pub public: bool,
    pub borrowers: String,
    pub agencies: Vec<i64>,
    pub drivers: Vec<i64>,
    pub custodian: String,
}

impl CarForm {
    pub fn of(v: &CarRow) -> CarForm {
        CarForm {
            location: v.location.clone(),
            car_type: v.car_type.clone(),
            plate: v.plate.clone(),
            passengers: v.passengers.to_string(),
            agency_id: v.agency_id,
            brand: v.brand.clone(),
            year: v.year.to_string(),
            displacement: v.displacement.to_string(),
            number: v.number.clone(),
            open_from: v.opening.from.to_string(),
            open_until: v.opening.until.to_string(),
            days: std::array::from_fn(|i| v.opening.days & (1 << i) != 0),
            note: v.note.clone(),
            public: v.public,
            borrowers: v.borrowers.as_str().to_owned(),
            agencies: v.agencies.clone(),
            drivers: v.drivers.iter().map(|d| d.id).collect(),
            custodian: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "cars/form.html")]
pub struct CarFormPage {
    pub c: Chrome,
    pub car: Option<CarRow>,
    pub form: CarForm,
    pub makers: Vec<(i64, String)>,
    pub all: Vec<(i64, String)>,
    /// Every listed driver, for 選擇公務車司機.
    pub all_drivers: Vec<DriverRow>,
    pub changes: Vec<portico_store::bookings::CustodianChange>,
    pub records: Vec<Booking>,
    pub item_path: String,
    /// The car's photos (their places), for 照片.
    pub photos: Vec<i64>,
    pub manager: bool,
    pub rec_from: String,
    pub rec_until: String,
    pub error: String,
    pub errs: Errors,
}

impl CarFormPage {
    pub fn types(&self) -> [&'static str; 6] {
        CAR_TYPES
    }
    pub fn has_driver(&self, id: &i64) -> bool {
        self.form.drivers.contains(id)
    }
}

impl ItemFormView for CarFormPage {
    fn form_days(&self) -> [bool; 7] {
        self.form.days
    }
    fn form_agencies(&self) -> &[i64] {
        &self.form.agencies
    }
    fn kept(&self) -> &[Custodian] {
        self.car
            .as_ref()
            .map(|v| v.custodians.as_slice())
            .unwrap_or(&[])
    }
}

/// The driver form as typed.
#[derive(Debug, Clone, Default)]
pub struct DriverForm {
    pub location: String,
    pub name: String,
    pub agency_id: i64,
    pub licence: String,
    pub phone: String,
    pub note: String,
    pub public: bool,
    pub borrowers: String,
    pub agencies: Vec<i64>,
    pub custodian: String,
}

impl DriverForm {
    pub fn of(v: &DriverRow) -> DriverForm {
        DriverForm {
            location: v.location.clone(),
            name: v.name.clone(),
            agency_id: v.agency_id,
            licence: v.licence.clone(),
            phone: v.phone.clone(),
            note: v.note.clone(),
            public: v.public,
            borrowers: v.borrowers.as_str().to_owned(),
            agencies: v.agencies.clone(),
            custodian: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "cars/driver.html")]
pub struct DriverFormPage {
    pub c: Chrome,
    pub driver: Option<DriverRow>,
    pub form: DriverForm,
    pub makers: Vec<(i64, String)>,
    pub all: Vec<(i64, String)>,
    pub changes: Vec<portico_store::bookings::CustodianChange>,
    pub records: Vec<Booking>,
    pub item_path: String,
    pub manager: bool,
    pub rec_from: String,
    pub rec_until: String,
    pub error: String,
    pub errs: Errors,
}

impl DriverFormPage {
    pub fn licences(&self) -> [&'static str; 6] {
        LICENCES
    }
}

impl ItemFormView for DriverFormPage {
    fn form_days(&self) -> [bool; 7] {
        [true; 7]
    }
    fn form_agencies(&self) -> &[i64] {
        &self.form.agencies
    }
    fn kept(&self) -> &[Custodian] {
        self.driver
            .as_ref()
            .map(|v| v.custodians.as_slice())
            .unwrap_or(&[])
    }
}

#[derive(Template)]
#[template(path = "cars/calendars.html")]
pub struct CalendarsPage {
    pub c: Chrome,
    pub feeds: Vec<portico_store::bookings::Feed>,
    /// The address just made, shown this once.
    pub new_url: Option<String>,
}

impl CalendarsPage {
    pub fn what(&self, f: &portico_store::bookings::Feed) -> String {
        let kind = portico_core::booking::Kind::parse(&f.kind);
        match (kind, self.c.lang == Lang::En) {
            (None, false) => "我的場地及公務車借用".into(),
            (None, true) => "My bookings".into(),
            (Some(k), _) => format!("{}：{}", self.c.msg(k.label()), f.label),
        }
    }
}
