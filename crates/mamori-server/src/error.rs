//! The server's one error type. It says what went wrong and which HTTP status that is; the
//! Japanese page or JSON a person sees is rendered in `views::error`, so this module depends
//! on no view and no route.
//!
//! The kinds mean one thing each: a permission refusal (403, with the clause and the reason
//! from the active profile), a wrong state (409, with the state), a duplicate (409, with the
//! field), a bad input (400).

use axum::http::StatusCode;
use mamori_policy::workflow::{Denial, Refusal};
use mamori_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    /// Not this person's to see or do, with no clause to cite (an administrator-only page).
    #[error("forbidden")]
    Forbidden,
    /// Not this person's to do under the profile: the clause and the reason.
    #[error("denied: {0}")]
    Denied(Denial),
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The thing is not in a state that allows the action (already approved, closed …).
    #[error("wrong state: {message}")]
    WrongState { message: String, state: Option<String> },
    /// A value that must be unique is taken; `field` names it.
    #[error("duplicate: {0}")]
    Duplicate(String),
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
            StoreError::Duplicate(field) => AppError::Duplicate(field),
            StoreError::WrongState(message) => AppError::WrongState { message, state: None },
            StoreError::Invalid(m) => AppError::BadRequest(m),
            StoreError::LedgerHalted(m) => AppError::LedgerHalted(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<Denial> for AppError {
    fn from(d: Denial) -> Self {
        AppError::Denied(d)
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Denied(d) => AppError::Denied(d),
            w @ Refusal::WrongState { state, .. } => AppError::WrongState { message: w.to_string(), state: Some(state.to_owned()) },
        }
    }
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// A wrong state described by the handler.
    pub fn wrong_state(message: impl Into<String>) -> Self {
        AppError::WrongState { message: message.into(), state: None }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Denied(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::WrongState { .. } | AppError::Duplicate(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::LedgerHalted(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Whether a form's page shows this error above the form (the person can correct the
    /// input or see why), rather than an error page.
    pub fn is_shown_on_form(&self) -> bool {
        matches!(
            self,
            AppError::BadRequest(_) | AppError::Denied(_) | AppError::WrongState { .. } | AppError::Duplicate(_) | AppError::NotFound
        )
    }

    pub fn message_ja(&self) -> String {
        match self {
            AppError::Unauthenticated => "ログインしてください。".into(),
            AppError::Forbidden => "この操作を行う権限がありません。".into(),
            AppError::Denied(d) => format!("この操作を行う権限がありません。{}（根拠: {}）", d.reason, d.clause),
            AppError::NotFound => "指定されたものは見つかりません。".into(),
            AppError::BadRequest(m) => format!("入力に誤りがあります: {m}"),
            AppError::WrongState { message, .. } => format!("現在の状態ではこの操作はできません: {message}"),
            AppError::Duplicate(field) => format!("同じ値がすでに登録されています（{field}）。別の値にしてください。"),
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
            AppError::Forbidden | AppError::Denied(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::WrongState { .. } => "wrong_state",
            AppError::Duplicate(_) => "duplicate",
            AppError::Csrf => "csrf",
            AppError::Internal(_) => "internal",
            AppError::LedgerHalted(_) => "ledger_halted",
        }
    }

    /// The JSON body of this error under /api/v1: a code, the Japanese message, and the
    /// clause and reason of a refusal or the state of a conflict.
    pub fn json_body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({"code": self.code(), "message": self.message_ja()});
        match self {
            AppError::Denied(d) => {
                error["clause"] = d.clause.clone().into();
                error["reason"] = d.reason.clone().into();
                if let Some(s) = d.step {
                    error["step"] = s.id().into();
                }
            }
            AppError::WrongState { state: Some(s), .. } => error["state"] = s.clone().into(),
            AppError::Duplicate(field) => error["field"] = field.clone().into(),
            _ => {}
        }
        serde_json::json!({ "error": error })
    }

    /// Logs what a person must not see: the internal detail.
    pub fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = %e, "internal error");
        }
    }
}

/// An error from a JSON endpoint: rendered as JSON whatever its kind.
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}
