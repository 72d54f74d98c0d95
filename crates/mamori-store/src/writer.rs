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

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mamori_ledger::{Frontier, Hash, LedgerKey};
use sqlx::{Executor, Row};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::{Actor, Backend, NewEvent, Result, StoreError};

/// The most writers one batch takes before it commits regardless.
const MAX_BATCH: usize = 1000;

pub(crate) struct Writer {
    batch: Arc<Mutex<Batch>>,
    waiting: AtomicUsize,
    pub(crate) key: Option<Arc<LedgerKey>>,
    pool: sqlx::AnyPool,
    backend: Backend,
}

#[derive(Default)]
pub(crate) struct Batch {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    orgs: BTreeMap<i64, OrgBatch>,
    waiters: Vec<oneshot::Sender<std::result::Result<(), String>>>,
    /// A writer left its savepoint open (it was dropped without committing); the next
    /// holder of the lock rolls it back and returns its sequence number.
    open_savepoint: Option<i64>,
    /// Each organization's tree edge as of the last commit, so a batch reads nothing to
    /// append. Checked against `organizations.ledger_size` at every batch's first write.
    frontiers: HashMap<i64, Frontier>,
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
        Self { batch: Arc::new(Mutex::new(Batch::default())), waiting: AtomicUsize::new(0), key, pool, backend }
    }

    /// Takes the batch lock, tidies after a writer that left without committing, and
    /// opens the batch transaction if none is open.
    async fn acquire(&self) -> Result<Guard> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut g = self.batch.clone().lock_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if let Some(org_id) = g.open_savepoint.take() {
            let undo = async {
                let tx = g.tx.as_mut().expect("a savepoint lives in a transaction");
                tx.execute("ROLLBACK TO SAVEPOINT mamori_write").await?;
                tx.execute("RELEASE SAVEPOINT mamori_write").await?;
                Ok::<_, sqlx::Error>(())
            };
            if let Err(e) = undo.await {
                abort(&mut g, &e.to_string()).await;
                return Err(e.into());
            }
            if let Some(org) = g.orgs.get_mut(&org_id) {
                org.next_seq -= 1;
            }
        }
        if g.tx.is_none() {
            g.tx = Some(self.pool.begin().await?);
        }
        Ok(g)
    }

    /// Starts one writer's part of the batch: the organization's row is held, a savepoint
    /// is open and a sequence number reserved.
    pub(crate) async fn begin(&self, org_id: i64) -> Result<(Guard, i64)> {
        let mut g = self.acquire().await?;
        if !g.orgs.contains_key(&org_id) {
            match touch(g.tx.as_mut().expect("open"), org_id).await {
                Ok(Some(org)) => {
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
        if let Err(e) = g.tx.as_mut().expect("open").execute("SAVEPOINT mamori_write").await {
            abort(&mut g, &e.to_string()).await;
            return Err(e.into());
        }
        let org = g.orgs.get_mut(&org_id).expect("touched above");
        org.next_seq += 1;
        let seq = org.next_seq;
        g.open_savepoint = Some(org_id);
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
        if let Err(e) = Self::conn(&mut g).execute("RELEASE SAVEPOINT mamori_write").await {
            abort(&mut g, &e.to_string()).await;
            return Err(e.into());
        }
        g.open_savepoint = None;
        g.orgs.get_mut(&org_id).expect("touched at begin").leaves.push(leaf);
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
        let undo = async {
            let conn = Self::conn(&mut g);
            conn.execute("ROLLBACK TO SAVEPOINT mamori_write").await?;
            conn.execute("RELEASE SAVEPOINT mamori_write").await?;
            Ok::<_, sqlx::Error>(())
        };
        match undo.await {
            Ok(()) => {
                if let Some(org_id) = g.open_savepoint.take() {
                    if let Some(org) = g.orgs.get_mut(&org_id) {
                        org.next_seq -= 1;
                    }
                }
            }
            Err(e) => abort(&mut g, &e.to_string()).await,
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
        if waiters.is_empty() {
            // Nothing was written (every writer failed): end the transaction.
            let _ = tx.rollback().await;
            return;
        }
        let cache: HashMap<i64, Frontier> = orgs.keys().filter_map(|k| g.frontiers.get(k).map(|f| (*k, f.clone()))).collect();
        let outcome = async {
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

/// Appends one organization's batch to its tree inside the batch transaction.
async fn append(
    tx: &mut sqlx::AnyConnection,
    writer: &Writer,
    cached: Option<&Frontier>,
    org_id: i64,
    org: &OrgBatch,
) -> Result<Frontier> {
    let key = writer.key.as_ref().ok_or_else(|| StoreError::Ledger("台帳の署名鍵が読み込まれていません".into()))?;
    let mut frontier = match cached {
        Some(f) if f.size() == org.ledger_size => f.clone(),
        _ => load_frontier(tx, org_id, org.ledger_size).await?,
    };
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
    for leaf in &org.leaves {
        frontier.append(*leaf, &mut stored);
    }
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
    indexes
        .iter()
        .map(|i| found.get(i).copied().ok_or_else(|| StoreError::Ledger(format!("保存ハッシュ {i} がありません"))))
        .collect()
}

pub(crate) fn to_hash(bytes: Vec<u8>) -> Result<Hash> {
    <[u8; 32]>::try_from(bytes).map(Hash).map_err(|_| StoreError::Ledger("保存ハッシュが32バイトではありません".into()))
}

async fn insert_hashes(conn: &mut sqlx::AnyConnection, _backend: Backend, org_id: i64, stored: &[(u64, Hash)]) -> Result<()> {
    for chunk in stored.chunks(300) {
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
