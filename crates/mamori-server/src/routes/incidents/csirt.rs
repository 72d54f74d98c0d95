//! What the people told of a report do with it: acknowledge, assess (triage), direct and
//! instruct, record cause and response, file external reports, attach files, close. Each
//! step asks the profile's workflow rules who may take it.

use super::*;

pub(super) async fn acknowledge(state: &AppState, access: &Access, id: i64) -> Result<(), AppError> {
    load(state, access, id).await?;
    let person = person_of(access, "通知を確認")?;
    state.store.acknowledge_notices(access.org_id(), id, person.id, &access.actor()).await?;
    Ok(())
}

pub async fn acknowledge_page(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = acknowledge(&state, &access, id).await;
    after_action(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct TriageForm {
    #[serde(default)]
    pub is_incident: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub level: String,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub personal_information: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub sensitive_personal_information: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub financial_damage: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub unlawful_intent: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub specific_personal_information: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub suspected_crime: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub residents_affected: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub affected_people: String,
    #[serde(default)]
    pub aware_on: String,
}

pub(super) async fn triage(state: &AppState, access: &Access, id: i64, f: &TriageForm) -> Result<(), AppError> {
    let (i, notices) = load(state, access, id).await?;
    access.require(Step::IncidentTriage)?;
    let person = person_of(access, "評価")?;
    let mut problems = Vec::new();
    let is_incident = match f.is_incident.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            problems.push("インシデントであるか否かを選んでください".to_owned());
            false
        }
    };
    let p = &access.profile;
    let level = match f.level.trim().parse::<i64>() {
        Ok(l) if p.incident_levels.iter().any(|x| i64::from(*x.level.get_ref()) == l) => l,
        _ => {
            problems.push(format!("レベル「{}」はありません", f.level.trim()));
            0
        }
    };
    let affected = match f.affected_people.trim() {
        "" => None,
        v => match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("本人の数「{v}」は0以上の整数で入力してください"));
                None
            }
        },
    };
    let aware_on =
        parse_date("事態を知った日", &f.aware_on, &mut problems).or_else(|| i.aware_on.clone()).unwrap_or_else(|| today().to_string());
    if aware_on > today().to_string() {
        problems.push(format!("事態を知った日「{aware_on}」が未来の日付です"));
    }
    if f.reason.trim().is_empty() {
        problems.push("判断の理由を記入してください".to_owned());
    }
    if !problems.is_empty() {
        return Err(AppError::BadRequest(problems.join(" ")));
    }
    let facts = json!({
        "personal_information": f.personal_information.is_some(),
        "sensitive_personal_information": f.sensitive_personal_information.is_some(),
        "financial_damage": f.financial_damage.is_some(),
        "unlawful_intent": f.unlawful_intent.is_some(),
        "specific_personal_information": f.specific_personal_information.is_some(),
        "suspected_crime": f.suspected_crime.is_some(),
        "residents_affected": f.residents_affected.is_some(),
        "affected_people": affected,
    });
    // A changed level reaches the roles of its row; an incident is reported to the role
    // CSIRT reports to (the CISO, 5.3(3)②). Nobody already told in that capacity is told again.
    let mut roles = incident::level_roles(p, level as u32).unwrap_or_default();
    if is_incident {
        // Up the line from the role that assessed it (CSIRT reports to the CISO).
        let rule = access.workflow.rule(Step::IncidentTriage);
        let triager = access.roles.iter().map(|r| r.role.as_str()).find(|r| rule.roles.iter().any(|x| x == r));
        if let Some(r) = triager.and_then(|t| incident::escalation_role(p, t)) {
            roles.push((r, Reason::Assessed));
        }
    }
    let already: HashSet<(i64, String)> = notices.iter().map(|n| (n.person_id, n.role.clone())).collect();
    let dir = notify::directory(state, access.org_id(), &today().to_string()).await?;
    let (new, _) = notify::notices_for(p, &roles, i.department_id, &dir, now(), &already, None);
    let t = Triage { person_id: person.id, is_incident, reason: f.reason.trim().to_owned(), level, facts, aware_on };
    state.store.triage_incident(access.org_id(), id, &t, &new, notify::mail_status(state), &access.actor()).await?;
    Ok(())
}

pub async fn triage_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<TriageForm>,
) -> Result<Response, AppError> {
    let r = triage(&state, &access, id, &f).await;
    after_action(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub assignee_person_id: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub system_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub result: String,
}

pub(super) async fn add_task(state: &AppState, access: &Access, id: i64, f: &TaskForm) -> Result<(), AppError> {
    load(state, access, id).await?;
    match f.kind.as_str() {
        "containment" | "check_other_systems" => access.require(Step::IncidentDirect)?,
        "ciso_instruction" | "recurrence_prevention" => {
            if !access.may(Step::IncidentDirect) {
                access.require(Step::IncidentInstruct)?;
            }
        }
        other => return Err(AppError::BadRequest(format!("指示の種類「{other}」はありません"))),
    }
    let person = person_of(access, "指示")?;
    let mut problems = Vec::new();
    let assignee = f.assignee_person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("担当者を選んでください".into()))?;
    let system_id = match f.system_id.trim() {
        "" => None,
        v => Some(v.parse::<i64>().map_err(|_| AppError::BadRequest(format!("情報システム「{v}」が見つかりません")))?),
    };
    if f.kind == "check_other_systems" && system_id.is_none() {
        problems.push("確認する情報システムを選んでください".to_owned());
    }
    let due_on = parse_date("期限", &f.due_on, &mut problems);
    if !problems.is_empty() {
        return Err(AppError::BadRequest(problems.join(" ")));
    }
    let t = NewTask {
        kind: f.kind.clone(),
        assignee_person_id: assignee,
        system_id,
        description: f.description.clone(),
        due_on,
        created_by_person_id: person.id,
    };
    state.store.add_incident_task(access.org_id(), id, &t, &access.actor()).await?;
    Ok(())
}

pub async fn add_task_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<TaskForm>,
) -> Result<Response, AppError> {
    let r = add_task(&state, &access, id, &f).await;
    after_action(&state, &access, id, r).await
}

pub(super) async fn task_done(state: &AppState, access: &Access, id: i64, task_id: i64, f: &TaskForm) -> Result<(), AppError> {
    load(state, access, id).await?;
    let tasks = state.store.incident_tasks(access.org_id(), id).await?;
    let t = tasks.iter().find(|t| t.id == task_id).ok_or(AppError::NotFound)?;
    let me = access.person.as_ref().map(|p| p.id);
    if me != Some(t.assignee_person_id) {
        access.require(Step::IncidentDirect)?;
    }
    state.store.complete_incident_task(access.org_id(), id, task_id, &f.result, &access.actor()).await?;
    Ok(())
}

pub async fn task_done_page(
    State(state): State<AppState>,
    access: Access,
    Path((id, task_id)): Path<(i64, i64)>,
    Form(f): Form<TaskForm>,
) -> Result<Response, AppError> {
    let r = task_done(&state, &access, id, task_id, &f).await;
    after_action(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct FindingsForm {
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub response: String,
    #[serde(default)]
    pub recurrence_prevention: String,
}

pub(super) async fn findings(state: &AppState, access: &Access, id: i64, f: &FindingsForm) -> Result<(), AppError> {
    load(state, access, id).await?;
    access.require(Step::IncidentRecord)?;
    for (name, v) in [("原因", &f.cause), ("被害・影響", &f.impact), ("対応", &f.response), ("再発防止策", &f.recurrence_prevention)]
    {
        if v.chars().count() > 5000 {
            return Err(AppError::BadRequest(format!("{name}は5000字以内で入力してください")));
        }
    }
    let x = Findings {
        cause: f.cause.clone(),
        impact: f.impact.clone(),
        response: f.response.clone(),
        recurrence_prevention: f.recurrence_prevention.clone(),
    };
    state.store.record_findings(access.org_id(), id, &x, &access.actor()).await?;
    Ok(())
}

pub async fn findings_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<FindingsForm>,
) -> Result<Response, AppError> {
    let r = findings(&state, &access, id, &f).await;
    after_action(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct FilingForm {
    #[serde(default)]
    pub filed_on: String,
    #[serde(default)]
    pub note: String,
}

pub(super) async fn file_external(state: &AppState, access: &Access, id: i64, report_id: &str, f: &FilingForm) -> Result<(), AppError> {
    let (i, _) = load(state, access, id).await?;
    access.require(Step::IncidentFileExternal)?;
    if !due_reports(&access.profile, &i).iter().any(|d| d.id == report_id) {
        return Err(AppError::BadRequest(format!("「{report_id}」はこの報告に必要な外部への報告ではありません")));
    }
    let person = person_of(access, "外部への報告を記録")?;
    let mut problems = Vec::new();
    let on = parse_date("報告日", &f.filed_on, &mut problems).ok_or_else(|| {
        AppError::BadRequest(if problems.is_empty() { "報告日を入力してください".into() } else { problems.join(" ") })
    })?;
    if on > today().to_string() {
        return Err(AppError::BadRequest(format!("報告日「{on}」が未来の日付です")));
    }
    let filing = NewFiling { report_id: report_id.to_owned(), filed_on: on, person_id: person.id, note: f.note.clone() };
    state.store.file_external_report(access.org_id(), id, &filing, &access.actor()).await?;
    Ok(())
}

pub async fn file_external_page(
    State(state): State<AppState>,
    access: Access,
    Path((id, report_id)): Path<(i64, String)>,
    Form(f): Form<FilingForm>,
) -> Result<Response, AppError> {
    let r = file_external(&state, &access, id, &report_id, &f).await;
    after_action(&state, &access, id, r).await
}

/// A file name as kept: no directories, no control characters, at most 200 characters.
pub(super) async fn attach(state: &AppState, access: &Access, id: i64, mut multipart: Multipart) -> Result<(), AppError> {
    let (i, notices) = load(state, access, id).await?;
    let me = person_of(access, "添付")?;
    if me.id != i.reporter_person_id && !notices.iter().any(|n| n.person_id == me.id) && !access.may(Step::IncidentRecord) {
        let mut d = access.workflow.denial(Step::IncidentRecord, false);
        d.reason = format!("添付できるのは報告者、通知を受けた人と{}です", access.workflow.who_ja(Step::IncidentRecord));
        return Err(AppError::Denied(d));
    }
    let upload = crate::routes::read_upload(&mut multipart).await?;
    let Some(crate::routes::Upload { file_name, content_type, content }) = upload.file else {
        return Err(AppError::BadRequest("添付するファイルを選んでください".into()));
    };
    let a = NewAttachment { file_name, content_type, content, person_id: me.id };
    state.store.add_incident_attachment(access.org_id(), id, &a, &access.actor()).await?;
    Ok(())
}

pub async fn attach_page(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let r = attach(&state, &access, id, multipart).await;
    after_action(&state, &access, id, r).await
}

/// Downloads an attachment, always as a file (never rendered by the browser), after checking
/// its bytes against the recorded hash.
pub async fn attachment(
    State(state): State<AppState>,
    access: Access,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    load(&state, &access, id).await?;
    let (a, content) = state.store.incident_attachment_content(access.org_id(), id, attachment_id).await?;
    Ok(crate::routes::download(&a.file_name, &a.sha256, content))
}

pub(super) async fn close(state: &AppState, access: &Access, id: i64) -> Result<(), AppError> {
    load(state, access, id).await?;
    access.require(Step::IncidentClose)?;
    state.store.close_incident(access.org_id(), id, &access.actor()).await?;
    Ok(())
}

pub async fn close_page(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = close(&state, &access, id).await;
    after_action(&state, &access, id, r).await
}
