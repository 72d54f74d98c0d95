//! The JSON API for incidents under /api/v1.

use super::*;

pub(super) async fn full(state: &AppState, access: &Access, id: i64) -> Result<Value, AppError> {
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
    let f: ReportForm = crate::routes::body::object(&body)?;
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
    let f: ReportForm = crate::routes::body::object(&body)?;
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
    let f: TriageForm = crate::routes::body::object(&body)?;
    triage(&state, &access, id, &f).await?;
    Ok(Json(full(&state, &access, id).await?))
}

pub async fn api_add_task(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: TaskForm = crate::routes::body::object(&body)?;
    add_task(&state, &access, id, &f).await?;
    Ok(Json(full(&state, &access, id).await?))
}

pub async fn api_file_external(
    State(state): State<AppState>,
    access: Access,
    Path((id, report_id)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let f: FilingForm = crate::routes::body::object(&body)?;
    file_external(&state, &access, id, &report_id, &f).await?;
    Ok(Json(full(&state, &access, id).await?))
}
