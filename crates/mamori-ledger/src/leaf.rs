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

impl Leaf {
    /// The canonical bytes that are hashed.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a leaf always serializes")
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
        let t = chrono::DateTime::parse_from_rfc3339(&self.at).map_err(|_| LeafError::Time(self.at.clone()))?;
        if t.offset().local_minus_utc() != 9 * 3600 {
            return Err(LeafError::Time(self.at.clone()));
        }
        Ok(t)
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

    #[test]
    fn time_must_carry_the_jst_offset() {
        let mut leaf = sample();
        assert!(leaf.time().is_ok());
        leaf.at = "2026-11-22T00:30:00Z".into();
        assert!(leaf.time().is_err());
    }
}
