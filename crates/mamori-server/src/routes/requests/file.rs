//! Filing a request: the form, the engine's decision when it is filed (a denied request is
//! not filed; the person sees why and what is missing), and the stored input and answer.

use super::*;

/// Why a request could not be filed: problems with the form, or the rules' denial.
pub(super) enum Refusal {
    Problems(Vec<String>),
    Denied(Value),
}

/// Checks the form, asks the engine, and files the request when the rules allow it.
pub(super) async fn file(state: &AppState, access: &Access, f: &RequestForm) -> Result<Result<Request, Refusal>, AppError> {
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
pub(super) struct InputJson<'a>(&'a RequestInput);

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

pub(super) async fn request_form(
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
