//! Training and drills (研修・訓練, 対策基準5.2): sessions planned and held each fiscal year
//! by audience, attendance recorded in the UI or imported from a list, joining dates of new
//! staff, and the yearly consent of 会計年度任用職員. The rule that reads these facts is
//! `mamori_policy::yearly::training_gaps`.

use chrono::NaiveDate;
use mamori_policy::yearly::{Attended, Audience, FiscalYear};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::org::Person;
use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

pub const KINDS: &[&str] = &["training", "drill"];

#[derive(Debug, Clone)]
pub struct NewSession {
    pub kind: String,
    pub audience: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub place: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: i64,
    pub fiscal_year: i32,
    pub kind: String,
    pub audience: String,
    pub title: String,
    pub held_on: String,
    pub place: String,
    pub result: String,
    pub attendees: i64,
}

fn session(r: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: r.try_get("id")?,
        fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?).unwrap_or_default(),
        kind: r.try_get("kind")?,
        audience: r.try_get("audience")?,
        title: r.try_get("title")?,
        held_on: r.try_get("held_on")?,
        place: r.try_get("place")?,
        result: r.try_get("result")?,
        attendees: r.try_get("attendees")?,
    })
}

const SESSION_SELECT: &str = "SELECT s.id, s.fiscal_year, s.kind, s.audience, s.title, s.held_on, s.place, s.result,
    (SELECT COUNT(*) FROM training_attendance a WHERE a.session_id = s.id) AS attendees FROM training_sessions s";

/// Who attended a session, as recorded in one go.
#[derive(Debug, Clone, Copy)]
pub struct Attendance<'a> {
    pub person_ids: &'a [i64],
    /// `ui` or `csv`.
    pub source: &'a str,
    /// The day it is recorded: a session ahead of it cannot have attendance.
    pub today: NaiveDate,
    pub recorded_by: Option<i64>,
}

/// One attendance as the rule reads it.
#[derive(Debug, Clone)]
pub struct AttendanceFact {
    pub person_id: i64,
    pub attended: Attended,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attendee {
    pub person_id: i64,
    pub name: String,
    pub department_id: i64,
    pub source: String,
}

impl Store {
    pub async fn create_training_session(&self, org_id: i64, s: &NewSession, person_id: Option<i64>, actor: &Actor) -> Result<Session> {
        if !KINDS.contains(&s.kind.as_str()) {
            return Err(StoreError::Invalid(format!("種別「{}」は研修（training）か訓練（drill）です", s.kind)));
        }
        if Audience::parse(&s.audience).is_none() {
            return Err(StoreError::Invalid(format!("対象「{}」が分かりません", s.audience)));
        }
        let title = s.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(StoreError::Invalid("件名を200字以内で入力してください".into()));
        }
        let year = FiscalYear::of(s.held_on);
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO training_sessions (org_id, fiscal_year, kind, audience, title, held_on, place, created_by_person_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(i64::from(year.0))
        .bind(&s.kind)
        .bind(&s.audience)
        .bind(title)
        .bind(s.held_on.to_string())
        .bind(s.place.trim())
        .bind(person_id)
        .bind(now_text())
        .fetch_one(w.conn())
        .await?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "training.plan",
                "training_session",
                id,
                serde_json::json!({"kind": s.kind, "audience": s.audience, "title": title, "held_on": s.held_on.to_string(), "fiscal_year": year.0}),
            ),
        )
        .await?;
        self.training_session(org_id, id).await
    }

    pub async fn training_session(&self, org_id: i64, id: i64) -> Result<Session> {
        self.one_by_id(SESSION_SELECT, "s", org_id, id, "training session", session).await
    }

    /// The sessions of a fiscal year, by date.
    pub async fn training_sessions(&self, org_id: i64, year: FiscalYear) -> Result<Vec<Session>> {
        let rows = sqlx::query(&format!("{SESSION_SELECT} WHERE s.org_id = $1 AND s.fiscal_year = $2 ORDER BY s.held_on, s.id"))
            .bind(org_id)
            .bind(i64::from(year.0))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session).collect()
    }

    /// Records who attended, in one transaction; people already recorded are left as they
    /// are. Returns how many were added. A session ahead of `today` cannot have attendance.
    pub async fn record_attendance(&self, org_id: i64, session_id: i64, a: &Attendance<'_>, actor: &Actor) -> Result<usize> {
        let Attendance { person_ids, source, today, recorded_by } = *a;
        let s = self.training_session(org_id, session_id).await?;
        if s.held_on.as_str() > today.to_string().as_str() {
            return Err(StoreError::Invalid(format!("{} の研修・訓練はまだ実施されていません。実施後に出席を記録してください", s.held_on)));
        }
        let mut w = self.begin_write(org_id).await?;
        let mut added = Vec::new();
        for &p in person_ids {
            let n = sqlx::query(
                "INSERT INTO training_attendance (org_id, session_id, person_id, source, recorded_by_person_id, recorded_at)
                 SELECT $1, $2, p.id, $4, $5, $6 FROM people p WHERE p.id = $3 AND p.org_id = $1
                 AND NOT EXISTS (SELECT 1 FROM training_attendance a WHERE a.session_id = $2 AND a.person_id = p.id)",
            )
            .bind(org_id)
            .bind(session_id)
            .bind(p)
            .bind(source)
            .bind(recorded_by)
            .bind(now_text())
            .execute(w.conn())
            .await?
            .rows_affected();
            if n == 1 {
                added.push(p);
            }
        }
        w.commit(
            actor,
            NewEvent::new("training.attend", "training_session", session_id, serde_json::json!({"people": added, "source": source}))
                .with_result(&added.len().to_string()),
        )
        .await?;
        Ok(added.len())
    }

    pub async fn training_attendees(&self, org_id: i64, session_id: i64) -> Result<Vec<Attendee>> {
        let rows = sqlx::query(
            "SELECT a.person_id, p.name, p.department_id, a.source FROM training_attendance a JOIN people p ON p.id = a.person_id
             WHERE a.org_id = $1 AND a.session_id = $2 ORDER BY p.department_id, p.staff_no",
        )
        .bind(org_id)
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Attendee {
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    department_id: r.try_get("department_id")?,
                    source: r.try_get("source")?,
                })
            })
            .collect()
    }

    /// The result of a drill, or notes of a session, after it was held.
    pub async fn set_session_result(&self, org_id: i64, session_id: i64, result: &str, actor: &Actor) -> Result<Session> {
        let result = result.trim();
        if result.is_empty() || result.chars().count() > 4000 {
            return Err(StoreError::Invalid("結果を4000字以内で入力してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE training_sessions SET result = $1 WHERE org_id = $2 AND id = $3")
            .bind(result)
            .bind(org_id)
            .bind(session_id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::NotFound("training session"));
        }
        w.commit(actor, NewEvent::new("training.result", "training_session", session_id, serde_json::json!({"result": result}))).await?;
        self.training_session(org_id, session_id).await
    }

    /// Every training (not drill) attendance since `from`, for the rule.
    pub async fn training_attendance_since(&self, org_id: i64, from: NaiveDate) -> Result<Vec<AttendanceFact>> {
        let rows = sqlx::query(
            "SELECT a.person_id, s.held_on, s.audience FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
             WHERE a.org_id = $1 AND s.kind = 'training' AND s.held_on >= $2",
        )
        .bind(org_id)
        .bind(from.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let on: String = r.try_get("held_on")?;
            let audience: String = r.try_get("audience")?;
            let (Ok(on), Some(audience)) = (NaiveDate::parse_from_str(&on, "%Y-%m-%d"), Audience::parse(&audience)) else { continue };
            out.push(AttendanceFact { person_id: r.try_get("person_id")?, attended: Attended { on, audience } });
        }
        Ok(out)
    }

    /// The active staff, by department and staff number: who the training rule applies to.
    pub async fn staff_members(&self, org_id: i64) -> Result<Vec<Person>> {
        let rows = sqlx::query("SELECT * FROM people WHERE org_id = $1 AND active = 1 ORDER BY department_id, staff_no")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(crate::org::person).collect()
    }

    /// Records the day a person joined (新規採用), which starts the rule on joining.
    pub async fn set_joined_on(&self, org_id: i64, person_id: i64, joined_on: NaiveDate, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE people SET joined_on = $1 WHERE org_id = $2 AND id = $3")
            .bind(joined_on.to_string())
            .bind(org_id)
            .bind(person_id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::NotFound("person"));
        }
        w.commit(actor, NewEvent::new("person.joined", "person", person_id, serde_json::json!({"joined_on": joined_on.to_string()})))
            .await?;
        Ok(())
    }

    /// A 会計年度任用職員's consent to the policy for the fiscal year of `consented_on`.
    pub async fn record_consent(
        &self,
        org_id: i64,
        person_id: i64,
        consented_on: NaiveDate,
        recorded_by: Option<i64>,
        actor: &Actor,
    ) -> Result<()> {
        let year = FiscalYear::of(consented_on);
        let mut w = self.begin_write(org_id).await?;
        let employment: Option<String> = sqlx::query_scalar("SELECT employment FROM people WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(person_id)
            .fetch_optional(w.conn())
            .await?;
        match employment.as_deref() {
            None => return Err(StoreError::NotFound("person")),
            Some("fiscal_year") => {}
            Some(_) => return Err(StoreError::Invalid("同意の記録は会計年度任用職員について行います".into())),
        }
        let version: Option<i64> = sqlx::query_scalar("SELECT id FROM profile_versions WHERE org_id = $1 AND is_active = 1")
            .bind(org_id)
            .fetch_optional(w.conn())
            .await?;
        sqlx::query(
            "INSERT INTO policy_consents (org_id, person_id, fiscal_year, consented_on, profile_version_id, recorded_by_person_id, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(i64::from(year.0))
        .bind(consented_on.to_string())
        .bind(version)
        .bind(recorded_by)
        .bind(now_text())
        .execute(w.conn())
        .await
        .map_err(|e| StoreError::from(e).on_unique(&format!("{}の同意は記録済みです", year.label_ja())))?;
        w.commit(
            actor,
            NewEvent::new(
                "training.consent",
                "person",
                person_id,
                serde_json::json!({"fiscal_year": year.0, "consented_on": consented_on.to_string(), "profile_version_id": version}),
            ),
        )
        .await?;
        Ok(())
    }

    /// (person, fiscal year, date) of every consent recorded.
    pub async fn consents(&self, org_id: i64) -> Result<Vec<(i64, FiscalYear, String)>> {
        let rows = sqlx::query("SELECT person_id, fiscal_year, consented_on FROM policy_consents WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let y: i64 = r.try_get("fiscal_year")?;
                Ok((r.try_get("person_id")?, FiscalYear(i32::try_from(y).unwrap_or_default()), r.try_get("consented_on")?))
            })
            .collect()
    }

    /// The people who got the yearly-cycle digest of the week starting `week_of`.
    pub async fn yearly_digests_sent(&self, org_id: i64, week_of: NaiveDate) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT person_id FROM yearly_reminders WHERE org_id = $1 AND week_of = $2")
            .bind(org_id)
            .bind(week_of.to_string())
            .fetch_all(&self.pool)
            .await?)
    }

    /// Claims the week's digest for a person; false when someone else already sent it.
    pub async fn claim_yearly_digest(&self, org_id: i64, person_id: i64, week_of: NaiveDate, actor: &Actor) -> Result<bool> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "INSERT INTO yearly_reminders (org_id, person_id, week_of, sent_at) SELECT $1, $2, $3, $4
             WHERE NOT EXISTS (SELECT 1 FROM yearly_reminders WHERE person_id = $2 AND week_of = $3)",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(week_of.to_string())
        .bind(now_text())
        .execute(w.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        w.commit(actor, NewEvent::new("yearly.remind", "person", person_id, serde_json::json!({"week_of": week_of.to_string()}))).await?;
        Ok(true)
    }

    /// A training-status report upward (5.2(2)⑤⑥): a 管理者 to the 統括 for a department,
    /// or the 統括 to the CISO for the organization (`department_id` `None`). The figures are
    /// the sender's view at the time; the report is a change record, nothing else.
    pub async fn report_training_status(
        &self,
        org_id: i64,
        year: FiscalYear,
        department_id: Option<i64>,
        to_role: &str,
        figures: serde_json::Value,
        actor: &Actor,
    ) -> Result<i64> {
        let target = department_id.map(|d| d.to_string()).unwrap_or_else(|| "org".to_owned());
        self.record_event(
            org_id,
            actor,
            NewEvent::new(
                "training.report",
                "training_report",
                target,
                serde_json::json!({"fiscal_year": year.0, "department_id": department_id, "to": to_role, "figures": figures}),
            ),
        )
        .await
    }

    /// The training-status reports of a fiscal year, newest first: (event, its payload).
    pub async fn training_reports(&self, org_id: i64, year: FiscalYear) -> Result<Vec<(crate::Event, serde_json::Value)>> {
        let filter = crate::ledger::EventFilter { action: Some("training.report".into()), limit: 500, ..Default::default() };
        let mut out = Vec::new();
        for e in self.search_events(org_id, &filter).await? {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
            if payload["fiscal_year"].as_i64() == Some(i64::from(year.0)) {
                out.push((e, payload));
            }
        }
        Ok(out)
    }
}
