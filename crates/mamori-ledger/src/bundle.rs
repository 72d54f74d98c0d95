//! The offline bundle: everything needed to verify one organization's ledger with no
//! database, as JSON Lines.
//!
//! ```text
//! {"type":"header","format":"mamori-ledger-bundle/2","origin":…,"org_id":…,"public_key":…,"size":…,"exported_at":…}
//! {"type":"key_introduction","label":"…","text":"…"}                 ← key rotations, in order (format 2)
//! {"type":"checkpoint","label":"チェックポイント #1","text":"…"}      ← all checkpoints first
//! {"type":"cosigned","label":"…","text":"…"}                          ← checkpoints with witnesses' lines (format 2)
//! {"type":"entry","index":0,"leaf":"{…canonical leaf…}","payload":"{…}"}
//! {"type":"hash","index":0,"hash":"base64"}                           ← the stored hashes, as stored
//! ```
//!
//! Payloads travel with their personal-data fields already replaced by salted commitments;
//! no cleartext personal data is ever exported. `public_key` is the log's first key; a
//! rotated log carries the introductions that lead from it to the current key. Format 1
//! (no rotations, no cosignatures) is still read.

use std::io::{BufRead, Write};

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, VerifyingKey};
use crate::keys::KeyChain;
use crate::{Hash, Report, Verifier, WitnessPolicy};

pub const FORMAT: &str = "mamori-ledger-bundle/2";
const FORMAT_1: &str = "mamori-ledger-bundle/1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Header { format: String, origin: String, org_id: i64, public_key: String, size: u64, exported_at: String },
    Checkpoint { label: String, text: String },
    KeyIntroduction { label: String, text: String },
    Cosigned { label: String, text: String },
    Entry { index: u64, leaf: String, payload: Option<String> },
    Hash { index: u64, hash: String },
}

pub struct BundleWriter<W: Write> {
    out: W,
}

impl<W: Write> BundleWriter<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    pub fn line(&mut self, line: &Line) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, line)?;
        self.out.write_all(b"\n")
    }

    pub fn hash(&mut self, index: u64, hash: Hash) -> std::io::Result<()> {
        self.line(&Line::Hash { index, hash: base64::engine::general_purpose::STANDARD.encode(hash.0) })
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("bundle を読めません: {0}")]
    Io(#[from] std::io::Error),
    #[error("bundle の 1 行目がヘッダーではありません（{FORMAT} の形式ではありません）")]
    NoHeader,
    #[error("bundle の形式 `{0}` には対応していません（{FORMAT} のみ）")]
    Format(String),
    #[error("bundle の公開鍵が読めません: {0}")]
    Key(String),
    #[error("bundle の公開鍵 {found} が、指定された鍵 {pinned} と異なります")]
    KeyMismatch { pinned: String, found: String },
    #[error("{0}")]
    KeyChain(#[from] crate::keys::KeyChainError),
}

/// What a bundle said about itself.
#[derive(Debug, Clone)]
pub struct Header {
    pub origin: String,
    pub org_id: i64,
    pub public_key: String,
    pub size: u64,
    pub exported_at: String,
}

/// Verifies a bundle. With `pinned`, the bundle's public key must be that key; without it,
/// the bundle's own key is used and the caller should say so.
pub fn verify<R: BufRead>(input: R, pinned: Option<&VerifyingKey>, anchors: &[(String, String)]) -> Result<(Header, Report), BundleError> {
    verify_with(input, pinned, anchors, None)
}

/// [`verify`], also requiring witnesses' cosignatures by `policy`.
pub fn verify_with<R: BufRead>(
    input: R,
    pinned: Option<&VerifyingKey>,
    anchors: &[(String, String)],
    policy: Option<WitnessPolicy>,
) -> Result<(Header, Report), BundleError> {
    let mut lines = input.lines().enumerate().peekable();
    let header = match lines.next() {
        Some((_, line)) => match serde_json::from_str::<Line>(&line?) {
            Ok(Line::Header { format, origin, org_id, public_key, size, exported_at }) => {
                if format != FORMAT && format != FORMAT_1 {
                    return Err(BundleError::Format(format));
                }
                Header { origin, org_id, public_key, size, exported_at }
            }
            _ => return Err(BundleError::NoHeader),
        },
        None => return Err(BundleError::NoHeader),
    };
    let key = VerifyingKey::parse(&header.public_key).map_err(|e| BundleError::Key(e.to_string()))?;
    if let Some(pinned) = pinned {
        if pinned.text() != key.text() {
            return Err(BundleError::KeyMismatch { pinned: pinned.text().to_owned(), found: key.text().to_owned() });
        }
    }
    // The key introductions come first: they make the chain every checkpoint is opened with.
    let mut intros: Vec<(String, String)> = Vec::new();
    while let Some((_, Ok(line))) = lines.peek() {
        match serde_json::from_str::<Line>(line) {
            Ok(Line::KeyIntroduction { label, text }) => {
                intros.push((label, text));
                lines.next();
            }
            _ => break,
        }
    }
    let chain = KeyChain::from_introductions(&key, &header.origin, &intros)?;
    if chain.first().text() != key.text() {
        return Err(BundleError::Key(format!("bundle の公開鍵 {} が鍵の連鎖の最初の鍵ではありません", key.text())));
    }
    let mut verifier = Verifier::with_keys(&header.origin, chain.clone(), Some(header.org_id));
    if let Some(policy) = policy {
        verifier.require_witnesses(policy);
    }
    for (label, text) in &intros {
        if let Ok(intro) = crate::keys::KeyIntroduction::open(label, text) {
            verifier.key_introduction(label, &intro);
        }
    }
    for (label, text) in anchors {
        verifier.anchor(label, text);
    }
    let mut seen_entry = false;
    let mut hashes: Vec<(u64, Hash)> = Vec::new();
    let mut checkpoints = Checkpoints { keys: chain, lines: Vec::new() };
    for (number, line) in lines {
        let line = line?;
        let number = number + 1;
        let parsed: Line = match serde_json::from_str(&line) {
            Ok(l) => l,
            Err(e) => {
                checkpoints.flush(&mut verifier);
                verifier.problem(format!("[bundle {number} 行目] 読めません: {e}"));
                continue;
            }
        };
        if !matches!(parsed, Line::Checkpoint { .. }) {
            checkpoints.flush(&mut verifier);
        }
        match parsed {
            Line::Header { .. } => verifier.problem(format!("[bundle {number} 行目] ヘッダーが2つあります")),
            Line::KeyIntroduction { .. } => {
                verifier.problem(format!("[bundle {number} 行目] 鍵の引き継ぎはヘッダーの直後に置く必要があります"))
            }
            Line::Cosigned { label, text } => {
                if seen_entry {
                    verifier.problem(format!("[bundle {number} 行目] 連署付きチェックポイントは記録より前に置く必要があります"));
                }
                verifier.witnessed(&label, &text);
            }
            Line::Checkpoint { label, text } => {
                if seen_entry {
                    // Out of place: fed at once, as it comes (nothing is kept after an entry).
                    verifier.problem(format!("[bundle {number} 行目] チェックポイントは記録より前に置く必要があります"));
                    verifier.checkpoint(&label, &text);
                } else {
                    checkpoints.push(label, text, &mut verifier);
                }
            }
            Line::Entry { index, leaf, payload } => {
                seen_entry = true;
                flush_hashes(&mut verifier, &mut hashes, false);
                verifier.entry_text(index, &leaf, payload.as_deref());
            }
            Line::Hash { index, hash } => {
                let decoded = base64::engine::general_purpose::STANDARD.decode(&hash).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
                match decoded {
                    Some(bytes) => hashes.push((index, Hash(bytes))),
                    None => verifier.problem(format!("[bundle {number} 行目] ハッシュが32バイトの base64 ではありません")),
                }
            }
        }
    }
    checkpoints.flush(&mut verifier);
    flush_hashes(&mut verifier, &mut hashes, true);
    let report = verifier.finish(Some(header.size));
    Ok((header, report))
}

/// Checkpoint lines in a row, kept until the next line of another kind (or [`Self::MOST`]
/// of them), then opened together: their signatures checked as Ed25519 batches
/// ([`checkpoint::open_all`]), each fed to the verifier in its turn as
/// [`Verifier::checkpoint`] would have been at its own line.
struct Checkpoints {
    /// The keys the verifier checks signatures with.
    keys: KeyChain,
    lines: Vec<(String, String)>,
}

impl Checkpoints {
    /// Enough for a batch to pay off, few enough to keep memory small whatever the bundle.
    const MOST: usize = 4096;

    fn push(&mut self, label: String, text: String, verifier: &mut Verifier) {
        self.lines.push((label, text));
        if self.lines.len() >= Self::MOST {
            self.flush(verifier);
        }
    }

    fn flush(&mut self, verifier: &mut Verifier) {
        if self.lines.is_empty() {
            return;
        }
        let texts: Vec<&str> = self.lines.iter().map(|(_, t)| t.as_str()).collect();
        let opened = self.keys.open_all(&texts, checkpoint::signature_threads());
        for ((label, _), opened) in self.lines.iter().zip(opened) {
            verifier.opened_checkpoint(label, opened);
        }
        self.lines.clear();
    }
}

fn flush_hashes(verifier: &mut Verifier, hashes: &mut Vec<(u64, Hash)>, all: bool) {
    let due = if all { u64::MAX } else { verifier.stored_hashes_due() };
    hashes.sort_by_key(|(i, _)| *i);
    let mut keep = Vec::new();
    for (index, hash) in hashes.drain(..) {
        if index < due {
            verifier.stored_hash(index, hash);
        } else {
            keep.push((index, hash));
        }
    }
    *hashes = keep;
}
