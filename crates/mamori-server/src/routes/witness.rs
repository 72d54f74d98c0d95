//! The witnesses' endpoints, in the manner of C2SP tlog-witness but with the server as the
//! one asked: a witness fetches the latest checkpoint with a consistency proof from the
//! size it last cosigned, checks it on its own side, and posts its cosignature back.
//!
//! `GET /ledger/witness/checkpoint?org=CODE&from=N` answers in tlog-witness's
//! add-checkpoint body shape (`old N`, the proof, an empty line, the checkpoint). It needs
//! no sign-in: a checkpoint and a consistency proof are hashes and a count, and a witness
//! outside the town's accounts must be able to read them.
//!
//! `POST /ledger/witness/cosignature?org=CODE` takes the checkpoint with the witness's
//! cosignature line appended. It needs no session either (and is exempt from the CSRF
//! check for requests without a session cookie, see `csrf.rs`): the line is stored only if
//! it is a valid signature, by a witness an administrator registered
//! (`mamori ledger witness add`), over one of this log's stored checkpoints.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use mamori_store::Actor;

use crate::error::AppError;
use crate::AppState;

#[derive(serde::Deserialize)]
pub struct WitnessQuery {
    /// The organization's code (the last part of the log's origin); may be left out when
    /// the server holds one organization.
    org: Option<String>,
    #[serde(default)]
    from: u64,
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn refuse(e: AppError) -> Response {
    if let AppError::Internal(detail) = &e {
        tracing::error!(error = %detail, "witness endpoint failed");
    }
    text(e.status(), format!("{}\n", e.message_ja()))
}

async fn org_id(state: &AppState, code: Option<&str>) -> Result<i64, AppError> {
    let orgs = state.store.organizations().await?;
    match code {
        Some(code) => orgs.into_iter().find(|o| o.code == code).map(|o| o.id).ok_or(AppError::NotFound),
        None if orgs.len() == 1 => Ok(orgs[0].id),
        None => Err(AppError::BadRequest("org（団体コード）を指定してください".into())),
    }
}

pub async fn checkpoint(State(state): State<AppState>, Query(q): Query<WitnessQuery>) -> Response {
    let answer = async {
        let org = org_id(&state, q.org.as_deref()).await?;
        Ok::<_, AppError>(state.store.witness_request(org, q.from).await?.to_text())
    };
    match answer.await {
        Ok(body) => text(StatusCode::OK, body),
        Err(e) => refuse(e),
    }
}

pub async fn cosignature(State(state): State<AppState>, Query(q): Query<WitnessQuery>, body: String) -> Response {
    let answer = async {
        let org = org_id(&state, q.org.as_deref()).await?;
        let lines: Vec<&str> = mamori_ledger::cosignature::signature_lines(&body).collect();
        let mut stored = Vec::new();
        let mut last_error = None;
        for line in lines {
            match state.store.add_cosignature(org, &body, line, &Actor::system("witness")).await {
                Ok((name, size)) => stored.push(format!("stored {name} {size}")),
                // The log's own signature line, or a witness nobody registered.
                Err(e) => last_error = Some(e),
            }
        }
        match (stored.is_empty(), last_error) {
            (false, _) => Ok(stored.join("\n") + "\n"),
            (true, Some(e)) => Err(AppError::from(e)),
            (true, None) => Err(AppError::BadRequest("連署の行がありません".into())),
        }
    };
    match answer.await {
        Ok(body) => text(StatusCode::OK, body),
        Err(e) => refuse(e),
    }
}
