//! The router: one module per resource.

mod api;
mod assets;
mod auth_pages;
mod decisions;
mod drafts;
mod events;
mod home;
mod incidents;
mod org;
mod policy;
mod requests;
mod systems;
mod violations;

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
        .route("/org/import", get(org::import_form).post(org::import))
        .route("/org/export.csv", get(org::export))
        .route("/policy", get(policy::overview))
        .route("/policy/clauses", get(policy::clauses))
        .route("/policy/versions", get(policy::versions).post(policy::activate))
        .route("/policy/drafts", get(drafts::list).post(drafts::upload))
        .route("/policy/drafts/{id}", get(drafts::show).post(drafts::edit))
        .route("/policy/drafts/{id}/accept", post(drafts::accept))
        .route("/policy/drafts/{id}/activate", post(drafts::activate))
        .route("/events", get(events::list))
        .route("/ledger", get(events::ledger))
        .route("/ledger/anchor", post(events::take_anchor))
        .merge(api::router())
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
