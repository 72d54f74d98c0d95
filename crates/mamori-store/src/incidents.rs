//! Incidents (情報セキュリティインシデント): reports, the notices routing sends, CSIRT's
//! triage, the tasks it hands out, external reports filed, and absences. Routing and the
//! external reporting rules are the profile's (`mamori_policy::incident`); the caller works
//! them out and passes the resulting notices in, so that storage only keeps facts. Every
//! step is one transaction with one change event.

use serde::Serialize;
use sha2::Digest;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{flag, now_text, Actor, NewEvent, Result, Store, StoreError};

pub use mamori_policy::workflow::{IncidentStatus, TaskStatus};

/// What a reporter writes. Everything may be missing in a draft.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IncidentReport {
    pub department_id: i64,
    /// `internal`, or `external` when a resident or contractor told the reporter.
    pub source: String,
    /// Who told the reporter, for an external report (personal data: purgeable in the ledger).
    pub external_reporter: String,
    pub title: String,
    /// RFC 3339 with +09:00.
    pub occurred_at: Option<String>,
    pub discovered_at: Option<String>,
    pub location: String,
    pub assets: String,
    /// `unknown`, `yes`, `no`.
    pub personal_info: String,
    pub level: Option<i64>,
    pub details: String,
}

/// A report to save, by whom, and — when it is sent — the notices routing produced and the
/// mail status they start with.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub report: &'a IncidentReport,
    pub reporter_person_id: i64,
    pub reporter_user_id: i64,
    pub profile_version_id: i64,
    pub send: Option<(&'a [NewNotice], &'a str)>,
}

/// An external report made: which one, when, by whom.
#[derive(Debug, Clone)]
pub struct NewFiling {
    pub report_id: String,
    /// `YYYY-MM-DD`.
    pub filed_on: String,
    pub person_id: i64,
    pub note: String,
}

/// A notice to create: one person, told in one capacity.
#[derive(Debug, Clone, Serialize)]
pub struct NewNotice {
    pub person_id: i64,
    pub role: String,
    pub department_id: Option<i64>,
    pub as_deputy: bool,
    /// `level`, `contact_point`, `escalation`.
    pub reason: String,
    /// RFC 3339: unacknowledged by then, it escalates.
    pub acknowledge_by: String,
    pub escalated_from: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: i64,
    pub status: IncidentStatus,
    pub reporter_person_id: i64,
    pub reporter_name: String,
    pub department_id: i64,
    pub department_name: String,
    pub source: String,
    pub external_reporter: String,
    pub title: String,
    pub occurred_at: Option<String>,
    pub discovered_at: Option<String>,
    pub location: String,
    pub assets: String,
    pub personal_info: String,
    pub level: Option<i64>,
    pub details: String,
    pub reported_at: Option<String>,
    pub aware_on: Option<String>,
    pub is_incident: Option<bool>,
    pub triage_reason: String,
    pub triaged_by_name: Option<String>,
    pub triaged_at: Option<String>,
    pub facts: serde_json::Value,
    pub cause: String,
    pub impact: String,
    pub response: String,
    pub recurrence_prevention: String,
    pub closed_at: Option<String>,
    pub profile_version_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: i64,
    pub org_id: i64,
    pub incident_id: i64,
    pub incident_title: String,
    pub incident_level: Option<i64>,
    pub incident_department_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub person_email: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub as_deputy: bool,
    pub reason: String,
    pub escalated_from: Option<i64>,
    pub created_at: String,
    pub acknowledge_by: String,
    pub acknowledged_at: Option<String>,
    pub escalated_at: Option<String>,
    pub mail_status: String,
    pub mail_error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: i64,
    pub incident_id: i64,
    pub incident_title: String,
    /// `containment`, `check_other_systems`, `ciso_instruction`, `recurrence_prevention`.
    pub kind: String,
    pub assignee_person_id: i64,
    pub assignee_name: String,
    pub system_id: Option<i64>,
    pub system_name: Option<String>,
    pub description: String,
    pub due_on: Option<String>,
    pub status: TaskStatus,
    pub result: String,
    pub done_at: Option<String>,
    pub created_by_name: String,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct NewTask {
    pub kind: String,
    pub assignee_person_id: i64,
    pub system_id: Option<i64>,
    pub description: String,
    pub due_on: Option<String>,
    pub created_by_person_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Filing {
    pub report_id: String,
    pub filed_on: String,
    pub filed_by_name: String,
    pub note: String,
}

/// CSIRT's assessment (5.3(3)①).
#[derive(Debug, Clone)]
pub struct Triage {
    pub person_id: i64,
    pub is_incident: bool,
    pub reason: String,
    pub level: i64,
    pub facts: serde_json::Value,
    pub aware_on: String,
}

/// What the 発生状況報告書 and 対応状況報告書 record beyond the report itself.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub cause: String,
    pub impact: String,
    pub response: String,
    pub recurrence_prevention: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Absence {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only these incidents (visible by notice, by reporter, or by department).
    pub reporter_person_id: Option<i64>,
    pub department_ids: Option<Vec<i64>>,
    pub noticed_person_id: Option<i64>,
    /// Drafts are seen by their reporter only.
    pub include_drafts_of: Option<i64>,
    pub open_only: bool,
    pub limit: i64,
}

const SELECT: &str = "SELECT i.*, p.name AS reporter_name, d.name AS department_name, tp.name AS triaged_by_name
    FROM incidents i
    JOIN people p ON p.id = i.reporter_person_id
    JOIN departments d ON d.id = i.department_id
    LEFT JOIN people tp ON tp.id = i.triaged_by_person_id";

const NOTICE_SELECT: &str = "SELECT n.*, i.title AS incident_title, i.level AS incident_level, i.department_id AS incident_department_id,
    p.name AS person_name, p.email AS person_email
    FROM incident_notices n JOIN incidents i ON i.id = n.incident_id JOIN people p ON p.id = n.person_id";

const TASK_SELECT: &str = "SELECT t.*, i.title AS incident_title, a.name AS assignee_name, s.name AS system_name, c.name AS created_by_name
    FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id JOIN people a ON a.id = t.assignee_person_id
    JOIN people c ON c.id = t.created_by_person_id LEFT JOIN systems s ON s.id = t.system_id";

fn incident(r: &AnyRow) -> Result<Incident> {
    let facts: String = r.try_get("facts")?;
    Ok(Incident {
        id: r.try_get("id")?,
        status: crate::typed(r, "status")?,
        reporter_person_id: r.try_get("reporter_person_id")?,
        reporter_name: r.try_get("reporter_name")?,
        department_id: r.try_get("department_id")?,
        department_name: r.try_get("department_name")?,
        source: r.try_get("source")?,
        external_reporter: r.try_get("external_reporter")?,
        title: r.try_get("title")?,
        occurred_at: r.try_get("occurred_at")?,
        discovered_at: r.try_get("discovered_at")?,
        location: r.try_get("location")?,
        assets: r.try_get("assets")?,
        personal_info: r.try_get("personal_info")?,
        level: r.try_get("level")?,
        details: r.try_get("details")?,
        reported_at: r.try_get("reported_at")?,
        aware_on: r.try_get("aware_on")?,
        is_incident: r.try_get::<Option<i64>, _>("is_incident")?.map(|v| v != 0),
        triage_reason: r.try_get("triage_reason")?,
        triaged_by_name: r.try_get("triaged_by_name")?,
        triaged_at: r.try_get("triaged_at")?,
        facts: serde_json::from_str(&facts).map_err(|e| StoreError::Invalid(format!("incidents.facts: {e}")))?,
        cause: r.try_get("cause")?,
        impact: r.try_get("impact")?,
        response: r.try_get("response")?,
        recurrence_prevention: r.try_get("recurrence_prevention")?,
        closed_at: r.try_get("closed_at")?,
        profile_version_id: r.try_get("profile_version_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn notice(r: &AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        incident_id: r.try_get("incident_id")?,
        incident_title: r.try_get("incident_title")?,
        incident_level: r.try_get("incident_level")?,
        incident_department_id: r.try_get("incident_department_id")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        person_email: r.try_get("person_email")?,
        role: r.try_get("role")?,
        department_id: r.try_get("department_id")?,
        as_deputy: flag(r, "as_deputy")?,
        reason: r.try_get("reason")?,
        escalated_from: r.try_get("escalated_from")?,
        created_at: r.try_get("created_at")?,
        acknowledge_by: r.try_get("acknowledge_by")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        escalated_at: r.try_get("escalated_at")?,
        mail_status: r.try_get("mail_status")?,
        mail_error: r.try_get("mail_error")?,
    })
}

fn task(r: &AnyRow) -> Result<Task> {
    Ok(Task {
        id: r.try_get("id")?,
        incident_id: r.try_get("incident_id")?,
        incident_title: r.try_get("incident_title")?,
        kind: r.try_get("kind")?,
        assignee_person_id: r.try_get("assignee_person_id")?,
        assignee_name: r.try_get("assignee_name")?,
        system_id: r.try_get("system_id")?,
        system_name: r.try_get("system_name")?,
        description: r.try_get("description")?,
        due_on: r.try_get("due_on")?,
        status: crate::typed(r, "status")?,
        result: r.try_get("result")?,
        done_at: r.try_get("done_at")?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Inserts notices in the caller's transaction; returns their ids.
async fn insert_notices(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    incident_id: i64,
    notices: &[NewNotice],
    now: &str,
    mail: &str,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(notices.len());
    for n in notices {
        let id: i64 = sqlx::query(
            "INSERT INTO incident_notices (org_id, incident_id, person_id, role, department_id, as_deputy, reason, escalated_from, created_at,
             acknowledge_by, mail_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(org_id)
        .bind(incident_id)
        .bind(n.person_id)
        .bind(&n.role)
        .bind(n.department_id)
        .bind(i64::from(n.as_deputy))
        .bind(&n.reason)
        .bind(n.escalated_from)
        .bind(now)
        .bind(&n.acknowledge_by)
        .bind(mail)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        ids.push(id);
    }
    Ok(ids)
}

fn notice_payload(notices: &[NewNotice]) -> serde_json::Value {
    serde_json::Value::Array(
        notices
            .iter()
            .map(|n| serde_json::json!({"person_id": n.person_id, "role": n.role, "department_id": n.department_id, "as_deputy": n.as_deputy, "reason": n.reason, "acknowledge_by": n.acknowledge_by}))
            .collect(),
    )
}

/// The mail status new notices start with: `pending` when a mail server is configured.
pub fn initial_mail_status(mail_configured: bool) -> &'static str {
    if mail_configured {
        "pending"
    } else {
        "off"
    }
}

impl Store {
    /// Saves a report: as a draft (nobody is told), or sent, with the notices routing
    /// produced. A sent report must have a title, a level and when it happened; the caller
    /// checks that and passes `send = false` for an incomplete one.
    pub async fn save_incident(&self, org_id: i64, existing: Option<i64>, sub: &Submission<'_>, actor: &Actor) -> Result<Incident> {
        let Submission { report: r, reporter_person_id, reporter_user_id, profile_version_id, send } = *sub;
        let reporter = (reporter_person_id, reporter_user_id);
        let now = now_text();
        let status = if send.is_some() { IncidentStatus::Reported.as_str() } else { IncidentStatus::Draft.as_str() };
        let mut w = self.begin_write(org_id).await?;
        let reported_at = send.map(|_| now.clone());
        let aware_on = send.map(|_| now[..10].to_owned());
        let id: i64 = match existing {
            None => sqlx::query(
                "INSERT INTO incidents (org_id, status, reporter_person_id, reporter_user_id, department_id, source, external_reporter, title,
                 occurred_at, discovered_at, location, assets, personal_info, level, details, reported_at, aware_on, profile_version_id,
                 created_at, updated_at)
                 SELECT $1, $2, p.id, $4, d.id, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19
                 FROM people p JOIN departments d ON d.id = $5 AND d.org_id = $1 WHERE p.id = $3 AND p.org_id = $1 RETURNING id",
            )
            .bind(org_id)
            .bind(status)
            .bind(reporter.0)
            .bind(reporter.1)
            .bind(r.department_id)
            .bind(&r.source)
            .bind(&r.external_reporter)
            .bind(&r.title)
            .bind(&r.occurred_at)
            .bind(&r.discovered_at)
            .bind(&r.location)
            .bind(&r.assets)
            .bind(&r.personal_info)
            .bind(r.level)
            .bind(&r.details)
            .bind(&reported_at)
            .bind(&aware_on)
            .bind(profile_version_id)
            .bind(&now)
            .fetch_optional(w.conn())
            .await?
            .ok_or_else(|| StoreError::Invalid("報告者または課局等が見つかりません".into()))?
            .try_get(0)?,
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE incidents SET status = $1, department_id = (SELECT d.id FROM departments d WHERE d.id = $2 AND d.org_id = $3),
                     source = $4, external_reporter = $5, title = $6, occurred_at = $7, discovered_at = $8, location = $9, assets = $10,
                     personal_info = $11, level = $12, details = $13, reported_at = $14, aware_on = $15, profile_version_id = $16, updated_at = $17
                     WHERE org_id = $3 AND id = $18 AND status = 'draft' AND reporter_person_id = $19",
                )
                .bind(status)
                .bind(r.department_id)
                .bind(org_id)
                .bind(&r.source)
                .bind(&r.external_reporter)
                .bind(&r.title)
                .bind(&r.occurred_at)
                .bind(&r.discovered_at)
                .bind(&r.location)
                .bind(&r.assets)
                .bind(&r.personal_info)
                .bind(r.level)
                .bind(&r.details)
                .bind(&reported_at)
                .bind(&aware_on)
                .bind(profile_version_id)
                .bind(&now)
                .bind(id)
                .bind(reporter.0)
                .execute(w.conn())
                .await?
                .rows_affected();
                if n != 1 {
                    return Err(StoreError::WrongState(format!("報告 {id} は下書きではないか、あなたの下書きではありません")));
                }
                id
            }
        };
        let mut payload = serde_json::json!({
            "status": status, "department_id": r.department_id, "source": r.source, "title": r.title, "occurred_at": r.occurred_at,
            "discovered_at": r.discovered_at, "location": r.location, "assets": r.assets, "personal_info": r.personal_info,
            "level": r.level, "details": r.details,
        });
        if let Some((notices, mail)) = send {
            insert_notices(w.conn(), org_id, id, notices, &now, mail).await?;
            payload["notices"] = notice_payload(notices);
        }
        let action = if send.is_some() { "incident.report" } else { "incident.draft" };
        let mut event = NewEvent::new(action, "incident", id, payload);
        if !r.external_reporter.is_empty() {
            event = event.with_personal("external_reporter", &r.external_reporter);
        }
        w.commit(actor, event).await?;
        self.incident(org_id, id).await
    }

    pub async fn incident(&self, org_id: i64, id: i64) -> Result<Incident> {
        self.one_by_id(SELECT, "i", org_id, id, "incident", incident).await
    }

    /// Incidents, newest first. With no restriction set, all of the organization's sent
    /// reports; the restrictions widen from nothing: reports by this person, in these
    /// departments, or of which this person was told.
    pub async fn incidents(&self, org_id: i64, f: &IncidentFilter) -> Result<Vec<Incident>> {
        let mut sql = format!("{SELECT} WHERE i.org_id = $1");
        let mut any = Vec::new();
        if let Some(p) = f.reporter_person_id {
            any.push(format!("i.reporter_person_id = {p}"));
        }
        if let Some(ids) = &f.department_ids {
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            any.push(format!("i.department_id IN ({})", if list.is_empty() { "NULL".to_owned() } else { list.join(",") }));
        }
        if let Some(p) = f.noticed_person_id {
            any.push(format!("i.id IN (SELECT incident_id FROM incident_notices WHERE person_id = {p})"));
        }
        if !any.is_empty() {
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        // Ids are integers, never user text.
        match f.include_drafts_of {
            Some(p) => sql.push_str(&format!(" AND (i.status <> 'draft' OR i.reporter_person_id = {p})")),
            None => sql.push_str(" AND i.status <> 'draft'"),
        }
        if f.open_only {
            sql.push_str(" AND i.status NOT IN ('closed')");
        }
        sql.push_str(&format!(" ORDER BY i.id DESC LIMIT {}", f.limit.clamp(1, 1000)));
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(incident).collect()
    }

    pub async fn incident_notices(&self, org_id: i64, incident_id: i64) -> Result<Vec<Notice>> {
        let rows = sqlx::query(&format!("{NOTICE_SELECT} WHERE n.org_id = $1 AND n.incident_id = $2 ORDER BY n.id"))
            .bind(org_id)
            .bind(incident_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(notice).collect()
    }

    /// The notices a person has not acknowledged yet.
    pub async fn open_notices_for(&self, org_id: i64, person_id: i64) -> Result<Vec<Notice>> {
        let rows = sqlx::query(&format!(
            "{NOTICE_SELECT} WHERE n.org_id = $1 AND n.person_id = $2 AND n.acknowledged_at IS NULL ORDER BY n.id DESC LIMIT 200"
        ))
        .bind(org_id)
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice).collect()
    }

    /// Acknowledges (受領) every open notice of this incident addressed to this person.
    pub async fn acknowledge_notices(&self, org_id: i64, incident_id: i64, person_id: i64, actor: &Actor) -> Result<usize> {
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let n = sqlx::query(
            "UPDATE incident_notices SET acknowledged_at = $1 WHERE org_id = $2 AND incident_id = $3 AND person_id = $4 AND acknowledged_at IS NULL",
        )
        .bind(&now)
        .bind(org_id)
        .bind(incident_id)
        .bind(person_id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::WrongState("確認が必要な通知はありません".into()));
        }
        w.commit(
            actor,
            NewEvent::new("incident.acknowledge", "incident", incident_id, serde_json::json!({"person_id": person_id, "notices": n})),
        )
        .await?;
        Ok(n as usize)
    }

    /// Notices of every organization that are unacknowledged, not yet escalated, and due at
    /// or before `now` (RFC 3339 in +09:00, which orders as text).
    pub async fn due_notices(&self, now: &str) -> Result<Vec<Notice>> {
        let rows = sqlx::query(&format!(
            "{NOTICE_SELECT} WHERE n.acknowledged_at IS NULL AND n.escalated_at IS NULL AND n.acknowledge_by <= $1 AND i.status <> 'closed' ORDER BY n.id LIMIT 500"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notice).collect()
    }

    /// Marks a notice escalated and creates the notices to the next role, in one change.
    /// A notice escalated already (by a racing process) is a conflict.
    pub async fn escalate_notice(&self, n: &Notice, to: &[NewNotice], to_role: Option<&str>, mail: &str, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(n.org_id).await?;
        let now = now_text();
        let done =
            sqlx::query("UPDATE incident_notices SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL AND acknowledged_at IS NULL")
                .bind(&now)
                .bind(n.id)
                .execute(w.conn())
                .await?
                .rows_affected();
        if done != 1 {
            return Err(StoreError::WrongState(format!("通知 {} は確認済みか、上位へ通知済みです", n.id)));
        }
        insert_notices(w.conn(), n.org_id, n.incident_id, to, &now, mail).await?;
        w.commit(
            actor,
            NewEvent::new(
                "incident.escalate",
                "incident",
                n.incident_id,
                serde_json::json!({"notice_id": n.id, "from_person_id": n.person_id, "from_role": n.role, "to_role": to_role, "notices": notice_payload(to)}),
            )
            .with_result(if to.is_empty() { "no_one" } else { "ok" }),
        )
        .await?;
        Ok(())
    }

    /// Notices whose mail is still to be sent.
    pub async fn unmailed_notices(&self, limit: i64) -> Result<Vec<Notice>> {
        let rows = sqlx::query(&format!("{NOTICE_SELECT} WHERE n.mail_status = 'pending' ORDER BY n.id LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(notice).collect()
    }

    /// Records the outcome of mailing a notice: `sent`, `failed` (with the server's answer)
    /// or `no_address`.
    pub async fn set_notice_mail(&self, n: &Notice, outcome: &str, error: &str, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(n.org_id).await?;
        sqlx::query("UPDATE incident_notices SET mail_status = $1, mail_error = $2, mailed_at = $3 WHERE id = $4")
            .bind(outcome)
            .bind(error)
            .bind(now_text())
            .bind(n.id)
            .execute(w.conn())
            .await?;
        w.commit(
            actor,
            NewEvent::new(
                "incident.mail",
                "incident",
                n.incident_id,
                serde_json::json!({"notice_id": n.id, "person_id": n.person_id, "error": error}),
            )
            .with_result(outcome),
        )
        .await?;
        Ok(())
    }

    /// Records CSIRT's assessment, and sends the notices a changed level adds.
    pub async fn triage_incident(
        &self,
        org_id: i64,
        id: i64,
        t: &Triage,
        notices: &[NewNotice],
        mail: &str,
        actor: &Actor,
    ) -> Result<Incident> {
        if t.reason.trim().is_empty() {
            return Err(StoreError::Invalid("インシデントであるか否かの判断理由を記入してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let n = sqlx::query(
            "UPDATE incidents SET status = 'triaged', is_incident = $1, triage_reason = $2, triaged_by_person_id = $3, triaged_at = $4,
             level = $5, facts = $6, aware_on = $7, updated_at = $4 WHERE org_id = $8 AND id = $9 AND status IN ('reported', 'triaged')",
        )
        .bind(i64::from(t.is_incident))
        .bind(t.reason.trim())
        .bind(t.person_id)
        .bind(&now)
        .bind(t.level)
        .bind(t.facts.to_string())
        .bind(&t.aware_on)
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("報告 {id} は評価できる状態ではありません（下書きか、対応完了）")));
        }
        insert_notices(w.conn(), org_id, id, notices, &now, mail).await?;
        w.commit(
            actor,
            NewEvent::new(
                "incident.triage",
                "incident",
                id,
                serde_json::json!({"is_incident": t.is_incident, "reason": t.reason.trim(), "level": t.level, "facts": t.facts,
                                   "aware_on": t.aware_on, "notices": notice_payload(notices)}),
            )
            .with_result(if t.is_incident { "incident" } else { "not_incident" }),
        )
        .await?;
        self.incident(org_id, id).await
    }

    pub async fn record_findings(&self, org_id: i64, id: i64, f: &Findings, actor: &Actor) -> Result<Incident> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE incidents SET cause = $1, impact = $2, response = $3, recurrence_prevention = $4, updated_at = $5
             WHERE org_id = $6 AND id = $7 AND status IN ('reported', 'triaged')",
        )
        .bind(f.cause.trim())
        .bind(f.impact.trim())
        .bind(f.response.trim())
        .bind(f.recurrence_prevention.trim())
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("報告 {id} には記録できません（下書きか、対応完了）")));
        }
        w.commit(
            actor,
            NewEvent::new(
                "incident.findings",
                "incident",
                id,
                serde_json::json!({"cause": f.cause.trim(), "impact": f.impact.trim(), "response": f.response.trim(), "recurrence_prevention": f.recurrence_prevention.trim()}),
            ),
        )
        .await?;
        self.incident(org_id, id).await
    }

    /// Closes a triaged incident once none of its tasks is open.
    pub async fn close_incident(&self, org_id: i64, id: i64, actor: &Actor) -> Result<Incident> {
        let open: i64 = sqlx::query("SELECT COUNT(*) FROM incident_tasks WHERE org_id = $1 AND incident_id = $2 AND status = 'open'")
            .bind(org_id)
            .bind(id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if open > 0 {
            return Err(StoreError::WrongState(format!(
                "未完了の指示・対策が {open} 件あります。完了を記録してから対応完了にしてください"
            )));
        }
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let n = sqlx::query(
            "UPDATE incidents SET status = 'closed', closed_at = $1, updated_at = $1 WHERE org_id = $2 AND id = $3 AND status = 'triaged'",
        )
        .bind(&now)
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("報告 {id} は CSIRT の評価前か、対応完了済みです")));
        }
        w.commit(actor, NewEvent::new("incident.close", "incident", id, serde_json::json!({}))).await?;
        self.incident(org_id, id).await
    }

    pub async fn add_incident_task(&self, org_id: i64, incident_id: i64, t: &NewTask, actor: &Actor) -> Result<i64> {
        if t.description.trim().is_empty() {
            return Err(StoreError::Invalid("指示の内容を記入してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO incident_tasks (org_id, incident_id, kind, assignee_person_id, system_id, description, due_on, created_by_person_id, created_at)
             SELECT $1, i.id, $3, p.id, $5, $6, $7, $8, $9 FROM incidents i JOIN people p ON p.id = $4 AND p.org_id = $1
             WHERE i.id = $2 AND i.org_id = $1 AND i.status <> 'draft' AND i.status <> 'closed' RETURNING id",
        )
        .bind(org_id)
        .bind(incident_id)
        .bind(&t.kind)
        .bind(t.assignee_person_id)
        .bind(t.system_id)
        .bind(t.description.trim())
        .bind(&t.due_on)
        .bind(t.created_by_person_id)
        .bind(now_text())
        .fetch_optional(w.conn())
        .await?
        .ok_or_else(|| StoreError::Invalid("報告が対応中でないか、担当者が見つかりません".into()))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "incident.task",
                "incident",
                incident_id,
                serde_json::json!({"task_id": id, "kind": t.kind, "assignee_person_id": t.assignee_person_id, "system_id": t.system_id,
                                   "description": t.description.trim(), "due_on": t.due_on}),
            ),
        )
        .await?;
        Ok(id)
    }

    pub async fn complete_incident_task(&self, org_id: i64, incident_id: i64, task_id: i64, result: &str, actor: &Actor) -> Result<()> {
        if result.trim().is_empty() {
            return Err(StoreError::Invalid("実施した内容（結果）を記入してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE incident_tasks SET status = 'done', result = $1, done_at = $2 WHERE org_id = $3 AND incident_id = $4 AND id = $5 AND status = 'open'",
        )
        .bind(result.trim())
        .bind(now_text())
        .bind(org_id)
        .bind(incident_id)
        .bind(task_id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("指示 {task_id} は完了済みか、見つかりません")));
        }
        w.commit(
            actor,
            NewEvent::new("incident.task_done", "incident", incident_id, serde_json::json!({"task_id": task_id, "result": result.trim()})),
        )
        .await?;
        Ok(())
    }

    pub async fn incident_tasks(&self, org_id: i64, incident_id: i64) -> Result<Vec<Task>> {
        let rows = sqlx::query(&format!("{TASK_SELECT} WHERE t.org_id = $1 AND t.incident_id = $2 ORDER BY t.id"))
            .bind(org_id)
            .bind(incident_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(task).collect()
    }

    pub async fn open_tasks_for(&self, org_id: i64, person_id: i64) -> Result<Vec<Task>> {
        let rows =
            sqlx::query(&format!("{TASK_SELECT} WHERE t.org_id = $1 AND t.assignee_person_id = $2 AND t.status = 'open' ORDER BY t.id"))
                .bind(org_id)
                .bind(person_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(task).collect()
    }

    /// Records that an external report was made (報告日, 報告者, 備考).
    pub async fn file_external_report(&self, org_id: i64, incident_id: i64, f: &NewFiling, actor: &Actor) -> Result<()> {
        let (report_id, filed_on, person_id, note) = (f.report_id.as_str(), f.filed_on.as_str(), f.person_id, f.note.as_str());
        let mut w = self.begin_write(org_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO incident_external_filings (org_id, incident_id, report_id, filed_on, filed_by_person_id, note, created_at)
             SELECT $1, i.id, $3, $4, $5, $6, $7 FROM incidents i WHERE i.id = $2 AND i.org_id = $1 AND i.status <> 'draft'
             AND NOT EXISTS (SELECT 1 FROM incident_external_filings f WHERE f.incident_id = $2 AND f.report_id = $3)",
        )
        .bind(org_id)
        .bind(incident_id)
        .bind(report_id)
        .bind(filed_on)
        .bind(person_id)
        .bind(note.trim())
        .bind(now_text())
        .execute(w.conn())
        .await?
        .rows_affected();
        if inserted != 1 {
            return Err(StoreError::WrongState(format!("外部への報告「{report_id}」は記録済みです")));
        }
        w.commit(
            actor,
            NewEvent::new(
                "incident.external_report",
                "incident",
                incident_id,
                serde_json::json!({"report_id": report_id, "filed_on": filed_on, "note": note.trim()}),
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn external_filings(&self, org_id: i64, incident_id: i64) -> Result<Vec<Filing>> {
        let rows = sqlx::query(
            "SELECT f.report_id, f.filed_on, f.note, p.name AS filed_by_name FROM incident_external_filings f JOIN people p ON p.id = f.filed_by_person_id
             WHERE f.org_id = $1 AND f.incident_id = $2 ORDER BY f.id",
        )
        .bind(org_id)
        .bind(incident_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Filing {
                    report_id: r.try_get("report_id")?,
                    filed_on: r.try_get("filed_on")?,
                    filed_by_name: r.try_get("filed_by_name")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Records that a person is away from `starts_on` to `ends_on` (inclusive, `YYYY-MM-DD`).
    pub async fn add_absence(&self, org_id: i64, person_id: i64, starts_on: &str, ends_on: &str, note: &str, actor: &Actor) -> Result<i64> {
        if ends_on < starts_on {
            return Err(StoreError::Invalid("不在の終了日が開始日より前です".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO absences (org_id, person_id, starts_on, ends_on, note, created_at) SELECT $1, p.id, $3, $4, $5, $6 FROM people p
             WHERE p.id = $2 AND p.org_id = $1 RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(starts_on)
        .bind(ends_on)
        .bind(note.trim())
        .bind(now_text())
        .fetch_optional(w.conn())
        .await?
        .ok_or(StoreError::NotFound("person"))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "absence.add",
                "person",
                person_id,
                serde_json::json!({"absence_id": id, "starts_on": starts_on, "ends_on": ends_on, "note": note.trim()}),
            ),
        )
        .await?;
        Ok(id)
    }

    /// Absences that include `day` (`YYYY-MM-DD`), or that end on or after it when `upcoming`.
    pub async fn absences(&self, org_id: i64, day: &str, upcoming: bool) -> Result<Vec<Absence>> {
        let cond = if upcoming { "a.ends_on >= $2" } else { "a.starts_on <= $2 AND a.ends_on >= $2" };
        let rows = sqlx::query(&format!(
            "SELECT a.*, p.name AS person_name FROM absences a JOIN people p ON p.id = a.person_id WHERE a.org_id = $1 AND {cond} ORDER BY a.starts_on, a.id"
        ))
        .bind(org_id)
        .bind(day)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Absence {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    person_name: r.try_get("person_name")?,
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }
}

/// A file attached to a report (a screenshot, the suspicious mail, a log). Its SHA-256 goes
/// into the change record, so the evidence can later be shown to be the one attached.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub person_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub incident_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by_name: String,
    pub created_at: String,
}

/// The largest attachment kept (10 MiB).
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

fn attachment(r: &AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: r.try_get("id")?,
        incident_id: r.try_get("incident_id")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        uploaded_by_name: r.try_get("uploaded_by_name")?,
        created_at: r.try_get("created_at")?,
    })
}

const ATTACHMENT_SELECT: &str =
    "SELECT a.id, a.incident_id, a.file_name, a.content_type, a.size, a.sha256, a.created_at, p.name AS uploaded_by_name
    FROM incident_attachments a JOIN people p ON p.id = a.uploaded_by_person_id";

impl Store {
    pub async fn add_incident_attachment(&self, org_id: i64, incident_id: i64, a: &NewAttachment, actor: &Actor) -> Result<Attachment> {
        if a.content.is_empty() {
            return Err(StoreError::Invalid("添付するファイルが空です".into()));
        }
        if a.content.len() > MAX_ATTACHMENT {
            return Err(StoreError::Invalid(format!("添付ファイルは10MBまでです（{}バイト）", a.content.len())));
        }
        let sha256 = hex::encode(sha2::Sha256::digest(&a.content));
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO incident_attachments (org_id, incident_id, file_name, content_type, size, sha256, content, uploaded_by_person_id, created_at)
             SELECT $1, i.id, $3, $4, $5, $6, $7, $8, $9 FROM incidents i WHERE i.id = $2 AND i.org_id = $1 AND i.status <> 'closed' RETURNING id",
        )
        .bind(org_id)
        .bind(incident_id)
        .bind(&a.file_name)
        .bind(&a.content_type)
        .bind(a.content.len() as i64)
        .bind(&sha256)
        .bind(a.content.clone())
        .bind(a.person_id)
        .bind(now_text())
        .fetch_optional(w.conn())
        .await?
        .ok_or_else(|| StoreError::WrongState("対応完了の報告には添付できません".into()))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "incident.attach",
                "incident",
                incident_id,
                serde_json::json!({"attachment_id": id, "file_name": a.file_name, "content_type": a.content_type, "size": a.content.len(), "sha256": sha256}),
            ),
        )
        .await?;
        let rows = self.incident_attachments(org_id, incident_id).await?;
        rows.into_iter().find(|x| x.id == id).ok_or(StoreError::NotFound("attachment"))
    }

    pub async fn incident_attachments(&self, org_id: i64, incident_id: i64) -> Result<Vec<Attachment>> {
        let rows = sqlx::query(&format!("{ATTACHMENT_SELECT} WHERE a.org_id = $1 AND a.incident_id = $2 ORDER BY a.id"))
            .bind(org_id)
            .bind(incident_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(attachment).collect()
    }

    /// An attachment and its bytes, checked against the hash recorded when it was attached.
    pub async fn incident_attachment_content(&self, org_id: i64, incident_id: i64, id: i64) -> Result<(Attachment, Vec<u8>)> {
        let row = sqlx::query(&format!("{ATTACHMENT_SELECT} WHERE a.org_id = $1 AND a.incident_id = $2 AND a.id = $3"))
            .bind(org_id)
            .bind(incident_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("attachment"))?;
        let a = attachment(&row)?;
        let content: Vec<u8> =
            sqlx::query("SELECT content FROM incident_attachments WHERE id = $1").bind(id).fetch_one(&self.pool).await?.try_get(0)?;
        if hex::encode(sha2::Sha256::digest(&content)) != a.sha256 {
            return Err(StoreError::Invalid(format!("添付ファイル {id} の内容が記録時のハッシュと一致しません（改ざんの疑い）")));
        }
        Ok((a, content))
    }
}

impl Store {
    /// Open incidents that CSIRT assessed as incidents, of every organization: (org, incident).
    pub async fn confirmed_open_incidents(&self) -> Result<Vec<(i64, Incident)>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE i.is_incident = 1 AND i.status = 'triaged' ORDER BY i.id LIMIT 1000"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("org_id")?, incident(r)?))).collect()
    }

    /// Claims the reminder of one external report's deadline for `day`: true (and recorded)
    /// the first time, false when it was already sent that day.
    pub async fn claim_deadline_reminder(&self, org_id: i64, incident_id: i64, report_id: &str, day: &str, actor: &Actor) -> Result<bool> {
        let seen: i64 = sqlx::query("SELECT COUNT(*) FROM incident_reminders WHERE incident_id = $1 AND report_id = $2 AND day = $3")
            .bind(incident_id)
            .bind(report_id)
            .bind(day)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        if seen > 0 {
            return Ok(false);
        }
        let mut w = self.begin_write(org_id).await?;
        sqlx::query("INSERT INTO incident_reminders (org_id, incident_id, report_id, day, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(org_id)
            .bind(incident_id)
            .bind(report_id)
            .bind(day)
            .bind(now_text())
            .execute(w.conn())
            .await?;
        w.commit(actor, NewEvent::new("incident.remind", "incident", incident_id, serde_json::json!({"report_id": report_id, "day": day})))
            .await?;
        Ok(true)
    }
}
