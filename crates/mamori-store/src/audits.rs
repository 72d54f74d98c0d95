//! Audits (監査, 対策基準9.1): a yearly plan approved by the committee or the 統括, auditors
//! independent of what they audit, findings with severity, improvement plans assigned to the
//! responsible 管理者 with progress reports until closed, "the same issue elsewhere?" checks
//! in other departments, and evidence files whose hashes are in the change record. The
//! improvement plans also serve the self-assessment's measures.

use mamori_policy::yearly::FiscalYear;
use serde::Serialize;
use sha2::Digest;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

pub use mamori_policy::workflow::{AuditStatus, CheckStatus, PlanStatus};

pub const SEVERITIES: &[(&str, &str)] = &[("major", "重大"), ("minor", "軽微"), ("observation", "改善提案")];

pub fn severity_label(code: &str) -> &'static str {
    SEVERITIES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("不明")
}

#[derive(Debug, Clone)]
pub struct NewAudit {
    pub fiscal_year: FiscalYear,
    pub title: String,
    pub scope: String,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub id: i64,
    pub fiscal_year: i32,
    pub title: String,
    pub scope: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: AuditStatus,
    pub approved_by_name: Option<String>,
    pub approved_as: Option<String>,
    pub approved_at: Option<String>,
    pub report: String,
    pub created_by_person_id: Option<i64>,
    pub created_at: String,
}

fn audit(r: &AnyRow) -> Result<Audit> {
    Ok(Audit {
        id: r.try_get("id")?,
        fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?).unwrap_or_default(),
        title: r.try_get("title")?,
        scope: r.try_get("scope")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        status: crate::typed(r, "status")?,
        approved_by_name: r.try_get("approved_by_name")?,
        approved_as: r.try_get("approved_as")?,
        approved_at: r.try_get("approved_at")?,
        report: r.try_get("report")?,
        created_by_person_id: r.try_get("created_by_person_id")?,
        created_at: r.try_get("created_at")?,
    })
}

const AUDIT_SELECT: &str = "SELECT a.*, p.name AS approved_by_name FROM audits a LEFT JOIN people p ON p.id = a.approved_by_person_id";

/// An auditor to assign to a department of an audit.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub auditor_person_id: i64,
    pub department_id: i64,
    /// Why a conflict cannot be avoided; empty when there is none.
    pub override_reason: String,
    pub assigned_by: Option<i64>,
    /// The profile's roles whose holder for a department is not independent of it (its
    /// 情報セキュリティ管理者・担当者, as the profile names them).
    pub audited_roles: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    pub id: i64,
    pub audit_id: i64,
    pub auditor_person_id: i64,
    pub auditor_name: String,
    pub department_id: i64,
    pub department_name: String,
    /// Why the auditor is not independent of the department, when they are not.
    pub conflict: String,
    pub override_reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: i64,
    pub audit_id: i64,
    pub audit_title: String,
    pub fiscal_year: i32,
    pub department_id: i64,
    pub department_name: String,
    pub clause: String,
    pub description: String,
    pub severity: String,
    pub recorded_by_name: String,
    pub recorded_at: String,
}

fn finding(r: &AnyRow) -> Result<Finding> {
    Ok(Finding {
        id: r.try_get("id")?,
        audit_id: r.try_get("audit_id")?,
        audit_title: r.try_get("audit_title")?,
        fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?).unwrap_or_default(),
        department_id: r.try_get("department_id")?,
        department_name: r.try_get("department_name")?,
        clause: r.try_get("clause")?,
        description: r.try_get("description")?,
        severity: r.try_get("severity")?,
        recorded_by_name: r.try_get("recorded_by_name")?,
        recorded_at: r.try_get("recorded_at")?,
    })
}

const FINDING_SELECT: &str = "SELECT f.*, a.title AS audit_title, a.fiscal_year, d.name AS department_name, p.name AS recorded_by_name
    FROM audit_findings f JOIN audits a ON a.id = f.audit_id JOIN departments d ON d.id = f.department_id JOIN people p ON p.id = f.recorded_by_person_id";

#[derive(Debug, Clone)]
pub struct NewFinding {
    pub department_id: i64,
    pub clause: String,
    pub description: String,
    pub severity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingCheck {
    pub id: i64,
    pub finding_id: i64,
    pub department_id: i64,
    pub department_name: String,
    pub status: CheckStatus,
    pub note: String,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPlan {
    pub fiscal_year: FiscalYear,
    pub finding_id: Option<i64>,
    pub assessment_item_id: Option<i64>,
    pub department_id: i64,
    pub responsible_person_id: i64,
    pub description: String,
    pub due_on: chrono::NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: i64,
    pub fiscal_year: i32,
    pub finding_id: Option<i64>,
    pub assessment_item_id: Option<i64>,
    pub department_id: i64,
    pub department_name: String,
    pub responsible_person_id: i64,
    pub responsible_name: String,
    pub description: String,
    pub due_on: String,
    pub status: PlanStatus,
    pub closing_note: String,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub last_progress_at: Option<String>,
}

impl Plan {
    /// Open past its date on `today` (`YYYY-MM-DD`).
    pub fn overdue_on(&self, today: &str) -> bool {
        self.status == PlanStatus::Open && self.due_on.as_str() < today
    }
}

fn plan(r: &AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: r.try_get("id")?,
        fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?).unwrap_or_default(),
        finding_id: r.try_get("finding_id")?,
        assessment_item_id: r.try_get("assessment_item_id")?,
        department_id: r.try_get("department_id")?,
        department_name: r.try_get("department_name")?,
        responsible_person_id: r.try_get("responsible_person_id")?,
        responsible_name: r.try_get("responsible_name")?,
        description: r.try_get("description")?,
        due_on: r.try_get("due_on")?,
        status: crate::typed(r, "status")?,
        closing_note: r.try_get("closing_note")?,
        closed_at: r.try_get("closed_at")?,
        created_at: r.try_get("created_at")?,
        last_progress_at: r.try_get("last_progress_at")?,
    })
}

const PLAN_SELECT: &str = "SELECT x.*, d.name AS department_name, p.name AS responsible_name,
    (SELECT MAX(g.reported_at) FROM improvement_progress g WHERE g.plan_id = x.id) AS last_progress_at
    FROM improvement_plans x JOIN departments d ON d.id = x.department_id JOIN people p ON p.id = x.responsible_person_id";

#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub note: String,
    pub reported_by_name: String,
    pub reported_at: String,
}

/// A file kept as evidence of an assessment item or an audit.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub owner_kind: String,
    pub owner_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by_name: String,
    pub created_at: String,
}

/// A file to keep as evidence.
#[derive(Debug, Clone, Copy)]
pub struct NewEvidence<'a> {
    /// `assessment_item` or `audit`.
    pub owner_kind: &'a str,
    pub owner_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
    pub person_id: i64,
}

pub const EVIDENCE_KINDS: &[&str] = &["assessment_item", "audit"];

/// The largest evidence file kept (10 MiB).
pub const MAX_EVIDENCE: usize = 10 * 1024 * 1024;

const EVIDENCE_SELECT: &str =
    "SELECT e.id, e.owner_kind, e.owner_id, e.file_name, e.content_type, e.size, e.sha256, e.created_at, p.name AS uploaded_by_name
    FROM evidence_files e JOIN people p ON p.id = e.uploaded_by_person_id";

fn evidence(r: &AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: r.try_get("id")?,
        owner_kind: r.try_get("owner_kind")?,
        owner_id: r.try_get("owner_id")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        uploaded_by_name: r.try_get("uploaded_by_name")?,
        created_at: r.try_get("created_at")?,
    })
}

fn check_text(what: &str, text: &str, max: usize) -> Result<()> {
    if text.trim().is_empty() {
        return Err(StoreError::Invalid(format!("{what}を入力してください")));
    }
    if text.chars().count() > max {
        return Err(StoreError::Invalid(format!("{what}は{max}字以内で入力してください")));
    }
    Ok(())
}

impl Store {
    pub async fn create_audit(&self, org_id: i64, a: &NewAudit, person_id: Option<i64>, actor: &Actor) -> Result<Audit> {
        check_text("監査の名称", &a.title, 200)?;
        if a.scope.chars().count() > 1000 {
            return Err(StoreError::Invalid("監査の範囲は1000字以内で入力してください".into()));
        }
        if a.ends_on < a.starts_on {
            return Err(StoreError::Invalid("監査の終了日が開始日より前です".into()));
        }
        if !a.fiscal_year.contains(a.starts_on) {
            return Err(StoreError::Invalid(format!("開始日 {} が{}の中にありません", a.starts_on, a.fiscal_year.label_ja())));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO audits (org_id, fiscal_year, title, scope, starts_on, ends_on, status, created_by_person_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'planned', $7, $8) RETURNING id",
        )
        .bind(org_id)
        .bind(i64::from(a.fiscal_year.0))
        .bind(a.title.trim())
        .bind(a.scope.trim())
        .bind(a.starts_on.to_string())
        .bind(a.ends_on.to_string())
        .bind(person_id)
        .bind(now_text())
        .fetch_one(w.conn())
        .await?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "audit.plan",
                "audit",
                id,
                serde_json::json!({"fiscal_year": a.fiscal_year.0, "title": a.title.trim(), "scope": a.scope.trim(), "starts_on": a.starts_on.to_string(), "ends_on": a.ends_on.to_string()}),
            ),
        )
        .await?;
        self.audit(org_id, id).await
    }

    pub async fn audit(&self, org_id: i64, id: i64) -> Result<Audit> {
        self.one_by_id(AUDIT_SELECT, "a", org_id, id, "audit", audit).await
    }

    pub async fn audits(&self, org_id: i64, year: Option<FiscalYear>) -> Result<Vec<Audit>> {
        let mut sql = format!("{AUDIT_SELECT} WHERE a.org_id = $1");
        if let Some(y) = year {
            sql.push_str(&format!(" AND a.fiscal_year = {}", y.0));
        }
        sql.push_str(" ORDER BY a.fiscal_year DESC, a.starts_on, a.id");
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(audit).collect()
    }

    /// The committee or the 統括 approves the plan (9.1(3)①); not the person who drew it up.
    pub async fn approve_audit(&self, org_id: i64, id: i64, person_id: i64, approved_as: &str, actor: &Actor) -> Result<Audit> {
        let a = self.audit(org_id, id).await?;
        if a.created_by_person_id == Some(person_id) {
            return Err(StoreError::Invalid("監査実施計画を立案した人は、その計画を承認できません（兼務の禁止）".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE audits SET status = 'approved', approved_by_person_id = $1, approved_as = $2, approved_at = $3 WHERE org_id = $4 AND id = $5 AND status = 'planned'")
            .bind(person_id)
            .bind(approved_as)
            .bind(now_text())
            .bind(org_id)
            .bind(id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("監査 {id} は承認済みです")));
        }
        w.commit(
            actor,
            NewEvent::new("audit.approve", "audit", id, serde_json::json!({"approved_as": approved_as})).with_result("approved"),
        )
        .await?;
        self.audit(org_id, id).await
    }

    /// Why `auditor` is not independent of `department_id`, if they are not: it is their own
    /// department, or they hold one of `audited_roles` for it.
    pub async fn auditor_conflict(
        &self,
        org_id: i64,
        auditor: i64,
        department_id: i64,
        audited_roles: &[String],
    ) -> Result<Option<String>> {
        let own: Option<i64> = sqlx::query_scalar("SELECT department_id FROM people WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(auditor)
            .fetch_optional(&self.pool)
            .await?;
        let Some(own) = own else { return Err(StoreError::NotFound("person")) };
        if own == department_id {
            return Ok(Some("監査を行う者の所属課局です".into()));
        }
        let roles = self.roles_of_person(auditor).await?;
        if let Some(r) = roles.iter().find(|r| r.department_id == Some(department_id) && audited_roles.contains(&r.role)) {
            return Ok(Some(format!("監査を行う者がこの課局の役割（{}）を持っています", r.role)));
        }
        Ok(None)
    }

    /// Assigns an auditor to a department of the audit. One who is not independent of it
    /// (9.1(2)①) is refused unless `override_reason` records why it cannot be avoided.
    pub async fn assign_auditor(&self, org_id: i64, audit_id: i64, a: &NewAssignment, actor: &Actor) -> Result<Assignment> {
        let (auditor, department_id, override_reason, assigned_by) =
            (a.auditor_person_id, a.department_id, a.override_reason.as_str(), a.assigned_by);
        self.audit(org_id, audit_id).await?;
        self.department(org_id, department_id).await?;
        let conflict = self.auditor_conflict(org_id, auditor, department_id, &a.audited_roles).await?;
        let reason = override_reason.trim();
        if let Some(c) = &conflict {
            if reason.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "監査を行う者は被監査課局から独立していなければなりません: {c}。やむを得ず割り当てる場合は、その理由を記録してください"
                )));
            }
        }
        if reason.chars().count() > 1000 {
            return Err(StoreError::Invalid("理由は1000字以内で入力してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO audit_assignments (org_id, audit_id, auditor_person_id, department_id, conflict, override_reason, assigned_by_person_id, assigned_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(org_id)
        .bind(audit_id)
        .bind(auditor)
        .bind(department_id)
        .bind(conflict.clone().unwrap_or_default())
        .bind(if conflict.is_some() { reason } else { "" })
        .bind(assigned_by)
        .bind(now_text())
        .fetch_one(w.conn())
        .await
        .map_err(|e| StoreError::from(e).on_unique("この監査を行う者はこの課局に割当て済みです"))?
        .try_get(0)?;
        let mut event = NewEvent::new(
            "audit.assign",
            "audit",
            audit_id,
            serde_json::json!({"assignment_id": id, "auditor_person_id": auditor, "department_id": department_id, "conflict": conflict, "override_reason": conflict.as_ref().map(|_| reason)}),
        );
        if conflict.is_some() {
            event = event.with_result("separation_of_duties_overridden");
        }
        w.commit(actor, event).await?;
        self.audit_assignments(org_id, audit_id).await?.into_iter().find(|a| a.id == id).ok_or(StoreError::NotFound("assignment"))
    }

    pub async fn audit_assignments(&self, org_id: i64, audit_id: i64) -> Result<Vec<Assignment>> {
        let rows = sqlx::query(
            "SELECT s.*, p.name AS auditor_name, d.name AS department_name FROM audit_assignments s
             JOIN people p ON p.id = s.auditor_person_id JOIN departments d ON d.id = s.department_id
             WHERE s.org_id = $1 AND s.audit_id = $2 ORDER BY s.id",
        )
        .bind(org_id)
        .bind(audit_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Assignment {
                    id: r.try_get("id")?,
                    audit_id: r.try_get("audit_id")?,
                    auditor_person_id: r.try_get("auditor_person_id")?,
                    auditor_name: r.try_get("auditor_name")?,
                    department_id: r.try_get("department_id")?,
                    department_name: r.try_get("department_name")?,
                    conflict: r.try_get("conflict")?,
                    override_reason: r.try_get("override_reason")?,
                })
            })
            .collect()
    }

    /// The audits a person is assigned to as an auditor.
    pub async fn audits_of_auditor(&self, org_id: i64, person_id: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT audit_id FROM audit_assignments WHERE org_id = $1 AND auditor_person_id = $2")
                .bind(org_id)
                .bind(person_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(ids)
    }

    /// An auditor records a finding in a department assigned to them, once the plan is
    /// approved.
    pub async fn record_finding(&self, org_id: i64, audit_id: i64, f: &NewFinding, auditor: i64, actor: &Actor) -> Result<Finding> {
        let a = self.audit(org_id, audit_id).await?;
        if a.status == AuditStatus::Planned {
            return Err(StoreError::WrongState("監査実施計画が承認されていないため、指摘事項はまだ記録できません".into()));
        }
        check_text("指摘事項", &f.description, 2000)?;
        if !SEVERITIES.iter().any(|(c, _)| *c == f.severity) {
            return Err(StoreError::Invalid("重要度は 重大・軽微・改善提案 から選んでください".into()));
        }
        let assigned = self
            .audit_assignments(org_id, audit_id)
            .await?
            .iter()
            .any(|s| s.auditor_person_id == auditor && s.department_id == f.department_id);
        if !assigned {
            return Err(StoreError::Invalid("指摘事項を記録できるのは、その課局に割り当てられた監査を行う者です".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO audit_findings (org_id, audit_id, department_id, clause, description, severity, recorded_by_person_id, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(org_id)
        .bind(audit_id)
        .bind(f.department_id)
        .bind(f.clause.trim())
        .bind(f.description.trim())
        .bind(&f.severity)
        .bind(auditor)
        .bind(now_text())
        .fetch_one(w.conn())
        .await?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "audit.finding",
                "audit",
                audit_id,
                serde_json::json!({"finding_id": id, "department_id": f.department_id, "clause": f.clause.trim(), "description": f.description.trim(), "severity": f.severity}),
            )
            .with_result(&f.severity),
        )
        .await?;
        self.finding(org_id, id).await
    }

    pub async fn finding(&self, org_id: i64, id: i64) -> Result<Finding> {
        self.one_by_id(FINDING_SELECT, "f", org_id, id, "finding", finding).await
    }

    /// Findings of one audit, or of every audit of a fiscal year.
    pub async fn findings(&self, org_id: i64, audit_id: Option<i64>, year: Option<FiscalYear>) -> Result<Vec<Finding>> {
        let mut sql = format!("{FINDING_SELECT} WHERE f.org_id = $1");
        if let Some(a) = audit_id {
            sql.push_str(&format!(" AND f.audit_id = {a}"));
        }
        if let Some(y) = year {
            sql.push_str(&format!(" AND a.fiscal_year = {}", y.0));
        }
        sql.push_str(" ORDER BY f.id");
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(finding).collect()
    }

    /// The auditor's report of results to the committee or the 統括 (9.1(5)).
    pub async fn report_audit(&self, org_id: i64, id: i64, report: &str, actor: &Actor) -> Result<Audit> {
        check_text("監査結果の報告", report, 8000)?;
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE audits SET status = 'reported', report = $1 WHERE org_id = $2 AND id = $3 AND status = 'approved'")
            .bind(report.trim())
            .bind(org_id)
            .bind(id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState("承認済みで未報告の監査だけを報告できます".into()));
        }
        w.commit(actor, NewEvent::new("audit.report", "audit", id, serde_json::json!({"report": report.trim()})).with_result("reported"))
            .await?;
        self.audit(org_id, id).await
    }

    /// Asks other departments whether they have the same issue (9.1(7)②).
    pub async fn request_finding_checks(&self, org_id: i64, finding_id: i64, departments: &[i64], actor: &Actor) -> Result<usize> {
        let f = self.finding(org_id, finding_id).await?;
        let others: Vec<i64> = departments.iter().copied().filter(|d| *d != f.department_id).collect();
        if others.is_empty() {
            return Err(StoreError::Invalid("確認を依頼する、指摘を受けた課局以外の課局を選んでください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let mut added = Vec::new();
        for d in others {
            let n = sqlx::query(
                "INSERT INTO finding_checks (org_id, finding_id, department_id, status, created_at)
                 SELECT $1, $2, d.id, 'pending', $4 FROM departments d WHERE d.id = $3 AND d.org_id = $1
                 AND NOT EXISTS (SELECT 1 FROM finding_checks c WHERE c.finding_id = $2 AND c.department_id = d.id)",
            )
            .bind(org_id)
            .bind(finding_id)
            .bind(d)
            .bind(now_text())
            .execute(w.conn())
            .await?
            .rows_affected();
            if n == 1 {
                added.push(d);
            }
        }
        w.commit(
            actor,
            NewEvent::new(
                "audit.check_elsewhere",
                "audit",
                f.audit_id,
                serde_json::json!({"finding_id": finding_id, "departments": added}),
            ),
        )
        .await?;
        Ok(added.len())
    }

    pub async fn finding_checks(&self, org_id: i64, finding_id: Option<i64>) -> Result<Vec<FindingCheck>> {
        let mut sql = String::from(
            "SELECT c.*, d.name AS department_name, p.name AS answered_by_name FROM finding_checks c JOIN departments d ON d.id = c.department_id
             LEFT JOIN people p ON p.id = c.answered_by_person_id WHERE c.org_id = $1",
        );
        if let Some(f) = finding_id {
            sql.push_str(&format!(" AND c.finding_id = {f}"));
        }
        sql.push_str(" ORDER BY c.id");
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(FindingCheck {
                    id: r.try_get("id")?,
                    finding_id: r.try_get("finding_id")?,
                    department_id: r.try_get("department_id")?,
                    department_name: r.try_get("department_name")?,
                    status: crate::typed(r, "status")?,
                    note: r.try_get("note")?,
                    answered_by_name: r.try_get("answered_by_name")?,
                    answered_at: r.try_get("answered_at")?,
                })
            })
            .collect()
    }

    /// The department's answer: the same issue found here or not.
    pub async fn answer_finding_check(
        &self,
        org_id: i64,
        check_id: i64,
        found: bool,
        note: &str,
        person_id: i64,
        actor: &Actor,
    ) -> Result<()> {
        check_text("確認の結果", note, 2000)?;
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE finding_checks SET status = $1, note = $2, answered_by_person_id = $3, answered_at = $4 WHERE org_id = $5 AND id = $6 AND status = 'pending'")
            .bind(if found { "found" } else { "not_found" })
            .bind(note.trim())
            .bind(person_id)
            .bind(now_text())
            .bind(org_id)
            .bind(check_id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState("この確認は回答済みです".into()));
        }
        w.commit(
            actor,
            NewEvent::new("audit.check_answer", "finding_check", check_id, serde_json::json!({"found": found, "note": note.trim()})),
        )
        .await?;
        Ok(())
    }

    /// An improvement plan assigned to the responsible 管理者 (9.1(7)①, 9.2(2)).
    pub async fn create_plan(&self, org_id: i64, p: &NewPlan, created_by: Option<i64>, actor: &Actor) -> Result<Plan> {
        check_text("改善計画の内容", &p.description, 2000)?;
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO improvement_plans (org_id, fiscal_year, finding_id, assessment_item_id, department_id, responsible_person_id, description, due_on, status, created_by_person_id, created_at)
             SELECT $1, $2, $3, $4, d.id, p.id, $7, $8, 'open', $9, $10 FROM departments d, people p
             WHERE d.id = $5 AND d.org_id = $1 AND p.id = $6 AND p.org_id = $1 RETURNING id",
        )
        .bind(org_id)
        .bind(i64::from(p.fiscal_year.0))
        .bind(p.finding_id)
        .bind(p.assessment_item_id)
        .bind(p.department_id)
        .bind(p.responsible_person_id)
        .bind(p.description.trim())
        .bind(p.due_on.to_string())
        .bind(created_by)
        .bind(now_text())
        .fetch_optional(w.conn())
        .await?
        .ok_or(StoreError::NotFound("department or person"))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "improvement.plan",
                "improvement_plan",
                id,
                serde_json::json!({"finding_id": p.finding_id, "assessment_item_id": p.assessment_item_id, "department_id": p.department_id, "responsible_person_id": p.responsible_person_id, "description": p.description.trim(), "due_on": p.due_on.to_string()}),
            ),
        )
        .await?;
        self.plan(org_id, id).await
    }

    pub async fn plan(&self, org_id: i64, id: i64) -> Result<Plan> {
        self.one_by_id(PLAN_SELECT, "x", org_id, id, "improvement plan", plan).await
    }

    /// Plans, by due date; of one fiscal year when given.
    pub async fn plans(&self, org_id: i64, year: Option<FiscalYear>) -> Result<Vec<Plan>> {
        let mut sql = format!("{PLAN_SELECT} WHERE x.org_id = $1");
        if let Some(y) = year {
            sql.push_str(&format!(" AND x.fiscal_year = {}", y.0));
        }
        sql.push_str(" ORDER BY x.status DESC, x.due_on, x.id");
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(plan).collect()
    }

    pub async fn plan_progress(&self, org_id: i64, plan_id: i64) -> Result<Vec<Progress>> {
        let rows = sqlx::query(
            "SELECT g.note, g.reported_at, p.name AS reported_by_name FROM improvement_progress g JOIN people p ON p.id = g.reported_by_person_id
             WHERE g.org_id = $1 AND g.plan_id = $2 ORDER BY g.id",
        )
        .bind(org_id)
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Progress {
                    note: r.try_get("note")?,
                    reported_by_name: r.try_get("reported_by_name")?,
                    reported_at: r.try_get("reported_at")?,
                })
            })
            .collect()
    }

    /// A progress report on an open plan.
    pub async fn report_progress(&self, org_id: i64, plan_id: i64, note: &str, person_id: i64, actor: &Actor) -> Result<()> {
        check_text("進捗状況", note, 2000)?;
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "INSERT INTO improvement_progress (org_id, plan_id, note, reported_by_person_id, reported_at)
             SELECT $1, x.id, $3, $4, $5 FROM improvement_plans x WHERE x.id = $2 AND x.org_id = $1 AND x.status = 'open'",
        )
        .bind(org_id)
        .bind(plan_id)
        .bind(note.trim())
        .bind(person_id)
        .bind(now_text())
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState("完了した改善計画には進捗を報告できません".into()));
        }
        w.commit(actor, NewEvent::new("improvement.progress", "improvement_plan", plan_id, serde_json::json!({"note": note.trim()})))
            .await?;
        Ok(())
    }

    /// Closes a plan whose measures are complete.
    pub async fn close_plan(&self, org_id: i64, plan_id: i64, note: &str, person_id: i64, actor: &Actor) -> Result<Plan> {
        check_text("完了の内容", note, 2000)?;
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE improvement_plans SET status = 'closed', closing_note = $1, closed_by_person_id = $2, closed_at = $3 WHERE org_id = $4 AND id = $5 AND status = 'open'")
            .bind(note.trim())
            .bind(person_id)
            .bind(now_text())
            .bind(org_id)
            .bind(plan_id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState("この改善計画は完了済みです".into()));
        }
        w.commit(
            actor,
            NewEvent::new("improvement.close", "improvement_plan", plan_id, serde_json::json!({"note": note.trim()})).with_result("closed"),
        )
        .await?;
        self.plan(org_id, plan_id).await
    }

    /// Keeps a file as evidence (監査証拠, 点検の根拠); its hash goes into the change record.
    pub async fn add_evidence(&self, org_id: i64, e: &NewEvidence<'_>, actor: &Actor) -> Result<Evidence> {
        let NewEvidence { owner_kind, owner_id, file_name, content_type, content, person_id } = *e;
        let Some(kind) = EVIDENCE_KINDS.iter().copied().find(|k| *k == owner_kind) else {
            return Err(StoreError::Invalid(format!("証跡の対象「{owner_kind}」が分かりません")));
        };
        if content.is_empty() {
            return Err(StoreError::Invalid("証跡のファイルが空です".into()));
        }
        if content.len() > MAX_EVIDENCE {
            return Err(StoreError::Invalid(format!("証跡のファイルは10MBまでです（{}バイト）", content.len())));
        }
        let sha256 = hex::encode(sha2::Sha256::digest(content));
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO evidence_files (org_id, owner_kind, owner_id, file_name, content_type, size, sha256, content, uploaded_by_person_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(org_id)
        .bind(owner_kind)
        .bind(owner_id)
        .bind(file_name)
        .bind(content_type)
        .bind(content.len() as i64)
        .bind(&sha256)
        .bind(content.to_vec())
        .bind(person_id)
        .bind(now_text())
        .fetch_one(w.conn())
        .await?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "evidence.add",
                kind,
                owner_id,
                serde_json::json!({"evidence_id": id, "file_name": file_name, "size": content.len(), "sha256": sha256}),
            ),
        )
        .await?;
        let rows = self.evidence(org_id, owner_kind, owner_id).await?;
        rows.into_iter().find(|e| e.id == id).ok_or(StoreError::NotFound("evidence"))
    }

    pub async fn evidence(&self, org_id: i64, owner_kind: &str, owner_id: i64) -> Result<Vec<Evidence>> {
        let rows = sqlx::query(&format!("{EVIDENCE_SELECT} WHERE e.org_id = $1 AND e.owner_kind = $2 AND e.owner_id = $3 ORDER BY e.id"))
            .bind(org_id)
            .bind(owner_kind)
            .bind(owner_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(evidence).collect()
    }

    /// An evidence file and its bytes, checked against the hash recorded when it was kept.
    pub async fn evidence_content(&self, org_id: i64, id: i64) -> Result<(Evidence, Vec<u8>)> {
        let row = sqlx::query(&format!("{EVIDENCE_SELECT} WHERE e.org_id = $1 AND e.id = $2"))
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("evidence"))?;
        let e = evidence(&row)?;
        let content: Vec<u8> =
            sqlx::query_scalar("SELECT content FROM evidence_files WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
        if hex::encode(sha2::Sha256::digest(&content)) != e.sha256 {
            return Err(StoreError::Ledger(format!("証跡 {id} の内容が記録時のハッシュと一致しません")));
        }
        Ok((e, content))
    }
}
