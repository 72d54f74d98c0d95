//! mamori's storage layer: one API over SQLite (the embedded default) and PostgreSQL.
//!
//! The backend is chosen once, from the database URL's scheme. Queries are built at run
//! time through sqlx's `Any` driver with `$N` placeholders, which both backends accept; the
//! few statements that differ live in [`dialect`]. Every change goes through a [`WriteTx`],
//! which cannot be committed without the change-record event that describes it.

pub mod assets;
mod dialect;
pub mod org;
mod search;
pub mod systems;
#[cfg(feature = "testing")]
pub mod testing;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub use dialect::Backend;

/// Japan Standard Time, the offset every recorded time carries.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// The current time in JST as stored: RFC 3339 with `+09:00`, to the millisecond.
pub fn now_text() -> String {
    Utc::now().with_timezone(&jst()).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

pub fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("database file {0} does not exist (pass --create to make a new one)")]
    MissingDatabase(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict`, leaving other errors as they are.
    fn on_unique(self, what: &str) -> Self {
        match &self {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                StoreError::Conflict(what.to_owned())
            }
            _ => self,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// How to open a database.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Create the SQLite file if it does not exist. Without it a missing file is an error,
    /// never a silent new empty database.
    pub create: bool,
    pub max_connections: Option<u32>,
}

impl Store {
    pub async fn open(url: &str, options: OpenOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl(url.to_owned()))?;
        let url = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url);
                if path != ":memory:" && !options.create && !std::path::Path::new(path).exists() {
                    return Err(StoreError::MissingDatabase(path.to_owned()));
                }
                // `mode=rwc` lets SQLite create the file; it is only reached with `create`.
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            Backend::Postgres => url.to_owned(),
        };
        let max = options.max_connections.unwrap_or(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        });
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    for pragma in backend.session_setup() {
                        conn.execute(*pragma).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write for one organization. The first statement bumps the organization's
    /// event counter: it takes the write lock (SQLite) or the row lock (PostgreSQL) before
    /// anything is read, so concurrent writers queue instead of failing, and it hands out
    /// this change's sequence number.
    pub async fn begin_write(&self, org_id: i64) -> Result<WriteTx> {
        let mut tx = self.pool.begin().await?;
        let seq: i64 = sqlx::query("UPDATE organizations SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq")
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("organization"))?
            .try_get(0)?;
        Ok(WriteTx { tx, org_id, seq })
    }

    /// The change record of one organization, newest first.
    pub async fn events(&self, org_id: i64, target: Option<(&str, &str)>, limit: i64) -> Result<Vec<Event>> {
        let rows = match target {
            Some((kind, id)) => {
                sqlx::query(
                    "SELECT * FROM events WHERE org_id = $1 AND target_kind = $2 AND target_id = $3 ORDER BY seq DESC LIMIT $4",
                )
                .bind(org_id)
                .bind(kind)
                .bind(id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT * FROM events WHERE org_id = $1 ORDER BY seq DESC LIMIT $2")
                    .bind(org_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(Event::from_row).collect()
    }

    /// Writes a consistent copy of a SQLite database while it is in use (`VACUUM INTO`).
    pub async fn backup_sqlite_to(&self, path: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid("online backup is for SQLite; use pg_dump for PostgreSQL".into()));
        }
        sqlx::query("VACUUM INTO $1").bind(path.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn event_count(&self, org_id: i64) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM events WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }
}

fn sqlite_path(url: &str) -> &str {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

/// The URL of the SQLite database inside a data directory.
pub fn sqlite_url_in(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("mamori.sqlite").display())
}

/// Who made a change, as the change record names them.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// Login name, or `system` / `cli` for changes made by mamori itself.
    pub label: String,
    /// The role the actor acted in, if one applies.
    pub role: String,
    pub request_id: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self { user_id: None, label: label.to_owned(), role: String::new(), request_id: String::new() }
    }
}

/// What a change was, for the change record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: String,
    pub target_kind: &'static str,
    pub target_id: String,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn new(action: &str, target_kind: &'static str, target_id: impl ToString, payload: serde_json::Value) -> Self {
        Self { action: action.to_owned(), target_kind, target_id: target_id.to_string(), payload }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub id: i64,
    pub org_id: i64,
    pub seq: i64,
    pub at: String,
    pub clock_synced: bool,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub payload: String,
    pub request_id: String,
    pub profile_version_id: Option<i64>,
}

impl Event {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            clock_synced: r.try_get::<i64, _>("clock_synced")? != 0,
            actor_user_id: r.try_get("actor_user_id")?,
            actor: r.try_get("actor")?,
            role: r.try_get("role")?,
            action: r.try_get("action")?,
            target_kind: r.try_get("target_kind")?,
            target_id: r.try_get("target_id")?,
            payload: r.try_get("payload")?,
            request_id: r.try_get("request_id")?,
            profile_version_id: r.try_get("profile_version_id")?,
        })
    }
}

/// A write in progress. Changes are made through [`WriteTx::conn`]; [`WriteTx::commit`]
/// appends the event that describes them and commits both together. Dropping a `WriteTx`
/// without committing rolls everything back.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    pub org_id: i64,
    pub seq: i64,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub async fn commit(mut self, actor: &Actor, event: NewEvent) -> Result<i64> {
        let profile_version_id: Option<i64> =
            sqlx::query("SELECT id FROM profile_versions WHERE org_id = $1 AND is_active = 1")
                .bind(self.org_id)
                .fetch_optional(&mut *self.tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        sqlx::query(
            "INSERT INTO events (org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(self.org_id)
        .bind(self.seq)
        .bind(now_text())
        .bind(i64::from(clock_synced()))
        .bind(actor.user_id)
        .bind(&actor.label)
        .bind(&actor.role)
        .bind(&event.action)
        .bind(event.target_kind)
        .bind(&event.target_id)
        .bind(event.payload.to_string())
        .bind(&actor.request_id)
        .bind(profile_version_id)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(self.seq)
    }
}

/// Whether the system clock is known to be synchronized (対策基準7.1(3)②). Read from the
/// kernel's NTP state where the platform exposes it through `timedatectl`'s files; mamori
/// records the answer with every event rather than guessing.
fn clock_synced() -> bool {
    // systemd-timesyncd and chrony both leave this file when the clock is synchronized.
    std::path::Path::new("/run/systemd/timesync/synchronized").exists()
}

pub(crate) fn flag(r: &AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

impl FromStr for Backend {
    type Err = StoreError;
    fn from_str(url: &str) -> Result<Self> {
        Backend::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl(url.to_owned()))
    }
}
