//! The forms and queries that handlers read and templates show again: view
//! types, so `view.rs` and the JSON API import them from here, never from
//! a handler module.
use portico_core::account::AccountState;
use portico_core::clients::AppInput;
use portico_core::ids::OrgUnitId;
use portico_store::accounts::Search;

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct LogoutQuery {
    pub id_token_hint: String,
    pub post_logout_redirect_uri: String,
    pub state: String,
    pub client_id: String,
    #[serde(rename = "_csrf")]
    pub csrf: String,
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub pending: String,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub ok: String,
}

impl ListQuery {
    pub(crate) fn query_string(&self) -> String {
        format!(
            "name={}&pending={}",
            crate::extract::urlencode(&self.name),
            crate::extract::urlencode(&self.pending)
        )
    }
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct AppForm {
    #[serde(rename = "_csrf")]
    pub csrf: String,
    pub name: String,
    pub short_name: String,
    pub agency: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub vendor: String,
    pub description: String,
    pub url: String,
    pub ips: String,
}

impl AppForm {
    pub(crate) fn input(&self) -> AppInput<'_> {
        AppInput {
            name: &self.name,
            short_name: &self.short_name,
            contact_name: &self.contact_name,
            contact_phone: &self.contact_phone,
            contact_email: &self.contact_email,
            vendor: &self.vendor,
            description: &self.description,
            url: &self.url,
            ips: &self.ips,
        }
    }
    pub(crate) fn of(a: &portico_store::clients::Client) -> AppForm {
        AppForm {
            csrf: String::new(),
            name: a.name.clone(),
            short_name: a.short_name.clone(),
            agency: a.agency_id.0.to_string(),
            contact_name: a.contact_name.clone(),
            contact_phone: a.contact_phone.clone(),
            contact_email: a.contact_email.clone(),
            vendor: a.vendor.clone(),
            description: a.description.clone(),
            url: a.url.clone(),
            ips: a
                .ips
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct AccountQuery {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub state: String,
    pub page: Option<u32>,
}

impl AccountQuery {
    pub(crate) fn search(
        &self,
        tree: &portico_app::orgs::Tree,
        now: time::OffsetDateTime,
    ) -> Search {
        let within = self
            .agency
            .parse::<i64>()
            .ok()
            .and_then(|id| tree.get(OrgUnitId(id)))
            .map(|u| u.path.clone());
        let trim =
            |s: &str| Some(s.trim().chars().take(30).collect::<String>()).filter(|s| !s.is_empty());
        Search {
            name_prefix: trim(&self.name),
            login_prefix: trim(&self.login).map(|s| s.to_ascii_lowercase()),
            title_prefix: trim(&self.title),
            within,
            state: AccountState::parse(&self.state),
            locked_at: (self.state == "locked").then_some(now),
        }
    }
}

/// The review queue's filters (待簽核), on the page and in the API.
#[derive(serde::Deserialize, Default)]
pub(crate) struct RequestQuery {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub who: String,
    pub page: Option<u32>,
}

impl RequestQuery {
    pub(crate) fn filter(&self) -> portico_store::requests::Filter {
        portico_store::requests::Filter {
            kind: portico_core::request::RequestKind::parse(&self.kind),
            state: match self.state.as_str() {
                "all" => None,
                "" => Some(portico_core::request::RequestState::Pending),
                s => portico_core::request::RequestState::parse(s)
                    .or(Some(portico_core::request::RequestState::Pending)),
            },
            who: Some(self.who.trim().chars().take(30).collect::<String>())
                .filter(|w| !w.is_empty()),
        }
    }
}
