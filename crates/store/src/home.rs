//! The home page's layout per person (issue 17): one row, written by the
//! person's own session.
use crate::{Conn, Result, RowExt, db_err, ms};
use portico_core::home::{Arrangement, Layout, Mode};
use portico_core::ids::AccountId;
use portico_core::permission::AccountWrite;
use time::OffsetDateTime;

/// The saved layout, or the defaults.
pub async fn layout(c: &mut Conn, account: AccountId) -> Result<Layout> {
    let r = sqlx::query("SELECT mode, classic, grid FROM home_layouts WHERE account_id = $1")
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await
        .map_err(db_err)?;
    let Some(r) = r else {
        return Ok(Layout::default());
    };
    Ok(Layout {
        mode: Mode::parse(&r.text("mode")?).unwrap_or_default(),
        classic: Arrangement::from_text(&r.text("classic")?),
        grid: Arrangement::from_text(&r.text("grid")?),
    })
}

pub async fn save_layout(
    c: &mut Conn,
    who: AccountWrite,
    l: &Layout,
    now: OffsetDateTime,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_layouts (account_id, mode, classic, grid, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (account_id) DO UPDATE SET mode = excluded.mode, \
         classic = excluded.classic, grid = excluded.grid, updated_at = excluded.updated_at",
    )
    .bind(who.id().0)
    .bind(l.mode.as_str())
    .bind(l.classic.to_text())
    .bind(l.grid.to_text())
    .bind(ms(now))
    .execute(&mut *c)
    .await
    .map_err(db_err)?;
    Ok(())
}
