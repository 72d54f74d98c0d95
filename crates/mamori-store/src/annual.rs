//! The year's figures the committee's annual report needs beyond the yearly cycle's own
//! tables: incidents by level, exceptions (例外措置) and violations, counted by the day they
//! were reported or filed in the fiscal year.

use mamori_policy::yearly::FiscalYear;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store};

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct YearCounts {
    /// Reports sent in the year (drafts left out), by level (`None`: not yet assessed).
    pub incidents_by_level: Vec<(Option<i64>, i64)>,
    pub incidents: i64,
    /// Of those, the ones CSIRT confirmed as incidents.
    pub incidents_confirmed: i64,
    pub incidents_closed: i64,
    /// Exception requests (例外措置) filed in the year, by status.
    pub exceptions_by_status: Vec<(String, i64)>,
    pub exceptions: i64,
    pub violations: i64,
}

impl Store {
    pub async fn year_counts(&self, org_id: i64, year: FiscalYear) -> Result<YearCounts> {
        let from = year.first_day().to_string();
        let to = year.last_day().succ_opt().expect("a day after March 31st").to_string();
        let rows = sqlx::query(
            "SELECT level, COUNT(*) AS n, CAST(SUM(CASE WHEN is_incident = 1 THEN 1 ELSE 0 END) AS BIGINT) AS confirmed, CAST(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS BIGINT) AS closed
             FROM incidents WHERE org_id = $1 AND reported_at >= $2 AND reported_at < $3 GROUP BY level ORDER BY level",
        )
        .bind(org_id)
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.pool)
        .await?;
        let mut c = YearCounts::default();
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            c.incidents_by_level.push((r.try_get("level")?, n));
            c.incidents += n;
            c.incidents_confirmed += r.try_get::<Option<i64>, _>("confirmed")?.unwrap_or(0);
            c.incidents_closed += r.try_get::<Option<i64>, _>("closed")?.unwrap_or(0);
        }
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM requests WHERE org_id = $1 AND action = 'exception' AND created_at >= $2 AND created_at < $3 GROUP BY status ORDER BY status",
        )
        .bind(org_id)
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let n: i64 = r.try_get("n")?;
            c.exceptions_by_status.push((r.try_get("status")?, n));
            c.exceptions += n;
        }
        c.violations = sqlx::query("SELECT COUNT(*) FROM violations WHERE org_id = $1 AND created_at >= $2 AND created_at < $3")
            .bind(org_id)
            .bind(&from)
            .bind(&to)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(c)
    }
}
