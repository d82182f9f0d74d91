//! The JSON API under `/api/v1`: everything the pages do, for scripts and
//! other systems. It accepts the session cookie, with the `X-CSRF-Token`
//! header on every write. Bad input answers 422 with the fields and their
//! messages in both languages; nothing is changed.
//!
//! The routes are one table, [`routes`], and a test holds it equal to the
//! paths and methods of the OpenAPI document (`openapi.json`), so the two
//! cannot drift apart.
use crate::extract::Path;
use crate::extract::{ApiUser, Json, LenientQuery, ReqCtx};
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use portico_core::{Error, Msg};
use serde_json::{Value, json};

mod account;
mod accounts;
mod audit;
mod clients;
mod contacts;
mod content;
mod documents;
mod downloads;
mod home;
mod items;
mod office;
mod org;
mod outbox;
mod requests;
mod settings;
use account::*;
use accounts::*;
use audit::*;
use clients::*;
use contacts::*;
use content::*;
use documents::*;
use downloads::*;
use home::*;
use items::*;
use office::*;
use org::*;
use outbox::*;
use requests::*;
use settings::*;

/// Every API route: method, path (as in the OpenAPI document), handler.
pub(crate) fn routes() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    let avatar_limit = DefaultBodyLimit::max(portico_app::account::AVATAR_MAX_BYTES + 1024);
    vec![
        ("get", "/openapi.json", get(openapi)),
        ("get", "/me", get(me)),
        ("put", "/me/profile", put(save_profile)),
        ("post", "/me/password", post(change_password)),
        ("put", "/me/avatar", put(upload_avatar).layer(avatar_limit)),
        ("delete", "/me/avatar", delete(remove_avatar)),
        ("put", "/me/prefs", put(save_prefs)),
        ("get", "/me/office", get(my_office)),
        ("get", "/me/layout", get(my_layout)),
        ("put", "/me/layout", put(save_my_layout)),
        ("post", "/me/sign-out-everywhere", post(sign_out_everywhere)),
        ("get", "/me/sessions", get(my_sessions)),
        ("get", "/me/requests", get(my_requests)),
        (
            "post",
            "/me/requests/admin-rights",
            post(request_admin_rights),
        ),
        (
            "post",
            "/me/requests/agency-change",
            post(request_agency_change),
        ),
        ("post", "/me/contacts/email", post(email_start)),
        ("post", "/me/contacts/email/confirm", post(email_confirm)),
        ("post", "/me/contacts/mobile", post(mobile_start)),
        ("post", "/me/contacts/mobile/confirm", post(mobile_confirm)),
        ("delete", "/me/contacts/mobile", delete(mobile_remove)),
        ("get", "/me/methods", get(methods)),
        ("post", "/me/methods/totp", post(totp_begin)),
        ("post", "/me/methods/totp/confirm", post(totp_confirm)),
        ("post", "/me/methods/totp/disable", post(totp_disable)),
        ("put", "/me/methods/passkeys/{id}", put(passkey_rename)),
        (
            "delete",
            "/me/methods/passkeys/{id}",
            delete(passkey_remove),
        ),
        ("delete", "/me/methods/cards/{id}", delete(card_unbind)),
        ("get", "/requests", get(queue)),
        ("get", "/requests/{id}", get(request)),
        ("post", "/requests/decide", post(decide)),
        ("get", "/outbox", get(outbox)),
        ("get", "/outbox/{id}", get(message)),
        ("post", "/outbox/{id}/retry", post(retry)),
        ("delete", "/me/sessions/{sid}", delete(end_my_session)),
        (
            "delete",
            "/me/applications/{id}",
            delete(end_my_application),
        ),
        ("get", "/me/sign-in-records", get(my_sign_ins)),
        ("get", "/me/usage-records", get(my_usage)),
        ("get", "/me/records/{seq}", get(my_record)),
        ("get", "/accounts", get(search)),
        ("get", "/accounts/{id}", get(account)),
        ("post", "/accounts/{id}/disable", post(disable)),
        ("put", "/accounts/{id}/profile", put(edit_profile)),
        ("post", "/accounts/{id}/enable", post(enable)),
        ("post", "/accounts/{id}/unlock", post(unlock)),
        (
            "post",
            "/accounts/{id}/reset-password",
            post(reset_password),
        ),
        ("post", "/accounts/{id}/roles", post(grant)),
        (
            "delete",
            "/accounts/{id}/methods/{method}",
            delete(reset_method),
        ),
        ("delete", "/accounts/{id}/roles/{role}", delete(revoke)),
        ("get", "/org", get(org)),
        ("post", "/org", post(create_unit)),
        ("get", "/org/{id}", get(unit)),
        ("put", "/org/{id}", put(update_unit)),
        ("post", "/org/{id}/move", post(move_unit)),
        ("delete", "/org/{id}", delete(delete_unit)),
        ("get", "/settings", get(settings)),
        ("put", "/settings", put(save_settings)),
        ("get", "/audit", get(audit)),
        ("get", "/audit/export.xlsx", get(audit_export)),
        ("get", "/audit/{seq}", get(audit_event)),
        ("post", "/apps/verify", post(app_verify)),
        ("post", "/apps/sms", post(app_sms)),
        // A batch of 1,000 records at their longest is about 3 MiB.
        (
            "post",
            "/apps/usage",
            post(app_usage).layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        ),
        ("get", "/apps", get(apps_list)),
        ("post", "/apps", post(app_register)),
        ("get", "/apps/{id}", get(app_get)),
        ("put", "/apps/{id}", put(app_update)),
        ("post", "/apps/{id}/services", post(app_apply)),
        ("post", "/apps/{id}/secret", post(app_secret)),
        ("post", "/apps/{id}/secret/revoke", post(app_secret_revoke)),
        ("post", "/apps/{id}/suspend", post(app_suspend)),
        ("post", "/apps/{id}/reactivate", post(app_reactivate)),
        ("get", "/app-services/{id}", get(app_service)),
        ("post", "/app-services/{id}/decision", post(app_decide)),
        ("get", "/venues", get(venues)),
        ("get", "/venues/{id}/week", get(venue_week)),
        ("post", "/venues/{id}/requests", post(request_venue)),
        ("get", "/cars", get(cars)),
        ("get", "/cars/{id}/week", get(car_week)),
        ("post", "/cars/{id}/requests", post(request_car)),
        ("get", "/bookings", get(my_bookings)),
        ("post", "/bookings/{id}/cancel", post(cancel_booking)),
        ("get", "/item-requests", get(item_requests)),
        ("post", "/item-requests/decide", post(decide_bookings)),
        ("get", "/calendars", get(feeds)),
        ("post", "/calendars", post(create_feed)),
        ("delete", "/calendars/{id}", delete(revoke_feed)),
        ("get", "/announcements", get(announcements)),
        ("post", "/announcements", post(post_announcement)),
        ("get", "/me/announcements", get(my_announcements)),
        ("get", "/announcements/{id}", get(announcement)),
        ("put", "/announcements/{id}", put(edit_announcement)),
        ("delete", "/announcements/{id}", delete(delete_announcement)),
        (
            "post",
            "/announcements/{id}/take-down",
            post(take_down_announcement),
        ),
        (
            "get",
            "/announcements/{id}/files/{file}",
            get(announcement_file),
        ),
        ("post", "/announcements/{id}/comments", post(comment)),
        (
            "post",
            "/announcements/{id}/comments/{comment}/reply",
            post(reply_comment),
        ),
        (
            "post",
            "/announcements/{id}/comments/{comment}/hide",
            post(hide_comment),
        ),
        ("get", "/me/documents", get(my_topics)),
        ("post", "/documents", post(file_topic)),
        ("get", "/documents/{id}", get(topic)),
        ("put", "/documents/{id}", put(edit_topic)),
        ("delete", "/documents/{id}", delete(delete_topic)),
        ("post", "/documents/find", post(find_topics)),
        ("get", "/downloads", get(downloads)),
        ("get", "/downloads/{id}", get(download)),
        ("put", "/downloads/{id}", put(edit_download)),
        ("delete", "/downloads/{id}", delete(delete_download)),
        ("put", "/downloads/{id}/keep", put(keep_download)),
        ("get", "/faq", get(faq)),
        ("get", "/links", get(links)),
        ("get", "/notices", get(notices)),
        ("get", "/content/notices", get(all_notices)),
        ("post", "/content/notices", post(create_notice)),
        ("put", "/content/notices/{id}", put(update_notice)),
        ("delete", "/content/notices/{id}", delete(delete_notice)),
        ("get", "/content/faq", get(all_faqs)),
        ("post", "/content/faq", post(create_faq)),
        ("put", "/content/faq/{id}", put(update_faq)),
        ("delete", "/content/faq/{id}", delete(delete_faq)),
        ("get", "/content/links", get(all_links)),
        ("post", "/content/links", post(create_link)),
        ("put", "/content/links/{id}", put(update_link)),
        ("delete", "/content/links/{id}", delete(delete_link)),
        ("get", "/repair-types", get(repair_types)),
        ("post", "/repair-types/{id}/repairs", post(report)),
        ("get", "/repair-types/{id}/stats", get(repair_stats)),
        ("get", "/repairs", get(my_repairs)),
        ("get", "/repairs/work", get(repair_work)),
        ("get", "/repairs/{id}", get(repair)),
        ("post", "/repairs/{id}/reply", post(reply)),
        ("post", "/repairs/{id}/rate", post(rate)),
        ("post", "/repairs/{id}/return", post(give_back)),
        ("get", "/items/{kind}", get(kept)),
        ("post", "/items/{kind}", post(create)),
        ("get", "/items/{kind}/{id}", get(one)),
        ("put", "/items/{kind}/{id}", put(update)),
        ("delete", "/items/{kind}/{id}", delete(remove)),
        ("post", "/items/{kind}/{id}/custodian", post(custodian)),
    ]
}

pub fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, mr)| r.route(path, mr))
}

type ApiResult = Result<Response, WebError>;

/// A body's field sent as a string, a number or a boolean, as text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn ok() -> ApiResult {
    Ok(axum::Json(json!({ "ok": true })).into_response())
}

fn page<T: serde::Serialize>(p: portico_store::Page<T>) -> ApiResult {
    Ok(axum::Json(
        json!({ "total": p.total, "page": p.page, "per_page": p.per_page, "items": p.items }),
    )
    .into_response())
}

fn filter_of(q: &crate::support::RecordsQuery) -> Result<portico_store::audit::Filter, WebError> {
    let (f, errs) = q.filter();
    if errs.is_empty() {
        Ok(f)
    } else {
        Err(WebError::api(Error::Invalid(errs)))
    }
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../openapi.json"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_route_is_in_the_openapi_document_and_nothing_else() {
        let doc: Value = serde_json::from_str(include_str!("../../openapi.json")).expect("json");
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                    documented.insert((method.clone(), path.clone()));
                }
            }
        }
        let routed: BTreeSet<_> = routes()
            .into_iter()
            .filter(|(_, p, _)| *p != "/openapi.json")
            .map(|(m, p, _)| (m.to_owned(), p.to_owned()))
            .collect();
        assert_eq!(routed, documented);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "d": 3});
        merge_patch(&mut t, json!({"a": {"b": 9, "c": null}, "e": [1]}));
        assert_eq!(t, json!({"a": {"b": 9}, "d": 3, "e": [1]}));
    }

    #[test]
    fn unknown_setting_names_are_found_at_any_depth() {
        let cur = json!({"lockout": {"max_failures": 5}, "x": 1});
        let mut out = Vec::new();
        unknown_keys(
            &json!({"lockout": {"max_failure": 6}, "x": 2, "y": 3}),
            &cur,
            "",
            &mut out,
        );
        assert_eq!(out, ["lockout.max_failure", "y"]);
    }
}
