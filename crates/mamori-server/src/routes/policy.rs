//! The active policy as people read it, its clause catalogue, and profile versions.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Response};
use mamori_policy::workflow::Step;
use maud::html;
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::AppState;

pub async fn overview(access: Access) -> Result<impl IntoResponse, AppError> {
    let p = &access.profile;
    let role_name = |id: &str| p.role(id).map(|r| r.name.clone()).unwrap_or_else(|| id.to_owned());
    Ok(page(
        "情報セキュリティポリシー",
        Some(&access),
        html! {
            p { (p.organization.name) " — " (p.profile.source) "（" (p.profile.edition) "、" (p.profile.effective.get_ref()) "施行）" }
            p { a href="/policy/clauses" { "条項の一覧" } @if access.may(Step::ProfileDraft) || access.may(Step::ProfileActivate) { " ・ " a href="/policy/versions" { "プロファイルの版と有効化" } } }
            h2 { "実施機関" }
            p #bodies { (p.bodies.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join("、")) }
            h2 { "組織体制（役割）" }
            table #policy-roles {
                thead { tr { th { "役割" } th { "充てる職" } th { "範囲" } th { "代行" } th { "根拠" } } }
                tbody { @for r in &p.roles { tr {
                    td { (r.name) @if let Some(a) = &r.abbreviation { "（" (a) "）" } }
                    td { (r.posts.join("、")) @for n in &r.notes { br; span.small { (n) } } }
                    td { @match r.scope { mamori_policy::RoleScope::Organization => "全庁", mamori_policy::RoleScope::Department => "課局等ごと", mamori_policy::RoleScope::System => "情報システムごと" } }
                    td { @if let Some(d) = &r.deputy { (role_name(d.get_ref().as_str())) } }
                    td.clause { (r.clause.get_ref()) " " span.small { (r.provenance.label_ja()) } }
                } } }
            }
            h2 { "情報資産の分類" }
            @for axis in &p.axes {
                h3 { (axis.name) }
                table {
                    thead { tr { th { "区分" } th { "分類基準" } th { "取扱制限" } } }
                    tbody { @for l in axis.levels_by_rank() { tr {
                        td { (l.name) }
                        td { (l.criteria) }
                        td { ul { @for r in &l.restrictions { li { (r.text) " " span.clause { (r.clause.get_ref()) } } } } }
                    } } }
                }
            }
            h2 { "領域（ネットワークの分離）" }
            table #zones {
                thead { tr { th { "領域" } th { "説明" } th { "根拠" } } }
                tbody { @for z in &p.zones { tr { td { (z.name) } td { (z.description) } td.clause { (z.clause.get_ref()) } } } }
            }
            table #zone-rules {
                thead { tr { th { "から" } th { "へ" } th { "通信" } th { "根拠" } } }
                tbody { @for r in &p.zone_rules { tr {
                    td { (p.zone(r.from.get_ref().as_str()).map(|z| z.name.as_str()).unwrap_or("")) }
                    td { (p.zone(r.to.get_ref().as_str()).map(|z| z.name.as_str()).unwrap_or("")) }
                    td { (r.flow.label_ja()) @if !r.methods.is_empty() { br; span.small { (r.methods.join("、")) } } }
                    td.clause { (r.clause.get_ref()) }
                } } }
            }
            h2 { "インシデントの報告先" }
            table #incident-levels {
                thead { tr { th { "レベル" } th { "判断基準" } th { "報告先" } th { "根拠" } } }
                tbody { @for l in &p.incident_levels { tr {
                    td { (l.name) } td { (l.criteria) }
                    td { (l.report_to.iter().map(|r| role_name(r.get_ref().as_str())).collect::<Vec<_>>().join("、")) }
                    td.clause { (l.clause.get_ref()) }
                } } }
            }
            h2 { "外部への報告" }
            table {
                thead { tr { th { "報告先" } th { "種別" } th { "期限" } th { "根拠" } } }
                tbody { @for r in &p.external_reports { tr {
                    td { (r.addressee) } td { (r.kind) }
                    td { @if let Some(d) = r.deadline_days { (d) "日以内" } @else { "速やかに" } @if !r.deadline_note.is_empty() { br; span.small { (r.deadline_note) } } }
                    td.clause { (r.clause.get_ref()) @if let Some(l) = &r.law { br; span.small { (l) } } }
                } } }
            }
        },
    ))
}

pub async fn clauses(access: Access) -> Result<impl IntoResponse, AppError> {
    let p = &access.profile;
    Ok(page(
        "条項の一覧",
        Some(&access),
        html! {
            p { "全" (p.clauses.len()) "条項。区分は条文の文末から定めています（しなければならない＝義務、してはならない＝禁止 など）。" }
            table #clauses {
                thead { tr { th { "条項" } th { "区分" } th { "責任者" } th { "本文" } } }
                tbody { @for c in &p.clauses { tr id=(c.id.get_ref()) {
                    td.clause { (c.id.get_ref()) }
                    td { (c.force.label_ja()) }
                    td { @if let Some(r) = &c.role { (p.role(r.get_ref().as_str()).map(|x| x.name.as_str()).unwrap_or("")) } }
                    td { @if let Some(t) = &c.title { strong { (t) } br; } (c.text) }
                } } }
            }
        },
    ))
}

fn versions_page(
    access: &Access,
    versions: &[mamori_store::org::ProfileVersion],
    problems: &[String],
    text: &str,
    done: Option<&str>,
) -> axum::response::Html<String> {
    let restores = access.may(Step::ProfileActivate);
    page(
        "プロファイルの版",
        Some(access),
        html! {
            @if let Some(d) = done { p.notice role="status" id="notice" { (d) } }
            @if !problems.is_empty() {
                div.error role="alert" #profile-errors {
                    p { "プロファイルに誤りがあるため下書きにしていません。現在の版がそのまま使われます。" }
                    ul { @for p in problems { li { code { (p) } } } }
                }
            }
            table #versions {
                thead { tr { th { "版" } th { "ファイル" } th { "版名" } th { "有効化日時" } th { "SHA-256" } th { "状態" } } }
                tbody { @for v in versions { tr data-version=(v.version_no) {
                    td { (v.version_no) } td { (v.file_name) } td { (v.edition) } td { (wareki_time(&v.activated_at)) }
                    td.clause { (v.digest.get(..16).unwrap_or("")) "…" }
                    td {
                        @if v.is_active { strong { "有効" } }
                        @else if restores { a href={"/policy/versions/" (v.id) "/restore"} { "この版に戻す（差分を確認）" } }
                    }
                } } }
            }
            p { a href="/policy/drafts" id="drafts-link" { "ポリシー文書からプロファイルの下書きを作る（ポリシーコンパイラ）" } }
            @if access.may(Step::ProfileDraft) {
                h2 { "プロファイル（TOML）から下書きを作る" }
                p {
                    "プロファイルを貼り付けると、検証に通った場合に下書きになります。下書きは差分を確認したうえで、"
                    "貼り付けた人とは別の、" (access.workflow.who_ja(Step::ProfileActivate)) "が有効にします"
                    (crate::views::per(&access.cite(Step::ProfileActivate))) "。"
                }
                form.stack method="post" action="/policy/versions" {
                    (csrf_field(&access.session.csrf_token))
                    label for="file_name" { "ファイル名" }
                    input #file_name type="text" name="file_name" value="profile.toml" required;
                    label for="text" { "内容" }
                    textarea #text name="text" rows="20" required { (text) }
                    p { button type="submit" { "検証して下書きにする" } }
                }
            }
        },
    )
}

#[derive(Deserialize, Default)]
pub struct VersionsQuery {
    #[serde(default)]
    activated: Option<String>,
    #[serde(default)]
    restored: Option<String>,
}

pub async fn versions(
    State(state): State<AppState>,
    access: Access,
    axum::extract::Query(q): axum::extract::Query<VersionsQuery>,
) -> Result<impl IntoResponse, AppError> {
    if !access.may(Step::ProfileActivate) {
        access.require(Step::ProfileDraft)?;
    }
    let versions = state.store.profile_versions(access.org_id()).await?;
    let done = if q.activated.is_some() {
        Some("新しい版を有効にしました。")
    } else if q.restored.is_some() {
        Some("以前の版の内容を、新しい版として有効にしました。")
    } else {
        None
    };
    Ok(versions_page(&access, &versions, &[], "", done))
}

#[derive(Deserialize)]
pub struct PasteForm {
    file_name: String,
    text: String,
}

/// A pasted profile becomes a draft, reviewed and activated like a compiled one: nobody
/// activates a profile alone.
pub async fn paste(State(state): State<AppState>, access: Access, Form(f): Form<PasteForm>) -> Result<Response, AppError> {
    access.require(Step::ProfileDraft)?;
    let file_name: String = f.file_name.trim().chars().filter(|c| !c.is_control()).take(100).collect();
    let file_name = if file_name.is_empty() { "profile.toml".to_owned() } else { file_name };
    match mamori_policy::parse_profile(&file_name, &f.text) {
        Ok(_) => {
            let d = state.store.create_profile_draft(access.org_id(), &file_name, &f.text, &f.text, &access.actor()).await?;
            Ok(axum::response::Redirect::to(&format!("/policy/drafts/{}", d.id)).into_response())
        }
        Err(errors) => {
            let versions = state.store.profile_versions(access.org_id()).await?;
            let problems: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            Ok((axum::http::StatusCode::BAD_REQUEST, versions_page(&access, &versions, &problems, &f.text, None)).into_response())
        }
    }
}

/// The review before restoring an earlier version: what going back changes.
async fn restore_review(
    state: &AppState,
    access: &Access,
    version_id: i64,
) -> Result<(mamori_store::org::ProfileVersion, mamori_policy::Profile, mamori_engine::review::Review), AppError> {
    access.require(Step::ProfileActivate)?;
    let v = state.store.profile_version(access.org_id(), version_id).await?;
    let p = mamori_policy::parse_profile(&v.file_name, &v.content)
        .map_err(|e| AppError::BadRequest(format!("第{}版はこの mamori では読めません: {e}", v.version_no)))?;
    let r = mamori_engine::review::review(Some(&access.profile), &p).map_err(AppError::internal)?;
    Ok((v, p, r))
}

fn restore_page(
    access: &Access,
    v: &mamori_store::org::ProfileVersion,
    r: &mamori_engine::review::Review,
    error: Option<&str>,
) -> maud::Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        p { "第" (v.version_no) "版（" (v.edition) "、" (wareki_time(&v.activated_at)) "に有効化）の内容を、新しい版として有効にします。現在の版を含め、すべての版はそのまま保存されます。" }
        (crate::views::review::review_view(r))
        @if v.is_active {
            p.notice { "この版は現在有効です。" }
        } @else {
            form method="post" action={"/policy/versions/" (v.id) "/restore"} id="restore-form" {
                (csrf_field(&access.session.csrf_token))
                (crate::views::review::confirmation_fields(r))
                button type="submit" id="restore" { "この版に戻す" }
            }
        }
        p { a href="/policy/versions" { "版の一覧へ" } }
    }
}

pub async fn restore_form(
    State(state): State<AppState>,
    access: Access,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Response, AppError> {
    let (v, _, r) = restore_review(&state, &access, id).await?;
    Ok(page(&format!("第{}版に戻す", v.version_no), Some(&access), restore_page(&access, &v, &r, None)).into_response())
}

#[derive(Deserialize, Default)]
pub struct RestoreForm {
    #[serde(default)]
    confirm: String,
}

pub async fn restore(
    State(state): State<AppState>,
    access: Access,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(f): Form<RestoreForm>,
) -> Result<Response, AppError> {
    let (v, p, r) = restore_review(&state, &access, id).await?;
    let outcome = async {
        crate::routes::drafts::check_confirmation(&r, f.confirm.trim())?;
        let record = mamori_store::org::ActivationReview {
            authors: Vec::new(),
            confirmed_losses: r.losses.clone(),
            changed_decisions: r.matrix.changes.len(),
        };
        state.store.restore_profile_version(access.org_id(), id, &p, &record, &access.actor()).await?;
        Ok::<(), AppError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(axum::response::Redirect::to("/policy/versions?restored=1").into_response()),
        Err(e) if e.is_shown_on_form() => Ok((
            e.status(),
            page(&format!("第{}版に戻す", v.version_no), Some(&access), restore_page(&access, &v, &r, Some(&e.message_ja()))),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}
