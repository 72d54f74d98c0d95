//! Witnesses on the server's side: registering them, what a witness is shown (the latest
//! checkpoint with a consistency proof), storing their cosignatures, and key rotations.

use mamori_ledger::cosignature::{with_lines, WitnessPublicKey};
use mamori_ledger::keys::{KeyChain, KeyIntroduction};
use mamori_ledger::tree::Want;
use mamori_ledger::witness::AddCheckpoint;
use sqlx::Row;

use super::{introductions, WitnessRow};
use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

impl Store {
    /// Registers a witness whose cosignatures this organization's server accepts
    /// (`mamori ledger witness add NAME KEY`). Recorded in the ledger.
    pub async fn add_witness(&self, org_id: i64, name: &str, public_key: &str, actor: &Actor) -> Result<WitnessRow> {
        let key = WitnessPublicKey::parse(public_key).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("立会人の名前を指定してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let id: i64 =
            sqlx::query_scalar("INSERT INTO ledger_witnesses (org_id, name, public_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(org_id)
                .bind(name)
                .bind(key.text())
                .bind(&now)
                .fetch_one(w.conn())
                .await
                .map_err(|e| StoreError::from(e).on_unique("この公開鍵の立会人はすでに登録されています"))?;
        w.commit(
            actor,
            NewEvent::new(
                "ledger.witness_add",
                "ledger",
                org_id,
                serde_json::json!({"witness_id": id, "name": name, "public_key": key.text()}),
            ),
        )
        .await?;
        Ok(WitnessRow { id, name: name.to_owned(), public_key: key.text().to_owned(), created_at: now, latest: None })
    }

    /// The registered witnesses, each with its latest cosignature.
    pub async fn witnesses(&self, org_id: i64) -> Result<Vec<WitnessRow>> {
        let rows = sqlx::query(
            "SELECT w.id, w.name, w.public_key, w.created_at,
                    (SELECT MAX(c.size) FROM ledger_cosignatures c WHERE c.witness_id = w.id) AS size,
                    (SELECT MAX(c.cosigned_at) FROM ledger_cosignatures c WHERE c.witness_id = w.id) AS cosigned_at,
                    (SELECT MAX(c.created_at) FROM ledger_cosignatures c WHERE c.witness_id = w.id) AS stored_at
             FROM ledger_witnesses w WHERE w.org_id = $1 ORDER BY w.id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let size: Option<i64> = r.try_get("size")?;
                let at: Option<i64> = r.try_get("cosigned_at")?;
                let stored: Option<String> = r.try_get("stored_at")?;
                Ok(WitnessRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    public_key: r.try_get("public_key")?,
                    created_at: r.try_get("created_at")?,
                    latest: match (size, at, stored) {
                        (Some(s), Some(t), Some(c)) => Some((s as u64, t as u64, c)),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// What a witness that cosigned size `from` is shown: the latest signed checkpoint and
    /// the consistency proof from `from` to it, in tlog-witness's add-checkpoint shape.
    pub async fn witness_request(&self, org_id: i64, from: u64) -> Result<AddCheckpoint> {
        let latest = self
            .checkpoints(org_id, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Invalid("チェックポイントがまだありません".into()))?;
        if from > latest.size {
            return Err(StoreError::Invalid(format!(
                "件数 {from} は最新の署名付きチェックポイント（件数 {}）より大きくなっています — 立会人が見た台帳より小さい台帳です",
                latest.size
            )));
        }
        let mut conn = self.pool.acquire().await?;
        let proof = self.tree_part(&mut conn, org_id, Want::Consistency { old: from, new: latest.size }).await?;
        Ok(AddCheckpoint { old_size: from, proof, checkpoint: latest.note })
    }

    /// The largest size a registered witness with this key has cosigned here (0 if none).
    pub async fn witness_size(&self, org_id: i64, public_key: &str) -> Result<u64> {
        let size: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(c.size) FROM ledger_cosignatures c JOIN ledger_witnesses w ON w.id = c.witness_id WHERE c.org_id = $1 AND w.public_key = $2",
        )
        .bind(org_id)
        .bind(public_key)
        .fetch_one(&self.pool)
        .await?;
        Ok(size.unwrap_or(0).max(0) as u64)
    }

    /// Stores a witness's cosignature `line` of `checkpoint` (one of this log's signed
    /// checkpoints, as the witness was shown it), and records it. The line must be by a
    /// registered witness and hold; the checkpoint must be the stored one of its size.
    /// Returns the witness's name and the size.
    pub async fn add_cosignature(&self, org_id: i64, checkpoint: &str, line: &str, actor: &Actor) -> Result<(String, u64)> {
        let key = self.ledger_key().ok_or_else(|| StoreError::Ledger("台帳の署名鍵が読み込まれていません".into()))?;
        let org = self.organization(org_id).await?;
        let origin = crate::origin(key, &org.code);
        let mut conn = self.pool.acquire().await?;
        let chain = KeyChain::from_introductions(key.verifying_key(), &origin, &introductions(&mut conn, org_id).await?)
            .map_err(|e| StoreError::Ledger(e.to_string()))?;
        drop(conn);
        let opened =
            chain.open(checkpoint, Some(&origin)).map_err(|e| StoreError::Invalid(format!("チェックポイントを受け付けません: {e}")))?;
        let stored = self
            .checkpoint_at(org_id, opened.size)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("件数 {} の署名付きチェックポイントはこの台帳にありません", opened.size)))?;
        if stored.root != opened.root {
            return Err(StoreError::Invalid(format!("件数 {} のチェックポイントのルートがこの台帳のものと異なります", opened.size)));
        }
        let line = line.trim_end_matches('\n').to_owned();
        let mut found = None;
        for w in self.witnesses(org_id).await? {
            let Ok(public) = WitnessPublicKey::parse(&w.public_key) else { continue };
            match public.check(&stored.note, &line) {
                Ok(Some(t)) => {
                    found = Some((w, t));
                    break;
                }
                Ok(None) => {}
                Err(e) => return Err(StoreError::Invalid(e.to_string())),
            }
        }
        let (witness, cosigned_at) = found.ok_or_else(|| {
            StoreError::Invalid("連署が登録された立会人のものではありません（`mamori ledger witness add` で登録してください）".into())
        })?;
        let mut w = self.begin_write(org_id).await?;
        sqlx::query(
            "INSERT INTO ledger_cosignatures (org_id, witness_id, size, checkpoint, line, cosigned_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org_id)
        .bind(witness.id)
        .bind(opened.size as i64)
        .bind(&stored.note)
        .bind(&line)
        .bind(cosigned_at as i64)
        .bind(now_text())
        .execute(w.conn())
        .await
        .map_err(|e| StoreError::from(e).on_unique("この連署はすでに保存されています"))?;
        w.commit(
            actor,
            NewEvent::new(
                "ledger.cosign",
                "ledger",
                org_id,
                serde_json::json!({"witness_id": witness.id, "witness": witness.name, "size": opened.size, "cosigned_at": cosigned_at, "line": line}),
            ),
        )
        .await?;
        Ok((witness.name, opened.size))
    }

    /// The checkpoints that carry stored cosignatures, each with its lines, `(label, text)`.
    pub(super) async fn cosigned_checkpoints(&self, conn: &mut sqlx::AnyConnection, org_id: i64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT size, checkpoint, line FROM ledger_cosignatures WHERE org_id = $1 ORDER BY size, id")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
        let mut by_checkpoint: Vec<(i64, String, Vec<String>)> = Vec::new();
        for r in rows {
            let (size, checkpoint, line): (i64, String, String) = (r.try_get("size")?, r.try_get("checkpoint")?, r.try_get("line")?);
            match by_checkpoint.iter_mut().find(|(s, c, _)| *s == size && *c == checkpoint) {
                Some((_, _, lines)) => lines.push(line),
                None => by_checkpoint.push((size, checkpoint, vec![line])),
            }
        }
        Ok(by_checkpoint
            .into_iter()
            .map(|(size, checkpoint, lines)| (format!("立会人の連署（件数 {size}）"), with_lines(&checkpoint, &lines)))
            .collect())
    }

    /// The largest checkpoint witnesses cosigned, with their lines, `(size, text)`.
    pub async fn latest_witnessed(&self, org_id: i64) -> Result<Option<(u64, String)>> {
        let mut conn = self.pool.acquire().await?;
        let all = self.cosigned_checkpoints(&mut conn, org_id).await?;
        Ok(all.into_iter().filter_map(|(_, text)| Some((text.split('\n').nth(1)?.parse().ok()?, text))).max_by_key(|(size, _)| *size))
    }

    /// The latest checkpoint with every stored cosignature of it: what a daily anchor mail
    /// carries and what `mamori ledger checkpoint` prints.
    pub async fn latest_cosigned(&self, org_id: i64) -> Result<Option<(u64, String)>> {
        let Some(latest) = self.checkpoints(org_id, 1).await?.into_iter().next() else { return Ok(None) };
        let lines: Vec<String> = sqlx::query_scalar("SELECT line FROM ledger_cosignatures WHERE org_id = $1 AND size = $2 ORDER BY id")
            .bind(org_id)
            .bind(latest.size as i64)
            .fetch_all(&self.pool)
            .await?;
        Ok(Some((latest.size, with_lines(&latest.note, &lines))))
    }

    /// The first half of a key rotation, for each organization: the introduction of `new`
    /// by `old`, handed over at the latest signed checkpoint. Stored before anything is
    /// signed with the new key, so that the new key's writer finds itself in the chain;
    /// the rotation is then recorded as an event signed by the new key
    /// ([`Store::record_key_rotation`]). Returns the introduction.
    pub async fn introduce_key(&self, org_id: i64, old: &mamori_ledger::LedgerKey, new: &mamori_ledger::LedgerKey) -> Result<String> {
        let org = self.organization(org_id).await?;
        let origin = crate::origin(old, &org.code);
        if new.name() != old.name() {
            return Err(StoreError::Invalid("新しい鍵は古い鍵と同じ名前にしてください（origin が変わらないように）".into()));
        }
        let latest = self.checkpoints(org_id, 1).await?.into_iter().next();
        let (size, root) = match &latest {
            Some(c) => (c.size, c.root),
            None => (0, mamori_ledger::EMPTY_HASH),
        };
        let text = KeyIntroduction::make(old, new, &origin, size, root);
        sqlx::query("INSERT INTO ledger_key_introductions (org_id, size, note, created_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id)
            .bind(size as i64)
            .bind(&text)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(text)
    }

    /// Records a key rotation in the ledger (signed by the new key).
    pub async fn record_key_rotation(&self, org_id: i64, introduction: &str, actor: &Actor) -> Result<i64> {
        let intro = KeyIntroduction::open("", introduction).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.record_event(
            org_id,
            actor,
            NewEvent::new(
                "ledger.key_rotate",
                "ledger",
                org_id,
                serde_json::json!({"old": intro.old, "new": intro.new, "size": intro.size, "introduction": introduction}),
            ),
        )
        .await
    }
}

impl Store {
    /// Whether `key` may sign for every organization here: it is the current key of each
    /// log's key chain, and the latest checkpoint opens with that chain. For an
    /// organization without checkpoints any key fits.
    pub async fn key_fits(&self, key: &mamori_ledger::LedgerKey) -> Result<std::result::Result<(), String>> {
        for org in self.organizations().await? {
            let Some(latest) = self.checkpoints(org.id, 1).await?.into_iter().next() else { continue };
            let origin = crate::origin(key, &org.code);
            let mut conn = self.pool.acquire().await?;
            let intros = introductions(&mut conn, org.id).await?;
            drop(conn);
            let chain = match KeyChain::from_introductions(key.verifying_key(), &origin, &intros) {
                Ok(c) => c,
                Err(e) => return Ok(Err(e.to_string())),
            };
            if chain.current().text() != key.verifying_key().text() {
                return Ok(Err(format!(
                    "鍵 {} は引き継ぎ済みの古い鍵です（現在の鍵は {}）",
                    key.verifying_key().text(),
                    chain.current().text()
                )));
            }
            if let Err(e) = chain.open(&latest.note, Some(&origin)) {
                return Ok(Err(format!("団体 {} の最新のチェックポイントを検証できません: {e}", org.code)));
            }
        }
        Ok(Ok(()))
    }
}
