//! Reading the ledger: checkpoints, proofs, verification, the offline bundle; and the two
//! writes about the ledger itself (purging personal data, recording an anchor).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use mamori_ledger::bundle::{self, BundleWriter, Line};
use mamori_ledger::checkpoint::{CheckpointError, SignedCheckpoint, VerifyingKey};
use mamori_ledger::keys::{KeyChain, KeyChainError, KeyIntroduction};
use mamori_ledger::tree::{build_from, hashes_needed, Want};
use mamori_ledger::{Hash, Leaf, Report, Verifier, WitnessPolicy};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use crate::writer::{read_hashes, to_hash};
use crate::{now_text, Actor, Backend, NewEvent, Result, Store, StoreError};

mod pg_read;
mod read;
mod sqlite_read;
mod witnesses;

/// What a verification feeds the verifier before the first entry: the stored checkpoints
/// `(id, size, root, note)`, the count of events numbered below 1, and the anchors.
struct Prepared {
    keys: KeyChain,
    checkpoints: Vec<(i64, i64, Vec<u8>, String)>,
    stray: i64,
    anchors: Vec<(String, String)>,
    /// Key introductions that made `keys`, with their labels.
    intros: Vec<(String, KeyIntroduction)>,
    /// Checkpoints with the stored cosignature lines, `(label, text)`.
    witnessed: Vec<(String, String)>,
}

impl Prepared {
    /// Announces the checkpoints' sizes (each note's size line; a note without one is
    /// malformed, which opening it reports) so that they can be fed after the entries.
    fn announce(&self, v: &mut Verifier) {
        v.announce_sizes(self.checkpoints.iter().filter_map(|c| c.3.split('\n').nth(1)?.parse().ok()));
        v.announce_sizes(self.anchors.iter().filter_map(|(_, text)| text.trim_start().split('\n').nth(1)?.parse().ok()));
        v.announce_sizes(self.witnessed.iter().filter_map(|(_, text)| text.split('\n').nth(1)?.parse().ok()));
        v.announce_sizes(self.intros.iter().map(|(_, i)| i.size));
    }

    /// Opens the stored checkpoints: the signature checks, most of the work when there are
    /// many.
    fn open(&self) -> Vec<Result<SignedCheckpoint, CheckpointError>> {
        let notes: Vec<&str> = self.checkpoints.iter().map(|c| c.3.as_str()).collect();
        read::open_checkpoints(&notes, &self.keys)
    }

    /// Feeds the checkpoints as opened, the stray count and the anchors.
    fn feed_opened(&self, v: &mut Verifier, opened: Vec<Result<SignedCheckpoint, CheckpointError>>) {
        for ((id, size, root, _), opened) in self.checkpoints.iter().zip(opened) {
            let label = format!("チェックポイント #{id}（件数 {size}）");
            // The size and root columns are what the pages and proofs use: they must say
            // what the signed note says.
            if let Ok(c) = &opened {
                if c.size as i64 != *size || c.root.0.as_slice() != root.as_slice() {
                    v.problem(format!("[{label}] 件数またはルートの列が署名されたチェックポイントと一致しません"));
                }
            }
            v.opened_checkpoint(&label, opened);
        }
        if self.stray > 0 {
            v.problem(format!("[index -] 番号が 1 未満の記録が {} 件あります（台帳の外から追加されています）", self.stray));
        }
        for (label, text) in &self.anchors {
            v.anchor(label, text);
        }
        for (label, intro) in &self.intros {
            v.key_introduction(label, intro);
        }
        for (label, text) in &self.witnessed {
            v.witnessed(label, text);
        }
    }
}

/// What a verification checks beyond the ledger itself.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Checkpoints kept outside mamori, `(label, text)`.
    pub anchors: Vec<(String, String)>,
    /// Witnesses' cosignatures required, if any.
    pub witnesses: Option<WitnessPolicy>,
}

/// The key introductions of an organization's log, `(label, text)`, in size order.
pub(crate) async fn introductions(conn: &mut sqlx::AnyConnection, org_id: i64) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT id, size, note FROM ledger_key_introductions WHERE org_id = $1 ORDER BY size, id")
        .bind(org_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let size: i64 = r.try_get("size")?;
            Ok((format!("鍵の引き継ぎ #{id}（件数 {size}）"), r.try_get("note")?))
        })
        .collect()
}

/// The chain of keys of an organization's log, trusting `trusted` (see
/// [`KeyChain::from_introductions`]).
pub(crate) async fn key_chain(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    trusted: &VerifyingKey,
    origin: &str,
) -> Result<std::result::Result<KeyChain, KeyChainError>> {
    let intros = introductions(conn, org_id).await?;
    Ok(KeyChain::from_introductions(trusted, origin, &intros))
}

/// A registered witness.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WitnessRow {
    pub id: i64,
    pub name: String,
    pub public_key: String,
    pub created_at: String,
    /// Its latest cosignature: size, the cosignature's time (seconds since 1970), stored at.
    pub latest: Option<(u64, u64, String)>,
}

const LEAF_COLUMNS: &str =
    "org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result";

/// An event row as the leaf is rebuilt from it.
pub(crate) struct EventLeafRow {
    leaf: Leaf,
    payload: String,
}

impl EventLeafRow {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let payload: String = r.try_get("payload")?;
        let seq: i64 = r.try_get("seq")?;
        Ok(Self {
            leaf: Leaf {
                action: r.try_get("action")?,
                actor: r.try_get("actor")?,
                actor_user_id: r.try_get("actor_user_id")?,
                at: r.try_get("at")?,
                clock_synced: r.try_get::<i64, _>("clock_synced")? != 0,
                org_id: r.try_get("org_id")?,
                payload_sha256: mamori_ledger::sha256_hex(payload.as_bytes()),
                profile_version_id: r.try_get("profile_version_id")?,
                request_id: r.try_get("request_id")?,
                result: r.try_get("result")?,
                role: r.try_get("role")?,
                seq: seq.max(0) as u64,
                target_id: r.try_get("target_id")?,
                target_kind: r.try_get("target_kind")?,
                v: mamori_ledger::leaf::LEAF_VERSION,
            },
            payload,
        })
    }

    pub(crate) fn leaf(&self) -> Result<&Leaf> {
        Ok(&self.leaf)
    }
}

/// Events with `after < seq <= up_to`, in order.
pub(crate) async fn event_rows(conn: &mut sqlx::AnyConnection, org_id: i64, after: i64, up_to: i64) -> Result<Vec<EventLeafRow>> {
    let sql = format!("SELECT {LEAF_COLUMNS} FROM events WHERE org_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq");
    let rows = sqlx::query(&sql).bind(org_id).bind(after).bind(up_to).fetch_all(conn).await?;
    rows.iter().map(EventLeafRow::from_row).collect()
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckpointRow {
    pub id: i64,
    pub size: u64,
    #[serde(skip)]
    pub root: Hash,
    pub note: String,
    pub created_at: String,
}

impl CheckpointRow {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            size: r.try_get::<i64, _>("size")? as u64,
            root: to_hash(r.try_get("root")?)?,
            note: r.try_get("note")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct LedgerStatus {
    pub origin: Option<String>,
    pub size: u64,
    /// Entries no signed checkpoint covers, `(first index, last index)`: never there when
    /// the server wrote them (it signs in the same transaction).
    pub unsigned: Option<(u64, u64)>,
    /// The largest checkpoint a registered witness cosigned: size, the cosignature's time
    /// (seconds since 1970), when it was stored.
    pub witnessed: Option<(u64, u64, String)>,
    pub witnesses: u64,
    pub latest: Option<CheckpointRow>,
    pub checkpoints: u64,
    /// When an anchor was last recorded, and at what size.
    pub last_anchor: Option<(String, u64)>,
}

#[derive(Debug, Clone)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub leaf: String,
    pub leaf_hash: Hash,
    pub proof: Vec<Hash>,
    pub root: Hash,
    /// The signed checkpoint of `size`.
    pub checkpoint: CheckpointRow,
}

#[derive(Debug, Clone)]
pub struct ConsistencyProof {
    pub old: u64,
    pub new: u64,
    pub old_root: Hash,
    pub new_root: Hash,
    pub proof: Vec<Hash>,
    pub old_checkpoint: Option<CheckpointRow>,
    pub new_checkpoint: Option<CheckpointRow>,
}

/// A filter for the 作業記録 view.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// Inclusive dates, `YYYY-MM-DD` (JST).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only events before this sequence number (paging, newest first).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

impl Store {
    async fn org_code_and_seq(&self, conn: &mut sqlx::AnyConnection, org_id: i64) -> Result<(String, i64)> {
        let r = sqlx::query("SELECT code, event_seq FROM organizations WHERE id = $1")
            .bind(org_id)
            .fetch_optional(conn)
            .await?
            .ok_or(StoreError::NotFound("organization"))?;
        Ok((r.try_get("code")?, r.try_get("event_seq")?))
    }

    pub async fn ledger_status(&self, org_id: i64) -> Result<LedgerStatus> {
        let mut conn = self.pool.acquire().await?;
        let (code, _) = self.org_code_and_seq(&mut conn, org_id).await?;
        let size: i64 =
            sqlx::query("SELECT ledger_size FROM organizations WHERE id = $1").bind(org_id).fetch_one(&mut *conn).await?.try_get(0)?;
        let latest = sqlx::query("SELECT * FROM ledger_checkpoints WHERE org_id = $1 ORDER BY size DESC LIMIT 1")
            .bind(org_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| CheckpointRow::from_row(&r))
            .transpose()?;
        let checkpoints: i64 = sqlx::query("SELECT COUNT(*) FROM ledger_checkpoints WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let last_anchor =
            sqlx::query("SELECT at, payload FROM events WHERE org_id = $1 AND action = 'ledger.anchor' ORDER BY seq DESC LIMIT 1")
                .bind(org_id)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| -> Result<(String, u64)> {
                    let payload: String = r.try_get("payload")?;
                    let size = serde_json::from_str::<serde_json::Value>(&payload).ok().and_then(|v| v["size"].as_u64()).unwrap_or(0);
                    Ok((r.try_get("at")?, size))
                })
                .transpose()?;
        let (_, event_seq) = self.org_code_and_seq(&mut conn, org_id).await?;
        let stored = (size.max(event_seq)).max(0) as u64;
        let signed = latest.as_ref().map_or(0, |c| c.size);
        let witnessed = sqlx::query(
            "SELECT size, cosigned_at, created_at FROM ledger_cosignatures WHERE org_id = $1 ORDER BY size DESC, cosigned_at DESC LIMIT 1",
        )
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| -> Result<(u64, u64, String)> {
            Ok((r.try_get::<i64, _>("size")? as u64, r.try_get::<i64, _>("cosigned_at")? as u64, r.try_get("created_at")?))
        })
        .transpose()?;
        let witnesses: i64 =
            sqlx::query("SELECT COUNT(*) FROM ledger_witnesses WHERE org_id = $1").bind(org_id).fetch_one(&mut *conn).await?.try_get(0)?;
        Ok(LedgerStatus {
            origin: self.ledger_key().map(|k| crate::origin(k, &code)),
            size: size as u64,
            unsigned: (stored > signed).then(|| (signed, stored - 1)),
            witnessed,
            witnesses: witnesses as u64,
            latest,
            checkpoints: checkpoints as u64,
            last_anchor,
        })
    }

    /// Checkpoints, newest first.
    pub async fn checkpoints(&self, org_id: i64, limit: i64) -> Result<Vec<CheckpointRow>> {
        let rows = sqlx::query("SELECT * FROM ledger_checkpoints WHERE org_id = $1 ORDER BY size DESC LIMIT $2")
            .bind(org_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(CheckpointRow::from_row).collect()
    }

    pub async fn checkpoint_at(&self, org_id: i64, size: u64) -> Result<Option<CheckpointRow>> {
        sqlx::query("SELECT * FROM ledger_checkpoints WHERE org_id = $1 AND size = $2")
            .bind(org_id)
            .bind(size as i64)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| CheckpointRow::from_row(&r))
            .transpose()
    }

    async fn tree_part(&self, conn: &mut sqlx::AnyConnection, org_id: i64, want: Want) -> Result<Vec<Hash>> {
        let needed = hashes_needed(want).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let hashes = read_hashes(conn, org_id, &needed).await?;
        let known: HashMap<u64, Hash> = needed.into_iter().zip(hashes).collect();
        build_from(want, known).map_err(|e| StoreError::Ledger(e.to_string()))
    }

    /// The root of the first `size` entries, from the stored hashes.
    pub async fn tree_root(&self, org_id: i64, size: u64) -> Result<Hash> {
        let mut conn = self.pool.acquire().await?;
        Ok(self.tree_part(&mut conn, org_id, Want::Root { size }).await?[0])
    }

    /// The proof that entry `index` is in the tree of a signed checkpoint: the one of
    /// `size` if given, else the latest.
    pub async fn inclusion_proof(&self, org_id: i64, index: u64, size: Option<u64>) -> Result<InclusionProof> {
        let checkpoint = match size {
            Some(s) => self
                .checkpoint_at(org_id, s)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("件数 {s} の署名付きチェックポイントはありません")))?,
            None => self
                .checkpoints(org_id, 1)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::Invalid("チェックポイントがまだありません".into()))?,
        };
        if index >= checkpoint.size {
            return Err(StoreError::Invalid(format!("index {index} はチェックポイント（{} 件）に含まれていません", checkpoint.size)));
        }
        let mut conn = self.pool.acquire().await?;
        let sql = format!("SELECT {LEAF_COLUMNS} FROM events WHERE org_id = $1 AND seq = $2");
        let row = sqlx::query(&sql)
            .bind(org_id)
            .bind(index as i64 + 1)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("ledger entry"))?;
        let leaf = EventLeafRow::from_row(&row)?.leaf.canonical();
        let proof = self.tree_part(&mut conn, org_id, Want::Inclusion { index, size: checkpoint.size }).await?;
        Ok(InclusionProof {
            index,
            size: checkpoint.size,
            leaf_hash: mamori_ledger::leaf_hash(leaf.as_bytes()),
            leaf,
            proof,
            root: checkpoint.root,
            checkpoint,
        })
    }

    /// The proof that the tree of `old` entries is a prefix of the tree of `new`.
    pub async fn consistency_proof(&self, org_id: i64, old: u64, new: u64) -> Result<ConsistencyProof> {
        let status = self.ledger_status(org_id).await?;
        if old > new || new > status.size {
            return Err(StoreError::Invalid(format!("0 ≤ {old} ≤ {new} ≤ {}（台帳の件数）の範囲で指定してください", status.size)));
        }
        let mut conn = self.pool.acquire().await?;
        let old_root = self.tree_part(&mut conn, org_id, Want::Root { size: old }).await?[0];
        let new_root = self.tree_part(&mut conn, org_id, Want::Root { size: new }).await?[0];
        let proof = self.tree_part(&mut conn, org_id, Want::Consistency { old, new }).await?;
        drop(conn);
        Ok(ConsistencyProof {
            old,
            new,
            old_root,
            new_root,
            proof,
            old_checkpoint: self.checkpoint_at(org_id, old).await?,
            new_checkpoint: self.checkpoint_at(org_id, new).await?,
        })
    }

    /// Starts a read that sees one state of the database throughout.
    async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        }
        Ok(tx)
    }

    /// Verifies an organization's whole ledger: every leaf rebuilt from its event and
    /// hashed, every stored hash recomputed, every checkpoint's signature and root checked,
    /// and each anchor `(label, text)` checked against the log.
    pub async fn verify_ledger(&self, org_id: i64, key: &VerifyingKey, anchors: &[(String, String)]) -> Result<Report> {
        let options = VerifyOptions { anchors: anchors.to_vec(), witnesses: None };
        self.verify_ledger_reading(org_id, key, &options, true).await
    }

    /// [`Store::verify_ledger`] with witnesses' cosignatures required as `options` says.
    /// `key` may be any key of the log's key chain: the first (pinned by an auditor) or
    /// the current one.
    pub async fn verify_ledger_with(&self, org_id: i64, key: &VerifyingKey, options: &VerifyOptions) -> Result<Report> {
        self.verify_ledger_reading(org_id, key, options, true).await
    }

    /// [`Store::verify_ledger`] reading through sqlx only, never the SQLite file directly:
    /// for tests that compare the two reads.
    #[cfg(feature = "testing")]
    pub async fn verify_ledger_through_sqlx(&self, org_id: i64, key: &VerifyingKey, anchors: &[(String, String)]) -> Result<Report> {
        let options = VerifyOptions { anchors: anchors.to_vec(), witnesses: None };
        self.verify_ledger_reading(org_id, key, &options, false).await
    }

    async fn verify_ledger_reading(&self, org_id: i64, key: &VerifyingKey, options: &VerifyOptions, direct: bool) -> Result<Report> {
        let anchors = &options.anchors;
        let mut tx = self.snapshot().await?;
        let (code, event_seq) = self.org_code_and_seq(&mut tx, org_id).await?;
        let origin = format!("{}/{}", key.name(), code);
        let intro_texts = introductions(&mut tx, org_id).await?;
        let (keys, chain_problem) = match KeyChain::from_introductions(key, &origin, &intro_texts) {
            Ok(chain) => (chain, None),
            Err(e) => (KeyChain::single(key.clone()), Some(e.to_string())),
        };
        let intros: Vec<(String, KeyIntroduction)> =
            intro_texts.iter().filter_map(|(label, text)| KeyIntroduction::open(label, text).ok().map(|i| (label.clone(), i))).collect();
        let witnessed = self.cosigned_checkpoints(&mut tx, org_id).await?;
        let policy = options.witnesses.clone();
        let new_verifier = || {
            let mut v = Verifier::with_keys(&origin, keys.clone(), Some(org_id));
            if let Some(p) = &chain_problem {
                v.problem(format!("[鍵の引き継ぎ] {p}"));
            }
            if let Some(p) = &policy {
                v.require_witnesses(p.clone());
            }
            v
        };
        let mut checkpoints = Vec::new();
        for r in sqlx::query("SELECT id, size, root, note FROM ledger_checkpoints WHERE org_id = $1 ORDER BY size, id")
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?
        {
            let id: i64 = r.try_get("id")?;
            let size: i64 = r.try_get("size")?;
            let root: Vec<u8> = r.try_get("root")?;
            let note: String = r.try_get("note")?;
            checkpoints.push((id, size, root, note));
        }
        let stray: i64 =
            sqlx::query("SELECT COUNT(*) FROM events WHERE org_id = $1 AND seq < 1").bind(org_id).fetch_one(&mut *tx).await?.try_get(0)?;
        let prepared = Arc::new(Prepared { keys: keys.clone(), checkpoints, stray, anchors: anchors.to_vec(), intros, witnessed });
        // Checking the checkpoints' signatures is most of the work when there are many:
        // it is done on the verifying side, while the first events are being read.
        let mut fast = None;
        if direct && (self.sqlite_file.is_some() || self.postgres_url.is_some()) {
            // The rows are read on connections of their own (see `ledger/sqlite_read.rs`
            // and `ledger/pg_read.rs`), up to what this snapshot holds; rows beyond that
            // (which only tampering makes) are read the usual way, which reports them.
            let beyond: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM events WHERE org_id = $1 AND seq > $2) + (SELECT COUNT(*) FROM ledger_hashes WHERE org_id = $1 AND idx >= $3)",
            )
            .bind(org_id)
            .bind(event_seq)
            .bind(read::stored_hash_count(event_seq.max(0) as u64) as i64)
            .fetch_one(&mut *tx)
            .await?;
            if beyond == 0 {
                if let Some(file) = &self.sqlite_file {
                    fast = read::feed_verifier_from_file(file.clone(), org_id, event_seq, new_verifier(), prepared.clone()).await?;
                } else if let Some(url) = &self.postgres_url {
                    // On PostgreSQL the other connections read in this very snapshot.
                    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await?;
                    fast = read::feed_verifier_from_postgres(url.clone(), snapshot, org_id, event_seq, new_verifier(), prepared.clone())
                        .await?;
                }
            }
        }
        #[cfg(feature = "testing")]
        if fast.is_some() {
            self.direct_reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let mut v = match fast {
            Some(v) => v,
            None => read::feed_verifier(&mut tx, self.backend, org_id, new_verifier(), prepared).await?,
        };
        // Cleartext personal data that is still kept must match its commitment.
        let personal = sqlx::query(
            "SELECT p.seq, p.field, p.salt, p.value, e.payload FROM event_personal p JOIN events e ON e.org_id = p.org_id AND e.seq = p.seq
             WHERE p.org_id = $1 AND p.value IS NOT NULL ORDER BY p.seq",
        )
        .bind(org_id)
        .fetch_all(&mut *tx)
        .await?;
        for r in personal {
            let seq: i64 = r.try_get("seq")?;
            let field: String = r.try_get("field")?;
            let salt: Option<String> = r.try_get("salt")?;
            let value: String = r.try_get("value")?;
            let payload: String = r.try_get("payload")?;
            let committed = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|p| p[&field][mamori_ledger::PERSONAL_KEY].as_str().map(str::to_owned));
            let matches = match (&salt, committed) {
                (Some(salt), Some(c)) => mamori_ledger::personal_commitment(salt, &value) == c,
                _ => false,
            };
            if !matches {
                v.problem(format!("[index {}] 個人情報「{field}」の保存値が記録時のコミットメントと一致しません", seq - 1));
            }
        }
        tx.rollback().await.ok();
        Ok(v.finish(Some(event_seq.max(0) as u64)))
    }

    /// Writes the offline bundle of an organization's ledger; returns the number of entries.
    pub async fn export_ledger<W: Write>(&self, org_id: i64, key: &VerifyingKey, out: W) -> Result<u64> {
        let io = |e: std::io::Error| StoreError::Invalid(format!("書き出しに失敗しました: {e}"));
        let mut tx = self.snapshot().await?;
        let (code, event_seq) = self.org_code_and_seq(&mut tx, org_id).await?;
        let origin = format!("{}/{}", key.name(), code);
        // The bundle names the log's first key; a rotated log carries its introductions.
        let intros = introductions(&mut tx, org_id).await?;
        let first = match KeyChain::from_introductions(key, &origin, &intros) {
            Ok(chain) => chain.first().clone(),
            Err(_) => key.clone(),
        };
        let mut w = BundleWriter::new(out);
        w.line(&Line::Header {
            format: bundle::FORMAT.to_owned(),
            origin,
            org_id,
            public_key: first.text().to_owned(),
            size: event_seq.max(0) as u64,
            exported_at: now_text(),
        })
        .map_err(io)?;
        for (label, text) in intros {
            w.line(&Line::KeyIntroduction { label, text }).map_err(io)?;
        }
        for (label, text) in self.cosigned_checkpoints(&mut tx, org_id).await? {
            w.line(&Line::Cosigned { label, text }).map_err(io)?;
        }
        for r in sqlx::query("SELECT id, size, note FROM ledger_checkpoints WHERE org_id = $1 ORDER BY size, id")
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?
        {
            let id: i64 = r.try_get("id")?;
            let size: i64 = r.try_get("size")?;
            w.line(&Line::Checkpoint { label: format!("チェックポイント #{id}（件数 {size}）"), text: r.try_get("note")? }).map_err(io)?;
        }
        let mut reader = read::Reader::new(&mut tx, self.backend, org_id).await?;
        let mut count = 0u64;
        while let Some(events) = reader.events(&mut tx).await? {
            for row in events.into_rows()? {
                count += 1;
                w.line(&Line::Entry { index: row.leaf.seq.saturating_sub(1), leaf: row.leaf.canonical(), payload: Some(row.payload) })
                    .map_err(io)?;
            }
        }
        while let Some(hashes) = reader.hashes(&mut tx, None).await? {
            for (idx, hash) in hashes.items {
                w.hash(idx as u64, hash.unwrap_or(Hash([0; 32]))).map_err(io)?;
            }
        }
        w.finish().map_err(io)?;
        tx.rollback().await.ok();
        Ok(count)
    }

    /// Purges the cleartext personal data recorded with events about `target` (kind, id),
    /// or with the event `seq`. The commitments in the ledger stay, so verification still
    /// passes; the purge itself is recorded. Returns how many fields were purged.
    pub async fn purge_personal(&self, org_id: i64, target: Option<(&str, &str)>, seq: Option<i64>, actor: &Actor) -> Result<u64> {
        if target.is_none() && seq.is_none() {
            return Err(StoreError::Invalid("消去する対象（対象の種類と ID、または記録番号）を指定してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let purged = match (target, seq) {
            (Some((kind, id)), _) => {
                sqlx::query(
                    "UPDATE event_personal SET salt = NULL, value = NULL, purged_at = $1
                     WHERE org_id = $2 AND value IS NOT NULL AND seq IN (SELECT seq FROM events WHERE org_id = $2 AND target_kind = $3 AND target_id = $4)",
                )
                .bind(&now)
                .bind(org_id)
                .bind(kind)
                .bind(id)
                .execute(w.conn())
                .await?
                .rows_affected()
            }
            (None, Some(seq)) => sqlx::query("UPDATE event_personal SET salt = NULL, value = NULL, purged_at = $1 WHERE org_id = $2 AND seq = $3 AND value IS NOT NULL")
                .bind(&now)
                .bind(org_id)
                .bind(seq)
                .execute(w.conn())
                .await?
                .rows_affected(),
            (None, None) => unreachable!("checked above"),
        };
        let (kind, id) = match (target, seq) {
            (Some((k, i)), _) => (k.to_owned(), i.to_owned()),
            (None, Some(s)) => ("event".to_owned(), s.to_string()),
            (None, None) => unreachable!("checked above"),
        };
        w.commit(
            actor,
            NewEvent::new(
                "ledger.purge_personal",
                "ledger",
                org_id,
                serde_json::json!({"target_kind": kind, "target_id": id, "fields": purged}),
            ),
        )
        .await?;
        Ok(purged)
    }

    /// Personal data recorded with one event: `(field, value)`, the value `None` once purged.
    pub async fn personal_data(&self, org_id: i64, seq: i64) -> Result<Vec<(String, Option<String>)>> {
        let rows = sqlx::query("SELECT field, value FROM event_personal WHERE org_id = $1 AND seq = $2 ORDER BY field")
            .bind(org_id)
            .bind(seq)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("field")?, r.try_get("value")?))).collect()
    }

    /// Records that the checkpoint of `size` was taken away as an anchor (printed, saved
    /// to a file, handed to the auditor).
    pub async fn record_anchor(&self, org_id: i64, checkpoint: &CheckpointRow, how: &str, actor: &Actor) -> Result<i64> {
        self.record_event(
            org_id,
            actor,
            NewEvent::new(
                "ledger.anchor",
                "ledger",
                org_id,
                serde_json::json!({"size": checkpoint.size, "checkpoint_id": checkpoint.id, "how": how}),
            ),
        )
        .await
    }

    /// The 作業記録 search: events matching every given condition, newest first.
    pub async fn search_events(&self, org_id: i64, filter: &EventFilter) -> Result<Vec<crate::Event>> {
        let mut sql = String::from("SELECT * FROM events WHERE org_id = $1");
        let mut binds: Vec<String> = Vec::new();
        let mut add = |sql: &mut String, clause: &str, value: String| {
            binds.push(value);
            sql.push_str(&clause.replace("{}", &format!("${}", binds.len() + 1)));
        };
        if let Some(a) = filter.actor.as_deref().filter(|s| !s.is_empty()) {
            add(&mut sql, " AND actor = {}", a.to_owned());
        }
        if let Some(a) = filter.action.as_deref().filter(|s| !s.is_empty()) {
            if let Some(prefix) = a.strip_suffix('*') {
                add(&mut sql, " AND action LIKE {}", format!("{prefix}%"));
            } else {
                add(&mut sql, " AND action = {}", a.to_owned());
            }
        }
        if let Some(k) = filter.target_kind.as_deref().filter(|s| !s.is_empty()) {
            add(&mut sql, " AND target_kind = {}", k.to_owned());
        }
        if let Some(t) = filter.target_id.as_deref().filter(|s| !s.is_empty()) {
            add(&mut sql, " AND target_id = {}", t.to_owned());
        }
        if let Some(d) = filter.from.as_deref().filter(|s| !s.is_empty()) {
            add(&mut sql, " AND at >= {}", format!("{d}T00:00:00"));
        }
        if let Some(d) = filter.to.as_deref().filter(|s| !s.is_empty()) {
            add(&mut sql, " AND at < {}", format!("{d}T99"));
        }
        let before = filter.before_seq.unwrap_or(i64::MAX);
        let n = binds.len();
        sql.push_str(&format!(" AND seq < ${} ORDER BY seq DESC LIMIT ${}", n + 2, n + 3));
        let mut q = sqlx::query(&sql).bind(org_id);
        for b in &binds {
            q = q.bind(b.as_str());
        }
        let rows = q.bind(before).bind(filter.limit.clamp(1, 500)).fetch_all(&self.pool).await?;
        rows.iter().map(crate::Event::from_row).collect()
    }
}
