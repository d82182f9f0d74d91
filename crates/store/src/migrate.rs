//! Versioned schema migrations, one folder per backend, embedded in the
//! binary. Run by `portico migrate` and at start-up; `/readyz` reports
//! whether the database is current.
use crate::{Backend, Db, Result, db_err};
use sqlx::Row;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "lifecycle",
        sqlite: include_str!("../migrations/sqlite/0002_lifecycle.sql"),
        postgres: include_str!("../migrations/postgres/0002_lifecycle.sql"),
    },
    Migration {
        version: 3,
        name: "sso",
        sqlite: include_str!("../migrations/sqlite/0003_sso.sql"),
        postgres: include_str!("../migrations/postgres/0003_sso.sql"),
    },
    Migration {
        version: 4,
        name: "strong",
        sqlite: include_str!("../migrations/sqlite/0004_strong.sql"),
        postgres: include_str!("../migrations/postgres/0004_strong.sql"),
    },
    Migration {
        version: 5,
        name: "nodes",
        sqlite: include_str!("../migrations/sqlite/0005_nodes.sql"),
        postgres: include_str!("../migrations/postgres/0005_nodes.sql"),
    },
    Migration {
        version: 6,
        name: "logout",
        sqlite: include_str!("../migrations/sqlite/0006_logout.sql"),
        postgres: include_str!("../migrations/postgres/0006_logout.sql"),
    },
    Migration {
        version: 7,
        name: "contacts",
        sqlite: include_str!("../migrations/sqlite/0007_contacts.sql"),
        postgres: include_str!("../migrations/postgres/0007_contacts.sql"),
    },
    Migration {
        version: 8,
        name: "directory",
        sqlite: include_str!("../migrations/sqlite/0008_directory.sql"),
        postgres: include_str!("../migrations/postgres/0008_directory.sql"),
    },
    Migration {
        version: 9,
        name: "mailboxes",
        sqlite: include_str!("../migrations/sqlite/0009_mailboxes.sql"),
        postgres: include_str!("../migrations/postgres/0009_mailboxes.sql"),
    },
    Migration {
        version: 10,
        name: "access",
        sqlite: include_str!("../migrations/sqlite/0010_access.sql"),
        postgres: include_str!("../migrations/postgres/0010_access.sql"),
    },
    Migration {
        version: 11,
        name: "inspections",
        sqlite: include_str!("../migrations/sqlite/0011_inspections.sql"),
        postgres: include_str!("../migrations/postgres/0011_inspections.sql"),
    },
    Migration {
        version: 12,
        name: "certifications",
        sqlite: include_str!("../migrations/sqlite/0012_certifications.sql"),
        postgres: include_str!("../migrations/postgres/0012_certifications.sql"),
    },
    Migration {
        version: 13,
        name: "bookings",
        sqlite: include_str!("../migrations/sqlite/0013_bookings.sql"),
        postgres: include_str!("../migrations/postgres/0013_bookings.sql"),
    },
    Migration {
        version: 14,
        name: "cars",
        sqlite: include_str!("../migrations/sqlite/0014_cars.sql"),
        postgres: include_str!("../migrations/postgres/0014_cars.sql"),
    },
    Migration {
        version: 15,
        name: "calendar_feeds",
        sqlite: include_str!("../migrations/sqlite/0015_calendar_feeds.sql"),
        postgres: include_str!("../migrations/postgres/0015_calendar_feeds.sql"),
    },
    Migration {
        version: 16,
        name: "repairs",
        sqlite: include_str!("../migrations/sqlite/0016_repairs.sql"),
        postgres: include_str!("../migrations/postgres/0016_repairs.sql"),
    },
    Migration {
        version: 17,
        name: "item_photos",
        sqlite: include_str!("../migrations/sqlite/0017_item_photos.sql"),
        postgres: include_str!("../migrations/postgres/0017_item_photos.sql"),
    },
    Migration {
        version: 18,
        name: "announcements",
        sqlite: include_str!("../migrations/sqlite/0018_announcements.sql"),
        postgres: include_str!("../migrations/postgres/0018_announcements.sql"),
    },
    Migration {
        version: 19,
        name: "portal_content",
        sqlite: include_str!("../migrations/sqlite/0019_portal_content.sql"),
        postgres: include_str!("../migrations/postgres/0019_portal_content.sql"),
    },
    Migration {
        version: 20,
        name: "documents",
        sqlite: include_str!("../migrations/sqlite/0020_documents.sql"),
        postgres: include_str!("../migrations/postgres/0020_documents.sql"),
    },
    Migration {
        version: 21,
        name: "home_layouts",
        sqlite: include_str!("../migrations/sqlite/0021_home_layouts.sql"),
        postgres: include_str!("../migrations/postgres/0021_home_layouts.sql"),
    },
    Migration {
        version: 22,
        name: "downloads",
        sqlite: include_str!("../migrations/sqlite/0022_downloads.sql"),
        postgres: include_str!("../migrations/postgres/0022_downloads.sql"),
    },
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

async fn ensure_table(db: &Db) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)
}

/// The version the database is at (0 when empty).
pub async fn current(db: &Db) -> Result<i64> {
    ensure_table(db).await?;
    let mut c = db.read().await?;
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(&mut *c)
        .await
        .map_err(db_err)?;
    row.try_get::<i64, _>("v").map_err(db_err)
}

/// Applies every migration not yet applied, each in its own transaction.
/// Returns how many ran.
pub async fn run(db: &Db) -> Result<usize> {
    let have = current(db).await?;
    let mut ran = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version > have) {
        let sql = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let mut tx = db.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(|e| {
            portico_core::Error::internal(format!("migration {} ({}): {e}", m.version, m.name))
        })?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(crate::ms(time::OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}
