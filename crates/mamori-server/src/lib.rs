//! mamori's web server: server-rendered Japanese pages and the JSON API under `/api/v1`.
//!
//! `app(state)` builds the router and `serve(listener, state, shutdown)` runs it, so tests
//! bind port 0 or call the router directly.

pub mod auth;
mod csrf;
pub mod error;
mod routes;
pub mod settings;
pub mod views;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use mamori_policy::Profile;
use mamori_store::Store;
use tokio::sync::RwLock;
use tower_http::set_header::SetResponseHeaderLayer;

pub use settings::Settings;

/// (profile version id, parsed profile)
type CachedProfile = (i64, Arc<Profile>);

use crate::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Parsed active profiles by organization, with the profile version id they came from.
    profiles: Arc<RwLock<HashMap<i64, CachedProfile>>>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        Self { store, settings: Arc::new(settings), profiles: Arc::default() }
    }

    /// The organization's active profile, parsed once per version.
    pub async fn profile(&self, org_id: i64) -> Result<Option<(i64, Arc<Profile>)>, AppError> {
        let Some(active) = self.store.active_profile(org_id).await? else { return Ok(None) };
        if let Some((version, p)) = self.profiles.read().await.get(&org_id) {
            if *version == active.id {
                return Ok(Some((*version, p.clone())));
            }
        }
        // A stored profile was validated before it was activated; failing here means the
        // database was changed behind mamori's back or this build reads the format differently.
        let parsed = mamori_policy::parse_profile(&active.file_name, &active.content).map_err(AppError::internal)?;
        let parsed = Arc::new(parsed);
        self.profiles.write().await.insert(org_id, (active.id, parsed.clone()));
        Ok(Some((active.id, parsed)))
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
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(middleware::from_fn(request_id))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(12 * 1024 * 1024));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router.with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
