//! Portico's persistence. All SQL lives here, one module per aggregate, and
//! runs unchanged on SQLite (embedded, one node) and PostgreSQL (many nodes)
//! through sqlx's `Any` driver: a portable schema (TEXT, BIGINT, BLOB), `$n`
//! placeholders, times as epoch milliseconds, booleans as 0/1. The few
//! dialect differences (schema DDL, pool setup) live in this file and in
//! `migrations/<backend>/`.
#![forbid(unsafe_code)]

pub mod access;
pub mod accounts;
pub mod announcements;
pub mod audit;
pub mod bookings;
pub mod captchas;
pub mod certifications;
pub mod clients;
pub mod codes;
pub mod content;
pub mod directory;
pub mod documents;
pub mod downloads;
pub mod factors;
pub mod files;
pub mod home;
pub mod inspections;
pub mod jobs;
pub mod login_failures;
pub mod mailboxes;
pub mod migrate;
pub mod oauth;
pub mod orgs;
pub mod outbox;
pub mod rates;
pub mod repairs;
pub mod requests;
pub mod roles;
pub mod sessions;
pub mod settings;
pub mod usage;
pub mod versions;

use portico_core::{Error, Msg};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor};
use std::time::Duration;

pub use sqlx::AnyConnection as Conn;
pub type Tx = sqlx::Transaction<'static, Any>;
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database. On SQLite every write goes through one connection, so
/// write transactions never meet `SQLITE_BUSY` inside one process, while
/// reads run in parallel on WAL snapshots. On PostgreSQL both are one pool.
#[derive(Debug, Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects to `sqlite://path` (created when missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        install_default_drivers();
        if url.starts_with("sqlite:") {
            let url = if url.contains('?') {
                url.to_owned()
            } else {
                format!("{url}?mode=rwc")
            };
            // The writer first: it creates the file and switches it to WAL.
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                // A file opened in this process does not go stale: no ping
                // (a round trip to the connection's thread) per acquire.
                .test_before_acquire(false)
                .after_connect(|c, _| sqlite_pragmas(c))
                .connect(&url)
                .await
                .map_err(|e| Error::internal(format!("opening {url}: {e}")))?;
            let read = AnyPoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .test_before_acquire(false)
                .after_connect(|c, _| sqlite_pragmas(c))
                .connect(&url)
                .await
                .map_err(|e| Error::internal(format!("opening {url}: {e}")))?;
            Ok(Db {
                read,
                write,
                backend: Backend::Sqlite,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await
                .map_err(|e| Error::internal(format!("connecting to PostgreSQL: {e}")))?;
            Ok(Db {
                read: pool.clone(),
                write: pool,
                backend: Backend::Postgres,
            })
        } else {
            Err(Error::internal(format!(
                "unsupported database URL (use sqlite:// or postgres://): {url}"
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        self.read.acquire().await.map_err(db_err)
    }

    /// Begins a write transaction. Keep it short: on SQLite it holds the
    /// only writer. Never hash a password inside one.
    pub async fn begin(&self) -> Result<Tx> {
        self.write.begin().await.map_err(db_err)
    }

    /// A writer's connection with no transaction around it: each statement
    /// commits by itself (one round trip for a statement that must be
    /// atomic on its own).
    pub async fn autocommit(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        self.write.acquire().await.map_err(db_err)
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Every SQLite connection: WAL (readers never block the writer),
/// `synchronous = NORMAL` (durable at checkpoints, the usual WAL choice),
/// foreign keys on, and a busy timeout for other processes (the CLI).
fn sqlite_pragmas(c: &mut sqlx::AnyConnection) -> BoxFut<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        c.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA busy_timeout = 10000; PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;",
        )
        .await?;
        Ok(())
    })
}

/// Maps a database error once: no row → `NotFound`; a unique violation →
/// `Conflict`; anything else → `Internal`, with the detail for the log.
pub fn db_err(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::RowNotFound => Error::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict {
            field: "unique",
            message: Msg::new("資料已存在，請改用其他值", "That value is already taken"),
        },
        // PostgreSQL's exclusion constraints (bookings that overlap).
        sqlx::Error::Database(d) if d.code().as_deref() == Some("23P01") => Error::Conflict {
            field: "unique",
            message: Msg::new("時段已被預約", "That time is already taken"),
        },
        other => Error::internal(format!("database: {other}")),
    }
}

/// Like [`db_err`], naming the field a unique violation is about.
pub fn unique_on(field: &'static str, message: Msg) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match db_err(e) {
        Error::Conflict { .. } => Error::Conflict { field, message },
        other => other,
    }
}

/// Reads typed columns from an `Any` row, mapping decode errors once.
pub(crate) trait RowExt {
    fn i64(&self, col: &str) -> Result<i64>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>>;
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn flag(&self, col: &str) -> Result<bool> {
        Ok(self.i64(col)? != 0)
    }
}

impl RowExt for sqlx::any::AnyRow {
    fn i64(&self, col: &str) -> Result<i64> {
        sqlx::Row::try_get::<i64, _>(self, col)
            .map_err(|e| Error::internal(format!("column {col}: {e}")))
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>> {
        sqlx::Row::try_get::<Option<i64>, _>(self, col)
            .map_err(|e| Error::internal(format!("column {col}: {e}")))
    }
    fn text(&self, col: &str) -> Result<String> {
        sqlx::Row::try_get::<String, _>(self, col)
            .map_err(|e| Error::internal(format!("column {col}: {e}")))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        sqlx::Row::try_get::<Option<String>, _>(self, col)
            .map_err(|e| Error::internal(format!("column {col}: {e}")))
    }
}

/// Which database a connection talks to.
pub(crate) fn backend_of(c: &Conn) -> Backend {
    if c.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

pub(crate) fn ms(t: time::OffsetDateTime) -> i64 {
    portico_core::time::to_millis(t)
}

pub(crate) fn at(ms: i64) -> time::OffsetDateTime {
    portico_core::time::from_millis(ms)
}

/// A page of results and the total count, for pagination.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u32 {
        (((self.total.max(0) as u64) + u64::from(self.per_page) - 1)
            / u64::from(self.per_page.max(1)))
        .max(1) as u32
    }
    /// No results: what a list shows when its search was refused.
    pub fn empty(per_page: u32) -> Page<T> {
        Page {
            items: Vec::new(),
            total: 0,
            page: 1,
            per_page,
        }
    }
    pub fn offset(page: u32, per_page: u32) -> i64 {
        i64::from(page.max(1) - 1) * i64::from(per_page)
    }
}

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    I(i64),
    T(String),
}

/// Builds SQL with `$n` placeholders (the only style both backends accept
/// through `Any`) for queries whose filters vary.
#[derive(Debug, Default)]
pub(crate) struct SqlBuf {
    sql: String,
    vals: Vec<Val>,
}

impl SqlBuf {
    pub(crate) fn new(sql: &str) -> SqlBuf {
        SqlBuf {
            sql: sql.to_owned(),
            vals: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    pub(crate) fn bind(&mut self, v: Val) -> &mut Self {
        self.vals.push(v);
        self.sql.push('$');
        self.sql.push_str(&self.vals.len().to_string());
        self
    }

    pub(crate) fn i(&mut self, v: i64) -> &mut Self {
        self.bind(Val::I(v))
    }

    pub(crate) fn t(&mut self, v: impl Into<String>) -> &mut Self {
        self.bind(Val::T(v.into()))
    }

    /// ` LIMIT … OFFSET …` for one page; nothing for `per_page` 0 (all).
    pub(crate) fn page(&mut self, page: u32, per_page: u32) -> &mut Self {
        if per_page == 0 {
            return self;
        }
        self.push(" LIMIT ")
            .i(i64::from(per_page))
            .push(" OFFSET ")
            .i(Page::<()>::offset(page, per_page))
    }

    /// `AND (col in subtree A OR col in subtree B …)`; nothing for `All`.
    pub(crate) fn scope(
        &mut self,
        scope: &portico_core::permission::AdminScope,
        path_col: &str,
    ) -> &mut Self {
        use portico_core::permission::AdminScope;
        match scope {
            AdminScope::All => self,
            AdminScope::Subtrees(roots) => self.in_subtrees(path_col, roots),
        }
    }

    /// `AND (col in one of roots)`, or `AND 1 = 0` for none.
    pub(crate) fn in_subtrees(
        &mut self,
        path_col: &str,
        roots: &[portico_core::org::TreePath],
    ) -> &mut Self {
        if roots.is_empty() {
            return self.push(" AND 1 = 0");
        }
        self.push(" AND (");
        for (i, r) in roots.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            self.push("(")
                .push(path_col)
                .push(" >= ")
                .t(r.as_str())
                .push(" AND ")
                .push(path_col)
                .push(" < ")
                .t(r.range_end())
                .push(")");
        }
        self.push(")")
    }

    /// The accounts an admin may see (`Admin::visible`): the account's unit
    /// (`path_col`) in scope, and no admin role on the account
    /// (`account_col`) above the admin.
    pub(crate) fn visible(
        &mut self,
        v: &portico_core::permission::Visible,
        path_col: &str,
        account_col: &str,
    ) -> &mut Self {
        self.scope(&v.scope, path_col);
        self.not_above(v, account_col)
    }

    /// `AND` no admin role on the account (`account_col`) is above the
    /// admin; nothing for a system admin.
    pub(crate) fn not_above(
        &mut self,
        v: &portico_core::permission::Visible,
        account_col: &str,
    ) -> &mut Self {
        let Some(ranks) = &v.ranks else {
            return self;
        };
        self.push(" AND NOT EXISTS (SELECT 1 FROM roles vr LEFT JOIN org_units vu ON vu.id = vr.scope_unit_id WHERE vr.account_id = ")
            .push(account_col)
            .push(" AND (vr.scope_unit_id IS NULL");
        for (kind, roots) in ranks {
            self.push(" OR (vr.kind = ")
                .t(kind.as_str())
                .push(" AND NOT (1 = 1");
            self.in_subtrees("vu.path", roots);
            self.push("))");
        }
        self.push("))")
    }

    /// `head` followed by this buffer's SQL, with the same binds: the count
    /// and the page of a filtered list share one filter.
    pub(crate) fn under(&self, head: &str) -> SqlBuf {
        SqlBuf {
            sql: format!("{head}{}", self.sql),
            vals: self.vals.clone(),
        }
    }

    /// This buffer's SQL between `head` and `tail`, with the same binds: a
    /// filtered query used as a subquery.
    pub(crate) fn wrap(&self, head: &str, tail: &str) -> SqlBuf {
        SqlBuf {
            sql: format!("{head}{}{tail}", self.sql),
            vals: self.vals.clone(),
        }
    }

    pub(crate) fn query(&self) -> sqlx::query::Query<'static, Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.sql.clone()));
        for v in &self.vals {
            q = match v {
                Val::I(i) => q.bind(*i),
                Val::T(s) => q.bind(s.clone()),
            };
        }
        q
    }
}

/// Escapes `%`, `_` and backslash for a `LIKE … ESCAPE` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}
