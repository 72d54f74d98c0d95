//! Policy violations (違反時の対応, 志免町 7.6(2)): recorded by the 統括 or a 情報システム
//! 管理者等, notified to the person's 情報セキュリティ管理者; corrected under the 管理者's
//! guidance, or — if not — the 統括 suspends the person's rights in mamori, which locks their
//! accounts, and the CISO and the 管理者 are told.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

pub use mamori_policy::workflow::ViolationStatus;

#[derive(Debug, Clone)]
pub struct NewViolation {
    pub person_id: i64,
    pub found_by_person_id: i64,
    /// The role the finder acted in (`security_director`, `system_manager` …).
    pub found_as: String,
    pub description: String,
    pub clause: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub department_id: i64,
    pub department_name: String,
    pub found_by_name: String,
    pub found_as: String,
    pub description: String,
    pub clause: String,
    pub status: ViolationStatus,
    pub resolution: String,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<String>,
    pub created_at: String,
}

const SELECT: &str = "SELECT v.*, p.name AS person_name, d.name AS department_name, f.name AS found_by_name, r.name AS resolved_by_name
    FROM violations v JOIN people p ON p.id = v.person_id JOIN departments d ON d.id = v.department_id
    JOIN people f ON f.id = v.found_by_person_id LEFT JOIN people r ON r.id = v.resolved_by_person_id";

fn violation(r: &AnyRow) -> Result<Violation> {
    Ok(Violation {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        department_id: r.try_get("department_id")?,
        department_name: r.try_get("department_name")?,
        found_by_name: r.try_get("found_by_name")?,
        found_as: r.try_get("found_as")?,
        description: r.try_get("description")?,
        clause: r.try_get("clause")?,
        status: crate::typed(r, "status")?,
        resolution: r.try_get("resolution")?,
        resolved_by_name: r.try_get("resolved_by_name")?,
        resolved_at: r.try_get("resolved_at")?,
        created_at: r.try_get("created_at")?,
    })
}

#[derive(Debug, Clone, Copy)]
enum Resolution {
    Corrected,
    Suspended,
}

impl Store {
    /// Records a violation against a person, in the person's current department.
    pub async fn record_violation(&self, org_id: i64, v: &NewViolation, actor: &Actor) -> Result<Violation> {
        if v.description.trim().is_empty() {
            return Err(StoreError::Invalid("違反の内容を記入してください".into()));
        }
        if v.person_id == v.found_by_person_id {
            return Err(StoreError::Invalid("自分自身の違反は記録できません。統括情報セキュリティ責任者に報告してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO violations (org_id, person_id, department_id, found_by_person_id, found_as, description, clause, status, created_at)
             SELECT $1, p.id, p.department_id, $3, $4, $5, $6, 'open', $7 FROM people p WHERE p.id = $2 AND p.org_id = $1 RETURNING id",
        )
        .bind(org_id)
        .bind(v.person_id)
        .bind(v.found_by_person_id)
        .bind(&v.found_as)
        .bind(v.description.trim())
        .bind(v.clause.trim())
        .bind(now_text())
        .fetch_optional(w.conn())
        .await?
        .ok_or(StoreError::NotFound("person"))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "violation.record",
                "violation",
                id,
                serde_json::json!({"person_id": v.person_id, "found_as": v.found_as, "description": v.description.trim(), "clause": v.clause.trim()}),
            ),
        )
        .await?;
        self.violation(org_id, id).await
    }

    pub async fn violation(&self, org_id: i64, id: i64) -> Result<Violation> {
        self.one_by_id(SELECT, "v", org_id, id, "violation", violation).await
    }

    /// Violations, newest first; only those in `department_ids` when given.
    pub async fn violations(&self, org_id: i64, department_ids: Option<&[i64]>, open_only: bool) -> Result<Vec<Violation>> {
        let mut sql = format!("{SELECT} WHERE v.org_id = $1");
        if let Some(ids) = department_ids {
            // Ids are integers from the database, never user text.
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            sql.push_str(&format!(" AND v.department_id IN ({})", if list.is_empty() { "NULL".to_owned() } else { list.join(",") }));
        }
        if open_only {
            sql.push_str(" AND v.status = 'open'");
        }
        sql.push_str(" ORDER BY v.id DESC LIMIT 500");
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(violation).collect()
    }

    /// The 管理者 records that the person corrected it under guidance.
    pub async fn correct_violation(&self, org_id: i64, id: i64, person_id: i64, note: &str, actor: &Actor) -> Result<Violation> {
        if note.trim().is_empty() {
            return Err(StoreError::Invalid("指導・是正の内容を記入してください".into()));
        }
        self.resolve(org_id, id, Resolution::Corrected, person_id, note, actor).await
    }

    /// The 統括 suspends the person's rights in mamori: every account of the person is locked
    /// (signing in is refused and open sessions end), in the same transaction.
    pub async fn suspend_for_violation(&self, org_id: i64, id: i64, person_id: i64, note: &str, actor: &Actor) -> Result<Violation> {
        if note.trim().is_empty() {
            return Err(StoreError::Invalid("権利を停止する理由を記入してください".into()));
        }
        self.resolve(org_id, id, Resolution::Suspended, person_id, note, actor).await
    }

    async fn resolve(&self, org_id: i64, id: i64, how: Resolution, person_id: i64, note: &str, actor: &Actor) -> Result<Violation> {
        let (new_status, lock) = match how {
            Resolution::Corrected => (ViolationStatus::Corrected.as_str(), false),
            Resolution::Suspended => (ViolationStatus::Suspended.as_str(), true),
        };
        let before = self.violation(org_id, id).await?;
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE violations SET status = $1, resolution = $2, resolved_by_person_id = $3, resolved_at = $4 WHERE org_id = $5 AND id = $6 AND status = 'open'",
        )
        .bind(new_status)
        .bind(note.trim())
        .bind(person_id)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("違反 {id} は対応済みです")));
        }
        let mut locked = 0;
        if lock {
            locked = sqlx::query("UPDATE users SET locked = 1 WHERE org_id = $1 AND person_id = $2")
                .bind(org_id)
                .bind(before.person_id)
                .execute(w.conn())
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE org_id = $1 AND person_id = $2)")
                .bind(org_id)
                .bind(before.person_id)
                .execute(w.conn())
                .await?;
        }
        let action = if lock { "violation.suspend" } else { "violation.correct" };
        w.commit(
            actor,
            NewEvent::new(
                action,
                "violation",
                id,
                serde_json::json!({"person_id": before.person_id, "note": note.trim(), "accounts_locked": locked}),
            )
            .with_result(new_status),
        )
        .await?;
        self.violation(org_id, id).await
    }
}
