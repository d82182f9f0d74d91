//! Issue 17's official documents' attachments through the real use cases
//! and pages (seed 004 §肆 三 我的公文附件管理, §伍 四 公文附件下載區): the
//! seed's field rules, one topic per document, a code fixed once published,
//! colleagues fetching by agency, number and code, the signed-out page for
//! other agencies — only public, only until 下架日期, slowed and blocked
//! against guessing — and every download audited.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::access::Upload;
use portico_core::Error;
use portico_core::document::{CALLER_GUESSES, LookupInput, TopicInput};
use time::Duration;

fn ctx_from(ip: &str) -> Ctx {
    Ctx::new(ip, "test")
}

fn ctx() -> Ctx {
    ctx_from("127.0.0.1")
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

fn topic(s: &TestServer, number: &str, public: bool) -> TopicInput {
    TopicInput {
        word: "南市民".into(),
        number: number.into(),
        branch: String::new(),
        summary: "里鄰長研習".into(),
        code: "4821".into(),
        takedown: portico_core::time::date_str(
            portico_core::booking::today(s.app.now()) + Duration::days(10),
        ),
        public: if public { "yes" } else { "no" }.into(),
    }
}

fn pdf() -> Vec<Upload> {
    vec![Upload {
        name: "計畫.pdf".into(),
        bytes: b"%PDF-1.4\n%%EOF".to_vec(),
    }]
}

fn lookup(number: &str, code: &str) -> LookupInput {
    LookupInput {
        word: "南市民".into(),
        number: number.into(),
        branch: String::new(),
        code: code.into(),
    }
}

fn field(e: Error) -> &'static str {
    match e {
        Error::Invalid(v) => v[0].field,
        other => panic!("not invalid: {other:?}"),
    }
}

#[tokio::test]
async fn one_topic_per_document_and_its_code_is_fixed_once_published() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let clerk = s.principal_of("clerk").await;
    // Two colleagues filing the same document at once: one topic.
    let (t1, t2) = (topic(&s, "1150000001", true), topic(&s, "1150000001", true));
    let c = ctx();
    let (a, b) = tokio::join!(
        s.app.file_topic(&staff, &t1, vec![], &c),
        s.app.file_topic(&clerk, &t2, vec![], &c)
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(),
        1,
        "{a:?} {b:?}"
    );
    match a.err().or(b.err()) {
        Some(Error::Conflict { field, message }) => {
            assert_eq!(field, "number");
            assert!(message.zh.contains("已經建立過公文主題"), "{}", message.zh);
        }
        other => panic!("{other:?}"),
    }
    let id = one(&s, "SELECT id FROM doc_topics WHERE number = '1150000001'").await;
    let owner = if one(
        &s,
        &format!("SELECT owner_id FROM doc_topics WHERE id = {id}"),
    )
    .await
        == staff.account_id().0
    {
        &staff
    } else {
        &clerk
    };
    // The code stays what it was, whatever the edit says.
    let changed = TopicInput {
        code: "0000".into(),
        summary: "改過的簡述".into(),
        ..topic(&s, "1150000001", true)
    };
    s.app
        .edit_topic(owner, id, &changed, vec![], &ctx())
        .await
        .unwrap();
    let v = s.app.topic_for_edit(owner, id).await.unwrap();
    assert_eq!(
        (v.topic.code.as_str(), v.topic.summary.as_str()),
        ("4821", "改過的簡述")
    );
    // Someone else's topic is not found; the agency's admin keeps it.
    let edu = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app.topic_for_edit(&edu, id).await,
        Err(Error::NotFound)
    ));
    let civil_admin = s.principal_of("civil_admin").await;
    assert!(s.app.topic_for_edit(&civil_admin, id).await.is_ok());
    // The seed's fields: a nine-digit number is refused, nothing filed.
    let before = one(&s, "SELECT COUNT(*) FROM doc_topics").await;
    let e = s
        .app
        .file_topic(&staff, &topic(&s, "100001001", true), vec![], &ctx())
        .await
        .unwrap_err();
    assert_eq!(field(e), "number");
    assert_eq!(one(&s, "SELECT COUNT(*) FROM doc_topics").await, before);
}

#[tokio::test]
async fn other_agencies_fetch_a_public_topic_by_number_and_code_until_its_takedown_date() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let id = s
        .app
        .file_topic(&staff, &topic(&s, "1150000002", true), pdf(), &ctx())
        .await
        .unwrap();
    let hidden = s
        .app
        .file_topic(&staff, &topic(&s, "1150000003", false), pdf(), &ctx())
        .await
        .unwrap();
    // The right number and code: the topic and its file, without its code.
    let v = s
        .app
        .public_lookup(&lookup("1150000002", "4821"), &ctx_from("203.0.113.5"))
        .await
        .unwrap();
    assert_eq!(v.topic.id, id);
    assert_eq!(
        v.topic.code, "",
        "the page never echoes the code from the store"
    );
    let file = v.files[0].file_id.0;
    let f = s
        .app
        .public_file(
            &lookup("1150000002", "4821"),
            file,
            &ctx_from("203.0.113.5"),
        )
        .await
        .unwrap();
    assert!(f.bytes.starts_with(b"%PDF"));
    assert_eq!(
        one(&s, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'document.download' AND target_id = {id}")).await,
        1
    );
    assert_eq!(
        one(
            &s,
            &format!("SELECT downloads FROM doc_topics WHERE id = {id}")
        )
        .await,
        1
    );
    // A wrong code, a topic not public: the same words, nothing served.
    let wrong = s
        .app
        .public_lookup(&lookup("1150000002", "1111"), &ctx_from("203.0.113.5"))
        .await
        .unwrap_err();
    let private = s
        .app
        .public_lookup(&lookup("1150000003", "4821"), &ctx_from("203.0.113.5"))
        .await
        .unwrap_err();
    match (&wrong, &private) {
        (Error::Refused(a), Error::Refused(b)) => assert_eq!(a, b),
        other => panic!("{other:?}"),
    }
    // Inside the portal, a colleague reaches the one not public too.
    let clerk = s.principal_of("clerk").await;
    let agency = one(
        &s,
        &format!("SELECT agency_id FROM doc_topics WHERE id = {hidden}"),
    )
    .await;
    let found = s
        .app
        .find_topics(&clerk, agency, "1150000003", "4821", &ctx())
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(
        s.app
            .find_topics(&clerk, agency, "1150000003", "4822", &ctx())
            .await
            .unwrap()
            .is_empty()
    );
    let hf = found[0].files[0].file_id.0;
    assert!(
        s.app
            .topic_file(&clerk, hidden, hf, "4821", &ctx())
            .await
            .is_ok()
    );
    assert!(matches!(
        s.app.topic_file(&clerk, hidden, hf, "9999", &ctx()).await,
        Err(Error::NotFound)
    ));
    // A malformed search is told by field.
    assert_eq!(
        field(
            s.app
                .find_topics(&clerk, agency, "123", "4821", &ctx())
                .await
                .unwrap_err()
        ),
        "number"
    );
    // After 下架日期 nothing is served, inside or out.
    s.clock.advance(Duration::days(11));
    assert!(
        s.app
            .public_lookup(&lookup("1150000002", "4821"), &ctx_from("203.0.113.6"))
            .await
            .is_err()
    );
    assert!(
        s.app
            .public_file(
                &lookup("1150000002", "4821"),
                file,
                &ctx_from("203.0.113.6")
            )
            .await
            .is_err()
    );
    assert!(
        s.app
            .find_topics(&clerk, agency, "1150000003", "4821", &ctx())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.app.topic_file(&clerk, hidden, hf, "4821", &ctx()).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_guesser_is_slowed_then_blocked_and_a_malformed_lookup_is_not_a_guess() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    s.app
        .file_topic(&staff, &topic(&s, "1150000004", true), pdf(), &ctx())
        .await
        .unwrap();
    let guesser = ctx_from("198.51.100.7");
    // Malformed lookups are told by field and never counted.
    for _ in 0..3 {
        let e = s
            .app
            .public_lookup(&lookup("1150000004", "12"), &guesser)
            .await
            .unwrap_err();
        assert_eq!(field(e), "code");
    }
    // Wrong codes, spread over minutes so the per-minute limit is not what
    // stops them: the tenth blocks the caller, even for the right code.
    for i in 0..CALLER_GUESSES {
        let e = s
            .app
            .public_lookup(&lookup("1150000004", &format!("{:04}", 1000 + i)), &guesser)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Refused(_)));
        s.clock.advance(Duration::seconds(20));
    }
    match s
        .app
        .public_lookup(&lookup("1150000004", "4821"), &guesser)
        .await
    {
        Err(Error::Refused(m)) => assert!(m.zh.contains("暫停查詢一小時"), "{}", m.zh),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        one(
            &s,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'document.lookup_blocked'"
        )
        .await,
        1
    );
    // Another caller with the right code is served; the guesser after an hour.
    assert!(
        s.app
            .public_lookup(&lookup("1150000004", "4821"), &ctx_from("198.51.100.8"))
            .await
            .is_ok()
    );
    s.clock.advance(Duration::hours(1));
    assert!(
        s.app
            .public_lookup(&lookup("1150000004", "4821"), &guesser)
            .await
            .is_ok()
    );
    // Eleven lookups in one minute: the eleventh is slowed.
    let hasty = ctx_from("198.51.100.9");
    for _ in 0..10 {
        s.app
            .public_lookup(&lookup("1150000004", "4821"), &hasty)
            .await
            .unwrap();
    }
    match s
        .app
        .public_lookup(&lookup("1150000004", "4821"), &hasty)
        .await
    {
        Err(Error::Refused(m)) => assert!(m.zh.contains("查詢太頻繁"), "{}", m.zh),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_signed_out_page_serves_the_demo_document_and_tells_a_miss() {
    let s = TestServer::start(60).await;
    let mut c = s.client();
    let (st, page) = c.get("/filedownload").await;
    assert_eq!(st, 200);
    assert!(page.contains("公文附件下載"), "{page}");
    let (st, body, _) = c
        .post_form(
            "/filedownload",
            &[
                ("word", "南市民"),
                ("number", "1150001234"),
                ("branch", ""),
                ("code", portico_app::demo::DEMO_DOCUMENT_CODE),
            ],
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert!(
        body.contains("研習場次表.csv") && body.contains("南市民字第1150001234號"),
        "{body}"
    );
    let (st, body, _) = c
        .post_form(
            "/filedownload",
            &[
                ("word", "南市民"),
                ("number", "1150001234"),
                ("branch", ""),
                ("code", "9999"),
            ],
        )
        .await;
    assert!((400..500).contains(&st), "{st}");
    assert!(body.contains("查無符合的公文附件"), "{body}");
    // A miss does not leave the typed code on the page.
    assert!(!body.contains("value=\"9999\""));
    // Signed in, the area and the topic's pages answer; another's edit page does not.
    let mut staff = s.signed_in("staff").await;
    assert_eq!(staff.get("/documents/mine").await.0, 200);
    assert_eq!(staff.get("/documents").await.0, 200);
    let id = one(&s, "SELECT id FROM doc_topics WHERE number = '1150001234'").await;
    assert_eq!(staff.get(&format!("/documents/{id}/edit")).await.0, 200);
    let mut edu = s.signed_in("edu_admin").await;
    assert_eq!(edu.get(&format!("/documents/{id}/edit")).await.0, 404);
}

#[tokio::test]
async fn the_api_files_lists_finds_and_keeps_topics_as_the_pages_do() {
    let s = TestServer::start(60).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    let takedown =
        portico_core::time::date_str(portico_core::booking::today(s.app.now()) + Duration::days(5));
    let (st, body) = staff
        .api_post(
            "/documents",
            &csrf,
            serde_json::json!({ "word": "南市民", "number": "1150000077", "code": "2468", "takedown": takedown, "public": false }),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let id = body["topic"].as_i64().unwrap();
    let (_, mine) = staff.api_get("/me/documents?q=1150000077").await;
    assert_eq!(mine["items"][0]["code"], "2468");
    let agency = one(
        &s,
        &format!("SELECT agency_id FROM doc_topics WHERE id = {id}"),
    )
    .await;
    let mut clerk = s.signed_in("clerk").await;
    let ccsrf = clerk.csrf().await;
    let (st, found) = clerk
        .api_post(
            "/documents/find",
            &ccsrf,
            serde_json::json!({ "agency": agency, "number": "1150000077", "code": "2468" }),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(found["items"][0]["number"], "南市民字第1150000077號");
    assert_eq!(
        found["items"][0]["topic"]["code"], "",
        "a finder is not shown the code"
    );
    // Not the clerk's to read as a keeper, edit or delete.
    assert_eq!(clerk.api_get(&format!("/documents/{id}")).await.0, 404);
    assert_eq!(
        clerk
            .api("DELETE", &format!("/documents/{id}"), &ccsrf, None)
            .await
            .0,
        404
    );
    // Bad input is told by field.
    let (st, body) = staff
        .api_post("/documents", &csrf, serde_json::json!({ "word": "南市民", "number": "12", "code": "1", "takedown": "x", "public": "maybe" }))
        .await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(
        staff
            .api("DELETE", &format!("/documents/{id}"), &csrf, None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_lists_people_keep_export_as_xlsx_and_ods() {
    let s = TestServer::start(60).await;
    let mut staff = s.signed_in("staff").await;
    for format in ["xlsx", "ods"] {
        let (st, book) = staff
            .get_bytes(&format!(
                "/documents/mine/export?format={format}&q=1150001234"
            ))
            .await;
        assert_eq!(st, 200);
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows[0][0], "公文字號");
        assert_eq!(rows[1][0], "南市民字第1150001234號");
        assert_eq!(rows[1][2], portico_app::demo::DEMO_DOCUMENT_CODE);
        let (st, book) = staff
            .get_bytes(&format!("/announcements/mine/export?format={format}"))
            .await;
        assert_eq!(st, 200);
        let rows = common::sheet_rows(&book, format);
        assert_eq!(rows[0][..3], ["標題", "發布日期", "最後修改時間"]);
        // The demo gives 王小明 a published post and one kept unpublished.
        assert!(
            rows.iter()
                .any(|r| r[0] == "永華市政中心停車場施工期間停車安排" && r[4] == "已發布"),
            "{rows:?}"
        );
        assert!(rows.iter().any(|r| r[4] == "未發布"), "{rows:?}");
    }
}

#[tokio::test]
async fn codes_named_inside_the_portal_are_counted_and_blocked_like_the_public_pages() {
    let s = TestServer::start(30).await;
    let id = one(&s, "SELECT id FROM doc_topics WHERE number = '1150001234'").await;
    let file = one(
        &s,
        &format!("SELECT file_id FROM doc_topic_files WHERE topic_id = {id}"),
    )
    .await;
    let agency = one(
        &s,
        &format!("SELECT agency_id FROM doc_topics WHERE id = {id}"),
    )
    .await;
    let edu = s.principal_of("edu_admin").await;
    let code = portico_app::demo::DEMO_DOCUMENT_CODE;
    // Wrong codes, by the file route and by the search, count together.
    for n in 0..portico_core::document::CALLER_GUESSES {
        let wrong = format!("{:04}", (n + 1) * 7 % 10_000);
        assert_ne!(wrong, code);
        let r = if n % 2 == 0 {
            s.app
                .topic_file(&edu, id, file, &wrong, &ctx())
                .await
                .map(|_| ())
        } else {
            s.app
                .find_topics(&edu, agency, "1150001234", &wrong, &ctx())
                .await
                .map(|v| assert!(v.is_empty()))
        };
        assert!(matches!(r, Err(Error::NotFound) | Ok(())), "{r:?}");
    }
    // Blocked now: even the right code is refused, on both routes.
    match s.app.topic_file(&edu, id, file, code, &ctx()).await {
        Err(Error::Refused(m)) => assert!(m.zh.contains("暫停查詢一小時"), "{}", m.zh),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(matches!(
        s.app
            .find_topics(&edu, agency, "1150001234", code, &ctx())
            .await,
        Err(Error::Refused(_))
    ));
    assert_eq!(
        one(
            &s,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'document.lookup_blocked'"
        )
        .await,
        1
    );
    // Someone else is not held by it; the topic's owner never is.
    let clerk = s.principal_of("clerk").await;
    assert!(
        s.app
            .topic_file(&clerk, id, file, code, &ctx())
            .await
            .is_ok()
    );
    let staff = s.principal_of("staff").await;
    assert!(s.app.topic_file(&staff, id, file, "", &ctx()).await.is_ok());
    // An hour later the person may try again.
    s.clock.advance(Duration::minutes(61));
    assert!(s.app.topic_file(&edu, id, file, code, &ctx()).await.is_ok());
}
