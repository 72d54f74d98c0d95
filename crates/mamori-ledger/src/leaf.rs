//! A leaf: one change event in canonical JSON.
//!
//! The canonical form is RFC 8785 (JCS) for this fixed shape: the members in code-point
//! order, no whitespace, integers only, strings escaped minimally. `serde_json` writes
//! exactly that when the struct's fields are declared in sorted order, which they are; a
//! test keeps it so. The payload itself is not in the leaf, only its SHA-256: the payload
//! can be large, and its personal-data fields are already replaced by salted commitments
//! (see [`crate::personal_commitment`]).

use serde::{Deserialize, Serialize};

/// The leaf format version.
pub const LEAF_VERSION: u8 = 1;

/// One change event as the ledger commits to it. Field order is the canonical order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// What was done (`asset.create`, `user.lock` …).
    pub action: String,
    /// Who did it: a login name, or `system` / `cli` for mamori itself.
    pub actor: String,
    pub actor_user_id: Option<i64>,
    /// When, RFC 3339 with `+09:00`.
    pub at: String,
    /// Whether the server's clock was known to be synchronized (対策基準7.1(3)②).
    pub clock_synced: bool,
    pub org_id: i64,
    /// Hex SHA-256 of the payload text as stored.
    pub payload_sha256: String,
    /// The profile version in force, if any.
    pub profile_version_id: Option<i64>,
    pub request_id: String,
    /// `ok`, or the outcome a decision recorded (`denied`, `refused` …).
    pub result: String,
    /// The role the actor acted in.
    pub role: String,
    /// The organization's change sequence number: the leaf's index plus one.
    pub seq: u64,
    pub target_id: String,
    pub target_kind: String,
    pub v: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum LeafError {
    #[error("葉が JSON として読めません: {0}")]
    Json(#[from] serde_json::Error),
    #[error("葉が正規形ではありません（キーの順序・空白・エスケープが異なります）")]
    NotCanonical,
    #[error("葉の版 {0} には対応していません")]
    Version(u8),
    #[error("時刻 {0} が +09:00 付きの RFC 3339 ではありません")]
    Time(String),
}

/// A leaf whose texts are borrowed: what the verifier reads, so that a row read from the
/// database is hashed without copying its texts into a [`Leaf`] first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafView<'a> {
    pub action: &'a str,
    pub actor: &'a str,
    pub actor_user_id: Option<i64>,
    pub at: &'a str,
    pub clock_synced: bool,
    pub org_id: i64,
    pub payload_sha256: &'a str,
    pub profile_version_id: Option<i64>,
    pub request_id: &'a str,
    pub result: &'a str,
    pub role: &'a str,
    pub seq: u64,
    pub target_id: &'a str,
    pub target_kind: &'a str,
    pub v: u8,
}

impl LeafView<'_> {
    /// Appends the canonical JSON to `out`: the bytes `serde_json` writes for the same
    /// [`Leaf`] (a test holds the two equal), written directly, without a serializer.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        fn key(out: &mut Vec<u8>, first: bool, name: &str) {
            out.extend_from_slice(if first { b"{\"" } else { b",\"" });
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
        }
        fn int(out: &mut Vec<u8>, v: Option<i64>) {
            match v {
                Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
        }
        key(out, true, "action");
        json_string(out, self.action);
        key(out, false, "actor");
        json_string(out, self.actor);
        key(out, false, "actor_user_id");
        int(out, self.actor_user_id);
        key(out, false, "at");
        json_string(out, self.at);
        key(out, false, "clock_synced");
        out.extend_from_slice(if self.clock_synced { b"true" } else { b"false" });
        key(out, false, "org_id");
        int(out, Some(self.org_id));
        key(out, false, "payload_sha256");
        json_string(out, self.payload_sha256);
        key(out, false, "profile_version_id");
        int(out, self.profile_version_id);
        key(out, false, "request_id");
        json_string(out, self.request_id);
        key(out, false, "result");
        json_string(out, self.result);
        key(out, false, "role");
        json_string(out, self.role);
        key(out, false, "seq");
        out.extend_from_slice(itoa::Buffer::new().format(self.seq).as_bytes());
        key(out, false, "target_id");
        json_string(out, self.target_id);
        key(out, false, "target_kind");
        json_string(out, self.target_kind);
        key(out, false, "v");
        out.extend_from_slice(itoa::Buffer::new().format(self.v).as_bytes());
        out.push(b'}');
    }

    /// The leaf hash, with `scratch` holding the canonical JSON.
    pub fn hash_with(&self, scratch: &mut Vec<u8>) -> crate::Hash {
        scratch.clear();
        self.write_canonical(scratch);
        crate::leaf_hash(scratch)
    }

    /// The recorded time, if it is well formed with the JST offset.
    pub fn time(&self) -> Result<chrono::DateTime<chrono::FixedOffset>, LeafError> {
        let t = chrono::DateTime::parse_from_rfc3339(self.at).map_err(|_| LeafError::Time(self.at.to_owned()))?;
        if t.offset().local_minus_utc() != 9 * 3600 {
            return Err(LeafError::Time(self.at.to_owned()));
        }
        Ok(t)
    }
}

/// A JSON string as RFC 8785 and `serde_json` write it: `"` and `\\` escaped, the control
/// characters as `\b \t \n \f \r` or `\u00xx`, everything else as it is.
fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most texts have nothing to escape.
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

impl From<LeafView<'_>> for Leaf {
    fn from(v: LeafView<'_>) -> Self {
        Leaf {
            action: v.action.to_owned(),
            actor: v.actor.to_owned(),
            actor_user_id: v.actor_user_id,
            at: v.at.to_owned(),
            clock_synced: v.clock_synced,
            org_id: v.org_id,
            payload_sha256: v.payload_sha256.to_owned(),
            profile_version_id: v.profile_version_id,
            request_id: v.request_id.to_owned(),
            result: v.result.to_owned(),
            role: v.role.to_owned(),
            seq: v.seq,
            target_id: v.target_id.to_owned(),
            target_kind: v.target_kind.to_owned(),
            v: v.v,
        }
    }
}

impl Leaf {
    /// The leaf with its texts borrowed.
    pub fn view(&self) -> LeafView<'_> {
        LeafView {
            action: &self.action,
            actor: &self.actor,
            actor_user_id: self.actor_user_id,
            at: &self.at,
            clock_synced: self.clock_synced,
            org_id: self.org_id,
            payload_sha256: &self.payload_sha256,
            profile_version_id: self.profile_version_id,
            request_id: &self.request_id,
            result: &self.result,
            role: &self.role,
            seq: self.seq,
            target_id: &self.target_id,
            target_kind: &self.target_kind,
            v: self.v,
        }
    }

    /// The canonical bytes that are hashed.
    pub fn canonical(&self) -> String {
        let mut out = Vec::with_capacity(320);
        self.view().write_canonical(&mut out);
        String::from_utf8(out).expect("the canonical form of UTF-8 texts is UTF-8")
    }

    /// The leaf hash, SHA-256(0x00 ‖ canonical JSON).
    pub fn hash(&self) -> crate::Hash {
        crate::leaf_hash(self.canonical().as_bytes())
    }

    /// Reads a leaf from outside (a bundle) and insists it is in canonical form, so that
    /// one event has exactly one leaf text.
    pub fn parse(text: &str) -> Result<Self, LeafError> {
        let leaf: Leaf = serde_json::from_str(text)?;
        if leaf.v != LEAF_VERSION {
            return Err(LeafError::Version(leaf.v));
        }
        if leaf.canonical() != text {
            return Err(LeafError::NotCanonical);
        }
        Ok(leaf)
    }

    /// The recorded time, if it is well formed with the JST offset.
    pub fn time(&self) -> Result<chrono::DateTime<chrono::FixedOffset>, LeafError> {
        self.view().time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Leaf {
        Leaf {
            action: "asset.create".into(),
            actor: "jumin-staff".into(),
            actor_user_id: Some(7),
            at: "2026-11-22T09:30:00.000+09:00".into(),
            clock_synced: true,
            org_id: 1,
            payload_sha256: crate::sha256_hex(b"{}"),
            profile_version_id: Some(2),
            request_id: "r-1".into(),
            result: "ok".into(),
            role: "staff".into(),
            seq: 1,
            target_id: "42".into(),
            target_kind: "asset".into(),
            v: LEAF_VERSION,
        }
    }

    #[test]
    fn canonical_form_has_sorted_keys_and_no_whitespace() {
        let text = sample().canonical();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let positions: Vec<usize> = sorted.iter().map(|k| text.find(&format!("\"{k}\":")).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "members must appear in sorted order: {text}");
        assert!(!text.contains(' '), "no whitespace between tokens: {text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn parse_accepts_canonical_and_refuses_reordered_or_spaced_text() {
        let leaf = sample();
        let text = leaf.canonical();
        assert_eq!(Leaf::parse(&text).unwrap(), leaf);
        let spaced = text.replacen(",", ", ", 1);
        assert!(matches!(Leaf::parse(&spaced), Err(LeafError::NotCanonical)));
        let escaped = text.replacen("asset.create", "asset\\u002ecreate", 1);
        assert!(matches!(Leaf::parse(&escaped), Err(LeafError::NotCanonical)));
        let extra = text.replacen("{", "{\"zz\":1,", 1);
        assert!(Leaf::parse(&extra).is_err());
    }

    #[test]
    fn japanese_text_is_kept_as_utf8_and_control_characters_escaped() {
        let mut leaf = sample();
        leaf.actor = "総務課\t長".into();
        let text = leaf.canonical();
        assert!(text.contains("総務課\\t長"));
        assert_eq!(Leaf::parse(&text).unwrap(), leaf);
    }

    proptest::proptest! {
        /// The hand-written canonical form is byte for byte what `serde_json` writes.
        #[test]
        fn the_canonical_writer_is_serde_json_exactly(
            texts in proptest::collection::vec(proptest::prelude::any::<String>(), 9),
            controls in proptest::collection::vec(0u8..0x20, 0..8),
            ints in proptest::collection::vec(proptest::prelude::any::<i64>(), 3),
            seq in proptest::prelude::any::<u64>(),
            flags in proptest::prelude::any::<(bool, bool, bool, u8)>(),
        ) {
            let mut texts = texts;
            // Every control character, `"` and `\\` in the first text, among other text.
            let mut t = String::from("a\"b\\c総務課");
            for c in &controls {
                t.push(char::from(*c));
                t.push('x');
            }
            t.push('\u{7f}');
            texts[0].push_str(&t);
            let leaf = Leaf {
                action: texts[0].clone(),
                actor: texts[1].clone(),
                actor_user_id: flags.0.then_some(ints[0]),
                at: texts[2].clone(),
                clock_synced: flags.2,
                org_id: ints[1],
                payload_sha256: texts[3].clone(),
                profile_version_id: flags.1.then_some(ints[2]),
                request_id: texts[4].clone(),
                result: texts[5].clone(),
                role: texts[6].clone(),
                seq,
                target_id: texts[7].clone(),
                target_kind: texts[8].clone(),
                v: flags.3,
            };
            proptest::prop_assert_eq!(leaf.canonical(), serde_json::to_string(&leaf).unwrap());
            proptest::prop_assert_eq!(Leaf::from(leaf.view()), leaf);
        }
    }

    #[test]
    fn every_control_character_is_escaped_as_serde_json_does() {
        let mut leaf = sample();
        leaf.actor = (0u8..0x20).map(char::from).chain("\"\\\u{7f}é".chars()).collect();
        assert_eq!(leaf.canonical(), serde_json::to_string(&leaf).unwrap());
    }

    #[test]
    fn time_must_carry_the_jst_offset() {
        let mut leaf = sample();
        assert!(leaf.time().is_ok());
        leaf.at = "2026-11-22T00:30:00Z".into();
        assert!(leaf.time().is_err());
    }
}
