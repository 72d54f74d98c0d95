//! The server's one error type. Internal detail goes to the log; the person sees a clear
//! Japanese page (or JSON under /api), never a stack trace.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_store::StoreError;

use crate::views::layout::error_page;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("csrf")]
    Csrf,
    #[error("internal: {0}")]
    Internal(String),
    /// The ledger writer stopped writing: the stored record does not match what this server
    /// signed (mamori-store `writer.rs`). Reads still work.
    #[error("ledger halted: {0}")]
    LedgerHalted(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::Invalid(m) => AppError::BadRequest(m),
            StoreError::LedgerHalted(m) => AppError::LedgerHalted(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::LedgerHalted(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            AppError::Unauthenticated => "ログインしてください。".into(),
            AppError::Forbidden => "この操作を行う権限がありません。".into(),
            AppError::NotFound => "指定されたものは見つかりません。".into(),
            AppError::BadRequest(m) => format!("入力に誤りがあります: {m}"),
            AppError::Conflict(what) => format!("同じ値がすでに登録されています（{what}）。別の値にしてください。"),
            AppError::Csrf => "画面の有効期限が切れました。もう一度画面を開き直してから操作してください。".into(),
            AppError::Internal(_) => {
                "サーバー内部でエラーが発生しました。時間をおいて再度お試しください。解決しない場合は管理者に連絡してください。".into()
            }
            AppError::LedgerHalted(why) => format!(
                "変更の受付を停止しています。保存されている記録が、このサーバーが署名した記録と一致しないためです（{why}）。\
                 閲覧はこれまでどおりできます。統括情報セキュリティ責任者に連絡してください。"
            ),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::Csrf => "csrf",
            AppError::Internal(_) => "internal",
            AppError::LedgerHalted(_) => "ledger_halted",
        }
    }

    /// The JSON form used under /api/v1.
    pub fn into_json(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = %e, "internal error");
        }
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.message_ja()}});
        (self.status(), axum::Json(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = %e, "internal error");
        }
        if let AppError::Unauthenticated = self {
            return axum::response::Redirect::to("/login").into_response();
        }
        (self.status(), error_page(self.status(), &self.message_ja())).into_response()
    }
}

/// An error from a JSON endpoint.
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json()
    }
}
