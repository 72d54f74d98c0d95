//! The signed-in person's own account: what it is, and where it is signed in
//! (ログイン中の端末), with a way to end any of those sessions.

use axum::extract::{Path, Query, State};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::{self, Access, SESSION_COOKIE};
use crate::error::AppError;
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::AppState;

pub async fn overview(access: Access) -> Response {
    let u = &access.user;
    page(
        "アカウント",
        Some(&access),
        html! {
            dl.facts {
                dt { "ログインID" } dd #account-login { (u.login) }
                dt { "氏名" } dd { (u.display_name) }
                dt { "二要素認証" } dd { @if u.totp_enabled { "設定済" } @else { "未設定" } }
                dt { "前回のログイン" } dd { @if let Some(t) = &u.previous_login_at { (wareki_time(t)) } @else { "—" } }
            }
            ul {
                li { a href="/account/password" { "パスワードの変更" } }
                li { a href="/account/sessions" { "ログイン中の端末" } }
            }
        },
    )
    .into_response()
}

#[derive(Deserialize, Default)]
pub struct SessionsNotice {
    #[serde(default)]
    ended: Option<String>,
}

pub async fn sessions(State(state): State<AppState>, access: Access, Query(n): Query<SessionsNotice>) -> Result<Response, AppError> {
    let now = chrono::Utc::now();
    let mut open = Vec::new();
    for s in state.store.open_sessions(access.user.id).await? {
        // One that has run out of time ends when next used; it is not shown as signed in.
        if !auth::session_expired(&state.settings, &s, now)? {
            open.push(s);
        }
    }
    let csrf = &access.session.csrf_token;
    Ok(page(
        "ログイン中の端末",
        Some(&access),
        html! {
            @if n.ended.is_some() { p.notice role="status" { "端末のログインを終了しました。" } }
            p { "このアカウントでログインしている端末（ブラウザ）の一覧です。心当たりのないもの、紛失した端末や共用の端末のものは「ログアウトさせる」で終了してください。パスワードを変更すると、この端末以外のログインはすべて終了します。" }
            table #sessions {
                thead { tr { th { "ログイン" } th { "最終利用" } th { "ブラウザ" } th { "接続元" } th {} } }
                tbody { @for s in &open { tr data-session=(s.id) {
                    td { (wareki_time(&s.created_at)) }
                    td { (wareki_time(&s.last_seen_at)) }
                    td { @if s.user_agent.is_empty() { "不明" } @else { (s.user_agent) } }
                    td { @if s.client_address.is_empty() { "不明" } @else { (s.client_address) } }
                    td {
                        @if s.id == access.session.id { strong.current { "この端末" } " " }
                        form method="post" action={ "/account/sessions/" (s.id) "/end" } {
                            (csrf_field(csrf))
                            button type="submit" { "ログアウトさせる" }
                        }
                    }
                } } }
            }
            p { a href="/account" { "アカウントに戻る" } }
        },
    )
    .into_response())
}

/// Ends one of the person's own sessions; ending the current one signs out here.
pub async fn end_session(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    state.store.end_own_session(&access.user, id, &access.actor()).await?;
    if id == access.session.id {
        let cookie = auth::set_cookie(SESSION_COOKIE, "", state.settings.secure_cookies, Some(0));
        return Ok((AppendHeaders([cookie]), Redirect::to("/login?ended=1")).into_response());
    }
    Ok(Redirect::to("/account/sessions?ended=1").into_response())
}
