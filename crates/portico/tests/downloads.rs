//! Issue 17's 檔案下載區 (seed 004 §伍 三) through the real use cases and
//! pages: an entry needs its 使用說明, 主類別, 發布範圍 and a file checked by
//! its content; 全府 files reach everyone and 本機關 ones their agency only,
//! in lists, details and downloads; the uploader and the admins over the
//! agency edit, delete and mark 保留, nobody else; the advanced search;
//! sharing, changes and downloads are audited.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::access::Upload;
use portico_app::downloads::DownloadQuery;
use portico_core::Error;
use portico_core::download::DownloadInput;

fn ctx() -> Ctx {
    Ctx::new("127.0.0.1", "test")
}

async fn one(s: &TestServer, sql: &str) -> i64 {
    let mut c = s.app.db.read().await.unwrap();
    sqlx::Row::get::<i64, _>(
        &sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        0,
    )
}

fn csv(name: &str) -> Vec<Upload> {
    vec![Upload {
        name: name.into(),
        bytes: "項目,金額\n交通費,1200\n".as_bytes().to_vec(),
    }]
}

fn input(description: &str, category: &str, scope: &str) -> DownloadInput {
    DownloadInput {
        description: description.into(),
        category: category.into(),
        scope: scope.into(),
    }
}

fn q(tab: &str) -> DownloadQuery {
    DownloadQuery {
        tab: tab.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_entry_needs_every_field_and_a_real_file() {
    let s = TestServer::start(30).await;
    let staff = s.principal_of("staff").await;
    let before = one(&s, "SELECT COUNT(*) FROM downloads").await;
    match s
        .app
        .share_download(&staff, &DownloadInput::default(), vec![], &ctx())
        .await
    {
        Err(Error::Invalid(v)) => {
            let fields: Vec<_> = v.iter().map(|f| f.field).collect();
            assert_eq!(fields, vec!["description", "category", "scope", "files"]);
        }
        other => panic!("{other:?}"),
    }
    // A program named as a spreadsheet is refused by its content.
    let fake = vec![Upload {
        name: "報支單.xlsx".into(),
        bytes: b"MZ\x90\0\x03\0\0\0".to_vec(),
    }];
    match s
        .app
        .share_download(&staff, &input("報支單", "forms", "city"), fake, &ctx())
        .await
    {
        Err(Error::Invalid(v)) => assert_eq!(v[0].field, "files"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        one(&s, "SELECT COUNT(*) FROM downloads").await,
        before,
        "nothing kept"
    );
    assert_eq!(
        one(
            &s,
            "SELECT COUNT(*) FROM downloads d JOIN download_files f ON f.download_id = d.id"
        )
        .await,
        one(&s, "SELECT COUNT(*) FROM download_files").await
    );
    // Through the page: the same refusal, 422, the fields named.
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    let mut body = String::new();
    for (k, v) in [
        ("_csrf", csrf.as_str()),
        ("description", ""),
        ("category", "forms"),
        ("scope", "city"),
    ] {
        body.push_str(&format!(
            "--XB\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str("--XB\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--XB--\r\n");
    let (st, body) = c
        .post_raw(
            "/downloads/new",
            "multipart/form-data; boundary=XB",
            body.into_bytes(),
        )
        .await;
    assert_eq!(st, 422);
    assert!(
        body.contains("請填寫使用說明") && body.contains("請選擇要上傳的檔案"),
        "{body}"
    );
}

#[tokio::test]
async fn city_files_reach_everyone_and_agency_files_their_agency_only() {
    let s = TestServer::start(30).await;
    let staff = s.principal_of("staff").await; // 民政局
    let clerk = s.principal_of("clerk").await; // 民政局
    let edu = s.principal_of("edu_admin").await; // 教育局
    let city = s
        .app
        .share_download(
            &staff,
            &input("115 年度差旅費報支單", "forms", "city"),
            csv("報支單.csv"),
            &ctx(),
        )
        .await
        .unwrap();
    let ours = s
        .app
        .share_download(
            &staff,
            &input("民政局內部研習講義", "training", "agency"),
            csv("講義.csv"),
            &ctx(),
        )
        .await
        .unwrap();
    let ids = |p: portico_store::Page<portico_store::downloads::DownloadRow>| {
        p.items.iter().map(|d| d.id).collect::<Vec<_>>()
    };
    // 全府檔案: everyone; 本機關檔案: the agency's, both scopes.
    assert!(ids(s.app.downloads(&edu, &q("city"), 1).await.unwrap()).contains(&city));
    assert!(!ids(s.app.downloads(&edu, &q("city"), 1).await.unwrap()).contains(&ours));
    assert!(!ids(s.app.downloads(&edu, &q("agency"), 1).await.unwrap()).contains(&ours));
    let colleague = ids(s.app.downloads(&clerk, &q("agency"), 1).await.unwrap());
    assert!(colleague.contains(&ours) && colleague.contains(&city));
    assert_eq!(
        ids(s.app.downloads(&clerk, &q("mine"), 1).await.unwrap()),
        Vec::<i64>::new()
    );
    // 我的檔案: the newest first (the demo's own two after them).
    assert_eq!(
        ids(s.app.downloads(&staff, &q("mine"), 1).await.unwrap())[..2],
        [ours, city]
    );
    // Another agency reaches nothing of it: not its detail, not its file.
    assert!(matches!(
        s.app.download_entry(&edu, ours).await,
        Err(Error::NotFound)
    ));
    let file = one(
        &s,
        &format!("SELECT file_id FROM download_files WHERE download_id = {ours}"),
    )
    .await;
    assert!(matches!(
        s.app.download_file(&edu, ours, file, &ctx()).await,
        Err(Error::NotFound)
    ));
    let mut c = s.signed_in("edu_admin").await;
    assert_eq!(c.get(&format!("/downloads/{ours}")).await.0, 404);
    assert_eq!(c.api_get(&format!("/downloads/{ours}")).await.0, 404);
    let (st, j) = c.api_get("/downloads?tab=city").await;
    assert_eq!(st, 200);
    assert!(
        j["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == city)
    );
    let csrf = c.csrf().await;
    let (st, _) = c
        .api(
            "PUT",
            &format!("/downloads/{ours}/keep"),
            &csrf,
            Some(serde_json::json!({"keep": true})),
        )
        .await;
    assert_eq!(st, 404, "another agency cannot mark it");
    assert_eq!(
        c.get_bytes(&format!("/downloads/{ours}/files/{file}"))
            .await
            .0,
        404
    );
    // The file comes as an attachment, unsniffed, sandboxed.
    let clerk_web = s.signed_in("clerk").await;
    let r = reqwest::Client::new()
        .get(format!("{}/downloads/{ours}/files/{file}", s.base))
        .header("cookie", &clerk_web.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(
        h["content-security-policy"], "sandbox",
        "the file's own policy is kept"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // A colleague downloads it: counted and audited.
    let f = s
        .app
        .download_file(&clerk, ours, file, &ctx())
        .await
        .unwrap();
    assert_eq!(f.bytes, "項目,金額\n交通費,1200\n".as_bytes());
    assert_eq!(
        one(
            &s,
            &format!("SELECT downloads FROM downloads WHERE id = {ours}")
        )
        .await,
        2,
        "the page's download and this one"
    );
    assert_eq!(one(&s, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'download.download' AND target_id = {ours}")).await, 2);
    // A file of another entry is not served through this one.
    let city_file = one(
        &s,
        &format!("SELECT file_id FROM download_files WHERE download_id = {city}"),
    )
    .await;
    assert!(matches!(
        s.app.download_file(&clerk, ours, city_file, &ctx()).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn only_the_uploader_and_the_agencys_admins_change_an_entry() {
    let s = TestServer::start(30).await;
    let staff = s.principal_of("staff").await;
    let clerk = s.principal_of("clerk").await;
    let edu = s.principal_of("edu_admin").await;
    let civil_admin = s.principal_of("civil_admin").await;
    let id = s
        .app
        .share_download(
            &staff,
            &input("差旅費報支單", "forms", "city"),
            csv("a.csv"),
            &ctx(),
        )
        .await
        .unwrap();
    let edit = input("差旅費報支單（修正版）", "forms", "agency");
    for p in [&clerk, &edu] {
        assert!(matches!(
            s.app.edit_download(p, id, &edit, vec![], &ctx()).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            s.app.keep_download(p, id, true, &ctx()).await,
            Err(Error::NotFound)
        ));
        assert!(matches!(
            s.app.delete_download(p, id, &ctx()).await,
            Err(Error::NotFound)
        ));
    }
    s.app
        .edit_download(&staff, id, &edit, csv("b.csv"), &ctx())
        .await
        .unwrap();
    s.app
        .keep_download(&civil_admin, id, true, &ctx())
        .await
        .unwrap();
    let v = s.app.download_entry(&staff, id).await.unwrap();
    assert_eq!(v.entry.description, "差旅費報支單（修正版）");
    assert!(v.entry.keep, "保留 set by the agency's admin");
    assert_eq!(v.files.len(), 2);
    // The last file cannot be removed; the entry can be deleted.
    s.app
        .remove_download_file(&staff, id, v.files[0].file_id.0, &ctx())
        .await
        .unwrap();
    let last = s.app.download_entry(&staff, id).await.unwrap().files[0]
        .file_id
        .0;
    assert!(matches!(
        s.app.remove_download_file(&staff, id, last, &ctx()).await,
        Err(Error::Refused(_))
    ));
    // The page's 保留 toggle, with the form's token.
    let mut c = s.signed_in("staff").await;
    let csrf = c.csrf().await;
    let (st, _, loc) = c
        .post_form(
            &format!("/downloads/{id}/keep"),
            &[
                ("_csrf", &csrf),
                ("keep", "no"),
                ("back", "/downloads?tab=mine"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    assert!(loc.starts_with("/downloads?tab=mine&ok=kept"), "{loc}");
    assert!(!s.app.download_entry(&staff, id).await.unwrap().entry.keep);
    let (st, _, loc) = c
        .post_form(
            &format!("/downloads/{id}/keep"),
            &[
                ("_csrf", &csrf),
                ("keep", "yes"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(st, 303);
    assert!(
        loc.starts_with("/?ok=kept") || loc.starts_with("/downloads"),
        "never off-site: {loc}"
    );
    s.app
        .delete_download(&civil_admin, id, &ctx())
        .await
        .unwrap();
    assert_eq!(
        one(
            &s,
            &format!("SELECT COUNT(*) FROM downloads WHERE id = {id}")
        )
        .await,
        0
    );
    assert_eq!(
        one(&s, &format!("SELECT COUNT(*) FROM audit_events WHERE target_kind = 'download' AND target_id = {id}")).await,
        7,
        "share, update, keep, file removed, two keeps by the page, delete"
    );
}

#[tokio::test]
async fn the_advanced_search_reads_category_agency_and_dates() {
    let s = TestServer::start(30).await;
    let staff = s.principal_of("staff").await;
    let edu = s.principal_of("edu_admin").await;
    let a = s
        .app
        .share_download(
            &staff,
            &input("出差旅費報支單空白範本", "forms", "city"),
            csv("a.csv"),
            &ctx(),
        )
        .await
        .unwrap();
    let b = s
        .app
        .share_download(
            &edu,
            &input("教師研習簡報", "training", "city"),
            csv("b.csv"),
            &ctx(),
        )
        .await
        .unwrap();
    let search = |f: fn(&mut DownloadQuery)| {
        let mut x = q("city");
        f(&mut x);
        x
    };
    let found = |p: portico_store::Page<portico_store::downloads::DownloadRow>| {
        p.items.iter().map(|d| d.id).collect::<Vec<_>>()
    };
    let r = s
        .app
        .downloads(&staff, &search(|x| x.q = "空白範本".into()), 1)
        .await
        .unwrap();
    assert_eq!(found(r), vec![a]);
    let r = s
        .app
        .downloads(&staff, &search(|x| x.category = "training".into()), 1)
        .await
        .unwrap();
    assert_eq!(found(r), vec![b]);
    let edu_agency = one(
        &s,
        "SELECT agency_id FROM downloads WHERE description = '教師研習簡報'",
    )
    .await;
    let mut x = q("city");
    x.agency = edu_agency.to_string();
    assert_eq!(
        found(s.app.downloads(&staff, &x, 1).await.unwrap()),
        vec![b]
    );
    let today = portico_core::time::date_str(portico_core::booking::today(s.app.now()));
    let mut x = q("city");
    x.from = today.clone();
    x.to = today;
    assert_eq!(
        found(s.app.downloads(&staff, &x, 1).await.unwrap()).len(),
        2
    );
    let mut x = q("city");
    x.from = "2026-12-31".into();
    x.to = "2026-01-01".into();
    assert!(
        matches!(s.app.downloads(&staff, &x, 1).await, Err(Error::Invalid(_))),
        "dates the wrong way round"
    );
    let mut c = s.signed_in("staff").await;
    let (st, body) = c.get("/downloads?tab=city&agency=abc").await;
    assert_eq!(st, 422);
    assert!(body.contains("請從清單選擇上傳單位"));
}
