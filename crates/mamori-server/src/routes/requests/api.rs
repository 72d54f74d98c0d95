//! The JSON API for requests under /api/v1.

use super::*;

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
    let f: RequestForm = crate::routes::body::object(&body)?;
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

pub(super) fn verdict_body(body: &[u8]) -> Result<VerdictForm, AppError> {
    crate::routes::body::object_or_empty(body)
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
