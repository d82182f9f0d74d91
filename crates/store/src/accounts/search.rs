//! The admin console's account search (帳號管理): prefixes on index
//! ranges, the admin's scope and rank in the query.
use crate::{Conn, Page, Result, RowExt, SqlBuf, at, db_err, ms};
use portico_core::Error;
use portico_core::account::AccountState;
use portico_core::ids::AccountId;
use portico_core::org::TreePath;
use portico_core::permission::Visible;
use time::OffsetDateTime;

/// What an admin searches by. Prefixes use index ranges.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub name_prefix: Option<String>,
    pub login_prefix: Option<String>,
    pub title_prefix: Option<String>,
    /// Only accounts in this subtree (an agency or unit).
    pub within: Option<TreePath>,
    pub state: Option<AccountState>,
    pub locked_at: Option<OffsetDateTime>,
}

/// One row of a search result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountRow {
    pub id: AccountId,
    pub login: String,
    pub name: String,
    pub title: String,
    pub unit_name: String,
    pub agency_name: String,
    pub state: AccountState,
    pub locked: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in_at: Option<OffsetDateTime>,
}

/// Searches the accounts an admin may see: the scope and the rank are part
/// of the query (an account above the admin is not listed, as it is not
/// found when opened).
pub async fn search(
    c: &mut Conn,
    visible: &Visible,
    s: &Search,
    now: OffsetDateTime,
    page: u32,
    per_page: u32,
) -> Result<Page<AccountRow>> {
    let mut filter = SqlBuf::new(" WHERE 1 = 1");
    filter.visible(visible, "u.path", "a.id");
    for (col, v) in [
        ("a.name", &s.name_prefix),
        ("a.login", &s.login_prefix),
        ("a.title", &s.title_prefix),
    ] {
        if let Some(p) = v.as_deref().filter(|p| !p.is_empty()) {
            let (lo, hi) = portico_core::text::prefix_range(p);
            filter
                .push(" AND ")
                .push(col)
                .push(" >= ")
                .t(lo)
                .push(" AND ")
                .push(col)
                .push(" < ")
                .t(hi);
        }
    }
    if let Some(w) = &s.within {
        filter
            .push(" AND u.path >= ")
            .t(w.as_str())
            .push(" AND u.path < ")
            .t(w.range_end());
    }
    if let Some(st) = s.state {
        filter.push(" AND a.state = ").t(st.as_str());
    }
    if let Some(now) = s.locked_at {
        filter.push(" AND a.locked_until > ").i(ms(now));
    }
    let total = filter
        .under("SELECT COUNT(*) AS n FROM accounts a JOIN org_units u ON u.id = a.unit_id")
        .query()
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?
        .i64("n")?;
    let mut q = filter.under(
        "SELECT a.id, a.login, a.name, a.title, u.name AS unit_name, COALESCE(g.name, '') AS agency_name, a.state, \
         a.locked_until, a.last_sign_in_at FROM accounts a JOIN org_units u ON u.id = a.unit_id \
         LEFT JOIN org_units g ON g.id = u.agency_id",
    );
    q.push(" ORDER BY a.name, a.id LIMIT ")
        .i(i64::from(per_page))
        .push(" OFFSET ")
        .i(Page::<()>::offset(page, per_page));
    let rows = q.query().fetch_all(&mut *c).await.map_err(db_err)?;
    let now_ms = ms(now);
    let items = rows
        .iter()
        .map(|r| {
            Ok(AccountRow {
                id: AccountId(r.i64("id")?),
                login: r.text("login")?,
                name: r.text("name")?,
                title: r.text("title")?,
                unit_name: r.text("unit_name")?,
                agency_name: r.text("agency_name")?,
                state: AccountState::parse(&r.text("state")?)
                    .ok_or_else(|| Error::internal("bad account state"))?,
                locked: r.opt_i64("locked_until")?.is_some_and(|u| u > now_ms),
                last_sign_in_at: r.opt_i64("last_sign_in_at")?.map(at),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}
