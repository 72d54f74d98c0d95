//! Requests (申請) through pages and the API: file one (the decision engine decides it and
//! names the approver), approve or refuse it (separation of duties enforced here), and the
//! records they make — 持出・持込記録 with the return of what was taken out, and the CISO's
//! register of exceptions and overrides.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use mamori_engine::{DecisionJson, RequestInput};
use mamori_policy::{Action, Fact, Location, RoleScope};
use mamori_store::requests::{Completion, NewRequest, Request, RequestFilter, Verdict};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Access;
use crate::error::{ApiError, AppError};
use crate::routes::assets::visible_asset;
use crate::routes::{parse_date, person_of};
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::views::per;
use crate::AppState;
use mamori_policy::workflow::{self as wf, RequestStatus, Step};

mod api;
mod decide;
mod file;
mod registers;

pub use api::*;
pub use decide::*;
pub use file::*;
pub use registers::*;

/// The actions a person can file a request for from the pages.
pub(super) const FILED: &[Action] = &[
    Action::TakeOut,
    Action::ProcessOutside,
    Action::BringIn,
    Action::Transport,
    Action::Provide,
    Action::Dispose,
    Action::InstallSoftware,
    Action::ChangeHardware,
    Action::RemoteAccess,
    Action::UseCloudService,
    Action::Exception,
    Action::ChangeSystem,
];

/// A request as a form or a JSON body gives it.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct RequestForm {
    #[serde(default)]
    pub action: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub asset_id: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub due_on: String,
    /// `issued` or `private`.
    #[serde(default)]
    pub device: String,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub encrypted: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub safety_measures: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub malware_checked: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub emergency: Option<String>,
}

/// A verdict as a form or a JSON body gives it.
#[derive(Debug, Default, Deserialize)]
pub struct VerdictForm {
    #[serde(default)]
    pub comment: String,
    /// Filled only to override separation of duties ("やむを得ない場合").
    #[serde(default)]
    pub override_justification: String,
    /// The day the request was closed: the return, or the disposal.
    #[serde(default)]
    pub completed_on: String,
    /// How it was checked on return; for a disposal, the method (required).
    #[serde(default)]
    pub note: String,
    /// For a cloud service: the person named クラウドサービス管理者.
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub service_manager_person_id: String,
    /// For a system change: the second person, who checked the work.
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub checked_by_person_id: String,
}

pub(super) fn today() -> String {
    chrono::Utc::now().with_timezone(&mamori_store::jst()).format("%Y-%m-%d").to_string()
}

/// The facts the request workflow decides by.
pub(super) fn facts<'a>(r: &'a Request, approver_name: &'a str) -> Result<wf::RequestFacts<'a>, AppError> {
    Ok(wf::RequestFacts {
        id: r.id,
        status: r.status,
        applicant: r.applicant_person_id,
        department: r.department_id,
        approver_role: r.approver_role.as_deref(),
        approver_department: r.approver_department_id,
        approval_clause: r.decision["approvals"][0]["clause"].as_str().unwrap_or(""),
        approver_name,
    })
}

pub(super) fn approver_name(access: &Access, r: &Request) -> String {
    r.approver_role.as_deref().map(|x| access.role_name(x)).unwrap_or_default()
}

/// The role assignment that lets this person decide `r`, if any: (assignment is a deputy's).
pub(super) fn approver_assignment(access: &Access, r: &Request) -> Option<bool> {
    let name = approver_name(access, r);
    wf::approver_assignment(&access.subject(), &facts(r, &name).ok()?)
}

pub(super) fn can_see(access: &Access, r: &Request) -> bool {
    access.person.as_ref().is_some_and(|p| p.id == r.applicant_person_id)
        || approver_assignment(access, r).is_some()
        || access.can_see_department(r.department_id)
}

pub(super) async fn load(state: &AppState, access: &Access, id: i64) -> Result<Request, AppError> {
    let r = state.store.request(access.org_id(), id).await?;
    if !can_see(access, &r) {
        return Err(AppError::NotFound);
    }
    Ok(r)
}
