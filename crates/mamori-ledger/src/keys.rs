//! Key rotation: the chain of checkpoint keys a log has had, each introduced by the one
//! before it.
//!
//! When the installation's key is rotated (`mamori ledger key rotate`), the old key signs
//! an *introduction* of the new one for each organization's log, and the new key signs it
//! too (so the new key accepts the handover as much as the old one gives it):
//!
//! ```text
//! mamori ledger key introduction
//! mamori-3f9a0c21/shime              ← the log's origin (the name stays, only the key id changes)
//! 317                                ← the size at the handover …
//! x0uF…=                             ← … and the root there
//! old mamori-3f9a0c21+1a2b3c4d+AQ…   ← the key that signed up to here
//! new mamori-3f9a0c21+5e6f7a8b+AQ…   ← the key that signs from here on
//!
//! — mamori-3f9a0c21 …                ← the old key's signature
//! — mamori-3f9a0c21 …                ← the new key's signature
//! ```
//!
//! A verifier that trusts any one key of the chain (the first, pinned by the auditor or
//! carried by a bundle; or the current one, from the key file) follows every link. The old
//! key is accepted for checkpoints up to the handover size, the new one from it on; a key
//! that no introduction names is refused, and so is a retired key signing past its handover.

use signed_note::{Note, VerifierList};

use crate::checkpoint::{self, CheckpointError, SignedCheckpoint, VerifyingKey};
use crate::{Hash, LedgerKey};

const HEADER: &str = "mamori ledger key introduction";

/// One key of a chain and the checkpoint sizes it may sign.
#[derive(Debug, Clone)]
pub struct ChainKey {
    pub key: VerifyingKey,
    pub from: u64,
    /// The handover size, for every key but the last.
    pub until: Option<u64>,
}

/// The keys that may sign a log's checkpoints, oldest first.
#[derive(Debug, Clone)]
pub struct KeyChain {
    keys: Vec<ChainKey>,
}

/// An introduction whose two signatures hold.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyIntroduction {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub old: String,
    pub new: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyChainError {
    #[error("鍵の引き継ぎ {0} が読めません: {1}")]
    Malformed(String, String),
    #[error("鍵の引き継ぎ {0} の署名が正しくありません（旧鍵と新鍵の両方の署名が必要です）")]
    Signature(String),
    #[error("鍵の引き継ぎ {label} の旧鍵 {found} が、その前の鍵 {expected} ではありません（連鎖が切れています）")]
    Broken { label: String, expected: String, found: String },
    #[error("鍵の引き継ぎ {label} の origin が `{found}` です（期待: `{expected}`）")]
    Origin { label: String, expected: String, found: String },
    #[error("鍵の引き継ぎ {label} の件数 {size} が前の引き継ぎ（件数 {previous}）より小さくなっています")]
    Order { label: String, size: u64, previous: u64 },
    #[error("鍵 {0} は、この台帳の鍵の引き継ぎの連鎖にありません（引き継ぎのない鍵は認めません）")]
    NotInChain(String),
}

impl KeyChain {
    /// A chain of one key, valid for every size.
    pub fn single(key: VerifyingKey) -> Self {
        Self { keys: vec![ChainKey { key, from: 0, until: None }] }
    }

    /// Keys a witness was configured with, each accepted for every size: a witness checks
    /// consistency, not which key's turn it was (the verifier does that).
    pub fn any_of(keys: Vec<VerifyingKey>) -> Self {
        Self { keys: keys.into_iter().map(|key| ChainKey { key, from: 0, until: None }).collect() }
    }

    /// The chain the introductions make, in the order given (the order of their sizes).
    /// `trusted` must be one of its keys; with no introduction, the chain is `trusted`
    /// alone. Each introduction is labelled in errors by its position in `intros`.
    pub fn from_introductions(trusted: &VerifyingKey, origin: &str, intros: &[(String, String)]) -> Result<Self, KeyChainError> {
        if intros.is_empty() {
            return Ok(Self::single(trusted.clone()));
        }
        let mut keys: Vec<ChainKey> = Vec::new();
        let mut previous = 0;
        for (label, text) in intros {
            let intro = KeyIntroduction::open(label, text)?;
            if intro.origin != origin {
                return Err(KeyChainError::Origin { label: label.clone(), expected: origin.to_owned(), found: intro.origin });
            }
            if intro.size < previous {
                return Err(KeyChainError::Order { label: label.clone(), size: intro.size, previous });
            }
            match keys.last_mut() {
                None => keys.push(ChainKey { key: parse_key(label, &intro.old)?, from: 0, until: Some(intro.size) }),
                Some(last) if last.key.text() == intro.old => last.until = Some(intro.size),
                Some(last) => {
                    return Err(KeyChainError::Broken { label: label.clone(), expected: last.key.text().to_owned(), found: intro.old })
                }
            }
            keys.push(ChainKey { key: parse_key(label, &intro.new)?, from: intro.size, until: None });
            previous = intro.size;
        }
        if !keys.iter().any(|k| k.key.text() == trusted.text()) {
            return Err(KeyChainError::NotInChain(trusted.text().to_owned()));
        }
        Ok(Self { keys })
    }

    pub fn keys(&self) -> &[ChainKey] {
        &self.keys
    }

    /// The first key: the one the log began with.
    pub fn first(&self) -> &VerifyingKey {
        &self.keys[0].key
    }

    /// The key that signs now.
    pub fn current(&self) -> &VerifyingKey {
        &self.keys[self.keys.len() - 1].key
    }

    pub fn contains(&self, key: &VerifyingKey) -> bool {
        self.keys.iter().any(|k| k.key.text() == key.text())
    }

    /// The chain keys that have a signature line on `text`, in chain order.
    fn signers<'a>(&'a self, text: &str) -> Vec<&'a ChainKey> {
        let lines: Vec<(String, u32)> = crate::cosignature::signature_lines(text)
            .filter_map(|l| signed_note::Signature::from_bytes(l.as_bytes()).ok())
            .map(|s| (s.name().to_owned(), s.id()))
            .collect();
        self.keys.iter().filter(|k| lines.iter().any(|(n, i)| n == k.key.name() && *i == k.key.id())).collect()
    }

    /// [`checkpoint::open`] with whichever key of the chain signed `text`, within the sizes
    /// that key may sign.
    pub fn open(&self, text: &str, expected_origin: Option<&str>) -> Result<SignedCheckpoint, CheckpointError> {
        let signers = self.signers(text);
        if signers.is_empty() {
            return checkpoint::open(text, self.current(), expected_origin);
        }
        let mut last = None;
        for k in signers {
            let opened = checkpoint::open(text, &k.key, expected_origin).and_then(|c| in_range(k, c));
            match opened {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one signer was tried"))
    }

    /// [`KeyChain::open`] for many texts, with the same result for each; signatures are
    /// checked in batches per key ([`checkpoint::open_all`]).
    pub fn open_all(&self, texts: &[&str], threads: usize) -> Vec<Result<SignedCheckpoint, CheckpointError>> {
        if self.keys.len() == 1 {
            return checkpoint::open_all(texts, self.current(), threads);
        }
        let mut out: Vec<Option<Result<SignedCheckpoint, CheckpointError>>> = (0..texts.len()).map(|_| None).collect();
        // Group by the first chain key that has a line on the text; texts no key signed
        // get the current key's verdict (unknown key).
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); self.keys.len()];
        for (i, t) in texts.iter().enumerate() {
            let signers = self.signers(t);
            let k = signers.first().map(|k| self.keys.iter().position(|c| c.key.text() == k.key.text()).expect("a chain key"));
            groups[k.unwrap_or(self.keys.len() - 1)].push(i);
        }
        for (k, members) in groups.iter().enumerate() {
            if members.is_empty() {
                continue;
            }
            let group: Vec<&str> = members.iter().map(|&i| texts[i]).collect();
            let opened = checkpoint::open_all(&group, &self.keys[k].key, threads);
            for (&i, result) in members.iter().zip(opened) {
                out[i] = Some(match result.and_then(|c| in_range(&self.keys[k], c)) {
                    Ok(c) => Ok(c),
                    // Another key of the chain may also have signed it, within its sizes.
                    Err(_) => self.open(texts[i], None),
                });
            }
        }
        out.into_iter().map(|r| r.expect("every text was in a group")).collect()
    }
}

fn in_range(k: &ChainKey, c: SignedCheckpoint) -> Result<SignedCheckpoint, CheckpointError> {
    if let Some(until) = k.until {
        if c.size > until {
            return Err(CheckpointError::RetiredKey { key: k.key.text().to_owned(), size: c.size, handover: until });
        }
    }
    if c.size < k.from {
        return Err(CheckpointError::KeyNotYetIntroduced { key: k.key.text().to_owned(), size: c.size, handover: k.from });
    }
    Ok(c)
}

fn parse_key(label: &str, text: &str) -> Result<VerifyingKey, KeyChainError> {
    VerifyingKey::parse(text).map_err(|e| KeyChainError::Malformed(label.to_owned(), e.to_string()))
}

impl KeyIntroduction {
    /// The introduction of `new` by `old` for the log of `origin`, handed over at `size`
    /// with `root`, signed by both.
    pub fn make(old: &LedgerKey, new: &LedgerKey, origin: &str, size: u64, root: Hash) -> String {
        use base64::Engine;
        let body = format!(
            "{HEADER}\n{origin}\n{size}\n{}\nold {}\nnew {}\n",
            base64::engine::general_purpose::STANDARD.encode(root.0),
            old.verifying_key().text(),
            new.verifying_key().text()
        );
        let mut note = Note::new(body.as_bytes(), &[]).expect("the body is a well-formed note text");
        note.add_sigs(&[old.signer(), new.signer()]).expect("key names were checked when the keys were made");
        String::from_utf8(note.to_bytes()).expect("notes are UTF-8")
    }

    /// Parses an introduction and checks that both keys it names have signed it.
    pub fn open(label: &str, text: &str) -> Result<Self, KeyChainError> {
        use base64::Engine;
        let bad = |why: &str| KeyChainError::Malformed(label.to_owned(), why.to_owned());
        let note = Note::from_bytes(text.as_bytes()).map_err(|_| bad("署名付きノートの形になっていません"))?;
        let body = std::str::from_utf8(note.text()).map_err(|_| bad("UTF-8 ではありません"))?;
        let lines: Vec<&str> = body.lines().collect();
        if lines.len() != 6 || lines[0] != HEADER {
            return Err(bad("本文は見出し・origin・件数・ルート・old・new の6行です"));
        }
        let size: u64 = lines[2].parse().map_err(|_| bad("件数が10進数ではありません"))?;
        let root = base64::engine::general_purpose::STANDARD
            .decode(lines[3])
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Hash)
            .ok_or_else(|| bad("ルートが32バイトの base64 ではありません"))?;
        let old = lines[4].strip_prefix("old ").ok_or_else(|| bad("5 行目は old 鍵です"))?;
        let new = lines[5].strip_prefix("new ").ok_or_else(|| bad("6 行目は new 鍵です"))?;
        let (old_key, new_key) = (parse_key(label, old)?, parse_key(label, new)?);
        for key in [&old_key, &new_key] {
            let list = VerifierList::new(vec![Box::new(key.note_verifier())]);
            match note.verify(&list) {
                Ok((verified, _)) if !verified.is_empty() => {}
                _ => return Err(KeyChainError::Signature(label.to_owned())),
            }
        }
        Ok(Self { origin: lines[1].to_owned(), size, root, old: old.to_owned(), new: new.to_owned(), text: text.to_owned() })
    }
}
