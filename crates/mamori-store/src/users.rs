//! Users, credentials and sessions. Password hashing and TOTP checking happen in the server;
//! this module stores their results and records every change.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{flag, now_text, Actor, NewEvent, Result, Store, StoreError};

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
    pub locked: bool,
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
}

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
        last_login_at: r.try_get("last_login_at")?,
        previous_login_at: r.try_get("previous_login_at")?,
    })
}

/// What a failed sign-in did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    StillOpen { failed_attempts: i64 },
    LockedNow,
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

    pub async fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE login = $1").bind(login).fetch_optional(&self.pool).await?.as_ref().map(user).transpose()
    }

    pub async fn users(&self, org_id: i64) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users WHERE org_id = $1 ORDER BY login").bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(user).collect()
    }

    /// Records a failed sign-in; locks the account at `limit` consecutive failures.
    pub async fn record_login_failure(&self, user: &User, limit: i64, reason: &str) -> Result<FailureOutcome> {
        let mut w = match self.begin_write(user.org_id).await {
            Err(StoreError::LedgerHalted(why)) => return self.login_failure_while_halted(user, limit, reason, &why).await,
            other => other?,
        };
        let failed: i64 = sqlx::query("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts")
            .bind(user.id)
            .fetch_one(w.conn())
            .await?
            .try_get(0)?;
        let lock = failed >= limit;
        if lock {
            sqlx::query("UPDATE users SET locked = 1 WHERE id = $1").bind(user.id).execute(w.conn()).await?;
        }
        let action = if lock { "auth.lock" } else { "auth.failure" };
        w.commit(
            &Actor::system("auth"),
            NewEvent::new(action, "user", user.id, serde_json::json!({"login": user.login, "failed_attempts": failed, "reason": reason})),
        )
        .await?;
        Ok(if lock { FailureOutcome::LockedNow } else { FailureOutcome::StillOpen { failed_attempts: failed } })
    }

    /// While the ledger writer is halted (`writer.rs`) the server must stay readable, so
    /// signing in goes on: the lockout counter still counts, but no event can be recorded.
    /// The failure is logged instead; the halt itself is the recorded fact that explains
    /// the gap. Nothing else is written without the ledger.
    async fn login_failure_while_halted(&self, user: &User, limit: i64, reason: &str, halt: &str) -> Result<FailureOutcome> {
        let failed: i64 = sqlx::query("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = $1 RETURNING failed_attempts")
            .bind(user.id)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let lock = failed >= limit;
        if lock {
            sqlx::query("UPDATE users SET locked = 1 WHERE id = $1").bind(user.id).execute(&self.pool).await?;
        }
        tracing::warn!(login = %user.login, failed, lock, reason, halt, "sign-in failure not recorded in the ledger: writes are halted");
        Ok(if lock { FailureOutcome::LockedNow } else { FailureOutcome::StillOpen { failed_attempts: failed } })
    }

    /// Records a successful sign-in and returns the time of the one before it.
    pub async fn record_login_success(&self, user: &User) -> Result<Option<String>> {
        let mut w = match self.begin_write(user.org_id).await {
            Err(StoreError::LedgerHalted(halt)) => {
                // As for failures: reading goes on while the writer is halted (see above).
                sqlx::query("UPDATE users SET failed_attempts = 0, previous_login_at = last_login_at, last_login_at = $1 WHERE id = $2")
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
        sqlx::query("UPDATE users SET failed_attempts = 0, previous_login_at = last_login_at, last_login_at = $1 WHERE id = $2")
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

    pub async fn unlock_user(&self, org_id: i64, user_id: i64, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("UPDATE users SET locked = 0, failed_attempts = 0 WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("user"));
        }
        w.commit(actor, NewEvent::new("user.unlock", "user", user_id, serde_json::json!({}))).await?;
        Ok(())
    }

    /// Sets a new password. `temporary` passwords (issued by an administrator) must be
    /// changed at the next sign-in.
    pub async fn set_password(&self, user: &User, password_hash: &str, temporary: bool, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(user.org_id).await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(i64::from(temporary))
            .bind(user.id)
            .execute(w.conn())
            .await?;
        w.commit(actor, NewEvent::new("user.password", "user", user.id, serde_json::json!({"temporary": temporary}))).await?;
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
        let now = now_text();
        Ok(sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, mfa_passed, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(i64::from(mfa_passed))
        .bind(now)
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    pub async fn session_by_token_hash(&self, token_hash: &str) -> Result<Option<Session>> {
        let r =
            sqlx::query("SELECT * FROM sessions WHERE token_hash = $1 AND ended = 0").bind(token_hash).fetch_optional(&self.pool).await?;
        r.map(|r| {
            Ok(Session {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                csrf_token: r.try_get("csrf_token")?,
                mfa_passed: flag(&r, "mfa_passed")?,
                created_at: r.try_get("created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
            })
        })
        .transpose()
    }

    /// A live session and its user, in one read: what every signed-in request needs first.
    pub async fn session_with_user(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let r = sqlx::query(
            "SELECT s.id AS session_id, s.csrf_token, s.mfa_passed, s.created_at AS session_created_at, s.last_seen_at, u.*
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
