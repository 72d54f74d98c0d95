//! Audits (監査) and improvement plans (改善計画). The 統括's office draws up a
//! yearly plan; the committee or the 統括 — not whoever drew it up — approves it; auditors are
//! assigned to departments they are independent of (a conflict needs a recorded reason);
//! auditors record findings against the in-scope clauses and report; the CISO or the 統括
//! turns a finding into an improvement plan for the department's 管理者, and asks other
//! departments whether they have the same issue. Plans take progress reports until closed,
//! and show as overdue after their date.

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use chrono::NaiveDate;
use mamori_policy::yearly::{checklist, FiscalYear};
use mamori_store::audits::{severity_label, Audit, NewAssignment, NewAudit, NewEvidence, NewFinding, NewPlan, Plan, SEVERITIES};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Access;
use crate::error::{ApiError, AppError};
use crate::routes::person_of;
use crate::routes::yearly::{today, year_nav, YearQuery};
use crate::views::fmt::{date_ja, wareki_time};
use crate::views::layout::{csrf_field, page};
use crate::views::{cite_clause, per};
use crate::AppState;
use mamori_policy::workflow::{self as wf, AuditStatus, CheckStatus, PlanStatus, Step};

mod audit;
mod improvements;
mod plans;

pub use audit::*;
pub use improvements::*;
pub use plans::*;

/// The role an approver approves an audit plan in: the first of theirs the profile's rule
/// names.
pub(super) fn approver_role(access: &Access) -> Option<String> {
    let rule = access.workflow.rule(Step::AuditApprove);
    access.roles.iter().map(|r| r.role.clone()).find(|r| rule.roles.contains(r)).or_else(|| access.is_admin().then(|| "admin".to_owned()))
}

pub(super) fn audit_status(a: &Audit) -> Result<AuditStatus, AppError> {
    Ok(a.status)
}

/// Whether this person is one of the audit's auditors.
pub(super) async fn is_auditor(state: &AppState, access: &Access, audit_id: i64) -> Result<bool, AppError> {
    let Some(me) = &access.person else { return Ok(false) };
    Ok(state.store.audits_of_auditor(access.org_id(), me.id).await?.contains(&audit_id))
}

/// Who reads an audit: organizers, the committee, and its auditors.
pub async fn reads_audit(state: &AppState, access: &Access, audit_id: i64) -> Result<bool, AppError> {
    Ok(access.may(Step::AuditView) || is_auditor(state, access, audit_id).await?)
}

pub(super) fn parse_day(field: &str, value: &str, problems: &mut Vec<String>) -> Option<NaiveDate> {
    let d = crate::routes::parse_date(field, value, problems).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    if d.is_none() && value.trim().is_empty() {
        problems.push(format!("{field}を入力してください"));
    }
    d
}

/// An example of the audit scope field in this profile's own chapters.
pub(super) fn chapters_example(access: &Access) -> String {
    let mut chapters: Vec<String> = Vec::new();
    for c in &access.profile.clauses {
        let ch = mamori_policy::yearly::chapter_of(c.id.get_ref().as_str());
        if !chapters.contains(&ch) {
            chapters.push(ch);
        }
        if chapters.len() == 2 {
            break;
        }
    }
    chapters.join(",")
}

/// The profile's roles whose holder for a department is not independent of it: the
/// department-scoped roles that manage its registers.
pub(super) fn department_roles(access: &Access) -> Vec<String> {
    access
        .workflow
        .rule(Step::RegistersManage)
        .roles
        .iter()
        .filter(|r| access.profile.role(r).is_some_and(|x| x.scope == mamori_policy::RoleScope::Department))
        .cloned()
        .collect()
}
