//! The portal's own content as pages (issue 17): `/faq` (常見問題),
//! `/links` (應用程式列表), `/banners/{id}/image`, and the system admin's
//! `/admin/banners` (首頁橫幅), `/admin/notices` (訊息管理), `/admin/faq`
//! (常見問題管理) and `/admin/links` (首頁應用程式管理): each a list with
//! its form (`?edit={id}` fills it), saved by POST to the list or to the row.
use crate::extract::{Form, LenientQuery, Path, ReqCtx, Signed};
use crate::support::{Pairs, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_app::content::MAX_BANNER;
use portico_core::content::{BannerInput, FaqInput, LinkInput, NoticeInput};
use portico_core::{Error, FieldError, Msg};
use portico_store::content::LinkPlace;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/faq", get(faq))
        .route("/links", get(links))
        .route("/banners/{id}/image", get(banner_image))
        .route(
            "/admin/banners",
            get(banners)
                .post(banner_new)
                .layer(DefaultBodyLimit::max(MAX_BANNER + 256 * 1024)),
        )
        .route(
            "/admin/banners/{id}",
            post(banner_edit).layer(DefaultBodyLimit::max(MAX_BANNER + 256 * 1024)),
        )
        .route("/admin/banners/{id}/delete", post(banner_delete))
        .route("/admin/notices", get(notices).post(notice_new))
        .route("/admin/notices/{id}", post(notice_edit))
        .route("/admin/notices/{id}/delete", post(notice_delete))
        .route("/admin/faq", get(faq_admin).post(faq_new))
        .route("/admin/faq/{id}", post(faq_edit))
        .route("/admin/faq/{id}/delete", post(faq_delete))
        .route("/admin/links", get(links_admin).post(link_new))
        .route("/admin/links/{id}", post(link_edit))
        .route("/admin/links/{id}/delete", post(link_delete))
}

fn flash_of(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "saved" => Msg::new("已儲存", "Saved"),
        "deleted" => Msg::new("已刪除", "Deleted"),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AdminQuery {
    edit: Option<i64>,
    ok: Option<String>,
    q: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

fn input_time(t: &Option<time::OffsetDateTime>) -> String {
    t.map(portico_core::time::datetime_local)
        .unwrap_or_default()
}

/// A refused save: its faults, its banner and its status.
type Refusal = (String, Vec<FieldError>, StatusCode);

fn ok_refusal() -> Refusal {
    (String::new(), Vec::new(), StatusCode::OK)
}

fn content_form(
    s: &Signed,
    editing: Option<i64>,
    r: Refusal,
    all: Vec<(i64, String)>,
) -> ContentForm {
    ContentForm {
        editing,
        error: r.0,
        errs: Errors::new(r.1, s.lang()),
        all,
    }
}

async fn saved(
    s: &Signed,
    done: Result<i64, Error>,
    base: &str,
) -> Result<Result<Response, Refusal>, WebError> {
    match done {
        Ok(_) => Ok(Ok(Redirect::to(&format!("{base}?ok=saved")).into_response())),
        Err(e) => {
            let (errs, banner, status) = crate::error::split(e, s.lang())?;
            Ok(Err((banner, errs, status)))
        }
    }
}

async fn deleted(s: &Signed, done: Result<(), Error>, base: &str) -> Result<Response, WebError> {
    done.map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!("{base}?ok=deleted")).into_response())
}

// ---- what everyone reads ---------------------------------------------------

async fn faq(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AdminQuery>,
) -> Result<Response, WebError> {
    let rows = st
        .app
        .faqs(&q.q)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let mut groups: Vec<(String, Vec<_>)> = Vec::new();
    for r in rows {
        match groups.last_mut() {
            Some((name, list)) if *name == r.category => list.push(r),
            _ => groups.push((r.category.clone(), vec![r])),
        }
    }
    render_as(
        FaqPage {
            c: Chrome::of(&s.0, "faq"),
            q: q.q,
            groups,
        },
        s.lang(),
        StatusCode::OK,
    )
}

async fn links(State(st): State<AppState>, s: Signed) -> Result<Response, WebError> {
    let links = st
        .app
        .links_for(&s.0.principal, LinkPlace::List)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    render_as(
        LinksPage {
            c: Chrome::of(&s.0, "links"),
            links,
        },
        s.lang(),
        StatusCode::OK,
    )
}

async fn banner_image(
    State(st): State<AppState>,
    s: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let f = st
        .app
        .banner_image(&s.0.principal, id)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(crate::support::photo(f, "private, max-age=300"))
}

// ---- banners -----------------------------------------------------------------

async fn banners(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AdminQuery>,
) -> Result<Response, WebError> {
    let form = match q.edit {
        Some(id) => {
            let b = st
                .app
                .banner(&s.0.principal, id)
                .await
                .map_err(|e| WebError::page(e, s.lang()))?;
            BannerInput {
                title: b.title,
                alt: b.alt,
                link: b.link,
                starts: input_time(&b.starts_at),
                ends: input_time(&b.ends_at),
                position: b.position.to_string(),
            }
        }
        None => BannerInput::default(),
    };
    banners_page(
        &st,
        &s,
        q.edit,
        form,
        ok_refusal(),
        flash_of(q.ok.as_deref()),
    )
    .await
}

async fn banners_page(
    st: &AppState,
    s: &Signed,
    editing: Option<i64>,
    form: BannerInput,
    r: Refusal,
    flash: Option<Msg>,
) -> Result<Response, WebError> {
    let rows = st
        .app
        .all_banners(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    let status = r.2;
    render_as(
        BannersAdminPage {
            c: Chrome::of(&s.0, "admin-banners").with_flash(flash),
            rows,
            form,
            f: content_form(s, editing, r, Vec::new()),
            max_mb: MAX_BANNER / 1_048_576,
        },
        s.lang(),
        status,
    )
}

async fn read_banner(
    mp: Multipart,
    s: &Signed,
) -> Result<(BannerInput, Option<portico_app::access::Upload>), WebError> {
    let too_big = Error::invalid(
        "image",
        Msg::owned(
            format!(
                "上傳內容無法讀取，圖片可能超過 {} MB",
                MAX_BANNER / 1_048_576
            ),
            format!(
                "The upload could not be read; the image may exceed {} MB",
                MAX_BANNER / 1_048_576
            ),
        ),
    );
    let (f, mut files) =
        crate::support::read_multipart(mp, s.lang(), &[("image", 1)], 2_000, too_big).await?;
    s.check_csrf(f.one("_csrf"))?;
    let image = files.pop().unwrap_or_default().into_iter().next();
    Ok((
        BannerInput {
            title: f.one("title").into(),
            alt: f.one("alt").into(),
            link: f.one("link").into(),
            starts: f.one("starts").into(),
            ends: f.one("ends").into(),
            position: f.one("position").into(),
        },
        image,
    ))
}

async fn banner_save(
    st: AppState,
    s: Signed,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let (form, image) = read_banner(mp, &s).await?;
    let done = st
        .app
        .save_banner(&s.0.principal, id, &form, image, &ctx)
        .await;
    match saved(&s, done, "/admin/banners").await? {
        Ok(r) => Ok(r),
        Err(r) => banners_page(&st, &s, id, form, r, None).await,
    }
}

async fn banner_new(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    mp: Multipart,
) -> Result<Response, WebError> {
    banner_save(st, s, ctx, None, mp).await
}

async fn banner_edit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, WebError> {
    banner_save(st, s, ctx, Some(id), mp).await
}

async fn banner_delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    deleted(
        &s,
        st.app.delete_banner(&s.0.principal, id, &ctx).await,
        "/admin/banners",
    )
    .await
}

// ---- notices -------------------------------------------------------------------

async fn notices(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AdminQuery>,
) -> Result<Response, WebError> {
    let form = match q.edit {
        Some(id) => {
            let n = st
                .app
                .notice(&s.0.principal, id)
                .await
                .map_err(|e| WebError::page(e, s.lang()))?;
            NoticeInput {
                title: n.title,
                body: n.body_html,
                audience: n.audience.as_str().into(),
                agencies: n.agencies,
                starts: input_time(&n.starts_at),
                ends: input_time(&n.ends_at),
            }
        }
        None => NoticeInput {
            audience: "all".into(),
            ..Default::default()
        },
    };
    notices_page(
        &st,
        &s,
        q.edit,
        form,
        ok_refusal(),
        flash_of(q.ok.as_deref()),
    )
    .await
}

async fn notices_page(
    st: &AppState,
    s: &Signed,
    editing: Option<i64>,
    form: NoticeInput,
    r: Refusal,
    flash: Option<Msg>,
) -> Result<Response, WebError> {
    let err = |e| WebError::page(e, s.lang());
    let rows = st.app.all_notices(&s.0.principal).await.map_err(err)?;
    let all = st.app.all_agencies().await.map_err(err)?;
    let status = r.2;
    render_as(
        NoticesAdminPage {
            c: Chrome::of(&s.0, "admin-notices").with_flash(flash),
            rows,
            form,
            f: content_form(s, editing, r, all),
        },
        s.lang(),
        status,
    )
}

fn notice_input(p: &Pairs) -> NoticeInput {
    NoticeInput {
        title: p.one("title").into(),
        body: p.one("body").into(),
        audience: p.one("audience").into(),
        agencies: p.ids("agencies"),
        starts: p.one("starts").into(),
        ends: p.one("ends").into(),
    }
}

async fn notice_save(
    st: AppState,
    s: Signed,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    p: Pairs,
) -> Result<Response, WebError> {
    s.check_csrf(p.one("_csrf"))?;
    let form = notice_input(&p);
    let done = st.app.save_notice(&s.0.principal, id, &form, &ctx).await;
    match saved(&s, done, "/admin/notices").await? {
        Ok(r) => Ok(r),
        Err(r) => notices_page(&st, &s, id, form, r, None).await,
    }
}

async fn notice_new(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    notice_save(st, s, ctx, None, Pairs(p)).await
}

async fn notice_edit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    notice_save(st, s, ctx, Some(id), Pairs(p)).await
}

async fn notice_delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    deleted(
        &s,
        st.app.delete_notice(&s.0.principal, id, &ctx).await,
        "/admin/notices",
    )
    .await
}

// ---- the FAQ -----------------------------------------------------------------

async fn faq_admin(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AdminQuery>,
) -> Result<Response, WebError> {
    let form = match q.edit {
        Some(id) => {
            let (rows, _) = st
                .app
                .all_faqs(&s.0.principal)
                .await
                .map_err(|e| WebError::page(e, s.lang()))?;
            let r = rows
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| WebError::page(Error::NotFound, s.lang()))?;
            FaqInput {
                category: r.category,
                question: r.question,
                answer: r.answer_html,
                position: r.position.to_string(),
            }
        }
        None => FaqInput::default(),
    };
    faq_page(
        &st,
        &s,
        q.edit,
        form,
        ok_refusal(),
        flash_of(q.ok.as_deref()),
    )
    .await
}

async fn faq_page(
    st: &AppState,
    s: &Signed,
    editing: Option<i64>,
    form: FaqInput,
    r: Refusal,
    flash: Option<Msg>,
) -> Result<Response, WebError> {
    let err = |e| WebError::page(e, s.lang());
    let (rows, categories) = st.app.all_faqs(&s.0.principal).await.map_err(err)?;
    let status = r.2;
    render_as(
        FaqAdminPage {
            c: Chrome::of(&s.0, "admin-faq").with_flash(flash),
            rows,
            categories,
            form,
            f: content_form(s, editing, r, Vec::new()),
        },
        s.lang(),
        status,
    )
}

async fn faq_save(
    st: AppState,
    s: Signed,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    p: Pairs,
) -> Result<Response, WebError> {
    s.check_csrf(p.one("_csrf"))?;
    let form = FaqInput {
        category: p.one("category").into(),
        question: p.one("question").into(),
        answer: p.one("answer").into(),
        position: p.one("position").into(),
    };
    let done = st.app.save_faq(&s.0.principal, id, &form, &ctx).await;
    match saved(&s, done, "/admin/faq").await? {
        Ok(r) => Ok(r),
        Err(r) => faq_page(&st, &s, id, form, r, None).await,
    }
}

async fn faq_new(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    faq_save(st, s, ctx, None, Pairs(p)).await
}

async fn faq_edit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    faq_save(st, s, ctx, Some(id), Pairs(p)).await
}

async fn faq_delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    deleted(
        &s,
        st.app.delete_faq(&s.0.principal, id, &ctx).await,
        "/admin/faq",
    )
    .await
}

// ---- links -------------------------------------------------------------------

async fn links_admin(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<AdminQuery>,
) -> Result<Response, WebError> {
    let form = match q.edit {
        Some(id) => {
            let l = st
                .app
                .link(&s.0.principal, id)
                .await
                .map_err(|e| WebError::page(e, s.lang()))?;
            LinkInput {
                name: l.name,
                url: l.url,
                icon: l.icon,
                description: l.description,
                audience: l.audience.as_str().into(),
                agencies: l.agencies,
                position: l.position.to_string(),
                on_home: l.on_home,
                in_list: l.in_list,
            }
        }
        None => LinkInput {
            audience: "all".into(),
            in_list: true,
            ..Default::default()
        },
    };
    links_page(
        &st,
        &s,
        q.edit,
        form,
        ok_refusal(),
        flash_of(q.ok.as_deref()),
    )
    .await
}

async fn links_page(
    st: &AppState,
    s: &Signed,
    editing: Option<i64>,
    form: LinkInput,
    r: Refusal,
    flash: Option<Msg>,
) -> Result<Response, WebError> {
    let err = |e| WebError::page(e, s.lang());
    let rows = st.app.all_links(&s.0.principal).await.map_err(err)?;
    let all = st.app.all_agencies().await.map_err(err)?;
    let status = r.2;
    render_as(
        LinksAdminPage {
            c: Chrome::of(&s.0, "admin-links").with_flash(flash),
            rows,
            form,
            f: content_form(s, editing, r, all),
        },
        s.lang(),
        status,
    )
}

async fn link_save(
    st: AppState,
    s: Signed,
    ctx: portico_app::Ctx,
    id: Option<i64>,
    p: Pairs,
) -> Result<Response, WebError> {
    s.check_csrf(p.one("_csrf"))?;
    let form = LinkInput {
        name: p.one("name").into(),
        url: p.one("url").into(),
        icon: p.one("icon").into(),
        description: p.one("description").into(),
        audience: p.one("audience").into(),
        agencies: p.ids("agencies"),
        position: p.one("position").into(),
        on_home: !p.one("on_home").is_empty(),
        in_list: !p.one("in_list").is_empty(),
    };
    let done = st.app.save_link(&s.0.principal, id, &form, &ctx).await;
    match saved(&s, done, "/admin/links").await? {
        Ok(r) => Ok(r),
        Err(r) => links_page(&st, &s, id, form, r, None).await,
    }
}

async fn link_new(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    link_save(st, s, ctx, None, Pairs(p)).await
}

async fn link_edit(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    link_save(st, s, ctx, Some(id), Pairs(p)).await
}

async fn link_delete(
    State(st): State<AppState>,
    s: Signed,
    ReqCtx(ctx): ReqCtx,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    deleted(
        &s,
        st.app.delete_link(&s.0.principal, id, &ctx).await,
        "/admin/links",
    )
    .await
}
