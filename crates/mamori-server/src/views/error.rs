//! How an error looks: a Japanese page, or JSON under /api/v1. Internal detail goes to the
//! log only.

use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use crate::error::{ApiError, AppError};
use crate::views::layout::page;

impl AppError {
    /// The JSON form used under /api/v1.
    pub fn into_json(self) -> Response {
        self.log();
        (self.status(), axum::Json(self.json_body())).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        if let AppError::Unauthenticated = self {
            return Redirect::to("/login").into_response();
        }
        let status = self.status();
        let body = html! {
            p.error role="alert" id="error" { (self.message_ja()) }
            @if let AppError::Denied(d) = &self {
                p.small { "根拠: " (crate::views::cite_clause(&d.clause)) }
            }
            p.small { "（" (status.as_u16()) "）" }
            p { a href="/" { "トップに戻る" } }
        };
        (status, page("エラー", None, body)).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json()
    }
}
