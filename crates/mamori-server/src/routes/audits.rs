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
use mamori_store::audits::{severity_label, status, Audit, NewAssignment, NewAudit, NewEvidence, NewFinding, NewPlan, Plan, SEVERITIES};
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
use mamori_policy::workflow::{self as wf, AuditStatus, PlanStatus, Step};

/// The role an approver approves an audit plan in: the first of theirs the profile's rule
/// names.
fn approver_role(access: &Access) -> Option<String> {
    let rule = access.workflow.rule(Step::AuditApprove);
    access.roles.iter().map(|r| r.role.clone()).find(|r| rule.roles.contains(r)).or_else(|| access.is_admin().then(|| "admin".to_owned()))
}

fn audit_status(a: &Audit) -> Result<AuditStatus, AppError> {
    AuditStatus::parse(&a.status).ok_or_else(|| AppError::internal(format!("audit {} has status {}", a.id, a.status)))
}

/// Whether this person is one of the audit's auditors.
async fn is_auditor(state: &AppState, access: &Access, audit_id: i64) -> Result<bool, AppError> {
    let Some(me) = &access.person else { return Ok(false) };
    Ok(state.store.audits_of_auditor(access.org_id(), me.id).await?.contains(&audit_id))
}

/// Who reads an audit: organizers, the committee, and its auditors.
pub async fn reads_audit(state: &AppState, access: &Access, audit_id: i64) -> Result<bool, AppError> {
    Ok(access.may(Step::AuditView) || is_auditor(state, access, audit_id).await?)
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        status::PLANNED => "計画（承認待ち）",
        status::APPROVED => "承認済み・実施中",
        status::REPORTED => "結果報告済み",
        _ => "不明",
    }
}

fn parse_day(field: &str, value: &str, problems: &mut Vec<String>) -> Option<NaiveDate> {
    let d = crate::routes::parse_date(field, value, problems).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    if d.is_none() && value.trim().is_empty() {
        problems.push(format!("{field}を入力してください"));
    }
    d
}

// ---------------------------------------------------------------------------------------
// The list of audits

async fn list_page(state: &AppState, access: &Access, q: &YearQuery, error: Option<&str>, code: StatusCode) -> Result<Response, AppError> {
    let year = q.year();
    let mut audits = state.store.audits(access.org_id(), Some(year)).await?;
    if !access.may(Step::AuditView) {
        let mine = match &access.person {
            Some(p) => state.store.audits_of_auditor(access.org_id(), p.id).await?,
            None => Vec::new(),
        };
        audits.retain(|a| mine.contains(&a.id));
    }
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        (year_nav("/audits", year))
        p.small { "ネットワーク及び情報システム等の情報セキュリティ対策状況について、毎年度、被監査課局から独立した者に監査を行わせます" (per(&access.cite(Step::AuditPlan))) "。" }
        @if audits.is_empty() { p #audits { "この年度の監査はありません。" } } @else {
            table #audits {
                thead { tr { th { "監査" } th { "期間" } th { "範囲" } th { "状態" } } }
                tbody { @for a in &audits { tr {
                    td { a href={"/audits/" (a.id)} { (a.title) } }
                    td { (date_ja(&a.starts_on)) " 〜 " (date_ja(&a.ends_on)) }
                    td { (if a.scope.is_empty() { "全章" } else { &a.scope }) }
                    td { (status_label(&a.status)) }
                } } }
            }
        }
        @if access.may(Step::AuditPlan) {
            h2 { "監査実施計画を立てる" }
            form.stack method="post" action="/audits" id="audit-form" {
                (csrf_field(&access.session.csrf_token))
                input type="hidden" name="fy" value=(year.0);
                label { "名称" input type="text" name="title" maxlength="200" required; }
                label { "範囲（章をカンマ区切りで。例: " (chapters_example(access)) "。空欄なら全章）" input type="text" name="scope" maxlength="1000"; }
                label { "開始日" input type="date" name="starts_on" required; }
                label { "終了日" input type="date" name="ends_on" required; }
                button type="submit" { "計画を作成（承認を依頼）" }
            }
        }
    };
    Ok((code, page("監査", Some(access), body)).into_response())
}

pub async fn list(State(state): State<AppState>, access: Access, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    list_page(&state, &access, &q, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    pub fy: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<AuditForm>) -> Result<Response, AppError> {
    let r = async {
        access.require(Step::AuditPlan)?;
        let mut problems = Vec::new();
        let starts = parse_day("開始日", &f.starts_on, &mut problems);
        let ends = parse_day("終了日", &f.ends_on, &mut problems);
        let (Some(starts_on), Some(ends_on)) = (starts, ends) else { return Err(AppError::BadRequest(problems.join("。"))) };
        let year = f.fy.trim().parse::<i32>().map(FiscalYear).unwrap_or_else(|_| FiscalYear::of(starts_on));
        let a = NewAudit { fiscal_year: year, title: f.title.clone(), scope: f.scope.clone(), starts_on, ends_on };
        Ok(state.store.create_audit(access.org_id(), &a, access.person.as_ref().map(|p| p.id), &access.actor()).await?)
    }
    .await;
    match r {
        Ok(a) => Ok(Redirect::to(&format!("/audits/{}", a.id)).into_response()),
        Err(e) if e.is_shown_on_form() => {
            list_page(
                &state,
                &access,
                &YearQuery { fy: Some(f.fy.clone()), ..Default::default() },
                Some(&e.message_ja()),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// One audit

fn in_scope(a: &Audit, chapter: &str) -> bool {
    a.scope.trim().is_empty() || a.scope.split([',', '、', '，']).any(|s| s.trim() == chapter)
}

async fn audit_page(state: &AppState, access: &Access, id: i64, error: Option<&str>, code: StatusCode) -> Result<Response, AppError> {
    if !reads_audit(state, access, id).await? {
        return Err(AppError::NotFound);
    }
    let a = state.store.audit(access.org_id(), id).await?;
    let assignments = state.store.audit_assignments(access.org_id(), id).await?;
    let findings = state.store.findings(access.org_id(), Some(id), None).await?;
    let evidence = state.store.evidence(access.org_id(), "audit", id).await?;
    let plans = state.store.plans(access.org_id(), None).await?;
    let checks = state.store.finding_checks(access.org_id(), None).await?;
    let me = access.person.as_ref().map(|p| p.id);
    let my_departments: Vec<i64> = assignments.iter().filter(|s| Some(s.auditor_person_id) == me).map(|s| s.department_id).collect();
    let organizer = access.may(Step::AuditAssign);
    let keeps_evidence = access.may(Step::AuditEvidence);
    let directs = access.may(Step::ImprovementDirect);
    let asks_others = access.may(Step::ImprovementRequestCheck);
    let approvable =
        wf::approve_audit_plan(&access.workflow, &access.subject(), &access.tree, a.id, audit_status(&a)?, a.created_by_person_id).is_ok();
    let items: Vec<_> = checklist(&access.profile).into_iter().filter(|e| in_scope(&a, &e.chapter)).collect();
    let people = if organizer {
        state.store.people(access.org_id(), None, 100_000, 0).await?.into_iter().filter(|p| p.active).collect()
    } else {
        Vec::new()
    };
    let departments = state.store.departments(access.org_id()).await?;
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        dl.facts #audit-facts {
            dt { "年度" } dd { (FiscalYear(a.fiscal_year).label_ja()) }
            dt { "期間" } dd { (date_ja(&a.starts_on)) " 〜 " (date_ja(&a.ends_on)) }
            dt { "範囲" } dd { (if a.scope.is_empty() { "全章" } else { &a.scope }) "（点検する条項 " (items.len()) " 件）" }
            dt { "状態" } dd #audit-status { (status_label(&a.status)) }
            @if let Some(by) = &a.approved_by_name { dt { "承認" } dd { (by) "（" (a.approved_as.as_deref().map(|r| crate::routes::assessment::role_label(access, r)).unwrap_or_default()) "）" (a.approved_at.as_deref().map(wareki_time).unwrap_or_default()) } }
        }
        @if a.status == status::PLANNED {
            @if approvable {
                form method="post" action={"/audits/" (id) "/approve"} id="approve-form" {
                    (csrf_field(&access.session.csrf_token))
                    button type="submit" { "監査実施計画を承認する" }
                    " " (per(&access.cite(Step::AuditApprove)))
                }
            } @else {
                p.small { (access.workflow.who_ja(Step::AuditApprove)) "（計画を立案した人以外）の承認を待っています" (per(&access.cite(Step::AuditApprove))) "。" }
            }
        }
        h2 { "監査を行う者" }
        @if assignments.is_empty() { p #assignments { "まだ割り当てられていません。" } } @else {
            table #assignments {
                thead { tr { th { "監査を行う者" } th { "被監査課局" } th { "独立性" } } }
                tbody { @for s in &assignments { tr {
                    td { (s.auditor_name) } td { (s.department_name) }
                    td { @if s.conflict.is_empty() { "独立" } @else { span.error { (s.conflict) } br; span.small { "やむを得ない理由: " (s.override_reason) } } }
                } } }
            }
        }
        @if organizer {
            form.stack method="post" action={"/audits/" (id) "/assignments"} id="assign-form" {
                (csrf_field(&access.session.csrf_token))
                label { "監査を行う者" select name="auditor_person_id" required { option value="" { "（選んでください）" } @for p in &people { option value=(p.id) { (p.name) "（" (access.department_name(p.department_id)) "）" } } } }
                label { "被監査課局" select name="department_id" required { option value="" { "（選んでください）" } @for d in &departments { option value=(d.id) { (d.name) } } } }
                label { "独立でない割当てをやむを得ず行う理由（通常は空欄）" input type="text" name="override_reason" maxlength="1000"; }
                button type="submit" { "割り当てる" }
            }
        }
        h2 { "指摘事項" }
        @if findings.is_empty() { p #findings { "記録はありません。" } } @else {
            table #findings {
                thead { tr { th { "番号" } th { "課局" } th { "条項" } th { "指摘" } th { "重要度" } th { "改善計画・他課局の確認" } } }
                tbody { @for f in &findings {
                    tr id={"finding-" (f.id)} {
                        td { (f.id) } td { (f.department_name) } td { (f.clause) } td { (f.description) br; span.small { (f.recorded_by_name) " " (wareki_time(&f.recorded_at)) } }
                        td { (severity_label(&f.severity)) }
                        td {
                            @for p in plans.iter().filter(|p| p.finding_id == Some(f.id)) {
                                a href={"/improvements/" (p.id)} { "改善計画 第" (p.id) "号" } "（" (p.department_name) "、期限 " (date_ja(&p.due_on)) "、" (plan_status(p, &today().to_string())) "）" br;
                            }
                            @for c in checks.iter().filter(|c| c.finding_id == f.id) {
                                span.small { (c.department_name) ": " (check_label(&c.status)) @if !c.note.is_empty() { "（" (c.note) "）" } } br;
                            }
                            @if directs {
                                form.inline method="post" action={"/improvements"} {
                                    (csrf_field(&access.session.csrf_token))
                                    input type="hidden" name="finding_id" value=(f.id);
                                    input type="text" name="description" placeholder="改善計画の内容" maxlength="2000" required;
                                    input type="date" name="due_on" required;
                                    button type="submit" { "改善計画を指示" }
                                }
                            }
                            @if asks_others {
                                form.inline method="post" action={"/audits/findings/" (f.id) "/checks"} {
                                    (csrf_field(&access.session.csrf_token))
                                    select name="department_id" multiple size="3" { @for d in departments.iter().filter(|d| d.id != f.department_id) { option value=(d.id) { (d.name) } } }
                                    button type="submit" { "同種の課題の確認を依頼" }
                                }
                            }
                        }
                    }
                } }
            }
        }
        @if !my_departments.is_empty() && a.status != status::PLANNED {
            h3 { "指摘事項を記録する" }
            form.stack method="post" action={"/audits/" (id) "/findings"} id="finding-form" {
                (csrf_field(&access.session.csrf_token))
                label { "被監査課局" select name="department_id" required { @for d in &my_departments { option value=(d) { (access.department_name(*d)) } } } }
                label { "条項" select name="clause" { option value="" { "（条項なし）" } @for e in &items { option value=(e.clause) { (e.clause) } } } }
                label { "指摘の内容" textarea name="description" rows="3" maxlength="2000" required {} }
                label { "重要度" select name="severity" { @for (c, l) in SEVERITIES { option value=(c) { (l) } } } }
                button type="submit" { "記録する" }
            }
            @if a.status == status::APPROVED {
                h3 { "監査結果を報告する" (per(&access.cite(Step::AuditReport))) }
                form.stack method="post" action={"/audits/" (id) "/report"} id="report-form" {
                    (csrf_field(&access.session.csrf_token))
                    textarea name="report" rows="4" maxlength="8000" required {}
                    button type="submit" { "報告する" }
                }
            }
        }
        @if !a.report.is_empty() { h2 { "監査結果の報告" } p #audit-report { (a.report) } }
        h2 { "監査証拠・監査調書" }
        p.small { "監査の実施を通して収集した監査証拠と監査調書は、ここに保管し、そのハッシュを作業記録に残します" (per(&access.cite(Step::AuditEvidence))) "。" }
        @if evidence.is_empty() { p #audit-evidence { "ありません。" } } @else {
            ul #audit-evidence { @for e in &evidence { li { a href={"/evidence/" (e.id)} { (e.file_name) } " (" (e.size) " バイト、SHA-256 " code { (e.sha256.get(..16).unwrap_or(&e.sha256)) } "…、" (e.uploaded_by_name) ")" } } }
        }
        @if keeps_evidence || !my_departments.is_empty() {
            form.inline method="post" enctype="multipart/form-data" action={"/audits/" (id) "/evidence?csrf=" (access.session.csrf_token)} id="audit-evidence-form" {
                input type="file" name="file" required;
                button type="submit" { "保管する" }
            }
        }
        details {
            summary { "点検する条項（" (items.len()) " 件）" }
            table.small #audit-checklist { tbody { @for e in &items { tr { td { (cite_clause(&e.clause)) } td { (crate::routes::assessment::role_label(access, &e.role)) } td { (e.text) } } } } }
        }
        p { a href={"/audits?fy=" (a.fiscal_year)} { "監査の一覧へ" } }
    };
    Ok((code, page(&format!("監査: {}", a.title), Some(access), body)).into_response())
}

pub async fn show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    audit_page(&state, &access, id, None, StatusCode::OK).await
}

async fn on_audit(state: &AppState, access: &Access, id: i64, r: Result<(), AppError>) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/audits/{id}")).into_response()),
        Err(e) if e.is_shown_on_form() && !matches!(e, AppError::NotFound) => {
            audit_page(state, access, id, Some(&e.message_ja()), e.status()).await
        }
        Err(e) => Err(e),
    }
}

async fn approve(state: &AppState, access: &Access, id: i64) -> Result<(), AppError> {
    let a = state.store.audit(access.org_id(), id).await?;
    wf::approve_audit_plan(&access.workflow, &access.subject(), &access.tree, id, audit_status(&a)?, a.created_by_person_id)?;
    let me = person_of(access, "監査実施計画を承認")?;
    let role = approver_role(access).unwrap_or_default();
    state.store.approve_audit(access.org_id(), id, me.id, &role, &access.actor()).await?;
    Ok(())
}

pub async fn approve_page(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = approve(&state, &access, id).await;
    on_audit(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AssignForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub auditor_person_id: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub department_id: String,
    #[serde(default)]
    pub override_reason: String,
}

async fn assign(state: &AppState, access: &Access, id: i64, f: &AssignForm) -> Result<mamori_store::audits::Assignment, AppError> {
    access.require(Step::AuditAssign)?;
    let auditor = f.auditor_person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("監査を行う者を選んでください".into()))?;
    let department = f.department_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("被監査課局を選んでください".into()))?;
    // Independence (the profile's audit.independence): their own department, or a role the
    // profile gives a department's holder there. A conflict needs a recorded reason.
    let audited_roles = department_roles(access);
    if let Some(c) = state.store.auditor_conflict(access.org_id(), auditor, department, &audited_roles).await? {
        if f.override_reason.trim().is_empty() {
            let rule = access.cite(Step::AuditIndependence);
            return Err(AppError::BadRequest(format!(
                "監査を行う者は被監査課局から独立していなければなりません（{}）: {c}。やむを得ず割り当てる場合は、その理由を記録してください",
                rule.clause
            )));
        }
    }
    let a = NewAssignment {
        auditor_person_id: auditor,
        department_id: department,
        override_reason: f.override_reason.clone(),
        assigned_by: access.person.as_ref().map(|p| p.id),
        audited_roles,
    };
    Ok(state.store.assign_auditor(access.org_id(), id, &a, &access.actor()).await?)
}

pub async fn assign_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    let r = assign(&state, &access, id, &f).await.map(|_| ());
    on_audit(&state, &access, id, r).await
}

/// `POST /api/v1/audits/{id}/assignments` `{auditor_person_id, department_id, override_reason?}`.
pub async fn api_assign(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: AssignForm = crate::routes::incidents::json_body(&body)?;
    let a = assign(&state, &access, id, &f).await?;
    Ok(Json(json!({"assignment": a})))
}

/// `GET /api/v1/audits/{id}`: the audit, its auditors and its findings.
pub async fn api_show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    if !reads_audit(&state, &access, id).await? {
        return Err(AppError::NotFound.into());
    }
    let a = state.store.audit(access.org_id(), id).await?;
    let assignments = state.store.audit_assignments(access.org_id(), id).await?;
    let findings = state.store.findings(access.org_id(), Some(id), None).await?;
    Ok(Json(json!({"audit": a, "assignments": assignments, "findings": findings})))
}

#[derive(Debug, Default, Deserialize)]
pub struct FindingForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub department_id: String,
    #[serde(default)]
    pub clause: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub severity: String,
}

async fn record_finding(state: &AppState, access: &Access, id: i64, f: &FindingForm) -> Result<(), AppError> {
    let me = person_of(access, "指摘事項を記録")?;
    let clause = f.clause.trim();
    if !clause.is_empty() && !access.clause_exists(clause) {
        return Err(AppError::BadRequest(format!("条項「{clause}」はこのポリシーにありません")));
    }
    let department_id = f.department_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("被監査課局を選んでください".into()))?;
    let n = NewFinding { department_id, clause: f.clause.clone(), description: f.description.clone(), severity: f.severity.clone() };
    state.store.record_finding(access.org_id(), id, &n, me.id, &access.actor()).await?;
    Ok(())
}

pub async fn finding_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<FindingForm>,
) -> Result<Response, AppError> {
    let r = record_finding(&state, &access, id, &f).await;
    on_audit(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    pub report: String,
}

pub async fn report_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ReportForm>,
) -> Result<Response, AppError> {
    let r = async {
        if !is_auditor(&state, &access, id).await? {
            return Err(AppError::Denied(wf::Denial {
                step: None,
                clause: access.cite(Step::AuditReport).clause,
                provenance: access.cite(Step::AuditReport).provenance,
                reason: "監査結果を報告できるのは、この監査に割り当てられた監査を行う者です".into(),
            }));
        }
        state.store.report_audit(access.org_id(), id, &f.report, &access.actor()).await?;
        Ok(())
    }
    .await;
    on_audit(&state, &access, id, r).await
}

pub async fn evidence_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let r = async {
        if !is_auditor(&state, &access, id).await? {
            access.require(Step::AuditEvidence)?;
        }
        let me = person_of(&access, "監査証拠を保管")?;
        let upload = crate::routes::read_upload(&mut multipart).await?;
        let Some(f) = upload.file else { return Err(AppError::BadRequest("保管するファイルを選んでください".into())) };
        let e = NewEvidence {
            owner_kind: "audit",
            owner_id: id,
            file_name: &f.file_name,
            content_type: &f.content_type,
            content: &f.content,
            person_id: me.id,
        };
        state.store.add_evidence(access.org_id(), &e, &access.actor()).await?;
        Ok(())
    }
    .await;
    on_audit(&state, &access, id, r).await
}

pub async fn checks_page(
    State(state): State<AppState>,
    access: Access,
    Path(finding_id): Path<i64>,
    body: String,
) -> Result<Response, AppError> {
    let f = state.store.finding(access.org_id(), finding_id).await?;
    let r = async {
        access.require(Step::ImprovementRequestCheck)?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
        let departments: Vec<i64> = pairs.iter().filter(|(k, _)| k == "department_id").filter_map(|(_, v)| v.parse().ok()).collect();
        state.store.request_finding_checks(access.org_id(), finding_id, &departments, &access.actor()).await?;
        Ok(())
    }
    .await;
    on_audit(&state, &access, f.audit_id, r).await
}

// ---------------------------------------------------------------------------------------
// Improvement plans

pub fn plan_status(p: &Plan, today: &str) -> &'static str {
    if p.status == "closed" {
        "完了"
    } else if p.overdue_on(today) {
        "期限超過"
    } else {
        "対応中"
    }
}

fn check_label(s: &str) -> &'static str {
    match s {
        "pending" => "確認待ち",
        "found" => "同種の課題あり",
        "not_found" => "同種の課題なし",
        _ => "不明",
    }
}

/// The plans this person reads: all for organizers and the committee; their departments'
/// and their own otherwise.
fn visible_plan(access: &Access, p: &Plan) -> bool {
    access.may(Step::ImprovementViewAll)
        || access.person.as_ref().is_some_and(|me| me.id == p.responsible_person_id)
        || access.managed_departments().is_some_and(|m| m.contains(&p.department_id))
}

async fn improvements_page(
    state: &AppState,
    access: &Access,
    q: &YearQuery,
    error: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let as_of = q.as_of();
    let day = as_of.to_string();
    let plans: Vec<Plan> = state.store.plans(access.org_id(), None).await?.into_iter().filter(|p| visible_plan(access, p)).collect();
    let checks: Vec<_> = state
        .store
        .finding_checks(access.org_id(), None)
        .await?
        .into_iter()
        .filter(|c| c.status == "pending" && access.may_in(Step::ImprovementAnswerCheck, c.department_id))
        .collect();
    let mut findings = std::collections::HashMap::new();
    for c in &checks {
        if let std::collections::hash_map::Entry::Vacant(v) = findings.entry(c.finding_id) {
            v.insert(state.store.finding(access.org_id(), c.finding_id).await?);
        }
    }
    let overdue = plans.iter().filter(|p| p.overdue_on(&day)).count();
    let body = html! {
        @if let Some(e) = error.or(q.error.as_deref()) { p.error role="alert" id="error" { (e) } }
        form.inline.noprint method="get" action="/improvements" {
            label { "基準日 " input type="date" name="as_of" value=(day); }
            button type="submit" { "この日で判定" }
        }
        @if overdue > 0 { p.error #overdue-count { "期限を過ぎた改善計画が " (overdue) " 件あります（" (mamori_policy::yearly::wareki_date(as_of)) "現在）。" } }
        @if plans.is_empty() { p #plans { "改善計画はありません。" } } @else {
            table #plans {
                thead { tr { th { "番号" } th { "課局" } th { "責任者" } th { "内容" } th { "期限" } th { "最後の進捗報告" } th { "状態" } } }
                tbody { @for p in &plans {
                    tr id={"plan-" (p.id)} class=(if p.overdue_on(&day) { "overdue" } else { "" }) {
                        td { a href={"/improvements/" (p.id)} { "第" (p.id) "号" } }
                        td { (p.department_name) } td { (p.responsible_name) } td { (p.description) } td { (date_ja(&p.due_on)) }
                        td { (p.last_progress_at.as_deref().map(wareki_time).unwrap_or_else(|| "—".into())) }
                        td.plan-status { (plan_status(p, &day)) }
                    }
                } }
            }
        }
        @if !checks.is_empty() {
            h2 { "同種の課題の有無の確認" (per(&access.cite(Step::ImprovementAnswerCheck))) }
            table #finding-checks {
                thead { tr { th { "課局" } th { "他課局での指摘" } th { "回答" } } }
                tbody { @for c in &checks { tr {
                    td { (c.department_name) }
                    td { @if let Some(f) = findings.get(&c.finding_id) { (f.description) br; span.small { (f.department_name) "、" (f.clause) } } }
                    td { form.inline method="post" action={"/improvements/checks/" (c.id)} {
                        (csrf_field(&access.session.csrf_token))
                        select name="found" { option value="no" { "同種の課題なし" } option value="yes" { "同種の課題あり" } }
                        input type="text" name="note" placeholder="確認した内容" maxlength="2000" required;
                        button type="submit" { "回答" }
                    } }
                } } }
            }
        }
    };
    Ok((code, page("改善計画", Some(access), body)).into_response())
}

pub async fn improvements(State(state): State<AppState>, access: Access, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    improvements_page(&state, &access, &q, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub finding_id: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub assessment_item_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub due_on: String,
}

/// The department's 情報セキュリティ管理者 (not a deputy), who answers for a plan.
async fn manager_of(state: &AppState, access: &Access, department_id: i64) -> Result<Option<i64>, AppError> {
    let org_id = access.org_id();
    let managers = wf::roles_doing(&access.profile, wf::WorkflowRole::SecurityManager);
    let all = state.store.role_assignments(org_id).await?;
    let pick = |deputy: bool| {
        all.iter()
            .find(|a| managers.contains(&a.role) && a.department_id == Some(department_id) && a.is_deputy == deputy)
            .map(|a| a.person_id)
    };
    Ok(pick(false).or_else(|| pick(true)))
}

async fn create_plan(state: &AppState, access: &Access, f: &PlanForm) -> Result<Plan, AppError> {
    access.require(Step::ImprovementDirect)?;
    let mut problems = Vec::new();
    let due = parse_day("期限", &f.due_on, &mut problems);
    let Some(due_on) = due else { return Err(AppError::BadRequest(problems.join("。"))) };
    if due_on < today() {
        return Err(AppError::BadRequest("期限が過去の日付です".into()));
    }
    let (department_id, year, finding_id, item_id) = if let Ok(fid) = f.finding_id.trim().parse::<i64>() {
        let finding = state.store.finding(access.org_id(), fid).await?;
        (finding.department_id, FiscalYear(finding.fiscal_year), Some(fid), None)
    } else if let Ok(iid) = f.assessment_item_id.trim().parse::<i64>() {
        let item = state.store.assessment_item(access.org_id(), iid).await?;
        let c = state.store.campaign_by_id(access.org_id(), item.campaign_id).await?;
        let Some(d) = item.department_id else {
            return Err(AppError::BadRequest("全庁の項目の改善は、責任のある役割の担当課局を指定して計画してください".into()));
        };
        (d, FiscalYear(c.fiscal_year), None, Some(iid))
    } else {
        return Err(AppError::BadRequest("改善計画のもとになる指摘事項を選んでください".into()));
    };
    let Some(responsible) = manager_of(state, access, department_id).await? else {
        return Err(AppError::BadRequest(format!(
            "{}に情報セキュリティ管理者が割り当てられていません。先に役割を割り当ててください",
            access.department_name(department_id)
        )));
    };
    let p = NewPlan {
        fiscal_year: year,
        finding_id,
        assessment_item_id: item_id,
        department_id,
        responsible_person_id: responsible,
        description: f.description.clone(),
        due_on,
    };
    Ok(state.store.create_plan(access.org_id(), &p, access.person.as_ref().map(|p| p.id), &access.actor()).await?)
}

pub async fn create_plan_page(State(state): State<AppState>, access: Access, Form(f): Form<PlanForm>) -> Result<Response, AppError> {
    match create_plan(&state, &access, &f).await {
        Ok(p) => Ok(Redirect::to(&format!("/improvements/{}", p.id)).into_response()),
        Err(e) if e.is_shown_on_form() => {
            if let Ok(fid) = f.finding_id.trim().parse::<i64>() {
                if let Ok(finding) = state.store.finding(access.org_id(), fid).await {
                    return audit_page(&state, &access, finding.audit_id, Some(&e.message_ja()), e.status()).await;
                }
            }
            improvements_page(&state, &access, &YearQuery::default(), Some(&e.message_ja()), e.status()).await
        }
        Err(e) => Err(e),
    }
}

async fn plan_page(state: &AppState, access: &Access, id: i64, error: Option<&str>, code: StatusCode) -> Result<Response, AppError> {
    let p = state.store.plan(access.org_id(), id).await?;
    if !visible_plan(access, &p) {
        return Err(AppError::NotFound);
    }
    let progress = state.store.plan_progress(access.org_id(), id).await?;
    let finding = match p.finding_id {
        Some(f) => Some(state.store.finding(access.org_id(), f).await?),
        None => None,
    };
    let today = today().to_string();
    let reports = may_report(access, &p);
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        dl.facts #plan-facts {
            dt { "課局" } dd { (p.department_name) }
            dt { "責任者" } dd { (p.responsible_name) "（情報セキュリティ管理者）" }
            dt { "内容" } dd { (p.description) }
            dt { "期限" } dd { (date_ja(&p.due_on)) }
            dt { "状態" } dd #plan-status { (plan_status(&p, &today)) }
            @if let Some(f) = &finding { dt { "もとの指摘" } dd { a href={"/audits/" (f.audit_id) "#finding-" (f.id)} { (f.audit_title) } "：" (f.description) "（" (severity_label(&f.severity)) "）" } }
            @if p.status == "closed" { dt { "完了" } dd { (p.closing_note) " " (p.closed_at.as_deref().map(wareki_time).unwrap_or_default()) } }
        }
        h2 { "進捗状況の報告" }
        @if progress.is_empty() { p #progress { "まだ報告はありません。" } } @else {
            ul #progress { @for g in &progress { li { (wareki_time(&g.reported_at)) " " (g.reported_by_name) ": " (g.note) } } }
        }
        @if p.status == "open" && reports {
            form.stack method="post" action={"/improvements/" (id) "/progress"} id="progress-form" {
                (csrf_field(&access.session.csrf_token))
                textarea name="note" rows="3" maxlength="2000" required {}
                button type="submit" name="close" value="" { "進捗を報告" }
                button type="submit" name="close" value="yes" { "措置が完了したので完了にする" }
            }
        }
        p { a href="/improvements" { "改善計画の一覧へ" } }
    };
    Ok((code, page(&format!("改善計画 第{}号", p.id), Some(access), body)).into_response())
}

fn plan_state(p: &Plan) -> Result<PlanStatus, AppError> {
    PlanStatus::parse(&p.status).ok_or_else(|| AppError::internal(format!("plan {} has status {}", p.id, p.status)))
}

/// Whether this person may report progress on `p` (its responsible 管理者, or the profile's
/// holders of `improvement.report`).
fn may_report(access: &Access, p: &Plan) -> bool {
    plan_state(p).is_ok_and(|s| {
        wf::report_plan_progress(&access.workflow, &access.subject(), &access.tree, p.id, s, p.department_id, p.responsible_person_id)
            .is_ok()
    })
}

pub async fn plan_show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    plan_page(&state, &access, id, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ProgressForm {
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub close: String,
}

pub async fn progress_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ProgressForm>,
) -> Result<Response, AppError> {
    let p = state.store.plan(access.org_id(), id).await?;
    let r: Result<(), AppError> = async {
        wf::report_plan_progress(
            &access.workflow,
            &access.subject(),
            &access.tree,
            p.id,
            plan_state(&p)?,
            p.department_id,
            p.responsible_person_id,
        )?;
        let me = person_of(&access, "進捗を報告")?;
        if f.close == "yes" {
            state.store.close_plan(access.org_id(), id, &f.note, me.id, &access.actor()).await?;
        } else {
            state.store.report_progress(access.org_id(), id, &f.note, me.id, &access.actor()).await?;
        }
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/improvements/{id}")).into_response()),
        Err(e) if e.is_shown_on_form() => plan_page(&state, &access, id, Some(&e.message_ja()), e.status()).await,
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    pub found: String,
    #[serde(default)]
    pub note: String,
}

pub async fn answer_check(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    let r: Result<(), AppError> = async {
        let check = state.store.finding_checks(access.org_id(), None).await?.into_iter().find(|c| c.id == id).ok_or(AppError::NotFound)?;
        access.require_in(Step::ImprovementAnswerCheck, check.department_id)?;
        let me = person_of(&access, "回答")?;
        state.store.answer_finding_check(access.org_id(), id, f.found == "yes", &f.note, me.id, &access.actor()).await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to("/improvements").into_response()),
        Err(e) if e.is_shown_on_form() => {
            improvements_page(&state, &access, &YearQuery::default(), Some(&e.message_ja()), e.status()).await
        }
        Err(e) => Err(e),
    }
}

/// Rows of the plan table, for the annual report.
pub fn plan_rows(plans: &[Plan], day: &str) -> Markup {
    html! {
        @for p in plans { tr { td { "第" (p.id) "号" } td { (p.department_name) } td { (p.description) } td { (date_ja(&p.due_on)) } td { (plan_status(p, day)) } } }
    }
}

/// An example of the audit scope field in this profile's own chapters.
fn chapters_example(access: &Access) -> String {
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
fn department_roles(access: &Access) -> Vec<String> {
    access
        .workflow
        .rule(Step::RegistersManage)
        .roles
        .iter()
        .filter(|r| access.profile.role(r).is_some_and(|x| x.scope == mamori_policy::RoleScope::Department))
        .cloned()
        .collect()
}
