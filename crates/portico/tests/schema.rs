//! The two migration folders (`crates/store/migrations/{sqlite,postgres}`)
//! are kept in step by hand; this test holds them so. After migrating a
//! fresh SQLite database and a fresh PostgreSQL database, both have the same
//! tables, columns (with types, nullability and primary keys), indexes (by
//! name, with their columns and uniqueness), foreign keys and triggers.
//!
//! It needs both databases, so it runs in the PostgreSQL pass of
//! `./scripts/test` (with `PORTICO_TEST_PG` set); the SQLite pass has no
//! PostgreSQL to compare with and says so.

use sqlx::Row;
use std::collections::BTreeSet;

/// What is compared, one line per fact, so a difference reads as a diff.
type Schema = BTreeSet<String>;

/// The types both dialects store through the `Any` driver.
fn portable(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" => "integer".into(),
        "text" | "character varying" => "text".into(),
        "blob" | "bytea" => "blob".into(),
        "real" | "double precision" => "real".into(),
        // Anything else is named as it is, so two unknown types differ.
        other => format!("unportable:{other}"),
    }
}

async fn sqlite_schema() -> Schema {
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("portico-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}/s.db", dir.display());
    let db = portico_store::Db::connect(&url).await.expect("sqlite");
    portico_store::migrate::run(&db)
        .await
        .expect("migrate sqlite");
    let mut c = db.read().await.expect("conn");
    let mut out = Schema::new();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut *c)
    .await
    .expect("tables")
    .iter()
    .map(|r| r.get("name"))
    .collect();
    for t in &tables {
        out.insert(format!("table {t}"));
        for r in sqlx::query("SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info($1)")
            .bind(t)
            .fetch_all(&mut *c)
            .await
            .expect("columns")
        {
            let name: String = r.get("name");
            let ty: String = r.get("type");
            let pk: i64 = r.get("pk");
            // SQLite lets a primary key column be NULL unless it says NOT
            // NULL; PostgreSQL never does.
            let nn: i64 = r.get("nn");
            let not_null = nn == 1 || pk > 0;
            out.insert(format!(
                "column {t}.{name} {} {}{}",
                portable(&ty),
                if not_null { "not null" } else { "null" },
                if pk > 0 { " primary key" } else { "" }
            ));
        }
        for r in sqlx::query("SELECT name, \"unique\" AS u, origin FROM pragma_index_list($1)")
            .bind(t)
            .fetch_all(&mut *c)
            .await
            .expect("indexes")
        {
            let name: String = r.get("name");
            let origin: String = r.get("origin");
            if origin == "pk" {
                continue;
            }
            let unique: i64 = r.get("u");
            let cols: Vec<String> =
                sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut *c)
                    .await
                    .expect("index columns")
                    .iter()
                    .map(|r| {
                        r.try_get::<String, _>("name")
                            .unwrap_or_else(|_| "(expr)".into())
                    })
                    .collect();
            // A UNIQUE constraint's index has a generated name on both
            // sides: compare it by table and columns.
            let label = if origin == "u" {
                "(constraint)".to_owned()
            } else {
                name
            };
            out.insert(format!(
                "index {label} on {t}({}){}",
                cols.join(","),
                if unique == 1 { " unique" } else { "" }
            ));
        }
        for r in sqlx::query("SELECT \"table\" AS ref, \"from\" AS col, \"to\" AS refcol FROM pragma_foreign_key_list($1)")
            .bind(t)
            .fetch_all(&mut *c)
            .await
            .expect("foreign keys")
        {
            let (col, rt, rc): (String, String, String) = (r.get("col"), r.get("ref"), r.get("refcol"));
            out.insert(format!("foreign key {t}.{col} -> {rt}.{rc}"));
        }
    }
    // Triggers by what they guard (a dialect may need two where the other
    // says `UPDATE OR DELETE` in one).
    for r in sqlx::query("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        .fetch_all(&mut *c)
        .await
        .expect("triggers")
    {
        let (t, sql): (String, String) = (r.get("tbl_name"), r.get("sql"));
        let sql = sql.to_ascii_uppercase();
        let timing = ["BEFORE", "AFTER", "INSTEAD OF"]
            .into_iter()
            .find(|w| sql.contains(&format!(" {w} ")))
            .unwrap_or("?");
        for event in ["INSERT", "UPDATE", "DELETE"] {
            if sql.contains(&format!("{timing} {event}")) || sql.contains(&format!("OR {event}")) {
                out.insert(format!("trigger on {t}: {timing} {event}"));
            }
        }
    }
    drop(c);
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    out
}

async fn postgres_schema(admin: &str) -> Schema {
    sqlx::any::install_default_drivers();
    let name = format!("schema_{}", std::process::id());
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(admin)
        .await
        .expect("connect to PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .expect("create database");
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    let db = portico_store::Db::connect(&format!("{base}/{name}"))
        .await
        .expect("postgres");
    portico_store::migrate::run(&db)
        .await
        .expect("migrate postgres");
    let mut c = db.read().await.expect("conn");
    let mut out = Schema::new();
    for r in sqlx::query(
        "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("tables")
    {
        let t: String = r.get("t");
        out.insert(format!("table {t}"));
    }
    for r in sqlx::query(
        "SELECT c.table_name::text AS t, c.column_name::text AS col, c.data_type::text AS ty, c.is_nullable::text AS nullable, \
           EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                   JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name \
                   WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = c.table_name AND k.column_name = c.column_name) AS pk \
         FROM information_schema.columns c WHERE c.table_schema = 'public' \
           AND c.table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE')",
    )
    .fetch_all(&mut *c)
    .await
    .expect("columns")
    {
        let (t, col, ty, nullable): (String, String, String, String) =
            (r.get("t"), r.get("col"), r.get("ty"), r.get("nullable"));
        let pk: bool = r.get("pk");
        out.insert(format!(
            "column {t}.{col} {} {}{}",
            portable(&ty),
            if nullable == "NO" { "not null" } else { "null" },
            if pk { " primary key" } else { "" }
        ));
    }
    for r in sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS tbl, ix.indisunique AS u, \
           (SELECT string_agg(COALESCE(a.attname::text, '(expr)'), ',' ORDER BY k.n) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols, \
           EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.oid AND con.contype = 'u') AS constraint_index \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT ix.indisprimary \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.oid AND x.contype = 'x')",
    )
    .fetch_all(&mut *c)
    .await
    .expect("indexes")
    {
        let (name, t): (String, String) = (r.get("name"), r.get("tbl"));
        let cols: String = r.try_get("cols").unwrap_or_else(|_| "(expr)".into());
        let unique: bool = r.get("u");
        let constraint: bool = r.get("constraint_index");
        let label = if constraint { "(constraint)".to_owned() } else { name };
        out.insert(format!(
            "index {label} on {t}({cols}){}",
            if unique { " unique" } else { "" }
        ));
    }
    for r in sqlx::query(
        "SELECT cl.relname::text AS t, a.attname::text AS col, rc.relname::text AS rt, ra.attname::text AS rcol \
         FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class rc ON rc.oid = con.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] \
         JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1] \
         WHERE con.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("foreign keys")
    {
        let (t, col, rt, rc): (String, String, String, String) =
            (r.get("t"), r.get("col"), r.get("rt"), r.get("rcol"));
        out.insert(format!("foreign key {t}.{col} -> {rt}.{rc}"));
    }
    for r in sqlx::query(
        "SELECT event_object_table::text AS t, action_timing::text AS timing, event_manipulation::text AS event \
         FROM information_schema.triggers WHERE trigger_schema = 'public'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("triggers")
    {
        let (t, timing, event): (String, String, String) =
            (r.get("t"), r.get("timing"), r.get("event"));
        out.insert(format!("trigger on {t}: {timing} {event}"));
    }
    drop(c);
    db.close().await;
    out
}

#[tokio::test]
async fn sqlite_and_postgresql_migrate_to_the_same_schema() {
    let Ok(admin) = std::env::var("PORTICO_TEST_PG") else {
        eprintln!("PORTICO_TEST_PG is not set: the PostgreSQL pass compares the schemas");
        return;
    };
    let lite = sqlite_schema().await;
    let pg = postgres_schema(&admin).await;
    assert!(
        lite.len() > 100,
        "the SQLite schema read: {} facts",
        lite.len()
    );
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "the migrations disagree.\nonly in SQLite:\n  {}\nonly in PostgreSQL:\n  {}",
        only_lite
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        only_pg
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}
