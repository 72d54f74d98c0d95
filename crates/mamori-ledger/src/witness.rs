//! The witness's decision, pure: shown a log's new checkpoint and a consistency proof from
//! the last one it cosigned, cosign it or refuse, in the manner of C2SP tlog-witness.
//!
//! The request has tlog-witness's add-checkpoint body shape, which is also what the
//! server's `GET /ledger/witness/checkpoint` answers and what `mamori ledger
//! export-checkpoint` writes for a town without a network path to its auditors:
//!
//! ```text
//! old 317                 ← the size the proof starts from (the witness's last cosigned size)
//! 3q2+7w…=                ← the consistency proof, one base64 hash a line
//! …
//!                         ← an empty line
//! mamori-3f9a0c21/shime   ← the log's signed checkpoint
//! 338
//! …
//! ```
//!
//! A witness keeps only the latest checkpoint it cosigned. It refuses, and its caller keeps
//! both checkpoints as evidence, when shown another checkpoint of the same size (a fork),
//! one that the proof does not show to extend the one it kept (inconsistent), or a smaller
//! one (a rollback).

use base64::Engine;

use crate::checkpoint::{CheckpointError, SignedCheckpoint};
use crate::cosignature::{CosignatureError, WitnessKey};
use crate::keys::KeyChain;
use crate::tree::check_consistency;
use crate::Hash;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// An add-checkpoint request: the old size, the consistency proof and the checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: String,
}

impl AddCheckpoint {
    pub fn to_text(&self) -> String {
        let mut out = format!("old {}\n", self.old_size);
        for h in &self.proof {
            out.push_str(&B64.encode(h.0));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    pub fn parse(text: &str) -> Result<Self, Refusal> {
        let bad = |why: &str| Refusal::Malformed(why.to_owned());
        let (head, checkpoint) = text.split_once("\n\n").ok_or_else(|| bad("空行でチェックポイントと区切られていません"))?;
        let mut lines = head.split('\n');
        let old = lines.next().and_then(|l| l.strip_prefix("old ")).ok_or_else(|| bad("1 行目は old 件数です"))?;
        if old.is_empty() || (old.len() > 1 && old.starts_with('0')) {
            return Err(bad("old の件数が正しくありません"));
        }
        let old_size: u64 = old.parse().map_err(|_| bad("old の件数が10進数ではありません"))?;
        let mut proof = Vec::new();
        for l in lines {
            let hash = B64
                .decode(l)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| bad("証明の行が32バイトの base64 ではありません"))?;
            proof.push(Hash(hash));
        }
        if proof.len() > 63 {
            return Err(bad("証明が長すぎます"));
        }
        Ok(Self { old_size, proof, checkpoint: checkpoint.to_owned() })
    }
}

/// What a witness keeps of a log: the latest checkpoint it cosigned.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Latest {
    pub size: u64,
    pub checkpoint: String,
}

/// Why a witness does not cosign. `Fork`, `Inconsistent` and `Rollback` are evidence that
/// the log showed two histories; the caller keeps both checkpoints.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("要求の形式が正しくありません: {0}")]
    Malformed(String),
    #[error("チェックポイントを受け付けません: {0}")]
    Checkpoint(CheckpointError),
    #[error("立会人が最後に連署した件数は {known} です（要求は件数 {claimed} からの証明）")]
    Conflict { known: u64, claimed: u64 },
    #[error(
        "ログの分岐: 件数 {size} のチェックポイントが、以前に連署したものと異なるルートを持っています（両方を証拠として保存しました）"
    )]
    Fork { size: u64, kept: String, shown: String },
    #[error("一貫性がありません: 件数 {new} のチェックポイントは、以前に連署した件数 {old} の木を含んでいることが証明されません（両方を証拠として保存しました）")]
    Inconsistent { old: u64, new: u64, kept: String, shown: String },
    #[error("巻き戻し: 件数 {shown_size} のチェックポイントは、以前に連署した件数 {known} より小さくなっています（両方を証拠として保存しました）")]
    Rollback { known: u64, shown_size: u64, kept: String, shown: String },
    #[error("連署できません: {0}")]
    Cosign(CosignatureError),
}

impl Refusal {
    /// The checkpoints to keep as evidence, `(kept, shown)`, when the refusal is one.
    pub fn evidence(&self) -> Option<(&str, &str)> {
        match self {
            Refusal::Fork { kept, shown, .. } | Refusal::Inconsistent { kept, shown, .. } | Refusal::Rollback { kept, shown, .. } => {
                Some((kept, shown))
            }
            _ => None,
        }
    }

    /// The HTTP status tlog-witness gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::Rollback { .. } => 400,
            Refusal::Checkpoint(_) => 403,
            Refusal::Conflict { .. } | Refusal::Fork { .. } => 409,
            Refusal::Inconsistent { .. } => 422,
            Refusal::Cosign(_) => 500,
        }
    }
}

/// Decides on `request` for the log of `origin` signed by `keys`, the witness having kept
/// `latest`; on success returns what to keep now and the cosignature line. `now` is the
/// time of the cosignature, in seconds since 1970.
pub fn add_checkpoint(
    origin: &str,
    keys: &KeyChain,
    latest: Option<&Latest>,
    request: &AddCheckpoint,
    witness: &WitnessKey,
    now: u64,
) -> Result<(Latest, String), Refusal> {
    let shown: SignedCheckpoint = keys.open(&request.checkpoint, Some(origin)).map_err(Refusal::Checkpoint)?;
    if request.old_size > shown.size {
        return Err(Refusal::Malformed(format!("old の件数 {} がチェックポイントの件数 {} を超えています", request.old_size, shown.size)));
    }
    let kept = match latest {
        Some(l) => Some((keys.open(&l.checkpoint, Some(origin)).map_err(Refusal::Checkpoint)?, l)),
        None => None,
    };
    let known = kept.as_ref().map_or(0, |(c, _)| c.size);
    if let Some((k, l)) = &kept {
        if shown.size == k.size && shown.root != k.root {
            return Err(Refusal::Fork { size: shown.size, kept: l.checkpoint.clone(), shown: request.checkpoint.clone() });
        }
        if shown.size < k.size {
            return Err(Refusal::Rollback {
                known: k.size,
                shown_size: shown.size,
                kept: l.checkpoint.clone(),
                shown: request.checkpoint.clone(),
            });
        }
    }
    if request.old_size != known {
        return Err(Refusal::Conflict { known, claimed: request.old_size });
    }
    let old_root = kept.as_ref().map_or(crate::EMPTY_HASH, |(c, _)| c.root);
    if !check_consistency(&request.proof, known, old_root, shown.size, shown.root) {
        let kept_text = kept.map(|(_, l)| l.checkpoint.clone()).unwrap_or_default();
        return Err(Refusal::Inconsistent { old: known, new: shown.size, kept: kept_text, shown: request.checkpoint.clone() });
    }
    let line = witness.cosign(&request.checkpoint, now).map_err(Refusal::Cosign)?;
    // Keep the log's checkpoint without other witnesses' lines.
    let bare = strip_foreign_lines(&request.checkpoint, keys);
    Ok((Latest { size: shown.size, checkpoint: bare }, line))
}

/// The checkpoint with only the log's own signature lines.
fn strip_foreign_lines(note: &str, keys: &KeyChain) -> String {
    let Some((body, sigs)) = note.rsplit_once("\n\n") else { return note.to_owned() };
    let mut out = format!("{body}\n\n");
    for line in sigs.lines() {
        let ours = signed_note::Signature::from_bytes(line.as_bytes())
            .is_ok_and(|s| keys.keys().iter().any(|k| k.key.name() == s.name() && k.key.id() == s.id()));
        if ours {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
