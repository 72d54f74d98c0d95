//! Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519.
//!
//! ```text
//! mamori-3f9a0c21/shime            ← origin: <key name>/<organization code>
//! 1024                             ← tree size, decimal, no leading zeros
//! x0uF…=                           ← root hash, canonical standard base64
//!
//! — mamori-3f9a0c21 AbCd…          ← signature line: key name, base64(key id ‖ signature)
//! ```
//!
//! Parsing is strict and says what is wrong: control characters, a size with leading
//! zeros, base64 that does not re-encode to itself, an unknown signer and a bad signature
//! are each their own error.

use base64::Engine;
use signed_note::{Note, NoteError, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::Checkpoint;

use crate::Hash;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The installation's checkpoint signing key (Ed25519), in the signed-note text form
/// `PRIVATE+KEY+<name>+<id>+<base64>`.
#[derive(Clone)]
pub struct LedgerKey {
    signer: StandardSigner,
    skey: String,
    verifying: VerifyingKey,
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerKey").field("public", &self.verifying.text).finish_non_exhaustive()
    }
}

/// A public verifier key in the signed-note text form `<name>+<id>+<base64>`.
#[derive(Clone)]
pub struct VerifyingKey {
    verifier: StandardVerifier,
    text: String,
    name: String,
    /// The key id and the Ed25519 key itself, for checking signatures in batches.
    id: u32,
    ed25519: ed25519_dalek::VerifyingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("鍵の名前 `{0}` は使えません（空白と + を含まない名前にしてください）")]
    Name(String),
    #[error("署名鍵の形式が正しくありません（PRIVATE+KEY+名前+鍵ID+base64 の1行）")]
    Private,
    #[error("公開鍵の形式が正しくありません（名前+鍵ID+base64 の1行）")]
    Public,
}

impl LedgerKey {
    /// A new random key with the given name.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(KeyError::Name(name.to_owned()));
        }
        let (skey, _vkey) = signed_note::generate_key(&mut rand::rngs::OsRng, name);
        Self::from_text(&skey)
    }

    /// Reads a key from its text form (surrounding whitespace ignored).
    pub fn from_text(text: &str) -> Result<Self, KeyError> {
        let skey = text.trim();
        let signer = StandardSigner::new(skey).map_err(|_| KeyError::Private)?;
        let (_, rest) = skey.split_once("PRIVATE+KEY+").ok_or(KeyError::Private)?;
        let mut parts = rest.splitn(3, '+');
        let (name, _id, key64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(i), Some(k)) => (n, i, k),
            _ => return Err(KeyError::Private),
        };
        let key = B64.decode(key64).map_err(|_| KeyError::Private)?;
        if key.len() != 33 {
            return Err(KeyError::Private);
        }
        let secret: [u8; 32] = key[1..].try_into().map_err(|_| KeyError::Private)?;
        let public = ed25519_public(&secret);
        let vkey = signed_note::new_ed25519_verifier_key(name, &public);
        Ok(Self { signer, skey: skey.to_owned(), verifying: VerifyingKey::parse(&vkey).map_err(|_| KeyError::Private)? })
    }

    /// The text to write to the key file.
    pub fn to_text(&self) -> String {
        format!("{}\n", self.skey)
    }

    pub fn name(&self) -> &str {
        &self.verifying.name
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying
    }

    /// The key as `signed_note` signs with it (for notes other than checkpoints).
    pub(crate) fn signer(&self) -> &dyn signed_note::Signer {
        &self.signer
    }

    /// Signs the checkpoint of `origin` at `size` with `root`.
    pub fn sign(&self, origin: &str, size: u64, root: Hash) -> SignedCheckpoint {
        let body = Checkpoint::new(origin, size, root, "").expect("origins are never empty");
        let mut note = Note::new(&body.to_bytes(), &[]).expect("a checkpoint body is a well-formed note text");
        note.add_sigs(&[&self.signer]).expect("the key name was checked when the key was made");
        SignedCheckpoint { origin: origin.to_owned(), size, root, text: String::from_utf8(note.to_bytes()).expect("notes are UTF-8") }
    }
}

fn ed25519_public(secret: &[u8; 32]) -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(secret).verifying_key()
}

impl VerifyingKey {
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let verifier = StandardVerifier::new(text).map_err(|_| KeyError::Public)?;
        let name = text.split('+').next().unwrap_or_default().to_owned();
        // `StandardVerifier::new` has checked the form: name+id+base64(0x01 ‖ key).
        let key = text.splitn(3, '+').nth(2).and_then(|k| B64.decode(k).ok()).ok_or(KeyError::Public)?;
        let ed25519 = key
            .get(1..)
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
            .ok_or(KeyError::Public)?;
        let id = signed_note::Verifier::key_id(&verifier);
        Ok(Self { verifier, text: text.to_owned(), name, id, ed25519 })
    }

    /// The key in text form, to show and to pin with `--public-key`.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id of the signed-note signature lines this key makes.
    pub fn id(&self) -> u32 {
        self.id
    }

    pub(crate) fn note_verifier(&self) -> StandardVerifier {
        self.verifier.clone()
    }
}

/// A checkpoint whose signature has been made or checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The whole signed note, as stored and printed.
    pub text: String,
}

impl SignedCheckpoint {
    pub fn root_base64(&self) -> String {
        B64.encode(self.root.0)
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("チェックポイントの形式が正しくありません: {0}")]
    Malformed(String),
    #[error("チェックポイントが既知の鍵で署名されていません（署名者: {0}）")]
    UnknownKey(String),
    #[error("チェックポイントの署名が正しくありません（鍵 {0}）")]
    BadSignature(String),
    #[error("チェックポイントの origin が `{found}` です（期待: `{expected}`）")]
    WrongOrigin { expected: String, found: String },
    #[error("チェックポイント（件数 {size}）が、件数 {handover} で次の鍵に引き継がれた鍵 {key} で署名されています（引き継ぎ後の署名は認めません）")]
    RetiredKey { key: String, size: u64, handover: u64 },
    #[error("チェックポイント（件数 {size}）が、件数 {handover} から使われるはずの鍵 {key} で署名されています")]
    KeyNotYetIntroduced { key: String, size: u64, handover: u64 },
}

/// Parses a signed checkpoint and checks its signature against `key`, and its origin when
/// one is expected.
pub fn open(text: &str, key: &VerifyingKey, expected_origin: Option<&str>) -> Result<SignedCheckpoint, CheckpointError> {
    let parsed = parse(text)?;
    check_signature(&parsed.note, text, key)?;
    parsed.into_checkpoint(text, expected_origin)
}

/// The threads to give [`open_all`] for many checkpoints: one per processor, up to four.
pub fn signature_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
}

/// Opens every text as [`open`]`(text, key, None)` would, with the same result for each,
/// checking the signatures made by `key` as batches (Ed25519 batch verification, about a
/// third of the cost of checking them one by one; a full verify checks one signature per
/// group commit). A batch that fails is checked again one signature at a time, so that
/// each checkpoint gets its own verdict. Uses up to `threads` threads.
pub fn open_all(texts: &[&str], key: &VerifyingKey, threads: usize) -> Vec<Result<SignedCheckpoint, CheckpointError>> {
    let parsed: Vec<Result<Parsed, CheckpointError>> = texts.iter().map(|t| parse(t)).collect();
    // The checkpoints whose only signature by `key` is a well-formed Ed25519 signature, as
    // (position, signature); the others are checked one by one.
    let mut batch: Vec<(usize, ed25519_dalek::Signature)> = Vec::new();
    let mut signed: Vec<Option<Result<(), CheckpointError>>> = Vec::with_capacity(texts.len());
    for (i, (text, p)) in texts.iter().zip(&parsed).enumerate() {
        match p {
            Err(_) => signed.push(Some(Ok(()))),
            Ok(p) => match batchable_signature(text, key) {
                Some(sig) => {
                    batch.push((i, sig));
                    signed.push(None);
                }
                None => signed.push(Some(check_signature(&p.note, text, key))),
            },
        }
    }
    let messages: Vec<(&[u8], ed25519_dalek::Signature)> =
        batch.iter().map(|(i, sig)| (parsed[*i].as_ref().map(|p| p.note.text()).unwrap_or_default(), *sig)).collect();
    // One batch per thread, of at least 64.
    let part = messages.len().div_ceil(threads.max(1)).max(64);
    let holds: Vec<bool> = std::thread::scope(|s| {
        let mut chunks = messages.chunks(part);
        let first = chunks.next().unwrap_or_default();
        let others: Vec<_> = chunks.map(|c| s.spawn(move || verify_batch(c, key))).collect();
        let mut all = verify_batch(first, key);
        for h in others {
            match h.join() {
                Ok(v) => all.extend(v),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    for ((i, _), holds) in batch.iter().zip(holds) {
        // A signature that does not hold gets the one-by-one path's own error.
        signed[*i] = Some(match (&parsed[*i], holds) {
            (Ok(_), true) | (Err(_), _) => Ok(()),
            (Ok(p), false) => check_signature(&p.note, texts[*i], key),
        });
    }
    parsed
        .into_iter()
        .zip(signed)
        .zip(texts)
        .map(|((p, signed), text)| {
            let p = p?;
            signed.expect("every parsed checkpoint has a signature verdict")?;
            p.into_checkpoint(text, None)
        })
        .collect()
}

/// For each signature of a batch, whether it holds: all when the batch as a whole
/// verifies, otherwise each checked on its own.
fn verify_batch(batch: &[(&[u8], ed25519_dalek::Signature)], key: &VerifyingKey) -> Vec<bool> {
    if batch.is_empty() {
        return Vec::new();
    }
    let messages: Vec<&[u8]> = batch.iter().map(|(m, _)| *m).collect();
    let signatures: Vec<ed25519_dalek::Signature> = batch.iter().map(|(_, s)| *s).collect();
    let keys = vec![key.ed25519; batch.len()];
    if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
        return vec![true; batch.len()];
    }
    batch.iter().map(|(m, s)| ed25519_dalek::Verifier::verify(&key.ed25519, m, s).is_ok()).collect()
}

/// The signature by `key` when it is the note's only signature line with `key`'s name and
/// id and is 64 bytes: then `Note::verify` with `key` alone checks exactly that signature,
/// and its verdict is that signature's.
fn batchable_signature(text: &str, key: &VerifyingKey) -> Option<ed25519_dalek::Signature> {
    let (_, block) = text.rsplit_once("\n\n")?;
    let mut found = None;
    for line in block.strip_suffix('\n')?.split('\n') {
        let sig = signed_note::Signature::from_bytes(line.as_bytes()).ok()?;
        if sig.name() == key.name && sig.id() == key.id {
            if found.is_some() {
                return None;
            }
            found = Some(ed25519_dalek::Signature::from_slice(sig.signature()).ok()?);
        }
    }
    found
}

/// A checkpoint whose text has passed every check but the signature.
struct Parsed {
    note: Note,
    checkpoint: Checkpoint,
}

impl Parsed {
    fn into_checkpoint(self, text: &str, expected_origin: Option<&str>) -> Result<SignedCheckpoint, CheckpointError> {
        let parsed = self.checkpoint;
        if let Some(expected) = expected_origin {
            if parsed.origin() != expected {
                return Err(CheckpointError::WrongOrigin { expected: expected.to_owned(), found: parsed.origin().to_owned() });
            }
        }
        Ok(SignedCheckpoint { origin: parsed.origin().to_owned(), size: parsed.size(), root: *parsed.hash(), text: text.to_owned() })
    }
}

fn parse(text: &str) -> Result<Parsed, CheckpointError> {
    let malformed = |why: &str| CheckpointError::Malformed(why.to_owned());
    if let Some((line, ch)) =
        text.lines().enumerate().find_map(|(i, l)| l.chars().find(|c| c.is_control() && *c != '\n').map(|c| (i + 1, c)))
    {
        return Err(CheckpointError::Malformed(format!("{line} 行目に制御文字 U+{:04X} があります", ch as u32)));
    }
    let note = Note::from_bytes(text.as_bytes())
        .map_err(|_| malformed("署名付きノート（本文・空行・「— 鍵名 署名」の行）の形になっていません"))?;
    let body = std::str::from_utf8(note.text()).map_err(|_| malformed("UTF-8 ではありません"))?;
    let lines: Vec<&str> = body.split('\n').collect();
    // body ends with '\n', so the last element is empty.
    if lines.len() < 4 {
        return Err(malformed("本文は origin・件数・ルートハッシュの3行が必要です"));
    }
    let (origin, size_text, root_text) = (lines[0], lines[1], lines[2]);
    if origin.is_empty() {
        return Err(malformed("1 行目（origin）が空です"));
    }
    if size_text.is_empty() || !size_text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("2 行目（件数）が10進数ではありません"));
    }
    if size_text.len() > 1 && size_text.starts_with('0') {
        return Err(malformed("2 行目（件数）が 0 で始まっています"));
    }
    match B64.decode(root_text) {
        Ok(bytes) if bytes.len() == 32 && B64.encode(&bytes) == root_text => {}
        Ok(bytes) if bytes.len() != 32 => return Err(malformed("3 行目（ルートハッシュ）が32バイトではありません")),
        _ => return Err(malformed("3 行目（ルートハッシュ）が正規の base64 ではありません")),
    }
    let parsed = Checkpoint::from_bytes(note.text()).map_err(|_| malformed("C2SP tlog-checkpoint の本文として読めません"))?;
    for line in text.rsplit_once("\n\n").map(|(_, s)| s).unwrap_or_default().lines() {
        let b64 = line.rsplit(' ').next().unwrap_or_default();
        match B64.decode(b64) {
            Ok(bytes) if B64.encode(&bytes) == b64 => {}
            _ => return Err(malformed("署名行の base64 が正規の形ではありません")),
        }
    }
    Ok(Parsed { note, checkpoint: parsed })
}

/// `Note::verify` with `key` alone, its errors as [`CheckpointError`]s.
fn check_signature(note: &Note, text: &str, key: &VerifyingKey) -> Result<(), CheckpointError> {
    let list = VerifierList::new(vec![Box::new(key.verifier.clone())]);
    match note.verify(&list) {
        Ok(_) => Ok(()),
        Err(NoteError::UnverifiedNote) => {
            let signers = text
                .rsplit_once("\n\n")
                .map(|(_, s)| {
                    s.lines().filter_map(|l| l.strip_prefix("— ")).filter_map(|l| l.split(' ').next()).collect::<Vec<_>>().join(", ")
                })
                .unwrap_or_default();
            Err(CheckpointError::UnknownKey(signers))
        }
        Err(NoteError::InvalidSignature { name, id }) => Err(CheckpointError::BadSignature(format!("{name}+{id:08x}"))),
        Err(e) => Err(CheckpointError::Malformed(e.to_string())),
    }
}
