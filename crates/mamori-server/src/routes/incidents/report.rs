//! Reporting: the short form anyone fills in, saved as a draft when something is missing
//! (nothing is lost) and sent to the roles the profile's level table names.

use super::*;

/// A report as the form or a JSON body gives it.
#[derive(Debug, Default, Deserialize, serde::Serialize, Clone)]
pub struct ReportForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub department_id: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub external_reporter: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub discovered_at: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub assets: String,
    #[serde(default)]
    pub personal_info: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub level: String,
    #[serde(default)]
    pub details: String,
    /// `send` to report now; anything else saves a draft. JSON may say `"send": true`.
    #[serde(default)]
    pub intent: String,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub send: Option<String>,
}

impl ReportForm {
    pub(super) fn wants_send(&self) -> bool {
        self.intent == "send" || self.send.is_some()
    }

    pub(super) fn from_incident(i: &Incident) -> Self {
        let local = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&jst()).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        Self {
            department_id: i.department_id.to_string(),
            source: i.source.clone(),
            external_reporter: i.external_reporter.clone(),
            title: i.title.clone(),
            occurred_at: local(&i.occurred_at),
            discovered_at: local(&i.discovered_at),
            location: i.location.clone(),
            assets: i.assets.clone(),
            personal_info: i.personal_info.clone(),
            level: i.level.map(|l| l.to_string()).unwrap_or_default(),
            details: i.details.clone(),
            intent: String::new(),
            send: None,
        }
    }
}

/// A time as a person types it (`2026-12-01T09:30` from a datetime field, `2026-12-01 09:30`,
/// or RFC 3339), as stored: RFC 3339 in +09:00.
pub(super) fn parse_time(field: &str, value: &str, problems: &mut Vec<String>) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let parsed = DateTime::parse_from_rfc3339(v).ok().map(|t| t.with_timezone(&jst())).or_else(|| {
        ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
            .and_then(|n| jst().from_local_datetime(&n).single())
    });
    match parsed {
        Some(t) if t > now() + chrono::Duration::minutes(5) => {
            problems.push(format!("{field}「{v}」が未来の日時です。起きた（気づいた）日時を入力してください"));
            None
        }
        Some(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)),
        None => {
            problems.push(format!("{field}「{v}」を日時として読めません。2026-12-01T09:30 の形で入力してください"));
            None
        }
    }
}

/// Checks a report. `Err` holds problems that stop anything being saved (a value that is
/// wrong); `Ok` holds the report and what is still missing before it can be sent.
pub(super) fn check_report(f: &ReportForm, profile: &Profile, access: &Access) -> Result<(IncidentReport, Vec<String>), Vec<String>> {
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    let department_id = match f.department_id.trim() {
        "" => access.person.as_ref().map(|p| p.department_id),
        v => match v.parse::<i64>() {
            Ok(d) if access.departments.iter().any(|x| x.id == d) => Some(d),
            _ => {
                problems.push(format!("課局等「{v}」が見つかりません。一覧から選んでください"));
                None
            }
        },
    };
    let source = match f.source.trim() {
        "" | "internal" => "internal",
        "external" => "external",
        v => {
            problems.push(format!("報告の経路「{v}」は internal（職員が認知）か external（住民等外部から）で指定してください"));
            "internal"
        }
    };
    let personal_info = match f.personal_info.trim() {
        "" | "unknown" => "unknown",
        "yes" => "yes",
        "no" => "no",
        v => {
            problems.push(format!("個人情報の有無「{v}」は yes・no・unknown のいずれかで指定してください"));
            "unknown"
        }
    };
    let level = match f.level.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(l) if profile.incident_levels.iter().any(|x| i64::from(*x.level.get_ref()) == l) => Some(l),
            _ => {
                let allowed: Vec<String> = profile.incident_levels.iter().map(|x| x.level.get_ref().to_string()).collect();
                problems.push(format!("レベル「{v}」はありません。{} のいずれかを選んでください", allowed.join("・")));
                None
            }
        },
    };
    let occurred_at = parse_time("発生日時", &f.occurred_at, &mut problems);
    let discovered_at = parse_time("発見日時", &f.discovered_at, &mut problems);
    if let (Some(o), Some(d)) = (&occurred_at, &discovered_at) {
        if d < o {
            problems.push("発見日時が発生日時より前になっています。どちらかを直してください".into());
        }
    }
    for (name, value, max) in [
        ("件名", &f.title, 200),
        ("場所", &f.location, 200),
        ("対象の情報資産・システム", &f.assets, 1000),
        ("内容", &f.details, 10_000),
        ("外部の報告者", &f.external_reporter, 200),
    ] {
        if value.chars().count() > max {
            problems.push(format!("{name}は{max}字以内で入力してください（{}字）", value.chars().count()));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if f.title.trim().is_empty() {
        missing.push("何が起きたか（件名）".to_owned());
    }
    if level.is_none() {
        missing.push("被害・影響のレベル".to_owned());
    }
    if occurred_at.is_none() && discovered_at.is_none() {
        missing.push("発生日時または発見日時".to_owned());
    }
    if source == "external" && f.external_reporter.trim().is_empty() {
        missing.push("外部からの報告者（匿名の場合は「匿名」）".to_owned());
    }
    let Some(department_id) = department_id else {
        return Err(vec!["課局等を選んでください".into()]);
    };
    Ok((
        IncidentReport {
            department_id,
            source: source.to_owned(),
            external_reporter: if source == "external" { f.external_reporter.trim().to_owned() } else { String::new() },
            title: f.title.trim().to_owned(),
            occurred_at,
            discovered_at,
            location: f.location.trim().to_owned(),
            assets: f.assets.trim().to_owned(),
            personal_info: personal_info.to_owned(),
            level,
            details: f.details.trim().to_owned(),
        },
        missing,
    ))
}

/// What saving a report came to.
pub(super) enum Saved {
    Incident { incident: Box<Incident>, missing: Vec<String> },
    Problems(Vec<String>),
}

pub(super) async fn save(state: &AppState, access: &Access, existing: Option<i64>, f: &ReportForm) -> Result<Saved, AppError> {
    let Some(person) = access.person.clone() else {
        return Err(AppError::BadRequest("職員として登録されていない利用者は報告できません。管理者に職員の登録を依頼してください".into()));
    };
    let (report, missing) = match check_report(f, &access.profile, access) {
        Ok(x) => x,
        Err(p) => return Ok(Saved::Problems(p)),
    };
    let send = f.wants_send() && missing.is_empty();
    let org = access.org_id();
    let notices = if send {
        let roles = incident::level_roles(&access.profile, report.level.unwrap_or_default() as u32).unwrap_or_default();
        let dir = notify::directory(state, org, &today().to_string()).await?;
        notify::notices_for(&access.profile, &roles, report.department_id, &dir, now(), &HashSet::new(), None).0
    } else {
        Vec::new()
    };
    let mail = notify::mail_status(state);
    let sub = Submission {
        report: &report,
        reporter_person_id: person.id,
        reporter_user_id: access.user.id,
        profile_version_id: access.profile_version_id,
        send: send.then_some((notices.as_slice(), mail)),
    };
    let incident = state.store.save_incident(org, existing, &sub, &access.actor()).await?;
    Ok(Saved::Incident { incident: Box::new(incident), missing: if f.wants_send() { missing } else { Vec::new() } })
}

// ---------------------------------------------------------------------------------------
// Pages

pub(super) fn report_form(access: &Access, action: &str, f: &ReportForm, problems: &[String]) -> Markup {
    let my_dept = access.person.as_ref().map(|p| p.department_id.to_string()).unwrap_or_default();
    let dept = if f.department_id.is_empty() { my_dept } else { f.department_id.clone() };
    html! {
        @if !problems.is_empty() {
            div.error role="alert" id="problems" { p { "保存していません。次の点を直してください。" } ul { @for p in problems { li { (p) } } } }
        }
        p.small { "分かることだけで構いません。まず送信し、詳しいことは後から追記できます。送信すると、レベルに応じた報告先と統一的な窓口（CSIRT）に通知されます。途中で「下書き保存」もできます。" }
        form.stack method="post" action=(action) id="report-form" {
            (csrf_field(&access.session.csrf_token))
            label { "何が起きたか（件名）" input type="text" name="title" id="title" value=(f.title) maxlength="200"; }
            label { "被害・影響のレベル"
                select name="level" id="level" {
                    option value="" { "（選んでください）" }
                    @for l in &access.profile.incident_levels {
                        option value=(l.level.get_ref()) selected[f.level == l.level.get_ref().to_string()] { (l.name) " — " (l.criteria) }
                    }
                }
            }
            label { "発生日時" input type="datetime-local" name="occurred_at" id="occurred_at" value=(f.occurred_at); }
            label { "発見日時" input type="datetime-local" name="discovered_at" id="discovered_at" value=(f.discovered_at); }
            label { "場所" input type="text" name="location" id="location" value=(f.location) maxlength="200"; }
            label { "課局等"
                select name="department_id" id="department_id" {
                    @for d in access.departments.iter() { option value=(d.id) selected[dept == d.id.to_string()] { (d.name) } }
                }
            }
            label { "対象の情報資産・システム" input type="text" name="assets" id="assets" value=(f.assets) maxlength="1000"; }
            label { "個人情報"
                select name="personal_info" id="personal_info" {
                    @for (v, l) in [("unknown", "不明"), ("yes", "含まれる"), ("no", "含まれない")] { option value=(v) selected[f.personal_info == v] { (l) } }
                }
            }
            label { "報告の経路"
                select name="source" id="source" {
                    option value="internal" selected[f.source != "external"] { "職員が認知した" }
                    option value="external" selected[f.source == "external"] { "住民等外部から報告を受けた（" (access.workflow.clause(Step::IncidentExternalSource)) "）" }
                }
            }
            label { "外部の報告者（外部からの場合。氏名・連絡先。記録では消去可能な個人情報として扱います）" input type="text" name="external_reporter" id="external_reporter" value=(f.external_reporter) maxlength="200"; }
            label { "内容・経緯（詳しく）" textarea name="details" id="details" rows="6" maxlength="10000" { (f.details) } }
            button type="submit" name="intent" value="send" id="send" { "報告を送信する" }
            " "
            button type="submit" name="intent" value="draft" id="save-draft" { "下書き保存" }
        }
    }
}

pub async fn new_form(access: Access) -> Result<Response, AppError> {
    Ok(page("インシデントの報告", Some(&access), report_form(&access, "/incidents", &ReportForm::default(), &[])).into_response())
}

pub(super) async fn saved_response(state: &AppState, access: &Access, existing: Option<i64>, f: &ReportForm) -> Result<Response, AppError> {
    let action = existing.map(|i| format!("/incidents/{i}")).unwrap_or_else(|| "/incidents".into());
    match save(state, access, existing, f).await? {
        Saved::Incident { incident, missing } => {
            let q = if incident.status == IncidentStatus::Draft {
                if missing.is_empty() {
                    "draft".to_owned()
                } else {
                    format!("incomplete&missing={}", urlencode(&missing.join("、")))
                }
            } else {
                "sent".to_owned()
            };
            Ok(Redirect::to(&format!("/incidents/{}?saved={q}", incident.id)).into_response())
        }
        Saved::Problems(p) => {
            Ok((StatusCode::BAD_REQUEST, page("インシデントの報告", Some(access), report_form(access, &action, f, &p))).into_response())
        }
    }
}

pub(super) fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).map(|x| x[2..].to_owned()).unwrap_or_default()
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<ReportForm>) -> Result<Response, AppError> {
    saved_response(&state, &access, None, &f).await
}

pub async fn update(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ReportForm>,
) -> Result<Response, AppError> {
    load(&state, &access, id).await?;
    saved_response(&state, &access, Some(id), &f).await
}
