//! One audit: approval of its plan (not by whoever drew it up), auditors assigned to
//! departments they are independent of, findings, the report and the evidence.

use super::*;

// One audit

pub(super) fn in_scope(a: &Audit, chapter: &str) -> bool {
    a.scope.trim().is_empty() || a.scope.split([',', '、', '，']).any(|s| s.trim() == chapter)
}

pub(super) async fn audit_page(
    state: &AppState,
    access: &Access,
    id: i64,
    error: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
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
            dt { "状態" } dd #audit-status { (a.status.label_ja()) }
            @if let Some(by) = &a.approved_by_name { dt { "承認" } dd { (by) "（" (a.approved_as.as_deref().map(|r| crate::routes::assessment::role_label(access, r)).unwrap_or_default()) "）" (a.approved_at.as_deref().map(wareki_time).unwrap_or_default()) } }
        }
        @if a.status == AuditStatus::Planned {
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
                                span.small { (c.department_name) ": " (c.status.label_ja()) @if !c.note.is_empty() { "（" (c.note) "）" } } br;
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
        @if !my_departments.is_empty() && a.status != AuditStatus::Planned {
            h3 { "指摘事項を記録する" }
            form.stack method="post" action={"/audits/" (id) "/findings"} id="finding-form" {
                (csrf_field(&access.session.csrf_token))
                label { "被監査課局" select name="department_id" required { @for d in &my_departments { option value=(d) { (access.department_name(*d)) } } } }
                label { "条項" select name="clause" { option value="" { "（条項なし）" } @for e in &items { option value=(e.clause) { (e.clause) } } } }
                label { "指摘の内容" textarea name="description" rows="3" maxlength="2000" required {} }
                label { "重要度" select name="severity" { @for (c, l) in SEVERITIES { option value=(c) { (l) } } } }
                button type="submit" { "記録する" }
            }
            @if a.status == AuditStatus::Approved {
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

pub(super) async fn on_audit(state: &AppState, access: &Access, id: i64, r: Result<(), AppError>) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/audits/{id}")).into_response()),
        Err(e) if e.is_shown_on_form() && !matches!(e, AppError::NotFound) => {
            audit_page(state, access, id, Some(&e.message_ja()), e.status()).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn approve(state: &AppState, access: &Access, id: i64) -> Result<(), AppError> {
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

pub(super) async fn assign(
    state: &AppState,
    access: &Access,
    id: i64,
    f: &AssignForm,
) -> Result<mamori_store::audits::Assignment, AppError> {
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
    let f: AssignForm = crate::routes::body::object(&body)?;
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

pub(super) async fn record_finding(state: &AppState, access: &Access, id: i64, f: &FindingForm) -> Result<(), AppError> {
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
