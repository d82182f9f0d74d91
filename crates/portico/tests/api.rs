//! The JSON API under `/api/v1`: every write the pages offer, with the same
//! rules, the same scope and the same refusals, on a real server and a real
//! database (SQLite, or PostgreSQL when PORTICO_TEST_PG is set).
mod common;

use common::TestServer;
use serde_json::{Value, json};

/// The id of the unit at `agency/section` in the org tree the API returns.
async fn unit_id(c: &mut common::Client, agency: &str, section: Option<&str>) -> i64 {
    let (_, org) = c.api_get("/org").await;
    let items = org["items"].as_array().expect("items");
    let agency_at = items
        .iter()
        .position(|i| i["unit"]["name"] == agency)
        .unwrap_or_else(|| panic!("{agency} in the tree"));
    let Some(section) = section else {
        return items[agency_at]["unit"]["id"].as_i64().expect("id");
    };
    let path = items[agency_at]["unit"]["path"].as_str().expect("path");
    items
        .iter()
        .find(|i| {
            i["unit"]["name"] == section
                && i["unit"]["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(path))
        })
        .and_then(|i| i["unit"]["id"].as_i64())
        .unwrap_or_else(|| panic!("{agency}/{section} in the tree"))
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([30, 120, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

#[tokio::test]
async fn a_person_edits_their_profile_password_avatar_and_prefs_through_the_api() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;

    let (st, _) = c
        .api(
            "PUT",
            "/me/profile",
            &csrf,
            Some(json!({"name": "王小明", "title": "股長", "office_phone": "2991111", "office_ext": "8123"})),
        )
        .await;
    assert_eq!(st, 200);
    let (_, me) = c.api_get("/me").await;
    assert_eq!(me["account"]["title"], "股長");

    // 004 §參: the official phone is digits only, without the area code.
    let (st, body) = c
        .api(
            "PUT",
            "/me/profile",
            &csrf,
            Some(json!({"name": "王小明", "title": "科員", "office_phone": "(06)299-1111"})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "office_phone", "{body}");
    assert!(body["fields"][0]["message"]["zh"].as_str().is_some());
    assert_eq!(
        c.api_get("/me").await.1["account"]["title"],
        "股長",
        "unchanged"
    );

    // The password policy holds through the API too: the quote is refused.
    let (st, body) = c
        .api(
            "POST",
            "/me/password",
            &csrf,
            Some(json!({"old_password": portico_app::demo::DEMO_PASSWORD, "new_password": "Abcdef1'x", "confirm_password": "Abcdef1'x"})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, body) = c
        .api(
            "POST",
            "/me/password",
            &csrf,
            Some(json!({"old_password": portico_app::demo::DEMO_PASSWORD, "new_password": "Newpass#2027", "confirm_password": "Newpass#2027"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let (_, st, _) = s.sign_in("staff", "Newpass#2027").await;
    assert_eq!(st, 303, "the new password signs in");

    let (st, body) = c
        .api_bytes("PUT", "/me/avatar", &csrf, "image/png", png(600, 400))
        .await;
    assert_eq!(st, 200, "{body}");
    let id = s.account_id("staff").await;
    let me = common::oidc::principal(&s, &c).await;
    let stored = s
        .app
        .avatar(&me, portico_core::ids::AccountId(id))
        .await
        .unwrap();
    // Issue 12 §1.5: ids are sequential, so the avatar is the person's own
    // and their admins', not every signed-in stranger's.
    let mut other = s.signed_in("civil_admin").await;
    assert_eq!(
        other.get(&format!("/avatar/{id}")).await.0,
        200,
        "the admin over them"
    );
    let mut stranger = s.signed_in("edu_admin").await;
    assert_eq!(
        stranger.get(&format!("/avatar/{id}")).await.0,
        404,
        "another agency's admin"
    );
    assert_eq!(c.get(&format!("/avatar/{id}")).await.0, 200, "their own");
    let stored = image::load_from_memory(&stored.expect("avatar stored")).expect("png");
    assert!(
        stored.width() <= 256 && stored.height() <= 256,
        "re-encoded"
    );
    let (st, body) = c
        .api_bytes(
            "PUT",
            "/me/avatar",
            &csrf,
            "image/gif",
            b"GIF89a....".to_vec(),
        )
        .await;
    assert_eq!(st, 422, "only PNG or JPEG: {body}");
    let (st, _) = c.api("DELETE", "/me/avatar", &csrf, None).await;
    assert_eq!(st, 200);
    assert!(
        s.app
            .avatar(&me, portico_core::ids::AccountId(id))
            .await
            .unwrap()
            .is_none()
    );

    let (st, body) = c
        .api("PUT", "/me/prefs", &csrf, Some(json!({"lang": "fr"})))
        .await;
    assert_eq!(
        (st, body["fields"][0]["field"].clone()),
        (422, json!("lang"))
    );
    let (st, _) = c
        .api(
            "PUT",
            "/me/prefs",
            &csrf,
            Some(json!({"lang": "en", "theme": "dark"})),
        )
        .await;
    assert_eq!(st, 200);
    let home = c.get("/").await.1;
    assert!(home.contains("lang=\"en\""), "the shell speaks English now");

    let (st, usage) = c.api_get("/me/usage-records").await;
    assert_eq!(st, 200);
    let actions: Vec<&str> = usage["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["action"].as_str())
        .collect();
    assert!(actions.contains(&"account.profile.update"), "{actions:?}");
    assert!(actions.contains(&"account.avatar.remove"), "{actions:?}");
    let seq = usage["items"][0]["seq"].as_i64().unwrap();
    assert_eq!(c.api_get(&format!("/me/records/{seq}")).await.0, 200);
    let (st, _) = c.api_get("/me/usage-records?from=2026-13-40").await;
    assert_eq!(st, 422, "a date that is not a date");
}

#[tokio::test]
async fn an_expired_password_allows_only_the_password_change_through_the_api() {
    let s = TestServer::start(20).await;
    let (mut c, _, _) = s
        .sign_in("expiring", portico_app::demo::DEMO_PASSWORD)
        .await;
    s.clock.advance(time::Duration::days(6));
    let (mut c2, st, _) = s
        .sign_in("expiring", portico_app::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(st, 303);
    let csrf = c2.csrf_from("/account/password").await;
    let (st, body) = c2
        .api("PUT", "/me/profile", &csrf, Some(json!({"name": "李淑芬"})))
        .await;
    assert_eq!(st, 409, "{body}");
    assert!(
        body["message"]["zh"]
            .as_str()
            .unwrap()
            .contains("密碼已到期")
    );
    assert_eq!(c2.api_get("/me").await.0, 200);
    let (st, _) = c2
        .api(
            "POST",
            "/me/password",
            &csrf,
            Some(json!({"old_password": portico_app::demo::DEMO_PASSWORD, "new_password": "Renewed#2027", "confirm_password": "Renewed#2027"})),
        )
        .await;
    assert_eq!(st, 200);
    // Changing the password ended the other session.
    assert_eq!(c.api_get("/me").await.0, 401);
}

/// Issue 12 §1.5 and §5: the unit picker gets what it needs (names, full
/// paths, a search by name or OID) and nobody but admins gets the number
/// of accounts under each unit.
#[tokio::test]
async fn the_org_tree_is_searched_by_name_or_oid_and_counts_are_for_admins() {
    let s = TestServer::start(20).await;
    let mut staff = s.signed_in("staff").await;
    let (st, all) = staff.api_get("/org").await;
    assert_eq!(st, 200);
    let items = all["items"].as_array().unwrap();
    assert!(items.len() > 10);
    assert!(
        items.iter().all(|i| i.get("accounts").is_none()),
        "no counts for staff"
    );
    let (_, found) = staff.api_get("/org?q=%E6%B0%91%E6%94%BF%E5%B1%80").await; // 民政局
    let found = found["items"].as_array().unwrap().clone();
    assert!(!found.is_empty() && found.len() < items.len());
    assert!(
        found
            .iter()
            .all(|i| i["path_name"].as_str().unwrap().contains("民政局")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|i| i["path_name"].as_str().unwrap().contains("民政局／")),
        "its sections, named with it"
    );
    let oid = found[0]["unit"]["oid"].as_str().unwrap().to_owned();
    let (_, by_oid) = staff.api_get(&format!("/org?q={oid}&limit=1")).await;
    assert_eq!(by_oid["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_oid["items"][0]["unit"]["oid"], oid.as_str());

    let mut admin = s.signed_in("admin").await;
    let (_, all) = admin.api_get("/org").await;
    assert!(
        all["items"][0]["accounts"].as_i64().is_some(),
        "counts for admins"
    );
}

#[tokio::test]
async fn a_system_admin_runs_the_org_tree_and_settings_through_the_api() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf().await;
    let civil = unit_id(&mut c, "民政局", None).await;
    let (_, parent) = c.api_get(&format!("/org/{civil}")).await;
    let civil_oid = parent["unit"]["oid"].as_str().unwrap().to_owned();

    // OIDs must stand under the parent's OID.
    let (st, body) = c
        .api(
            "POST",
            "/org",
            &csrf,
            Some(json!({"parent_id": civil, "kind": "unit", "name": "資訊股", "oid": "2.16.886.1.1"})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "oid");
    let (st, body) = c
        .api(
            "POST",
            "/org",
            &csrf,
            Some(json!({"parent_id": civil, "kind": "unit", "name": "資訊股", "oid": format!("{civil_oid}.77")})),
        )
        .await;
    assert_eq!(st, 201, "{body}");
    let new = body["unit"]["id"].as_i64().unwrap();
    let (st, _) = c
        .api(
            "PUT",
            &format!("/org/{new}"),
            &csrf,
            Some(json!({"name": "資訊管理股"})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        c.api_get(&format!("/org/{new}")).await.1["unit"]["name"],
        "資訊管理股"
    );

    // Move it under 教育局 with an OID there.
    let edu = unit_id(&mut c, "教育局", None).await;
    let edu_oid = c.api_get(&format!("/org/{edu}")).await.1["unit"]["oid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, body) = c
        .api(
            "POST",
            &format!("/org/{new}/move"),
            &csrf,
            Some(json!({"parent_id": edu, "oid": format!("{edu_oid}.77")})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(
        c.api_get(&format!("/org/{new}")).await.1["unit"]["parent_id"],
        edu
    );

    // A unit with accounts cannot be deleted; an empty one can.
    let (st, _) = c.api("DELETE", &format!("/org/{civil}"), &csrf, None).await;
    assert_eq!(st, 409);
    let (st, _) = c.api("DELETE", &format!("/org/{new}"), &csrf, None).await;
    assert_eq!(st, 200);
    assert_eq!(c.api_get(&format!("/org/{new}")).await.0, 404);

    // Settings: a merge patch changes one value and keeps the rest.
    let (st, before) = c.api_get("/settings").await;
    assert_eq!(st, 200);
    let (st, after) = c
        .put_settings(&csrf, json!({"lockout": {"max_failures": 6}}))
        .await;
    assert_eq!(st, 200, "{after}");
    assert_eq!(after["lockout"]["max_failures"], 6);
    assert_eq!(after["password"], before["password"]);
    // 004 §貳: a policy shorter than 8 characters is refused, nothing changes.
    let (st, body) = c
        .put_settings(&csrf, json!({"password": {"min_len": 4}}))
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, body) = c
        .put_settings(&csrf, json!({"session_idle_minutes": "thirty"}))
        .await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(
        c.api_get("/settings").await.1["password"]["min_len"],
        before["password"]["min_len"]
    );
    // A body that is not an object (it would replace every parameter) and
    // a null (it would drop one back to its default) change nothing.
    let now = c.api_get("/settings").await.1;
    for (bad, says) in [
        (json!([]), "JSON 物件"),
        (json!([{"password": {"min_len": 9}}]), "JSON 物件"),
        (json!({"lockout": null}), "lockout"),
        (json!({"password": {"min_len": null}}), "password.min_len"),
    ] {
        let (st, body) = c.put_settings(&csrf, bad.clone()).await;
        assert_eq!(st, 422, "{bad}: {body}");
        assert!(body.to_string().contains(says), "{bad}: {body}");
        assert_eq!(c.api_get("/settings").await.1, now, "{bad} changed nothing");
    }

    // Issue 12: a type error is said in words, naming the parameter (not
    // the JSON library's text); {} writes no version; If-Match is
    // required, and one naming a version that never was is refused.
    let (st, body) = c
        .put_settings(&csrf, json!({"session_idle_minutes": "thirty"}))
        .await;
    assert_eq!(st, 422);
    let says = body.to_string();
    assert!(
        says.contains("參數 session_idle_minutes 須為零或正整數"),
        "{says}"
    );
    assert!(!says.contains("invalid type"), "{says}");
    let (st, body) = c
        .put_settings(&csrf, json!({"outside_methods": ["carrier_pigeon"]}))
        .await;
    assert_eq!(st, 422);
    assert!(body.to_string().contains("outside_methods"), "{body}");
    let etag = |c: &mut common::Client| {
        let (http, base, cookie) = (c.http.clone(), c.base.clone(), c.cookie.clone());
        async move {
            http.get(format!("{base}/api/v1/settings"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .headers()["etag"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let before_empty = etag(&mut c).await;
    let (st, _) = c.put_settings(&csrf, json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(
        etag(&mut c).await,
        before_empty,
        "an empty patch saves nothing"
    );
    let (st, body) = c
        .api(
            "PUT",
            "/settings",
            &csrf,
            Some(json!({"session_idle_minutes": 25})),
        )
        .await;
    assert_eq!(st, 428, "no If-Match: {body}");
    assert!(body.to_string().contains("If-Match"));
    for bogus in ["\"999\"", "\"-5\"", "W/x"] {
        let r = c
            .http
            .put(format!("{}/api/v1/settings", c.base))
            .header("cookie", &c.cookie)
            .header("x-csrf-token", &csrf)
            .header("if-match", bogus)
            .json(&json!({"session_idle_minutes": 25}))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status().as_u16(), 412 | 422),
            "{bogus}: {}",
            r.status()
        );
    }
    assert_ne!(c.api_get("/settings").await.1["session_idle_minutes"], 25);

    // Only system admins see or change the parameters.
    let mut agency = s.signed_in("civil_admin").await;
    let acsrf = agency.csrf().await;
    assert_eq!(agency.api_get("/settings").await.0, 403);
    let (st, _) = agency
        .put_settings(&acsrf, json!({"lockout": {"max_failures": 99}}))
        .await;
    assert_eq!(st, 403);
    let (st, _) = agency
        .api("POST", "/org", &acsrf, Some(json!({"parent_id": civil, "kind": "unit", "name": "x", "oid": format!("{civil_oid}.78")})))
        .await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn agency_admin_cannot_reset_or_grant_outside_subtree_through_the_api() {
    let s = TestServer::start(40).await;
    let outsider = s.account_id("edu_admin").await;
    let insider = s.account_id("staff").await;
    let mut c = s.signed_in("civil_admin").await;
    let csrf = c.csrf().await;
    let civil_section = unit_id(&mut c, "民政局", Some("行政科")).await;
    let edu = unit_id(&mut c, "教育局", None).await;

    for (method, path, body) in [
        ("POST", format!("/accounts/{outsider}/reset-password"), None),
        ("POST", format!("/accounts/{outsider}/unlock"), None),
        (
            "POST",
            format!("/accounts/{outsider}/roles"),
            Some(json!({"kind": "unit_admin", "scope_unit": civil_section})),
        ),
        ("DELETE", format!("/accounts/{outsider}/roles/1"), None),
    ] {
        let (st, r) = c.api(method, &path, &csrf, body).await;
        assert_eq!(st, 404, "{method} {path}: {r}");
    }
    // In scope, but a scope outside the admin's own subtree is refused.
    let (st, r) = c
        .api(
            "POST",
            &format!("/accounts/{insider}/roles"),
            &csrf,
            Some(json!({"kind": "unit_admin", "scope_unit": edu})),
        )
        .await;
    assert_eq!(st, 403, "{r}");
    let (st, r) = c
        .api(
            "POST",
            &format!("/accounts/{insider}/roles"),
            &csrf,
            Some(json!({"kind": "unit_admin", "scope_unit": civil_section})),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let (_, acct) = c.api_get(&format!("/accounts/{insider}")).await;
    let role = acct["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "unit_admin")
        .expect("granted");
    let role_id = role["id"].as_i64().unwrap();
    let (st, _) = c
        .api(
            "DELETE",
            &format!("/accounts/{insider}/roles/{role_id}"),
            &csrf,
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, _) = c
        .api(
            "POST",
            &format!("/accounts/{insider}/reset-password"),
            &csrf,
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (_, st, to) = s.sign_in("staff", portico_app::demo::DEMO_PASSWORD).await;
    assert_eq!(
        (st, to.as_str()),
        (303, "/account/password"),
        "must change at sign-in"
    );

    // The outsider's roles are untouched: still edu's agency admin.
    let mut admin = s.signed_in("admin").await;
    let (_, o) = admin.api_get(&format!("/accounts/{outsider}")).await;
    assert!(
        o["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "agency_admin")
    );
}

#[tokio::test]
async fn a_disabled_unit_cannot_be_a_role_scope() {
    let s = TestServer::start(20).await;
    let staff = s.account_id("staff").await;
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf().await;
    let section = unit_id(&mut c, "民政局", Some("業務一科")).await;
    let (st, _) = c
        .api(
            "PUT",
            &format!("/org/{section}"),
            &csrf,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, body) = c
        .api(
            "POST",
            &format!("/accounts/{staff}/roles"),
            &csrf,
            Some(json!({"kind": "unit_admin", "scope_unit": section})),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    assert!(
        body["fields"][0]["message"]["zh"]
            .as_str()
            .unwrap()
            .contains("已停用")
    );
    let (_, acct) = c.api_get(&format!("/accounts/{staff}")).await;
    assert!(
        acct["roles"].as_array().unwrap().is_empty(),
        "nothing granted"
    );
    // Nor is it offered on the page.
    let page = c.get(&format!("/admin/accounts/{staff}")).await.1;
    assert!(
        !page.contains(&format!("<option value=\"{section}\"")),
        "not offered"
    );
}

#[tokio::test]
async fn the_api_answers_json_errors_never_500() {
    let s = TestServer::start(20).await;
    let mut c = s.signed_in("admin").await;
    let csrf = c.csrf().await;
    let bodies: [Value; 4] = [json!(null), json!([1, 2]), json!("x"), json!({"kind": 5})];
    for path in ["/me/profile", "/settings", "/org/1", "/accounts/1/roles"] {
        for b in &bodies {
            let method = if path.ends_with("roles") {
                "POST"
            } else {
                "PUT"
            };
            let (st, r) = c.api(method, path, &csrf, Some(b.clone())).await;
            assert!((400..500).contains(&st), "{method} {path} {b}: {st} {r}");
            assert!(r["error"].is_string(), "{path}: {r}");
        }
    }
    // The export states its grounds (002 §六 (三) 2)…
    let (st, r) = c.api_get("/audit/export.xlsx").await;
    assert_eq!(st, 422, "{r}");
    assert_eq!(r["fields"][0]["field"], "reason", "{r}");
    // …and is a workbook, not JSON.
    let r = c
        .http
        .get(format!(
            "{}/api/v1/audit/export.xlsx?reason_kind=case&reason=R115-0042",
            c.base
        ))
        .header("cookie", &c.cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("body");
    assert!(bytes.starts_with(b"PK"), "an xlsx (zip) file");
}

/// Issue 12 §5: the review queue, a person's requests, the outbox, contacts
/// and one's own sign-in methods through `/api/v1`, with the pages' rules
/// and scope.
#[tokio::test]
async fn the_review_queue_requests_outbox_contacts_and_methods_are_in_the_api() {
    let s = TestServer::start(40).await;
    // A person asks for admin rights through the API.
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let (st, body) = staff
        .api_post("/me/requests/admin-rights", &csrf, json!({"reason": " "}))
        .await;
    assert_eq!(st, 422, "a reason is needed: {body}");
    let (st, _) = staff
        .api_post(
            "/me/requests/admin-rights",
            &csrf,
            json!({"reason": "承辦系統管理"}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, mine) = staff.api_get("/me/requests").await;
    assert_eq!(mine["items"][0]["kind"], "admin_rights", "{mine}");

    // Another agency's admin does not see it; theirs does, and decides.
    let mut edu = s.signed_in("edu_admin").await;
    let (_, q) = edu.api_get("/requests?kind=admin_rights").await;
    assert_eq!(q["total"], 0, "{q}");
    let mut civil = s.signed_in("civil_admin").await;
    let ccsrf = civil.csrf().await;
    let (st, q) = civil.api_get("/requests?kind=admin_rights").await;
    assert_eq!(st, 200);
    let id = q["items"][0]["id"].as_i64().expect("the request");
    assert_eq!(edu.api_get(&format!("/requests/{id}")).await.0, 404);
    let (st, one) = civil.api_get(&format!("/requests/{id}")).await;
    assert_eq!(st, 200);
    assert_eq!(one["applicant"]["login"], "staff");
    assert!(
        one["applicant"].get("national_id").is_none(),
        "never in full"
    );
    let (st, body) = civil
        .api_post(
            "/requests/decide",
            &ccsrf,
            json!({"ids": [id], "decision": "maybe"}),
        )
        .await;
    assert_eq!(st, 422, "{body}");
    let ecsrf = edu.csrf().await;
    let (_, out) = edu
        .api_post(
            "/requests/decide",
            &ecsrf,
            json!({"ids": [id], "decision": "approve"}),
        )
        .await;
    assert_eq!(out["not_found"], json!([id]), "not theirs: {out}");
    let (st, out) = civil
        .api_post(
            "/requests/decide",
            &ccsrf,
            json!({"ids": [id], "decision": "approve"}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(out["done"], json!([id]), "{out}");
    let (_, again) = civil
        .api_post(
            "/requests/decide",
            &ccsrf,
            json!({"ids": [id], "decision": "reject", "note": "x"}),
        )
        .await;
    assert_eq!(again["done"], json!([]), "decided once: {again}");

    // The outbox: system admins only; a live code is not shown.
    assert_eq!(civil.api_get("/outbox").await.0, 403);
    let mut admin = s.signed_in("admin").await;
    let (st, ob) = admin.api_get("/outbox?channel=mail").await;
    assert_eq!(st, 200);
    assert!(
        ob["total"].as_i64().unwrap() > 0 && ob["counts"].is_object(),
        "{ob}"
    );
    let mid = ob["items"][0]["id"].as_i64().unwrap();
    assert_eq!(admin.api_get(&format!("/outbox/{mid}")).await.0, 200);
    let acsrf = admin.csrf().await;
    let (st, body) = admin
        .api_post(&format!("/outbox/{mid}/retry"), &acsrf, json!({}))
        .await;
    assert_eq!(st, 409, "only a failed message is sent again: {body}");

    // Contacts: a code to the new backup address binds it.
    let (st, body) = staff
        .api_post(
            "/me/contacts/email",
            &csrf,
            json!({"email": "new.backup@example.org"}),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let code = s.code_sent_to("new.backup@example.org").await;
    let (st, body) = staff
        .api_post(
            "/me/contacts/email/confirm",
            &csrf,
            json!({"email": "new.backup@example.org", "code": "000000"}),
        )
        .await;
    assert!((400..500).contains(&st), "a wrong code: {body}");
    let (st, _) = staff
        .api_post(
            "/me/contacts/email/confirm",
            &csrf,
            json!({"email": "new.backup@example.org", "code": code}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        staff.api_get("/me").await.1["account"]["backup_email"],
        "new.backup@example.org"
    );

    // One's own methods: the authenticator app set up and turned off.
    let (_, m) = staff.api_get("/me/methods").await;
    assert_eq!(m["totp"], "off");
    let (st, _) = staff
        .api_post("/me/methods/totp", &csrf, json!({"password": "wrong"}))
        .await;
    assert!((400..500).contains(&st), "the password again");
    let (st, t) = staff
        .api_post(
            "/me/methods/totp",
            &csrf,
            json!({"password": portico_app::demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(st, 200, "{t}");
    let secret = totp_rs::Secret::try_from_base32(t["secret"].as_str().unwrap().replace(' ', ""))
        .expect("base32");
    let now = portico_app::Clock::now(&s.clock).unix_timestamp() as u64;
    let code = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .unwrap()
        .generate(now)
        .to_string();
    let (st, body) = staff
        .api_post("/me/methods/totp/confirm", &csrf, json!({"code": code}))
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(staff.api_get("/me/methods").await.1["totp"], "on");
    let (st, _) = staff
        .api_post(
            "/me/methods/totp/disable",
            &csrf,
            json!({"password": portico_app::demo::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(staff.api_get("/me/methods").await.1["totp"], "off");
}
