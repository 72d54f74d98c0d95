//! The JSON API under `/api/v1`. The same session and access rules as the pages; unsafe
//! methods need the session's CSRF token in `X-CSRF-Token` (see `GET /api/v1/me`).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::auth::Access;
use crate::error::{ApiError, AppError};
use crate::routes::assets::{check_system, visible_asset, AssetInput, ListQuery};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/assets", get(list_assets).post(create_asset))
        .route("/api/v1/assets/{id}", get(get_asset))
        .route("/api/v1/systems", get(list_systems))
        .route("/api/v1/profile", get(profile))
        .route("/api/v1/decisions", axum::routing::post(super::decisions::decide))
        .route("/api/v1/actions", get(super::decisions::actions))
        .route("/api/v1/requests", get(super::requests::api_list).post(super::requests::api_create))
        .route("/api/v1/requests/{id}", get(super::requests::api_show))
        .route("/api/v1/requests/{id}/approve", axum::routing::post(super::requests::api_approve))
        .route("/api/v1/requests/{id}/refuse", axum::routing::post(super::requests::api_refuse))
        .route("/api/v1/requests/{id}/complete", axum::routing::post(super::requests::api_complete))
        .route("/api/v1/incidents", get(super::incidents::api_list).post(super::incidents::api_create))
        .route("/api/v1/incidents/{id}", get(super::incidents::api_show).put(super::incidents::api_update))
        .route("/api/v1/incidents/{id}/acknowledge", axum::routing::post(super::incidents::api_acknowledge))
        .route("/api/v1/incidents/{id}/triage", axum::routing::post(super::incidents::api_triage))
        .route("/api/v1/incidents/{id}/tasks", axum::routing::post(super::incidents::api_add_task))
        .route("/api/v1/incidents/{id}/external/{report_id}", axum::routing::post(super::incidents::api_file_external))
        .route("/api/v1/audits/{id}", get(super::audits::api_show))
        .route("/api/v1/audits/{id}/assignments", axum::routing::post(super::audits::api_assign))
}

/// Accepts `"12"` or `12` for an id field, so forms and JSON share one input type.
pub fn number_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        other => return Err(serde::de::Error::custom(format!("expected a number or text, found {other}"))),
    })
}

/// Accepts a checkbox (`"on"`, absent) or a JSON boolean.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null | Value::Bool(false) => None,
        Value::Bool(true) => Some("on".into()),
        Value::String(s) if s.is_empty() || s == "false" || s == "0" => None,
        Value::String(s) => Some(s),
        other => return Err(serde::de::Error::custom(format!("expected a boolean, found {other}"))),
    })
}

async fn me(access: Access) -> Json<Value> {
    Json(json!({
        "user": {"id": access.user.id, "login": access.user.login, "name": access.user.display_name, "admin": access.user.is_admin},
        "person": access.person,
        "roles": access.roles,
        "csrf_token": access.session.csrf_token,
        "profile_version_id": access.profile_version_id,
    }))
}

async fn list_assets(State(state): State<AppState>, access: Access, Query(q): Query<ListQuery>) -> Result<Json<Value>, ApiError> {
    let filter = q.filter(&access);
    let assets = state.store.assets(access.org_id(), &filter).await?;
    let next = (assets.len() as i64 == filter.limit.clamp(1, 500)).then(|| assets.last().map(|a| a.id)).flatten();
    Ok(Json(json!({"assets": assets, "next_before": next})))
}

fn restrictions_json(access: &Access, classes: &mamori_store::assets::Classes) -> Vec<Value> {
    access
        .profile
        .restrictions_for(&classes.pairs())
        .into_iter()
        .map(|r| {
            let (source, action, approver) = match &r.source {
                mamori_policy::RestrictionSource::LevelTable => ("level_table", None, None),
                mamori_policy::RestrictionSource::Rule { action, approver, .. } => ("rule", Some(*action), approver.clone()),
            };
            json!({"axis": r.axis, "level": r.level, "text": r.text, "clause": r.clause,
                   "provenance": r.provenance, "source": source, "action": action, "approver": approver})
        })
        .collect()
}

async fn get_asset(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let asset = visible_asset(&state, &access, id).await?;
    let history = state.store.classification_history(access.org_id(), id).await?;
    let restrictions = restrictions_json(&access, &asset.classes);
    Ok(Json(
        json!({"asset": asset, "undecided": asset.classes.is_undecided(), "handling_restrictions": restrictions, "classification_history": history}),
    ))
}

async fn create_asset(
    State(state): State<AppState>,
    access: Access,
    body: axum::body::Bytes,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    let input: AssetInput = crate::routes::body::object(&body)?;
    let (fields, classes) = input.validate(&access).map_err(|p| AppError::BadRequest(p.join(" ")))?;
    check_system(&state, &access, fields.system_id).await?;
    let asset = state.store.create_asset(access.org_id(), &fields, &classes, None, &access.actor()).await?;
    let restrictions = restrictions_json(&access, &asset.classes);
    Ok((axum::http::StatusCode::CREATED, Json(json!({"asset": asset, "handling_restrictions": restrictions}))))
}

#[derive(Deserialize)]
struct SystemQuery {
    #[serde(default)]
    q: String,
}

async fn list_systems(State(state): State<AppState>, access: Access, Query(q): Query<SystemQuery>) -> Result<Json<Value>, ApiError> {
    let systems: Vec<_> = state
        .store
        .systems(access.org_id(), None, Some(q.q.trim()))
        .await?
        .into_iter()
        .filter(|s| access.can_see_department(s.fields.department_id))
        .collect();
    Ok(Json(json!({"systems": systems})))
}

async fn profile(access: Access) -> Json<Value> {
    let p = &access.profile;
    Json(json!({
        "version_id": access.profile_version_id,
        "organization": p.organization,
        "profile": p.profile,
        "roles": p.roles,
        "zones": p.zones,
        "axes": p.axes,
        "incident_levels": p.incident_levels,
    }))
}

async fn openapi() -> Json<Value> {
    let asset_ref = json!({"$ref": "#/components/schemas/Asset"});
    Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "mamori API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "情報資産台帳・情報システム台帳・ポリシーのAPI。セッションでの認証が必要で、POSTには X-CSRF-Token ヘッダー（GET /api/v1/me の csrf_token）が必要です。"},
        "paths": {
            "/api/v1/me": {"get": {"summary": "ログイン中の利用者と役割", "responses": {"200": {"description": "利用者"}}}},
            "/api/v1/assets": {
                "get": {"summary": "情報資産の一覧（閲覧できる所属のみ）", "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "department_id", "in": "query", "schema": {"type": "integer"}},
                    {"name": "confidentiality", "in": "query", "schema": {"type": "string"}},
                    {"name": "integrity", "in": "query", "schema": {"type": "string"}},
                    {"name": "availability", "in": "query", "schema": {"type": "string"}},
                    {"name": "zone", "in": "query", "schema": {"type": "string"}},
                    {"name": "system_id", "in": "query", "schema": {"type": "integer"}},
                    {"name": "personal_info", "in": "query", "schema": {"type": "string"}},
                    {"name": "undecided", "in": "query", "schema": {"type": "string"}},
                    {"name": "before", "in": "query", "schema": {"type": "integer"}, "description": "この id より前（次のページ）"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}}],
                    "responses": {"200": {"description": "一覧"}}},
                "post": {"summary": "情報資産の登録", "requestBody": {"content": {"application/json": {"schema": asset_ref}}},
                         "responses": {"201": {"description": "登録した資産と取扱制限"}, "400": {"description": "入力の誤り"}, "403": {"description": "CSRFトークンがない"}}}
            },
            "/api/v1/assets/{id}": {"get": {"summary": "情報資産と取扱制限（根拠条項つき）",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "資産"}, "404": {"description": "ない、または閲覧できない"}}}},
            "/api/v1/systems": {"get": {"summary": "情報システムの一覧", "responses": {"200": {"description": "一覧"}}}},
            "/api/v1/profile": {"get": {"summary": "有効なポリシー（プロファイル）の概要", "responses": {"200": {"description": "プロファイル"}}}},
            "/api/v1/actions": {"get": {"summary": "判断できる行為（action）と、それぞれの判断規則", "responses": {"200": {"description": "行為の一覧"}}}},
            "/api/v1/decisions": {"post": {
                "summary": "判断（ステートレス）: この行為をしてよいか、どうすればよいか。根拠条項つき",
                "description": "有効なプロファイルの判断規則で判断します。禁止規則が一つでも当てはまれば不可、許可規則が一つも当てはまらなければ不可（足りない条件を missing に示す）、当てはまる許可規則の要件（requires）が欠ければ不可、承認が未取得なら承認が必要（approvals）、それ以外は許可（duties に義務）。subject を省くと呼び出した利用者の役割で判断します。記録は残しません。",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecisionRequest"}}}},
                "responses": {"200": {"description": "判断", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Decision"}}}},
                              "400": {"description": "入力の誤り（未知の action・役割・分類・区分・領域、JSONの誤り）"},
                              "401": {"description": "未ログイン"}, "403": {"description": "CSRFトークンがない"}}}},
            "/api/v1/requests": {
                "get": {"summary": "自分の申請と、自分が決裁する承認待ちの申請", "responses": {"200": {"description": "mine, to_decide"}}},
                "post": {"summary": "申請の作成（判断エンジンが判断し、承認者を決める）",
                         "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/RequestForm"}}}},
                         "responses": {"201": {"description": "申請（pending または permitted）"}, "400": {"description": "入力の誤り"},
                                       "422": {"description": "規定により認められない（decision に根拠と足りない条件）"}}}},
            "/api/v1/requests/{id}": {"get": {"summary": "申請と判断", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                                             "responses": {"200": {"description": "申請"}, "404": {"description": "ない、または閲覧できない"}}}},
            "/api/v1/requests/{id}/approve": {"post": {"summary": "承認（承認者の役割・代理のみ。申請者本人は override_justification がなければ不可）",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verdict"}}}},
                "responses": {"200": {"description": "承認済みの申請"}, "403": {"description": "職務の分離・役割がない（error.clause と error.reason にプロファイルの根拠）", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "409": {"description": "承認待ちではない（error.state に現在の状態）", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
            "/api/v1/requests/{id}/refuse": {"post": {"summary": "却下", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verdict"}}}},
                "responses": {"200": {"description": "却下した申請"}, "403": {"description": "役割がない（error.clause と error.reason）"}, "409": {"description": "承認待ちではない（error.state）"}}}},
            "/api/v1/requests/{id}/complete": {"post": {"summary": "完了の記録: 持ち出したものの返却、廃棄の実施（note に処理方法が必須）、またはシステム変更等の作業（note に作業内容、checked_by_person_id に確認者が必須）", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verdict"}}}},
                "responses": {"200": {"description": "返却済みの申請"}, "409": {"description": "承認済みでない、または記録済み"}}}}
            ,
            "/api/v1/incidents": {
                "get": {"summary": "閲覧できるインシデント報告の一覧（自分の報告、通知を受けた報告、管理する課局等の報告。CISO・統括・CSIRT は全件）", "responses": {"200": {"description": "incidents"}}},
                "post": {"summary": "インシデントの報告。send が true で件名・レベル・日時がそろえば送信（レベル別の報告先と統一的な窓口に通知）、足りなければ下書きとして保存し missing に不足を示す",
                         "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/IncidentReport"}}}},
                         "responses": {"201": {"description": "incident, notices, tasks, external_reports, missing"}, "400": {"description": "値の誤り（日時・レベル等）。何も保存しない"}}}},
            "/api/v1/incidents/{id}": {
                "get": {"summary": "報告、通知と確認、指示、外部への報告（期限・根拠つき）", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                        "responses": {"200": {"description": "報告"}, "404": {"description": "ない、または閲覧できない"}}},
                "put": {"summary": "下書きの更新・送信（報告者のみ）", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/IncidentReport"}}}},
                        "responses": {"200": {"description": "報告"}, "409": {"description": "下書きではない"}}}},
            "/api/v1/incidents/{id}/acknowledge": {"post": {"summary": "自分宛ての通知の確認（受領）", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "報告"}, "409": {"description": "確認が必要な通知がない"}}}},
            "/api/v1/incidents/{id}/triage": {"post": {"summary": "CSIRT の評価（インシデントであるか、理由、レベル、外部報告を決める事実、事態を知った日）", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Triage"}}}},
                "responses": {"200": {"description": "報告（追加の通知と外部への報告つき）"}, "400": {"description": "CSIRT でない、または入力の誤り"}}}},
            "/api/v1/incidents/{id}/tasks": {"post": {"summary": "指示（応急措置・復旧、他システムの確認、CISOの指示、再発防止策）", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "報告"}, "400": {"description": "権限がない、または入力の誤り"}}}},
            "/api/v1/incidents/{id}/external/{report_id}": {"post": {"summary": "外部への報告を行ったことの記録（filed_on, note）", "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}, {"name": "report_id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "報告"}, "400": {"description": "この報告に必要な外部報告ではない、または日付の誤り"}, "409": {"description": "記録済み"}}}},
            "/api/v1/audits/{id}": {"get": {"summary": "監査（計画、監査を行う者の割当て、指摘事項）。統括・CISO・委員会とその監査を行う者だけが読めます", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "audit, assignments, findings"}, "404": {"description": "ない、または読めない"}}}},
            "/api/v1/audits/{id}/assignments": {"post": {"summary": "監査を行う者の被監査課局への割当て（根拠はプロファイルの audit.independence）。自分の所属課局や、その課局の役割を持つ人は、理由（override_reason）がなければ割り当てられません", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditAssignment"}}}},
                "responses": {"200": {"description": "割当て（conflict に独立でない理由、override_reason に記録した理由）"}, "400": {"description": "独立でない割当てに理由がない、または入力の誤り"}, "409": {"description": "割当て済み"}}}}
        },
        "components": {"schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": ["unauthenticated", "forbidden", "not_found", "bad_request", "wrong_state", "duplicate", "csrf", "internal"]},
            "message": {"type": "string", "description": "日本語の説明"},
            "clause": {"type": "string", "description": "権限がないとき（403）: 根拠となる有効なプロファイルの条項"},
            "reason": {"type": "string", "description": "権限がないとき（403）: 誰が行うか"},
            "step": {"type": "string", "description": "権限がないとき（403）: ワークフローの手順 id"},
            "state": {"type": "string", "description": "状態が合わないとき（409）: 現在の状態"},
            "field": {"type": "string", "description": "重複のとき（409）: 重複した項目"}}}}},
          "AuditAssignment": {"type": "object", "required": ["auditor_person_id", "department_id"], "properties": {
            "auditor_person_id": {"type": "integer"}, "department_id": {"type": "integer"},
            "override_reason": {"type": "string", "description": "独立でない割当てをやむを得ず行う理由"}}},
          "IncidentReport": {"type": "object", "properties": {
            "title": {"type": "string"}, "level": {"type": "integer"}, "occurred_at": {"type": "string", "description": "2026-12-01T09:30 または RFC 3339"},
            "discovered_at": {"type": "string"}, "location": {"type": "string"}, "department_id": {"type": "integer"}, "assets": {"type": "string"},
            "personal_info": {"enum": ["unknown", "yes", "no"]}, "source": {"enum": ["internal", "external"]}, "external_reporter": {"type": "string"},
            "details": {"type": "string"}, "send": {"type": "boolean"}}},
          "Triage": {"type": "object", "required": ["is_incident", "reason", "level"], "properties": {
            "is_incident": {"enum": ["yes", "no"]}, "reason": {"type": "string"}, "level": {"type": "integer"},
            "personal_information": {"type": "boolean"}, "sensitive_personal_information": {"type": "boolean"}, "financial_damage": {"type": "boolean"},
            "unlawful_intent": {"type": "boolean"}, "specific_personal_information": {"type": "boolean"}, "suspected_crime": {"type": "boolean"},
            "residents_affected": {"type": "boolean"}, "affected_people": {"type": "integer"}, "aware_on": {"type": "string", "format": "date"}}},
          "RequestForm": {"type": "object", "required": ["action"], "properties": {
            "action": {"type": "string"}, "asset_id": {"type": "integer"}, "subject": {"type": "string"}, "purpose": {"type": "string"},
            "destination": {"type": "string"}, "starts_on": {"type": "string", "format": "date"}, "due_on": {"type": "string", "format": "date"},
            "device": {"enum": ["issued", "private"]}, "encrypted": {"type": "boolean"}, "safety_measures": {"type": "boolean"},
            "malware_checked": {"type": "boolean"}, "emergency": {"type": "boolean"}}},
          "Verdict": {"type": "object", "properties": {"comment": {"type": "string"}, "override_justification": {"type": "string"},
            "completed_on": {"type": "string", "format": "date"}, "note": {"type": "string"},
            "service_manager_person_id": {"type": "integer", "description": "クラウドサービスの承認時に指名する管理者"},
            "checked_by_person_id": {"type": "integer", "description": "システム変更等の作業の確認者（作業者とは別の人）"}}},
          "Asset": {"type": "object", "required": ["name", "department_id", "kind", "medium"], "properties": {
            "name": {"type": "string"}, "description": {"type": "string"}, "department_id": {"type": "integer"},
            "kind": {"enum": ["information", "document", "system_document", "equipment"]},
            "medium": {"enum": ["electronic", "paper", "removable_media"]},
            "location": {"type": "string"}, "zone": {"type": "string"}, "system_id": {"type": "integer"},
            "confidentiality": {"type": "string", "description": "空なら要判断"}, "integrity": {"type": "string"}, "availability": {"type": "string"},
            "personal_info": {"type": "boolean"}, "specific_personal_info": {"type": "boolean"}, "retention": {"type": "string"}}},
          "DecisionRequest": {"type": "object", "required": ["action"], "additionalProperties": false, "properties": {
            "action": {"type": "string", "enum": mamori_policy::Action::ALL.iter().map(|a| a.id()).collect::<Vec<_>>()},
            "subject": {"type": "object", "additionalProperties": false, "properties": {
                "user": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}, "department": {"type": "string"}}},
            "object": {"type": "object", "additionalProperties": false, "properties": {
                "kind": {"type": "string"}, "id": {"type": "string"},
                "classes": {"type": "object", "additionalProperties": {"type": "string"}, "description": "分類 → 区分（例 {\"confidentiality\": \"3B\"}）。書かない分類は最も厳しい区分とみなす"},
                "zone": {"type": "string"}, "department": {"type": "string"}}},
            "context": {"type": "object", "additionalProperties": false, "properties": {
                "location": {"enum": ["office", "outside"]}, "device": {"enum": ["issued", "private"]},
                "approvals": {"type": "array", "items": {"type": "string"}, "description": "承認を得ている役割"},
                "facts": {"type": "array", "items": {"enum": mamori_policy::Fact::ALL.iter().map(|f| f.id()).collect::<Vec<_>>()}},
                "emergency": {"type": "boolean"}, "date": {"type": "string", "format": "date"}}}}},
          "Decision": {"type": "object", "properties": {
            "outcome": {"enum": ["permitted", "needs_approval", "denied"]}, "outcome_ja": {"type": "string"},
            "clauses": {"type": "array", "items": {"type": "string"}, "description": "判断の根拠条項"},
            "deciding": {"type": "array", "items": {"type": "object"}, "description": "判断を決めた規則（id・条項・出典・内容）"},
            "approvals": {"type": "array", "items": {"type": "object"}, "description": "必要な承認（役割・申請書・記録・条項）"},
            "duties": {"type": "array", "items": {"type": "object"}, "description": "許可に伴う義務（暗号化・記録・報告と期限 …）"},
            "missing": {"type": "array", "items": {"type": "object"}, "description": "不可のとき、足りない条件（規則・条項・条件）"},
            "profile_version": {"type": "string"}}}}}
    }))
}
