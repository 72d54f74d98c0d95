//! Decisions: `POST /api/v1/decisions` answers "may this happen, and how?" from the
//! organization's active profile, statelessly, with the clauses behind the answer.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mamori_engine::{DecisionJson, Engine, RequestInput};
use mamori_policy::Action;
use mamori_store::requests::SCOPE_DECIDE;
use serde_json::{json, Value};

use crate::auth::{bearer_token, token_hash, Access};
use crate::error::AppError;
use crate::AppState;

/// Decides one request. Two kinds of caller: a signed-in person (session cookie and CSRF
/// token, like the rest of the API) and a machine with a service token
/// (`Authorization: Bearer mamori_…`, made with `mamori token create`), which may do nothing
/// else. When a person's body names no subject, the subject is the caller: their login and the
/// roles they hold (deputy assignments included).
pub async fn decide(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match bearer_token(&parts) {
        Some(token) => match state.service_token(&token_hash(token)).await {
            Ok(Some(t)) if t.scope == SCOPE_DECIDE => match state.engine_cached(t.org_id).await {
                Ok(Some(e)) => Caller::Service(e),
                Ok(None) => return AppError::internal("the organization has no active profile").into_json(),
                Err(e) => return e.into_json(),
            },
            Ok(_) => return AppError::Unauthenticated.into_json(),
            Err(e) => return e.into_json(),
        },
        None => match Access::from_request_parts(&mut parts, &state).await {
            Ok(a) => Caller::Person(Box::new(a)),
            Err(rejection) => return rejection.into_response(),
        },
    };
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => b,
        Err(_) => return AppError::BadRequest("送信された内容が大きすぎます（64KiBまで）".into()).into_json(),
    };
    match decide_body(&caller, &bytes) {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_json(),
    }
}

enum Caller {
    Person(Box<Access>),
    Service(Arc<Engine>),
}

fn decide_body(caller: &Caller, body: &[u8]) -> Result<Value, AppError> {
    let mut input: RequestInput = crate::routes::body::object(body).map_err(|e| match e {
        AppError::BadRequest(m) => {
            AppError::BadRequest(format!("{m}。action, subject, object, context を持つオブジェクトを送ってください"))
        }
        other => other,
    })?;
    let engine = match caller {
        Caller::Person(access) => {
            if input.subject.user.is_none() && input.subject.roles.is_empty() {
                input.subject.user = Some(access.user.login.clone());
                let mut roles: Vec<String> =
                    access.roles.iter().map(|r| r.role.clone()).filter(|r| access.engine.role_index(r).is_some()).collect();
                roles.sort();
                roles.dedup();
                input.subject.roles = roles;
            }
            &access.engine
        }
        Caller::Service(engine) => engine,
    };
    let query = engine.query(&input).map_err(|e| AppError::BadRequest(e.message_ja()))?;
    let decision = engine.decide(&query);
    let mut out = serde_json::to_value(DecisionJson { engine, decision: &decision }).map_err(AppError::internal)?;
    out["action"] = json!(query.action.id());
    out["action_ja"] = json!(query.action.label_ja());
    out["subject"] = json!({"user": input.subject.user, "roles": input.subject.roles, "department": input.subject.department});
    Ok(out)
}

/// The actions the engine decides, with their Japanese names and the rules for each.
pub async fn actions(access: Access) -> Json<Value> {
    let list: Vec<Value> = Action::ALL
        .into_iter()
        .map(|a| {
            let rules: Vec<Value> = access
                .engine
                .rules()
                .iter()
                .filter(|r| r.action == a)
                .map(|r| json!({"id": r.id, "effect": r.effect, "text": r.text, "clause": r.clause, "provenance": r.provenance}))
                .collect();
            json!({"id": a.id(), "name": a.label_ja(), "rules": rules})
        })
        .collect();
    Json(json!({"profile_version": access.engine.version(), "actions": list}))
}
