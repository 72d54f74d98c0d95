//! The dashboard, the health check and static files.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use mamori_store::assets::AssetFilter;
use maud::html;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::wareki_time;
use crate::views::layout::page;
use crate::views::per;
use crate::AppState;
use mamori_policy::workflow::Step;

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx_ping(&state).await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(_) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn sqlx_ping(state: &AppState) -> Result<(), AppError> {
    state.store.organizations().await?;
    Ok(())
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/style.css"),
    )
}

#[derive(serde::Deserialize)]
pub struct DashboardQuery {
    password_changed: Option<String>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    access: Access,
    Query(q): Query<DashboardQuery>,
) -> Result<impl IntoResponse, AppError> {
    let manages = access.managed_departments();
    let pending = async {
        match &manages {
            Some(d) if d.is_empty() => Ok(Vec::new()),
            _ => {
                state
                    .store
                    .assets(
                        access.org_id(),
                        &AssetFilter { visible_departments: manages.clone(), undecided: true, limit: 20, ..Default::default() },
                    )
                    .await
            }
        }
    };
    let ledger_alarms = async {
        if sees_ledger_alarms(&access) {
            crate::routes::events::ledger_alarms(&state, access.org_id()).await
        } else {
            Ok(Vec::new())
        }
    };
    // The cards are independent reads: together, not one after another.
    let (org, pending, ledger, ledger_alarms, reminders, incidents, violations, yearly) = tokio::try_join!(
        async { Ok::<_, AppError>(state.store.organization(access.org_id()).await?) },
        async { Ok(pending.await?) },
        async { Ok(state.store.ledger_status(access.org_id()).await?) },
        ledger_alarms,
        crate::routes::requests::reminders(&state, &access),
        crate::routes::incidents::reminders(&state, &access),
        crate::routes::violations::dashboard_card(&state, &access),
        crate::routes::yearly::dashboard_card(&state, &access),
    )?;
    let role_names: Vec<String> = access
        .roles
        .iter()
        .map(|r| {
            let name = access.profile.role(&r.role).map(|p| p.name.clone()).unwrap_or_else(|| r.role.clone());
            match r.department_id {
                Some(d) => format!("{name}（{}）", access.department_name(d)),
                None => name,
            }
        })
        .collect();
    Ok(page(
        "ダッシュボード",
        Some(&access),
        html! {
            @if q.password_changed.is_some() { p.notice { "パスワードを変更しました。" } }
            p.notice #previous-login {
                @match &access.user.previous_login_at {
                    Some(t) => { "前回のログイン: " (wareki_time(t)) "。心当たりがない場合は、すぐに情報セキュリティ管理者に報告してください。" }
                    None => { "今回が初めてのログインです。" }
                }
            }
            dl.facts {
                dt { "団体" } dd { (org.name) }
                dt { "利用者" } dd { (access.user.display_name) " (" (access.user.login) ")" }
                @if let Some(p) = &access.person { dt { "所属" } dd { (access.department_name(p.department_id)) } }
                dt { "役割" } dd { @if role_names.is_empty() { "—" } @else { (role_names.join("、")) } }
                dt { "ポリシー" } dd { (access.profile.profile.source) "（" (access.profile.profile.edition) "）" }
            }
            @if !ledger_alarms.is_empty() {
                div.alarm #ledger-alarms {
                    h2 { "台帳の警告" }
                    ul { @for a in &ledger_alarms { li.error { (a) } } }
                    p { a href="/ledger" { "台帳の詳細" } }
                }
            }
            (crate::routes::incidents::dashboard_card(&access, &incidents))
            (violations)
            (yearly)
            h2 { "申請・承認" }
            div #reminders {
                @if reminders.to_decide.is_empty() && reminders.overdue.is_empty() {
                    p { "決裁待ちの申請や、返却期限を過ぎた持出しはありません。" }
                }
                @if !reminders.to_decide.is_empty() {
                    p { a href="/requests" { "あなたの決裁を待っている申請が " (reminders.to_decide.len()) " 件あります。" } }
                }
                @if !reminders.overdue.is_empty() {
                    p.error { "返却予定日を過ぎた持出しが " (reminders.overdue.len()) " 件あります" (per(&access.cite(Step::TakeOutRecord))) ":" }
                    ul { @for r in &reminders.overdue {
                        li { a href={"/requests/" (r.id)} { (r.subject) } " — " (r.applicant_name) "、返却予定日 " (r.due_on.as_deref().unwrap_or("")) }
                    } }
                }
            }
            h2 { "分類が要判断の情報資産" }
            @if pending.is_empty() {
                p { "要判断の情報資産はありません。" }
            } @else {
                p { (access.cite(Step::ClassificationUnclear).text) (per(&access.cite(Step::ClassificationUnclear))) }
                ul #undecided {
                    @for a in &pending {
                        li { a href={ "/assets/" (a.id) } { (a.fields.name) } " — " (a.department_name) }
                    }
                }
            }
            h2 { "台帳（改ざん検知）" }
            dl.facts #ledger-card {
                dt { "最新の署名付きチェックポイント" }
                dd #latest-checkpoint-size {
                    @match &ledger.latest {
                        Some(c) => { "件数 " (c.size) "（" (wareki_time(&c.created_at)) "）" }
                        None => { "まだありません" }
                    }
                }
                dt { "最後のアンカー取得" }
                dd #last-anchor {
                    @match &ledger.last_anchor {
                        Some((at, size)) => { (wareki_time(at)) "（件数 " (size) "）" }
                        None => { "まだ取得していません" }
                    }
                }
            }
            @if access.may(Step::AuditTrailRead) { p { a href="/ledger" { "台帳の詳細・アンカーの取得" } } }
            p { a.button href="/assets/new" { "情報資産を登録する" } " " a href="/account/password" { "パスワードを変更する" } }
        },
    ))
}

/// Whether the dashboard shows the ledger's alarms: to the CISO and the 統括, who answer
/// for the record (one place, so that the permission layer can take it over).
fn sees_ledger_alarms(access: &Access) -> bool {
    access.acts_as(mamori_policy::workflow::WorkflowRole::Ciso) || access.acts_as(mamori_policy::workflow::WorkflowRole::SecurityDirector)
}
