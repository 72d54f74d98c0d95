//! Group commit: every change, its event and its ledger entry in one durable transaction,
//! shared by the writers that arrive together.
//!
//! One database transaction (the *batch*) is open at a time per store. A writer takes the
//! batch's lock, works inside its own savepoint, inserts its event, releases the savepoint
//! and hands the lock on. The writer that finds nobody else queued — or the batch full —
//! appends the batch's leaves to each organization's Merkle tree, stores the new hashes,
//! signs one checkpoint per organization and commits. Only then does each writer hear its
//! sequence number, so an acknowledged change is a durable one (SQLite `synchronous=FULL`,
//! PostgreSQL `synchronous_commit=on`).
//!
//! A writer that fails rolls back to its savepoint; the others' work stands. A failure of
//! the batch itself (the commit, the ledger) fails every writer in it, and none of their
//! changes is kept.
//!
//! Sequence numbers are handed out in memory while the batch holds the organization's row
//! (`UPDATE … RETURNING` at its first write in the batch takes the row lock on PostgreSQL
//! and the write lock on SQLite), and written back once at the end of the batch.
//!
//! The writer signs only what it wrote. At a batch's first write for an organization —
//! under that row lock, so no honest writer can commit in between — it checks the stored
//! tree against the latest signed checkpoint (see [`Writer::check`]): the checkpoint's
//! signature, no entry, stored hash or counter beyond it, its root equal to the frontier
//! this writer holds for its own appends (or, after another instance's appends, to that
//! frontier extended with the leaves recomputed from their events; or, at start-up, to the
//! stored hashes). Just before signing it checks again that nothing but its own batch was
//! added. On any mismatch the organization is *halted*: every later write is refused with
//! [`StoreError::LedgerHalted`] until the server is restarted, and reads go on.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mamori_ledger::{Frontier, Hash, LedgerKey};
use sqlx::{Executor, Row};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::{Actor, Backend, NewEvent, Result, StoreError};

/// Why the writer stopped writing for an organization, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halt {
    pub reason: String,
    pub at: String,
}

/// What a check found: a halt, or a database error that ends the batch.
enum CheckFailure {
    Halt(String),
    Db(StoreError),
}

impl From<sqlx::Error> for CheckFailure {
    fn from(e: sqlx::Error) -> Self {
        CheckFailure::Db(e.into())
    }
}

impl From<StoreError> for CheckFailure {
    fn from(e: StoreError) -> Self {
        CheckFailure::Db(e)
    }
}

/// The most writers one batch takes before it commits regardless.
const MAX_BATCH: usize = 1000;

pub(crate) struct Writer {
    batch: Arc<Mutex<Batch>>,
    waiting: AtomicUsize,
    pub(crate) key: Option<Arc<LedgerKey>>,
    pool: sqlx::AnyPool,
    backend: Backend,
    /// Organizations this writer refuses to write for, and why.
    halted: std::sync::Mutex<HashMap<i64, Halt>>,
    /// The latest checkpoint text this writer signed or checked, per organization: when the
    /// stored latest checkpoint is that text, its signature need not be checked again.
    known_notes: std::sync::Mutex<HashMap<i64, String>>,
    /// Halts already reported by mail (see [`Writer::unreported_halts`]).
    reported: std::sync::Mutex<std::collections::HashSet<i64>>,
}

#[derive(Default)]
pub(crate) struct Batch {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    orgs: BTreeMap<i64, OrgBatch>,
    waiters: Vec<oneshot::Sender<std::result::Result<(), String>>>,
    /// A writer left its savepoint open (it was dropped without committing); the next
    /// holder of the lock rolls it back and returns its sequence number.
    open_savepoint: Option<OpenSavepoint>,
    /// Each organization's tree edge as of the last commit, so a batch reads nothing to
    /// append. Checked against `organizations.ledger_size` at every batch's first write.
    frontiers: HashMap<i64, Frontier>,
    /// Events recorded without a change of their own ([`Writer::record`]): inserted with
    /// the batch, in multi-row statements, when it commits.
    deferred: Vec<Deferred>,
}

/// One writer's savepoint: its name is unique in the batch, and rolling it back gives back
/// the sequence number and the profile version the writer may have changed.
#[derive(Debug, Clone)]
struct OpenSavepoint {
    org_id: i64,
    seq: i64,
    profile_version_id: Option<i64>,
}

impl OpenSavepoint {
    fn name(&self) -> String {
        format!("mamori_w{}_{}", self.org_id, self.seq)
    }
}

/// Counts a writer as queued until it holds the lock, also when its future is dropped
/// while it waits.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Rolls one writer's savepoint back and undoes what the batch remembered of it.
async fn undo(g: &mut Guard, sp: &OpenSavepoint) -> std::result::Result<(), sqlx::Error> {
    let name = sp.name();
    let tx = g.tx.as_mut().expect("a savepoint lives in a transaction");
    tx.execute(format!("ROLLBACK TO SAVEPOINT {name}").as_str()).await?;
    tx.execute(format!("RELEASE SAVEPOINT {name}").as_str()).await?;
    if let Some(org) = g.orgs.get_mut(&sp.org_id) {
        org.next_seq -= 1;
        org.profile_version_id = sp.profile_version_id;
    }
    Ok(())
}

/// An event waiting for its batch's commit, with its personal-data rows.
pub(crate) struct Deferred {
    pub org_id: i64,
    pub seq: i64,
    pub at: String,
    pub clock_synced: bool,
    pub actor: Actor,
    pub event: NewEvent,
    pub payload: String,
    pub profile_version_id: Option<i64>,
    pub personal: Vec<(String, String, String)>,
}

struct OrgBatch {
    code: String,
    /// `event_seq` when the batch first touched the organization.
    base_seq: i64,
    /// The last sequence number handed out.
    next_seq: i64,
    ledger_size: u64,
    profile_version_id: Option<i64>,
    /// Leaf hashes of this batch's events, in sequence order from `base_seq + 1`.
    leaves: Vec<Hash>,
}

/// What a write inserts as its event, with everything the leaf needs.
pub(crate) struct EventRow<'a> {
    pub org_id: i64,
    pub seq: i64,
    pub at: String,
    pub clock_synced: bool,
    pub actor: &'a Actor,
    pub event: &'a NewEvent,
    pub payload: String,
    pub profile_version_id: Option<i64>,
}

impl EventRow<'_> {
    pub(crate) fn leaf(&self) -> mamori_ledger::Leaf {
        mamori_ledger::Leaf {
            action: self.event.action.clone(),
            actor: self.actor.label.clone(),
            actor_user_id: self.actor.user_id,
            at: self.at.clone(),
            clock_synced: self.clock_synced,
            org_id: self.org_id,
            payload_sha256: mamori_ledger::sha256_hex(self.payload.as_bytes()),
            profile_version_id: self.profile_version_id,
            request_id: self.actor.request_id.clone(),
            result: self.event.result.clone(),
            role: self.actor.role.clone(),
            seq: self.seq as u64,
            target_id: self.event.target_id.clone(),
            target_kind: self.event.target_kind.to_owned(),
            v: mamori_ledger::leaf::LEAF_VERSION,
        }
    }
}

pub(crate) type Guard = OwnedMutexGuard<Batch>;

impl Writer {
    pub(crate) fn new(pool: sqlx::AnyPool, backend: Backend, key: Option<Arc<LedgerKey>>) -> Self {
        Self {
            batch: Arc::new(Mutex::new(Batch::default())),
            waiting: AtomicUsize::new(0),
            key,
            pool,
            backend,
            halted: std::sync::Mutex::default(),
            known_notes: std::sync::Mutex::default(),
            reported: std::sync::Mutex::default(),
        }
    }

    /// The halts not yet handed out by this call, each handed out once per process.
    pub(crate) fn unreported_halts(&self) -> Vec<(i64, Halt)> {
        let Ok(mut reported) = self.reported.lock() else { return Vec::new() };
        self.halts().into_iter().filter(|(org, _)| reported.insert(*org)).collect()
    }

    /// Why writes for `org_id` are refused, if they are.
    pub(crate) fn halt_of(&self, org_id: i64) -> Option<Halt> {
        self.halted.lock().ok().and_then(|h| h.get(&org_id).cloned())
    }

    pub(crate) fn halts(&self) -> Vec<(i64, Halt)> {
        self.halted.lock().map(|h| h.iter().map(|(k, v)| (*k, v.clone())).collect()).unwrap_or_default()
    }

    fn halt(&self, org_id: i64, reason: String) -> StoreError {
        tracing::error!(org_id, reason = %reason, "ledger halted: writes for this organization are refused until restart");
        if let Ok(mut h) = self.halted.lock() {
            h.entry(org_id).or_insert_with(|| Halt { reason: reason.clone(), at: crate::now_text() });
        }
        StoreError::LedgerHalted(reason)
    }

    /// Takes the lock and runs the start-up check for `org_id` (a batch that writes nothing
    /// is rolled back). Returns the halt, if the check made one.
    pub(crate) async fn probe(&self, org_id: i64) -> Result<Option<Halt>> {
        match self.acquire_org(org_id).await {
            Ok(g) => {
                self.release(g).await;
                Ok(None)
            }
            Err(StoreError::LedgerHalted(_)) => Ok(self.halt_of(org_id)),
            Err(e) => Err(e),
        }
    }

    /// Takes the batch lock, tidies after a writer that left without committing, and
    /// opens the batch transaction if none is open.
    async fn acquire(&self) -> Result<Guard> {
        let queued = Queued::new(&self.waiting);
        let mut g = self.batch.clone().lock_owned().await;
        drop(queued);
        if let Some(sp) = g.open_savepoint.take() {
            if let Err(e) = undo(&mut g, &sp).await {
                abort(&mut g, &e.to_string()).await;
                return Err(e.into());
            }
        }
        if g.tx.is_none() {
            g.tx = Some(self.pool.begin().await?);
        }
        Ok(g)
    }

    /// Starts one writer's part of the batch: the organization's row is held, a savepoint
    /// is open and a sequence number reserved.
    /// Takes the lock with the organization's row held in the batch.
    async fn acquire_org(&self, org_id: i64) -> Result<Guard> {
        if let Some(h) = self.halt_of(org_id) {
            return Err(StoreError::LedgerHalted(h.reason));
        }
        let mut g = self.acquire().await?;
        if !g.orgs.contains_key(&org_id) {
            match touch(g.tx.as_mut().expect("open"), org_id).await {
                Ok(Some(org)) => {
                    let cached = g.frontiers.get(&org_id).cloned();
                    match self.check(g.tx.as_mut().expect("open"), org_id, &org, cached.as_ref()).await {
                        Ok(Some(trusted)) => {
                            g.frontiers.insert(org_id, trusted);
                        }
                        Ok(None) => {}
                        Err(CheckFailure::Halt(reason)) => {
                            g.frontiers.remove(&org_id);
                            let e = self.halt(org_id, reason);
                            self.release(g).await;
                            return Err(e);
                        }
                        Err(CheckFailure::Db(e)) => {
                            abort(&mut g, &e.to_string()).await;
                            return Err(e);
                        }
                    }
                    g.orgs.insert(org_id, org);
                }
                Ok(None) => {
                    self.release(g).await;
                    return Err(StoreError::NotFound("organization"));
                }
                Err(e) => {
                    abort(&mut g, &e.to_string()).await;
                    return Err(e.into());
                }
            }
        }
        Ok(g)
    }

    /// Records an event that comes with no change of its own (a sign-in, an anchor, a
    /// decision): no savepoint and no statement of its own; the batch inserts it when it
    /// commits. The event is checked here against the table's constraints, so it cannot
    /// fail the batch. Returns the sequence number once durable.
    pub(crate) async fn record(
        &self,
        org_id: i64,
        actor: &Actor,
        event: NewEvent,
        make: impl FnOnce(i64, Option<i64>) -> Deferred,
    ) -> Result<i64> {
        if event.action.is_empty() {
            return Err(StoreError::Invalid("an event needs an action".into()));
        }
        let mut g = self.acquire_org(org_id).await?;
        let org = g.orgs.get_mut(&org_id).expect("touched");
        org.next_seq += 1;
        let seq = org.next_seq;
        let deferred = make(seq, org.profile_version_id);
        let leaf = crate::writer::EventRow {
            org_id,
            seq,
            at: deferred.at.clone(),
            clock_synced: deferred.clock_synced,
            actor,
            event: &event,
            payload: deferred.payload.clone(),
            profile_version_id: deferred.profile_version_id,
        }
        .leaf()
        .hash();
        org.leaves.push(leaf);
        g.deferred.push(deferred);
        self.wait_durable(g).await?;
        Ok(seq)
    }

    pub(crate) async fn begin(&self, org_id: i64) -> Result<(Guard, i64)> {
        let mut g = self.acquire_org(org_id).await?;
        let org = g.orgs.get(&org_id).expect("touched above");
        let sp = OpenSavepoint { org_id, seq: org.next_seq + 1, profile_version_id: org.profile_version_id };
        if let Err(e) = g.tx.as_mut().expect("open").execute(format!("SAVEPOINT {}", sp.name()).as_str()).await {
            abort(&mut g, &e.to_string()).await;
            return Err(e.into());
        }
        g.orgs.get_mut(&org_id).expect("touched above").next_seq += 1;
        let seq = sp.seq;
        g.open_savepoint = Some(sp);
        Ok((g, seq))
    }

    /// The active profile version as the batch knows it.
    pub(crate) fn profile_version(g: &Guard, org_id: i64) -> Option<i64> {
        g.orgs.get(&org_id).and_then(|o| o.profile_version_id)
    }

    /// Re-reads the active profile version after a write that changed it.
    pub(crate) async fn refresh_profile_version(g: &mut Guard, org_id: i64) -> Result<()> {
        let v = active_profile_version(g.tx.as_mut().expect("open"), org_id).await?;
        if let Some(org) = g.orgs.get_mut(&org_id) {
            org.profile_version_id = v;
        }
        Ok(())
    }

    pub(crate) fn conn(g: &mut Guard) -> &mut sqlx::AnyConnection {
        g.tx.as_mut().expect("a writer holds an open batch")
    }

    /// Ends one writer's part: its savepoint is released and its leaf queued. Returns the
    /// receiver that says when the batch is durable.
    pub(crate) async fn finish(&self, mut g: Guard, org_id: i64, leaf: Hash) -> Result<()> {
        let name = g.open_savepoint.as_ref().expect("a writer's savepoint is open").name();
        if let Err(e) = Self::conn(&mut g).execute(format!("RELEASE SAVEPOINT {name}").as_str()).await {
            abort(&mut g, &e.to_string()).await;
            return Err(e.into());
        }
        g.open_savepoint = None;
        g.orgs.get_mut(&org_id).expect("touched at begin").leaves.push(leaf);
        self.wait_durable(g).await
    }

    /// Joins the batch's waiters, commits the batch if nobody else is queued (or it is full),
    /// and waits until it is durable.
    async fn wait_durable(&self, mut g: Guard) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        g.waiters.push(tx);
        if self.waiting.load(Ordering::SeqCst) == 0 || g.waiters.len() >= MAX_BATCH {
            self.commit_batch(&mut g).await;
        }
        drop(g);
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StoreError::Ledger(message)),
            Err(_) => Err(StoreError::Ledger("書き込みの確定を待つ間に停止しました".into())),
        }
    }

    /// Undoes one writer's part after it failed, keeping the rest of the batch.
    pub(crate) async fn fail(&self, mut g: Guard) {
        if let Some(sp) = g.open_savepoint.take() {
            if let Err(e) = undo(&mut g, &sp).await {
                abort(&mut g, &e.to_string()).await;
            }
        }
        self.release(g).await;
    }

    /// Hands the lock on; if nobody is queued, ends the batch so it never waits for a
    /// writer that is not coming (and SQLite's write lock is not held idle).
    pub(crate) async fn release(&self, mut g: Guard) {
        if self.waiting.load(Ordering::SeqCst) == 0 && g.open_savepoint.is_none() {
            self.commit_batch(&mut g).await;
        }
    }

    /// After a writer was dropped without committing: tidy and end the batch if idle.
    pub(crate) async fn settle(self: Arc<Self>) {
        if let Ok(g) = self.acquire().await {
            self.release(g).await;
        }
    }

    /// Appends the batch's leaves, signs a checkpoint per organization, commits, and tells
    /// every waiting writer.
    async fn commit_batch(&self, g: &mut Guard) {
        let Some(mut tx) = g.tx.take() else { return };
        let orgs = std::mem::take(&mut g.orgs);
        let waiters = std::mem::take(&mut g.waiters);
        let deferred = std::mem::take(&mut g.deferred);
        if waiters.is_empty() {
            // Nothing was written (every writer failed): end the transaction.
            let _ = tx.rollback().await;
            return;
        }
        let cache: HashMap<i64, Frontier> = orgs.keys().filter_map(|k| g.frontiers.get(k).map(|f| (*k, f.clone()))).collect();
        let outcome = async {
            insert_deferred(&mut tx, self.backend, &deferred).await?;
            let mut new_frontiers = Vec::new();
            for (org_id, org) in &orgs {
                let frontier = append(&mut tx, self, cache.get(org_id), *org_id, org).await?;
                new_frontiers.push((*org_id, frontier));
            }
            tx.commit().await?;
            Ok::<_, StoreError>(new_frontiers)
        }
        .await;
        match outcome {
            Ok(frontiers) => {
                for (org_id, f) in frontiers {
                    g.frontiers.insert(org_id, f);
                }
                for w in waiters {
                    let _ = w.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "ledger batch failed; its writes were rolled back");
                for org_id in orgs.keys() {
                    g.frontiers.remove(org_id);
                }
                for w in waiters {
                    let _ = w.send(Err(format!("変更を確定できませんでした: {e}")));
                }
            }
        }
    }
}

/// Fails the whole batch after an error that left its transaction unusable.
async fn abort(g: &mut Guard, message: &str) {
    if let Some(tx) = g.tx.take() {
        let _ = tx.rollback().await;
    }
    let orgs = std::mem::take(&mut g.orgs);
    for org_id in orgs.keys() {
        g.frontiers.remove(org_id);
    }
    g.open_savepoint = None;
    g.deferred.clear();
    for w in std::mem::take(&mut g.waiters) {
        let _ = w.send(Err(format!("変更を確定できませんでした: {message}")));
    }
}

async fn touch(conn: &mut sqlx::AnyConnection, org_id: i64) -> std::result::Result<Option<OrgBatch>, sqlx::Error> {
    let Some(row) = sqlx::query("UPDATE organizations SET event_seq = event_seq WHERE id = $1 RETURNING code, event_seq, ledger_size")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let seq: i64 = row.try_get("event_seq")?;
    let size: i64 = row.try_get("ledger_size")?;
    Ok(Some(OrgBatch {
        code: row.try_get("code")?,
        base_seq: seq,
        next_seq: seq,
        ledger_size: size as u64,
        profile_version_id: active_profile_version(conn, org_id).await?,
        leaves: Vec::new(),
    }))
}

pub(crate) async fn active_profile_version(conn: &mut sqlx::AnyConnection, org_id: i64) -> std::result::Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT id FROM profile_versions WHERE org_id = $1 AND is_active = 1")
        .bind(org_id)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// The origin line of an organization's checkpoints.
pub fn origin(key: &LedgerKey, org_code: &str) -> String {
    format!("{}/{}", key.name(), org_code)
}

impl Writer {
    /// Checks the stored tree of `org_id` against its latest signed checkpoint, `org`
    /// being what the batch just read of the organization's row and `cached` the frontier
    /// this writer holds from its own last commit. Returns the frontier to append to
    /// (`None` without a key: such a store cannot write anyway).
    async fn check(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: i64,
        org: &OrgBatch,
        cached: Option<&Frontier>,
    ) -> std::result::Result<Option<Frontier>, CheckFailure> {
        let Some(key) = self.key.as_ref() else { return Ok(None) };
        // One round trip: the latest checkpoint (sizes are unique per organization), and the
        // largest event number and stored-hash index, which the unique keys answer from the
        // end of their index; counting the rows beyond a size may scan them when PostgreSQL
        // plans the prepared statement generically.
        let latest = sqlx::query(
            "SELECT c.id, c.size, c.root, c.note,
                    (SELECT MAX(e.seq) FROM events e WHERE e.org_id = $1) AS max_seq,
                    (SELECT MAX(h.idx) FROM ledger_hashes h WHERE h.org_id = $1) AS max_idx
             FROM ledger_checkpoints c WHERE c.org_id = $1 ORDER BY c.size DESC LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(latest) = latest else {
            // No checkpoint at all: a database from before the ledger (its events are signed
            // at the first write, ARCHITECTURE "Decisions"), unless anything shows a ledger
            // was kept and its checkpoints removed.
            let hashes: i64 =
                sqlx::query("SELECT COUNT(*) FROM ledger_hashes WHERE org_id = $1").bind(org_id).fetch_one(&mut *conn).await?.try_get(0)?;
            if org.ledger_size != 0 || hashes != 0 || cached.is_some_and(|f| f.size() > 0) {
                return Err(CheckFailure::Halt(format!(
                    "署名付きチェックポイントが1件もないのに、台帳の件数 {} と保存ハッシュ {hashes} 件があります（チェックポイントが削除されています）",
                    org.ledger_size.max(cached.map_or(0, Frontier::size))
                )));
            }
            return Ok(Some(Frontier::new()));
        };
        let id: i64 = latest.try_get("id")?;
        let size = latest.try_get::<i64, _>("size")?.max(0) as u64;
        let note: String = latest.try_get("note")?;
        let label = format!("チェックポイント #{id}（件数 {size}）");
        let known = self.known_notes.lock().ok().and_then(|k| k.get(&org_id).cloned()).is_some_and(|k| k == note);
        let root = if known {
            to_hash(latest.try_get("root")?)?
        } else {
            let chain = crate::ledger::key_chain(conn, org_id, key.verifying_key(), &origin(key, &org.code))
                .await?
                .map_err(|e| CheckFailure::Halt(format!("鍵の引き継ぎを確認できません: {e}")))?;
            if chain.current().text() != key.verifying_key().text() {
                return Err(CheckFailure::Halt(format!(
                    "このサーバーの署名鍵 {} は台帳の最新の鍵 {} ではありません（引き継ぎ済みの古い鍵です）",
                    key.verifying_key().text(),
                    chain.current().text()
                )));
            }
            let opened = chain
                .open(&note, Some(&origin(key, &org.code)))
                .map_err(|e| CheckFailure::Halt(format!("最新の{label}を検証できません: {e}")))?;
            let column_root: Vec<u8> = latest.try_get("root")?;
            if opened.size != size || opened.root.0.as_slice() != column_root.as_slice() {
                return Err(CheckFailure::Halt(format!("{label}の件数またはルートの列が署名と一致しません")));
            }
            opened.root
        };
        let stored = org.ledger_size.max(org.base_seq.max(0) as u64);
        if stored > size {
            return Err(CheckFailure::Halt(format!(
                "署名されていない記録 index {size}–{}（台帳の件数 {stored} に対し、最新の署名付きチェックポイントは件数 {size}）",
                stored - 1
            )));
        }
        if org.ledger_size < size || (org.base_seq.max(0) as u64) < size {
            return Err(CheckFailure::Halt(format!(
                "台帳の件数 {} が最新の署名付きチェックポイントの件数 {size} より小さくなっています（記録が削除されています）",
                org.ledger_size.min(org.base_seq.max(0) as u64)
            )));
        }
        let max_seq: Option<i64> = latest.try_get("max_seq")?;
        let max_idx: Option<i64> = latest.try_get("max_idx")?;
        let (last_event, last_hash) = (max_seq.unwrap_or(0).max(0) as u64, max_idx.map_or(0, |i| i.max(0) as u64 + 1));
        if last_event > size || last_hash > stored_hash_count(size) {
            return Err(CheckFailure::Halt(format!(
                "最新の署名付きチェックポイント（件数 {size}）より後に、署名されていない記録（最大の番号 {last_event}）か保存ハッシュ（{last_hash} 件）があります"
            )));
        }
        let trusted = match cached {
            Some(f) if f.size() == size => {
                if f.root() != root {
                    return Err(CheckFailure::Halt(format!(
                        "{label}のルートが、このサーバーが書き込んで署名した木と一致しません（チェックポイントが差し替えられています）"
                    )));
                }
                f.clone()
            }
            Some(f) if f.size() > size => {
                return Err(CheckFailure::Halt(format!(
                    "このサーバーは件数 {} まで署名しましたが、最新の署名付きチェックポイントは件数 {size} です（チェックポイントと記録が巻き戻されています）",
                    f.size()
                )));
            }
            Some(f) => {
                // Another instance appended since this writer's last commit: recompute its
                // leaves from their events onto the frontier this writer holds.
                let mut extended = f.clone();
                let mut sink = Vec::new();
                for r in crate::ledger::event_rows(conn, org_id, f.size() as i64, size as i64).await? {
                    extended.append(r.leaf()?.hash(), &mut sink);
                    sink.clear();
                }
                if extended.size() != size || extended.root() != root {
                    return Err(CheckFailure::Halt(format!(
                        "件数 {} から {size} までの記録を計算し直したルートが{label}と一致しません（記録が改変されています）",
                        f.size()
                    )));
                }
                extended
            }
            None => {
                let loaded = load_frontier(conn, org_id, size).await?;
                if loaded.root() != root {
                    return Err(CheckFailure::Halt(format!(
                        "保存ハッシュから計算したルートが{label}と一致しません（保存ハッシュが改変されています）"
                    )));
                }
                loaded
            }
        };
        if let Ok(mut k) = self.known_notes.lock() {
            k.insert(org_id, note);
        }
        Ok(Some(trusted))
    }

    /// Just before signing: nothing but this batch was added since [`Writer::check`], and
    /// the latest checkpoint is still the one checked.
    async fn recheck(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: i64,
        org: &OrgBatch,
        from: u64,
    ) -> std::result::Result<(), CheckFailure> {
        // Event numbers are unique per organization, so with this batch's events in place the
        // largest number is this batch's last unless someone else added one beyond it.
        let r = sqlx::query(
            "SELECT (SELECT MAX(seq) FROM events WHERE org_id = $1) AS max_seq, (SELECT MAX(size) FROM ledger_checkpoints WHERE org_id = $1) AS latest",
        )
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?;
        let (max_seq, latest): (Option<i64>, Option<i64>) = (r.try_get("max_seq")?, r.try_get("latest")?);
        let (max_seq, latest) = (max_seq.unwrap_or(0), latest.unwrap_or(0));
        if max_seq != org.next_seq || latest.max(0) as u64 != from {
            return Err(CheckFailure::Halt(format!(
                "署名の直前に、このサーバーが書いていない記録が見つかりました（最大の番号 {max_seq}、この書き込みの最後は {}。最新のチェックポイントは件数 {latest}、確認したときは {from}）",
                org.next_seq
            )));
        }
        Ok(())
    }
}

/// How many stored hashes a tree of `n` leaves has (tlog's `StoredHashCount`).
pub(crate) fn stored_hash_count(n: u64) -> u64 {
    let Some(last) = n.checked_sub(1) else { return 0 };
    let mut index = 0;
    let mut m = last;
    while m > 0 {
        index += m;
        m >>= 1;
    }
    index + 1 + u64::from(last.trailing_ones())
}

/// Appends one organization's batch to its tree inside the batch transaction.
async fn append(tx: &mut sqlx::AnyConnection, writer: &Writer, cached: Option<&Frontier>, org_id: i64, org: &OrgBatch) -> Result<Frontier> {
    let key = writer.key.as_ref().ok_or_else(|| StoreError::Ledger("台帳の署名鍵が読み込まれていません".into()))?;
    let mut frontier = match cached {
        Some(f) if f.size() == org.ledger_size => f.clone(),
        _ => load_frontier(tx, org_id, org.ledger_size).await?,
    };
    let checked_size = frontier.size();
    let mut stored: Vec<(u64, Hash)> = Vec::with_capacity(org.leaves.len() * 2 + 8);
    // A database written before the ledger existed: its earlier events become leaves first.
    if (frontier.size() as i64) < org.base_seq {
        let rows = crate::ledger::event_rows(tx, org_id, frontier.size() as i64, org.base_seq).await?;
        for r in rows {
            frontier.append(r.leaf()?.hash(), &mut stored);
        }
        if frontier.size() as i64 != org.base_seq {
            return Err(StoreError::Ledger(format!(
                "変更記録に欠番があります（{} 件目まで記録があるはずが {} 件）",
                org.base_seq,
                frontier.size()
            )));
        }
    }
    if org.leaves.is_empty() && stored.is_empty() {
        // Every writer of this organization in the batch failed: nothing to sign.
        return Ok(frontier);
    }
    for leaf in &org.leaves {
        frontier.append(*leaf, &mut stored);
    }
    writer.recheck(tx, org_id, org, checked_size).await.map_err(|f| match f {
        CheckFailure::Halt(reason) => writer.halt(org_id, reason),
        CheckFailure::Db(e) => e,
    })?;
    insert_hashes(tx, writer.backend, org_id, &stored).await?;
    let checkpoint = key.sign(&origin(key, &org.code), frontier.size(), frontier.root());
    sqlx::query("INSERT INTO ledger_checkpoints (org_id, size, root, note, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(org_id)
        .bind(frontier.size() as i64)
        .bind(frontier.root().0.to_vec())
        .bind(&checkpoint.text)
        .bind(crate::now_text())
        .execute(&mut *tx)
        .await?;
    // Remembered before the commit is known to succeed; a failed batch's note is never the
    // stored latest, so it never matches and the next check opens the real one.
    if let Ok(mut k) = writer.known_notes.lock() {
        k.insert(org_id, checkpoint.text.clone());
    }
    sqlx::query("UPDATE organizations SET event_seq = $1, ledger_size = $2 WHERE id = $3")
        .bind(org.next_seq)
        .bind(frontier.size() as i64)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    Ok(frontier)
}

pub(crate) async fn load_frontier(conn: &mut sqlx::AnyConnection, org_id: i64, size: u64) -> Result<Frontier> {
    let indexes = Frontier::indexes(size);
    let hashes = read_hashes(conn, org_id, &indexes).await?;
    Frontier::from_hashes(size, &hashes).map_err(|e| StoreError::Ledger(e.to_string()))
}

/// Reads stored hashes by index, in the order asked.
pub(crate) async fn read_hashes(conn: &mut sqlx::AnyConnection, org_id: i64, indexes: &[u64]) -> Result<Vec<Hash>> {
    let mut found: HashMap<u64, Hash> = HashMap::with_capacity(indexes.len());
    for chunk in indexes.chunks(500) {
        let list = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT idx, hash FROM ledger_hashes WHERE org_id = $1 AND idx IN ({list})");
        let mut q = sqlx::query(&sql).bind(org_id);
        for i in chunk {
            q = q.bind(*i as i64);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let idx: i64 = row.try_get(0)?;
            found.insert(idx as u64, to_hash(row.try_get(1)?)?);
        }
    }
    indexes.iter().map(|i| found.get(i).copied().ok_or_else(|| StoreError::Ledger(format!("保存ハッシュ {i} がありません")))).collect()
}

pub(crate) fn to_hash(bytes: Vec<u8>) -> Result<Hash> {
    <[u8; 32]>::try_from(bytes).map(Hash).map_err(|_| StoreError::Ledger("保存ハッシュが32バイトではありません".into()))
}

async fn insert_hashes(conn: &mut sqlx::AnyConnection, backend: Backend, org_id: i64, stored: &[(u64, Hash)]) -> Result<()> {
    for chunk in stored.chunks(backend.rows_per_insert(2)) {
        let values = (0..chunk.len()).map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3)).collect::<Vec<_>>().join(", ");
        let sql = format!("INSERT INTO ledger_hashes (org_id, idx, hash) VALUES {values}");
        let mut q = sqlx::query(&sql).bind(org_id);
        for (idx, hash) in chunk {
            q = q.bind(*idx as i64).bind(hash.0.to_vec());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts the batch's deferred events and their personal-data rows, many per statement.
async fn insert_deferred(conn: &mut sqlx::AnyConnection, backend: Backend, deferred: &[Deferred]) -> Result<()> {
    const COLUMNS: usize = 14;
    for chunk in deferred.chunks(backend.rows_per_insert(COLUMNS)) {
        let values = (0..chunk.len())
            .map(|r| format!("({})", (1..=COLUMNS).map(|c| format!("${}", r * COLUMNS + c)).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO events (org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(d.org_id)
                .bind(d.seq)
                .bind(d.at.as_str())
                .bind(i64::from(d.clock_synced))
                .bind(d.actor.user_id)
                .bind(d.actor.label.as_str())
                .bind(d.actor.role.as_str())
                .bind(d.event.action.as_str())
                .bind(d.event.target_kind)
                .bind(d.event.target_id.as_str())
                .bind(d.payload.as_str())
                .bind(d.actor.request_id.as_str())
                .bind(d.profile_version_id)
                .bind(d.event.result.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    for d in deferred {
        for (field, salt, value) in &d.personal {
            sqlx::query("INSERT INTO event_personal (org_id, seq, field, salt, value) VALUES ($1, $2, $3, $4, $5)")
                .bind(d.org_id)
                .bind(d.seq)
                .bind(field.as_str())
                .bind(salt.as_str())
                .bind(value.as_str())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
