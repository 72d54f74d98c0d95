//! The profile: one organization's information security policy as data.
//!
//! These types are both the TOML format (see `docs/profile-format.md`) and the in-memory
//! model. Fields that refer to something else in the profile (a role, a zone, a clause,
//! a level) keep their source span, so that validation can point at the exact line and
//! column of a dangling reference.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::ids::{ClauseId, Symbol};

/// Where a rule comes from. Every rule says so: the organization's own document (and the
/// clause in it), or a standard measure that fills a gap the document leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The organization's own policy text states it; `clause` is a clause of that text.
    Document,
    /// The document is silent; the standard measure (the MIC guideline's model text, which
    /// 志免町's 対策基準 follows) applies. `clause` then cites the model text.
    Standard,
}

impl Provenance {
    pub fn label_ja(self) -> &'static str {
        match self {
            Provenance::Document => "本団体の規定",
            Provenance::Standard => "標準対策",
        }
    }
}


#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub profile: ProfileMeta,
    pub organization: Organization,
    #[serde(default)]
    pub bodies: Vec<Body>,
    #[serde(default)]
    pub documents: Vec<Document>,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub axes: Vec<Axis>,
    #[serde(default)]
    pub handling_rules: Vec<HandlingRule>,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    pub zone_rules: Vec<ZoneRule>,
    #[serde(default)]
    pub incident_levels: Vec<IncidentLevel>,
    #[serde(default)]
    pub external_reports: Vec<ExternalReport>,
    #[serde(default)]
    pub obligations: Vec<Obligation>,
    /// Approval rules: filled in by the decision engine. Kept here so that the format has
    /// room for them from the start; the validator checks their references.
    #[serde(default)]
    pub approval_rules: Vec<ApprovalRule>,
    #[serde(default)]
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileMeta {
    /// The format version of this file; this build reads format 1.
    pub format: u32,
    pub id: Symbol,
    /// The edition of the organization's policy this profile was made from (e.g. `第6版`).
    pub edition: String,
    /// When the policy edition took effect, `YYYY-MM-DD`.
    pub effective: Spanned<String>,
    /// Where the text came from (document title, source file).
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub name: String,
    /// 町, 市, 一部事務組合, 広域連合 …
    pub kind: String,
    pub prefecture: String,
    /// What the organization calls itself in its policy (本町, 市, 本組合 …).
    #[serde(default)]
    pub self_name: Option<String>,
}

/// An executive body in scope of the policy (実施機関 / 行政機関の範囲).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub id: Symbol,
    pub name: String,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

/// A document that makes up the policy (基本方針, 対策基準 …). Clause ids start with its prefix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub prefix: String,
    pub title: String,
    /// Whether the organization published it; 対策基準 are usually 非公開.
    #[serde(default)]
    pub public: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleScope {
    /// One holder (or one group) for the whole organization: CISO, 統括, CSIRT …
    Organization,
    /// One holder per department: 情報セキュリティ管理者 …
    Department,
    /// One holder per information system: 情報システム管理者 …
    System,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: Symbol,
    pub name: String,
    #[serde(default)]
    pub abbreviation: Option<String>,
    pub scope: RoleScope,
    /// The posts that hold the role, as the document names them (`副町長`, `課局長` …).
    #[serde(default)]
    pub posts: Vec<String>,
    /// Exceptions such as `教育委員会については教育長`.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The role that acts when the holder is absent (統括 acts for the CISO).
    #[serde(default)]
    pub deputy: Option<Spanned<Symbol>>,
    /// The role this one reports to.
    #[serde(default)]
    pub reports_to: Option<Spanned<Symbol>>,
    /// Whether the holder must sign in to mamori with a second factor.
    #[serde(default)]
    pub requires_mfa: bool,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

/// A classification axis (機密性, 完全性, 可用性 …) and its levels.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub id: Symbol,
    pub name: String,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Short id used in data and URLs: `3A`, `3B`, `2`, `1`.
    pub id: Spanned<String>,
    pub name: String,
    /// Higher is stricter. Unique within the axis.
    pub rank: Spanned<u32>,
    pub criteria: String,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

/// A handling restriction (取扱制限) attached to one level.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    pub text: String,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

/// A lifecycle action of chapter 2 (送信, 運搬, 提供・公表, 保管, 複製, 廃棄 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleAction {
    Create,
    Acquire,
    Use,
    Store,
    Send,
    Transport,
    Provide,
    Dispose,
    Copy,
    TakeOut,
}

impl LifecycleAction {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Create => "作成",
            Self::Acquire => "入手",
            Self::Use => "利用",
            Self::Store => "保管",
            Self::Send => "送信",
            Self::Transport => "運搬",
            Self::Provide => "提供・公表",
            Self::Dispose => "廃棄",
            Self::Copy => "複製",
            Self::TakeOut => "持出し",
        }
    }
}

/// A handling rule that applies to every level at or above `min_level` on one axis
/// ("自治体機密性2以上の情報資産を運搬する者は…").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HandlingRule {
    pub axis: Spanned<Symbol>,
    pub min_level: Spanned<String>,
    pub action: LifecycleAction,
    pub text: String,
    /// The role whose permission the rule requires, if any.
    #[serde(default)]
    pub approver: Option<Spanned<Symbol>>,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub id: Symbol,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Whether terminals in this zone need multi-factor authentication.
    #[serde(default)]
    pub requires_mfa: bool,
    /// Whether export to removable media is blocked in this zone.
    #[serde(default)]
    pub blocks_media_export: bool,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneFlow {
    /// No communication at all.
    Deny,
    /// Only allow-listed destinations, limited by address and port.
    Allowlist,
    /// Only through sanitization (無害化通信).
    Sanitized,
    /// Separated, only the necessary communication allowed.
    Restricted,
}

impl ZoneFlow {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Deny => "通信不可",
            Self::Allowlist => "許可リストの宛先のみ（アドレス・ポートで限定）",
            Self::Sanitized => "無害化通信のみ",
            Self::Restricted => "必要な通信のみ許可",
        }
    }
}

/// What may flow from one zone to another. A pair with no rule is denied.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneRule {
    pub from: Spanned<Symbol>,
    pub to: Spanned<Symbol>,
    pub flow: ZoneFlow,
    /// Accepted sanitization methods, when `flow = "sanitized"`.
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub note: String,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentLevel {
    pub level: Spanned<u32>,
    pub name: String,
    pub criteria: String,
    /// Roles that must be told, resolved to people through role assignments.
    pub report_to: Vec<Spanned<Symbol>>,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

/// A fact about an incident that can trigger an external reporting obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentFact {
    Confirmed,
    PersonalInformation,
    SensitivePersonalInformation,
    FinancialDamage,
    UnlawfulIntent,
    OverHundredPeople,
    SpecificPersonalInformation,
    SuspectedCrime,
    ResidentsAffected,
}

/// An obligation to report outside the organization, with its deadline.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalReport {
    pub id: Symbol,
    pub addressee: String,
    /// 速報, 確報, 報告, 通知・公表 …
    pub kind: String,
    /// The obligation applies when any of these facts holds …
    pub when_any: Vec<IncidentFact>,
    /// … and all of these hold as well.
    #[serde(default)]
    pub when_all: Vec<IncidentFact>,
    /// Days from when the organization became aware; none means "速やかに".
    #[serde(default)]
    pub deadline_days: Option<u32>,
    /// The deadline instead, when `unlawful_intent` holds.
    #[serde(default)]
    pub deadline_days_if_unlawful_intent: Option<u32>,
    #[serde(default)]
    pub deadline_note: String,
    /// The statute behind it, when it is a law rather than the policy.
    #[serde(default)]
    pub law: Option<String>,
    pub responsible: Spanned<Symbol>,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    FiscalYear,
    Periodic,
    OnJoining,
    AsNeeded,
}

/// A recurring duty: training, self-assessment, audit, policy review …
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    pub id: Symbol,
    pub name: String,
    pub frequency: Frequency,
    pub responsible: Spanned<Symbol>,
    #[serde(default)]
    pub report_to: Option<Spanned<Symbol>>,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

/// An approval the policy requires for an action. The decision engine gives these meaning.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRule {
    pub id: Symbol,
    pub action: String,
    pub approver: Spanned<Symbol>,
    #[serde(default)]
    pub form: Option<String>,
    #[serde(default)]
    pub record: Option<String>,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Force {
    Mandatory,
    Prohibited,
    BestEffort,
    Recommended,
    Permitted,
    Structural,
}

impl Force {
    pub fn label_ja(self) -> &'static str {
        match self {
            Force::Mandatory => "義務",
            Force::Prohibited => "禁止",
            Force::BestEffort => "努力義務",
            Force::Recommended => "推奨",
            Force::Permitted => "許容",
            Force::Structural => "体制・定義",
        }
    }

    /// Whether a self-assessment item is generated for clauses of this force.
    pub fn is_checked(self) -> bool {
        matches!(self, Force::Mandatory | Force::Prohibited)
    }
}

/// One clause of the organization's documents (or of the standard model text).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub id: Spanned<ClauseId>,
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    pub force: Force,
    #[serde(default)]
    pub role: Option<Spanned<Symbol>>,
    pub provenance: Provenance,
}
