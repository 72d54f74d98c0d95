//! Requests (申請) and the records they produce. The decision engine decides a request when
//! it is filed; a person with the approver's role decides it when it needs approval. Every
//! step is a change event in the ledger. Separation of duties is the caller's to check
//! (the server does, before calling [`Store::decide_request`]); storage keeps the facts —
//! who decided, as a deputy or not, and any override with its justification.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

/// Where a request stands.
pub use mamori_policy::workflow::RequestStatus;
pub use mamori_policy::Action;

#[derive(Debug, Clone)]
pub struct NewRequest {
    pub action: String,
    pub form: String,
    pub applicant_person_id: i64,
    pub applicant_user_id: i64,
    pub department_id: i64,
    pub asset_id: Option<i64>,
    /// What the request is about, in the applicant's words (持出物 …).
    pub subject: String,
    pub purpose: String,
    pub destination: String,
    pub starts_on: Option<String>,
    /// When what is taken out must be back (返却予定日).
    pub due_on: Option<String>,
    /// The engine's input and answer at filing, as JSON.
    pub input: serde_json::Value,
    pub decision: serde_json::Value,
    pub outcome: String,
    pub approver_role: Option<String>,
    pub approver_department_id: Option<i64>,
    pub profile_version_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub id: i64,
    pub action: Action,
    pub form: String,
    pub applicant_person_id: i64,
    pub applicant_name: String,
    pub department_id: i64,
    pub department_name: String,
    pub asset_id: Option<i64>,
    pub asset_name: Option<String>,
    pub subject: String,
    pub purpose: String,
    pub destination: String,
    pub starts_on: Option<String>,
    pub due_on: Option<String>,
    pub input: serde_json::Value,
    pub decision: serde_json::Value,
    pub outcome: String,
    pub approver_role: Option<String>,
    pub approver_department_id: Option<i64>,
    pub status: RequestStatus,
    pub decided_by_person_id: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_as_deputy: bool,
    pub decided_at: Option<String>,
    pub decision_comment: String,
    pub override_justification: Option<String>,
    /// When the request was closed: what was taken out came back, or the disposal was done.
    pub completed_on: Option<String>,
    pub completed_by_name: Option<String>,
    pub completion_note: String,
    pub service_manager_person_id: Option<i64>,
    pub service_manager_name: Option<String>,
    pub checked_by_person_id: Option<i64>,
    pub checked_by_name: Option<String>,
    pub profile_version_id: Option<i64>,
    pub created_at: String,
}

impl Request {
    /// Approved or permitted and not yet returned, with a due date before `today`.
    pub fn overdue(&self, today: &str) -> bool {
        matches!(self.status, RequestStatus::Approved | RequestStatus::Permitted) && self.due_on.as_deref().is_some_and(|d| d < today)
    }
}

/// A person's approval or refusal.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub approve: bool,
    pub person_id: i64,
    pub as_deputy: bool,
    pub comment: String,
    /// Set when separation of duties was overridden ("やむを得ない場合"); never empty then.
    pub override_justification: Option<String>,
    /// The engine's answer with the approval held, replacing the one made at filing.
    pub decision: Option<serde_json::Value>,
    /// The クラウドサービス管理者 named with the approval of a cloud service.
    pub service_manager_person_id: Option<i64>,
}

/// The step that closes a request.
#[derive(Debug, Clone)]
pub struct Completion {
    /// Who did it (returned, disposed, carried out the work).
    pub person_id: i64,
    /// `YYYY-MM-DD`.
    pub on: String,
    /// What was checked on return; the disposal method; the work done.
    pub note: String,
    /// The second person of two-person work.
    pub checked_by: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub applicant_person_id: Option<i64>,
    pub status: Option<RequestStatus>,
    pub action: Option<String>,
    /// Pending requests for this approver role, and in this department when given.
    pub approver: Option<(String, Option<i64>)>,
    pub department_ids: Option<Vec<i64>>,
    pub overrides_only: bool,
    pub limit: i64,
}

const SELECT: &str = "SELECT r.*, p.name AS applicant_name, d.name AS department_name, a.name AS asset_name,
    dp.name AS decided_by_name, rp.name AS completed_by_name, sm.name AS service_manager_name, cp.name AS checked_by_name
    FROM requests r
    JOIN people p ON p.id = r.applicant_person_id
    JOIN departments d ON d.id = r.department_id
    LEFT JOIN assets a ON a.id = r.asset_id
    LEFT JOIN people dp ON dp.id = r.decided_by_person_id
    LEFT JOIN people rp ON rp.id = r.completed_by_person_id
    LEFT JOIN people sm ON sm.id = r.service_manager_person_id
    LEFT JOIN people cp ON cp.id = r.checked_by_person_id";

fn json_column(r: &AnyRow, name: &str) -> Result<serde_json::Value> {
    let text: String = r.try_get(name)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Invalid(format!("requests.{name}: {e}")))
}

fn request(r: &AnyRow) -> Result<Request> {
    Ok(Request {
        id: r.try_get("id")?,
        action: crate::typed(r, "action")?,
        form: r.try_get("form")?,
        applicant_person_id: r.try_get("applicant_person_id")?,
        applicant_name: r.try_get("applicant_name")?,
        department_id: r.try_get("department_id")?,
        department_name: r.try_get("department_name")?,
        asset_id: r.try_get("asset_id")?,
        asset_name: r.try_get("asset_name")?,
        subject: r.try_get("subject")?,
        purpose: r.try_get("purpose")?,
        destination: r.try_get("destination")?,
        starts_on: r.try_get("starts_on")?,
        due_on: r.try_get("due_on")?,
        input: json_column(r, "input")?,
        decision: json_column(r, "decision")?,
        outcome: r.try_get("outcome")?,
        approver_role: r.try_get("approver_role")?,
        approver_department_id: r.try_get("approver_department_id")?,
        status: crate::typed(r, "status")?,
        decided_by_person_id: r.try_get("decided_by_person_id")?,
        decided_by_name: r.try_get("decided_by_name")?,
        decided_as_deputy: r.try_get::<i64, _>("decided_as_deputy")? != 0,
        decided_at: r.try_get("decided_at")?,
        decision_comment: r.try_get("decision_comment")?,
        override_justification: r.try_get("override_justification")?,
        completed_on: r.try_get("completed_on")?,
        completed_by_name: r.try_get("completed_by_name")?,
        completion_note: r.try_get("completion_note")?,
        service_manager_person_id: r.try_get("service_manager_person_id")?,
        service_manager_name: r.try_get("service_manager_name")?,
        checked_by_person_id: r.try_get("checked_by_person_id")?,
        checked_by_name: r.try_get("checked_by_name")?,
        profile_version_id: r.try_get("profile_version_id")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Files a request as the engine decided it: `pending` when it needs approval,
    /// `permitted` when the rules allow it as it is. A denied request is not filed.
    pub async fn create_request(&self, org_id: i64, n: &NewRequest, actor: &Actor) -> Result<Request> {
        let status = match n.outcome.as_str() {
            "needs_approval" => RequestStatus::Pending.as_str(),
            "permitted" => RequestStatus::Permitted.as_str(),
            other => return Err(StoreError::Invalid(format!("判断が「{other}」の申請は受け付けられません"))),
        };
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO requests (org_id, action, form, applicant_person_id, applicant_user_id, department_id, asset_id, subject, purpose,
             destination, starts_on, due_on, input, decision, outcome, approver_role, approver_department_id, status, profile_version_id,
             created_at, updated_at)
             SELECT $1, $2, $3, p.id, $5, d.id, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20
             FROM people p JOIN departments d ON d.id = $6 AND d.org_id = $1 WHERE p.id = $4 AND p.org_id = $1 RETURNING id",
        )
        .bind(org_id)
        .bind(&n.action)
        .bind(&n.form)
        .bind(n.applicant_person_id)
        .bind(n.applicant_user_id)
        .bind(n.department_id)
        .bind(n.asset_id)
        .bind(&n.subject)
        .bind(&n.purpose)
        .bind(&n.destination)
        .bind(&n.starts_on)
        .bind(&n.due_on)
        .bind(n.input.to_string())
        .bind(n.decision.to_string())
        .bind(&n.outcome)
        .bind(&n.approver_role)
        .bind(n.approver_department_id)
        .bind(status)
        .bind(n.profile_version_id)
        .bind(&now)
        .fetch_optional(w.conn())
        .await?
        .ok_or_else(|| StoreError::Invalid("申請者または所属が見つかりません".into()))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "request.file",
                "request",
                id,
                serde_json::json!({"action": n.action, "form": n.form, "asset_id": n.asset_id, "subject": n.subject, "destination": n.destination,
                                   "due_on": n.due_on, "outcome": n.outcome, "approver_role": n.approver_role, "status": status,
                                   "clauses": n.decision["clauses"]}),
            )
            .with_result(&n.outcome),
        )
        .await?;
        self.request(org_id, id).await
    }

    pub async fn request(&self, org_id: i64, id: i64) -> Result<Request> {
        self.one_by_id(SELECT, "r", org_id, id, "request", request).await
    }

    pub async fn requests(&self, org_id: i64, f: &RequestFilter) -> Result<Vec<Request>> {
        let mut sql = format!("{SELECT} WHERE r.org_id = $1");
        let mut n = 1;
        let mut next = || {
            n += 1;
            n
        };
        let applicant = f.applicant_person_id.map(|_| next());
        let status = f.status.as_ref().map(|_| next());
        let action = f.action.as_ref().map(|_| next());
        let approver = f.approver.as_ref().map(|(_, d)| (next(), d.map(|_| next())));
        if let Some(i) = applicant {
            sql.push_str(&format!(" AND r.applicant_person_id = ${i}"));
        }
        if let Some(i) = status {
            sql.push_str(&format!(" AND r.status = ${i}"));
        }
        if let Some(i) = action {
            sql.push_str(&format!(" AND r.action = ${i}"));
        }
        if let Some((role, dept)) = approver {
            sql.push_str(&format!(" AND r.status = 'pending' AND r.approver_role = ${role}"));
            if let Some(d) = dept {
                sql.push_str(&format!(" AND (r.approver_department_id IS NULL OR r.approver_department_id = ${d})"));
            }
        }
        if let Some(ids) = &f.department_ids {
            // Ids are integers from the database, not user text.
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            sql.push_str(&format!(" AND r.department_id IN ({})", if list.is_empty() { "NULL".to_owned() } else { list.join(",") }));
        }
        if f.overrides_only {
            sql.push_str(" AND r.override_justification IS NOT NULL");
        }
        sql.push_str(&format!(" ORDER BY r.id DESC LIMIT {}", f.limit.clamp(1, 1000)));
        let mut q = sqlx::query(&sql).bind(org_id);
        if let Some(a) = f.applicant_person_id {
            q = q.bind(a);
        }
        if let Some(s) = &f.status {
            q = q.bind(s.as_str());
        }
        if let Some(a) = &f.action {
            q = q.bind(a.clone());
        }
        if let Some((role, dept)) = &f.approver {
            q = q.bind(role.clone());
            if let Some(d) = dept {
                q = q.bind(*d);
            }
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(request).collect()
    }

    /// Approves or refuses a pending request. Only a pending request can be decided, once:
    /// a second decision, or one racing another, is a conflict.
    pub async fn decide_request(&self, org_id: i64, id: i64, v: &Verdict, actor: &Actor) -> Result<Request> {
        if v.override_justification.as_deref().is_some_and(|j| j.trim().is_empty()) {
            return Err(StoreError::Invalid("職務の分離を例外とする理由が空です".into()));
        }
        let before = self.request(org_id, id).await?;
        let mut w = self.begin_write(org_id).await?;
        let new_status = if v.approve { RequestStatus::Approved.as_str() } else { RequestStatus::Refused.as_str() };
        let decision = v.decision.clone().unwrap_or(before.decision.clone());
        let n = sqlx::query(
            "UPDATE requests SET status = $1, decided_by_person_id = $2, decided_as_deputy = $3, decided_at = $4, decision_comment = $5,
             override_justification = $6, decision = $7, service_manager_person_id = $10, updated_at = $4
             WHERE org_id = $8 AND id = $9 AND status = 'pending'",
        )
        .bind(new_status)
        .bind(v.person_id)
        .bind(i64::from(v.as_deputy))
        .bind(now_text())
        .bind(&v.comment)
        .bind(&v.override_justification)
        .bind(decision.to_string())
        .bind(org_id)
        .bind(id)
        .bind(v.service_manager_person_id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("申請 {id} は承認待ちではありません（{}）", before.status)));
        }
        let action = if v.approve { "request.approve" } else { "request.refuse" };
        w.commit(
            actor,
            NewEvent::new(
                action,
                "request",
                id,
                serde_json::json!({"by_person_id": v.person_id, "as_deputy": v.as_deputy, "comment": v.comment,
                                   "override_justification": v.override_justification, "approver_role": before.approver_role,
                                   "service_manager_person_id": v.service_manager_person_id}),
            )
            .with_result(new_status),
        )
        .await?;
        self.request(org_id, id).await
    }

    /// Closes an approved (or permitted) request: the return of what was taken out
    /// (持出・持込記録の返却欄), the disposal done (廃棄記録: date, person, method), or a system
    /// change carried out by two people (作業記録: `checked_by` is the second person).
    pub async fn complete_request(&self, org_id: i64, id: i64, c: &Completion, actor: &Actor) -> Result<Request> {
        let Completion { person_id, on, note, checked_by } = c;
        let (person_id, on, note, checked_by) = (*person_id, on.as_str(), note.as_str(), *checked_by);
        let before = self.request(org_id, id).await?;
        if checked_by == Some(person_id) {
            return Err(StoreError::Invalid("作業者と確認者は別の人にしてください".into()));
        }
        let (new_status, event) = match before.action.id() {
            "take_out" | "bring_in" => (RequestStatus::Returned.as_str(), "request.return"),
            "dispose" => (RequestStatus::Disposed.as_str(), "request.dispose"),
            "change_system" if checked_by.is_some() => (RequestStatus::Done.as_str(), "request.work_done"),
            "change_system" => return Err(StoreError::Invalid("システム変更等の作業は2名以上で行い、確認者を記録してください".into())),
            other => return Err(StoreError::Invalid(format!("「{other}」の申請には完了の記録がありません"))),
        };
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE requests SET status = $1, completed_on = $2, completed_by_person_id = $3, completion_note = $4, updated_at = $5,
             checked_by_person_id = $8 WHERE org_id = $6 AND id = $7 AND status IN ('approved', 'permitted')",
        )
        .bind(new_status)
        .bind(on)
        .bind(person_id)
        .bind(note)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .bind(checked_by)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("申請 {id} は完了を記録できる状態ではありません（承認済みでないか、記録済み）")));
        }
        w.commit(
            actor,
            NewEvent::new(
                event,
                "request",
                id,
                serde_json::json!({"on": on, "by_person_id": person_id, "note": note, "checked_by_person_id": checked_by}),
            ),
        )
        .await?;
        self.request(org_id, id).await
    }
}

/// A service credential: lets a machine ask `POST /api/v1/decisions` for one organization.
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn api_token(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        scope: r.try_get("scope")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// The only scope there is: stateless decisions.
pub const SCOPE_DECIDE: &str = "decide";

impl Store {
    /// Records a new token by its hash; the caller shows the token once.
    pub async fn create_api_token(&self, org_id: i64, name: &str, token_hash: &str, actor: &Actor) -> Result<ApiToken> {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid("トークンの名前は1〜100字で付けてください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 =
            sqlx::query("INSERT INTO api_tokens (org_id, name, token_hash, scope, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(org_id)
                .bind(name.trim())
                .bind(token_hash)
                .bind(SCOPE_DECIDE)
                .bind(now_text())
                .fetch_one(w.conn())
                .await?
                .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new("api_token.create", "api_token", id, serde_json::json!({"name": name.trim(), "scope": SCOPE_DECIDE})),
        )
        .await?;
        self.api_tokens(org_id).await?.into_iter().find(|t| t.id == id).ok_or(StoreError::NotFound("api token"))
    }

    pub async fn revoke_api_token(&self, org_id: i64, id: i64, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(now_text())
            .bind(org_id)
            .bind(id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::NotFound("api token"));
        }
        w.commit(actor, NewEvent::new("api_token.revoke", "api_token", id, serde_json::json!({}))).await?;
        Ok(())
    }

    pub async fn api_tokens(&self, org_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT id, org_id, name, scope, created_at, revoked_at FROM api_tokens WHERE org_id = $1 ORDER BY id")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(api_token).collect()
    }

    /// The live (not revoked) token with this hash.
    pub async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row = sqlx::query(
            "SELECT id, org_id, name, scope, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(api_token).transpose()
    }
}
