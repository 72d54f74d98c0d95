//! Who does each step of mamori's workflows, and under which clause.
//!
//! A policy names its own roles (a 課長-level 情報セキュリティ責任者, a 副CISO, a
//! 監査統括責任者 …) but mamori's workflows rely on a small closed set of jobs: someone triages
//! incidents, someone approves audit plans, someone manages a department's registers. Each
//! profile role says which of those jobs it does ([`WorkflowRole`], `acts_as`), and each
//! workflow step ([`Step`]) is a rule of the profile — who may take it, the clause, the
//! text — or, where the profile is silent, the standard model's rule for it, resolved to
//! the profile's roles through `acts_as` and marked `provenance = "standard"`.
//!
//! Everything here is a function of values: the profile, the person's role assignments,
//! the department tree, and the state of the thing acted on. The server asks; it never
//! names a role or a clause itself.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use crate::profile::{Profile, Provenance, RoleScope};

/// The document prefix of the standard model's clauses (the MIC guideline's model text in
/// 志免町's numbering; see [`crate::standard`]).
pub const STANDARD_PREFIX: &str = "標準対策基準";

/// The jobs mamori's workflows rely on: a closed set. A profile maps its own roles onto
/// them with `acts_as`; several of its roles may do the same job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkflowRole {
    Ciso,
    SecurityDirector,
    SecurityManager,
    SecurityOfficer,
    SystemManager,
    SystemOperator,
    Csirt,
    Committee,
    AuditDirector,
    Advisor,
    CloudServiceManager,
}

impl WorkflowRole {
    pub const ALL: [WorkflowRole; 11] = [
        Self::Ciso,
        Self::SecurityDirector,
        Self::SecurityManager,
        Self::SecurityOfficer,
        Self::SystemManager,
        Self::SystemOperator,
        Self::Csirt,
        Self::Committee,
        Self::AuditDirector,
        Self::Advisor,
        Self::CloudServiceManager,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::Ciso => "ciso",
            Self::SecurityDirector => "security_director",
            Self::SecurityManager => "security_manager",
            Self::SecurityOfficer => "security_officer",
            Self::SystemManager => "system_manager",
            Self::SystemOperator => "system_operator",
            Self::Csirt => "csirt",
            Self::Committee => "committee",
            Self::AuditDirector => "audit_director",
            Self::Advisor => "advisor",
            Self::CloudServiceManager => "cloud_service_manager",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }

    /// The standard model's name for the job.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Ciso => "最高情報セキュリティ責任者（CISO）",
            Self::SecurityDirector => "統括情報セキュリティ責任者",
            Self::SecurityManager => "情報セキュリティ管理者",
            Self::SecurityOfficer => "情報セキュリティ担当者",
            Self::SystemManager => "情報システム管理者",
            Self::SystemOperator => "情報システム担当者",
            Self::Csirt => "CSIRT",
            Self::Committee => "情報セキュリティ委員会",
            Self::AuditDirector => "情報セキュリティ監査統括責任者",
            Self::Advisor => "最高情報セキュリティアドバイザー",
            Self::CloudServiceManager => "クラウドサービス管理者",
        }
    }

    /// The scopes a role doing this job may have: a department's manager is per
    /// department, the CISO is one for the organization.
    pub fn allowed_scopes(self) -> &'static [RoleScope] {
        match self {
            Self::SecurityManager | Self::SecurityOfficer => &[RoleScope::Department],
            Self::SystemManager | Self::SystemOperator => &[RoleScope::System, RoleScope::Department, RoleScope::Organization],
            Self::CloudServiceManager => &[RoleScope::Organization, RoleScope::Department, RoleScope::System],
            Self::Ciso | Self::SecurityDirector | Self::Csirt | Self::Committee | Self::AuditDirector | Self::Advisor => {
                &[RoleScope::Organization]
            }
        }
    }
}

/// Whether a step is something a person may or may not do, or something the policy says
/// about a step (a record to keep, a form to use) that pages cite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Someone may take the step. `per_department`: a department-scoped role takes it only
    /// for its departments (correcting a violation of one's own staff, say).
    Permission { per_department: bool },
    /// What the policy says of a step; nobody is named.
    Guidance,
}

macro_rules! steps {
    ($( $variant:ident = $id:literal, $label:literal, $kind:expr; )*) => {
        /// A step of one of mamori's workflows. Closed: each has a page, a form or a record
        /// behind it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Step { $( $variant, )* }

        impl Step {
            pub const ALL: &'static [Step] = &[ $( Step::$variant, )* ];

            /// The id used in profiles (`incident.triage`).
            pub fn id(self) -> &'static str {
                match self { $( Step::$variant => $id, )* }
            }

            pub fn label_ja(self) -> &'static str {
                match self { $( Step::$variant => $label, )* }
            }

            pub fn kind(self) -> StepKind {
                match self { $( Step::$variant => $kind, )* }
            }
        }
    };
}

const ORG: StepKind = StepKind::Permission { per_department: false };
const DEPT: StepKind = StepKind::Permission { per_department: true };
const GUIDE: StepKind = StepKind::Guidance;

steps! {
    IncidentTriage = "incident.triage", "情報セキュリティインシデントであるかの評価", ORG;
    IncidentDirect = "incident.direct", "応急措置・復旧と他システムの確認の指示", ORG;
    IncidentInstruct = "incident.instruct", "再発防止のための措置の指示", ORG;
    IncidentRecord = "incident.record", "原因・対応・再発防止策の記録", ORG;
    IncidentFileExternal = "incident.file_external", "外部への報告の記録", ORG;
    IncidentClose = "incident.close", "インシデント対応の完了", ORG;
    IncidentViewAll = "incident.view_all", "すべての報告の閲覧", ORG;
    ViolationRecord = "violation.record", "違反の記録と通知", ORG;
    ViolationCorrect = "violation.correct", "違反の是正（指導）の記録", DEPT;
    ViolationSuspend = "violation.suspend", "利用権限の停止", ORG;
    ViolationView = "violation.view", "違反の記録の閲覧", DEPT;
    AuditPlan = "audit.plan", "監査実施計画の作成", ORG;
    AuditApprove = "audit.approve", "監査実施計画の承認", ORG;
    AuditAssign = "audit.assign", "監査を行う者の指名", ORG;
    AuditView = "audit.view", "すべての監査の閲覧", ORG;
    AuditEvidence = "audit.evidence", "監査証拠・監査調書の保管", ORG;
    ImprovementDirect = "improvement.direct", "改善計画の指示", ORG;
    ImprovementRequestCheck = "improvement.request_check", "同種の課題の有無の確認の指示", ORG;
    ImprovementAnswerCheck = "improvement.answer_check", "同種の課題の有無の回答", DEPT;
    ImprovementReport = "improvement.report", "改善計画の進捗の報告", DEPT;
    ImprovementViewAll = "improvement.view_all", "すべての改善計画の閲覧", ORG;
    TrainingPlan = "training.plan", "研修・訓練の計画", ORG;
    TrainingAttendance = "training.attendance", "研修の実施状況（出席）の記録", DEPT;
    TrainingReportToDirector = "training.report_to_director", "研修の実施状況の統括情報セキュリティ責任者への報告", DEPT;
    TrainingReportToCiso = "training.report_to_ciso", "研修の実施状況のCISOへの報告", ORG;
    AssessmentCreate = "assessment.create", "自己点検の実施（点検項目の作成）", ORG;
    AssessmentAnswer = "assessment.answer", "課局等の自己点検の回答", DEPT;
    AssessmentViewAll = "assessment.view_all", "自己点検結果の取りまとめ", ORG;
    ReportsView = "reports.view", "情報セキュリティ委員会への報告の閲覧", ORG;
    RegistersViewAll = "registers.view_all", "全課局等の台帳の閲覧", ORG;
    RegistersManage = "registers.manage", "情報資産・情報システムの台帳の管理", DEPT;
    AuditTrailRead = "audit_trail.read", "作業記録（監査証跡）の閲覧", ORG;
    ExceptionsView = "exceptions.view", "例外措置の事績の管理", ORG;
    StaffManage = "staff.manage", "職員等と利用者IDの登録・削除", ORG;
    RolesAssign = "roles.assign", "役割の割当て", ORG;
    AbsenceRegister = "absence.register", "他の職員等の不在の登録", ORG;
    ProfileDraft = "profile.draft", "ポリシー文書の取込みと下書きの編集", ORG;
    ProfileActivate = "profile.activate", "ポリシー（プロファイル）の有効化", ORG;
    ClassificationUnclear = "classification.unclear", "分類が不明な情報資産", GUIDE;
    ClassificationCopies = "classification.copies", "複製された情報資産の分類", GUIDE;
    ClassificationByCreator = "classification.by_creator", "作成者による分類", GUIDE;
    TakeOutRecord = "take_out.record", "持出し・持込みの記録", GUIDE;
    DisposalRecord = "disposal.record", "廃棄等の記録", GUIDE;
    SystemChangeTwoPerson = "system_change.two_person", "システム変更等の作業の相互確認", GUIDE;
    SystemChangeRecord = "system_change.record", "システム変更等の作業記録", GUIDE;
    CloudRegister = "cloud.register", "承認したクラウドサービスの記録", GUIDE;
    IncidentReporting = "incident.reporting", "インシデントの報告", GUIDE;
    IncidentExternalSource = "incident.external_source", "住民等外部からの報告", GUIDE;
    IncidentReportForms = "incident.report_forms", "発生状況報告書・対応状況報告書", GUIDE;
    IncidentEvidence = "incident.evidence", "証拠の保全", GUIDE;
    EmergencyPlan = "emergency_plan", "緊急時対応計画", GUIDE;
    TrainingYearly = "training.yearly", "研修の受講", GUIDE;
    TrainingOnJoining = "training.on_joining", "新規採用時の研修", GUIDE;
    TrainingDrill = "training.drill", "緊急時対応訓練", GUIDE;
    AssessmentImprovement = "assessment.improvement", "自己点検結果に基づく改善", GUIDE;
    AuditIndependence = "audit.independence", "監査を行う者の独立性", GUIDE;
    AuditReport = "audit.report", "監査結果の報告", GUIDE;
    ViolationResponse = "violation.response", "違反時の対応", GUIDE;
    SelfApproval = "approval.separation", "申請者と承認者の兼務の禁止", GUIDE;
    AuditSeparation = "audit.separation", "監査を受ける者と監査を行う者の兼務の禁止", GUIDE;
    InitialPassword = "account.initial_password", "仮のパスワードの変更", GUIDE;
    AccessControl = "account.access_control", "アクセス制御（利用者の確認）", GUIDE;
}

impl Step {
    pub fn parse(id: &str) -> Option<Step> {
        Step::ALL.iter().copied().find(|s| s.id() == id)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The standard model's rule for a step.
#[derive(Debug, Clone, Copy)]
pub struct StandardRule {
    pub step: Step,
    pub roles: &'static [WorkflowRole],
    pub administrators: bool,
    /// The clause of the model text, without its document prefix (`5.3(3)①`).
    pub clause: &'static str,
    pub text: &'static str,
}

use WorkflowRole as W;

/// The standard model's rules, one per step. The clauses are the MIC model text's in
/// 志免町's numbering, which every bundled profile cites as `標準対策基準…`.
pub const STANDARD: &[StandardRule] = &[
    std_rule(Step::IncidentTriage, &[W::Csirt], false, "5.3(3)①", "CSIRTは、報告された情報セキュリティインシデントの可能性について状況を確認し、情報セキュリティインシデントであるかの評価を行う。"),
    std_rule(Step::IncidentDirect, &[W::Csirt], false, "5.3(3)③", "CSIRTは、関係する情報セキュリティ管理者に応急措置の実施及び復旧に係る指示を行い、同様のインシデントが他の情報システムで発生していないかを確認する。"),
    std_rule(Step::IncidentInstruct, &[W::Ciso], false, "5.3(3)⑤", "CISOは、CSIRTから報告を受けた場合は、その内容を確認し、再発防止策を実施するために必要な措置を指示する。"),
    std_rule(Step::IncidentRecord, &[W::Csirt], false, "5.3(3)④", "CSIRTは、インシデント等発生状況報告書を用いて原因を究明し、その対応をインシデント等対応状況報告書に記録し、保存する。"),
    std_rule(Step::IncidentFileExternal, &[W::Csirt], false, "5.3(3)②", "CSIRTは、情報セキュリティインシデントであると評価した場合、CISOに速やかに報告し、関係機関への報告を行う。"),
    std_rule(Step::IncidentClose, &[W::Csirt], false, "5.3(3)④", "CSIRTは、原因の究明と対応の記録を終えて、対応を完了する。"),
    std_rule(Step::IncidentViewAll, &[W::Csirt, W::Ciso, W::SecurityDirector], false, "1(9)②", "CISOは、情報セキュリティインシデントの統一的な窓口を整備し、課局等より報告を受けた場合には、その状況を確認する。"),
    std_rule(Step::ViolationRecord, &[W::SecurityDirector, W::SystemManager, W::SystemOperator], false, "7.6(2)①", "統括情報セキュリティ責任者又は情報システム管理者等が違反を確認した場合は、当該職員等が所属する課局等の情報セキュリティ管理者に通知し、適正な措置を求める。"),
    std_rule(Step::ViolationCorrect, &[W::SecurityManager, W::SecurityDirector], false, "7.6(2)③", "情報セキュリティ管理者は、違反した職員等を指導し、是正させる。"),
    std_rule(Step::ViolationSuspend, &[W::SecurityDirector], false, "7.6(2)③", "情報セキュリティ管理者の指導によっても改善されない場合、統括情報セキュリティ責任者は、当該職員等のネットワーク又は情報システムを使用する権利を停止又は剥奪することができる。"),
    std_rule(Step::ViolationView, &[W::Ciso, W::SecurityDirector, W::SecurityManager], true, "7.6(2)", "職員等の情報セキュリティポリシーに違反する行動を確認した場合には、速やかに措置を講じる。"),
    std_rule(Step::AuditPlan, &[W::SecurityDirector, W::Ciso], true, "9.1(1)", "情報セキュリティ委員会又は統括情報セキュリティ責任者は、毎年度及び必要に応じて、監査を行わせる。"),
    std_rule(Step::AuditApprove, &[W::Committee, W::SecurityDirector], false, "9.1(3)①", "監査を行う者は、監査実施計画を立案し、情報セキュリティ委員会又は統括情報セキュリティ責任者の承認を得る。"),
    std_rule(Step::AuditAssign, &[W::SecurityDirector, W::Ciso], true, "9.1(1)", "情報セキュリティ委員会又は統括情報セキュリティ責任者は、監査を行う者を指名する。"),
    std_rule(Step::AuditView, &[W::SecurityDirector, W::Ciso, W::Committee, W::AuditDirector], true, "9.1(5)", "監査を行う者は、監査結果を取りまとめ、情報セキュリティ委員会又は統括情報セキュリティ責任者に報告する。"),
    std_rule(Step::AuditEvidence, &[W::SecurityDirector], true, "9.1(6)", "統括情報セキュリティ責任者は、監査の実施を通して収集した監査証拠、監査報告書の作成のための監査調書を適正に保管する。"),
    std_rule(Step::ImprovementDirect, &[W::Ciso, W::SecurityDirector], false, "9.1(7)①", "CISOは、監査結果を踏まえ、指摘事項を所管する情報セキュリティ管理者に対し、当該事項への対処（改善計画の策定等）を指示する。"),
    std_rule(Step::ImprovementRequestCheck, &[W::Ciso, W::SecurityDirector], false, "9.1(7)②", "CISOは、指摘事項を所管していない情報セキュリティ管理者に対しても、同種の課題及び問題点の有無を確認させる。"),
    std_rule(Step::ImprovementAnswerCheck, &[W::SecurityManager], false, "9.1(7)②", "情報セキュリティ管理者は、所管する課局等における同種の課題及び問題点の有無を確認する。"),
    std_rule(Step::ImprovementReport, &[W::SecurityDirector, W::Ciso], false, "9.1(7)①", "措置が完了していない改善計画は、定期的に進捗状況を報告する。"),
    std_rule(Step::ImprovementViewAll, &[W::SecurityDirector, W::Ciso, W::Committee], true, "9.1(7)①", "CISOは、措置が完了していない改善計画について、定期的に進捗状況の報告を指示する。"),
    std_rule(Step::TrainingPlan, &[W::SecurityDirector, W::Ciso], true, "5.2(2)①", "CISOは、統括情報セキュリティ責任者を通じ、全ての職員等に対する研修計画の策定とその実施体制の構築を定期的に行う。"),
    std_rule(Step::TrainingAttendance, &[W::SecurityManager, W::SecurityDirector], true, "5.2(2)⑤", "情報セキュリティ管理者は、所管する課局等の研修の実施状況を記録し、統括情報セキュリティ責任者に報告する。"),
    std_rule(Step::TrainingReportToDirector, &[W::SecurityManager], false, "5.2(2)⑤", "情報セキュリティ管理者は、所管する課局等の研修の実施状況を統括情報セキュリティ責任者に報告する。"),
    std_rule(Step::TrainingReportToCiso, &[W::SecurityDirector], false, "5.2(2)⑥", "統括情報セキュリティ責任者は、CISOに研修の実施状況について報告する。"),
    std_rule(Step::AssessmentCreate, &[W::SecurityDirector], true, "9.2(1)②", "統括情報セキュリティ責任者は、情報セキュリティ管理者と連携して、毎年度及び必要に応じて、自己点検を行う。"),
    std_rule(Step::AssessmentAnswer, &[W::SecurityManager], false, "9.2(1)②", "情報セキュリティ管理者は、所管する課局等の情報セキュリティ対策状況について自己点検を行う。"),
    std_rule(Step::AssessmentViewAll, &[W::SecurityDirector, W::Ciso, W::Committee], true, "9.2(2)", "統括情報セキュリティ責任者は、自己点検結果及びそれに基づく改善策を取りまとめ、情報セキュリティ委員会に報告する。"),
    std_rule(Step::ReportsView, &[W::SecurityDirector, W::Ciso, W::Committee], true, "9.2(2)", "自己点検結果、監査結果及び研修の実施状況を情報セキュリティ委員会に報告する。"),
    std_rule(Step::RegistersViewAll, &[W::Ciso, W::SecurityDirector, W::Csirt, W::AuditDirector, W::Advisor], true, "2(1)", "情報資産は、その分類に基づき管理する。"),
    std_rule(Step::RegistersManage, &[W::SecurityManager, W::SecurityOfficer, W::Ciso, W::SecurityDirector], true, "2(2)①(ア)", "情報セキュリティ管理者は、所管する情報資産について管理責任を有する。"),
    std_rule(Step::AuditTrailRead, &[W::Ciso, W::SecurityDirector, W::AuditDirector], true, "6.1(4)②", "システム変更等の作業の記録は、詐取、改ざん等をされないように適正に管理する。"),
    std_rule(Step::ExceptionsView, &[W::Ciso, W::SecurityDirector, W::AuditDirector], true, "7.4(3)", "CISOは、例外措置を講じたものについて、その事績等を適正に管理する。"),
    std_rule(Step::StaffManage, &[], true, "6.2(1)②(ウ)", "利用者IDの登録・変更・抹消は、人事管理部門と連携して管理し、利用されていないIDを放置しない。"),
    std_rule(Step::RolesAssign, &[], true, "1(2)⑦", "統括情報セキュリティ責任者は、緊急時の連絡体制を整備する。役割の割当ては管理者が登録する。"),
    std_rule(Step::AbsenceRegister, &[], true, "1(2)⑦", "緊急時の連絡体制のため、不在の職員等の代わりに連絡を受ける者を明らかにする。"),
    std_rule(Step::ProfileDraft, &[W::SecurityDirector], true, "9.3", "情報セキュリティポリシーは、監査及び自己点検の結果等を踏まえ、見直す。"),
    std_rule(Step::ProfileActivate, &[W::SecurityDirector], true, "9.3", "情報セキュリティ委員会が決定した情報セキュリティポリシーの改定を、取り込んだ者とは別の者が確認して有効にする。"),
    std_rule(Step::ClassificationUnclear, &[], false, "2(2)③(ウ)", "情報資産を入手した者は、入手した情報資産の分類が不明な場合、情報セキュリティ管理者に判断を仰ぐ。"),
    std_rule(Step::ClassificationCopies, &[], false, "2(2)①(ウ)", "複製又は伝送された情報資産も、元の情報資産と同じ分類に基づき管理する。"),
    std_rule(Step::ClassificationByCreator, &[], false, "2(2)②(イ)", "情報を作成する者は、作成時に分類に基づき、当該情報の分類と取扱制限を定める。"),
    std_rule(Step::TakeOutRecord, &[], false, "5.1(1)⑤", "情報セキュリティ管理者は、端末等の持ち出し及び持ち込みについて記録を作成し、保管する。"),
    std_rule(Step::DisposalRecord, &[], false, "2(2)⑨(イ)", "情報資産の廃棄等を行う者は、行った処理について、日時、担当者及び処理内容を記録する。"),
    std_rule(Step::SystemChangeTwoPerson, &[], false, "6.1(4)③", "システム変更等の作業を行う場合は、2名以上で作業し、互いにその作業を確認する。"),
    std_rule(Step::SystemChangeRecord, &[], false, "6.1(4)②", "システム変更等の作業を行った場合は、作業内容について記録を作成し、改ざん等をされないように適正に管理する。"),
    std_rule(Step::CloudRegister, &[], false, "8.4(2)②", "クラウドサービスの利用申請を審査し、承認したクラウドサービスを記録する。"),
    std_rule(Step::IncidentReporting, &[], false, "5.3(1)①", "職員等は、情報セキュリティインシデントを認知した場合、速やかに情報セキュリティ管理者及び情報セキュリティに関する統一的な窓口へ報告する。"),
    std_rule(Step::IncidentExternalSource, &[], false, "5.3(2)", "住民等外部から情報セキュリティインシデントの報告を受けた場合も、同様に報告する。"),
    std_rule(Step::IncidentReportForms, &[], false, "5.3(3)④", "インシデント等発生状況報告書を用いて原因を究明し、その対応をインシデント等対応状況報告書に記録し、保存する。"),
    std_rule(Step::IncidentEvidence, &[], false, "6.5(3)", "攻撃が犯罪の可能性がある場合には、攻撃の記録を保存し、警察及び関係機関と連携する。"),
    std_rule(Step::EmergencyPlan, &[], false, "7.3(2)", "緊急時対応計画には、連絡先、発生した事案に係る報告すべき事項、対応措置、再発防止措置の策定を定める。"),
    std_rule(Step::TrainingYearly, &[], false, "5.2(2)②", "職員等は、毎年度最低1回、情報セキュリティ研修を受講する。"),
    std_rule(Step::TrainingOnJoining, &[], false, "5.2(2)③", "新規採用の職員等は、新規採用時に情報セキュリティ研修を受講する。"),
    std_rule(Step::TrainingDrill, &[], false, "5.2(3)", "CISOは、緊急時対応を想定した訓練の定期的な実施を検討する。"),
    std_rule(Step::AssessmentImprovement, &[], false, "9.2(3)", "自己点検の結果に基づき、改善を図る。"),
    std_rule(Step::AuditIndependence, &[], false, "9.1(2)①", "監査を実施する場合には、被監査課局から独立した者に対して、監査を実施させる。"),
    std_rule(Step::AuditReport, &[], false, "9.1(5)", "監査を行う者は、監査結果を取りまとめ、報告する。"),
    std_rule(Step::ViolationResponse, &[], false, "7.6(2)", "職員等の情報セキュリティポリシーに違反する行動を確認した場合には、速やかに次の措置を講じる。"),
    std_rule(Step::SelfApproval, &[], false, "1(8)①", "やむを得ない場合を除き、承認又は許可の申請を行う者とその承認者又は許可者は、同じ者が兼務してはならない。"),
    std_rule(Step::AuditSeparation, &[], false, "1(8)②", "やむを得ない場合を除き、監査を受ける者とその監査を実施する者は、同じ者が兼務してはならない。"),
    std_rule(Step::InitialPassword, &[], false, "6.2(5)②", "仮のパスワードを発行し、ログイン後直ちに仮のパスワードを変更させる。"),
    std_rule(Step::AccessControl, &[], false, "6.2(4)", "ログイン試行回数の制限、アクセスタイムアウトの設定等により、正当なアクセス権を持つ職員等がログインしたことを確認する。"),
];

const fn std_rule(
    step: Step,
    roles: &'static [WorkflowRole],
    administrators: bool,
    clause: &'static str,
    text: &'static str,
) -> StandardRule {
    StandardRule { step, roles, administrators, clause, text }
}

/// The standard model's rule for a step.
pub fn standard_rule(step: Step) -> &'static StandardRule {
    STANDARD.iter().find(|r| r.step == step).expect("every step has a standard rule (tested)")
}

/// The job a profile role does: `acts_as` if given, else its own id when that names a job.
pub fn acts_as(role: &crate::profile::Role) -> Option<WorkflowRole> {
    match &role.acts_as {
        Some(a) => WorkflowRole::parse(a.get_ref().as_str()),
        None => WorkflowRole::parse(role.id.as_str()),
    }
}

/// The profile's roles that do `job`.
pub fn roles_doing(p: &Profile, job: WorkflowRole) -> Vec<String> {
    p.roles.iter().filter(|r| acts_as(r) == Some(job)).map(|r| r.id.to_string()).collect()
}

/// One step's rule as it applies to a profile: the profile's own, or the standard one
/// resolved to the profile's roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveRule {
    pub step: Step,
    /// Profile role ids.
    pub roles: Vec<String>,
    pub administrators: bool,
    pub text: String,
    pub clause: String,
    pub provenance: Provenance,
}

/// A clause a page shows, with what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub clause: String,
    pub provenance: Provenance,
    pub text: String,
}

/// A role assignment, as the workflows need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The profile's role id.
    pub role: String,
    pub department_id: Option<i64>,
    pub is_deputy: bool,
}

/// Who is acting.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// mamori's own administrator account flag (not a policy role).
    pub administrator: bool,
    /// The mamori account acting.
    pub user_id: i64,
    pub person_id: Option<i64>,
    pub department_id: Option<i64>,
    pub holdings: &'a [Held],
}

/// The department tree: each department's parent.
#[derive(Debug, Clone, Default)]
pub struct DepartmentTree {
    parent: HashMap<i64, Option<i64>>,
    children: HashMap<i64, Vec<i64>>,
}

impl DepartmentTree {
    pub fn new(departments: impl IntoIterator<Item = (i64, Option<i64>)>) -> Self {
        let mut t = DepartmentTree::default();
        for (id, parent) in departments {
            t.parent.insert(id, parent);
            if let Some(p) = parent {
                t.children.entry(p).or_default().push(id);
            }
        }
        t
    }

    /// The departments under `roots`, the roots included.
    pub fn subtree(&self, roots: impl IntoIterator<Item = i64>) -> BTreeSet<i64> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<i64> = roots.into_iter().collect();
        while let Some(d) = stack.pop() {
            if out.insert(d) {
                stack.extend(self.children.get(&d).into_iter().flatten().copied());
            }
        }
        out
    }

    /// Whether `department` is `root` or lies under it.
    pub fn is_within(&self, department: i64, root: i64) -> bool {
        let mut at = Some(department);
        let mut steps = 0;
        while let Some(d) = at {
            if d == root {
                return true;
            }
            // A tree of a town is shallow; the bound only guards against a cycle in bad data.
            steps += 1;
            if steps > 64 {
                return false;
            }
            at = self.parent.get(&d).copied().flatten();
        }
        false
    }
}

/// Where a person may take a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everywhere,
    Departments(BTreeSet<i64>),
    Nowhere,
}

impl Reach {
    pub fn covers(&self, department: i64) -> bool {
        match self {
            Reach::Everywhere => true,
            Reach::Departments(d) => d.contains(&department),
            Reach::Nowhere => false,
        }
    }

    pub fn is_nowhere(&self) -> bool {
        matches!(self, Reach::Nowhere)
    }

    /// `None` for everywhere, the departments otherwise (empty for nowhere): the form the
    /// store's department filters take.
    pub fn departments(&self) -> Option<Vec<i64>> {
        match self {
            Reach::Everywhere => None,
            Reach::Departments(d) => Some(d.iter().copied().collect()),
            Reach::Nowhere => Some(Vec::new()),
        }
    }

    fn union(self, other: Reach) -> Reach {
        match (self, other) {
            (Reach::Everywhere, _) | (_, Reach::Everywhere) => Reach::Everywhere,
            (Reach::Nowhere, r) | (r, Reach::Nowhere) => r,
            (Reach::Departments(mut a), Reach::Departments(b)) => {
                a.extend(b);
                Reach::Departments(a)
            }
        }
    }
}

/// Why something may not be done: the clause and the reason, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub step: Option<Step>,
    pub clause: String,
    pub provenance: Provenance,
    pub reason: String,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}（{}）", self.reason, self.clause)
    }
}

/// Why an action is refused: not this person's to take (403), or not in a state that
/// allows it (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Denied(Denial),
    WrongState {
        /// What was acted on (申請 12, 監査 3 …).
        what: String,
        /// Its state, in Japanese.
        state: &'static str,
        /// What the action needs, in Japanese.
        needs: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Denied(d) => d.fmt(f),
            Refusal::WrongState { what, state, needs } => write!(f, "{what}は「{state}」のため、{needs}"),
        }
    }
}

impl From<Denial> for Refusal {
    fn from(d: Denial) -> Self {
        Refusal::Denied(d)
    }
}

/// The workflow rules of one profile, every step resolved. Built once per profile
/// version.
#[derive(Debug, Clone)]
pub struct Workflow {
    rules: Vec<EffectiveRule>,
    /// Each profile role's scope and name.
    roles: HashMap<String, (RoleScope, String)>,
}

/// A step nobody can take under a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub step: Step,
    pub wanted: &'static [WorkflowRole],
}

impl Workflow {
    /// Resolves every step for the profile. A permission step nobody can take is listed in
    /// the second value; the loader refuses such a profile.
    pub fn resolve(p: &Profile) -> (Workflow, Vec<Unresolved>) {
        let mut rules = Vec::with_capacity(Step::ALL.len());
        let mut unresolved = Vec::new();
        for &step in Step::ALL {
            let own: Vec<&crate::profile::WorkflowRule> = p.workflow_rules.iter().filter(|r| r.step.get_ref() == step.id()).collect();
            let rule = if let Some(first) = own.first() {
                // Several rules for one step are one rule whose roles are their union; the
                // first one's clause is cited.
                let mut roles: Vec<String> = Vec::new();
                for r in &own {
                    for role in &r.roles {
                        if !roles.iter().any(|x| x == role.get_ref().as_str()) {
                            roles.push(role.get_ref().to_string());
                        }
                    }
                }
                EffectiveRule {
                    step,
                    roles,
                    administrators: own.iter().any(|r| r.administrators),
                    text: first.text.clone(),
                    clause: first.clause.get_ref().to_string(),
                    provenance: first.provenance,
                }
            } else {
                let std = standard_rule(step);
                let roles: Vec<String> =
                    p.roles.iter().filter(|r| acts_as(r).is_some_and(|w| std.roles.contains(&w))).map(|r| r.id.to_string()).collect();
                EffectiveRule {
                    step,
                    roles,
                    administrators: std.administrators,
                    text: std.text.to_owned(),
                    clause: format!("{STANDARD_PREFIX}{}", std.clause),
                    provenance: Provenance::Standard,
                }
            };
            if matches!(step.kind(), StepKind::Permission { .. }) && rule.roles.is_empty() && !rule.administrators {
                unresolved.push(Unresolved { step, wanted: standard_rule(step).roles });
            }
            rules.push(rule);
        }
        let roles = p.roles.iter().map(|r| (r.id.to_string(), (r.scope, r.name.clone()))).collect();
        (Workflow { rules, roles }, unresolved)
    }

    /// The workflow of a profile that loaded (so every step resolved).
    pub fn of(p: &Profile) -> Workflow {
        Self::resolve(p).0
    }

    pub fn rule(&self, step: Step) -> &EffectiveRule {
        // `rules` is in `Step::ALL` order, which is the enum's order.
        &self.rules[step as usize]
    }

    pub fn rules(&self) -> &[EffectiveRule] {
        &self.rules
    }

    /// The clause a page cites for a step.
    pub fn cite(&self, step: Step) -> Citation {
        let r = self.rule(step);
        Citation { clause: r.clause.clone(), provenance: r.provenance, text: r.text.clone() }
    }

    /// The clause alone.
    pub fn clause(&self, step: Step) -> &str {
        &self.rule(step).clause
    }

    fn role_name(&self, id: &str) -> String {
        self.roles.get(id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_owned())
    }

    /// Who takes a step, in words: 「CSIRT」, 「統括情報セキュリティ責任者・CISO」.
    pub fn who_ja(&self, step: Step) -> String {
        let r = self.rule(step);
        let mut names: Vec<String> = r.roles.iter().map(|id| self.role_name(id)).collect();
        if r.administrators {
            names.push("mamoriの管理者".to_owned());
        }
        if names.is_empty() {
            "（定めなし）".to_owned()
        } else {
            names.join("・")
        }
    }

    /// Where `subject` may take `step`.
    pub fn reach(&self, subject: &Subject, tree: &DepartmentTree, step: Step) -> Reach {
        let rule = self.rule(step);
        if subject.administrator && rule.administrators {
            return Reach::Everywhere;
        }
        let per_department = matches!(step.kind(), StepKind::Permission { per_department: true });
        let mut reach = Reach::Nowhere;
        for h in subject.holdings.iter().filter(|h| rule.roles.iter().any(|r| r == &h.role)) {
            let scope = self.roles.get(&h.role).map(|(s, _)| *s).unwrap_or(RoleScope::Organization);
            let this = match (per_department, scope, h.department_id) {
                (false, _, _) => Reach::Everywhere,
                (true, RoleScope::Organization, _) => Reach::Everywhere,
                (true, _, Some(d)) => Reach::Departments(tree.subtree([d])),
                (true, RoleScope::System, None) => Reach::Everywhere,
                (true, RoleScope::Department, None) => Reach::Nowhere,
            };
            reach = reach.union(this);
            if reach == Reach::Everywhere {
                break;
            }
        }
        reach
    }

    /// Whether `subject` may take `step` (in `department`, for a per-department step;
    /// `None` asks whether anywhere at all).
    pub fn allows(&self, subject: &Subject, tree: &DepartmentTree, step: Step, department: Option<i64>) -> bool {
        let reach = self.reach(subject, tree, step);
        match department {
            Some(d) => reach.covers(d),
            None => !reach.is_nowhere(),
        }
    }

    /// `allows`, with the refusal a page or the API shows.
    pub fn check(&self, subject: &Subject, tree: &DepartmentTree, step: Step, department: Option<i64>) -> Result<(), Denial> {
        if self.allows(subject, tree, step, department) {
            Ok(())
        } else {
            Err(self.denial(step, department.is_some()))
        }
    }

    /// The refusal of `step` to someone who may not take it.
    pub fn denial(&self, step: Step, in_department: bool) -> Denial {
        let r = self.rule(step);
        let limited = in_department
            && matches!(step.kind(), StepKind::Permission { per_department: true })
            && r.roles.iter().any(|id| self.roles.get(id).is_some_and(|(s, _)| *s != RoleScope::Organization));
        let reason = if limited {
            format!("{}は、{}が行います（課局等ごとの役割は所管する課局等に限ります）", step.label_ja(), self.who_ja(step))
        } else {
            format!("{}は、{}が行います", step.label_ja(), self.who_ja(step))
        };
        Denial { step: Some(step), clause: r.clause.clone(), provenance: r.provenance, reason }
    }

    /// The refusal for a separation-of-duties conflict (兼務の禁止): the profile's rule for
    /// approvals by the applicant, with what the conflict is.
    pub fn separation_of_duties(&self, reason: impl Into<String>) -> Denial {
        let r = self.rule(Step::SelfApproval);
        Denial { step: Some(Step::SelfApproval), clause: r.clause.clone(), provenance: r.provenance, reason: reason.into() }
    }
}

/// A state something is in, with its Japanese label, for the 409 of a wrong-state action.
pub trait State: Copy + PartialEq + 'static {
    fn label_ja(self) -> &'static str;
}

/// `Ok` when `current` is one of `allowed`; the 409 refusal otherwise.
pub fn require_state<S: State>(what: impl Into<String>, current: S, allowed: &[S], needs: impl Into<String>) -> Result<(), Refusal> {
    if allowed.contains(&current) {
        Ok(())
    } else {
        Err(Refusal::WrongState { what: what.into(), state: current.label_ja(), needs: needs.into() })
    }
}

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident { $( $variant:ident = $id:literal, $label:literal; )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $( $variant, )* }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The value stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $id, )* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $( $id => Some($name::$variant), )* _ => None }
            }

            /// The state as a page shows it.
            pub fn label_ja(self) -> &'static str {
                match self { $( $name::$variant => $label, )* }
            }
        }

        impl State for $name {
            fn label_ja(self) -> &'static str {
                $name::label_ja(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Serialized as the stored value, so that JSON answers keep their form.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| format!("unknown {} `{s}`", stringify!($name)))
            }
        }
    };
}

status_enum! {
    /// An incident report's state.
    IncidentStatus {
        Draft = "draft", "下書き";
        Reported = "reported", "報告済み（評価待ち）";
        Triaged = "triaged", "対応中";
        Closed = "closed", "対応完了";
    }
}

status_enum! {
    /// A policy violation's state (違反時の対応).
    ViolationStatus {
        Open = "open", "是正待ち";
        Corrected = "corrected", "是正済み";
        Suspended = "suspended", "権利停止";
    }
}

status_enum! {
    /// An audit's state.
    AuditStatus {
        Planned = "planned", "計画（承認待ち）";
        Approved = "approved", "承認済み・実施中";
        Reported = "reported", "結果報告済み";
    }
}

status_enum! {
    /// An improvement plan's state.
    PlanStatus {
        Open = "open", "対応中";
        Closed = "closed", "完了";
    }
}

status_enum! {
    /// A request's state (申請).
    RequestStatus {
        Pending = "pending", "承認待ち";
        Approved = "approved", "承認済み";
        Permitted = "permitted", "許可（承認不要）";
        Refused = "refused", "却下";
        Returned = "returned", "返却済み";
        Disposed = "disposed", "廃棄済み";
        Done = "done", "作業済み";
    }
}

status_enum! {
    /// An incident task's state (指示・対策).
    TaskStatus {
        Open = "open", "未完了";
        Done = "done", "完了";
    }
}

status_enum! {
    /// A "same issue elsewhere?" check's state (同種の課題の有無の確認).
    CheckStatus {
        Pending = "pending", "確認待ち";
        Found = "found", "同種の課題あり";
        NotFound = "not_found", "同種の課題なし";
    }
}

status_enum! {
    /// A compiled policy draft's state.
    DraftStatus {
        Draft = "draft", "確認中";
        Accepted = "accepted", "承認済み（有効化待ち）";
        Activated = "activated", "有効化済み";
    }
}

/// May `subject` approve an audit plan drawn up by `author`? The plan's author cannot
/// approve it (兼務の禁止).
pub fn approve_audit_plan(
    w: &Workflow,
    subject: &Subject,
    tree: &DepartmentTree,
    audit_id: i64,
    status: AuditStatus,
    author: Option<i64>,
) -> Result<(), Refusal> {
    w.check(subject, tree, Step::AuditApprove, None)?;
    require_state(format!("監査 {audit_id}"), status, &[AuditStatus::Planned], "承認できません（承認待ちの計画だけを承認できます）")?;
    if author.is_some() && author == subject.person_id {
        return Err(w.separation_of_duties("監査実施計画を立案した人は、その計画を承認できません").into());
    }
    Ok(())
}

/// May `subject` activate a draft that the accounts `author_users` uploaded or edited?
/// Someone other than them must (separation of duties), holding the activation step.
pub fn activate_draft(
    w: &Workflow,
    subject: &Subject,
    tree: &DepartmentTree,
    draft_id: i64,
    status: DraftStatus,
    author_users: &[i64],
) -> Result<(), Refusal> {
    w.check(subject, tree, Step::ProfileActivate, None)?;
    require_state(
        format!("下書き {draft_id}"),
        status,
        &[DraftStatus::Accepted],
        "有効にできません（承認された下書きだけを有効にできます）",
    )?;
    if author_users.contains(&subject.user_id) {
        return Err(w
            .separation_of_duties(
                "下書きを取り込んだ人・編集した人は、その下書きを自分で有効にできません。別の権限者が確認して有効にしてください",
            )
            .into());
    }
    Ok(())
}

/// May `subject` suspend the rights of the person of a violation?
pub fn suspend_for_violation(
    w: &Workflow,
    subject: &Subject,
    tree: &DepartmentTree,
    violation_id: i64,
    status: ViolationStatus,
    offender: i64,
) -> Result<(), Refusal> {
    w.check(subject, tree, Step::ViolationSuspend, None)?;
    require_state(
        format!("違反 {violation_id}"),
        status,
        &[ViolationStatus::Open],
        "利用権限を停止できません（是正待ちの違反だけが対象です）",
    )?;
    if subject.person_id == Some(offender) {
        return Err(w.separation_of_duties("自分自身の利用権限は停止できません").into());
    }
    Ok(())
}

/// May `subject` record the correction of a violation by a person of `department`?
pub fn correct_violation(
    w: &Workflow,
    subject: &Subject,
    tree: &DepartmentTree,
    violation_id: i64,
    status: ViolationStatus,
    department: i64,
) -> Result<(), Refusal> {
    w.check(subject, tree, Step::ViolationCorrect, Some(department))?;
    require_state(format!("違反 {violation_id}"), status, &[ViolationStatus::Open], "是正を記録できません（是正待ちの違反だけが対象です）")
}

/// May `subject` report progress on an improvement plan of `department` for which
/// `responsible` answers? The responsible 管理者 always may.
pub fn report_plan_progress(
    w: &Workflow,
    subject: &Subject,
    tree: &DepartmentTree,
    plan_id: i64,
    status: PlanStatus,
    department: i64,
    responsible: i64,
) -> Result<(), Refusal> {
    if subject.person_id != Some(responsible) {
        w.check(subject, tree, Step::ImprovementReport, Some(department))?;
    }
    require_state(format!("改善計画 第{plan_id}号"), status, &[PlanStatus::Open], "進捗を報告できません（完了した計画です）")
}

/// What the request workflow needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub id: i64,
    pub status: RequestStatus,
    pub applicant: i64,
    /// The department the request is filed for.
    pub department: i64,
    /// The profile role whose approval the request waits on, and in which department when
    /// the role is per department.
    pub approver_role: Option<&'a str>,
    pub approver_department: Option<i64>,
    /// The approval rule's clause, and the approver role's name.
    pub approval_clause: &'a str,
    pub approver_name: &'a str,
}

/// How a person may decide a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decider {
    /// They decide as a deputy (代理), not as the holder.
    pub as_deputy: bool,
    /// They approve their own request, with a recorded reason (an exception to 兼務の禁止).
    pub self_approval: bool,
}

/// The role assignment that lets `subject` decide the request: `Some(true)` as a deputy
/// only, `Some(false)` as a holder, `None` not at all.
pub fn approver_assignment(subject: &Subject, r: &RequestFacts) -> Option<bool> {
    let role = r.approver_role?;
    let mut found: Option<bool> = None;
    for h in subject.holdings.iter().filter(|h| h.role == role) {
        if r.approver_department.is_none() || h.department_id == r.approver_department {
            // A holder's own assignment wins over a deputy's.
            found = Some(found.unwrap_or(true) && h.is_deputy);
        }
    }
    found
}

/// May `subject` approve (or refuse) the request? The approver's role (or its deputy) in
/// the right department, never the applicant — unless `justified` (やむを得ない場合 with a
/// written reason, recorded as an exception).
pub fn decide_request(w: &Workflow, subject: &Subject, r: &RequestFacts, justified: bool) -> Result<Decider, Refusal> {
    require_state(format!("申請 {}", r.id), r.status, &[RequestStatus::Pending], "決裁できません（承認待ちの申請だけを決裁できます）")?;
    let Some(as_deputy) = approver_assignment(subject, r) else {
        return Err(Refusal::Denied(Denial {
            step: None,
            clause: r.approval_clause.to_owned(),
            provenance: Provenance::Document,
            reason: format!("この申請を決裁できるのは{}（又はその代理）です。あなたにはその役割がありません", r.approver_name),
        }));
    };
    let own = subject.person_id == Some(r.applicant);
    if own && !justified {
        return Err(w
            .separation_of_duties(
                "申請者本人は自分の申請を決裁できません。代理の者を含め、ほかの承認者に回してください。やむを得ない場合は、その理由を記入すると例外として記録されます",
            )
            .into());
    }
    Ok(Decider { as_deputy, self_approval: own })
}

/// May `subject` record that a request was carried out (the return of what was taken out,
/// a disposal, a system change)? Its applicant, its approver, or whoever manages the
/// department's registers. `record` is the step whose record this makes.
pub fn complete_request(w: &Workflow, subject: &Subject, tree: &DepartmentTree, r: &RequestFacts, record: Step) -> Result<(), Refusal> {
    require_state(
        format!("申請 {}", r.id),
        r.status,
        &[RequestStatus::Approved, RequestStatus::Permitted],
        "完了を記録できません（承認済みで、まだ記録していない申請だけが対象です）",
    )?;
    if subject.person_id == Some(r.applicant)
        || approver_assignment(subject, r).is_some()
        || w.allows(subject, tree, Step::RegistersManage, Some(r.department))
    {
        return Ok(());
    }
    let c = w.cite(record);
    Err(Refusal::Denied(Denial {
        step: Some(record),
        clause: c.clause,
        provenance: c.provenance,
        reason: format!(
            "{}は、申請者、承認者と、その課局等の台帳を管理する{}が行います",
            record.label_ja(),
            w.who_ja(Step::RegistersManage)
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_has_exactly_one_standard_rule_and_a_unique_id() {
        for &s in Step::ALL {
            assert_eq!(STANDARD.iter().filter(|r| r.step == s).count(), 1, "{s}");
            assert_eq!(Step::parse(s.id()), Some(s));
        }
        assert_eq!(STANDARD.len(), Step::ALL.len());
        let ids: BTreeSet<&str> = Step::ALL.iter().map(|s| s.id()).collect();
        assert_eq!(ids.len(), Step::ALL.len());
        for r in STANDARD {
            if matches!(r.step.kind(), StepKind::Guidance) {
                assert!(r.roles.is_empty() && !r.administrators, "{}: guidance names nobody", r.step);
            } else {
                assert!(!r.roles.is_empty() || r.administrators, "{}: a permission needs someone", r.step);
            }
        }
    }

    #[test]
    fn the_tree_knows_what_lies_under_a_department() {
        let t = DepartmentTree::new([(1, None), (2, Some(1)), (3, Some(2)), (4, None)]);
        assert_eq!(t.subtree([2]), BTreeSet::from([2, 3]));
        assert!(t.is_within(3, 1));
        assert!(!t.is_within(4, 1));
        assert!(!t.is_within(1, 3));
        // A cycle in bad data does not hang.
        let c = DepartmentTree::new([(1, Some(2)), (2, Some(1))]);
        assert!(!c.is_within(1, 9));
        assert_eq!(c.subtree([1]), BTreeSet::from([1, 2]));
    }

    #[test]
    fn statuses_round_trip() {
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Some(*s));
        }
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(AuditStatus::parse("nonsense"), None);
    }
}
