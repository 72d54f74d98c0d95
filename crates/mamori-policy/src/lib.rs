//! mamori's pure core: the policy profile model, its loader and validator, and what follows
//! from a classification.
//!
//! Invariant: this crate knows nothing about SQL, HTTP, async or the file system. It takes
//! values (a file name and its text, an asset's classes) and returns values.

pub mod bundled;
pub mod conflicts;
pub mod diff;
pub mod duties;
pub mod handling;
pub mod ids;
pub mod incident;
pub mod load;
pub mod profile;
pub mod standard;
pub mod workflow;
pub mod yearly;

pub use handling::{AppliedRestriction, RestrictionSource};
pub use ids::{ClauseId, IdError, Symbol};
pub use load::{parse_profile, ProfileError, ProfileErrorKind, ProfileErrors, RuleProblem, FORMAT_VERSION};
pub use profile::*;

use sha2::{Digest, Sha256};

/// The SHA-256 of a profile's text, hex-encoded: how a profile version is named in records.
pub fn profile_digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
