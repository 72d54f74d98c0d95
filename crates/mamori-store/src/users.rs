//! Users, credentials and sessions. Password hashing and TOTP checking happen in the server;
//! this module stores their results and records every change.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{flag, now_text, parse_time, time_text, Actor, NewEvent, Result, Store, StoreError};

#[derive(Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub person_id: Option<i64>,
    pub login: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub must_change_password: bool,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub totp_last_step: i64,
    pub is_admin: bool,
    pub failed_attempts: i64,
    /// Locked on purpose (a violation's suspension, or a lock from before timed lockouts):
    /// only an administrator or `mamori user unlock` opens it.
    pub locked: bool,
    /// Closed after failed sign-ins until this time (as stored); opens by itself.
    pub locked_until: Option<String>,
    pub last_login_at: Option<String>,
    pub previous_login_at: Option<String>,
}

// Credentials never appear in logs.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("id", &self.id).field("login", &self.login).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub csrf_token: String,
    pub mfa_passed: bool,
    pub created_at: String,
    pub last_seen_at: String,
    /// The browser's `User-Agent` at sign-in, shortened; empty when unknown.
    pub user_agent: String,
    /// The client's address at sign-in; empty when unknown.
    pub client_address: String,
}

fn session(r: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        csrf_token: r.try_get("csrf_token")?,
        mfa_passed: flag(r, "mfa_passed")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        user_agent: r.try_get("user_agent")?,
        client_address: r.try_get("client_address")?,
    })
}

/// The longest `User-Agent` kept with a session.
const USER_AGENT_MAX_CHARS: usize = 300;

fn user(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        person_id: r.try_get("person_id")?,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        must_change_password: flag(r, "must_change_password")?,
        totp_secret: r.try_get("totp_secret")?,
        totp_enabled: flag(r, "totp_enabled")?,
        totp_last_step: r.try_get("totp_last_step")?,
        is_admin: flag(r, "is_admin")?,
        failed_attempts: r.try_get("failed_attempts")?,
        locked: flag(r, "locked")?,
        locked_until: r.try_get("locked_until")?,
        last_login_at: r.try_get("last_login_at")?,
        previous_login_at: r.try_get("previous_login_at")?,
    })
}

impl User {
    /// Whether failed sign-ins keep the account closed at `now`.
    pub fn locked_out_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.as_deref().and_then(parse_time).is_some_and(|until| until > now)
    }

    /// Whether signing in is refused at `now`, before any password is checked.
    pub fn refused_at(&self, now: DateTime<Utc>) -> bool {
        self.locked || self.locked_out_at(now)
    }
}

/// How long a run of consecutive failed sign-ins closes an account: from the
/// `after_failures`-th failure on, `first`, doubled with each further failure, at most
/// `longest`. A timed lockout rather than a permanent one, so that nobody can lock the
/// administrator out for good by typing a wrong password five times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutSchedule {
    pub after_failures: i64,
    pub first: Duration,
    pub longest: Duration,
}

impl Default for LockoutSchedule {
    fn default() -> Self {
        Self { after_failures: 5, first: Duration::from_secs(60), longest: Duration::from_secs(3600) }
    }
}

impl LockoutSchedule {
    /// The delay after the `failed`-th consecutive failure; `None` while below the limit.
    pub fn delay(&self, failed: i64) -> Option<Duration> {
        if failed < self.after_failures {
            return None;
        }
        let doublings = (failed - self.after_failures).clamp(0, 30) as u32;
        Some(self.first.saturating_mul(1u32 << doublings).min(self.longest))
    }
}

/// What a failed sign-in did to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureOutcome {
    StillOpen {
        failed_attempts: i64,
    },
    /// Closed until `until` (a time as stored).
    LockedOut {
        failed_attempts: i64,
        until: String,
    },
}

/// Counts one failure and closes the account if the schedule says so.
async fn count_failure(
    conn: &mut sqlx::AnyConnection,
    user: &User,
    schedule: &LockoutSchedule,
    now: DateTime<Utc>,
) -> Result<FailureOutcome> {
    let failed: i64 = sqlx::query("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts")
        .bind(user.id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(match schedule.delay(failed) {
        Some(delay) => {
            let until = time_text(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1)));
            sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2").bind(&until).bind(user.id).execute(&mut *conn).await?;
            FailureOutcome::LockedOut { failed_attempts: failed, until }
        }
        None => FailureOutcome::StillOpen { failed_attempts: failed },
    })
}

impl Store {
    /// Creates a user whose password is temporary: it must be changed at first sign-in.
    // Each argument is a distinct column of the new account; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        org_id: i64,
        person_id: Option<i64>,
        login: &str,
        display_name: &str,
        password_hash: &str,
        is_admin: bool,
        actor: &Actor,
    ) -> Result<User> {
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO users (org_id, person_id, login, display_name, password_hash, must_change_password, is_admin, created_at)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(person_id)
        .bind(login)
        .bind(display_name)
        .bind(password_hash)
        .bind(i64::from(is_admin))
        .bind(now_text())
        .fetch_one(w.conn())
        .await
        .map_err(|e| StoreError::from(e).on_unique("login"))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new("user.create", "user", id, serde_json::json!({"login": login, "person_id": person_id, "admin": is_admin}))
                .with_personal("display_name", display_name),
        )
        .await?;
        self.user(id).await
    }

    pub async fn user(&self, id: i64) -> Result<User> {
        let r = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        user(&r)
    }

    /// The account `login` of one organization.
    pub async fn user_in_org(&self, org_id: i64, login: &str) -> Result<User> {
        let r = sqlx::query("SELECT * FROM users WHERE org_id = $1 AND login = $2")
            .bind(org_id)
            .bind(login)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        user(&r)
    }

    pub async fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE login = $1").bind(login).fetch_optional(&self.pool).await?.as_ref().map(user).transpose()
    }

    pub async fn users(&self, org_id: i64) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE org_id = $1 ORDER BY login").bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(user).collect()
    }

    /// Records a failed sign-in at `now`; from the schedule's limit on, closes the account
    /// for the schedule's delay. Only attempts whose password (or code) was checked count:
    /// the sign-in refuses a closed account before checking, so waiting out the delay is
    /// always enough.
    pub async fn record_login_failure(
        &self,
        user: &User,
        schedule: &LockoutSchedule,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<FailureOutcome> {
        let mut w = match self.begin_write(user.org_id).await {
            Err(StoreError::LedgerHalted(why)) => return self.login_failure_while_halted(user, schedule, reason, now, &why).await,
            other => other?,
        };
        let outcome = count_failure(w.conn(), user, schedule, now).await?;
        let (action, payload) = match &outcome {
            FailureOutcome::StillOpen { failed_attempts } => {
                ("auth.failure", serde_json::json!({"login": user.login, "failed_attempts": failed_attempts, "reason": reason}))
            }
            FailureOutcome::LockedOut { failed_attempts, until } => (
                "auth.lock",
                serde_json::json!({"login": user.login, "failed_attempts": failed_attempts, "reason": reason, "locked_until": until}),
            ),
        };
        w.commit(&Actor::system("auth"), NewEvent::new(action, "user", user.id, payload)).await?;
        Ok(outcome)
    }

    /// While the ledger writer is halted (`writer.rs`) the server must stay readable, so
    /// signing in goes on: the lockout counter still counts, but no event can be recorded.
    /// The failure is logged instead; the halt itself is the recorded fact that explains
    /// the gap. Nothing else is written without the ledger.
    async fn login_failure_while_halted(
        &self,
        user: &User,
        schedule: &LockoutSchedule,
        reason: &str,
        now: DateTime<Utc>,
        halt: &str,
    ) -> Result<FailureOutcome> {
        let mut conn = self.pool.acquire().await?;
        let outcome = count_failure(&mut conn, user, schedule, now).await?;
        tracing::warn!(login = %user.login, ?outcome, reason, halt, "sign-in failure not recorded in the ledger: writes are halted");
        Ok(outcome)
    }

    /// Records a successful sign-in and returns the time of the one before it.
    pub async fn record_login_success(&self, user: &User) -> Result<Option<String>> {
        let mut w = match self.begin_write(user.org_id).await {
            Err(StoreError::LedgerHalted(halt)) => {
                // As for failures: reading goes on while the writer is halted (see above).
                sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL, previous_login_at = last_login_at, last_login_at = $1 WHERE id = $2")
                    .bind(now_text())
                    .bind(user.id)
                    .execute(&self.pool)
                    .await?;
                tracing::warn!(login = %user.login, halt, "sign-in not recorded in the ledger: writes are halted");
                return Ok(user.last_login_at.clone());
            }
            other => other?,
        };
        let now = now_text();
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL, previous_login_at = last_login_at, last_login_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(user.id)
            .execute(w.conn())
            .await?;
        w.commit(
            &Actor { user_id: Some(user.id), label: user.login.clone(), ..Actor::default() },
            NewEvent::new("auth.login", "user", user.id, serde_json::json!({})),
        )
        .await?;
        Ok(user.last_login_at.clone())
    }

    /// Opens an account: lifts a deliberate lock (a suspension) and a lockout after failed
    /// sign-ins, and starts the failure count again. Used by an administrator's ロック解除 and
    /// by `mamori user unlock` when no administrator can sign in.
    pub async fn unlock_user(&self, org_id: i64, user_id: i64, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(org_id).await?;
        let before = sqlx::query("SELECT locked, failed_attempts, locked_until FROM users WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(w.conn())
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let payload = serde_json::json!({
            "was_locked": flag(&before, "locked")?,
            "failed_attempts": before.try_get::<i64, _>("failed_attempts")?,
            "locked_until": before.try_get::<Option<String>, _>("locked_until")?,
        });
        sqlx::query("UPDATE users SET locked = 0, failed_attempts = 0, locked_until = NULL WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .execute(w.conn())
            .await?;
        w.commit(actor, NewEvent::new("user.unlock", "user", user_id, payload)).await?;
        Ok(())
    }

    /// Sets a new password. `temporary` passwords (issued by an administrator) must be
    /// changed at the next sign-in. Every session of the account ends in the same
    /// transaction: whoever held the old password is signed out.
    pub async fn set_password(&self, user: &User, password_hash: &str, temporary: bool, actor: &Actor) -> Result<()> {
        self.set_password_keeping(user, password_hash, temporary, None, actor).await
    }

    /// A person's own change of password: the session they changed it from stays, every
    /// other session of the account ends in the same transaction.
    pub async fn change_own_password(&self, user: &User, password_hash: &str, current_session: i64, actor: &Actor) -> Result<()> {
        self.set_password_keeping(user, password_hash, false, Some(current_session), actor).await
    }

    async fn set_password_keeping(
        &self,
        user: &User,
        password_hash: &str,
        temporary: bool,
        keep: Option<i64>,
        actor: &Actor,
    ) -> Result<()> {
        let mut w = self.begin_write(user.org_id).await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(i64::from(temporary))
            .bind(user.id)
            .execute(w.conn())
            .await?;
        let ended = sqlx::query("UPDATE sessions SET ended = 1 WHERE user_id = $1 AND ended = 0 AND id <> $2")
            .bind(user.id)
            .bind(keep.unwrap_or(-1))
            .execute(w.conn())
            .await?
            .rows_affected();
        w.commit(
            actor,
            NewEvent::new("user.password", "user", user.id, serde_json::json!({"temporary": temporary, "sessions_ended": ended})),
        )
        .await?;
        Ok(())
    }

    /// Stores a TOTP secret, not yet enabled (the user must prove they can use it).
    pub async fn set_totp_secret(&self, user: &User, secret: &str, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(user.org_id).await?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0 WHERE id = $2")
            .bind(secret)
            .bind(user.id)
            .execute(w.conn())
            .await?;
        w.commit(actor, NewEvent::new("user.totp_issue", "user", user.id, serde_json::json!({}))).await?;
        Ok(())
    }

    pub async fn enable_totp(&self, user: &User, step: i64, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(user.org_id).await?;
        sqlx::query("UPDATE users SET totp_enabled = 1, totp_last_step = $1 WHERE id = $2")
            .bind(step)
            .bind(user.id)
            .execute(w.conn())
            .await?;
        w.commit(actor, NewEvent::new("user.totp_enable", "user", user.id, serde_json::json!({}))).await?;
        Ok(())
    }

    /// Remembers the last TOTP time step used, so that a code cannot be replayed. Returns
    /// false when `step` is not newer than the last one (a replay).
    pub async fn consume_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let n = sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step)
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn create_session(&self, user_id: i64, token_hash: &str, csrf_token: &str, mfa_passed: bool) -> Result<i64> {
        self.create_session_from(user_id, token_hash, csrf_token, mfa_passed, "", "").await
    }

    /// A new session, with the browser and address it was opened from (shown on the
    /// person's list of sessions).
    pub async fn create_session_from(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        mfa_passed: bool,
        user_agent: &str,
        client_address: &str,
    ) -> Result<i64> {
        let now = now_text();
        let user_agent: String = user_agent.chars().filter(|c| !c.is_control()).take(USER_AGENT_MAX_CHARS).collect();
        Ok(sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, mfa_passed, created_at, last_seen_at, user_agent, client_address)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(i64::from(mfa_passed))
        .bind(now)
        .bind(user_agent)
        .bind(client_address)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    pub async fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>> {
        let r =
            sqlx::query("SELECT * FROM sessions WHERE token_hash = $1 AND ended = 0").bind(token_hash).fetch_optional(&self.pool).await?;
        r.as_ref().map(session).transpose()
    }

    /// The account's sessions that have not ended, the most recently used first. Sessions
    /// past the idle or absolute limit are ended when next used; the caller filters them.
    pub async fn open_sessions(&self, user_id: i64) -> Result<Vec<Session>> {
        let rows = sqlx::query("SELECT * FROM sessions WHERE user_id = $1 AND ended = 0 ORDER BY last_seen_at DESC, id DESC")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session).collect()
    }

    /// Ends one of `user`'s own sessions from the list of sessions (a lost or shared
    /// device), recorded. `NotFound` when it is not theirs or has already ended.
    pub async fn end_own_session(&self, user: &User, session_id: i64, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(user.org_id).await?;
        let n = sqlx::query("UPDATE sessions SET ended = 1 WHERE id = $1 AND user_id = $2 AND ended = 0")
            .bind(session_id)
            .bind(user.id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("session"));
        }
        w.commit(actor, NewEvent::new("session.end", "user", user.id, serde_json::json!({"session_id": session_id}))).await?;
        Ok(())
    }

    /// An administrator ends every session of an account of their organization; recorded
    /// with how many ended.
    pub async fn end_all_sessions(&self, org_id: i64, user_id: i64, actor: &Actor) -> Result<u64> {
        let mut w = self.begin_write(org_id).await?;
        let found: Option<i64> = sqlx::query("SELECT id FROM users WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(w.conn())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if found.is_none() {
            return Err(StoreError::NotFound("user"));
        }
        let ended = sqlx::query("UPDATE sessions SET ended = 1 WHERE user_id = $1 AND ended = 0")
            .bind(user_id)
            .execute(w.conn())
            .await?
            .rows_affected();
        w.commit(actor, NewEvent::new("user.sessions_end", "user", user_id, serde_json::json!({"sessions_ended": ended}))).await?;
        Ok(ended)
    }

    /// A live session and its user, in one read: what every signed-in request needs first.
    pub async fn session_with_user(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let r = sqlx::query(
            "SELECT s.id AS session_id, s.csrf_token, s.mfa_passed, s.created_at AS session_created_at, s.last_seen_at,
                    s.user_agent AS session_user_agent, s.client_address AS session_client_address, u.*
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.ended = 0",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        r.map(|r| {
            let user = user(&r)?;
            let session = Session {
                id: r.try_get("session_id")?,
                user_id: user.id,
                csrf_token: r.try_get("csrf_token")?,
                mfa_passed: flag(&r, "mfa_passed")?,
                created_at: r.try_get("session_created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                user_agent: r.try_get("session_user_agent")?,
                client_address: r.try_get("session_client_address")?,
            };
            Ok((session, user))
        })
        .transpose()
    }

    pub async fn touch_session(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2").bind(now_text()).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn pass_session_mfa(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET mfa_passed = 1 WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn end_session(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET ended = 1 WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lockout_doubles_from_the_limit_and_stops_at_the_longest() {
        let s = LockoutSchedule::default();
        let minutes = |failed| s.delay(failed).map(|d| d.as_secs() / 60);
        for (failed, expected) in
            [(0, None), (4, None), (5, Some(1)), (6, Some(2)), (7, Some(4)), (8, Some(8)), (11, Some(60)), (12, Some(60)), (1000, Some(60))]
        {
            assert_eq!(minutes(failed), expected, "after {failed} failures");
        }
    }
}
