//! Issue 17's announcements through the real use cases and pages (seed
//! 004 §肆 二 我的公告管理, §伍 一 公告專區): who reads a post (its reach,
//! counted from its author's agency, and its time), who edits and who
//! moderates it, comments and replies, files checked by their content and
//! downloads audited, and bad input that changes nothing.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::access::Upload;
use portico_app::announcements::{PostQuery, PostUploads};
use portico_core::Error;
use portico_core::announcement::{PostInput, Status};
use portico_core::ids::OrgUnitId;
use portico_core::org::TreePath;
use portico_store::announcements::{self as store, PostFilter, Reader};
use time::Duration;

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

fn post(title: &str, reach: &str) -> PostInput {
    PostInput {
        title: title.into(),
        body: "<p>請各單位配合辦理。</p>".into(),
        reach: reach.into(),
        release: "now".into(),
        at: String::new(),
    }
}

fn none() -> PostUploads {
    PostUploads::default()
}

fn fields(e: Error) -> Vec<(&'static str, String)> {
    match e {
        Error::Invalid(v) => v
            .into_iter()
            .map(|f| (f.field, f.message.zh.to_string()))
            .collect(),
        other => panic!("not invalid: {other:?}"),
    }
}

fn titles(page: &portico_store::Page<store::PostRow>) -> Vec<String> {
    page.items.iter().map(|p| p.title.clone()).collect()
}

async fn readable_titles(s: &TestServer, login: &str, q: &str) -> Vec<String> {
    let p = s.principal_of(login).await;
    let q = PostQuery {
        q: q.into(),
        ..Default::default()
    };
    titles(&s.app.announcements(&p, &q, 1).await.unwrap())
}

#[tokio::test]
async fn a_scheduled_post_appears_at_its_time_for_its_agency_and_never_for_another() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let clerk = s.principal_of("clerk").await;
    let edu = s.principal_of("edu_admin").await;
    let at = s.app.now() + Duration::hours(2);
    let input = PostInput {
        release: "at".into(),
        at: portico_core::time::datetime_local(at),
        ..post("民政局公文研習通知", "agency")
    };
    let id = s
        .app
        .post_announcement(&staff, &input, none(), &ctx())
        .await
        .unwrap();
    // It waits in the author's 預約發布 tab; the colleague cannot open it.
    let mine = |status: &str| PostQuery {
        status: status.into(),
        ..Default::default()
    };
    let scheduled = s
        .app
        .my_announcements(&staff, &mine("scheduled"), 1)
        .await
        .unwrap();
    assert_eq!(titles(&scheduled), ["民政局公文研習通知"]);
    let published = s
        .app
        .my_announcements(&staff, &mine("published"), 1)
        .await
        .unwrap();
    assert!(!titles(&published).contains(&"民政局公文研習通知".into()));
    assert!(
        !readable_titles(&s, "clerk", "公文研習")
            .await
            .contains(&"民政局公文研習通知".into())
    );
    assert!(matches!(
        s.app.read_announcement(&clerk, id).await,
        Err(Error::NotFound)
    ));
    // Comments wait for the post too (its author reads it, nobody comments).
    assert!(matches!(
        s.app
            .comment_announcement(&staff, id, "先留言", &ctx())
            .await,
        Err(Error::Refused(_))
    ));
    // Its time comes (the minute after the scheduled one, datetime-local
    // drops the seconds).
    s.clock.advance(Duration::hours(2));
    assert_eq!(
        readable_titles(&s, "clerk", "公文研習").await,
        ["民政局公文研習通知"]
    );
    let v = s.app.read_announcement(&clerk, id).await.unwrap();
    assert_eq!(v.status, Status::Published);
    assert_eq!(v.post.views, 1, "the colleague's reading is counted");
    let again = s.app.read_announcement(&staff, id).await.unwrap();
    assert_eq!(again.post.views, 1, "the author's own reading is not");
    let published = s
        .app
        .my_announcements(&staff, &mine("published"), 1)
        .await
        .unwrap();
    assert_eq!(titles(&published)[0], "民政局公文研習通知");
    // 教育局 never reads 民政局's 本機關 post, by list, page or file.
    assert!(
        readable_titles(&s, "edu_admin", "公文研習")
            .await
            .is_empty()
    );
    assert!(matches!(
        s.app.read_announcement(&edu, id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.app.comment_announcement(&edu, id, "看不到", &ctx()).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.app.take_down_announcement(&edu, id, &ctx()).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_reach_counts_from_the_authors_agency_and_the_agencies_under_it() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    for (title, reach) in [
        ("全府停電", "city"),
        ("民政局與所屬", "agency_tree"),
        ("民政局自己", "agency"),
    ] {
        s.app
            .post_announcement(&staff, &post(title, reach), none(), &ctx())
            .await
            .unwrap();
    }
    let mut edu = readable_titles(&s, "edu_admin", "").await;
    edu.retain(|t| ["全府停電", "民政局與所屬", "民政局自己"].contains(&t.as_str()));
    assert_eq!(edu, ["全府停電"]);
    let mut clerk = readable_titles(&s, "clerk", "").await;
    clerk.retain(|t| ["全府停電", "民政局與所屬", "民政局自己"].contains(&t.as_str()));
    assert_eq!(clerk, ["民政局自己", "民政局與所屬", "全府停電"]);
    // A reader in an agency under 民政局 (所屬機關): the tree reaches
    // them, 本機關 alone does not.
    let civil = one(
        &s,
        "SELECT agency_id FROM announcements WHERE title = '全府停電'",
    )
    .await;
    let civil_path = {
        let mut c = s.app.db.read().await.unwrap();
        portico_store::orgs::get(&mut c, OrgUnitId(civil))
            .await
            .unwrap()
            .unwrap()
            .path
    };
    let sub = OrgUnitId(987_654);
    let below = Reader::of(
        &TreePath::from_stored(format!("{}{}/", civil_path.as_str(), sub.0)),
        Some(sub),
    );
    let mut c = s.app.db.read().await.unwrap();
    let f = PostFilter {
        reader: Some(&below),
        ..Default::default()
    };
    let mut seen = titles(&store::list(&mut c, &f, s.app.now(), 1, 50).await.unwrap());
    seen.retain(|t| ["全府停電", "民政局與所屬", "民政局自己"].contains(&t.as_str()));
    assert_eq!(seen, ["民政局與所屬", "全府停電"]);
}

#[tokio::test]
async fn the_author_edits_admins_over_the_agency_moderate_and_two_take_downs_make_one() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let civil_admin = s.principal_of("civil_admin").await;
    let unit_admin = s.principal_of("unit_admin").await;
    let edu = s.principal_of("edu_admin").await;
    let id = s
        .app
        .post_announcement(&staff, &post("全府宣導", "city"), none(), &ctx())
        .await
        .unwrap();
    // Another agency's admin reads it but may neither edit nor moderate.
    assert!(s.app.read_announcement(&edu, id).await.is_ok());
    assert!(matches!(
        s.app.announcement_for_edit(&edu, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        s.app
            .edit_announcement(&edu, id, &post("改掉", "city"), none(), &ctx())
            .await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        s.app.take_down_announcement(&edu, id, &ctx()).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        s.app.delete_announcement(&edu, id, &ctx()).await,
        Err(Error::Forbidden)
    ));
    // A unit admin inside the agency does not moderate the agency's posts.
    assert!(matches!(
        s.app.take_down_announcement(&unit_admin, id, &ctx()).await,
        Err(Error::Forbidden)
    ));
    // The agency's admin moderates, but does not rewrite another's words.
    assert!(matches!(
        s.app.announcement_for_edit(&civil_admin, id).await,
        Err(Error::Forbidden)
    ));
    // Two take-downs at once: one wins, the other is told.
    let c = ctx();
    let (a, b) = tokio::join!(
        s.app.take_down_announcement(&civil_admin, id, &c),
        s.app.take_down_announcement(&staff, id, &c)
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(),
        1,
        "{a:?} {b:?}"
    );
    assert!(matches!(a.err().or(b.err()), Some(Error::Conflict { .. })));
    assert_eq!(
        one(&s, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'announcement.take_down' AND target_id = {id}")).await,
        1
    );
    // Taken down, it is 未發布 and nobody else reads it.
    assert!(matches!(
        s.app.read_announcement(&edu, id).await,
        Err(Error::NotFound)
    ));
    // The author edits it back out; the update is counted, the date kept
    // as the new release.
    s.app
        .edit_announcement(
            &staff,
            id,
            &post("全府宣導（更新）", "city"),
            none(),
            &ctx(),
        )
        .await
        .unwrap();
    let v = s.app.read_announcement(&edu, id).await.unwrap();
    assert_eq!(v.post.title, "全府宣導（更新）");
    assert_eq!(v.post.updates, 1);
    // The agency's admin deletes it; it is gone for everyone.
    s.app
        .delete_announcement(&civil_admin, id, &ctx())
        .await
        .unwrap();
    assert!(matches!(
        s.app.read_announcement(&staff, id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        s.app.delete_announcement(&staff, id, &ctx()).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn comments_are_answered_by_the_author_and_hidden_by_their_writer_or_a_moderator() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let clerk = s.principal_of("clerk").await;
    let edu = s.principal_of("edu_admin").await;
    let civil_admin = s.principal_of("civil_admin").await;
    let id = s
        .app
        .post_announcement(&staff, &post("停車場施工", "city"), none(), &ctx())
        .await
        .unwrap();
    let e = s
        .app
        .comment_announcement(&clerk, id, "  ", &ctx())
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "comment");
    let c1 = s
        .app
        .comment_announcement(&clerk, id, "公務車也要改停嗎？<script>x</script>", &ctx())
        .await
        .unwrap();
    let c2 = s
        .app
        .comment_announcement(&edu, id, "教育局同仁可以停嗎？", &ctx())
        .await
        .unwrap();
    // Only the author replies.
    assert!(matches!(
        s.app
            .reply_comment(&clerk, id, c1, "我來回答", &ctx())
            .await,
        Err(Error::Forbidden)
    ));
    s.app
        .reply_comment(&staff, id, c1, "第二週起可停東側平面。", &ctx())
        .await
        .unwrap();
    let v = s.app.read_announcement(&edu, id).await.unwrap();
    assert_eq!(v.post.comments, 2);
    assert_eq!(v.comments[0].body, "公務車也要改停嗎？");
    assert_eq!(
        v.comments[0].reply.as_deref(),
        Some("第二週起可停東側平面。")
    );
    // Another commenter, and another agency's admin, may not hide it.
    assert!(matches!(
        s.app.hide_comment(&edu, id, c1, &ctx()).await,
        Err(Error::Forbidden)
    ));
    // Its writer hides their own; the agency's admin hides another.
    s.app.hide_comment(&edu, id, c2, &ctx()).await.unwrap();
    s.app
        .hide_comment(&civil_admin, id, c1, &ctx())
        .await
        .unwrap();
    let v = s.app.read_announcement(&clerk, id).await.unwrap();
    assert!(v.comments.is_empty());
    assert_eq!(v.post.comments, 0);
    // A hidden comment is told as gone, not hidden twice or answered.
    assert!(matches!(
        s.app.hide_comment(&staff, id, c1, &ctx()).await,
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        s.app.reply_comment(&staff, id, c1, "晚了", &ctx()).await,
        Err(Error::Conflict { .. })
    ));
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn upload(name: &str, bytes: &[u8]) -> Upload {
    Upload {
        name: name.into(),
        bytes: bytes.to_vec(),
    }
}

#[tokio::test]
async fn files_are_checked_by_their_content_downloads_are_audited_and_deletion_destroys_them() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let clerk = s.principal_of("clerk").await;
    let before = one(&s, "SELECT COUNT(*) FROM announcements").await;
    // An executable named .pdf refuses the whole post; nothing is kept.
    let bad = PostUploads {
        attachments: vec![
            upload("說明.pdf", PDF),
            upload("setup.pdf", b"MZ\x90\0\x03\0\0\0"),
        ],
        images: vec![],
    };
    let e = s
        .app
        .post_announcement(&staff, &post("附件測試", "agency"), bad, &ctx())
        .await
        .unwrap_err();
    let f = fields(e);
    assert_eq!(f[0].0, "attachments");
    assert!(
        f[0].1.contains("「setup.pdf」的內容不是可收的檔案類型"),
        "{}",
        f[0].1
    );
    assert_eq!(one(&s, "SELECT COUNT(*) FROM announcements").await, before);
    // A photo that is not one is an image refused.
    let e = s
        .app
        .post_announcement(
            &staff,
            &post("附件測試", "agency"),
            PostUploads {
                attachments: vec![],
                images: vec![upload("圖.png", PDF)],
            },
            &ctx(),
        )
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "images");
    let good = PostUploads {
        attachments: vec![upload("說明.pdf", PDF)],
        images: vec![upload("現場.png", PNG)],
    };
    let id = s
        .app
        .post_announcement(&staff, &post("附件測試", "agency"), good, &ctx())
        .await
        .unwrap();
    let v = s.app.read_announcement(&clerk, id).await.unwrap();
    assert_eq!(v.attachments().count(), 1);
    assert_eq!(v.images().count(), 1);
    let pdf = v.attachments().next().unwrap().file_id.0;
    let png = v.images().next().unwrap().file_id.0;
    // The colleague downloads the attachment: audited; the image shown is not.
    let got = s
        .app
        .announcement_file(&clerk, id, pdf, &ctx())
        .await
        .unwrap();
    assert_eq!(got.bytes, PDF);
    s.app
        .announcement_file(&clerk, id, png, &ctx())
        .await
        .unwrap();
    assert_eq!(
        one(&s, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'announcement.download' AND target_id = {id}")).await,
        1
    );
    // Another agency gets nothing, even naming the file.
    let edu = s.principal_of("edu_admin").await;
    assert!(matches!(
        s.app.announcement_file(&edu, id, pdf, &ctx()).await,
        Err(Error::NotFound)
    ));
    // A file of another post is not this post's.
    let other = s
        .app
        .post_announcement(&staff, &post("另一則", "city"), none(), &ctx())
        .await
        .unwrap();
    assert!(matches!(
        s.app.announcement_file(&clerk, other, pdf, &ctx()).await,
        Err(Error::NotFound)
    ));
    // Ten attachments at most, counting those kept.
    let many = PostUploads {
        attachments: (0..10).map(|i| upload(&format!("{i}.pdf"), PDF)).collect(),
        images: vec![],
    };
    let e = s
        .app
        .edit_announcement(&staff, id, &post("附件測試", "agency"), many, &ctx())
        .await
        .unwrap_err();
    assert!(fields(e)[0].1.contains("附件至多 10 個（已有 1 個）"));
    // Deleting the post destroys its files' bytes.
    let key = {
        let mut c = s.app.db.read().await.unwrap();
        portico_store::files::get(&mut c, portico_core::ids::FileId(pdf))
            .await
            .unwrap()
            .unwrap()
            .key
    };
    s.app.delete_announcement(&staff, id, &ctx()).await.unwrap();
    assert!(matches!(
        s.app.files().get(&key).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn bad_input_is_told_and_changes_nothing() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let before = one(&s, "SELECT COUNT(*) FROM announcements").await;
    let past = PostInput {
        release: "at".into(),
        at: portico_core::time::datetime_local(s.app.now() - Duration::hours(1)),
        ..post("過去的預約", "agency")
    };
    let e = s
        .app
        .post_announcement(&staff, &past, none(), &ctx())
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "release");
    let e = s
        .app
        .post_announcement(&staff, &post("無範圍", "everyone"), none(), &ctx())
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "reach");
    let e = s
        .app
        .post_announcement(
            &staff,
            &PostInput {
                body: "<script>alert(1)</script>".into(),
                ..post("只有程式碼", "city")
            },
            none(),
            &ctx(),
        )
        .await
        .unwrap_err();
    assert_eq!(fields(e)[0].0, "body");
    assert_eq!(one(&s, "SELECT COUNT(*) FROM announcements").await, before);
    // A search with a date that is not one is told, by field.
    let q = PostQuery {
        from: "2026-02-30".into(),
        ..Default::default()
    };
    let e = s.app.announcements(&staff, &q, 1).await.unwrap_err();
    assert_eq!(fields(e)[0].0, "from");
    let q = PostQuery {
        from: "2026-12-05".into(),
        to: "2026-12-01".into(),
        ..Default::default()
    };
    assert_eq!(
        fields(s.app.announcements(&staff, &q, 1).await.unwrap_err())[0].0,
        "to"
    );
}

#[tokio::test]
async fn the_pages_answer_with_what_the_person_may_see_and_refuse_the_rest() {
    let s = TestServer::start(60).await;
    let staff = s.principal_of("staff").await;
    let id = s
        .app
        .post_announcement(&staff, &post("民政局內部通知", "agency"), none(), &ctx())
        .await
        .unwrap();
    let mut clerk = s.signed_in("clerk").await;
    let (st, body) = clerk.get("/announcements?q=%E5%85%A7%E9%83%A8").await;
    assert_eq!(st, 200);
    assert!(body.contains("民政局內部通知"), "{body}");
    let (st, body) = clerk.get(&format!("/announcements/{id}")).await;
    assert_eq!(st, 200);
    assert!(body.contains("請各單位配合辦理"));
    // A bad date is a page that says so, not a failure.
    let (st, body) = clerk.get("/announcements?from=2026-13-01").await;
    assert_eq!(st, 422);
    assert!(body.contains("不是日期"), "{body}");
    // Another agency: not found; another's edit form: refused.
    let mut edu = s.signed_in("edu_admin").await;
    assert_eq!(edu.get(&format!("/announcements/{id}")).await.0, 404);
    assert_eq!(clerk.get(&format!("/announcements/{id}/edit")).await.0, 403);
    // A step without the form's token changes nothing.
    let (st, _, _) = clerk
        .post_form(
            &format!("/announcements/{id}/comments"),
            &[("text", "沒有權杖")],
        )
        .await;
    assert_ne!(st, 303);
    assert_eq!(
        one(
            &s,
            &format!("SELECT COUNT(*) FROM announcement_comments WHERE announcement_id = {id}")
        )
        .await,
        0
    );
    let csrf = clerk.csrf().await;
    let (st, _, loc) = clerk
        .post_form(
            &format!("/announcements/{id}/comments"),
            &[("_csrf", &csrf), ("text", "收到")],
        )
        .await;
    assert_eq!(st, 303, "{loc}");
    assert!(loc.contains("ok=commented"));
}

#[tokio::test]
async fn the_api_posts_reads_discusses_and_refuses_as_the_pages_do() {
    let s = TestServer::start(60).await;
    let mut staff = s.signed_in("staff").await;
    let csrf = staff.csrf().await;
    // Bad input: every field told, nothing kept.
    let (st, body) = staff
        .api_post("/announcements", &csrf, serde_json::json!({}))
        .await;
    assert_eq!(st, 422, "{body}");
    let (st, body) = staff
        .api_post(
            "/announcements",
            &csrf,
            serde_json::json!({ "title": "API 公告", "body": "<p>內容</p><script>x</script>", "reach": "agency", "release": "now" }),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    let id = body["announcement"].as_i64().unwrap();
    let mut clerk = s.signed_in("clerk").await;
    let (st, body) = clerk.api_get(&format!("/announcements/{id}")).await;
    assert_eq!(st, 200);
    assert_eq!(body["announcement"]["title"], "API 公告");
    assert_eq!(body["announcement"]["body_html"], "<p>內容</p>");
    assert_eq!(body["author"], false);
    let (_, list) = clerk.api_get("/announcements?q=API").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id)
    );
    let ccsrf = clerk.csrf().await;
    let (st, _) = clerk
        .api_post(
            &format!("/announcements/{id}/comments"),
            &ccsrf,
            serde_json::json!({ "text": "收到" }),
        )
        .await;
    assert_eq!(st, 200);
    // Another agency: not found; a reader may not edit or take it down.
    let mut edu = s.signed_in("edu_admin").await;
    assert_eq!(edu.api_get(&format!("/announcements/{id}")).await.0, 404);
    let (st, _) = clerk
        .api("PUT", &format!("/announcements/{id}"), &ccsrf, Some(serde_json::json!({ "title": "改", "body": "x", "reach": "city", "release": "now" })))
        .await;
    assert_eq!(st, 403);
    let (st, _) = clerk
        .api(
            "POST",
            &format!("/announcements/{id}/take-down"),
            &ccsrf,
            None,
        )
        .await;
    assert_eq!(st, 403);
    // The system admin's content: others are refused.
    let (st, _) = clerk
        .api_post(
            "/content/notices",
            &ccsrf,
            serde_json::json!({ "title": "偷發", "audience": "all" }),
        )
        .await;
    assert_eq!(st, 403);
    let (st, mine) = staff.api_get("/me/announcements?status=published").await;
    assert_eq!(st, 200);
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id)
    );
    let (st, _) = staff
        .api("DELETE", &format!("/announcements/{id}"), &csrf, None)
        .await;
    assert_eq!(st, 200);
}
