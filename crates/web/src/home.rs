//! The home page (issue 17; seed 004 第三節 壹): `/` for someone signed
//! in (the root router decides), its 訊息介接 blocks one by one at
//! `/home/office/{source}` (the page's script asks for those still being
//! read), and 個人化設定 › 設定排版 at `/account/layout`.
use crate::extract::{Form, LenientQuery, Path, Signed};
use crate::support::{CsrfForm, OkQuery, Pairs, flash, render, render_as};
use crate::view::*;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portico_core::home::{Arrangement, Mode, Part};
use portico_core::office::Source;
use portico_core::{Error, Msg};
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/home/office/{source}", get(office_block))
        .route("/home/office/{source}/refresh", post(office_refresh))
        .route("/account/layout", get(layout_page).post(layout_save))
        .route("/account/layout/reset", post(layout_reset))
}

const TILES: &[Tile] = &[
    Tile {
        href: "/account",
        zh: "個人帳號管理",
        en: "My account",
        desc_zh: "個人資料、圖像與密碼",
        desc_en: "Your data, avatar and password",
    },
    Tile {
        href: "/records/sign-in",
        zh: "帳號登入紀錄",
        en: "Sign-in records",
        desc_zh: "檢查自己的登入情形",
        desc_en: "Check where and when you signed in",
    },
    Tile {
        href: "/records/usage",
        zh: "帳號使用紀錄",
        en: "Usage records",
        desc_zh: "自己做過的操作",
        desc_en: "What you have done",
    },
];

/// The home page of someone signed in.
pub(crate) async fn home(
    st: &AppState,
    s: &portico_app::sessions::Session,
    q: OkQuery,
) -> Result<Response, WebError> {
    if s.must_change_password {
        return Ok(Redirect::to("/account/password").into_response());
    }
    let c = Chrome::of(s, "home")
        .with_flash(flash(q.ok.as_deref()).or_else(|| layout_flash(q.ok.as_deref())));
    let lang = c.lang;
    let err = |e| WebError::page(e, lang);
    let p = &s.principal;
    let mut tiles: Vec<Tile> = TILES.to_vec();
    let mut waiting = None;
    if p.admin_scope().is_some() {
        let pending = portico_store::requests::Filter {
            state: Some(portico_core::request::RequestState::Pending),
            kind: None,
            who: None,
        };
        waiting = Some(
            st.app
                .review_queue(p, &pending, 1, 1)
                .await
                .map_err(err)?
                .total,
        );
        tiles.push(Tile {
            href: "/admin/accounts",
            zh: "帳號管理",
            en: "Accounts",
            desc_zh: "審核與管理所轄帳號",
            desc_en: "Manage the accounts in your scope",
        });
    }
    let layout = st.app.home_layout(p).await.map_err(err)?;
    let arrangement = layout.current();
    let shown = |part: Part| arrangement.visible().contains(&part);
    // The outside systems are asked while the portal's own blocks are read.
    let office = async {
        let blocks = st.app.office_blocks(p).await;
        blocks
            .iter()
            .filter(|b| shown(Part::Office(b.source)))
            .map(|b| OfficeView::of(b, lang))
            .collect::<Vec<_>>()
    };
    let feeds = async {
        if shown(Part::Feeds) {
            st.app.city_feeds().await.iter().map(FeedView::of).collect()
        } else {
            Vec::new()
        }
    };
    let own = async {
        let apps = st.app.tiles(s).await?;
        let notices = st.app.current_notices(Some(p)).await?;
        let banners = if shown(Part::Banners) {
            st.app.home_banners().await?
        } else {
            Vec::new()
        };
        let posts = if shown(Part::Posts) {
            st.app.latest_announcements(p, 6).await?
        } else {
            Vec::new()
        };
        let links = st
            .app
            .links_for(p, portico_store::content::LinkPlace::Home)
            .await?;
        Ok::<_, Error>((apps, notices, banners, posts, links))
    };
    let (office, feeds, own) = tokio::join!(office, feeds, own);
    let (apps, notices, banners, posts, links) = own.map_err(err)?;
    // A block whose system is not connected has no cell; in the grid its
    // cell stays, empty, so the others keep the places the person chose.
    let cells = arrangement
        .cells()
        .into_iter()
        .map(|cell| {
            cell.filter(|part| match part {
                Part::Office(src) => office.iter().any(|o| o.key == src.key()),
                _ => true,
            })
            .map(Part::key)
        })
        .collect();
    render(
        HomePage {
            c,
            tiles,
            apps,
            last_sign_in: s.prev_sign_in_at.map(portico_core::time::display),
            failed_since: s.failed_since.map(portico_core::time::display),
            waiting,
            notices,
            banners,
            posts,
            links,
            grid: layout.mode == Mode::Grid,
            cells,
            office,
            feeds,
        },
        lang,
    )
}

fn source_of(key: &str, lang: portico_core::Lang) -> Result<Source, WebError> {
    Source::parse(key).ok_or_else(|| WebError::page(Error::NotFound, lang))
}

/// One block, for the page's script: waits up to a call's bound.
async fn office_block(
    State(st): State<AppState>,
    s: Signed,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let source = source_of(&key, lang)?;
    if !st.app.office_sources().contains(&source) {
        return Err(WebError::page(Error::NotFound, lang));
    }
    let b = st
        .app
        .office_block(&s.0.principal, source, Duration::from_secs(10))
        .await;
    let mut r = render(
        OfficeFragment {
            c: Chrome::of(&s.0, "home"),
            o: OfficeView::of(&b, lang),
        },
        lang,
    )?;
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// 重試: asks the system again at the next view.
async fn office_refresh(
    State(st): State<AppState>,
    s: Signed,
    Path(key): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let source = source_of(&key, s.lang())?;
    st.app.office_forget(&s.0.principal, source);
    Ok(Redirect::to("/").into_response())
}

fn layout_flash(code: Option<&str>) -> Option<Msg> {
    Some(match code? {
        "layout" => Msg::new("排版已儲存", "The layout was saved"),
        "layout-reset" => Msg::new(
            "已恢復此排版方式的預設排列；首頁仍使用這個排版方式",
            "This layout's default arrangement is back; the home page keeps this layout",
        ),
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LayoutQuery {
    mode: Option<String>,
    ok: Option<String>,
}

async fn layout_page(
    State(st): State<AppState>,
    s: Signed,
    LenientQuery(q): LenientQuery<LayoutQuery>,
) -> Result<Response, WebError> {
    let lang = s.lang();
    let l = st
        .app
        .home_layout(&s.0.principal)
        .await
        .map_err(|e| WebError::page(e, lang))?;
    let mode = q.mode.as_deref().and_then(Mode::parse).unwrap_or(l.mode);
    let c = Chrome::of(&s.0, "home").with_flash(layout_flash(q.ok.as_deref()));
    render(
        LayoutPage::of(c, &l, mode, &st.app.office_sources(), None),
        lang,
    )
}

async fn layout_save(
    State(st): State<AppState>,
    s: Signed,
    Form(p): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let p = Pairs(p);
    s.check_csrf(p.one("csrf"))?;
    let lang = s.lang();
    let err = |e| WebError::page(e, lang);
    let mode = Mode::parse(p.one("mode")).unwrap_or_default();
    let positions: Vec<(Part, String)> = Part::ALL
        .iter()
        .filter(|part| !p.one(&format!("pos.{}", part.key())).is_empty())
        .map(|part| (*part, p.one(&format!("pos.{}", part.key())).to_owned()))
        .collect();
    let pos: Vec<(Part, &str)> = positions.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let shown: Vec<Part> = p
        .all("show")
        .iter()
        .filter_map(|k| Part::parse(k))
        .collect();
    match Arrangement::from_form(&pos, &shown) {
        Ok(a) => {
            st.app
                .save_home_layout(&s.0.principal, mode, a)
                .await
                .map_err(err)?;
            Ok(Redirect::to("/?ok=layout").into_response())
        }
        Err(m) => {
            // The form again as sent, with the message: nothing saved.
            let mut l = st.app.home_layout(&s.0.principal).await.map_err(err)?;
            let mut sent = Arrangement::default();
            for (i, part) in Part::ALL.iter().enumerate() {
                sent.order[i] = *part;
                sent.shown[i] = shown.contains(part);
            }
            match mode {
                Mode::Classic => l.classic = sent,
                Mode::Grid => l.grid = sent,
            }
            let mut page = LayoutPage::of(
                Chrome::of(&s.0, "home"),
                &l,
                mode,
                &st.app.office_sources(),
                Some(m.get(lang).to_owned()),
            );
            for item in &mut page.items {
                if let Some((_, v)) = positions.iter().find(|(x, _)| x.key() == item.key) {
                    item.position = v.trim().parse().unwrap_or(0);
                }
            }
            render_as(page, lang, crate::error::INVALID_INPUT)
        }
    }
}

#[derive(serde::Deserialize)]
struct ResetForm {
    csrf: String,
    mode: String,
}

async fn layout_reset(
    State(st): State<AppState>,
    s: Signed,
    Form(f): Form<ResetForm>,
) -> Result<Response, WebError> {
    s.check_csrf(&f.csrf)?;
    let mode = Mode::parse(&f.mode).unwrap_or_default();
    st.app
        .reset_home_layout(&s.0.principal, mode)
        .await
        .map_err(|e| WebError::page(e, s.lang()))?;
    Ok(Redirect::to(&format!(
        "/account/layout?mode={}&ok=layout-reset",
        mode.as_str()
    ))
    .into_response())
}
