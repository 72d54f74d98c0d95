//! Witness cosignatures: C2SP tlog-cosignature/v1 over a checkpoint, Ed25519.
//!
//! A witness is a party outside the server (the auditors, 監査委員, another body) that keeps
//! the largest checkpoint it has seen of a log, checks that each new one is consistent with
//! it, and then signs it. Its signature line sits below the log's own:
//!
//! ```text
//! mamori-3f9a0c21/shime
//! 1024
//! x0uF…=
//!
//! — mamori-3f9a0c21 AbCd…                 ← the log's signature (the server's key)
//! — kansa.shime.example/w1 jWbP…          ← base64(key id ‖ u64 timestamp ‖ Ed25519 signature)
//! ```
//!
//! The signed message is `cosignature/v1\ntime <seconds>\n` followed by the checkpoint's
//! note body, and the key id is SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4], as the spec
//! says. The keys are written in the signed-note text forms with the algorithm byte 0x04
//! (`PRIVATE+KEY+<name>+<id>+<base64>` and `<name>+<id>+<base64>`). Signing and checking
//! plug into `signed_note`'s `Signer` and `Verifier` traits, so the note code is the
//! crate's; what is ours is the message the spec defines.

use base64::Engine;
use ed25519_dalek::{Signer as _, Verifier as _};
use signed_note::{Note, Signature, VerifierList};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The algorithm byte of an Ed25519 cosignature/v1 key.
const ALG_COSIGNATURE_V1: u8 = 0x04;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CosignatureError {
    #[error("立会人の鍵の名前 `{0}` は使えません（空白と + を含まない名前にしてください）")]
    Name(String),
    #[error("立会人の署名鍵の形式が正しくありません（PRIVATE+KEY+名前+鍵ID+base64 の1行、cosignature/v1）")]
    Private,
    #[error("立会人の公開鍵の形式が正しくありません（名前+鍵ID+base64 の1行、cosignature/v1）")]
    Public,
    #[error("連署の行が読めません: {0}")]
    Line(String),
    #[error("チェックポイントが署名付きノートとして読めません")]
    Note,
}

fn key_id(name: &str, public: &ed25519_dalek::VerifyingKey) -> u32 {
    let mut material = vec![ALG_COSIGNATURE_V1];
    material.extend_from_slice(public.as_bytes());
    signed_note::key_id(name, &material)
}

/// The message a cosignature/v1 signs: the header, the time line and the note body.
fn message(timestamp: u64, body: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

/// A witness's signing key.
#[derive(Clone)]
pub struct WitnessKey {
    name: String,
    id: u32,
    signing: ed25519_dalek::SigningKey,
    public: WitnessPublicKey,
}

impl std::fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessKey").field("public", &self.public.text).finish_non_exhaustive()
    }
}

impl WitnessKey {
    /// A new random key. The name should say who the witness is
    /// (`kansa.shime.example/w1`), as it stands in every cosignature line.
    pub fn generate(name: &str) -> Result<Self, CosignatureError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(CosignatureError::Name(name.to_owned()));
        }
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        Ok(Self::from_parts(name, signing))
    }

    fn from_parts(name: &str, signing: ed25519_dalek::SigningKey) -> Self {
        let verifying = signing.verifying_key();
        let id = key_id(name, &verifying);
        let public = WitnessPublicKey::from_parts(name, verifying);
        Self { name: name.to_owned(), id, signing, public }
    }

    pub fn from_text(text: &str) -> Result<Self, CosignatureError> {
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or(CosignatureError::Private)?;
        let mut parts = rest.splitn(3, '+');
        let (name, id, key64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(i), Some(k)) => (n, i, k),
            _ => return Err(CosignatureError::Private),
        };
        let key = B64.decode(key64).map_err(|_| CosignatureError::Private)?;
        if key.len() != 33 || key[0] != ALG_COSIGNATURE_V1 || !signed_note::is_key_name_valid(name) {
            return Err(CosignatureError::Private);
        }
        let secret: [u8; 32] = key[1..].try_into().map_err(|_| CosignatureError::Private)?;
        let made = Self::from_parts(name, ed25519_dalek::SigningKey::from_bytes(&secret));
        if format!("{:08x}", made.id) != id {
            return Err(CosignatureError::Private);
        }
        Ok(made)
    }

    /// The text to write to the witness's key file.
    pub fn to_text(&self) -> String {
        let mut key = vec![ALG_COSIGNATURE_V1];
        key.extend_from_slice(self.signing.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}\n", self.name, self.id, B64.encode(key))
    }

    pub fn public(&self) -> &WitnessPublicKey {
        &self.public
    }

    /// The cosignature line (`— name base64…`, with its newline) of the checkpoint `note`
    /// at `timestamp` (seconds since 1970). The caller has checked the checkpoint.
    pub fn cosign(&self, note: &str, timestamp: u64) -> Result<String, CosignatureError> {
        let parsed = Note::from_bytes(note.as_bytes()).map_err(|_| CosignatureError::Note)?;
        let signer = TimedSigner { key: self, timestamp };
        let sig = signed_note::Signer::sign(&signer, parsed.text()).map_err(|_| CosignatureError::Note)?;
        let line = Signature::new(self.name.clone(), self.id, sig).map_err(|e| CosignatureError::Line(e.to_string()))?;
        String::from_utf8(line.to_bytes()).map_err(|_| CosignatureError::Note)
    }
}

/// `signed_note`'s signer for one cosignature at a given time.
struct TimedSigner<'a> {
    key: &'a WitnessKey,
    timestamp: u64,
}

impl signed_note::Signer for TimedSigner<'_> {
    fn name(&self) -> &str {
        &self.key.name
    }

    fn key_id(&self) -> u32 {
        self.key.id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        let mut out = self.timestamp.to_be_bytes().to_vec();
        out.extend_from_slice(&self.key.signing.sign(&message(self.timestamp, msg)).to_bytes());
        Ok(out)
    }
}

/// A witness's public key, as the server registers it and a verifier pins it.
#[derive(Clone)]
pub struct WitnessPublicKey {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
    text: String,
}

impl std::fmt::Debug for WitnessPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for WitnessPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl WitnessPublicKey {
    fn from_parts(name: &str, key: ed25519_dalek::VerifyingKey) -> Self {
        let id = key_id(name, &key);
        let mut material = vec![ALG_COSIGNATURE_V1];
        material.extend_from_slice(key.as_bytes());
        Self { name: name.to_owned(), id, key, text: format!("{name}+{id:08x}+{}", B64.encode(material)) }
    }

    pub fn parse(text: &str) -> Result<Self, CosignatureError> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (name, id, key64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(i), Some(k)) => (n, i, k),
            _ => return Err(CosignatureError::Public),
        };
        let key = B64.decode(key64).map_err(|_| CosignatureError::Public)?;
        if key.len() != 33 || key[0] != ALG_COSIGNATURE_V1 || !signed_note::is_key_name_valid(name) {
            return Err(CosignatureError::Public);
        }
        let bytes: [u8; 32] = key[1..].try_into().map_err(|_| CosignatureError::Public)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| CosignatureError::Public)?;
        let made = Self::from_parts(name, key);
        if format!("{:08x}", made.id) != id {
            return Err(CosignatureError::Public);
        }
        Ok(made)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks one cosignature line against the checkpoint `note` (with or without other
    /// signature lines). Returns the cosignature's timestamp; `None` when the line is not
    /// by this key (another name or key id); an error when it is by this key and does not
    /// hold.
    pub fn check(&self, note: &str, line: &str) -> Result<Option<u64>, CosignatureError> {
        let sig = Signature::from_bytes(line.trim_end_matches('\n').as_bytes())
            .map_err(|e| CosignatureError::Line(format!("署名行の形ではありません（{e}）")))?;
        if sig.name() != self.name || sig.id() != self.id {
            return Ok(None);
        }
        let parsed = Note::from_bytes(note.as_bytes()).map_err(|_| CosignatureError::Note)?;
        // `Note::verify` with this key alone: the crate's note handling, our message.
        let body_only = Note::new(parsed.text(), std::slice::from_ref(&sig)).map_err(|_| CosignatureError::Note)?;
        let list = VerifierList::new(vec![Box::new(self.clone())]);
        match body_only.verify(&list) {
            Ok(_) => Ok(Some(u64::from_be_bytes(sig.signature()[..8].try_into().expect("checked by the verifier")))),
            Err(_) => Err(CosignatureError::Line(format!("立会人 {} の連署が正しくありません", self.name))),
        }
    }

    /// The cosignatures by this key among the signature lines of `note`: the timestamp of
    /// the first that holds, or the error of one that does not.
    pub fn find(&self, note: &str) -> Result<Option<u64>, CosignatureError> {
        for line in signature_lines(note) {
            if let Some(t) = self.check(note, line)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}

impl signed_note::Verifier for WitnessPublicKey {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 8 + 64 {
            return false;
        }
        let timestamp = u64::from_be_bytes(sig[..8].try_into().expect("8 bytes"));
        if timestamp > i64::MAX as u64 {
            return false;
        }
        let Ok(signature) = ed25519_dalek::Signature::from_slice(&sig[8..]) else { return false };
        self.key.verify(&message(timestamp, msg), &signature).is_ok()
    }
}

/// The signature lines of a note (each without its newline).
pub fn signature_lines(note: &str) -> impl Iterator<Item = &str> {
    note.rsplit_once("\n\n").map(|(_, s)| s).unwrap_or_default().lines().filter(|l| l.starts_with("— "))
}

/// The checkpoint `note` with `lines` appended to its signatures (a line already there is
/// not repeated): the cosigned checkpoint as witnesses and verifiers exchange it.
pub fn with_lines(note: &str, lines: &[String]) -> String {
    let mut out = note.to_owned();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for l in lines {
        let l = l.trim_end_matches('\n');
        if !signature_lines(&out).any(|have| have == l) {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}
