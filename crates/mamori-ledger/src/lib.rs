//! mamori's tamper-evident ledger, the pure part: no database, no files, no clock.
//!
//! Every change event becomes one *leaf*: the canonical JSON of the event (see [`leaf`]).
//! The leaves form an RFC 6962 Merkle tree. The hashes of its complete subtrees are stored
//! beside the events in the layout of Go's `tlog` package (Crosby and Wallach's stored-hash
//! order), which makes a root, an inclusion proof or a consistency proof a handful of reads.
//! The tree arithmetic and the proof functions are the `tlog_tiles` crate's; the signed
//! checkpoints are C2SP signed notes made with the `signed_note` crate. What is ours:
//!
//! - [`leaf`]: what a leaf says and its canonical form;
//! - [`tree::Frontier`]: the right edge of the tree, which appends leaves and yields the
//!   hashes to store without reading anything;
//! - [`checkpoint`]: the signing key, checkpoint signing, and strict checkpoint parsing;
//! - [`verify::Verifier`]: the streaming verifier that recomputes everything from the
//!   leaves and names the index or checkpoint at fault;
//! - [`bundle`]: the offline bundle that `mamori ledger verify --bundle` checks;
//! - [`cosignature`]: witnesses' C2SP tlog-cosignature/v1 lines, through `signed_note`'s
//!   signer and verifier traits;
//! - [`witness`]: a witness's decision to cosign or refuse (fork, inconsistency, rollback);
//! - [`keys`]: key rotation, the chain of keys each introduced by the one before.

pub mod bundle;
pub mod checkpoint;
pub mod cosignature;
pub mod keys;
pub mod leaf;
pub mod tree;
pub mod verify;
pub mod witness;

pub use checkpoint::{CheckpointError, LedgerKey, SignedCheckpoint, VerifyingKey};
pub use leaf::Leaf;
pub use tlog_tiles::{Hash, EMPTY_HASH};
pub use tree::Frontier;
pub use verify::{Report, Verifier, WitnessPolicy};

/// The hash of a leaf's bytes: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    tlog_tiles::record_hash(data)
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    tlog_tiles::node_hash(left, right)
}

/// Hex SHA-256 of a byte string, as the leaf records the payload.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

/// The commitment to one field of personal data: hex SHA-256(salt ‖ 0x00 ‖ value). The salt
/// is random per field, so the commitment reveals nothing about the value once the salt and
/// the cleartext are purged (横手市 基本方針5②), while the leaf that holds it still verifies.
pub fn personal_commitment(salt: &str, value: &str) -> String {
    let mut data = Vec::with_capacity(salt.len() + 1 + value.len());
    data.extend_from_slice(salt.as_bytes());
    data.push(0);
    data.extend_from_slice(value.as_bytes());
    sha256_hex(&data)
}

/// A fresh salt for [`personal_commitment`]: 16 random bytes in hex.
pub fn new_salt() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The key under which a payload field holds a personal-data commitment instead of a value.
pub const PERSONAL_KEY: &str = "personal_sha256";
