//! Sign-in: argon2id passwords, TOTP second factor, sessions with idle timeout, CSRF tokens,
//! and the extractors that give handlers the signed-in person and what they may see.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use mamori_policy::workflow::{Citation, DepartmentTree, Held, Reach, Step, Subject, Workflow, WorkflowRole};
use mamori_policy::Profile;
use mamori_store::org::{Department, Person, RoleAssignment};
use mamori_store::users::{Session, User};
use mamori_store::Actor;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::AppError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "mamori_session";
pub const LOGIN_CSRF_COOKIE: &str = "mamori_login_csrf";

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the login does not exist, so that the answer takes as
/// long as for a real account.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("mamori-no-such-user").unwrap_or_default())
}

/// Where argon2 runs in the server: on tokio's blocking threads, at most one per core at
/// a time, so that a burst of sign-ins waits its turn instead of stalling the async
/// workers that serve every other page.
pub struct PasswordWork {
    permits: tokio::sync::Semaphore,
}

impl Default for PasswordWork {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self { permits: tokio::sync::Semaphore::new(cores) }
    }
}

impl PasswordWork {
    /// Checks `password` against `hash`; with no hash (an unknown or closed account),
    /// against a dummy hash, so that the answer takes as long and says the same.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let (password, hash) = (password.to_owned(), hash.map(str::to_owned));
        self.run(move || match hash {
            Some(hash) => verify_password(&password, &hash),
            None => {
                verify_password(&password, dummy_hash());
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_owned();
        self.run(move || hash_password(&password)).await?
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(AppError::internal)
    }
}

/// A random token, URL-safe base64 of 32 bytes.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A temporary password an administrator (or the CLI, or the demo) hands over; easy to
/// type, 16 characters, and like every password it meets [`crate::password::check`]
/// (drawn again in the rare case that chance spelled something guessable).
pub fn temporary_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    loop {
        let password: String = (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
        if crate::password::check(&password, 12, "", "").is_ok() {
            return password;
        }
    }
}

pub fn new_totp_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

pub fn totp_for(secret_b32: &str, issuer: &str, account: &str) -> Result<TOTP, AppError> {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().map_err(|e| AppError::internal(format!("{e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some(issuer.to_owned()), account.to_owned()).map_err(AppError::internal)
}

/// Checks a code against the current time step and one step either side (clock drift);
/// returns the matching time step so that the caller can refuse its reuse.
pub fn totp_step_matching(totp: &TOTP, code: &str, now_unix: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    for skew in [0i64, -1, 1] {
        let t = (now_unix as i64 + skew * 30).max(0) as u64;
        let expected = totp.generate(t);
        if subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into() {
            return Some((t / 30) as i64);
        }
    }
    None
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ")?.trim();
    (!t.is_empty()).then_some(t)
}

/// A new service token: `mamori_` and 32 random bytes, URL-safe base64.
pub fn new_service_token() -> String {
    format!("mamori_{}", random_token())
}

pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> (axum::http::HeaderName, HeaderValue) {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    (SET_COOKIE, HeaderValue::from_str(&c).expect("cookie is ASCII"))
}

/// Whether a session has ended by time at `now`: unused for longer than the idle timeout, or
/// older than the absolute lifetime however much it was used.
pub fn session_expired(settings: &crate::Settings, session: &Session, now: chrono::DateTime<chrono::Utc>) -> Result<bool, AppError> {
    let time = |t: &str| mamori_store::parse_time(t).ok_or_else(|| AppError::internal("bad session time"));
    let longer = |since: chrono::DateTime<chrono::FixedOffset>, limit: std::time::Duration| {
        now.signed_duration_since(since).to_std().is_ok_and(|d| d > limit)
    };
    Ok(longer(time(&session.last_seen_at)?, settings.session_idle) || longer(time(&session.created_at)?, settings.session_lifetime))
}

/// How old a session's last-seen time may get before a request writes it again: a thirtieth
/// of the idle timeout, at most a minute. Writing it on every request made every page a
/// database write (a durable commit each, one at a time on SQLite). The idle timeout counts
/// from the last write, so a session ends at most this much sooner than the timeout after
/// its last request, never later.
pub fn touch_interval(session_idle: std::time::Duration) -> std::time::Duration {
    (session_idle / 30).min(std::time::Duration::from_secs(60))
}

/// A session, whether or not sign-in is complete (second factor, password change).
#[derive(Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(s) = parts.extensions.get::<SignedIn>() {
            return Ok(s.clone());
        }
        let token = cookie_value(parts, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?;
        let (session, user) = state.store.session_with_user(&token_hash(&token)).await?.ok_or(AppError::Unauthenticated)?;
        let now = chrono::Utc::now();
        let last = mamori_store::parse_time(&session.last_seen_at).ok_or_else(|| AppError::internal("bad session time"))?;
        // Negative when the clock went back since the last write; then it is written again.
        let idle = now.signed_duration_since(last).to_std().ok();
        if session_expired(&state.settings, &session, now)? {
            state.store.end_session(session.id).await?;
            return Err(AppError::Unauthenticated);
        }
        if user.locked {
            state.store.end_session(session.id).await?;
            return Err(AppError::Unauthenticated);
        }
        let interval = touch_interval(state.settings.session_idle);
        if idle.is_none_or(|d| d >= interval) && state.claim_touch(session.id, interval) {
            state.store.touch_session(session.id).await?;
        }
        let signed = SignedIn { user, session };
        parts.extensions.insert(signed.clone());
        Ok(signed)
    }
}

/// What the signed-in person is and may see. Only handed out once sign-in is complete.
///
/// Who may do what is never decided here by role ids: every question goes to the active
/// profile's workflow rules (`mamori_policy::workflow`) with this person's role
/// assignments and the department tree as facts.
#[derive(Clone)]
pub struct Access {
    pub user: User,
    pub session: Session,
    pub person: Option<Person>,
    pub roles: Vec<RoleAssignment>,
    pub profile: Arc<Profile>,
    pub profile_version_id: i64,
    /// The decision engine of that profile version.
    pub engine: Arc<mamori_engine::Engine>,
    /// Its workflow rules, every step resolved.
    pub workflow: Arc<Workflow>,
    pub departments: Arc<Vec<Department>>,
    pub tree: Arc<DepartmentTree>,
    /// The organization's change counter when this was read (see [`crate::OrgData`]): what
    /// caches of the organization's data are checked against.
    pub org_seq: i64,
    holdings: Vec<Held>,
    pub request_id: String,
}

impl Access {
    pub fn org_id(&self) -> i64 {
        self.user.org_id
    }

    pub fn actor(&self) -> Actor {
        let role = if self.user.is_admin { "admin".to_owned() } else { self.roles.first().map(|r| r.role.clone()).unwrap_or_default() };
        Actor { user_id: Some(self.user.id), label: self.user.login.clone(), role, request_id: self.request_id.clone() }
    }

    pub fn is_admin(&self) -> bool {
        self.user.is_admin
    }

    /// The facts the workflow rules decide by.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            administrator: self.user.is_admin,
            user_id: self.user.id,
            person_id: self.person.as_ref().map(|p| p.id),
            department_id: self.person.as_ref().map(|p| p.department_id),
            holdings: &self.holdings,
        }
    }

    /// Whether this person may take `step` anywhere.
    pub fn may(&self, step: Step) -> bool {
        self.workflow.allows(&self.subject(), &self.tree, step, None)
    }

    /// Whether this person may take `step` for `department`.
    pub fn may_in(&self, step: Step, department: i64) -> bool {
        self.workflow.allows(&self.subject(), &self.tree, step, Some(department))
    }

    pub fn reach(&self, step: Step) -> Reach {
        self.workflow.reach(&self.subject(), &self.tree, step)
    }

    /// `may`, as the 403 a page or the API shows: the profile's clause and the reason.
    pub fn require(&self, step: Step) -> Result<(), AppError> {
        Ok(self.workflow.check(&self.subject(), &self.tree, step, None)?)
    }

    pub fn require_in(&self, step: Step, department: i64) -> Result<(), AppError> {
        Ok(self.workflow.check(&self.subject(), &self.tree, step, Some(department))?)
    }

    /// The clause a page cites for a step, from the active profile.
    pub fn cite(&self, step: Step) -> Citation {
        self.workflow.cite(step)
    }

    /// Whether this person holds the profile role `role` (an id the data names, such as an
    /// assessment item's responsible role; never a role id written in code).
    pub fn holds(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.role == role)
    }

    /// Whether this person holds any role that does `job`, as the profile maps its roles.
    /// For what a page shows about someone (their role's queue), never for permission.
    pub fn acts_as(&self, job: WorkflowRole) -> bool {
        self.roles.iter().any(|r| self.profile.role(&r.role).and_then(mamori_policy::workflow::acts_as) == Some(job))
    }

    /// The departments whose registers this person may read; `None` means all.
    pub fn visible_departments(&self) -> Option<Vec<i64>> {
        if self.may(Step::RegistersViewAll) {
            return None;
        }
        let mut roots: Vec<i64> = match self.reach(Step::RegistersManage) {
            Reach::Everywhere => return None,
            Reach::Departments(d) => d.into_iter().collect(),
            Reach::Nowhere => Vec::new(),
        };
        if let Some(p) = &self.person {
            roots.push(p.department_id);
        }
        Some(self.tree.subtree(roots).into_iter().collect())
    }

    /// Departments whose registers this person manages (edit, reclassify); `None` means all.
    pub fn managed_departments(&self) -> Option<Vec<i64>> {
        self.reach(Step::RegistersManage).departments()
    }

    pub fn can_see_department(&self, department_id: i64) -> bool {
        self.visible_departments().is_none_or(|v| v.contains(&department_id))
    }

    /// Whether this person manages the registers of a department: edit, reclassify.
    pub fn can_manage_department(&self, department_id: i64) -> bool {
        self.may_in(Step::RegistersManage, department_id)
    }

    /// Whether this person may register a new asset in a department: its manager, or a
    /// member of it (the one who creates information classifies it; the profile's
    /// `classification.by_creator`).
    pub fn can_register_in(&self, department_id: i64) -> bool {
        self.can_manage_department(department_id) || self.person.as_ref().is_some_and(|p| p.department_id == department_id)
    }

    /// mamori's own administration (accounts, the organization's settings). Refused with
    /// the profile's clause for user management.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Denied(self.workflow.denial(Step::StaffManage, false)))
        }
    }

    pub fn department_name(&self, id: i64) -> String {
        self.departments.iter().find(|d| d.id == id).map(|d| d.name.clone()).unwrap_or_default()
    }

    /// Whether `id` is a clause this organization's policy has: its own catalogue, or the
    /// standard model's for a standard citation.
    pub fn clause_exists(&self, id: &str) -> bool {
        self.profile.clause(id).is_some() || mamori_policy::standard::contains(id)
    }

    /// The name of one of the profile's roles.
    pub fn role_name(&self, role: &str) -> String {
        self.profile.role(role).map(|r| r.name.clone()).unwrap_or_else(|| role.to_owned())
    }
}

/// A person's role assignments as the workflow rules take them.
pub fn holdings(roles: &[RoleAssignment]) -> Vec<Held> {
    roles.iter().map(|r| Held { role: r.role.clone(), department_id: r.department_id, is_deputy: r.is_deputy }).collect()
}

/// Where a half-signed-in person must go next, if anywhere.
pub async fn next_step(state: &AppState, s: &SignedIn) -> Result<Option<&'static str>, AppError> {
    if !s.session.mfa_passed && !s.user.totp_enabled && mfa_required(state, &s.user).await? {
        return Ok(Some("/account/totp"));
    }
    Ok(next_step_known(s, false))
}

/// [`next_step`] when whether a second factor is required is already known.
fn next_step_known(s: &SignedIn, mfa_required: bool) -> Option<&'static str> {
    if !s.session.mfa_passed {
        if s.user.totp_enabled {
            return Some("/login/totp");
        }
        if mfa_required {
            return Some("/account/totp");
        }
    }
    s.user.must_change_password.then_some("/account/password")
}

/// A second factor is required for administrators and for the roles the profile marks
/// (the CISO and the 統括情報セキュリティ責任者 in every bundled profile).
pub async fn mfa_required(state: &AppState, user: &User) -> Result<bool, AppError> {
    if user.is_admin {
        return Ok(true);
    }
    let Some(person_id) = user.person_id else { return Ok(false) };
    let roles = state.store.roles_of_person(person_id).await?;
    let profile = state.profile(user.org_id).await?;
    Ok(mfa_required_by(user, &roles, profile.as_ref().map(|(_, p)| &**p)))
}

/// [`mfa_required`] from the user's role assignments and the active profile.
fn mfa_required_by(user: &User, roles: &[RoleAssignment], profile: Option<&Profile>) -> bool {
    if user.is_admin {
        return true;
    }
    let Some(profile) = profile.filter(|_| user.person_id.is_some()) else { return false };
    roles.iter().any(|r| profile.role(&r.role).is_some_and(|p| p.requires_mfa))
}

/// The rejection of [`Access`]: to the sign-in page, or to the next sign-in step.
pub struct AccessRejection(Response);

impl IntoResponse for AccessRejection {
    fn into_response(self) -> Response {
        self.0
    }
}

impl From<AppError> for AccessRejection {
    fn from(e: AppError) -> Self {
        AccessRejection(e.into_response())
    }
}

impl From<mamori_store::StoreError> for AccessRejection {
    fn from(e: mamori_store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl FromRequestParts<AppState> for Access {
    type Rejection = AccessRejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/api/");
        let signed = match SignedIn::from_request_parts(parts, state).await {
            Ok(s) => s,
            Err(e) if api => return Err(AccessRejection(e.into_json())),
            Err(e) => return Err(e.into()),
        };
        // The organization's profile and departments, the person and their roles: read once,
        // for the second-factor rule and for the access itself, and cached until the
        // organization's data changes (see `AppState::org_data`).
        let org_id = signed.user.org_id;
        let org = state.org_data(org_id).await?;
        let (person, roles) = match signed.user.person_id {
            Some(id) => {
                let found = org.person(&state.store, org_id, id).await?;
                (Some(found.0.clone()), found.1.clone())
            }
            None => (None, Vec::new()),
        };
        let mfa = !signed.session.mfa_passed
            && !signed.user.totp_enabled
            && mfa_required_by(&signed.user, &roles, org.active.as_ref().map(|a| &*a.profile));
        if let Some(step) = next_step_known(&signed, mfa) {
            return Err(AccessRejection(if api { AppError::Unauthenticated.into_json() } else { Redirect::to(step).into_response() }));
        }
        let active = org.active.ok_or_else(|| AppError::internal("the organization has no active profile"))?;
        let request_id = parts.extensions.get::<crate::RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        let holdings = holdings(&roles);
        Ok(Access {
            user: signed.user,
            session: signed.session,
            person,
            roles,
            profile: active.profile,
            profile_version_id: active.version_id,
            engine: active.engine,
            workflow: active.workflow,
            departments: org.departments,
            tree: org.tree,
            org_seq: org.seq,
            holdings,
            request_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn totp_accepts_the_current_and_adjacent_steps_only() {
        let secret = new_totp_secret();
        let totp = totp_for(&secret, "mamori", "admin").unwrap();
        let now = 1_800_000_000u64;
        let code = totp.generate(now);
        assert_eq!(totp_step_matching(&totp, &code, now), Some((now / 30) as i64));
        assert_eq!(totp_step_matching(&totp, &code, now + 30), Some((now / 30) as i64));
        assert_eq!(totp_step_matching(&totp, &code, now + 120), None);
        assert_eq!(totp_step_matching(&totp, "12345", now), None);
        assert_eq!(totp_step_matching(&totp, "abcdef", now), None);
    }
}
