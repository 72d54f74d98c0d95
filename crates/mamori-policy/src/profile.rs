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
    /// How a report travels once it is made: the single point of contact and how long
    /// "速やかに" is before an unacknowledged notice escalates.
    #[serde(default)]
    pub incident_response: Option<IncidentResponse>,
    #[serde(default)]
    pub external_reports: Vec<ExternalReport>,
    #[serde(default)]
    pub obligations: Vec<Obligation>,
    /// Approval rules: filled in by the decision engine. Kept here so that the format has
    /// room for them from the start; the validator checks their references.
    #[serde(default)]
    pub approval_rules: Vec<ApprovalRule>,
    /// The rules the decision engine decides by (see `mamori-engine`).
    #[serde(default)]
    pub decision_rules: Vec<DecisionRule>,
    /// Who does each step of mamori's workflows, and under which clause (see
    /// [`crate::workflow`]). A step the profile leaves out follows the standard model.
    #[serde(default)]
    pub workflow_rules: Vec<WorkflowRule>,
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
    /// The workflow role (the closed set mamori's workflows rely on, see
    /// [`crate::workflow::WorkflowRole`]) whose work this role does. Left out, a role whose id
    /// is a workflow role's id does that role's work, and any other role does none.
    #[serde(default)]
    pub acts_as: Option<Spanned<Symbol>>,
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

/// How reports are routed beyond the level table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentResponse {
    /// Roles told of every report whatever its level: the policy's 「情報セキュリティに関する
    /// 統一的な窓口」 (志免町 5.3(1)①), which is the CSIRT.
    #[serde(default)]
    pub contact_point: Vec<Spanned<Symbol>>,
    /// Minutes a notice may stay unacknowledged before it escalates to the role the notified
    /// role `reports_to`. The policy says 速やかに; the number is the organization's reading.
    pub acknowledge_within_minutes: Spanned<u32>,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}

/// A fact about an incident that can trigger an external reporting obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
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

/// An action the decision engine decides on. Closed: each one has a workflow, a form and
/// records behind it, so a new action is a code change as well as a profile change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 送信 (対策基準2(2)⑥).
    Send,
    /// 運搬 (2(2)⑦).
    Transport,
    /// 外部への提供・公表 (2(2)⑧).
    Provide,
    /// 保管 (2(2)⑤).
    Store,
    /// 複製 (2(2)①(ウ), 3A: 必要以上の複製禁止).
    Copy,
    /// 廃棄・リース返却 (2(2)⑨).
    Dispose,
    /// 端末・媒体・情報資産・ソフトウェアの外部への持出し (5.1(1)③(ア)).
    TakeOut,
    /// 外部での情報処理業務 (5.1(1)③(イ)).
    ProcessOutside,
    /// 支給以外の端末・媒体の庁内への持込み・業務利用 (5.1(1)④).
    BringIn,
    /// 持ち込んだ又は持ち帰った端末の庁内ネットワークへの接続 (6.2(2)⑥).
    ConnectDevice,
    /// ソフトウェアの導入 (6.1(17)).
    InstallSoftware,
    /// 機器の改造・増設・交換 (6.1(18)).
    ChangeHardware,
    /// 外部ネットワークとの接続 (6.1(10)①).
    ConnectExternalNetwork,
    /// 外部から内部のネットワーク・情報システムへのアクセス (6.2(2)).
    RemoteAccess,
    /// 庁外へのサーバ等の機器の設置 (4.1(6)).
    PlaceEquipmentOutside,
    /// ソーシャルメディアでの発信 (6.1(22)).
    PostSocialMedia,
    /// 他の団体との情報システムに関する情報・ソフトウェアの交換 (6.1(3)).
    ExchangeSystemInfo,
    /// クラウドサービスの利用 (8.3, 8.4).
    UseCloudService,
    /// 例外措置 (7.4).
    Exception,
    /// 電磁的記録媒体への書出し (3(1)①, 6.1(5)②(イ)).
    ExportToMedia,
    /// 情報システム（端末）の利用・ログイン (3(1)①, 6.2).
    AccessSystem,
    /// システム変更等の作業 (6.1(4)③: 2名以上で作業し互いに確認).
    ChangeSystem,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::Send,
        Action::Transport,
        Action::Provide,
        Action::Store,
        Action::Copy,
        Action::Dispose,
        Action::TakeOut,
        Action::ProcessOutside,
        Action::BringIn,
        Action::ConnectDevice,
        Action::InstallSoftware,
        Action::ChangeHardware,
        Action::ConnectExternalNetwork,
        Action::RemoteAccess,
        Action::PlaceEquipmentOutside,
        Action::PostSocialMedia,
        Action::ExchangeSystemInfo,
        Action::UseCloudService,
        Action::Exception,
        Action::ExportToMedia,
        Action::AccessSystem,
        Action::ChangeSystem,
    ];

    /// The position in [`Action::ALL`]: the row of the engine's table.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The id used in the profile, the API and records.
    pub fn id(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Transport => "transport",
            Self::Provide => "provide",
            Self::Store => "store",
            Self::Copy => "copy",
            Self::Dispose => "dispose",
            Self::TakeOut => "take_out",
            Self::ProcessOutside => "process_outside",
            Self::BringIn => "bring_in",
            Self::ConnectDevice => "connect_device",
            Self::InstallSoftware => "install_software",
            Self::ChangeHardware => "change_hardware",
            Self::ConnectExternalNetwork => "connect_external_network",
            Self::RemoteAccess => "remote_access",
            Self::PlaceEquipmentOutside => "place_equipment_outside",
            Self::PostSocialMedia => "post_social_media",
            Self::ExchangeSystemInfo => "exchange_system_info",
            Self::UseCloudService => "use_cloud_service",
            Self::Exception => "exception",
            Self::ExportToMedia => "export_to_media",
            Self::AccessSystem => "access_system",
            Self::ChangeSystem => "change_system",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).ok_or_else(|| format!("unknown action `{s}`"))
    }
}

impl Action {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Send => "送信",
            Self::Transport => "運搬",
            Self::Provide => "外部への提供・公表",
            Self::Store => "保管",
            Self::Copy => "複製",
            Self::Dispose => "廃棄",
            Self::TakeOut => "外部への持出し",
            Self::ProcessOutside => "外部での情報処理業務",
            Self::BringIn => "支給以外の端末等の持込み",
            Self::ConnectDevice => "持込み端末の庁内ネットワーク接続",
            Self::InstallSoftware => "ソフトウェアの導入",
            Self::ChangeHardware => "機器の改造・増設・交換",
            Self::ConnectExternalNetwork => "外部ネットワークとの接続",
            Self::RemoteAccess => "外部からのアクセス",
            Self::PlaceEquipmentOutside => "庁外への機器の設置",
            Self::PostSocialMedia => "ソーシャルメディアでの発信",
            Self::ExchangeSystemInfo => "他団体との情報システム情報の交換",
            Self::UseCloudService => "クラウドサービスの利用",
            Self::Exception => "例外措置",
            Self::ExportToMedia => "電磁的記録媒体への書出し",
            Self::AccessSystem => "情報システムの利用",
            Self::ChangeSystem => "システム変更等の作業",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allows the action when it matches, with its approval, requirements and duties.
    Permit,
    /// Forbids the action when it matches; beats every permit.
    Forbid,
}

/// Where the action happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// 庁舎内.
    Office,
    /// 庁外.
    Outside,
}

/// Whose device is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// 支給された端末・媒体.
    Issued,
    /// 支給以外（私物・他団体）の端末・媒体.
    Private,
}

/// A fact about the request that a permit may require; unmet, the action is denied and the
/// denial says which fact is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// パスワード等による暗号化を行った.
    Encrypted,
    /// 多要素認証で利用者を確認した.
    Mfa,
    /// ウイルス感染・パッチ適用状況を確認した.
    MalwareChecked,
    /// 安全管理措置（CISO が定めたもの）を講じた.
    SafetyMeasures,
}

impl Fact {
    pub const ALL: [Fact; 4] = [Fact::Encrypted, Fact::Mfa, Fact::MalwareChecked, Fact::SafetyMeasures];

    pub fn id(self) -> &'static str {
        match self {
            Self::Encrypted => "encrypted",
            Self::Mfa => "mfa",
            Self::MalwareChecked => "malware_checked",
            Self::SafetyMeasures => "safety_measures",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Encrypted => "暗号化",
            Self::Mfa => "多要素認証",
            Self::MalwareChecked => "ウイルス感染・パッチ適用状況の確認",
            Self::SafetyMeasures => "安全管理措置",
        }
    }
}

/// A condition on one classification axis: the object's level on `axis` is at least `min`
/// and at most `max` (by rank). An object not classified on the axis is taken at the axis's
/// highest level: an unknown class is handled as the strictest (対策基準2(2)③(ウ)).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassCondition {
    pub axis: Spanned<Symbol>,
    #[serde(default)]
    pub min: Option<Spanned<String>>,
    #[serde(default)]
    pub max: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    /// 暗号化する.
    Encrypt,
    /// 鍵付きのケース等に格納する.
    LockedCase,
    /// 施錠可能な場所に保管する.
    LockedStorage,
    /// 記録を作成する（`record` と `fields`）.
    Record,
    /// 二人で作業し、互いに確認する.
    TwoPerson,
    /// 報告する（`to` に、`within_days` 日以内、なければ速やかに）.
    Report,
    /// 返却・持ち帰りを記録する.
    Return,
}

impl DutyKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Encrypt => "暗号化",
            Self::LockedCase => "鍵付きケースへの格納",
            Self::LockedStorage => "施錠保管",
            Self::Record => "記録",
            Self::TwoPerson => "二人作業",
            Self::Report => "報告",
            Self::Return => "返却の記録",
        }
    }
}

/// Something the actor must do when the action is permitted.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DutySpec {
    pub kind: DutyKind,
    pub text: String,
    /// The record to make, as the policy names it (持出・持込記録, 廃棄記録 …).
    #[serde(default)]
    pub record: Option<String>,
    /// The fields the record must hold.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Who is told, for `report`.
    #[serde(default)]
    pub to: Option<Spanned<Symbol>>,
    /// Days from the decision, for `report`; none means "速やかに".
    #[serde(default)]
    pub within_days: Option<u32>,
}

/// A rule of the decision engine. It applies to a request when every condition it states
/// holds; conditions it leaves out hold for any request.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRule {
    pub id: Symbol,
    pub action: Action,
    pub effect: Effect,
    /// A short statement of the rule, shown with the decision.
    pub text: String,
    // -- conditions --
    #[serde(default)]
    pub classes: Vec<ClassCondition>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub device: Option<Device>,
    /// The zones the object (asset or system) may belong to (any of them).
    #[serde(default)]
    pub zones: Vec<Spanned<Symbol>>,
    /// Only when the subject holds one of these roles.
    #[serde(default)]
    pub subject_roles: Vec<Spanned<Symbol>>,
    /// Only in an emergency (`true`) or only outside one (`false`).
    #[serde(default)]
    pub emergency: Option<bool>,
    // -- what a permit asks for --
    /// The approval rule (`[[approval_rules]]` id) whose approver must approve first.
    #[serde(default)]
    pub approval: Option<Spanned<Symbol>>,
    /// Facts that must hold, or the action is denied.
    #[serde(default)]
    pub requires: Vec<Fact>,
    #[serde(default)]
    pub duties: Vec<DutySpec>,
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

/// Who may do one step of a workflow (or, for a step that records or guides, what the
/// policy says of it), and under which clause.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowRule {
    /// The step, one of [`crate::workflow::Step`]'s ids (`incident.triage` …).
    pub step: Spanned<String>,
    /// The profile's roles that may take the step. A department-scoped role takes it for
    /// the departments it is assigned to (and those under them).
    #[serde(default)]
    pub roles: Vec<Spanned<Symbol>>,
    /// Whether mamori's administrators may take the step too.
    #[serde(default)]
    pub administrators: bool,
    /// What the policy says, shown beside the citation.
    pub text: String,
    pub clause: Spanned<ClauseId>,
    pub provenance: Provenance,
}
