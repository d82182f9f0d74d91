//! Issue 17's portal content through the real use cases and pages (seed
//! 004 §壹 二 首頁橫幅, §伍 二 常見問題, §伍 六 外部連結, 表 2 訊息管理 and
//! 首頁應用程式管理): only system admins write it; a banner needs its text
//! alternative and a real image; notices and links reach their audience in
//! their period; the FAQ is searched; every address is a web address.
mod common;

use common::TestServer;
use portico_app::Ctx;
use portico_app::access::Upload;
use portico_core::Error;
use portico_core::content::{BannerInput, FaqInput, LinkInput, NoticeInput};
use portico_store::content::LinkPlace;
use time::Duration;

fn ctx() -> Ctx {
    Ctx::new("127.0.0.1", "test")
}

fn field(e: Error) -> &'static str {
    match e {
        Error::Invalid(v) => v[0].field,
        other => panic!("not invalid: {other:?}"),
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn png() -> Option<Upload> {
    Some(Upload {
        name: "燈會.png".into(),
        bytes: PNG.to_vec(),
    })
}

#[tokio::test]
async fn only_system_admins_write_the_portals_content() {
    let s = TestServer::start(60).await;
    let civil_admin = s.principal_of("civil_admin").await;
    let banner = BannerInput {
        title: "燈會".into(),
        alt: "2026 臺南燈會".into(),
        ..Default::default()
    };
    assert!(matches!(
        s.app
            .save_banner(&civil_admin, None, &banner, png(), &ctx())
            .await,
        Err(Error::Forbidden)
    ));
    let notice = NoticeInput {
        title: "停機".into(),
        audience: "all".into(),
        ..Default::default()
    };
    assert!(matches!(
        s.app.save_notice(&civil_admin, None, &notice, &ctx()).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        s.app.all_faqs(&civil_admin).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        s.app.all_links(&civil_admin).await,
        Err(Error::Forbidden)
    ));
    // The pages say the same.
    let mut c = s.signed_in("civil_admin").await;
    for page in [
        "/admin/banners",
        "/admin/notices",
        "/admin/faq",
        "/admin/links",
    ] {
        assert_eq!(c.get(page).await.0, 403, "{page}");
    }
    let csrf = c.csrf().await;
    let (st, _, _) = c
        .post_form(
            "/admin/notices",
            &[("_csrf", &csrf), ("title", "偷發"), ("audience", "all")],
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn a_banner_needs_its_text_alternative_and_an_image_and_shows_in_its_period() {
    let s = TestServer::start(60).await;
    let admin = s.principal_of("admin").await;
    let now = s.app.now();
    let later = BannerInput {
        title: "燈會".into(),
        alt: "2026 臺南燈會，安平港".into(),
        starts: portico_core::time::datetime_local(now + Duration::days(1)),
        ..Default::default()
    };
    // Without its text alternative, or its image, or with a non-image.
    let e = s
        .app
        .save_banner(
            &admin,
            None,
            &BannerInput {
                alt: String::new(),
                ..later.clone()
            },
            png(),
            &ctx(),
        )
        .await
        .unwrap_err();
    assert_eq!(field(e), "alt");
    assert_eq!(
        field(
            s.app
                .save_banner(&admin, None, &later, None, &ctx())
                .await
                .unwrap_err()
        ),
        "image"
    );
    let pdf = Some(Upload {
        name: "燈會.png".into(),
        bytes: b"%PDF-1.7".to_vec(),
    });
    assert_eq!(
        field(
            s.app
                .save_banner(&admin, None, &later, pdf, &ctx())
                .await
                .unwrap_err()
        ),
        "image"
    );
    let id = s
        .app
        .save_banner(&admin, None, &later, png(), &ctx())
        .await
        .unwrap();
    assert!(
        !s.app
            .home_banners()
            .await
            .unwrap()
            .iter()
            .any(|b| b.id == id),
        "not before its time"
    );
    s.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert!(
        s.app
            .home_banners()
            .await
            .unwrap()
            .iter()
            .any(|b| b.id == id)
    );
    assert_eq!(s.app.banner_image(&admin, id).await.unwrap().bytes, PNG);
    // On the home page, with its text alternative.
    let mut staff = s.signed_in("staff").await;
    let (_, home) = staff.get("/").await;
    assert!(
        home.contains(&format!("/banners/{id}/image")) && home.contains("2026 臺南燈會，安平港"),
        "{home}"
    );
    s.app.delete_banner(&admin, id, &ctx()).await.unwrap();
    assert!(matches!(
        s.app.banner_image(&admin, id).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn notices_reach_their_audience_and_everyones_show_on_the_sign_in_page() {
    let s = TestServer::start(60).await;
    let admin = s.principal_of("admin").await;
    let civil: i64 = {
        let mut c = s.app.db.read().await.unwrap();
        portico_store::accounts::find_by_login(&mut c, "staff")
            .await
            .unwrap()
            .unwrap()
            .agency_id
            .unwrap()
            .0
    };
    let theirs = NoticeInput {
        title: "民政局同仁請完成資安訓練（測試）".into(),
        audience: "agencies".into(),
        agencies: vec![civil],
        ..Default::default()
    };
    s.app
        .save_notice(&admin, None, &theirs, &ctx())
        .await
        .unwrap();
    let everyone = NoticeInput {
        title: "全府停機公告（測試）".into(),
        audience: "all".into(),
        ..Default::default()
    };
    s.app
        .save_notice(&admin, None, &everyone, &ctx())
        .await
        .unwrap();
    let titles = |v: Vec<portico_store::content::NoticeRow>| {
        v.into_iter().map(|n| n.title).collect::<Vec<_>>()
    };
    let staff = titles(
        s.app
            .current_notices(Some(&s.principal_of("staff").await))
            .await
            .unwrap(),
    );
    assert!(staff.contains(&theirs.title) && staff.contains(&everyone.title));
    let edu = titles(
        s.app
            .current_notices(Some(&s.principal_of("edu_admin").await))
            .await
            .unwrap(),
    );
    assert!(!edu.contains(&theirs.title) && edu.contains(&everyone.title));
    let signed_out = titles(s.app.current_notices(None).await.unwrap());
    assert!(!signed_out.contains(&theirs.title) && signed_out.contains(&everyone.title));
    let (st, login) = s.client().get("/login").await;
    assert_eq!(st, 200);
    assert!(login.contains("全府停機公告（測試）") && !login.contains("資安訓練（測試）"));
    // An agency that is not one is refused.
    let bad = NoticeInput {
        agencies: vec![987_654],
        ..theirs
    };
    assert_eq!(
        field(
            s.app
                .save_notice(&admin, None, &bad, &ctx())
                .await
                .unwrap_err()
        ),
        "agencies"
    );
    // An end before the start.
    let now = s.app.now();
    let backwards = NoticeInput {
        starts: portico_core::time::datetime_local(now),
        ends: portico_core::time::datetime_local(now - Duration::hours(1)),
        ..everyone
    };
    assert_eq!(
        field(
            s.app
                .save_notice(&admin, None, &backwards, &ctx())
                .await
                .unwrap_err()
        ),
        "ends"
    );
}

#[tokio::test]
async fn the_faq_is_searched_and_links_are_web_addresses_for_their_audience() {
    let s = TestServer::start(60).await;
    let admin = s.principal_of("admin").await;
    let q = FaqInput {
        category: "差勤".into(),
        question: "忘記刷卡怎麼補登？".into(),
        answer: "<p>請於差勤系統填寫<strong>補登申請</strong><script>x</script></p>".into(),
        position: "1".into(),
    };
    s.app.save_faq(&admin, None, &q, &ctx()).await.unwrap();
    let found = s.app.faqs("補登申請").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].answer_html,
        "<p>請於差勤系統填寫<strong>補登申請</strong></p>"
    );
    assert!(s.app.faqs("沒有這個詞").await.unwrap().is_empty());
    let mut staff = s.signed_in("staff").await;
    let (st, body) = staff.get("/faq?q=%E8%A3%9C%E7%99%BB").await;
    assert_eq!(st, 200);
    assert!(body.contains("忘記刷卡怎麼補登？"));

    let link = LinkInput {
        name: "差勤系統".into(),
        url: "javascript:alert(1)".into(),
        audience: "all".into(),
        on_home: true,
        in_list: true,
        ..Default::default()
    };
    assert_eq!(
        field(
            s.app
                .save_link(&admin, None, &link, &ctx())
                .await
                .unwrap_err()
        ),
        "url"
    );
    let civil: i64 = {
        let mut c = s.app.db.read().await.unwrap();
        portico_store::accounts::find_by_login(&mut c, "staff")
            .await
            .unwrap()
            .unwrap()
            .agency_id
            .unwrap()
            .0
    };
    let link = LinkInput {
        url: "https://attendance.example.tainan.gov.tw/".into(),
        audience: "agencies".into(),
        agencies: vec![civil],
        in_list: false,
        ..link
    };
    s.app.save_link(&admin, None, &link, &ctx()).await.unwrap();
    let names =
        |v: Vec<portico_store::content::LinkRow>| v.into_iter().map(|l| l.name).collect::<Vec<_>>();
    let staff_p = s.principal_of("staff").await;
    assert!(
        names(s.app.links_for(&staff_p, LinkPlace::Home).await.unwrap())
            .contains(&"差勤系統".into())
    );
    assert!(
        !names(s.app.links_for(&staff_p, LinkPlace::List).await.unwrap())
            .contains(&"差勤系統".into())
    );
    let edu = s.principal_of("edu_admin").await;
    assert!(
        !names(s.app.links_for(&edu, LinkPlace::Home).await.unwrap()).contains(&"差勤系統".into())
    );
    let (_, home) = staff.get("/").await;
    assert!(home.contains("https://attendance.example.tainan.gov.tw/"));
}

#[tokio::test]
async fn a_banner_image_is_served_in_its_period_only_except_to_system_admins() {
    let s = TestServer::start(30).await;
    let admin = s.principal_of("admin").await;
    let staff = s.principal_of("staff").await;
    let later = portico_core::time::datetime_local(s.app.now() + Duration::days(30));
    let id = s
        .app
        .save_banner(
            &admin,
            None,
            &BannerInput {
                title: "燈會預告".into(),
                alt: "2027 臺南燈會預告".into(),
                starts: later,
                ..Default::default()
            },
            png(),
            &ctx(),
        )
        .await
        .unwrap();
    assert!(matches!(
        s.app.banner_image(&staff, id).await,
        Err(Error::NotFound)
    ));
    assert!(
        s.app.banner_image(&admin, id).await.is_ok(),
        "the console's preview"
    );
    let mut c = s.signed_in("staff").await;
    assert_eq!(c.get_bytes(&format!("/banners/{id}/image")).await.0, 404);
    s.clock.advance(Duration::days(31));
    assert!(s.app.banner_image(&staff, id).await.is_ok());
}
