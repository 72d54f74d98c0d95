//! Deciding and closing a request: approval or refusal by the approver the profile's
//! approval rule names (never the applicant, unless the reason is recorded as an exception),
//! and the step that closes it (return, disposal, the two-person work record).

use super::*;

/// Approves or refuses, enforcing who may: the approver's role (or its deputy) in the right
/// department, never the applicant — unless they write down why it cannot be helped, which
/// is recorded and listed in the CISO's register.
pub(super) async fn decide(state: &AppState, access: &Access, id: i64, approve: bool, f: &VerdictForm) -> Result<Request, AppError> {
    let r = load(state, access, id).await?;
    let justification = f.override_justification.trim();
    let name = approver_name(access, &r);
    let decider = wf::decide_request(&access.workflow, &access.subject(), &facts(&r, &name)?, !justification.is_empty())?;
    let person = person_of(access, "申請を決裁")?;
    let as_deputy = decider.as_deputy;
    let override_justification = (decider.self_approval && approve).then(|| justification.to_owned());
    // With the approval held, the engine's answer becomes the one the record keeps.
    let decision = if approve {
        let mut input: RequestInput = serde_json::from_value(r.input.clone()).map_err(AppError::internal)?;
        if let Some(role) = &r.approver_role {
            input.context.approvals.push(role.clone());
        }
        let engine = &access.engine;
        let q =
            engine.query(&input).map_err(|e| AppError::wrong_state(format!("申請時と現在のポリシーが合いません: {}", e.message_ja())))?;
        let d = engine.decide(&q);
        if d.outcome != mamori_engine::Outcome::Permitted {
            return Err(AppError::wrong_state(format!(
                "承認しても現在のポリシーでは「{}」です（根拠: {}）。申請をやり直してください",
                d.outcome.label_ja(),
                d.clauses().join("、")
            )));
        }
        Some(serde_json::to_value(DecisionJson { engine, decision: &d }).map_err(AppError::internal)?)
    } else {
        None
    };
    // Approving a cloud service names its manager (the profile's `cloud.register`).
    let service_manager_person_id = if approve && r.action == Action::UseCloudService {
        let clause = r.decision["approvals"][0]["clause"].as_str().unwrap_or("").to_owned();
        let id: i64 = f
            .service_manager_person_id
            .trim()
            .parse()
            .map_err(|_| AppError::BadRequest(format!("クラウドサービス管理者を指名してください（{clause}）")))?;
        state
            .store
            .person(access.org_id(), id)
            .await
            .map_err(|_| AppError::BadRequest("指名したクラウドサービス管理者が職員名簿にいません".into()))?;
        Some(id)
    } else {
        None
    };
    let verdict = Verdict {
        approve,
        person_id: person.id,
        as_deputy,
        comment: f.comment.trim().to_owned(),
        override_justification,
        decision,
        service_manager_person_id,
    };
    Ok(state.store.decide_request(access.org_id(), id, &verdict, &access.actor()).await?)
}

/// Closes a request: records the return of what was taken out, or the disposal done.
pub(super) async fn complete(state: &AppState, access: &Access, id: i64, f: &VerdictForm) -> Result<Request, AppError> {
    let r = load(state, access, id).await?;
    let name = approver_name(access, &r);
    let record = match r.action.id() {
        "dispose" => Step::DisposalRecord,
        "change_system" => Step::SystemChangeRecord,
        _ => Step::TakeOutRecord,
    };
    wf::complete_request(&access.workflow, &access.subject(), &access.tree, &facts(&r, &name)?, record)?;
    let person = person_of(access, "完了を記録")?;
    let mut problems = Vec::new();
    let on = parse_date("日付", &f.completed_on, &mut problems).unwrap_or_else(today);
    if r.action == Action::Dispose && f.note.trim().is_empty() {
        problems.push("廃棄の処理方法（物理的な破壊、消去ソフトによる消去など）を記入してください（廃棄記録）".into());
    }
    let checked_by = if r.action == Action::ChangeSystem {
        if f.note.trim().is_empty() {
            problems.push("作業内容を記入してください（作業記録）".into());
        }
        match f.checked_by_person_id.trim().parse::<i64>() {
            Ok(id) if id == person.id => {
                problems.push("作業者と確認者は別の人にしてください（2名以上で作業し、互いに確認する）".into());
                None
            }
            Ok(id) => match state.store.person(access.org_id(), id).await {
                Ok(_) => Some(id),
                Err(_) => {
                    problems.push("確認者が職員名簿にいません".into());
                    None
                }
            },
            Err(_) => {
                let clause = r.decision["deciding"][0]["clause"].as_str().unwrap_or("").to_owned();
                problems.push(format!("作業を確認したもう一人（確認者）を選んでください（{clause}）"));
                None
            }
        }
    } else {
        None
    };
    if on > today() {
        problems.push("まだ来ていない日付は記録できません".into());
    }
    if let Some(p) = problems.first() {
        return Err(AppError::BadRequest(p.clone()));
    }
    let completion = Completion { person_id: person.id, on, note: f.note.trim().to_owned(), checked_by };
    Ok(state.store.complete_request(access.org_id(), id, &completion, &access.actor()).await?)
}

pub async fn show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = load(&state, &access, id).await?;
    let people = people_for(&state, &access, &r).await?;
    Ok(page(&format!("{} 第{}号", r.form, r.id), Some(&access), request_view(&access, &r, &people, None)).into_response())
}

pub(super) fn request_view(access: &Access, r: &Request, people: &[mamori_store::org::Person], error: Option<&str>) -> Markup {
    let d = &r.decision;
    let approver_name = r.approver_role.as_deref().and_then(|x| access.profile.role(x)).map(|x| x.name.clone());
    let me = access.person.as_ref().map(|p| p.id);
    let may_decide = r.status == RequestStatus::Pending && approver_assignment(access, r).is_some();
    let may_complete = matches!(r.status, RequestStatus::Approved | RequestStatus::Permitted)
        && matches!(r.action.id(), "take_out" | "bring_in" | "dispose" | "change_system")
        && (me == Some(r.applicant_person_id) || approver_assignment(access, r).is_some() || access.can_manage_department(r.department_id));
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        dl {
            dt { "状態" } dd id="status" { (r.status.label_ja()) @if r.overdue(&today()) { " " strong { "（返却期限超過）" } } }
            dt { "種類" } dd { (r.action.label_ja()) }
            dt { "申請者" } dd { (r.applicant_name) "（" (r.department_name) "）" }
            dt { "対象" } dd {
                @if let (Some(a), Some(n)) = (r.asset_id, &r.asset_name) {
                    @if &r.subject != n { (r.subject) " — " }
                    a href={"/assets/" (a)} { (n) }
                } @else { (r.subject) }
            }
            dt { "目的" } dd { (r.purpose) }
            dt { "行き先・場所" } dd { (r.destination) }
            dt { "期間" } dd { (r.starts_on.as_deref().unwrap_or("")) " 〜 " (r.due_on.as_deref().unwrap_or("")) }
            dt { "申請日時" } dd { (wareki_time(&r.created_at)) }
            @if let Some(n) = &approver_name { dt { "承認者" } dd { (n) } }
            @if let Some(by) = &r.decided_by_name {
                dt { "決裁" } dd id="decided-by" { (by) @if r.decided_as_deputy { "（代理）" } " " (wareki_time(r.decided_at.as_deref().unwrap_or(""))) }
                @if !r.decision_comment.is_empty() { dt { "コメント" } dd { (r.decision_comment) } }
            }
            @if let Some(j) = &r.override_justification { dt { "職務の分離の例外" } dd.error { "本人承認 — 理由: " (j) } }
            @if let Some(on) = &r.completed_on {
                dt { (if r.action == Action::Dispose { "廃棄の実施" } else { "返却" }) }
                dd id="completed" { (on) " " (r.completed_by_name.as_deref().unwrap_or("")) " " (r.completion_note) }
            }
            @if let Some(m) = &r.service_manager_name { dt { "クラウドサービス管理者" } dd id="service-manager" { (m) } }
            @if let Some(c) = &r.checked_by_name { dt { "確認者" } dd id="checked-by" { (c) } }
        }
        h2 { "規定による判断" }
        p { strong { (d["outcome_ja"].as_str().unwrap_or("")) } " — 根拠: "
            @for (i, c) in d["clauses"].as_array().into_iter().flatten().enumerate() { @if i > 0 { "、" } (c.as_str().unwrap_or("")) } }
        ul { @for x in d["deciding"].as_array().into_iter().flatten() { li { (x["text"].as_str().unwrap_or("")) "（" (x["clause"].as_str().unwrap_or("")) "）" } } }
        @if let Some(duties) = d["duties"].as_array().filter(|x| !x.is_empty()) {
            h3 { "守ること" }
            ul { @for x in duties { li { (x["text"].as_str().unwrap_or("")) @if let Some(rec) = x["record"].as_str() { "（" (rec) "）" } @if let Some(due) = x["due"].as_str() { " 期限 " (due) } } } }
        }
        p.small { "プロファイル版: " (d["profile_version"].as_str().unwrap_or("")) }
        @if may_decide {
            h2 { "決裁" }
            form method="post" action={"/requests/" (r.id) "/approve"} {
                (csrf_field(&access.session.csrf_token))
                label { "コメント" input type="text" name="comment" maxlength="500"; }
                @if r.action == Action::UseCloudService {
                    label { "クラウドサービス管理者（指名）"
                        select name="service_manager_person_id" required {
                            option value="" { "（選んでください）" }
                            @for p in people { option value=(p.id) { (p.name) "（" (p.staff_no) "）" } }
                        }
                    }
                }
                @if me == Some(r.applicant_person_id) {
                    label { "やむを得ず本人が承認する理由（職務の分離の例外。CISOの例外措置台帳に載ります）" input type="text" name="override_justification" maxlength="500"; }
                }
                button type="submit" id="approve" { "承認する" }
            }
            form method="post" action={"/requests/" (r.id) "/refuse"} {
                (csrf_field(&access.session.csrf_token))
                label { "却下の理由" input type="text" name="comment" maxlength="500"; }
                button type="submit" id="refuse" { "却下する" }
            }
        }
        @if may_complete {
            @let dispose = r.action == Action::Dispose;
            @let work = r.action == Action::ChangeSystem;
            h2 { (if dispose { "廃棄の実施の記録（廃棄記録）" } else if work { "作業の記録（2名以上で作業し、互いに確認）" } else { "返却の記録" }) }
            form method="post" action={"/requests/" (r.id) "/complete"} {
                (csrf_field(&access.session.csrf_token))
                label { (if dispose { "廃棄日" } else if work { "作業日" } else { "返却日" }) input type="date" name="completed_on" value=(today()); }
                label { (if dispose { "処理方法（物理的な破壊、消去ソフトによる消去など）" } else if work { "作業内容" } else { "確認事項" }) input type="text" name="note" maxlength="500" required[dispose || work]; }
                @if work {
                    label { "確認者（作業を確認したもう一人）"
                        select name="checked_by_person_id" required {
                            option value="" { "（選んでください）" }
                            @for p in people { @if Some(p.id) != me { option value=(p.id) { (p.name) "（" (p.staff_no) "）" } } }
                        }
                    }
                }
                button type="submit" id="record-completion" { (if dispose { "廃棄を記録する" } else if work { "作業を記録する" } else { "返却を記録する" }) }
            }
        }
        p { a href="/requests" { "申請・承認の一覧へ" } }
    }
}

/// The people a cloud service's approver may name as its manager.
pub(super) async fn people_for(state: &AppState, access: &Access, r: &Request) -> Result<Vec<mamori_store::org::Person>, AppError> {
    let completes_work = r.action == Action::ChangeSystem && matches!(r.status, RequestStatus::Approved | RequestStatus::Permitted);
    if completes_work
        || (r.action == Action::UseCloudService && r.status == RequestStatus::Pending && approver_assignment(access, r).is_some())
    {
        Ok(state.store.people(access.org_id(), None, 10_000, 0).await?.into_iter().filter(|p| p.active).collect())
    } else {
        Ok(Vec::new())
    }
}

pub(super) async fn verdict_page(
    state: &AppState,
    access: &Access,
    id: i64,
    result: Result<Request, AppError>,
) -> Result<Response, AppError> {
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}", r.id)).into_response()),
        Err(e) if e.is_shown_on_form() && !matches!(e, AppError::NotFound) => {
            let r = load(state, access, id).await?;
            let people = people_for(state, access, &r).await?;
            Ok((
                e.status(),
                page(&format!("{} 第{}号", r.form, r.id), Some(access), request_view(access, &r, &people, Some(&e.message_ja()))),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<VerdictForm>,
) -> Result<Response, AppError> {
    let result = decide(&state, &access, id, true, &f).await;
    verdict_page(&state, &access, id, result).await
}

pub async fn refuse(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<VerdictForm>,
) -> Result<Response, AppError> {
    let result = decide(&state, &access, id, false, &f).await;
    verdict_page(&state, &access, id, result).await
}

pub async fn completed(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<VerdictForm>,
) -> Result<Response, AppError> {
    let result = complete(&state, &access, id, &f).await;
    verdict_page(&state, &access, id, result).await
}
