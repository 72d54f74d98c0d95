//! mamori's storage layer: one API over SQLite (the embedded default) and PostgreSQL.
//!
//! The backend is chosen once, from the database URL's scheme. Queries are built at run
//! time through sqlx's `Any` driver with `$N` placeholders, which both backends accept; the
//! few statements that differ live in [`dialect`]. Every change goes through a [`WriteTx`],
//! which cannot be committed without the change-record event that describes it.

pub mod annual;
pub mod assessment;
pub mod assets;
pub mod audits;
mod dialect;
pub mod drafts;
pub mod incidents;
pub mod keyfile;
pub mod ledger;
pub mod org;
pub mod pg_copy;
pub mod requests;
mod search;
pub mod systems;
#[cfg(feature = "testing")]
pub mod testing;
pub mod training;
pub mod users;
pub mod violations;
mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub use dialect::Backend;
pub use mamori_ledger::LedgerKey;
pub use writer::{origin, Halt};

/// Japan Standard Time, the offset every recorded time carries.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// The current time in JST as stored: RFC 3339 with `+09:00`, to the millisecond.
pub fn now_text() -> String {
    time_text(Utc::now())
}

/// An instant as stored: RFC 3339 in JST to the millisecond, so that stored times compare
/// as text.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&jst()).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

pub fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A value that must be unique is taken; the field, in Japanese.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The thing is not in a state that allows the change; what and why, in Japanese.
    #[error("wrong state: {0}")]
    WrongState(String),
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
    #[error("台帳: {0}")]
    Ledger(String),
    /// The writer found the stored ledger different from what it signed and stopped
    /// writing for the organization (see `writer.rs`); reads go on.
    #[error("台帳の書き込みを停止しています: {0}")]
    LedgerHalted(String),
}

/// A column holding one of a closed set of values (a status, an action), read into its type;
/// a value this build does not know is an error, not a silent default.
pub(crate) fn typed<T: std::str::FromStr<Err = String>>(r: &sqlx::any::AnyRow, column: &str) -> Result<T> {
    use sqlx::Row;
    let raw: String = r.try_get(column)?;
    raw.parse().map_err(|e: String| StoreError::Invalid(format!("{column}: {e}")))
}

impl StoreError {
    /// Maps a unique-constraint violation to `Duplicate`, leaving other errors as they are.
    fn on_unique(self, what: &str) -> Self {
        match &self {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => StoreError::Duplicate(what.to_owned()),
            _ => self,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    writer: Arc<writer::Writer>,
    /// The SQLite database file, which whole-ledger reads open directly (`None` for
    /// PostgreSQL and for an in-memory database).
    sqlite_file: Option<Arc<std::path::PathBuf>>,
    /// The PostgreSQL URL, on which whole-ledger reads open connections of their own
    /// (`None` for SQLite).
    postgres_url: Option<Arc<str>>,
    /// How many whole-ledger verifications read through connections of their own, for
    /// tests that must know the direct read was the one that ran.
    #[cfg(feature = "testing")]
    direct_reads: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// How to open a database.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Create the SQLite file if it does not exist. Without it a missing file is an error,
    /// never a silent new empty database.
    pub create: bool,
    pub max_connections: Option<u32>,
    /// The checkpoint signing key. Reading needs none; every write does (see [`keyfile`]).
    pub ledger_key: Option<Arc<LedgerKey>>,
}

impl Store {
    pub async fn open(url: &str, options: OpenOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl(url.to_owned()))?;
        let sqlite_file = match backend {
            Backend::Sqlite if sqlite_path(url) != ":memory:" && !url.contains("mode=memory") => {
                Some(Arc::new(std::path::PathBuf::from(sqlite_path(url))))
            }
            _ => None,
        };
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
        let postgres_url = (backend == Backend::Postgres).then(|| Arc::from(url.as_str()));
        let max = options.max_connections.unwrap_or(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        });
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            // sqlx pings a connection before lending it out, one round trip to the connection's
            // worker thread per query on SQLite, where a connection to a file cannot be lost
            // as a network one can. PostgreSQL keeps the check.
            .test_before_acquire(backend != Backend::Sqlite)
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
        let writer = Arc::new(writer::Writer::new(pool.clone(), backend, options.ledger_key));
        Ok(Self {
            pool,
            backend,
            writer,
            sqlite_file,
            postgres_url,
            #[cfg(feature = "testing")]
            direct_reads: Arc::default(),
        })
    }

    /// How many whole-ledger verifications of this store read through connections of
    /// their own (the direct reads of `ledger/sqlite_read.rs` and `ledger/pg_read.rs`)
    /// rather than the pool's.
    #[cfg(feature = "testing")]
    pub fn direct_reads(&self) -> u64 {
        self.direct_reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The checkpoint signing key this store writes with, if one was given.
    pub fn ledger_key(&self) -> Option<&LedgerKey> {
        self.writer.key.as_deref()
    }

    /// Why this store refuses to write for `org_id`, if it does (see `writer.rs`).
    pub fn ledger_halt(&self, org_id: i64) -> Option<Halt> {
        self.writer.halt_of(org_id)
    }

    /// Every organization this store refuses to write for.
    pub fn ledger_halts(&self) -> Vec<(i64, Halt)> {
        self.writer.halts()
    }

    /// The halts nobody has been told of yet: each is returned once per process, for the
    /// notifier to mail (it cannot claim them in the database, which refuses its writes).
    pub fn unreported_ledger_halts(&self) -> Vec<(i64, Halt)> {
        self.writer.unreported_halts()
    }

    /// Whether the latest checkpoint was mailed as an anchor on `day` (`YYYY-MM-DD`, JST).
    pub async fn anchor_mailed_on(&self, org_id: i64, day: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM events WHERE org_id = $1 AND action = 'ledger.anchor' AND at >= $2 AND payload LIKE '%\"how\":\"mail\"%'",
        )
        .bind(org_id)
        .bind(format!("{day}T00:00:00"))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The start-up check: for every organization, the stored tree against its latest
    /// signed checkpoint, as the writer checks before each signature. A database from
    /// before the ledger gets its history signed now, recorded as `ledger.adopt`. Returns
    /// the organizations halted.
    pub async fn check_ledger_at_startup(&self) -> Result<Vec<(i64, Halt)>> {
        let mut halted = Vec::new();
        for org in self.organizations().await? {
            if let Some(h) = self.writer.probe(org.id).await? {
                halted.push((org.id, h));
                continue;
            }
            let status = self.ledger_status(org.id).await?;
            let events = self.event_count(org.id).await?;
            if self.ledger_key().is_some() && status.checkpoints == 0 && events > 0 {
                self.record_event(
                    org.id,
                    &Actor::system("system"),
                    NewEvent::new("ledger.adopt", "ledger", org.id, serde_json::json!({"events_before_ledger": events})),
                )
                .await?;
                tracing::warn!(org_id = org.id, events, "signed the change record written before the ledger existed");
            }
        }
        Ok(halted)
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

    /// Starts a write for one organization. Writers that arrive together share one
    /// transaction and one signed checkpoint (see `writer.rs`); each works in its own
    /// savepoint, so one writer's failure undoes only its own changes. The sequence number
    /// is reserved here and is the change's ledger index plus one.
    pub async fn begin_write(&self, org_id: i64) -> Result<WriteTx> {
        // In a task of its own, so that a caller dropped while it waits (a client that went
        // away) cannot leave the batch half-begun: the task finishes, and an unclaimed
        // `WriteTx` rolls itself back.
        let writer = self.writer.clone();
        tokio::spawn(async move {
            let (guard, seq) = writer.begin(org_id).await?;
            Ok(WriteTx { guard: Some(guard), writer, org_id, seq })
        })
        .await
        .map_err(|e| StoreError::Ledger(format!("書き込みを開始できませんでした: {e}")))?
    }

    /// Records an event that comes with no change of its own — a sign-in, an anchor taken, a
    /// decision — without a transaction of its own: it joins the current batch and is
    /// inserted when the batch commits. Returns the sequence number once durable.
    pub async fn record_event(&self, org_id: i64, actor: &Actor, event: NewEvent) -> Result<i64> {
        let (payload, personal) = seal_payload(&event);
        let at = now_text();
        let synced = clock_synced();
        let owned_actor = actor.clone();
        let owned_event = event.clone();
        let writer = self.writer.clone();
        let actor = actor.clone();
        // In a task of its own: once queued, the event is recorded even if the caller goes away.
        tokio::spawn(async move {
            writer
                .record(org_id, &actor, event, move |seq, profile_version_id| writer::Deferred {
                    org_id,
                    seq,
                    at,
                    clock_synced: synced,
                    actor: owned_actor,
                    event: owned_event,
                    payload,
                    profile_version_id,
                    personal,
                })
                .await
        })
        .await
        .map_err(|e| StoreError::Ledger(format!("記録できませんでした: {e}")))?
    }

    /// The change record of one organization, newest first.
    pub async fn events(&self, org_id: i64, target: Option<(&str, &str)>, limit: i64) -> Result<Vec<Event>> {
        let rows = match target {
            Some((kind, id)) => {
                sqlx::query("SELECT * FROM events WHERE org_id = $1 AND target_kind = $2 AND target_id = $3 ORDER BY seq DESC LIMIT $4")
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
        Ok(sqlx::query("SELECT COUNT(*) FROM events WHERE org_id = $1").bind(org_id).fetch_one(&self.pool).await?.try_get(0)?)
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
    /// `ok`, or the outcome a decision records.
    pub result: String,
    /// Personal data to record with the event: `(payload field, value)`. The payload and the
    /// ledger get a salted commitment; the value is kept apart and can be purged.
    pub personal: Vec<(String, String)>,
}

impl NewEvent {
    pub fn new(action: &str, target_kind: &'static str, target_id: impl ToString, payload: serde_json::Value) -> Self {
        Self {
            action: action.to_owned(),
            target_kind,
            target_id: target_id.to_string(),
            payload,
            result: "ok".to_owned(),
            personal: Vec::new(),
        }
    }

    /// Records `value` as personal data under `field` (see [`NewEvent::personal`]).
    pub fn with_personal(mut self, field: &str, value: &str) -> Self {
        self.personal.push((field.to_owned(), value.to_owned()));
        self
    }

    pub fn with_result(mut self, result: &str) -> Self {
        self.result = result.to_owned();
        self
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
    pub result: String,
}

impl Event {
    /// The ledger index of this event.
    pub fn index(&self) -> u64 {
        (self.seq - 1) as u64
    }

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
            result: r.try_get("result")?,
        })
    }
}

/// A write in progress. Changes are made through [`WriteTx::conn`]; [`WriteTx::commit`]
/// appends the event that describes them and returns once the batch that holds both is
/// durable. Dropping a `WriteTx` without committing rolls its changes back.
pub struct WriteTx {
    guard: Option<writer::Guard>,
    writer: Arc<writer::Writer>,
    pub org_id: i64,
    pub seq: i64,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        writer::Writer::conn(self.guard.as_mut().expect("an uncommitted write holds the batch"))
    }

    /// After a change of the active profile: later events cite the new version.
    pub async fn refresh_profile_version(&mut self) -> Result<()> {
        writer::Writer::refresh_profile_version(self.guard.as_mut().expect("held"), self.org_id).await
    }

    /// Records the event and waits until it and the change are durable. Returns the
    /// sequence number (the ledger index plus one).
    pub async fn commit(mut self, actor: &Actor, event: NewEvent) -> Result<i64> {
        // The rest runs in a task of its own, so that a caller dropped mid-commit cannot
        // strand the batch or leave a savepoint half-released.
        let guard = self.guard.take().expect("commit consumes the write");
        let writer = self.writer.clone();
        let (org_id, seq) = (self.org_id, self.seq);
        let actor = actor.clone();
        tokio::spawn(async move { Self::commit_inner(guard, writer, org_id, seq, &actor, event).await })
            .await
            .map_err(|e| StoreError::Ledger(format!("変更を確定できませんでした: {e}")))?
    }

    async fn commit_inner(
        mut guard: writer::Guard,
        writer: Arc<writer::Writer>,
        org_id: i64,
        seq: i64,
        actor: &Actor,
        event: NewEvent,
    ) -> Result<i64> {
        let (payload, personal) = seal_payload(&event);
        let row = writer::EventRow {
            org_id,
            seq,
            at: now_text(),
            clock_synced: clock_synced(),
            actor,
            event: &event,
            payload,
            profile_version_id: writer::Writer::profile_version(&guard, org_id),
        };
        let inserted = async {
            let conn = writer::Writer::conn(&mut guard);
            sqlx::query(
                "INSERT INTO events (org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(row.org_id)
            .bind(row.seq)
            .bind(&row.at)
            .bind(i64::from(row.clock_synced))
            .bind(actor.user_id)
            .bind(&actor.label)
            .bind(&actor.role)
            .bind(&event.action)
            .bind(event.target_kind)
            .bind(&event.target_id)
            .bind(&row.payload)
            .bind(&actor.request_id)
            .bind(row.profile_version_id)
            .bind(&event.result)
            .execute(&mut *conn)
            .await?;
            for (field, salt, value) in &personal {
                sqlx::query("INSERT INTO event_personal (org_id, seq, field, salt, value) VALUES ($1, $2, $3, $4, $5)")
                    .bind(row.org_id)
                    .bind(row.seq)
                    .bind(field.as_str())
                    .bind(salt)
                    .bind(value.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await;
        if let Err(e) = inserted {
            writer.fail(guard).await;
            return Err(e.into());
        }
        let leaf = row.leaf().hash();
        writer.finish(guard, org_id, leaf).await?;
        Ok(seq)
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            // The savepoint is still open; whoever takes the lock next rolls it back. If
            // nobody is queued, a task does, and ends the batch.
            drop(guard);
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(self.writer.clone().settle());
            }
        }
    }
}

/// The payload as stored and committed: each personal-data field replaced by its salted
/// commitment. Returns the payload text and `(field, salt, value)` for `event_personal`.
fn seal_payload(event: &NewEvent) -> (String, Vec<(String, String, String)>) {
    let mut payload = event.payload.clone();
    let mut personal = Vec::with_capacity(event.personal.len());
    for (field, value) in &event.personal {
        let salt = mamori_ledger::new_salt();
        let commitment = mamori_ledger::personal_commitment(&salt, value);
        if let Some(map) = payload.as_object_mut() {
            map.insert(field.clone(), serde_json::json!({ mamori_ledger::PERSONAL_KEY: commitment }));
        }
        personal.push((field.clone(), salt, value.clone()));
    }
    (payload.to_string(), personal)
}

/// Whether the system clock is known to be synchronized (対策基準7.1(3)②). Read from the
/// kernel's NTP state where the platform exposes it through `timedatectl`'s files; mamori
/// records the answer with every event rather than guessing.
fn clock_synced() -> bool {
    // systemd-timesyncd and chrony both leave this file when the clock is synchronized.
    std::path::Path::new("/run/systemd/timesync/synchronized").exists()
}

impl Store {
    /// The row of `select` (whose main table is aliased `alias`) with this organization and
    /// id, mapped; `NotFound(what)` when there is none.
    pub(crate) async fn one_by_id<T>(
        &self,
        select: &str,
        alias: &str,
        org_id: i64,
        id: i64,
        what: &'static str,
        map: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<T> {
        let row = sqlx::query(&format!("{select} WHERE {alias}.org_id = $1 AND {alias}.id = $2"))
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(what))?;
        map(&row)
    }
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
