//! Sign-in pages: password, second factor, first-time TOTP setup, password change, sign-out.

use crate::views::per;
use axum::extract::{Form, State};
use axum::http::request::Parts;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use mamori_policy::workflow::{Citation, Step};
use maud::html;
use serde::Deserialize;

use crate::auth::{self, next_step, SignedIn, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::error::AppError;
use crate::throttle;
use crate::views::layout::{bare_page, csrf_field};
use crate::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

fn login_page(csrf: &str, error: Option<&str>, notice: Option<&str>) -> axum::response::Html<String> {
    bare_page(
        "ログイン",
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if let Some(n) = notice { p.notice { (n) } }
            form.stack method="post" action="/login" {
                (csrf_field(csrf))
                label for="login" { "ログインID" }
                input #login type="text" name="login" autocomplete="username" required autofocus;
                label for="password" { "パスワード" }
                input #password type="password" name="password" autocomplete="current-password" required;
                p { button type="submit" { "ログイン" } }
            }
            p.small { "このシステムは情報セキュリティポリシーに基づき運用されています。権限のない利用は禁止されています。" }
        },
    )
}

pub async fn login_form(State(state): State<AppState>, parts: Parts) -> Response {
    let token = auth::cookie_value(&parts, LOGIN_CSRF_COOKIE).unwrap_or_else(auth::random_token);
    let notice = parts.uri.query().filter(|q| q.contains("ended")).map(|_| "ログアウトしました。");
    let cookie = auth::set_cookie(LOGIN_CSRF_COOKIE, &token, state.settings.secure_cookies, None);
    (AppendHeaders([cookie]), login_page(&token, None, notice)).into_response()
}

/// The one answer to every refused sign-in: an unknown login, a wrong password, an account
/// closed after failed sign-ins or suspended, an address throttled. The same words and
/// status for all, so that the page does not tell which logins exist or are closed.
pub(crate) const SIGN_IN_REFUSED: &str = "ログインIDまたはパスワードが正しくないか、しばらくの間ログインできません。";

pub async fn login(State(state): State<AppState>, parts: Parts, Form(form): Form<LoginForm>) -> Result<Response, AppError> {
    let csrf = auth::cookie_value(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let refused = || (axum::http::StatusCode::UNAUTHORIZED, login_page(&csrf, Some(SIGN_IN_REFUSED), None)).into_response();
    let address = throttle::client_address(&parts, &state.settings.trusted_proxies);
    let (now, instant) = (chrono::Utc::now(), std::time::Instant::now());
    // An address that keeps failing is refused before any password is checked, whatever
    // login it tries: the argon2 work is what a guesser would make us spend.
    if address.is_some_and(|a| state.login_limiter.throttled(a, instant)) {
        tracing::warn!(address = ?address, "sign-in refused: too many failures from this address");
        return Ok(refused());
    }
    let failed_from_address = || {
        if let Some(a) = address {
            state.login_limiter.record_failure(a, instant);
        }
    };
    let user = match state.store.user_by_login(form.login.trim()).await? {
        Some(user) if !user.refused_at(now) => user,
        closed => {
            // Spend the same time as for an open account's check, and say the same.
            state.passwords.verify(&form.password, None).await;
            failed_from_address();
            if let Some(user) = closed {
                tracing::info!(login = %user.login, locked_until = ?user.locked_until, suspended = user.locked, "sign-in to a closed account refused");
            }
            return Ok(refused());
        }
    };
    if !state.passwords.verify(&form.password, Some(&user.password_hash)).await {
        failed_from_address();
        state.store.record_login_failure(&user, &state.settings.lockout_schedule(), "password", now).await?;
        return Ok(refused());
    }
    let token = auth::random_token();
    let user_agent = parts.headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let client = address.map(|a| a.to_string()).unwrap_or_default();
    state.store.create_session_from(user.id, &auth::token_hash(&token), &auth::random_token(), false, user_agent, &client).await?;
    // The sign-in is complete (and recorded) only after the second factor, if there is one.
    if !user.totp_enabled && !auth::mfa_required(&state, &user).await? {
        state.store.record_login_success(&user).await?;
    }
    let cookie = auth::set_cookie(SESSION_COOKIE, &token, state.settings.secure_cookies, None);
    Ok((AppendHeaders([cookie]), Redirect::to("/")).into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn totp_form(s: SignedIn) -> impl IntoResponse {
    totp_page(&s.session.csrf_token, None)
}

fn totp_page(csrf: &str, error: Option<&str>) -> axum::response::Html<String> {
    bare_page(
        "二要素認証",
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p { "認証アプリに表示されている6桁の確認コードを入力してください。" }
            form.stack method="post" action="/login/totp" {
                (csrf_field(csrf))
                label for="code" { "確認コード" }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus;
                p { button type="submit" { "確認" } }
            }
        },
    )
}

pub async fn totp_verify(State(state): State<AppState>, s: SignedIn, Form(form): Form<CodeForm>) -> Result<Response, AppError> {
    let now = chrono::Utc::now();
    // Failed codes close the account like failed passwords; a half-signed-in session of a
    // closed account ends, and signing in again is refused until the delay has passed.
    if s.user.locked_out_at(now) {
        state.store.end_session(s.session.id).await?;
        return Ok(Redirect::to("/login").into_response());
    }
    let secret = s.user.totp_secret.as_deref().filter(|_| s.user.totp_enabled).ok_or(AppError::Forbidden)?;
    let totp = auth::totp_for(secret, &state.settings.totp_issuer, &s.user.login)?;
    let step = auth::totp_step_matching(&totp, &form.code, auth::unix_now());
    let accepted = match step {
        Some(step) => state.store.consume_totp_step(s.user.id, step).await?,
        None => false,
    };
    if !accepted {
        let outcome = state.store.record_login_failure(&s.user, &state.settings.lockout_schedule(), "totp", now).await?;
        if matches!(outcome, mamori_store::users::FailureOutcome::LockedOut { .. }) {
            state.store.end_session(s.session.id).await?;
            return Ok(Redirect::to("/login").into_response());
        }
        return Ok((axum::http::StatusCode::UNAUTHORIZED, totp_page(&s.session.csrf_token, Some("確認コードが違います。"))).into_response());
    }
    state.store.pass_session_mfa(s.session.id).await?;
    state.store.record_login_success(&s.user).await?;
    Ok(Redirect::to("/").into_response())
}

/// First-time setup of the second factor, required for administrators, the CISO and the 統括.
pub async fn totp_setup_form(State(state): State<AppState>, s: SignedIn) -> Result<Response, AppError> {
    if s.user.totp_enabled {
        return Ok(Redirect::to("/").into_response());
    }
    let secret = match &s.user.totp_secret {
        Some(secret) => secret.clone(),
        None => {
            let secret = auth::new_totp_secret();
            state.store.set_totp_secret(&s.user, &secret, &actor(&s)).await?;
            secret
        }
    };
    let cite = citation(&state, &s, Step::AccessControl).await?;
    Ok(totp_setup_page(&state, &s, &secret, cite.as_ref(), None)?.into_response())
}

fn actor(s: &SignedIn) -> mamori_store::Actor {
    mamori_store::Actor { user_id: Some(s.user.id), label: s.user.login.clone(), ..Default::default() }
}

/// The clause of the signed-in person's organization for a step, for a page shown before
/// sign-in is complete (no `Access` yet).
async fn citation(state: &AppState, s: &SignedIn, step: Step) -> Result<Option<Citation>, AppError> {
    Ok(state.active(s.user.org_id).await?.map(|a| a.workflow.cite(step)))
}

fn totp_setup_page(
    state: &AppState,
    s: &SignedIn,
    secret: &str,
    cite: Option<&Citation>,
    error: Option<&str>,
) -> Result<axum::response::Html<String>, AppError> {
    let totp = auth::totp_for(secret, &state.settings.totp_issuer, &s.user.login)?;
    Ok(bare_page(
        "二要素認証の設定",
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p {
                "このアカウントには二要素認証が必要です" @if let Some(c) = cite { (per(c)) } "。"
                "認証アプリ（Google Authenticator、Microsoft Authenticator など）に次の鍵を登録し、表示された6桁のコードを入力してください。"
            }
            p { "鍵（手入力用）:" }
            pre.secret #totp-secret { (secret) }
            p.small { "登録用URI: " code { (totp.get_url()) } }
            form.stack method="post" action="/account/totp" {
                (csrf_field(&s.session.csrf_token))
                label for="code" { "確認コード" }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required;
                p { button type="submit" { "設定して続ける" } }
            }
        },
    ))
}

pub async fn totp_setup(State(state): State<AppState>, s: SignedIn, Form(form): Form<CodeForm>) -> Result<Response, AppError> {
    if s.user.totp_enabled {
        return Ok(Redirect::to("/").into_response());
    }
    let secret = s.user.totp_secret.clone().ok_or(AppError::BadRequest("鍵が発行されていません".into()))?;
    let totp = auth::totp_for(&secret, &state.settings.totp_issuer, &s.user.login)?;
    let Some(step) = auth::totp_step_matching(&totp, &form.code, auth::unix_now()) else {
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            totp_setup_page(
                &state,
                &s,
                &secret,
                citation(&state, &s, Step::AccessControl).await?.as_ref(),
                Some("確認コードが違います。認証アプリの時刻と鍵を確認してください。"),
            )?,
        )
            .into_response());
    };
    state.store.enable_totp(&s.user, step, &actor(&s)).await?;
    state.store.pass_session_mfa(s.session.id).await?;
    state.store.record_login_success(&s.user).await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

fn password_page(s: &SignedIn, min: usize, cite: Option<&Citation>, error: Option<&str>) -> axum::response::Html<String> {
    bare_page(
        "パスワードの変更",
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if s.user.must_change_password {
                p.warn { "仮のパスワードでログインしました。続けるには新しいパスワードを設定してください" @if let Some(c) = cite { (per(c)) } "。" }
            }
            form.stack method="post" action="/account/password" {
                (csrf_field(&s.session.csrf_token))
                label for="current" { "現在のパスワード" }
                input #current type="password" name="current" autocomplete="current-password" required;
                p.small #password-rule { (crate::password::rule_ja(min)) }
                label for="new" { "新しいパスワード（" (min) "文字以上）" }
                input #new type="password" name="new" autocomplete="new-password" required minlength=(min);
                label for="confirm" { "新しいパスワード（確認）" }
                input #confirm type="password" name="confirm" autocomplete="new-password" required;
                p { button type="submit" { "変更する" } }
            }
        },
    )
}

pub async fn password_form(State(state): State<AppState>, s: SignedIn) -> Result<Response, AppError> {
    if let Some(step) = next_step(&state, &s).await? {
        if step != "/account/password" {
            return Ok(Redirect::to(step).into_response());
        }
    }
    let cite = citation(&state, &s, Step::InitialPassword).await?;
    Ok(password_page(&s, state.settings.min_password_length, cite.as_ref(), None).into_response())
}

pub async fn password_change(State(state): State<AppState>, s: SignedIn, Form(form): Form<PasswordForm>) -> Result<Response, AppError> {
    if let Some(step) = next_step(&state, &s).await? {
        if step != "/account/password" {
            return Ok(Redirect::to(step).into_response());
        }
    }
    let min = state.settings.min_password_length;
    let current_ok = state.passwords.verify(&form.current, Some(&s.user.password_hash)).await;
    let problem = if !current_ok {
        Some("現在のパスワードが違います。".to_owned())
    } else if form.new != form.confirm {
        Some("新しいパスワードと確認用の入力が一致しません。".to_owned())
    } else if form.new == form.current {
        Some("新しいパスワードは現在のものと別にしてください。".to_owned())
    } else {
        // zxcvbn takes a few milliseconds on a long password: off the async workers too.
        let (new, login, name) = (form.new.clone(), s.user.login.clone(), s.user.display_name.clone());
        tokio::task::spawn_blocking(move || crate::password::check(&new, min, &login, &name))
            .await
            .map_err(AppError::internal)?
            .err()
            .map(|p| p.message_ja())
    };
    if let Some(p) = problem {
        let cite = citation(&state, &s, Step::InitialPassword).await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, password_page(&s, min, cite.as_ref(), Some(&p))).into_response());
    }
    let hash = state.passwords.hash(&form.new).await?;
    // Whoever else holds the old password is signed out; this session stays.
    state.store.change_own_password(&s.user, &hash, s.session.id, &actor(&s)).await?;
    Ok(Redirect::to("/?password_changed=1").into_response())
}

pub async fn logout(State(state): State<AppState>, s: SignedIn) -> Result<Response, AppError> {
    state.store.end_session(s.session.id).await?;
    let cookie = auth::set_cookie(SESSION_COOKIE, "", state.settings.secure_cookies, Some(0));
    Ok((AppendHeaders([cookie]), Redirect::to("/login?ended=1")).into_response())
}
