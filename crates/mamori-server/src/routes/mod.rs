//! The router: one module per resource.

mod account;
mod annual;
mod api;
mod assessment;
mod assets;
mod audits;
mod auth_pages;
mod body;
mod decisions;
mod drafts;
mod events;
mod home;
mod incidents;
mod org;
mod policy;
mod requests;
mod systems;
mod training;
mod violations;
mod witness;
pub(crate) mod yearly;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(home::healthz))
        .route("/static/style.css", get(home::stylesheet))
        .route("/", get(home::dashboard))
        .route("/login", get(auth_pages::login_form).post(auth_pages::login))
        .route("/login/totp", get(auth_pages::totp_form).post(auth_pages::totp_verify))
        .route("/account/totp", get(auth_pages::totp_setup_form).post(auth_pages::totp_setup))
        .route("/account/password", get(auth_pages::password_form).post(auth_pages::password_change))
        .route("/logout", post(auth_pages::logout))
        .route("/account", get(account::overview))
        .route("/account/sessions", get(account::sessions))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route("/assets", get(assets::list).post(assets::create))
        .route("/assets/new", get(assets::new_form))
        .route("/assets/{id}", get(assets::show).post(assets::update))
        .route("/assets/{id}/edit", get(assets::edit_form))
        .route("/assets/{id}/reclassify", post(assets::reclassify))
        .route("/assets/{id}/copy", post(assets::copy))
        .route("/requests", get(requests::list).post(requests::create))
        .route("/requests/new", get(requests::new_form))
        .route("/requests/{id}", get(requests::show))
        .route("/requests/{id}/approve", post(requests::approve))
        .route("/requests/{id}/refuse", post(requests::refuse))
        .route("/requests/{id}/complete", post(requests::completed))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incidents/new", get(incidents::new_form))
        .route("/incidents/{id}", get(incidents::show).post(incidents::update))
        .route("/incidents/{id}/acknowledge", post(incidents::acknowledge_page))
        .route("/incidents/{id}/triage", post(incidents::triage_page))
        .route("/incidents/{id}/tasks", post(incidents::add_task_page))
        .route("/incidents/{id}/tasks/{task_id}/done", post(incidents::task_done_page))
        .route("/incidents/{id}/findings", post(incidents::findings_page))
        .route("/incidents/{id}/external/{report_id}", post(incidents::file_external_page))
        .route("/incidents/{id}/close", post(incidents::close_page))
        .route("/incidents/{id}/attachments", post(incidents::attach_page))
        .route("/incidents/{id}/attachments/{attachment_id}", get(incidents::attachment))
        .route("/incidents/{id}/occurrence-report", get(incidents::occurrence_report))
        .route("/incidents/{id}/response-report", get(incidents::response_report))
        .route("/emergency-plan", get(incidents::emergency_plan))
        .route("/absences", post(incidents::add_absence))
        .route("/violations", get(violations::list).post(violations::create))
        .route("/violations/{id}/correct", post(violations::correct_page))
        .route("/violations/{id}/suspend", post(violations::suspend_page))
        .route("/training", get(training::list).post(training::create))
        .route("/training/joined", post(training::record_joined))
        .route("/training/consents", post(training::record_consent))
        .route("/training/report", post(training::report_status))
        .route("/training/{id}", get(training::show))
        .route("/training/{id}/attendance", post(training::attendance))
        .route("/training/{id}/import", post(training::import))
        .route("/training/{id}/result", post(training::record_result))
        .route("/assessment", get(assessment::show).post(assessment::create))
        .route("/assessment/items/{id}", get(assessment::item).post(assessment::answer))
        .route("/assessment/items/{id}/evidence", post(assessment::add_evidence))
        .route("/evidence/{id}", get(assessment::evidence_file))
        .route("/audits", get(audits::list).post(audits::create))
        .route("/audits/{id}", get(audits::show))
        .route("/audits/{id}/approve", post(audits::approve_page))
        .route("/audits/{id}/assignments", post(audits::assign_page))
        .route("/audits/{id}/findings", post(audits::finding_page))
        .route("/audits/{id}/report", post(audits::report_page))
        .route("/audits/{id}/evidence", post(audits::evidence_page))
        .route("/audits/findings/{id}/checks", post(audits::checks_page))
        .route("/improvements", get(audits::improvements).post(audits::create_plan_page))
        .route("/improvements/checks/{id}", post(audits::answer_check))
        .route("/improvements/{id}", get(audits::plan_show))
        .route("/improvements/{id}/progress", post(audits::progress_page))
        .route("/reports/annual", get(annual::page))
        .route("/reports/annual.xlsx", get(annual::xlsx))
        .route("/systems", get(systems::list).post(systems::create))
        .route("/systems/new", get(systems::new_form))
        .route("/systems/{id}", get(systems::show).post(systems::update))
        .route("/systems/{id}/edit", get(systems::edit_form))
        .route("/org", get(org::overview))
        .route("/org/departments", post(org::create_department))
        .route("/org/posts", post(org::create_post))
        .route("/org/people", get(org::people).post(org::create_person))
        .route("/org/roles", post(org::assign_role))
        .route("/org/roles/{id}/remove", post(org::remove_role))
        .route("/org/users", post(org::create_user))
        .route("/org/users/{id}/unlock", post(org::unlock_user))
        .route("/org/users/{id}/reset", post(org::reset_password))
        .route("/org/users/{id}/sessions/end", post(org::end_sessions))
        .route("/org/import", get(org::import_form).post(org::import))
        .route("/org/export.csv", get(org::export))
        .route("/policy", get(policy::overview))
        .route("/policy/clauses", get(policy::clauses))
        .route("/policy/versions", get(policy::versions).post(policy::paste))
        .route("/policy/versions/{id}/restore", get(policy::restore_form).post(policy::restore))
        .route("/policy/drafts", get(drafts::list).post(drafts::upload))
        .route("/policy/drafts/{id}", get(drafts::show).post(drafts::edit))
        .route("/policy/drafts/{id}/accept", post(drafts::accept))
        .route("/policy/drafts/{id}/activate", post(drafts::activate))
        .route("/events", get(events::list))
        .route("/ledger", get(events::ledger))
        .route("/ledger/anchor", post(events::take_anchor))
        .route("/ledger/witness/checkpoint", get(witness::checkpoint))
        .route("/ledger/witness/cosignature", post(witness::cosignature))
        .merge(api::router())
}

/// The staff member behind the signed-in account. An account with no staff record (an
/// administrator created for set-up) cannot act as a person in a workflow: `doing` says
/// what it tried, in Japanese (「違反を記録」).
pub(crate) fn person_of<'a>(access: &'a crate::auth::Access, doing: &str) -> Result<&'a mamori_store::org::Person, crate::error::AppError> {
    access.person.as_ref().ok_or_else(|| {
        crate::error::AppError::BadRequest(format!(
            "職員として登録されていない利用者は{doing}できません。管理者に職員の登録と利用者IDとの関連付けを依頼してください"
        ))
    })
}

/// A date field as typed (`YYYY-MM-DD`), normalized; a bad value adds a Japanese problem
/// naming the field. Empty is `None` without a problem.
pub(crate) fn parse_date(field: &str, value: &str, problems: &mut Vec<String>) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d.format("%Y-%m-%d").to_string()),
        Err(_) => {
            problems.push(format!("{field}「{v}」は YYYY-MM-DD の形で入力してください"));
            None
        }
    }
}

/// A file from a multipart form.
pub(crate) struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// The `file` part of a multipart form and its text fields (the CSRF token has been checked
/// by then; other fields are the caller's).
pub(crate) struct UploadForm {
    pub file: Option<Upload>,
    pub fields: std::collections::HashMap<String, String>,
}

/// Reads a multipart form whose file is in the field `file`.
pub(crate) async fn read_upload(multipart: &mut axum::extract::Multipart) -> Result<UploadForm, crate::error::AppError> {
    use crate::error::AppError;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(format!("アップロードを読めません（{}）", e.body_text()));
    let mut form = UploadForm { file: None, fields: std::collections::HashMap::new() };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let file_name = clean_file_name(field.file_name().unwrap_or(""));
            let content_type = field.content_type().unwrap_or("application/octet-stream").chars().take(100).collect::<String>();
            let bytes = field.bytes().await.map_err(bad)?;
            form.file = Some(Upload { file_name, content_type, content: bytes.to_vec() });
        } else {
            let text = field.text().await.map_err(bad)?;
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

/// The last path segment of an uploaded file's name, without control characters.
pub(crate) fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() {
        "添付ファイル".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

/// A stored file, always as a download (never rendered by the browser), with its hash.
pub(crate) fn download(file_name: &str, sha256: &str, content: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let encoded: String = serde_urlencoded::to_string([("x", file_name)]).map(|x| x[2..].replace('+', "%20")).unwrap_or_default();
    let disposition = format!("attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}");
    let headers = [
        (axum::http::header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (axum::http::header::CONTENT_DISPOSITION, disposition),
        (axum::http::HeaderName::from_static("x-content-sha256"), sha256.to_owned()),
    ];
    (headers, content).into_response()
}
