//! The text policy (`mamori-text`) applied in one place to everything a person types: every
//! field of every form and every string of every JSON body is normalized to NFC, cleared of
//! bidi controls and zero-width characters, trimmed (so a value of only spaces or invisible
//! characters is empty, and a required field's own check refuses it), and bounded by its
//! field's maximum; NUL and other control characters are refused. A refusal is a 400 naming
//! the field in Japanese, before any handler runs, so nothing is written. Query strings are
//! checked (not rewritten). Passwords and the CSRF token pass untouched: a password is a
//! secret, not text to tidy.
//!
//! The field rules live in [`rule`], by field name: the same name has the same bound in every
//! form and API.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mamori_text::{limits, Field};
use serde_json::Value;

use crate::error::AppError;

const MAX_BODY: usize = 12 * 1024 * 1024;

/// The largest profile a person may paste (the bundled ones are under 300 KB).
const PROFILE_TEXT: usize = 2_000_000;

/// A field's rule by its name; None for the fields that pass untouched.
pub fn rule(name: &str) -> Option<Field> {
    let line = |label, max| Some(Field::line(label, max));
    let multi = |label, max| Some(Field::multi_line(label, max));
    match name {
        "password" | "current" | "new" | "confirm" | "confirm_password" | "csrf" => None,
        // A pasted or edited profile (TOML).
        "text" => multi("内容", PROFILE_TEXT),
        "description" => multi("説明", limits::TEXT),
        "details" => multi("詳細", limits::TEXT),
        "report" => multi("報告", limits::TEXT),
        "body" => multi("本文", limits::TEXT),
        "cause" => multi("原因", limits::TEXT),
        "response" => multi("対応", limits::TEXT),
        "recurrence_prevention" => multi("再発防止策", limits::TEXT),
        "impact" => multi("影響", limits::TEXT),
        "finding" => multi("指摘事項", limits::TEXT),
        "result" => multi("結果", limits::TEXT),
        "contractors" => multi("委託先", limits::NOTE),
        "cloud_services" => multi("クラウドサービス", limits::NOTE),
        "documents" => multi("文書", limits::NOTE),
        "note" | "notes" => multi("備考", limits::NOTE),
        "comment" => multi("コメント", limits::NOTE),
        "reason" | "override_reason" | "override_justification" | "justification" => multi("理由", limits::NOTE),
        "purpose" => multi("目的", limits::NOTE),
        "measure" => multi("対策", limits::NOTE),
        "name" => line("名称", limits::TITLE),
        "kana" => line("ふりがな", limits::NAME),
        "org_name" => line("団体名", limits::NAME),
        "title" => line("件名", limits::TITLE),
        "login" => line("ログインID", limits::NAME),
        "email" => line("メールアドレス", limits::EMAIL),
        "staff_no" => line("職員番号", limits::CODE),
        "code" => line("コード", limits::CODE),
        "q" => line("検索語", limits::TITLE),
        "destination" => line("持出先", limits::TITLE),
        "place" | "location" => line("場所", limits::TITLE),
        "external_reporter" => line("報告者", limits::TITLE),
        "file_name" => line("ファイル名", limits::TITLE),
        // Any other field: one line of a title's length (a select's value, a date, a number,
        // an id, a short answer).
        other => line(label_of(other), limits::TITLE),
    }
}

/// A Japanese name for a field the table above does not list.
fn label_of(name: &str) -> &'static str {
    match name {
        "due_on" | "starts_on" | "ends_on" | "held_on" | "filed_on" | "completed_on" | "aware_on" | "date" => "日付",
        "occurred_at" | "discovered_at" => "日時",
        "level" | "rank" | "severity" => "レベル",
        "zone" => "領域",
        "confidentiality" => "機密性",
        "integrity" => "完全性",
        "availability" => "可用性",
        "action" => "操作",
        "kind" => "種類",
        "role" => "役割",
        "answer" => "回答",
        "source" => "情報源",
        "post" | "post_id" => "役職",
        _ => "入力",
    }
}

/// Fields checked but kept as typed: a pasted profile is stored and hashed exactly as given
/// (its own loader reads it).
const CHECK_ONLY: [&str; 1] = ["text"];

fn clean(name: &str, value: &str) -> Result<Option<String>, AppError> {
    match rule(name) {
        None => Ok(None),
        Some(field) => {
            let cleaned = mamori_text::clean(value, &field).map_err(|p| AppError::BadRequest(p.message_ja(field.label_ja)))?;
            Ok(if CHECK_ONLY.contains(&name) { None } else { Some(cleaned) })
        }
    }
}

/// Every string of a JSON value, cleaned under the name of the member that holds it.
fn clean_json(value: &mut Value, name: &str) -> Result<(), AppError> {
    match value {
        Value::String(s) => {
            if let Some(cleaned) = clean(name, s)? {
                *s = cleaned;
            }
        }
        Value::Array(items) => {
            for item in items {
                clean_json(item, name)?;
            }
        }
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                clean_json(member, key)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

fn content_type(req: &Request) -> String {
    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase()
}

pub async fn apply(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let reject = |e: AppError| if api { e.into_json() } else { e.into_response() };
    if let Some(query) = req.uri().query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if let Err(e) = clean(&name, &value) {
                return reject(e);
            }
        }
    }
    // The decision API is a machine's, on the hot path; its strings are vocabulary the
    // engine checks (an unknown action or class is refused there).
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || req.uri().path() == "/api/v1/decisions" {
        return next.run(req).await;
    }
    let kind = content_type(&req);
    let form = kind.starts_with("application/x-www-form-urlencoded");
    let json = kind.starts_with("application/json");
    if !form && !json {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return reject(AppError::BadRequest("送信された内容が大きすぎます".into())),
    };
    let cleaned: Vec<u8> = if form {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(&bytes) {
            match clean(&name, &value) {
                Ok(Some(v)) => out.append_pair(&name, &v),
                Ok(None) => out.append_pair(&name, &value),
                Err(e) => return reject(e),
            };
        }
        out.finish().into_bytes()
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut value) => {
                if let Err(e) = clean_json(&mut value, "") {
                    return reject(e);
                }
                match serde_json::to_vec(&value) {
                    Ok(v) => v,
                    Err(e) => return reject(AppError::Internal(e.to_string())),
                }
            }
            // Not JSON: the handler's own reader says so.
            Err(_) => bytes.to_vec(),
        }
    };
    parts.headers.insert(header::CONTENT_LENGTH, cleaned.len().into());
    next.run(Request::from_parts(parts, Body::from(cleaned))).await
}
