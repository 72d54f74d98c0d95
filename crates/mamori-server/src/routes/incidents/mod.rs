//! Incidents through pages and the API: anyone reports (a short form first, a draft kept
//! until it is sent), routing tells the roles the level table names, CSIRT assesses and
//! hands out instructions, the external reports the facts require are listed with their
//! deadlines, and the policy's two reports and the emergency response plan are printable.

use std::collections::HashSet;

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use mamori_policy::incident::{self, DueReport, Facts, Reason};
use mamori_policy::{Profile, RoleScope};
use mamori_store::incidents::{
    Findings, Incident, IncidentFilter, IncidentReport, NewAttachment, NewFiling, NewTask, Notice, Submission, Task, Triage,
};
use mamori_store::jst;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Access;
use crate::error::{ApiError, AppError};
use crate::notify::{self, due_reports, facts_of};
use crate::routes::{parse_date, person_of};
use crate::views::fmt::{wareki_date, wareki_time};
use crate::views::layout::{csrf_field, head, page};
use crate::views::{cite, cite_clause, per};
use crate::AppState;
use mamori_policy::workflow::{IncidentStatus, Step, TaskStatus};

mod api;
mod csirt;
mod dashboard;
mod detail;
mod plan;
mod print;
mod report;

pub use api::*;
pub use csirt::*;
pub use dashboard::*;
pub use detail::*;
pub use plan::*;
pub use print::*;
pub use report::*;

pub(super) fn now() -> DateTime<FixedOffset> {
    chrono::Utc::now().with_timezone(&jst())
}

pub(super) fn today() -> NaiveDate {
    now().date_naive()
}

pub(super) fn can_see(access: &Access, i: &Incident, notices: &[Notice]) -> bool {
    let me = access.person.as_ref().map(|p| p.id);
    if i.status == IncidentStatus::Draft {
        return me == Some(i.reporter_person_id);
    }
    access.may(Step::IncidentViewAll)
        || me == Some(i.reporter_person_id)
        || notices.iter().any(|n| Some(n.person_id) == me)
        || access.may_in(Step::RegistersManage, i.department_id)
}

pub(super) async fn load(state: &AppState, access: &Access, id: i64) -> Result<(Incident, Vec<Notice>), AppError> {
    let i = state.store.incident(access.org_id(), id).await?;
    let notices = state.store.incident_notices(access.org_id(), id).await?;
    if !can_see(access, &i, &notices) {
        return Err(AppError::NotFound);
    }
    Ok((i, notices))
}

pub(super) const FACTS: &[(&str, &str)] = &[
    ("personal_information", "個人情報が含まれる"),
    ("sensitive_personal_information", "要配慮個人情報が含まれる"),
    ("financial_damage", "不正利用により財産的被害が生じるおそれがある"),
    ("unlawful_intent", "不正の目的をもって行われたおそれがある"),
    ("specific_personal_information", "特定個人情報（マイナンバー）が含まれる"),
    ("suspected_crime", "犯罪（不正アクセス禁止法違反等）の可能性がある"),
    ("residents_affected", "住民・企業に被害・影響が及ぶ"),
];

pub(super) fn task_kind_label(k: &str) -> &'static str {
    match k {
        "containment" => "応急措置・復旧の指示",
        "check_other_systems" => "他システムでの同様の事象の確認",
        "ciso_instruction" => "CISOの指示",
        "recurrence_prevention" => "再発防止策",
        _ => "指示",
    }
}

pub(super) const TASK_KINDS: &[&str] = &["containment", "check_other_systems", "ciso_instruction", "recurrence_prevention"];

pub(super) fn role_name(profile: &Profile, role: &str) -> String {
    profile.role(role).map(|r| r.name.clone()).unwrap_or_else(|| role.to_owned())
}

pub(super) fn level_name(profile: &Profile, level: Option<i64>) -> String {
    match level {
        None => "未選択".into(),
        Some(l) => profile
            .incident_levels
            .iter()
            .find(|x| i64::from(*x.level.get_ref()) == l)
            .map(|x| format!("{}（{}）", x.name, x.criteria))
            .unwrap_or_else(|| format!("レベル{l}")),
    }
}

pub(super) fn personal_label(p: &str) -> &'static str {
    match p {
        "yes" => "含まれる",
        "no" => "含まれない",
        _ => "不明",
    }
}

pub(super) fn time_or_blank(t: &Option<String>) -> String {
    t.as_deref().map(wareki_time).unwrap_or_else(|| "—".into())
}

pub(super) fn event_label(action: &str) -> &'static str {
    match action {
        "incident.draft" => "下書きを保存",
        "incident.report" => "報告",
        "incident.acknowledge" => "通知を確認",
        "incident.escalate" => "未確認のため上位へ通知",
        "incident.mail" => "通知メール",
        "incident.triage" => "CSIRTの評価",
        "incident.task" => "指示",
        "incident.task_done" => "指示の完了",
        "incident.findings" => "原因・対応・再発防止策の記録",
        "incident.external_report" => "外部への報告",
        "incident.close" => "対応完了",
        _ => "記録",
    }
}

/// The incidents this person may see.
pub(super) async fn visible(state: &AppState, access: &Access, open_only: bool) -> Result<Vec<Incident>, AppError> {
    let me = access.person.as_ref().map(|p| p.id);
    let filter = if access.may(Step::IncidentViewAll) {
        IncidentFilter { include_drafts_of: me, open_only, limit: 500, ..Default::default() }
    } else {
        IncidentFilter {
            reporter_person_id: Some(me.unwrap_or(-1)),
            department_ids: access.managed_departments().filter(|d| !d.is_empty()),
            noticed_person_id: me,
            include_drafts_of: me,
            open_only,
            limit: 500,
        }
    };
    Ok(state.store.incidents(access.org_id(), &filter).await?)
}

pub(super) async fn after_action(state: &AppState, access: &Access, id: i64, result: Result<(), AppError>) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(e) if e.is_shown_on_form() && !matches!(e, AppError::NotFound) => {
            let body = detail(state, access, id, &ShowQuery::default(), Some(&e.message_ja())).await?;
            Ok((e.status(), page(&format!("インシデント報告 第{id}号"), Some(access), body)).into_response())
        }
        Err(e) => Err(e),
    }
}
