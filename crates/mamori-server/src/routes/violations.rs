//! Policy violations (違反時の対応): whoever the profile lets record one does so; the
//! person's 情報セキュリティ管理者 sees it and records the correction; if it is not
//! corrected, the role the profile names suspends the person's rights in mamori, and those
//! who read violations see that on their dashboards. Who does each step, and the clause, are
//! the active profile's workflow rules.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_policy::workflow::{self, Reach, Step, ViolationStatus};
use mamori_store::violations::{NewViolation, Violation};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::views::{cite_clause, per};
use crate::AppState;

/// The role the finder records a violation in: the first of their roles that the profile's
/// rule for recording names.
fn finder_role(access: &Access) -> Option<String> {
    if !access.may(Step::ViolationRecord) {
        return None;
    }
    let rule = access.workflow.rule(Step::ViolationRecord);
    access.roles.iter().map(|r| r.role.clone()).find(|r| rule.roles.contains(r)).or_else(|| access.is_admin().then(|| "admin".to_owned()))
}

/// The violations this person may read, as far as the profile's rule reaches.
async fn visible(state: &AppState, access: &Access, open_only: bool) -> Result<Vec<Violation>, AppError> {
    match access.reach(Step::ViolationView) {
        Reach::Everywhere => Ok(state.store.violations(access.org_id(), None, open_only).await?),
        Reach::Departments(d) => {
            let d: Vec<i64> = d.into_iter().collect();
            Ok(state.store.violations(access.org_id(), Some(&d), open_only).await?)
        }
        Reach::Nowhere => Ok(Vec::new()),
    }
}

fn state_of(v: &Violation) -> Result<ViolationStatus, AppError> {
    Ok(v.status)
}

fn may_correct(access: &Access, v: &Violation) -> bool {
    access.may_in(Step::ViolationCorrect, v.department_id)
}

fn table(access: &Access, rows: &[Violation]) -> Markup {
    html! {
        @if rows.is_empty() { p id="violations" { "記録はありません。" } } @else {
            table id="violations" {
                thead { tr { th { "番号" } th { "職員" } th { "課局等" } th { "内容" } th { "記録" } th { "状態" } th { "対応" } } }
                tbody { @for v in rows { tr {
                    td { (v.id) }
                    td { (v.person_name) }
                    td { (v.department_name) }
                    td { (v.description) br; span.small { (cite_clause(&v.clause)) } }
                    td { (v.found_by_name) br; span.small { (wareki_time(&v.created_at)) } }
                    td { (v.status.label_ja()) }
                    td {
                        @if v.status == ViolationStatus::Open {
                            @if may_correct(access, v) {
                                form method="post" action={"/violations/" (v.id) "/correct"} {
                                    (csrf_field(&access.session.csrf_token))
                                    input type="text" name="note" placeholder="指導・是正の内容" maxlength="1000" required;
                                    button type="submit" { "是正を記録" }
                                }
                            }
                            @if access.may(Step::ViolationSuspend) {
                                form method="post" action={"/violations/" (v.id) "/suspend"} {
                                    (csrf_field(&access.session.csrf_token))
                                    input type="text" name="note" placeholder="改善されない理由" maxlength="1000" required;
                                    button type="submit" { "mamori の利用権限を停止" }
                                }
                            }
                        } @else {
                            (v.resolution) br; span.small { (v.resolved_by_name.as_deref().unwrap_or("")) " " (v.resolved_at.as_deref().map(wareki_time).unwrap_or_default()) }
                        }
                    }
                } } }
            }
        }
    }
}

async fn list_page(state: &AppState, access: &Access, error: Option<&str>, code: StatusCode) -> Result<Response, AppError> {
    let rows = visible(state, access, false).await?;
    let finder = finder_role(access);
    let example = access.profile.clauses.iter().find(|c| c.force.is_checked()).map(|c| c.id.get_ref().to_string());
    let people = if finder.is_some() {
        state.store.people(access.org_id(), None, 100_000, 0).await?.into_iter().filter(|p| p.active).collect()
    } else {
        Vec::new()
    };
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        p.small {
            "職員等の情報セキュリティポリシーに違反する行動を確認した場合の措置" (per(&access.cite(Step::ViolationResponse))) "。"
            "記録すると所属の情報セキュリティ管理者に通知され、指導によっても改善されない場合は" (access.workflow.who_ja(Step::ViolationSuspend))
            "が mamori の利用権限を停止します" (per(&access.cite(Step::ViolationSuspend))) "。"
        }
        @if finder.is_some() {
            h2 { "違反の記録" }
            form.stack method="post" action="/violations" id="violation-form" {
                (csrf_field(&access.session.csrf_token))
                label { "職員"
                    select name="person_id" required {
                        option value="" { "（選んでください）" }
                        @for p in &people { option value=(p.id) { (p.name) "（" (access.department_name(p.department_id)) "）" } }
                    }
                }
                label { "違反の内容" input type="text" name="description" maxlength="1000"; }
                label {
                    "違反した条項（このポリシーの条項ID"
                    @if let Some(e) = &example { "。例: " (e) }
                    "。空欄なら違反時の対応の条項）"
                    input type="text" name="clause" maxlength="100";
                }
                button type="submit" { "記録する" }
            }
        }
        h2 { "記録の一覧" }
        (table(access, &rows))
    };
    Ok((code, page("違反時の対応", Some(access), body)).into_response())
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    list_page(&state, &access, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ViolationForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub person_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub clause: String,
    #[serde(default)]
    pub note: String,
}

async fn done(state: &AppState, access: &Access, r: Result<(), AppError>) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(Redirect::to("/violations").into_response()),
        Err(e) if e.is_shown_on_form() => list_page(state, access, Some(&e.message_ja()), e.status()).await,
        Err(e) => Err(e),
    }
}

async fn record(state: &AppState, access: &Access, f: &ViolationForm) -> Result<(), AppError> {
    access.require(Step::ViolationRecord)?;
    let found_as = finder_role(access).unwrap_or_default();
    let Some(me) = &access.person else {
        return Err(AppError::BadRequest("職員として登録されていない利用者は違反を記録できません".into()));
    };
    let person_id = f.person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("職員を選んでください".into()))?;
    if f.description.chars().count() > 1000 || f.clause.chars().count() > 100 {
        return Err(AppError::BadRequest("内容は1000字、条項は100字以内で入力してください".into()));
    }
    let clause = f.clause.trim();
    let clause = if clause.is_empty() { access.workflow.clause(Step::ViolationResponse).to_owned() } else { clause.to_owned() };
    if !access.clause_exists(&clause) {
        return Err(AppError::BadRequest(format!(
            "条項「{clause}」はこのポリシーにありません。条項IDをポリシーのとおりに入力してください"
        )));
    }
    let v = NewViolation { person_id, found_by_person_id: me.id, found_as, description: f.description.clone(), clause };
    state.store.record_violation(access.org_id(), &v, &access.actor()).await?;
    Ok(())
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<ViolationForm>) -> Result<Response, AppError> {
    let r = record(&state, &access, &f).await;
    done(&state, &access, r).await
}

async fn correct(state: &AppState, access: &Access, id: i64, f: &ViolationForm) -> Result<(), AppError> {
    let v = state.store.violation(access.org_id(), id).await?;
    if !visible(state, access, false).await?.iter().any(|x| x.id == id) {
        return Err(AppError::NotFound);
    }
    workflow::correct_violation(&access.workflow, &access.subject(), &access.tree, id, state_of(&v)?, v.department_id)?;
    let Some(me) = &access.person else {
        return Err(AppError::BadRequest("職員として登録されていない利用者は是正を記録できません".into()));
    };
    state.store.correct_violation(access.org_id(), id, me.id, &f.note, &access.actor()).await?;
    Ok(())
}

pub async fn correct_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ViolationForm>,
) -> Result<Response, AppError> {
    let r = correct(&state, &access, id, &f).await;
    done(&state, &access, r).await
}

async fn suspend(state: &AppState, access: &Access, id: i64, f: &ViolationForm) -> Result<(), AppError> {
    access.require(Step::ViolationSuspend)?;
    let v = state.store.violation(access.org_id(), id).await?;
    workflow::suspend_for_violation(&access.workflow, &access.subject(), &access.tree, id, state_of(&v)?, v.person_id)?;
    let Some(me) = &access.person else {
        return Err(AppError::BadRequest("職員として登録されていない利用者は利用権限を停止できません".into()));
    };
    state.store.suspend_for_violation(access.org_id(), id, me.id, &f.note, &access.actor()).await?;
    Ok(())
}

pub async fn suspend_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ViolationForm>,
) -> Result<Response, AppError> {
    let r = suspend(&state, &access, id, &f).await;
    done(&state, &access, r).await
}

/// What the dashboard shows: open violations to correct (管理者, 統括), and suspensions
/// (CISO, 管理者).
pub async fn dashboard_card(state: &AppState, access: &Access) -> Result<Markup, AppError> {
    let rows = visible(state, access, false).await?;
    let open: Vec<&Violation> = rows.iter().filter(|v| v.status == ViolationStatus::Open).collect();
    let suspended: Vec<&Violation> = rows.iter().filter(|v| v.status == ViolationStatus::Suspended).take(10).collect();
    if open.is_empty() && suspended.is_empty() {
        return Ok(html! {});
    }
    Ok(html! {
        h2 { "違反時の対応" }
        div id="violation-card" {
            @if !open.is_empty() {
                p.error { "是正を待っている違反が " (open.len()) " 件あります" (per(&access.cite(Step::ViolationResponse))) ":" }
                ul { @for v in &open { li { a href="/violations" { (v.person_name) "（" (v.department_name) "）" } " — " (v.description) } } }
            }
            @if !suspended.is_empty() {
                p { "利用権限を停止した職員:" }
                ul { @for v in &suspended { li { (v.person_name) "（" (v.department_name) "） — " (v.resolution) " " (v.resolved_at.as_deref().map(wareki_time).unwrap_or_default()) } } }
            }
        }
    })
}
