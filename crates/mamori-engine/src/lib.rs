//! The decision engine: "may this happen, and how?" answered from a profile's
//! `[[decision_rules]]`, with the clauses that decided it.
//!
//! A profile is compiled once into an [`Engine`]: names become small integers, each rule's
//! conditions become comparisons of those integers, and the rules are filed in a table by
//! (action, confidentiality level) so that a decision looks only at the rules that can apply.
//! [`Engine::decide`] then allocates nothing unless a rule applies.
//!
//! The meaning of a set of rules (also in `ARCHITECTURE.md`, "Decision semantics"):
//! 1. A rule *applies* when every condition it states holds. A condition on something the
//!    request leaves unknown (location, device, zone) never holds for a permit and always
//!    holds for a forbid; an object not classified on an axis counts as that axis's highest
//!    level. Unknown is handled as the strictest case.
//! 2. Any applying forbid → **denied**, citing every applying forbid.
//! 3. No applying permit → **denied** (anything not permitted is denied); the answer lists
//!    each permit that *nearly* applied (all conditions but one) and the condition it missed.
//! 4. Every applying permit's requirements hold together. A required fact that is not there
//!    (encryption, MFA …) → **denied**, naming the facts. An approval not yet held → **needs
//!    approval**, by the approver of each such rule.
//! 5. Otherwise **permitted**, citing every applying permit, with all their duties.
//!
//! Invariant: this crate knows nothing about SQL, HTTP, async or the file system.

pub mod cedar;
mod compile;
pub mod conditions;
mod decide;
pub mod matrix;
pub mod rego;
pub mod review;

pub use compile::{ApprovalInfo, Rule};
pub use compile::{CompileError, Engine};
pub use decide::{Approval, Decision, DecisionJson, Duty, Missing, Outcome, Unmet};

use mamori_policy::{Action, Device, Fact, Location};
use serde::Deserialize;

/// A request as it arrives from outside (the API, a workflow): names, not indexes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub action: String,
    #[serde(default)]
    pub subject: SubjectInput,
    #[serde(default)]
    pub object: ObjectInput,
    #[serde(default)]
    pub context: ContextInput,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// The person, for the record; the engine decides by roles.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub department: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectInput {
    /// `asset`, `system`, `device`, `service` … for the record.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// Axis id → level id, e.g. `{"confidentiality": "3B"}`.
    #[serde(default)]
    pub classes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextInput {
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub device: Option<Device>,
    /// Roles whose approval the request already holds.
    #[serde(default)]
    pub approvals: Vec<String>,
    /// Facts that hold (`encrypted`, `mfa` …).
    #[serde(default)]
    pub facts: Vec<Fact>,
    #[serde(default)]
    pub emergency: bool,
    /// The day of the request, `YYYY-MM-DD`; due dates of duties count from it.
    #[serde(default)]
    pub date: Option<chrono::NaiveDate>,
}

/// A set of roles of one engine, as a bit set (a profile has at most 64 roles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleSet(pub u64);

impl RoleSet {
    pub fn contains(self, index: u8) -> bool {
        self.0 & (1 << index) != 0
    }
    pub fn insert(&mut self, index: u8) {
        self.0 |= 1 << index;
    }
}

/// At most this many classification axes.
pub const MAX_AXES: usize = 8;

/// A request in the engine's own terms, ready to decide: see [`Engine::query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub action: Action,
    pub roles: RoleSet,
    /// Per axis (in profile order), the level's position from the lowest rank up.
    pub levels: [u8; MAX_AXES],
    /// The object's zone index, if known.
    pub zone: Option<u8>,
    pub location: Option<Location>,
    pub device: Option<Device>,
    pub approvals: RoleSet,
    /// Bit `Fact as u8` set when the fact holds.
    pub facts: u8,
    pub emergency: bool,
    pub date: Option<chrono::NaiveDate>,
}

/// Why a request could not be put to the engine at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    #[error("unknown role `{0}`")]
    UnknownRole(String),
    #[error("unknown classification axis `{0}`")]
    UnknownAxis(String),
    #[error("axis `{axis}` has no level `{level}`")]
    UnknownLevel { axis: String, level: String },
    #[error("unknown zone `{0}`")]
    UnknownZone(String),
}

impl InputError {
    /// What to tell the person who sent the request.
    pub fn message_ja(&self) -> String {
        match self {
            Self::UnknownAction(a) => format!("action `{a}` はありません。/api/v1/actions で一覧を確認してください"),
            Self::UnknownRole(r) => format!("役割 `{r}` はこのプロファイルにありません"),
            Self::UnknownAxis(a) => format!("分類 `{a}` はこのプロファイルにありません"),
            Self::UnknownLevel { axis, level } => format!("分類 `{axis}` に区分 `{level}` はありません"),
            Self::UnknownZone(z) => format!("領域 `{z}` はこのプロファイルにありません"),
        }
    }
}

pub(crate) fn fact_bit(f: Fact) -> u8 {
    1 << (f as u8)
}
