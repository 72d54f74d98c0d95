//! Policy violations (違反時の対応, 対策基準7.6(2)): the 統括 or a 情報システム管理者等
//! records one; the person's 情報セキュリティ管理者 sees it and records the correction; if it
//! is not corrected, the 統括 suspends the person's rights in mamori and the CISO and the
//! 管理者 see that on their dashboards.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_store::violations::{status, NewViolation, Violation};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::AppState;

/// The roles that record violations they find (7.6(2)①②).
const FINDERS: &[&str] = &["security_director", "system_manager", "system_operator"];

fn finder_role(access: &Access) -> Option<&'static str> {
    FINDERS.iter().copied().find(|r| access.has_role(r))
}

fn is_director(access: &Access) -> bool {
    access.has_role("security_director")
}

/// The violations this person may read: all for the CISO, the 統括 and administrators; those
/// of their departments for a 管理者; none otherwise.
async fn visible(state: &AppState, access: &Access, open_only: bool) -> Result<Vec<Violation>, AppError> {
    let all = access.is_admin() || access.has_role("ciso") || is_director(access);
    if all {
        return Ok(state.store.violations(access.org_id(), None, open_only).await?);
    }
    match access.managed_departments() {
        Some(d) if !d.is_empty() => Ok(state.store.violations(access.org_id(), Some(&d), open_only).await?),
        _ => Ok(Vec::new()),
    }
}

fn may_correct(access: &Access, v: &Violation) -> bool {
    is_director(access)
        || (access.has_role("security_manager") && access.managed_departments().is_some_and(|d| d.contains(&v.department_id)))
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        status::OPEN => "是正待ち",
        status::CORRECTED => "是正済み",
        status::SUSPENDED => "権利停止",
        _ => "不明",
    }
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
                    td { (v.description) br; span.small { (v.clause) } }
                    td { (v.found_by_name) br; span.small { (wareki_time(&v.created_at)) } }
                    td { (status_label(&v.status)) }
                    td {
                        @if v.status == status::OPEN {
                            @if may_correct(access, v) {
                                form method="post" action={"/violations/" (v.id) "/correct"} {
                                    (csrf_field(&access.session.csrf_token))
                                    input type="text" name="note" placeholder="指導・是正の内容" maxlength="1000" required;
                                    button type="submit" { "是正を記録" }
                                }
                            }
                            @if is_director(access) {
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
    let people = if finder.is_some() {
        state.store.people(access.org_id(), None, 100_000, 0).await?.into_iter().filter(|p| p.active).collect()
    } else {
        Vec::new()
    };
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        p.small { "職員等の情報セキュリティポリシーに違反する行動を確認した場合の措置（対策基準7.6(2)）。記録すると所属の情報セキュリティ管理者に通知され、指導によっても改善されない場合は統括情報セキュリティ責任者が mamori の利用権限を停止し、CISO と管理者に通知されます。" }
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
                label { "違反した条項（例: 対策基準5.1(1)③）" input type="text" name="clause" maxlength="100"; }
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
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_) | AppError::NotFound)) => {
            let code = if matches!(e, AppError::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::BAD_REQUEST };
            list_page(state, access, Some(&e.message_ja()), code).await
        }
        Err(e) => Err(e),
    }
}

async fn record(state: &AppState, access: &Access, f: &ViolationForm) -> Result<(), AppError> {
    let Some(found_as) = finder_role(access) else {
        return Err(AppError::BadRequest(
            "違反を記録できるのは統括情報セキュリティ責任者と情報システム管理者等です（対策基準7.6(2)）".into(),
        ));
    };
    let Some(me) = &access.person else { return Err(AppError::Forbidden) };
    let person_id = f.person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("職員を選んでください".into()))?;
    if f.description.chars().count() > 1000 || f.clause.chars().count() > 100 {
        return Err(AppError::BadRequest("内容は1000字、条項は100字以内で入力してください".into()));
    }
    let clause = if f.clause.trim().is_empty() { "対策基準7.6(2)".to_owned() } else { f.clause.trim().to_owned() };
    let v =
        NewViolation { person_id, found_by_person_id: me.id, found_as: found_as.to_owned(), description: f.description.clone(), clause };
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
    if !may_correct(access, &v) {
        return Err(AppError::BadRequest(
            "是正を記録できるのは、その職員の所属の情報セキュリティ管理者と統括情報セキュリティ責任者です".into(),
        ));
    }
    let Some(me) = &access.person else { return Err(AppError::Forbidden) };
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
    if !is_director(access) {
        return Err(AppError::BadRequest("利用権限を停止できるのは統括情報セキュリティ責任者です（対策基準7.6(2)③）".into()));
    }
    let Some(me) = &access.person else { return Err(AppError::Forbidden) };
    let v = state.store.violation(access.org_id(), id).await?;
    if v.person_id == me.id {
        return Err(AppError::BadRequest("自分自身の権限は停止できません".into()));
    }
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
    let open: Vec<&Violation> = rows.iter().filter(|v| v.status == status::OPEN).collect();
    let suspended: Vec<&Violation> = rows.iter().filter(|v| v.status == status::SUSPENDED).take(10).collect();
    if open.is_empty() && suspended.is_empty() {
        return Ok(html! {});
    }
    Ok(html! {
        h2 { "違反時の対応" }
        div id="violation-card" {
            @if !open.is_empty() {
                p.error { "是正を待っている違反が " (open.len()) " 件あります（対策基準7.6(2)）:" }
                ul { @for v in &open { li { a href="/violations" { (v.person_name) "（" (v.department_name) "）" } " — " (v.description) } } }
            }
            @if !suspended.is_empty() {
                p { "利用権限を停止した職員:" }
                ul { @for v in &suspended { li { (v.person_name) "（" (v.department_name) "） — " (v.resolution) " " (v.resolved_at.as_deref().map(wareki_time).unwrap_or_default()) } } }
            }
        }
    })
}
