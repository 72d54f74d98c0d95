//! mamori's web server: server-rendered Japanese pages and the JSON API under `/api/v1`.
//!
//! `app(state)` builds the router and `serve(listener, state, shutdown)` runs it, so tests
//! bind port 0 or call the router directly.

pub mod auth;
mod csrf;
pub mod error;
pub mod notify;
pub mod password;
mod routes;
pub mod settings;
mod text_policy;
pub mod throttle;
pub mod views;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use mamori_engine::Engine;
use mamori_policy::workflow::{DepartmentTree, Workflow};
use mamori_policy::Profile;
use mamori_store::org::{Department, Person, RoleAssignment};
use mamori_store::Store;
use tokio::sync::RwLock;
use tower_http::set_header::SetResponseHeaderLayer;

pub use settings::{LedgerSettings, MailSettings, Settings};

/// The organization's active profile version, parsed once: the profile, its compiled
/// decision engine and its workflow rules.
#[derive(Clone)]
pub struct ActiveProfile {
    pub version_id: i64,
    pub profile: Arc<Profile>,
    pub engine: Arc<Engine>,
    pub workflow: Arc<Workflow>,
}

use crate::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Parsed active profiles by organization, with the profile version id they came from.
    profiles: Arc<RwLock<HashMap<i64, ActiveProfile>>>,
    /// The service-token path of `POST /api/v1/decisions`: checked without a database query
    /// on most calls (see [`FastPath`]).
    fast: Arc<FastPath>,
    /// Failed sign-ins by client address, in this process's memory.
    pub login_limiter: Arc<throttle::AddressLimiter>,
    /// Where password hashing and checking run.
    pub passwords: Arc<auth::PasswordWork>,
    /// What every signed-in request reads about its organization, by organization (see
    /// [`AppState::org_data`]).
    org_data: Arc<std::sync::RwLock<HashMap<i64, OrgData>>>,
    /// The dashboard's yearly-cycle facts by organization, with the change counter and the
    /// day they were read for (see `routes::yearly::year_data_cached`).
    pub(crate) year_data: Arc<std::sync::Mutex<YearDataCache>>,
    /// When this process last wrote each session's last-seen time (see [`AppState::claim_touch`]).
    touched: Arc<std::sync::Mutex<HashMap<i64, std::time::Instant>>>,
}

/// By organization: the change counter and the day the yearly-cycle facts were read for, and
/// the facts.
pub(crate) type YearDataCache = HashMap<i64, (i64, chrono::NaiveDate, Arc<routes::yearly::YearData>)>;

/// A person and their role assignments.
pub type PersonRoles = Arc<(Person, Vec<RoleAssignment>)>;

/// The organization's data every signed-in request needs: its active profile and its
/// departments, as of the change counter `seq` ([`mamori_store::Store::change_state`]).
#[derive(Clone)]
pub struct OrgData {
    /// The organization's change counter when this was read.
    pub seq: i64,
    pub active: Option<ActiveProfile>,
    pub departments: Arc<Vec<Department>>,
    pub tree: Arc<DepartmentTree>,
    /// Signed-in people and their role assignments, as of `seq`, filled as they are read.
    people: Arc<std::sync::RwLock<HashMap<i64, PersonRoles>>>,
}

impl OrgData {
    /// A person of the organization and their role assignments, as of `seq`.
    pub async fn person(&self, store: &Store, org_id: i64, person_id: i64) -> Result<PersonRoles, AppError> {
        if let Some(p) = self.people.read().ok().and_then(|m| m.get(&person_id).cloned()) {
            return Ok(p);
        }
        let (person, roles) = tokio::try_join!(store.person(org_id, person_id), store.roles_of_person(person_id))?;
        let found = Arc::new((person, roles));
        if let Ok(mut m) = self.people.write() {
            m.insert(person_id, found.clone());
        }
        Ok(found)
    }
}

/// Caches for machine clients of the decision API. A token is trusted for
/// [`FastPath::TOKEN_TTL`] after it was last read from the database (so a revocation takes
/// effect within that time), and an organization's engine for [`FastPath::ENGINE_TTL`] after
/// its active profile version was last checked (so an activation by another process takes
/// effect within that time; one in this process at once).
#[derive(Default)]
pub struct FastPath {
    tokens: std::sync::RwLock<HashMap<String, (std::time::Instant, mamori_store::requests::ApiToken)>>,
    engines: std::sync::RwLock<HashMap<i64, (std::time::Instant, Arc<Engine>)>>,
}

impl FastPath {
    pub const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(5);
    pub const ENGINE_TTL: std::time::Duration = std::time::Duration::from_secs(2);
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        let login_limiter = Arc::new(throttle::AddressLimiter::new(settings.login_throttle_max, settings.login_throttle_window));
        Self {
            store,
            settings: Arc::new(settings),
            profiles: Arc::default(),
            fast: Arc::default(),
            login_limiter,
            passwords: Arc::default(),
            org_data: Arc::default(),
            year_data: Arc::default(),
            touched: Arc::default(),
        }
    }

    /// The live service token with this SHA-256, from the cache or the database.
    pub async fn service_token(&self, token_hash: &str) -> Result<Option<mamori_store::requests::ApiToken>, AppError> {
        if let Some((at, t)) = self.fast.tokens.read().ok().and_then(|m| m.get(token_hash).cloned()) {
            if at.elapsed() < FastPath::TOKEN_TTL {
                return Ok(Some(t));
            }
        }
        let found = self.store.api_token_by_hash(token_hash).await?;
        if let Ok(mut m) = self.fast.tokens.write() {
            match &found {
                Some(t) => {
                    m.insert(token_hash.to_owned(), (std::time::Instant::now(), t.clone()));
                }
                None => {
                    m.remove(token_hash);
                }
            }
        }
        Ok(found)
    }

    /// The organization's engine for the service-token path.
    pub async fn engine_cached(&self, org_id: i64) -> Result<Option<Arc<Engine>>, AppError> {
        if let Some((at, e)) = self.fast.engines.read().ok().and_then(|m| m.get(&org_id).cloned()) {
            if at.elapsed() < FastPath::ENGINE_TTL {
                return Ok(Some(e));
            }
        }
        let engine = self.engine(org_id).await?;
        if let (Some(e), Ok(mut m)) = (&engine, self.fast.engines.write()) {
            m.insert(org_id, (std::time::Instant::now(), e.clone()));
        }
        Ok(engine)
    }

    /// The organization's active profile, parsed once per version.
    pub async fn profile(&self, org_id: i64) -> Result<Option<(i64, Arc<Profile>)>, AppError> {
        Ok(self.active(org_id).await?.map(|a| (a.version_id, a.profile)))
    }

    /// The decision engine compiled from the organization's active profile.
    pub async fn engine(&self, org_id: i64) -> Result<Option<Arc<Engine>>, AppError> {
        Ok(self.active(org_id).await?.map(|a| a.engine))
    }

    /// The active profile version. Each call asks the database only which version is
    /// active (a small indexed read); the text is read and parsed once per version.
    pub async fn active(&self, org_id: i64) -> Result<Option<ActiveProfile>, AppError> {
        let Some(version_id) = self.store.active_profile_id(org_id).await? else { return Ok(None) };
        self.active_version(org_id, version_id).await.map(Some)
    }

    /// Profile version `version_id`, the active one: parsed once.
    async fn active_version(&self, org_id: i64, version_id: i64) -> Result<ActiveProfile, AppError> {
        if let Some(cached) = self.profiles.read().await.get(&org_id) {
            if cached.version_id == version_id {
                return Ok(cached.clone());
            }
        }
        let active = self.store.profile_version(org_id, version_id).await?;
        // A stored profile was validated before it was activated; failing here means the
        // database was changed behind mamori's back or this build reads the format differently.
        let parsed = mamori_policy::parse_profile(&active.file_name, &active.content).map_err(AppError::internal)?;
        // Decisions name the profile version by its number and the start of its digest.
        let version = format!("{}@{}", active.version_no, &active.digest[..active.digest.len().min(12)]);
        let engine = Engine::compile(&parsed, version).map_err(AppError::internal)?;
        let workflow = Workflow::of(&parsed);
        let cached =
            ActiveProfile { version_id: active.id, profile: Arc::new(parsed), engine: Arc::new(engine), workflow: Arc::new(workflow) };
        self.profiles.write().await.insert(org_id, cached.clone());
        if let Ok(mut m) = self.fast.engines.write() {
            m.remove(&org_id);
        }
        Ok(cached)
    }

    /// Whether this request should write the session's last-seen time, which it found older
    /// than `interval`: yes unless another request of this process has just claimed it, so
    /// that the requests arriving together with a session's stale time do not all queue to
    /// write it.
    pub(crate) fn claim_touch(&self, session_id: i64, interval: std::time::Duration) -> bool {
        let Ok(mut m) = self.touched.lock() else { return true };
        if m.get(&session_id).is_some_and(|at| at.elapsed() < interval) {
            return false;
        }
        if m.len() >= 10_000 {
            m.retain(|_, at| at.elapsed() < interval);
        }
        m.insert(session_id, std::time::Instant::now());
        true
    }

    /// The organization's active profile and departments. One small read of the change
    /// counter and the active version on every call; the departments are read again only when
    /// the counter moved, that is after any change to the organization's data, made here or
    /// by another process. The counter is read before the data, so data cached under a
    /// counter is never older than the counter says.
    pub async fn org_data(&self, org_id: i64) -> Result<OrgData, AppError> {
        let (seq, version) = self.store.change_state(org_id).await?.unwrap_or((-1, None));
        if let Some(cached) = self.org_data.read().ok().and_then(|m| m.get(&org_id).cloned()) {
            if cached.seq == seq && cached.active.as_ref().map(|a| a.version_id) == version {
                return Ok(cached);
            }
        }
        let active = match version {
            Some(v) => Some(self.active_version(org_id, v).await?),
            None => None,
        };
        let (departments, tree) = self.departments(org_id).await?;
        let data = OrgData { seq, active, departments, tree, people: Arc::default() };
        if let Ok(mut m) = self.org_data.write() {
            // A slower reader of an older counter does not replace a newer entry.
            if m.get(&org_id).is_none_or(|c| c.seq <= seq) {
                m.insert(org_id, data.clone());
            }
        }
        Ok(data)
    }

    /// The organization's departments and their tree.
    pub async fn departments(&self, org_id: i64) -> Result<(Arc<Vec<Department>>, Arc<DepartmentTree>), AppError> {
        let departments = self.store.departments(org_id).await?;
        let tree = DepartmentTree::new(departments.iter().map(|d| (d.id, d.parent_id)));
        Ok((Arc::new(departments), Arc::new(tree)))
    }
}

/// The id of one request, recorded with every change it makes.
#[derive(Clone)]
pub struct RequestId(pub String);

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = hex::encode(rand::random::<[u8; 8]>());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

pub fn app(state: AppState) -> Router {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (header::HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    let mut router = routes::router()
        .layer(middleware::from_fn(text_policy::apply))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(middleware::from_fn(request_id))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(12 * 1024 * 1024));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router.with_state(state)
}

/// Serves until `shutdown` completes. Handlers see the peer's address (`ConnectInfo`), which
/// sign-in throttling counts by.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).with_graceful_shutdown(shutdown).await
}
