//! Requests (申請) through pages and the API: file one (the decision engine decides it and
//! names the approver), approve or refuse it (separation of duties enforced here), and the
//! records they make — 持出・持込記録 with the return of what was taken out, and the CISO's
//! register of exceptions and overrides.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use mamori_engine::{DecisionJson, RequestInput};
use mamori_policy::{Action, Fact, Location, RoleScope};
use mamori_store::requests::{status, Completion, NewRequest, Request, RequestFilter, Verdict};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Access;
use crate::error::{ApiError, AppError};
use crate::routes::assets::visible_asset;
use crate::routes::{parse_date, person_of};
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::views::per;
use crate::AppState;
use mamori_policy::workflow::{self as wf, RequestStatus, Step};

/// The actions a person can file a request for from the pages.
const FILED: &[Action] = &[
    Action::TakeOut,
    Action::ProcessOutside,
    Action::BringIn,
    Action::Transport,
    Action::Provide,
    Action::Dispose,
    Action::InstallSoftware,
    Action::ChangeHardware,
    Action::RemoteAccess,
    Action::UseCloudService,
    Action::Exception,
    Action::ChangeSystem,
];

/// A request as a form or a JSON body gives it.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct RequestForm {
    #[serde(default)]
    pub action: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub asset_id: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub due_on: String,
    /// `issued` or `private`.
    #[serde(default)]
    pub device: String,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub encrypted: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub safety_measures: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub malware_checked: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub emergency: Option<String>,
}

/// A verdict as a form or a JSON body gives it.
#[derive(Debug, Default, Deserialize)]
pub struct VerdictForm {
    #[serde(default)]
    pub comment: String,
    /// Filled only to override separation of duties ("やむを得ない場合").
    #[serde(default)]
    pub override_justification: String,
    /// The day the request was closed: the return, or the disposal.
    #[serde(default)]
    pub completed_on: String,
    /// How it was checked on return; for a disposal, the method (required).
    #[serde(default)]
    pub note: String,
    /// For a cloud service: the person named クラウドサービス管理者.
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub service_manager_person_id: String,
    /// For a system change: the second person, who checked the work.
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub checked_by_person_id: String,
}

fn today() -> String {
    chrono::Utc::now().with_timezone(&mamori_store::jst()).format("%Y-%m-%d").to_string()
}

/// Why a request could not be filed: problems with the form, or the rules' denial.
enum Refusal {
    Problems(Vec<String>),
    Denied(Value),
}

/// Checks the form, asks the engine, and files the request when the rules allow it.
async fn file(state: &AppState, access: &Access, f: &RequestForm) -> Result<Result<Request, Refusal>, AppError> {
    let mut problems = Vec::new();
    let Some(person) = access.person.clone() else {
        return Err(AppError::BadRequest("職員として登録されていない利用者は申請できません".into()));
    };
    let action = Action::parse(f.action.trim());
    if action.is_none() {
        problems.push(format!("申請の種類「{}」はありません", f.action));
    }
    let asset = match f.asset_id.trim() {
        "" => None,
        id => match id.parse::<i64>() {
            Ok(id) => match visible_asset(state, access, id).await {
                Ok(a) => Some(a),
                Err(_) => {
                    problems.push("情報資産が見つかりません（閲覧できる所属の資産を選んでください）".into());
                    None
                }
            },
            Err(_) => {
                problems.push(format!("情報資産の番号「{id}」は数字で入力してください"));
                None
            }
        },
    };
    let starts_on = parse_date("開始日", &f.starts_on, &mut problems);
    let due_on = parse_date("返却予定日", &f.due_on, &mut problems);
    if let (Some(s), Some(d)) = (&starts_on, &due_on) {
        if d < s {
            problems.push("返却予定日は開始日より後にしてください".into());
        }
    }
    if action == Some(Action::TakeOut) && due_on.is_none() {
        problems.push("持出しには返却予定日が必要です（持出・持込記録に返却を記録します）".into());
    }
    if f.subject.trim().is_empty() && asset.is_none() {
        problems.push("対象（持ち出すもの・導入するもの等）を入力するか、情報資産を選んでください".into());
    }
    if f.subject.chars().count() > 200 || f.purpose.chars().count() > 1000 || f.destination.chars().count() > 200 {
        problems.push("入力が長すぎます（対象・行き先は200字、目的は1000字まで）".into());
    }
    let device = match f.device.as_str() {
        "" | "issued" => mamori_policy::Device::Issued,
        "private" => mamori_policy::Device::Private,
        other => {
            problems.push(format!("端末の種別「{other}」はありません（issued / private）"));
            mamori_policy::Device::Issued
        }
    };
    let Some(action) = action.filter(|_| problems.is_empty()) else {
        return Ok(Err(Refusal::Problems(problems)));
    };

    let engine = &access.engine;
    let mut roles: Vec<String> = access.roles.iter().map(|r| r.role.clone()).filter(|r| engine.role_index(r).is_some()).collect();
    roles.sort();
    roles.dedup();
    let mut input = RequestInput { action: action.id().to_owned(), ..Default::default() };
    input.subject.user = Some(access.user.login.clone());
    input.subject.roles = roles;
    input.subject.department = Some(person.department_id.to_string());
    if let Some(a) = &asset {
        input.object.kind = Some("asset".into());
        input.object.id = Some(a.id.to_string());
        for (axis, level) in a.classes.pairs() {
            input.object.classes.insert(axis.to_owned(), level.to_owned());
        }
        input.object.zone = a.fields.zone.clone().filter(|z| !z.is_empty());
        input.object.department = Some(a.fields.department_id.to_string());
    }
    input.context.location =
        matches!(action, Action::TakeOut | Action::ProcessOutside | Action::RemoteAccess | Action::Transport).then_some(Location::Outside);
    input.context.device = Some(device);
    for (flag, fact) in
        [(&f.encrypted, Fact::Encrypted), (&f.safety_measures, Fact::SafetyMeasures), (&f.malware_checked, Fact::MalwareChecked)]
    {
        if flag.is_some() {
            input.context.facts.push(fact);
        }
    }
    input.context.emergency = f.emergency.is_some();
    input.context.date = chrono::NaiveDate::parse_from_str(&today(), "%Y-%m-%d").ok();
    let query = engine.query(&input).map_err(|e| AppError::BadRequest(e.message_ja()))?;
    let decision = engine.decide(&query);
    let decision_json = serde_json::to_value(DecisionJson { engine, decision: &decision }).map_err(AppError::internal)?;
    if decision.outcome == mamori_engine::Outcome::Denied {
        return Ok(Err(Refusal::Denied(decision_json)));
    }
    let approval = decision.approvals.first();
    let approver_department_id = approval.and_then(|a| {
        let scope = access.profile.role(a.role.as_str()).map(|r| r.scope);
        (scope == Some(RoleScope::Department)).then_some(person.department_id)
    });
    let form = approval.and_then(|a| a.form.clone()).unwrap_or_else(|| format!("{}申請", action.label_ja()));
    let new = NewRequest {
        action: action.id().to_owned(),
        form,
        applicant_person_id: person.id,
        applicant_user_id: access.user.id,
        department_id: person.department_id,
        asset_id: asset.as_ref().map(|a| a.id),
        subject: if f.subject.trim().is_empty() {
            asset.as_ref().map(|a| a.fields.name.clone()).unwrap_or_default()
        } else {
            f.subject.trim().to_owned()
        },
        purpose: f.purpose.trim().to_owned(),
        destination: f.destination.trim().to_owned(),
        starts_on,
        due_on,
        input: serde_json::to_value(InputJson(&input)).map_err(AppError::internal)?,
        decision: decision_json,
        outcome: decision.outcome.id().to_owned(),
        approver_role: approval.map(|a| a.role.to_string()),
        approver_department_id,
        profile_version_id: access.profile_version_id,
    };
    Ok(Ok(state.store.create_request(access.org_id(), &new, &access.actor()).await?))
}

/// The engine input as it is kept with the request.
struct InputJson<'a>(&'a RequestInput);

impl serde::Serialize for InputJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.0;
        json!({
            "action": i.action,
            "subject": {"user": i.subject.user, "roles": i.subject.roles, "department": i.subject.department},
            "object": {"kind": i.object.kind, "id": i.object.id, "classes": i.object.classes, "zone": i.object.zone, "department": i.object.department},
            "context": {"location": i.context.location, "device": i.context.device, "facts": i.context.facts, "emergency": i.context.emergency,
                        "date": i.context.date.map(|d| d.to_string())},
        })
        .serialize(s)
    }
}

/// The facts the request workflow decides by.
fn facts<'a>(r: &'a Request, approver_name: &'a str) -> Result<wf::RequestFacts<'a>, AppError> {
    Ok(wf::RequestFacts {
        id: r.id,
        status: RequestStatus::parse(&r.status).ok_or_else(|| AppError::internal(format!("request {} has status {}", r.id, r.status)))?,
        applicant: r.applicant_person_id,
        department: r.department_id,
        approver_role: r.approver_role.as_deref(),
        approver_department: r.approver_department_id,
        approval_clause: r.decision["approvals"][0]["clause"].as_str().unwrap_or(""),
        approver_name,
    })
}

fn approver_name(access: &Access, r: &Request) -> String {
    r.approver_role.as_deref().map(|x| access.role_name(x)).unwrap_or_default()
}

/// The role assignment that lets this person decide `r`, if any: (assignment is a deputy's).
fn approver_assignment(access: &Access, r: &Request) -> Option<bool> {
    let name = approver_name(access, r);
    wf::approver_assignment(&access.subject(), &facts(r, &name).ok()?)
}

fn can_see(access: &Access, r: &Request) -> bool {
    access.person.as_ref().is_some_and(|p| p.id == r.applicant_person_id)
        || approver_assignment(access, r).is_some()
        || access.can_see_department(r.department_id)
}

async fn load(state: &AppState, access: &Access, id: i64) -> Result<Request, AppError> {
    let r = state.store.request(access.org_id(), id).await?;
    if !can_see(access, &r) {
        return Err(AppError::NotFound);
    }
    Ok(r)
}

/// Approves or refuses, enforcing who may: the approver's role (or its deputy) in the right
/// department, never the applicant — unless they write down why it cannot be helped, which
/// is recorded and listed in the CISO's register.
async fn decide(state: &AppState, access: &Access, id: i64, approve: bool, f: &VerdictForm) -> Result<Request, AppError> {
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
    let service_manager_person_id = if approve && r.action == "use_cloud_service" {
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
async fn complete(state: &AppState, access: &Access, id: i64, f: &VerdictForm) -> Result<Request, AppError> {
    let r = load(state, access, id).await?;
    let name = approver_name(access, &r);
    let record = match r.action.as_str() {
        "dispose" => Step::DisposalRecord,
        "change_system" => Step::SystemChangeRecord,
        _ => Step::TakeOutRecord,
    };
    wf::complete_request(&access.workflow, &access.subject(), &access.tree, &facts(&r, &name)?, record)?;
    let person = person_of(access, "完了を記録")?;
    let mut problems = Vec::new();
    let on = parse_date("日付", &f.completed_on, &mut problems).unwrap_or_else(today);
    if r.action == "dispose" && f.note.trim().is_empty() {
        problems.push("廃棄の処理方法（物理的な破壊、消去ソフトによる消去など）を記入してください（廃棄記録）".into());
    }
    let checked_by = if r.action == "change_system" {
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

pub fn status_label(s: &str) -> &'static str {
    match s {
        status::PENDING => "承認待ち",
        status::APPROVED => "承認済み",
        status::PERMITTED => "許可（承認不要）",
        status::REFUSED => "却下",
        status::RETURNED => "返却済み",
        status::DISPOSED => "廃棄済み",
        status::DONE => "作業済み",
        _ => "不明",
    }
}

fn action_name(id: &str) -> &'static str {
    Action::parse(id).map(Action::label_ja).unwrap_or("不明な申請")
}

// ---------------------------------------------------------------------------------------
// Pages

#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    asset_id: String,
}

pub async fn new_form(State(state): State<AppState>, access: Access, Query(q): Query<NewQuery>) -> Result<Response, AppError> {
    let form =
        RequestForm { action: if q.action.is_empty() { "take_out".into() } else { q.action }, asset_id: q.asset_id, ..Default::default() };
    Ok(page("申請の作成", Some(&access), request_form(&state, &access, &form, &[], None).await?).into_response())
}

async fn request_form(
    state: &AppState,
    access: &Access,
    f: &RequestForm,
    problems: &[String],
    denied: Option<&Value>,
) -> Result<Markup, AppError> {
    let mut filter = mamori_store::assets::AssetFilter { limit: 500, ..Default::default() };
    filter.visible_departments = access.visible_departments();
    let assets = state.store.assets(access.org_id(), &filter).await?;
    Ok(html! {
        @if !problems.is_empty() {
            div.error role="alert" { ul { @for p in problems { li { (p) } } } }
        }
        @if let Some(d) = denied {
            div.error role="alert" id="denied" {
                p { strong { "この申請は規定により認められません。" } }
                @if let Some(c) = d["clauses"].as_array().filter(|c| !c.is_empty()) {
                    p { "根拠: " @for (i, x) in c.iter().enumerate() { @if i > 0 { "、" } (x.as_str().unwrap_or("")) } }
                }
                @for r in d["deciding"].as_array().into_iter().flatten() {
                    p.small { (r["text"].as_str().unwrap_or("")) }
                }
                @if let Some(m) = d["missing"].as_array().filter(|m| !m.is_empty()) {
                    p { "足りない条件:" }
                    ul { @for x in m { li { (x["condition"].as_str().unwrap_or("")) "（" (x["clause"].as_str().unwrap_or("")) "）" } } }
                }
            }
        }
        form method="post" action="/requests" {
            (csrf_field(&access.session.csrf_token))
            label { "申請の種類"
                select name="action" {
                    @for a in FILED {
                        option value=(a.id()) selected[f.action == a.id()] { (a.label_ja()) }
                    }
                }
            }
            label { "情報資産（台帳から）"
                select name="asset_id" {
                    option value="" { "（台帳にないもの）" }
                    @for a in &assets {
                        option value=(a.id) selected[f.asset_id == a.id.to_string()] {
                            (a.fields.name) " — 機密性" (a.classes.confidentiality.as_deref().unwrap_or("未分類"))
                        }
                    }
                }
            }
            label { "対象（持ち出すもの・導入するもの等）" input type="text" name="subject" value=(f.subject) maxlength="200"; }
            label { "目的" textarea name="purpose" maxlength="1000" { (f.purpose) } }
            label { "行き先・場所" input type="text" name="destination" value=(f.destination) maxlength="200"; }
            label { "開始日" input type="date" name="starts_on" value=(f.starts_on); }
            label { "返却予定日（持出しの場合）" input type="date" name="due_on" value=(f.due_on); }
            label { "端末・媒体"
                select name="device" {
                    option value="issued" selected[f.device != "private"] { "支給されたもの" }
                    option value="private" selected[f.device == "private"] { "支給以外（私物等）" }
                }
            }
            fieldset {
                legend { "講じた措置" }
                label.check { input type="checkbox" name="encrypted" checked[f.encrypted.is_some()]; " 暗号化・パスワード設定を行った" }
                label.check { input type="checkbox" name="safety_measures" checked[f.safety_measures.is_some()]; " 安全管理措置を講じた" }
                label.check { input type="checkbox" name="malware_checked" checked[f.malware_checked.is_some()]; " ウイルス感染・パッチ適用状況を確認した" }
                label.check { input type="checkbox" name="emergency" checked[f.emergency.is_some()]; " 緊急時（例外措置を先に実施する）" }
            }
            button type="submit" { "申請する" }
        }
    })
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<RequestForm>) -> Result<Response, AppError> {
    match file(&state, &access, &f).await? {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}", r.id)).into_response()),
        Err(Refusal::Problems(p)) => {
            Ok((StatusCode::BAD_REQUEST, page("申請の作成", Some(&access), request_form(&state, &access, &f, &p, None).await?))
                .into_response())
        }
        Err(Refusal::Denied(d)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page("申請の作成", Some(&access), request_form(&state, &access, &f, &[], Some(&d)).await?),
        )
            .into_response()),
    }
}

fn request_table(rows: &[Request], id: &str, today: &str, record_columns: bool) -> Markup {
    html! {
        @if rows.is_empty() {
            p.small id=(id) { "ありません。" }
        } @else {
            table id=(id) {
                thead { tr {
                    th { "番号" } th { "種類" } th { "対象" } th { "申請者" } th { "所属" } th { "状態" }
                    @if record_columns { th { "返却予定日" } th { "返却日" } th { "承認者" } }
                } }
                tbody {
                    @for r in rows {
                        tr.overdue[r.overdue(today)] {
                            td { a href={"/requests/" (r.id)} { (r.id) } }
                            td { (action_name(&r.action)) }
                            td { (r.subject) }
                            td { (r.applicant_name) }
                            td { (r.department_name) }
                            td { (status_label(&r.status)) @if r.overdue(today) { " " strong { "（返却期限超過）" } } }
                            @if record_columns {
                                td { (r.due_on.as_deref().unwrap_or("")) }
                                td { (r.completed_on.as_deref().unwrap_or("")) }
                                td { (r.decided_by_name.as_deref().unwrap_or("")) @if r.decided_as_deputy { "（代理）" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whose register of exceptions this is: the CISO's, read by whoever the profile's
/// `exceptions.view` names.
fn reads_exception_register(access: &Access) -> bool {
    access.may(Step::ExceptionsView)
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    let org = access.org_id();
    let today = today();
    let mine = match &access.person {
        Some(p) => state.store.requests(org, &RequestFilter { applicant_person_id: Some(p.id), limit: 200, ..Default::default() }).await?,
        None => Vec::new(),
    };
    let mut to_decide: Vec<Request> = Vec::new();
    for a in &access.roles {
        let rows = state
            .store
            .requests(org, &RequestFilter { approver: Some((a.role.clone(), a.department_id)), limit: 200, ..Default::default() })
            .await?;
        for r in rows {
            if !to_decide.iter().any(|x| x.id == r.id) {
                to_decide.push(r);
            }
        }
    }
    let mut records = Vec::new();
    let keeps_records = !access.reach(Step::RegistersManage).is_nowhere() || access.may(Step::RegistersViewAll);
    if keeps_records {
        for action in ["take_out", "bring_in"] {
            let rows = state
                .store
                .requests(
                    org,
                    &RequestFilter {
                        action: Some(action.into()),
                        department_ids: access.visible_departments(),
                        limit: 500,
                        ..Default::default()
                    },
                )
                .await?;
            records.extend(rows.into_iter().filter(|r| r.status != status::PENDING && r.status != status::REFUSED));
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.id));
    }
    let closed = |rows: Vec<Request>, keep: &[&str]| rows.into_iter().filter(|r| keep.contains(&r.status.as_str())).collect::<Vec<_>>();
    let disposals = closed(
        state
            .store
            .requests(
                org,
                &RequestFilter {
                    action: Some("dispose".into()),
                    department_ids: access.visible_departments(),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?,
        &[status::DISPOSED],
    );
    let clouds = closed(
        state
            .store
            .requests(
                org,
                &RequestFilter {
                    action: Some("use_cloud_service".into()),
                    department_ids: access.visible_departments(),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?,
        &[status::APPROVED, status::PERMITTED],
    );
    let works = closed(
        state
            .store
            .requests(
                org,
                &RequestFilter {
                    action: Some("change_system".into()),
                    department_ids: access.visible_departments(),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?,
        &[status::DONE],
    );
    let register = if reads_exception_register(&access) {
        let mut rows = state.store.requests(org, &RequestFilter { overrides_only: true, limit: 500, ..Default::default() }).await?;
        rows.extend(
            state
                .store
                .requests(org, &RequestFilter { action: Some("exception".into()), limit: 500, ..Default::default() })
                .await?
                .into_iter()
                .filter(|r| r.status != status::REFUSED),
        );
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.dedup_by_key(|r| r.id);
        Some(rows)
    } else {
        None
    };
    let body = html! {
        p { a.button href="/requests/new" { "申請を作成する" } }
        h2 { "承認待ち（あなたが決裁するもの）" }
        (request_table(&to_decide, "to-decide", &today, false))
        h2 { "自分の申請" }
        (request_table(&mine, "mine", &today, false))
        @if !records.is_empty() || keeps_records {
            h2 { "情報資産持出・持込記録" }
            p.small { (access.cite(Step::TakeOutRecord).text) (per(&access.cite(Step::TakeOutRecord))) }
            (request_table(&records, "take-out-records", &today, true))
        }
        h2 { "廃棄記録" }
        p.small { "廃棄等の処理の日時、担当者及び処理内容" (per(&access.cite(Step::DisposalRecord))) "。" }
        @if disposals.is_empty() { p.small #disposal-records { "ありません。" } } @else {
            table #disposal-records {
                thead { tr { th { "番号" } th { "対象" } th { "所属" } th { "廃棄日" } th { "担当者" } th { "処理方法" } th { "許可者" } } }
                tbody { @for r in &disposals { tr {
                    td { a href={"/requests/" (r.id)} { (r.id) } }
                    td { (r.subject) } td { (r.department_name) }
                    td { (r.completed_on.as_deref().unwrap_or("")) } td { (r.completed_by_name.as_deref().unwrap_or("")) } td { (r.completion_note) }
                    td { (r.decided_by_name.as_deref().unwrap_or("")) }
                } } }
            }
        }
        h2 { "システム作業記録" }
        p.small { "システム変更等の作業は2名以上で行い、互いに確認する" (per(&access.cite(Step::SystemChangeTwoPerson))) "。" }
        @if works.is_empty() { p.small #work-records { "ありません。" } } @else {
            table #work-records {
                thead { tr { th { "番号" } th { "作業" } th { "作業日" } th { "作業者" } th { "確認者" } th { "作業内容" } } }
                tbody { @for r in &works { tr {
                    td { a href={"/requests/" (r.id)} { (r.id) } }
                    td { (r.subject) } td { (r.completed_on.as_deref().unwrap_or("")) }
                    td { (r.completed_by_name.as_deref().unwrap_or("")) } td { (r.checked_by_name.as_deref().unwrap_or("")) } td { (r.completion_note) }
                } } }
            }
        }
        h2 { "承認済みクラウドサービス" }
        p.small { "承認したクラウドサービスの記録とクラウドサービス管理者" (per(&access.cite(Step::CloudRegister))) "。" }
        @if clouds.is_empty() { p.small #cloud-register { "ありません。" } } @else {
            table #cloud-register {
                thead { tr { th { "番号" } th { "サービス" } th { "事業者・提供元" } th { "取り扱う情報" } th { "クラウドサービス管理者" } th { "承認者" } th { "承認日時" } } }
                tbody { @for r in &clouds { tr {
                    td { a href={"/requests/" (r.id)} { (r.id) } }
                    td { (r.subject) } td { (r.destination) }
                    td { "機密性" (r.input["object"]["classes"]["confidentiality"].as_str().unwrap_or("未分類")) }
                    td { (r.service_manager_name.as_deref().unwrap_or("")) }
                    td { (r.decided_by_name.as_deref().unwrap_or("")) }
                    td { (wareki_time(r.decided_at.as_deref().unwrap_or(&r.created_at))) }
                } } }
            }
        }
        @if let Some(rows) = &register {
            h2 { "例外措置台帳（職務の分離の例外を含む）" }
            p.small { (access.cite(Step::ExceptionsView).text) (per(&access.cite(Step::ExceptionsView))) }
            @if rows.is_empty() {
                p.small id="exception-register" { "ありません。" }
            } @else {
                table id="exception-register" {
                    thead { tr { th { "番号" } th { "種類" } th { "対象" } th { "申請者" } th { "決裁者" } th { "理由" } th { "日時" } } }
                    tbody { @for r in rows { tr {
                        td { a href={"/requests/" (r.id)} { (r.id) } }
                        td { (action_name(&r.action)) @if r.override_justification.is_some() { "（本人承認）" } }
                        td { (r.subject) }
                        td { (r.applicant_name) }
                        td { (r.decided_by_name.as_deref().unwrap_or("")) }
                        td { (r.override_justification.as_deref().unwrap_or(&r.purpose)) }
                        td { (wareki_time(r.decided_at.as_deref().unwrap_or(&r.created_at))) }
                    } } }
                }
            }
        }
    };
    Ok(page("申請・承認", Some(&access), body).into_response())
}

pub async fn show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let r = load(&state, &access, id).await?;
    let people = people_for(&state, &access, &r).await?;
    Ok(page(&format!("{} 第{}号", r.form, r.id), Some(&access), request_view(&access, &r, &people, None)).into_response())
}

fn request_view(access: &Access, r: &Request, people: &[mamori_store::org::Person], error: Option<&str>) -> Markup {
    let d = &r.decision;
    let approver_name = r.approver_role.as_deref().and_then(|x| access.profile.role(x)).map(|x| x.name.clone());
    let me = access.person.as_ref().map(|p| p.id);
    let may_decide = r.status == status::PENDING && approver_assignment(access, r).is_some();
    let may_complete = matches!(r.status.as_str(), status::APPROVED | status::PERMITTED)
        && matches!(r.action.as_str(), "take_out" | "bring_in" | "dispose" | "change_system")
        && (me == Some(r.applicant_person_id) || approver_assignment(access, r).is_some() || access.can_manage_department(r.department_id));
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        dl {
            dt { "状態" } dd id="status" { (status_label(&r.status)) @if r.overdue(&today()) { " " strong { "（返却期限超過）" } } }
            dt { "種類" } dd { (action_name(&r.action)) }
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
                dt { (if r.action == "dispose" { "廃棄の実施" } else { "返却" }) }
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
                @if r.action == "use_cloud_service" {
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
            @let dispose = r.action == "dispose";
            @let work = r.action == "change_system";
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
async fn people_for(state: &AppState, access: &Access, r: &Request) -> Result<Vec<mamori_store::org::Person>, AppError> {
    let completes_work = r.action == "change_system" && matches!(r.status.as_str(), status::APPROVED | status::PERMITTED);
    if completes_work || (r.action == "use_cloud_service" && r.status == status::PENDING && approver_assignment(access, r).is_some()) {
        Ok(state.store.people(access.org_id(), None, 10_000, 0).await?.into_iter().filter(|p| p.active).collect())
    } else {
        Ok(Vec::new())
    }
}

async fn verdict_page(state: &AppState, access: &Access, id: i64, result: Result<Request, AppError>) -> Result<Response, AppError> {
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

// ---------------------------------------------------------------------------------------
// API

pub async fn api_list(State(state): State<AppState>, access: Access) -> Result<Json<Value>, ApiError> {
    let org = access.org_id();
    let mine = match &access.person {
        Some(p) => state.store.requests(org, &RequestFilter { applicant_person_id: Some(p.id), limit: 200, ..Default::default() }).await?,
        None => Vec::new(),
    };
    let mut to_decide: Vec<Request> = Vec::new();
    for a in &access.roles {
        for r in state
            .store
            .requests(org, &RequestFilter { approver: Some((a.role.clone(), a.department_id)), limit: 200, ..Default::default() })
            .await?
        {
            if !to_decide.iter().any(|x| x.id == r.id) {
                to_decide.push(r);
            }
        }
    }
    Ok(Json(json!({"mine": mine, "to_decide": to_decide})))
}

pub async fn api_create(
    State(state): State<AppState>,
    access: Access,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let f: RequestForm = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("JSONを読めません（{e}）")))?;
    match file(&state, &access, &f).await? {
        Ok(r) => Ok((StatusCode::CREATED, Json(json!({"request": r})))),
        Err(Refusal::Problems(p)) => Err(AppError::BadRequest(p.join(" ")).into()),
        Err(Refusal::Denied(d)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {"code": "denied", "message": "この申請は規定により認められません"}, "decision": d})),
        )),
    }
}

pub async fn api_show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"request": load(&state, &access, id).await?})))
}

fn verdict_body(body: &[u8]) -> Result<VerdictForm, AppError> {
    if body.is_empty() {
        return Ok(VerdictForm::default());
    }
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("JSONを読めません（{e}）")))
}

pub async fn api_approve(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f = verdict_body(&body)?;
    Ok(Json(json!({"request": decide(&state, &access, id, true, &f).await?})))
}

pub async fn api_refuse(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f = verdict_body(&body)?;
    Ok(Json(json!({"request": decide(&state, &access, id, false, &f).await?})))
}

pub async fn api_complete(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f = verdict_body(&body)?;
    Ok(Json(json!({"request": complete(&state, &access, id, &f).await?})))
}

/// What is waiting for this person: requests to decide, and take-outs past their return
/// date (their own, and in the departments they manage).
pub struct Reminders {
    pub to_decide: Vec<Request>,
    pub overdue: Vec<Request>,
}

pub async fn reminders(state: &AppState, access: &Access) -> Result<Reminders, AppError> {
    let org = access.org_id();
    let mut to_decide: Vec<Request> = Vec::new();
    for a in &access.roles {
        for r in state
            .store
            .requests(org, &RequestFilter { approver: Some((a.role.clone(), a.department_id)), limit: 50, ..Default::default() })
            .await?
        {
            if !to_decide.iter().any(|x| x.id == r.id) {
                to_decide.push(r);
            }
        }
    }
    let today = today();
    let mut overdue = Vec::new();
    for st in [status::APPROVED, status::PERMITTED] {
        let mine = access.person.as_ref().map(|p| p.id);
        let managed = access.managed_departments();
        let filter = RequestFilter { action: Some("take_out".into()), status: Some(st.into()), limit: 500, ..Default::default() };
        for r in state.store.requests(org, &filter).await? {
            let concerns = Some(r.applicant_person_id) == mine || managed.as_ref().is_none_or(|d| d.contains(&r.department_id));
            if r.overdue(&today) && concerns && can_see(access, &r) {
                overdue.push(r);
            }
        }
    }
    Ok(Reminders { to_decide, overdue })
}
