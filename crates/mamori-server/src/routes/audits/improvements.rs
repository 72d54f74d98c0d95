//! Improvement plans from findings: the 管理者 who answers for each, progress until done,
//! and the check of other departments for the same issue.

use super::*;

// Improvement plans

pub fn plan_status(p: &Plan, today: &str) -> &'static str {
    if p.status == PlanStatus::Closed {
        "完了"
    } else if p.overdue_on(today) {
        "期限超過"
    } else {
        "対応中"
    }
}

/// The plans this person reads: all for organizers and the committee; their departments'
/// and their own otherwise.
pub(super) fn visible_plan(access: &Access, p: &Plan) -> bool {
    access.may(Step::ImprovementViewAll)
        || access.person.as_ref().is_some_and(|me| me.id == p.responsible_person_id)
        || access.managed_departments().is_some_and(|m| m.contains(&p.department_id))
}

pub(super) async fn improvements_page(
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
        .filter(|c| c.status == CheckStatus::Pending && access.may_in(Step::ImprovementAnswerCheck, c.department_id))
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
pub(super) async fn manager_of(state: &AppState, access: &Access, department_id: i64) -> Result<Option<i64>, AppError> {
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

pub(super) async fn create_plan(state: &AppState, access: &Access, f: &PlanForm) -> Result<Plan, AppError> {
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

pub(super) async fn plan_page(
    state: &AppState,
    access: &Access,
    id: i64,
    error: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
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
            @if p.status == PlanStatus::Closed { dt { "完了" } dd { (p.closing_note) " " (p.closed_at.as_deref().map(wareki_time).unwrap_or_default()) } }
        }
        h2 { "進捗状況の報告" }
        @if progress.is_empty() { p #progress { "まだ報告はありません。" } } @else {
            ul #progress { @for g in &progress { li { (wareki_time(&g.reported_at)) " " (g.reported_by_name) ": " (g.note) } } }
        }
        @if p.status == PlanStatus::Open && reports {
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

pub(super) fn plan_state(p: &Plan) -> Result<PlanStatus, AppError> {
    Ok(p.status)
}

/// Whether this person may report progress on `p` (its responsible 管理者, or the profile's
/// holders of `improvement.report`).
pub(super) fn may_report(access: &Access, p: &Plan) -> bool {
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
