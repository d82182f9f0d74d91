//! One counter per cache, bumped in the transaction that changes what the
//! cache holds. A node compares the counters with the ones its caches were
//! filled at (one small read, at most once a second) and reloads what
//! moved: a change on one node reaches the others within that second,
//! without waiting out a timeout.
use crate::{Conn, Result, RowExt, db_err};

pub const SETTINGS: &str = "settings";
/// Relying-party clients and their approved services.
pub const CLIENTS: &str = "clients";
/// Token signing keys.
pub const KEYS: &str = "keys";

pub async fn bump(c: &mut Conn, name: &str) -> Result<()> {
    sqlx::query("UPDATE cache_versions SET version = version + 1 WHERE name = $1")
        .bind(name)
        .execute(&mut *c)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The counters, as (settings, clients, keys).
pub async fn all(c: &mut Conn) -> Result<Versions> {
    let rows = sqlx::query("SELECT name, version FROM cache_versions")
        .fetch_all(&mut *c)
        .await
        .map_err(db_err)?;
    let mut v = Versions::default();
    for r in rows {
        let n = r.i64("version")?;
        match r.text("name")?.as_str() {
            SETTINGS => v.settings = n,
            CLIENTS => v.clients = n,
            KEYS => v.keys = n,
            _ => {}
        }
    }
    Ok(v)
}

/// What the caches were filled at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    pub settings: i64,
    pub clients: i64,
    pub keys: i64,
}
