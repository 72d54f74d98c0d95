//! CSRF protection in one place, for every state-changing request.
//!
//! Each session has a random token. Forms carry it in a hidden `csrf` field (multipart
//! forms in the action's query string), the JSON API in an `X-CSRF-Token` header. The
//! sign-in form, which has no session yet, uses a double-submit cookie. Cookies are also
//! `SameSite=Strict`; the token is the defence that does not depend on the browser.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::auth::{cookie_value, token_hash, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::AppState;

const MAX_FORM: usize = 12 * 1024 * 1024;

fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn field(encoded: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(encoded).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

async fn expected_token(state: &AppState, parts: &Parts) -> Result<String, AppError> {
    if parts.uri.path() == "/login" {
        return cookie_value(parts, LOGIN_CSRF_COOKIE).ok_or(AppError::Csrf);
    }
    let token = cookie_value(parts, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?;
    let session = state.store.session_by_token_hash(&token_hash(&token)).await?.ok_or(AppError::Unauthenticated)?;
    Ok(session.csrf_token)
}

pub async fn verify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let api = parts.uri.path().starts_with("/api/");
    // A machine client with a service token sends no cookie: there is no ambient credential
    // for a forged request to ride on, so there is nothing for a CSRF token to protect.
    if parts.uri.path() == "/api/v1/decisions"
        && crate::auth::bearer_token(&parts).is_some()
        && cookie_value(&parts, SESSION_COOKIE).is_none()
    {
        return next.run(Request::from_parts(parts, body)).await;
    }
    // A witness's cosignature is self-authenticating: it is stored only when it is a valid
    // signature by a witness an administrator registered, over one of this log's own
    // checkpoints, and storing it changes nothing anyone else relies on. A request with no
    // session cookie carries no ambient credential for a forged request to ride on.
    if parts.uri.path() == "/ledger/witness/cosignature" && cookie_value(&parts, SESSION_COOKIE).is_none() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let reject = |e: AppError| if api { e.into_json() } else { e.into_response() };
    let expected = match expected_token(&state, &parts).await {
        Ok(t) => t,
        Err(e) => return reject(e),
    };
    if api {
        let given = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        if !same(given, &expected) {
            return reject(AppError::Csrf);
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    if let Some(q) = parts.uri.query() {
        if field(q, "csrf").is_some_and(|t| same(&t, &expected)) {
            return next.run(Request::from_parts(parts, body)).await;
        }
    }
    let is_form = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return reject(AppError::Csrf);
    }
    let bytes = match to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => return reject(AppError::BadRequest("送信された内容が大きすぎます".into())),
    };
    let given = std::str::from_utf8(&bytes).ok().and_then(|s| field(s, "csrf")).unwrap_or_default();
    if !same(&given, &expected) {
        return reject(AppError::Csrf);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
