//! Venue booking's pages (issue 16; seed 004 §捌 二, 四, §玖 二): the
//! venues a person may borrow, searched by venue or by time; one venue's
//! week with the request form; the person's records; the custodian's
//! requests to decide.
use super::*;
use portico_app::bookings::{Week, WeekCell};
use portico_core::booking::{Span, State, weekday_zh};
use portico_store::Page;
use portico_store::bookings::{Booking, VenueRow};

/// The request form as typed (or prefilled from the grid).
#[derive(Debug, Clone, Default)]
pub struct RequestForm {
    /// 借用單位 chosen (0: the person's agency).
    pub unit_id: i64,
    pub date: String,
    pub from: String,
    pub until: String,
    pub phone: String,
    pub ext: String,
    pub people: String,
    pub host: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "venues/index.html")]
pub struct VenuesPage {
    pub c: Chrome,
    pub venues: Vec<VenueRow>,
    pub locations: Vec<String>,
    pub location: String,
    /// The by-time search as typed, and what it found (`None`: not asked).
    pub date: String,
    pub from: String,
    pub until: String,
    pub found: Option<(Span, Vec<VenueRow>)>,
    pub errs: Errors,
}

impl VenuesPage {
    pub fn hours(&self) -> Vec<u8> {
        (0..=24).collect()
    }
    pub fn span_query(&self, s: &Span) -> String {
        super::span_query(s)
    }
}

#[derive(Template)]
#[template(path = "venues/venue.html")]
pub struct VenuePage {
    pub c: Chrome,
    /// The venue's photos (their places).
    pub photos: Vec<i64>,
    pub week: Week<VenueRow>,
    pub form: RequestForm,
    /// The 借用單位 the person may choose, their agency first.
    pub units: Vec<(i64, String)>,
    pub registrant: String,
    /// The week shown is this one: no earlier week to go back to.
    pub this_week: bool,
    pub errs: Errors,
}

impl VenuePage {
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

/// A grid's column head: 12/7 星期一.
pub fn day_label(lang: Lang, d: &time::Date) -> String {
    let w = if lang == Lang::En {
        d.weekday().to_string()
    } else {
        weekday_zh(d.weekday()).to_owned()
    };
    format!("{}/{} {w}", u8::from(d.month()), d.day())
}

#[derive(Template)]
#[template(path = "venues/bookings.html")]
pub struct BookingsPage {
    pub c: Chrome,
    pub page: Page<Booking>,
    pub query_string: String,
    pub kind: portico_core::booking::Kind,
    pub q: String,
    pub state: String,
    pub from: String,
    pub until: String,
    pub now: time::OffsetDateTime,
}

impl BookingsPage {
    pub fn states(&self) -> [State; 4] {
        [
            State::Pending,
            State::Approved,
            State::Rejected,
            State::Cancelled,
        ]
    }
    pub fn cancellable(&self, b: &Booking) -> bool {
        matches!(b.state, State::Pending | State::Approved) && b.starts_at > self.now
    }
}

#[derive(Template)]
#[template(path = "venues/requests.html")]
pub struct VenueRequestsPage {
    pub c: Chrome,
    pub kind: portico_core::booking::Kind,
    pub page: Page<Booking>,
    pub query_string: String,
    pub state: String,
    pub ticked: Vec<i64>,
    pub note: String,
    pub outcome: Vec<(String, String)>,
    pub errs: Errors,
}

impl VenueRequestsPage {
    pub fn pending(&self) -> bool {
        self.state.is_empty() || self.state == "pending"
    }
    pub fn is_ticked(&self, id: &i64) -> bool {
        self.ticked.contains(id)
    }
}

#[derive(Template)]
#[template(path = "venues/kept.html")]
pub struct KeptVenuesPage {
    pub c: Chrome,
    pub page: Page<VenueRow>,
    pub query_string: String,
    pub q: String,
    /// The actor may make venues (a system or agency admin).
    pub can_make: bool,
}

/// The venue form as typed.
#[derive(Debug, Clone, Default)]
pub struct VenueForm {
    pub location: String,
    pub floor: String,
    pub name: String,
    pub agency_id: i64,
    pub capacity: String,
    pub open_from: String,
    pub open_until: String,
    /// Monday first.
    pub days: [bool; 7],
    pub phone: String,
    pub description: String,
    pub rules: String,
    pub public: bool,
    pub borrowers: String,
    pub agencies: Vec<i64>,
    pub custodian: String,
}

impl VenueForm {
    pub fn of(v: &VenueRow) -> VenueForm {
        VenueForm {
            location: v.location.clone(),
            floor: v.floor.clone(),
            name: v.name.clone(),
            agency_id: v.agency_id,
            capacity: v.capacity.to_string(),
            open_from: v.opening.from.to_string(),
            open_until: v.opening.until.to_string(),
            days: std::array::from_fn(|i| v.opening.days & (1 << i) != 0),
            phone: v.phone.clone(),
            description: v.description.clone(),
            rules: v.rules.clone(),
            public: v.public,
            borrowers: v.borrowers.as_str().to_owned(),
            agencies: v.agencies.clone(),
            custodian: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "venues/form.html")]
pub struct VenueFormPage {
    pub c: Chrome,
    /// `None` for a new venue.
    pub venue: Option<VenueRow>,
    pub form: VenueForm,
    /// The agencies the actor may make venues for.
    pub makers: Vec<(i64, String)>,
    /// Every agency, for 指定機關.
    pub all: Vec<(i64, String)>,
    pub changes: Vec<portico_store::bookings::CustodianChange>,
    pub records: Vec<Booking>,
    /// `/items/venues/{id}`: where the shared keepers and records parts post.
    pub item_path: String,
    /// The venue's photos (their places), for 照片.
    pub photos: Vec<i64>,
    /// A driver's keepers are 管理人 (never here).
    pub manager: bool,
    /// The records' 借用日期 range, as asked (dates or empty).
    pub rec_from: String,
    pub rec_until: String,
    pub error: String,
    pub errs: Errors,
}

/// What the item forms' shared parts (opening, lending, keepers) ask of
/// their page.
pub trait ItemFormView {
    /// The opening days as typed, Monday first.
    fn form_days(&self) -> [bool; 7];
    /// The agencies listed for 指定機關, as typed.
    fn form_agencies(&self) -> &[i64];
    /// The item's custodians (none for a new one).
    fn kept(&self) -> &[portico_store::bookings::Custodian];

    fn weekdays(&self) -> [(usize, &'static str, &'static str); 7] {
        [
            (0, "一", "Mon"),
            (1, "二", "Tue"),
            (2, "三", "Wed"),
            (3, "四", "Thu"),
            (4, "五", "Fri"),
            (5, "六", "Sat"),
            (6, "日", "Sun"),
        ]
    }
    fn day_on<D: std::borrow::Borrow<usize>>(&self, d: D) -> bool {
        self.form_days()[*d.borrow()]
    }
    fn hours(&self) -> Vec<u8> {
        (0..=24).collect()
    }
    fn borrowers(&self) -> [portico_core::booking::Borrowers; 3] {
        portico_core::booking::Borrowers::ALL
    }
    fn listed(&self, id: &i64) -> bool {
        self.form_agencies().contains(id)
    }
    fn custodian(&self, position: i64) -> String {
        self.kept()
            .iter()
            .find(|c| c.position == position)
            .map(|c| format!("{}（{}）", c.name, c.login))
            .unwrap_or_default()
    }
}

impl ItemFormView for VenueFormPage {
    fn form_days(&self) -> [bool; 7] {
        self.form.days
    }
    fn form_agencies(&self) -> &[i64] {
        &self.form.agencies
    }
    fn kept(&self) -> &[portico_store::bookings::Custodian] {
        self.venue
            .as_ref()
            .map(|v| v.custodians.as_slice())
            .unwrap_or(&[])
    }
}
