//! Incidents through pages and the API: anyone reports (a short form first, a draft kept
//! until it is sent), routing tells the roles the level table names, CSIRT assesses and
//! hands out instructions, the external reports the facts require are listed with their
//! deadlines, and the policy's two reports and the emergency response plan are printable.

use std::collections::HashSet;

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use mamori_policy::incident::{self, DueReport, Facts, Reason};
use mamori_policy::{Profile, RoleScope};
use mamori_store::incidents::{
    status, Findings, Incident, IncidentFilter, IncidentReport, NewAttachment, NewFiling, NewTask, Notice, Submission, Task, Triage,
};
use mamori_store::jst;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Access;
use crate::error::{ApiError, AppError};
use crate::notify::{self, due_reports, facts_of};
use crate::routes::{parse_date, person_of};
use crate::views::fmt::{wareki_date, wareki_time};
use crate::views::layout::{csrf_field, head, page};
use crate::views::{cite, cite_clause, per};
use crate::AppState;
use mamori_policy::workflow::Step;

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
    fn wants_send(&self) -> bool {
        self.intent == "send" || self.send.is_some()
    }

    fn from_incident(i: &Incident) -> Self {
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

fn now() -> DateTime<FixedOffset> {
    chrono::Utc::now().with_timezone(&jst())
}

fn today() -> NaiveDate {
    now().date_naive()
}

/// A time as a person types it (`2026-12-01T09:30` from a datetime field, `2026-12-01 09:30`,
/// or RFC 3339), as stored: RFC 3339 in +09:00.
fn parse_time(field: &str, value: &str, problems: &mut Vec<String>) -> Option<String> {
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
fn check_report(f: &ReportForm, profile: &Profile, access: &Access) -> Result<(IncidentReport, Vec<String>), Vec<String>> {
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
enum Saved {
    Incident { incident: Box<Incident>, missing: Vec<String> },
    Problems(Vec<String>),
}

async fn save(state: &AppState, access: &Access, existing: Option<i64>, f: &ReportForm) -> Result<Saved, AppError> {
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

fn can_see(access: &Access, i: &Incident, notices: &[Notice]) -> bool {
    let me = access.person.as_ref().map(|p| p.id);
    if i.status == status::DRAFT {
        return me == Some(i.reporter_person_id);
    }
    access.may(Step::IncidentViewAll)
        || me == Some(i.reporter_person_id)
        || notices.iter().any(|n| Some(n.person_id) == me)
        || access.may_in(Step::RegistersManage, i.department_id)
}

async fn load(state: &AppState, access: &Access, id: i64) -> Result<(Incident, Vec<Notice>), AppError> {
    let i = state.store.incident(access.org_id(), id).await?;
    let notices = state.store.incident_notices(access.org_id(), id).await?;
    if !can_see(access, &i, &notices) {
        return Err(AppError::NotFound);
    }
    Ok((i, notices))
}

const FACTS: &[(&str, &str)] = &[
    ("personal_information", "個人情報が含まれる"),
    ("sensitive_personal_information", "要配慮個人情報が含まれる"),
    ("financial_damage", "不正利用により財産的被害が生じるおそれがある"),
    ("unlawful_intent", "不正の目的をもって行われたおそれがある"),
    ("specific_personal_information", "特定個人情報（マイナンバー）が含まれる"),
    ("suspected_crime", "犯罪（不正アクセス禁止法違反等）の可能性がある"),
    ("residents_affected", "住民・企業に被害・影響が及ぶ"),
];

pub fn status_label(s: &str) -> &'static str {
    match s {
        status::DRAFT => "下書き",
        status::REPORTED => "報告済み（CSIRT評価待ち）",
        status::TRIAGED => "対応中",
        status::CLOSED => "対応完了",
        _ => "不明",
    }
}

fn task_kind_label(k: &str) -> &'static str {
    match k {
        "containment" => "応急措置・復旧の指示",
        "check_other_systems" => "他システムでの同様の事象の確認",
        "ciso_instruction" => "CISOの指示",
        "recurrence_prevention" => "再発防止策",
        _ => "指示",
    }
}

const TASK_KINDS: &[&str] = &["containment", "check_other_systems", "ciso_instruction", "recurrence_prevention"];

fn role_name(profile: &Profile, role: &str) -> String {
    profile.role(role).map(|r| r.name.clone()).unwrap_or_else(|| role.to_owned())
}

fn level_name(profile: &Profile, level: Option<i64>) -> String {
    match level {
        None => "未選択".into(),
        Some(l) => profile
            .incident_levels
            .iter()
            .find(|x| i64::from(*x.level.get_ref()) == l)
            .map(|x| format!("{}（{}）", x.name, x.criteria))
            .unwrap_or_else(|| format!("レベル{l}")),
    }
}

fn personal_label(p: &str) -> &'static str {
    match p {
        "yes" => "含まれる",
        "no" => "含まれない",
        _ => "不明",
    }
}

fn time_or_blank(t: &Option<String>) -> String {
    t.as_deref().map(wareki_time).unwrap_or_else(|| "—".into())
}

fn event_label(action: &str) -> &'static str {
    match action {
        "incident.draft" => "下書きを保存",
        "incident.report" => "報告",
        "incident.acknowledge" => "通知を確認",
        "incident.escalate" => "未確認のため上位へ通知",
        "incident.mail" => "通知メール",
        "incident.triage" => "CSIRTの評価",
        "incident.task" => "指示",
        "incident.task_done" => "指示の完了",
        "incident.findings" => "原因・対応・再発防止策の記録",
        "incident.external_report" => "外部への報告",
        "incident.close" => "対応完了",
        _ => "記録",
    }
}

// ---------------------------------------------------------------------------------------
// Pages

fn report_form(access: &Access, action: &str, f: &ReportForm, problems: &[String]) -> Markup {
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

async fn saved_response(state: &AppState, access: &Access, existing: Option<i64>, f: &ReportForm) -> Result<Response, AppError> {
    let action = existing.map(|i| format!("/incidents/{i}")).unwrap_or_else(|| "/incidents".into());
    match save(state, access, existing, f).await? {
        Saved::Incident { incident, missing } => {
            let q = if incident.status == status::DRAFT {
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

fn urlencode(s: &str) -> String {
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

/// The incidents this person may see.
async fn visible(state: &AppState, access: &Access, open_only: bool) -> Result<Vec<Incident>, AppError> {
    let me = access.person.as_ref().map(|p| p.id);
    let filter = if access.may(Step::IncidentViewAll) {
        IncidentFilter { include_drafts_of: me, open_only, limit: 500, ..Default::default() }
    } else {
        IncidentFilter {
            reporter_person_id: Some(me.unwrap_or(-1)),
            department_ids: access.managed_departments().filter(|d| !d.is_empty()),
            noticed_person_id: me,
            include_drafts_of: me,
            open_only,
            limit: 500,
        }
    };
    Ok(state.store.incidents(access.org_id(), &filter).await?)
}

fn incident_table(profile: &Profile, rows: &[Incident]) -> Markup {
    html! {
        @if rows.is_empty() { p.small id="incidents" { "ありません。" } } @else {
            table id="incidents" {
                thead { tr { th { "番号" } th { "件名" } th { "レベル" } th { "状態" } th { "課局等" } th { "報告者" } th { "報告日時" } } }
                tbody { @for i in rows { tr {
                    td { (i.id) }
                    td { a href={"/incidents/" (i.id)} { @if i.title.is_empty() { "（件名なし）" } @else { (i.title) } } }
                    td { @if let Some(l) = i.level { (profile.incident_levels.iter().find(|x| i64::from(*x.level.get_ref()) == l).map(|x| x.name.clone()).unwrap_or_default()) } }
                    td { (status_label(&i.status)) }
                    td { (i.department_name) }
                    td { (i.reporter_name) }
                    td { (time_or_blank(&i.reported_at)) }
                } } }
            }
        }
    }
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    let rows = visible(&state, &access, false).await?;
    let mine = match &access.person {
        Some(p) => state.store.open_notices_for(access.org_id(), p.id).await?,
        None => Vec::new(),
    };
    let body = html! {
        p { a.button href="/incidents/new" id="report-new" { "インシデントを報告する" } " " a href="/emergency-plan" { "緊急時対応計画（連絡網）" } }
        @if !mine.is_empty() {
            h2 { "あなたの確認を待っている通知" }
            ul id="my-notices" { @for n in &mine { li { a href={"/incidents/" (n.incident_id)} { "第" (n.incident_id) "号 " (n.incident_title) } " — " (role_name(&access.profile, &n.role)) @if n.as_deputy { "（代理）" } " 確認期限 " (wareki_time(&n.acknowledge_by)) } } }
        }
        h2 { "報告の一覧" }
        (incident_table(&access.profile, &rows))
    };
    Ok(page("インシデント", Some(&access), body).into_response())
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    missing: String,
}

pub async fn show(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let body = detail(&state, &access, id, &q, None).await?;
    Ok(page(&format!("インシデント報告 第{id}号"), Some(&access), body).into_response())
}

async fn detail(state: &AppState, access: &Access, id: i64, q: &ShowQuery, error: Option<&str>) -> Result<Markup, AppError> {
    let (i, notices) = load(state, access, id).await?;
    let org = access.org_id();
    let p = &access.profile;
    let me = access.person.as_ref().map(|x| x.id);
    let tasks = state.store.incident_tasks(org, id).await?;
    let filings = state.store.external_filings(org, id).await?;
    let attachments = state.store.incident_attachments(org, id).await?;
    let may_attach = i.status != status::CLOSED
        && (me == Some(i.reporter_person_id) || access.may(Step::IncidentRecord) || notices.iter().any(|n| Some(n.person_id) == me));
    let due = due_reports(p, &i);
    let mut timeline = state.store.events(org, Some(("incident", &id.to_string())), 500).await?;
    timeline.reverse();
    let mine_open = notices.iter().any(|n| Some(n.person_id) == me && n.acknowledged_at.is_none());
    let triages = access.may(Step::IncidentTriage);
    let records = access.may(Step::IncidentRecord);
    let files = access.may(Step::IncidentFileExternal);
    let directs = access.may(Step::IncidentDirect);
    let instructs = directs || access.may(Step::IncidentInstruct);
    let open = i.status == status::REPORTED || i.status == status::TRIAGED;
    let people = if instructs && open {
        state.store.people(org, None, 10_000, 0).await?.into_iter().filter(|x| x.active).collect()
    } else {
        Vec::new()
    };
    let systems = if instructs && open { state.store.systems(org, None, None).await? } else { Vec::new() };
    let unresolved = match (i.level, i.status.as_str()) {
        (Some(l), s) if s != status::DRAFT && s != status::CLOSED => {
            let roles = incident::level_roles(p, l as u32).unwrap_or_default();
            let dir = notify::directory(state, org, &today().to_string()).await?;
            incident::route(p, &roles, i.department_id, &dir).unresolved
        }
        _ => Vec::new(),
    };
    let today = today();
    Ok(html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        @match q.saved.as_str() {
            "sent" => { p.notice id="saved" { "報告を送信しました。報告先に通知しました。" } }
            "draft" => { p.notice id="saved" { "下書きとして保存しました。まだ誰にも通知していません。" } }
            "incomplete" => { p.error id="saved" role="alert" { "下書きとして保存しました（まだ送信していません）。送信するには次を入力してください: " (q.missing) } }
            _ => {}
        }
        @if !unresolved.is_empty() {
            p.error role="alert" id="unresolved" { "報告先の役割に、いま通知できる人がいません: "
                @for (k, r) in unresolved.iter().enumerate() { @if k > 0 { "、" } (role_name(p, r)) } "。役割の割当てを確認し、電話等で直接報告してください。" }
        }
        dl.facts id="summary" {
            dt { "状態" } dd id="status" { (status_label(&i.status)) }
            dt { "件名" } dd id="title" { (i.title) }
            dt { "レベル" } dd id="level" { (level_name(p, i.level)) }
            dt { "課局等" } dd { (i.department_name) }
            dt { "報告者" } dd { (i.reporter_name) }
            dt { "報告の経路" } dd { @if i.source == "external" { "住民等外部から（報告者: " (i.external_reporter) "）" } @else { "職員が認知" } }
            dt { "発生日時" } dd { (time_or_blank(&i.occurred_at)) }
            dt { "発見日時" } dd { (time_or_blank(&i.discovered_at)) }
            dt { "報告日時" } dd { (time_or_blank(&i.reported_at)) }
            dt { "場所" } dd { (i.location) }
            dt { "対象の情報資産・システム" } dd { (i.assets) }
            dt { "個人情報" } dd { (personal_label(&i.personal_info)) }
            dt { "内容・経緯" } dd.pre { (i.details) }
        }
        @if i.status == status::DRAFT && me == Some(i.reporter_person_id) {
            h2 { "下書きの編集・送信" }
            (report_form(access, &format!("/incidents/{}", i.id), &ReportForm::from_incident(&i), &[]))
        }
        h2 { "添付ファイル" }
        @if attachments.is_empty() { p id="attachments" { "ありません。" } } @else {
            table id="attachments" {
                thead { tr { th { "ファイル" } th { "大きさ" } th { "SHA-256（作業記録に記録）" } th { "添付者" } th { "日時" } } }
                tbody { @for a in &attachments { tr {
                    td { a href={"/incidents/" (i.id) "/attachments/" (a.id)} { (a.file_name) } }
                    td { (a.size) " バイト" }
                    td.clause { (a.sha256.get(..16).unwrap_or(&a.sha256)) "…" }
                    td { (a.uploaded_by_name) }
                    td { (wareki_time(&a.created_at)) }
                } } }
            }
        }
        @if may_attach {
            form.inline.noprint method="post" enctype="multipart/form-data" action={"/incidents/" (i.id) "/attachments?csrf=" (access.session.csrf_token)} id="attach-form" {
                label { "ファイル（10MBまで。画面の写真、不審なメール、ログなど）" input type="file" name="file" required; }
                button type="submit" { "添付する" }
            }
        }
        @if i.status != status::DRAFT {
            p.noprint { a href={"/incidents/" (i.id) "/occurrence-report"} id="occurrence-report-link" { "インシデント等発生状況報告書（印刷用）" } " ・ "
                a href={"/incidents/" (i.id) "/response-report"} id="response-report-link" { "インシデント等対応状況報告書（印刷用）" } }
            h2 { "通知と確認" }
            @if mine_open {
                form method="post" action={"/incidents/" (i.id) "/acknowledge"} {
                    (csrf_field(&access.session.csrf_token))
                    button type="submit" id="acknowledge" { "確認しました（受領）" }
                }
            }
            table id="notices" {
                thead { tr { th { "通知先" } th { "役割" } th { "理由" } th { "通知" } th { "確認期限" } th { "確認" } th { "メール" } } }
                tbody { @for n in &notices { tr {
                    td { (n.person_name) }
                    td { (role_name(p, &n.role)) @if n.as_deputy { "（代理）" } }
                    td { (Reason::from_id(&n.reason).map(|r| r.label_ja()).unwrap_or("")) }
                    td { (wareki_time(&n.created_at)) }
                    td { (wareki_time(&n.acknowledge_by)) }
                    td { @match (&n.acknowledged_at, &n.escalated_at) {
                        (Some(a), _) => { "確認済み " (wareki_time(a)) }
                        (None, Some(_)) => { strong { "未確認（上位へ通知済み）" } }
                        (None, None) => { strong { "未確認" } }
                    } }
                    td { (mail_label(&n.mail_status)) }
                } } }
            }
            h2 { "CSIRTの評価" }
            @match i.is_incident {
                Some(yes) => {
                    p id="triage-result" { strong { @if yes { "情報セキュリティインシデントである" } @else { "情報セキュリティインシデントではない" } }
                        " — " (i.triage_reason) "（" (i.triaged_by_name.as_deref().unwrap_or("")) "、" (time_or_blank(&i.triaged_at)) "）" }
                }
                None => { p id="triage-result" { "まだ評価していません" (per(&access.cite(Step::IncidentTriage))) "。" } }
            }
            @if triages && open { (triage_form(access, &i)) }
            h2 { "外部への報告" }
            (external_table(access, &i, &due, &filings, files && open, today))
            h2 { "指示・対策" }
            (task_table(access, &i, &tasks, me, directs))
            @if instructs && open { (task_form(access, &i, &people, &systems)) }
            h2 { "原因・対応・再発防止策" }
            dl.facts id="findings" {
                dt { "原因" } dd { (i.cause) } dt { "被害・影響" } dd { (i.impact) } dt { "対応" } dd { (i.response) } dt { "再発防止策" } dd { (i.recurrence_prevention) }
            }
            @if records && open {
                form.stack method="post" action={"/incidents/" (i.id) "/findings"} id="findings-form" {
                    (csrf_field(&access.session.csrf_token))
                    label { "原因" textarea name="cause" rows="3" maxlength="5000" { (i.cause) } }
                    label { "被害・影響" textarea name="impact" rows="3" maxlength="5000" { (i.impact) } }
                    label { "対応（応急措置・復旧）" textarea name="response" rows="3" maxlength="5000" { (i.response) } }
                    label { "再発防止策" textarea name="recurrence_prevention" rows="3" maxlength="5000" { (i.recurrence_prevention) } }
                    button type="submit" id="save-findings" { "記録する" }
                }
            }
            @if access.may(Step::IncidentClose) && i.status == status::TRIAGED {
                    form method="post" action={"/incidents/" (i.id) "/close"} {
                        (csrf_field(&access.session.csrf_token))
                        button type="submit" id="close" { "対応完了にする" }
                    }
            }
        }
        h2 { "経過（作業記録から）" }
        (timeline_table(&timeline))
        p.noprint { a href="/incidents" { "インシデントの一覧へ" } }
    })
}

fn mail_label(s: &str) -> &'static str {
    match s {
        "pending" => "送信待ち",
        "sent" => "送信済み",
        "failed" => "送信失敗",
        "no_address" => "アドレス未登録",
        _ => "—",
    }
}

fn timeline_table(events: &[mamori_store::Event]) -> Markup {
    html! {
        table id="timeline" {
            thead { tr { th { "日時" } th { "記録番号" } th { "操作" } th { "実施者" } th { "結果" } } }
            tbody { @for e in events { @if e.action != "incident.mail" || e.result != "sent" { tr {
                td { (wareki_time(&e.at)) }
                td { (e.seq - 1) }
                td { (event_label(&e.action)) }
                td { (e.actor) }
                td { (e.result) }
            } } } }
        }
    }
}

fn triage_form(access: &Access, i: &Incident) -> Markup {
    let facts = facts_of(i);
    let on = |k: &str| match k {
        "personal_information" => facts.personal_information || (i.is_incident.is_none() && i.personal_info == "yes"),
        "sensitive_personal_information" => facts.sensitive_personal_information,
        "financial_damage" => facts.financial_damage,
        "unlawful_intent" => facts.unlawful_intent,
        "specific_personal_information" => facts.specific_personal_information,
        "suspected_crime" => facts.suspected_crime,
        "residents_affected" => facts.residents_affected,
        _ => false,
    };
    html! {
        form.stack method="post" action={"/incidents/" (i.id) "/triage"} id="triage-form" {
            (csrf_field(&access.session.csrf_token))
            fieldset {
                legend { "情報セキュリティインシデントであるか" (per(&access.cite(Step::IncidentTriage))) }
                label.check { input type="radio" name="is_incident" value="yes" id="is-incident-yes" checked[i.is_incident == Some(true)]; " インシデントである" }
                label.check { input type="radio" name="is_incident" value="no" id="is-incident-no" checked[i.is_incident == Some(false)]; " インシデントではない" }
            }
            label { "判断の理由" input type="text" name="reason" id="triage-reason" value=(i.triage_reason) maxlength="1000"; }
            label { "レベル"
                select name="level" id="triage-level" {
                    @for l in &access.profile.incident_levels { option value=(l.level.get_ref()) selected[i.level == Some(i64::from(*l.level.get_ref()))] { (l.name) " — " (l.criteria) } }
                }
            }
            fieldset {
                legend { "外部への報告を決める事実" }
                @for (k, label) in FACTS { label.check { input type="checkbox" name=(k) id={"fact-" (k)} checked[on(k)]; " " (label) } }
                label { "本人の数（分かる範囲で）" input type="number" name="affected_people" id="affected_people" min="0" max="100000000" value=(facts.affected_people.map(|n| n.to_string()).unwrap_or_default()); }
                label { "事態を知った日（外部報告の期限の起算日）" input type="date" name="aware_on" id="aware_on" value=(i.aware_on.clone().unwrap_or_default()); }
            }
            button type="submit" id="triage" { "評価を記録する" }
        }
    }
}

fn deadline_cell(due: &DueReport, filed: bool, today: NaiveDate) -> Markup {
    html! {
        @match due.due_on {
            Some(d) => {
                (wareki_date(d))
                @if !filed {
                    @let left = (d - today).num_days();
                    @if left < 0 { " " strong.error { "（" (-left) "日超過）" } } @else { "（あと" (left) "日）" }
                }
            }
            None => { "速やかに" }
        }
        br; span.small { (due.deadline_note) }
    }
}

fn external_table(
    access: &Access,
    i: &Incident,
    due: &[DueReport],
    filings: &[mamori_store::incidents::Filing],
    may_file: bool,
    today: NaiveDate,
) -> Markup {
    html! {
        @if i.is_incident.is_none() {
            p id="external-reports" { "CSIRTの評価後に、記録された事実から必要な報告が決まります。" }
        } @else if due.is_empty() {
            p id="external-reports" { "記録された事実からは、外部への報告の義務はありません。" }
        } @else {
            table id="external-reports" {
                thead { tr { th { "報告先" } th { "種類" } th { "期限" } th { "根拠" } th { "担当" } th { "報告" } } }
                tbody { @for d in due {
                    @let filed = filings.iter().find(|f| f.report_id == d.id);
                    tr data-report=(d.id) {
                        td { (d.addressee) }
                        td { (d.kind) }
                        td { (deadline_cell(d, filed.is_some(), today)) }
                        td { @if let Some(l) = &d.law { (l) br; } (cite_clause(&d.clause)) }
                        td { (role_name(&access.profile, &d.responsible)) }
                        td {
                            @if let Some(f) = filed { "報告済み " (f.filed_on) "（" (f.filed_by_name) "）" (f.note) }
                            @else if may_file {
                                form method="post" action={"/incidents/" (i.id) "/external/" (d.id)} {
                                    (csrf_field(&access.session.csrf_token))
                                    input type="date" name="filed_on" value=(today.to_string()) aria-label="報告日";
                                    input type="text" name="note" placeholder="備考（報告方法・受付番号等）" maxlength="500";
                                    button type="submit" { "報告を記録" }
                                }
                            } @else { "未報告" }
                        }
                    }
                } }
            }
        }
    }
}

fn task_table(access: &Access, i: &Incident, tasks: &[Task], me: Option<i64>, directs: bool) -> Markup {
    html! {
        @if tasks.is_empty() { p id="tasks" { "指示・対策はまだありません。" } } @else {
            table id="tasks" {
                thead { tr { th { "種類" } th { "担当" } th { "内容" } th { "期限" } th { "状態" } } }
                tbody { @for t in tasks { tr {
                    td { (task_kind_label(&t.kind)) @if let Some(s) = &t.system_name { "（" (s) "）" } }
                    td { (t.assignee_name) }
                    td { (t.description) br; span.small { "指示: " (t.created_by_name) } }
                    td { (t.due_on.as_deref().unwrap_or("")) }
                    td {
                        @if t.status == "done" { "完了 " (time_or_blank(&t.done_at)) br; (t.result) }
                        @else if Some(t.assignee_person_id) == me || directs {
                            form method="post" action={"/incidents/" (i.id) "/tasks/" (t.id) "/done"} {
                                (csrf_field(&access.session.csrf_token))
                                input type="text" name="result" placeholder="実施した内容" maxlength="2000" required;
                                button type="submit" { "完了を記録" }
                            }
                        } @else { "未完了" }
                    }
                } } }
            }
        }
    }
}

fn task_form(access: &Access, i: &Incident, people: &[mamori_store::org::Person], systems: &[mamori_store::systems::System]) -> Markup {
    let ciso_only = !access.may(Step::IncidentDirect);
    html! {
        form.stack method="post" action={"/incidents/" (i.id) "/tasks"} id="task-form" {
            (csrf_field(&access.session.csrf_token))
            label { "種類"
                select name="kind" id="task-kind" {
                    @for k in TASK_KINDS { @if !ciso_only || *k == "ciso_instruction" || *k == "recurrence_prevention" { option value=(k) { (task_kind_label(k)) } } }
                }
            }
            label { "担当者"
                select name="assignee_person_id" id="task-assignee" required {
                    option value="" { "（選んでください）" }
                    @for x in people { option value=(x.id) { (x.name) "（" (access.department_name(x.department_id)) "）" } }
                }
            }
            label { "対象の情報システム（他システムの確認の場合）"
                select name="system_id" id="task-system" {
                    option value="" { "—" }
                    @for s in systems { option value=(s.id) { (s.fields.name) } }
                }
            }
            label { "内容" input type="text" name="description" id="task-description" maxlength="2000"; }
            label { "期限" input type="date" name="due_on" id="task-due"; }
            button type="submit" id="add-task" { "指示する" }
        }
    }
}

async fn after_action(state: &AppState, access: &Access, id: i64, result: Result<(), AppError>) -> Result<Response, AppError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(e) if e.is_shown_on_form() && !matches!(e, AppError::NotFound) => {
            let body = detail(state, access, id, &ShowQuery::default(), Some(&e.message_ja())).await?;
            Ok((e.status(), page(&format!("インシデント報告 第{id}号"), Some(access), body)).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn acknowledge(state: &AppState, access: &Access, id: i64) -> Result<(), AppError> {
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

async fn triage(state: &AppState, access: &Access, id: i64, f: &TriageForm) -> Result<(), AppError> {
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

async fn add_task(state: &AppState, access: &Access, id: i64, f: &TaskForm) -> Result<(), AppError> {
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

async fn task_done(state: &AppState, access: &Access, id: i64, task_id: i64, f: &TaskForm) -> Result<(), AppError> {
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

async fn findings(state: &AppState, access: &Access, id: i64, f: &FindingsForm) -> Result<(), AppError> {
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

async fn file_external(state: &AppState, access: &Access, id: i64, report_id: &str, f: &FilingForm) -> Result<(), AppError> {
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
async fn attach(state: &AppState, access: &Access, id: i64, mut multipart: Multipart) -> Result<(), AppError> {
    let (i, notices) = load(state, access, id).await?;
    let me = person_of(access, "添付")?;
    if me.id != i.reporter_person_id && !notices.iter().any(|n| n.person_id == me.id) && !access.may(Step::IncidentRecord) {
        let mut d = access.workflow.denial(Step::IncidentRecord, false);
        d.reason = format!("添付できるのは報告者、通知を受けた人と{}です", access.workflow.who_ja(Step::IncidentRecord));
        return Err(AppError::Denied(d));
    }
    let upload = crate::routes::read_upload(&mut multipart).await?;
    let Some(super::Upload { file_name, content_type, content }) = upload.file else {
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

async fn close(state: &AppState, access: &Access, id: i64) -> Result<(), AppError> {
    load(state, access, id).await?;
    access.require(Step::IncidentClose)?;
    state.store.close_incident(access.org_id(), id, &access.actor()).await?;
    Ok(())
}

pub async fn close_page(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = close(&state, &access, id).await;
    after_action(&state, &access, id, r).await
}

// ---------------------------------------------------------------------------------------
// The policy's reports, printable

pub(crate) fn print_shell(title: &str, org_name: &str, body: Markup) -> Response {
    let markup = html! {
        (maud::DOCTYPE)
        html lang="ja" {
            (head(title))
            body.print-page {
                p.noprint.small { a href="/" { "ダッシュボードへ戻る" } "　この頁はブラウザの印刷機能（Ctrl+P）で A4 に印刷できます。" }
                header.report-head { p.small { (org_name) } h1 { (title) } }
                (body)
            }
        }
    };
    axum::response::Html(markup.into_string()).into_response()
}

fn report_rows(p: &Profile, i: &Incident) -> Markup {
    html! {
        tr { th { "報告番号" } td { "第" (i.id) "号" } }
        tr { th { "件名" } td { (i.title) } }
        tr { th { "被害・影響のレベル" } td { (level_name(p, i.level)) } }
        tr { th { "発生日時" } td { (time_or_blank(&i.occurred_at)) } }
        tr { th { "発見日時" } td { (time_or_blank(&i.discovered_at)) } }
        tr { th { "報告日時" } td { (time_or_blank(&i.reported_at)) } }
        tr { th { "報告者" } td { (i.reporter_name) "（" (i.department_name) "）" } }
        tr { th { "報告の経路" } td { @if i.source == "external" { "住民等外部から（" (i.external_reporter) "）" } @else { "職員が認知" } } }
        tr { th { "発生場所" } td { (i.location) } }
        tr { th { "対象の情報資産・システム" } td { (i.assets) } }
        tr { th { "個人情報" } td { (personal_label(&i.personal_info)) } }
        tr { th { "内容・経緯" } td.pre { (i.details) } }
    }
}

pub async fn occurrence_report(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (i, notices) = load(&state, &access, id).await?;
    if i.status == status::DRAFT {
        return Err(AppError::BadRequest("下書きの報告書は作成できません。先に報告を送信してください".into()));
    }
    let p = &access.profile;
    let org = state.store.organization(access.org_id()).await?;
    let facts = facts_of(&i);
    let body = html! {
        table.report id="occurrence-report" {
            (report_rows(p, &i))
            tr { th { "CSIRTの評価" } td { @match i.is_incident { Some(true) => { "インシデントである — " (i.triage_reason) }, Some(false) => { "インシデントではない — " (i.triage_reason) }, None => { "評価前" } } } }
            tr { th { "該当する事実" } td {
                @let on: Vec<&str> = FACTS.iter().filter(|(k, _)| facts_value(&facts, k)).map(|(_, l)| *l).collect();
                @if on.is_empty() { "—" } @else { (on.join("、")) }
                @if let Some(n) = facts.affected_people { "（本人の数 " (n) " 人）" }
            } }
            tr { th { "原因" } td.pre { (i.cause) } }
            tr { th { "被害・影響" } td.pre { (i.impact) } }
            tr { th { "対応（応急措置・復旧）" } td.pre { (i.response) } }
            tr { th { "再発防止策" } td.pre { (i.recurrence_prevention) } }
            tr { th { "報告先（通知）" } td { @for n in &notices { (n.person_name) "（" (role_name(p, &n.role)) @if n.as_deputy { "・代理" } "）" @if n.acknowledged_at.is_some() { " 確認済み" } br; } } }
        }
        p.small { "作成: " (wareki_date(today())) "。根拠: " (cite(&access.cite(Step::IncidentReportForms))) "（「インシデント等発生状況報告書」を用いて原因を究明）。mamori の作業記録（第" (i.id) "号の経過）から作成。" }
    };
    Ok(print_shell("インシデント等発生状況報告書", &org.name, body))
}

fn facts_value(f: &Facts, k: &str) -> bool {
    match k {
        "personal_information" => f.personal_information,
        "sensitive_personal_information" => f.sensitive_personal_information,
        "financial_damage" => f.financial_damage,
        "unlawful_intent" => f.unlawful_intent,
        "specific_personal_information" => f.specific_personal_information,
        "suspected_crime" => f.suspected_crime,
        "residents_affected" => f.residents_affected,
        _ => false,
    }
}

pub async fn response_report(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (i, _) = load(&state, &access, id).await?;
    if i.status == status::DRAFT {
        return Err(AppError::BadRequest("下書きの報告書は作成できません。先に報告を送信してください".into()));
    }
    let p = &access.profile;
    let org = state.store.organization(access.org_id()).await?;
    let tasks = state.store.incident_tasks(access.org_id(), id).await?;
    let filings = state.store.external_filings(access.org_id(), id).await?;
    let due = due_reports(p, &i);
    let mut timeline = state.store.events(access.org_id(), Some(("incident", &id.to_string())), 500).await?;
    timeline.reverse();
    let body = html! {
        table.report id="response-report" {
            tr { th { "報告番号" } td { "第" (i.id) "号　" (i.title) } }
            tr { th { "レベル" } td { (level_name(p, i.level)) } }
            tr { th { "状態" } td { (status_label(&i.status)) @if let Some(c) = &i.closed_at { "（" (wareki_time(c)) "）" } } }
            tr { th { "原因" } td.pre { (i.cause) } }
            tr { th { "対応（応急措置・復旧）" } td.pre { (i.response) } }
            tr { th { "再発防止策" } td.pre { (i.recurrence_prevention) } }
        }
        h2 { "指示・対策" }
        table.report { thead { tr { th { "種類" } th { "担当" } th { "内容" } th { "結果" } } }
            tbody { @for t in &tasks { tr { td { (task_kind_label(&t.kind)) } td { (t.assignee_name) } td { (t.description) } td { @if t.status == "done" { (t.result) } @else { "未完了" } } } } } }
        h2 { "外部への報告" }
        table.report { thead { tr { th { "報告先" } th { "種類" } th { "期限" } th { "報告" } } }
            tbody { @for d in &due { tr { td { (d.addressee) } td { (d.kind) } td { (d.due_on.map(wareki_date).unwrap_or_else(|| "速やかに".into())) }
                td { @match filings.iter().find(|f| f.report_id == d.id) { Some(f) => { (f.filed_on) " " (f.filed_by_name) }, None => { "未報告" } } } } } } }
        h2 { "経過" }
        (timeline_table(&timeline))
        p.small { "作成: " (wareki_date(today())) "。根拠: " (cite(&access.cite(Step::IncidentReportForms))) "（対応を「インシデント等対応状況報告書」に記録し、保存）。" }
    };
    Ok(print_shell("インシデント等対応状況報告書", &org.name, body))
}

/// The 緊急時対応計画 (the profile's `emergency_plan`): the contact network from the current role
/// assignments, what to report, the first measures and the external reports.
pub async fn emergency_plan(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    let org = state.store.organization(access.org_id()).await?;
    let p = &access.profile;
    let assignments = state.store.role_assignments(access.org_id()).await?;
    let people: std::collections::HashMap<i64, mamori_store::org::Person> =
        state.store.people(access.org_id(), None, 100_000, 0).await?.into_iter().map(|x| (x.id, x)).collect();
    let absent = state.store.absences(access.org_id(), &today().to_string(), true).await?;
    // The roles a report can reach: the level table's, the contact point, and whom they
    // report to or are deputised by, transitively.
    let mut routed: Vec<String> = p.incident_levels.iter().flat_map(|l| l.report_to.iter().map(|r| r.get_ref().to_string())).collect();
    if let Some(ir) = &p.incident_response {
        routed.extend(ir.contact_point.iter().map(|r| r.get_ref().to_string()));
    }
    let mut k = 0;
    while k < routed.len() {
        if let Some(role) = p.role(&routed[k]) {
            for next in [&role.reports_to, &role.deputy].into_iter().flatten() {
                if !routed.iter().any(|x| x == next.get_ref().as_str()) {
                    routed.push(next.get_ref().to_string());
                }
            }
        }
        k += 1;
    }
    let body = html! {
        p.small { "現在の役割の割当てから自動で作成しています（" (wareki_date(today())) "時点）。割当てを変えると、この計画も変わります。" }
        h2 { "1. 関係者の連絡先（緊急連絡網）" }
        table.report id="contact-network" {
            thead { tr { th { "役割" } th { "課局等" } th { "氏名" } th { "連絡先" } th { "代理" } } }
            tbody {
                @for role in &p.roles {
                    @let holders: Vec<&mamori_store::org::RoleAssignment> = assignments.iter().filter(|a| a.role == role.id.as_str()).collect();
                    @if routed.iter().any(|r| r == role.id.as_str()) {
                        @for a in &holders { tr {
                            td { (role.name) }
                            td { @if role.scope == RoleScope::Department { (a.department_id.map(|d| access.department_name(d)).unwrap_or_default()) } }
                            td { (a.person_name) }
                            td { (people.get(&a.person_id).map(|x| x.email.clone()).unwrap_or_default()) }
                            td { @if a.is_deputy { "代理" } @else if let Some(d) = &role.deputy { "不在時: " (role_name(p, d.get_ref().as_str())) } }
                        } }
                    }
                }
            }
        }
        @if !absent.is_empty() {
            p id="absences" { "不在（この期間は代理に通知します）: " @for a in &absent { (a.person_name) "（" (a.starts_on) "〜" (a.ends_on) @if !a.note.is_empty() { "、" (a.note) } "） " } }
        }
        @if let Some(me) = &access.person {
            form.inline.noprint method="post" action="/absences" id="absence-form" {
                (csrf_field(&access.session.csrf_token))
                @if access.may(Step::AbsenceRegister) {
                    label { "職員"
                        select name="person_id" {
                            @for x in people.values().filter(|x| x.active) { option value=(x.id) selected[x.id == me.id] { (x.name) "（" (x.staff_no) "）" } }
                        }
                    }
                } @else { input type="hidden" name="person_id" value=(me.id); }
                label { "不在の開始日" input type="date" name="starts_on" required; }
                label { "終了日" input type="date" name="ends_on" required; }
                label { "理由（任意）" input type="text" name="note" maxlength="100"; }
                button type="submit" { "不在を登録" }
            }
        }
        h2 { "2. 報告先（被害・影響のレベル別）" }
        table.report id="level-table" {
            thead { tr { th { "レベル" } th { "判断基準" } th { "報告先" } } }
            tbody { @for l in &p.incident_levels { tr {
                td { (l.name) } td { (l.criteria) }
                td { @for (k, r) in l.report_to.iter().enumerate() { @if k > 0 { "、" } (role_name(p, r.get_ref().as_str())) } }
            } } }
        }
        @if let Some(ir) = &p.incident_response {
            p { "すべての報告は統一的な窓口（"
                @for (k, r) in ir.contact_point.iter().enumerate() { @if k > 0 { "、" } (role_name(p, r.get_ref().as_str())) }
                "）にも届きます。" (ir.acknowledge_within_minutes.get_ref()) "分以内に確認されない通知は、上位の役割に通知します（" (cite_clause(&ir.clause.get_ref().to_string())) "）。" }
        }
        h2 { "3. 報告すべき事項" }
        ul { li { "何が起きたか、いつ（発生・発見の日時）、どこで" } li { "対象の情報資産・情報システム" } li { "個人情報・特定個人情報が含まれるか、本人の数" } li { "被害・影響の範囲（課内・全庁・住民や企業）" } li { "すでに行った措置" } }
        h2 { "4. 発生した事案への対応措置（初動）" }
        ol {
            li { "被害の拡大を防ぐ: 感染・不正アクセスが疑われる端末はネットワークから切り離す（電源は切らない）。" }
            li { "証拠を保全する: 画面・ログ・媒体をそのまま残し、操作を記録する" (per(&access.cite(Step::IncidentEvidence))) "。" }
            li { "上の報告先と統一的な窓口に直ちに報告し、" (access.workflow.who_ja(Step::IncidentDirect)) "の指示に従う" (per(&access.cite(Step::IncidentDirect))) "。" }
        }
        h2 { "5. 外部への報告（事実に応じて）" }
        table.report id="external-table" {
            thead { tr { th { "報告先" } th { "種類" } th { "期限" } th { "根拠" } } }
            tbody { @for r in &p.external_reports { tr {
                td { (r.addressee) } td { (r.kind) } td { (r.deadline_note) } td { @if let Some(l) = &r.law { (l) " " } (cite_clause(&r.clause.get_ref().to_string())) }
            } } }
        }
        h2 { "6. 再発防止措置の策定" }
        p {
            (access.workflow.who_ja(Step::IncidentRecord)) "が原因を究明して再発防止策を検討し" (per(&access.cite(Step::IncidentRecord))) "、"
            (access.workflow.who_ja(Step::IncidentInstruct)) "が必要な措置を指示する" (per(&access.cite(Step::IncidentInstruct))) "。mamori では各報告の「指示・対策」で完了まで追跡します。"
        }
        p.small { "根拠: " (cite(&access.cite(Step::EmergencyPlan))) "（緊急時対応計画に盛り込むべき内容）。" }
    };
    Ok(print_shell("緊急時対応計画", &org.name, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct AbsenceForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub person_id: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub note: String,
}

/// Records an absence: one's own, or anyone's by an administrator.
pub async fn add_absence(State(state): State<AppState>, access: Access, Form(f): Form<AbsenceForm>) -> Result<Response, AppError> {
    let me = person_of(&access, "不在を登録")?;
    let person_id = f.person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("職員を選んでください".into()))?;
    if person_id != me.id {
        access.require(Step::AbsenceRegister)?;
    }
    let mut problems = Vec::new();
    let starts = parse_date("不在の開始日", &f.starts_on, &mut problems);
    let ends = parse_date("終了日", &f.ends_on, &mut problems);
    let (Some(starts), Some(ends)) = (starts, ends) else {
        if problems.is_empty() {
            problems.push("不在の開始日と終了日を入力してください".into());
        }
        return Err(AppError::BadRequest(problems.join(" ")));
    };
    if f.note.chars().count() > 100 {
        return Err(AppError::BadRequest("理由は100字以内で入力してください".into()));
    }
    state.store.add_absence(access.org_id(), person_id, &starts, &ends, &f.note, &access.actor()).await?;
    Ok(Redirect::to("/emergency-plan").into_response())
}

// ---------------------------------------------------------------------------------------
// Reminders for the dashboard

pub struct Reminders {
    pub notices: Vec<Notice>,
    pub open: Vec<Incident>,
    pub tasks: Vec<Task>,
    /// (incident, report) with a deadline, not yet filed, due within a week or overdue.
    pub deadlines: Vec<(Incident, DueReport)>,
}

pub async fn reminders(state: &AppState, access: &Access) -> Result<Reminders, AppError> {
    let org = access.org_id();
    let (notices, tasks) = match &access.person {
        Some(p) => (state.store.open_notices_for(org, p.id).await?, state.store.open_tasks_for(org, p.id).await?),
        None => (Vec::new(), Vec::new()),
    };
    let open: Vec<Incident> = visible(state, access, true).await?.into_iter().filter(|i| i.status != status::DRAFT).collect();
    let mut deadlines = Vec::new();
    let soon = today() + chrono::Days::new(7);
    for i in open.iter().filter(|i| i.is_incident == Some(true)) {
        let filed: HashSet<String> = state.store.external_filings(org, i.id).await?.into_iter().map(|f| f.report_id).collect();
        for d in due_reports(&access.profile, i) {
            if d.due_on.is_some_and(|x| x <= soon) && !filed.contains(&d.id) {
                deadlines.push((i.clone(), d));
            }
        }
    }
    deadlines.sort_by_key(|(_, d)| d.due_on);
    Ok(Reminders { notices, open, tasks, deadlines })
}

pub fn dashboard_card(access: &Access, r: &Reminders) -> Markup {
    let today = today();
    html! {
        h2 { "インシデント" }
        div id="incident-card" {
            p { a.button href="/incidents/new" { "インシデントを報告する" } " " a href="/emergency-plan" { "緊急時対応計画" } }
            @if !r.notices.is_empty() {
                p.error role="alert" { "確認を待っている通知が " (r.notices.len()) " 件あります:" }
                ul id="dashboard-notices" { @for n in &r.notices { li {
                    a href={"/incidents/" (n.incident_id)} { "第" (n.incident_id) "号 " (n.incident_title) }
                    " — " (role_name(&access.profile, &n.role)) @if n.as_deputy { "（代理）" } "、" (level_name(&access.profile, n.incident_level))
                } } }
            }
            @if !r.deadlines.is_empty() {
                p.error { "期限が近い・過ぎた外部への報告:" }
                ul id="dashboard-deadlines" { @for (i, d) in &r.deadlines { li {
                    a href={"/incidents/" (i.id)} { "第" (i.id) "号" } " " (d.addressee) "への" (d.kind) " — 期限 " (deadline_cell(d, false, today))
                } } }
            }
            @if !r.tasks.is_empty() {
                p { "あなたへの指示（未完了）:" }
                ul id="dashboard-tasks" { @for t in &r.tasks { li { a href={"/incidents/" (t.incident_id)} { "第" (t.incident_id) "号 " } (task_kind_label(&t.kind)) " — " (t.description) } } }
            }
            @if access.may(Step::IncidentViewAll) || !access.reach(Step::RegistersManage).is_nowhere() {
                @if r.open.is_empty() { p { "対応中のインシデントはありません。" } } @else {
                    p { "対応中の報告 " (r.open.len()) " 件:" }
                    ul id="dashboard-incidents" { @for i in r.open.iter().take(10) { li {
                        a href={"/incidents/" (i.id)} { "第" (i.id) "号 " (i.title) } " — " (level_name(&access.profile, i.level)) "、" (status_label(&i.status))
                    } } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// API

pub(crate) fn json_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("JSONを読めません（{e}）")))
}

async fn full(state: &AppState, access: &Access, id: i64) -> Result<Value, AppError> {
    let (i, notices) = load(state, access, id).await?;
    let tasks = state.store.incident_tasks(access.org_id(), id).await?;
    let filings = state.store.external_filings(access.org_id(), id).await?;
    let due: Vec<Value> = due_reports(&access.profile, &i)
        .into_iter()
        .map(|d| {
            let filed = filings.iter().find(|f| f.report_id == d.id);
            json!({"id": d.id, "addressee": d.addressee, "kind": d.kind, "due_on": d.due_on.map(|x| x.to_string()), "days": d.days,
                   "deadline_note": d.deadline_note, "law": d.law, "clause": d.clause, "responsible": d.responsible, "filed": filed})
        })
        .collect();
    Ok(json!({"incident": i, "notices": notices, "tasks": tasks, "external_reports": due}))
}

pub async fn api_create(
    State(state): State<AppState>,
    access: Access,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let f: ReportForm = json_body(&body)?;
    match save(&state, &access, None, &f).await? {
        Saved::Incident { incident, missing } => {
            let mut v = full(&state, &access, incident.id).await?;
            v["missing"] = json!(missing);
            Ok((StatusCode::CREATED, Json(v)))
        }
        Saved::Problems(p) => Err(AppError::BadRequest(p.join(" ")).into()),
    }
}

pub async fn api_update(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: ReportForm = json_body(&body)?;
    load(&state, &access, id).await?;
    match save(&state, &access, Some(id), &f).await? {
        Saved::Incident { incident, missing } => {
            let mut v = full(&state, &access, incident.id).await?;
            v["missing"] = json!(missing);
            Ok(Json(v))
        }
        Saved::Problems(p) => Err(AppError::BadRequest(p.join(" ")).into()),
    }
}

pub async fn api_list(State(state): State<AppState>, access: Access) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"incidents": visible(&state, &access, false).await?})))
}

pub async fn api_show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(full(&state, &access, id).await?))
}

pub async fn api_acknowledge(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    acknowledge(&state, &access, id).await?;
    Ok(Json(full(&state, &access, id).await?))
}

pub async fn api_triage(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: TriageForm = json_body(&body)?;
    triage(&state, &access, id, &f).await?;
    Ok(Json(full(&state, &access, id).await?))
}

pub async fn api_add_task(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: TaskForm = json_body(&body)?;
    add_task(&state, &access, id, &f).await?;
    Ok(Json(full(&state, &access, id).await?))
}

pub async fn api_file_external(
    State(state): State<AppState>,
    access: Access,
    Path((id, report_id)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: FilingForm = json_body(&body)?;
    file_external(&state, &access, id, &report_id, &f).await?;
    Ok(Json(full(&state, &access, id).await?))
}
