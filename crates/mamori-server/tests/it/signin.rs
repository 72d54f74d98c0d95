//! Sign-in: lockout, temporary passwords, the second factor, idle timeout, CSRF, headers.

use std::time::Duration;

use mamori_server::Settings;

use crate::helpers::{TestApp, PASSWORD};

const REFUSED: &str = "ログインIDまたはパスワードが正しくないか、しばらくの間ログインできません。";

/// Seconds from now until the account's `locked_until`.
async fn lockout_left(app: &TestApp, login: &str) -> i64 {
    let user = app.store().user_by_login(login).await.unwrap().unwrap();
    let until = mamori_store::parse_time(user.locked_until.as_deref().expect("the account is locked out")).unwrap();
    (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds()
}

/// Moves the account's lockout into the past, as if its delay had been waited out.
async fn wait_out_lockout(app: &TestApp, login: &str) {
    sqlx::query("UPDATE users SET locked_until = '2000-01-01T00:00:00.000+09:00' WHERE login = $1")
        .bind(login)
        .execute(app.store().pool())
        .await
        .unwrap();
}

/// After the limit the account is closed for a minute, then two, then four …; it opens by
/// itself when the delay has passed, and a success starts the count again. Attempts while
/// it is closed are refused unchecked and do not lengthen it.
async fn lockout_grows_then_releases(app: TestApp) {
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    let c = app.client();
    for _ in 0..2 {
        let p = c.login("sato", "wrong password").await;
        assert_eq!((p.status, p.body.contains(REFUSED)), (401, true), "{}", p.body);
    }
    c.login("sato", "wrong password").await;
    let left = lockout_left(&app, "sato").await;
    assert!((55..=60).contains(&left), "the first lockout is a minute, {left} s left");
    // Even the right password is refused now, and the attempt does not count.
    let p = c.login("sato", PASSWORD).await;
    assert_eq!((p.status, p.body.contains(REFUSED)), (401, true), "{}", p.body);
    assert_eq!(app.store().user_by_login("sato").await.unwrap().unwrap().failed_attempts, 3);

    wait_out_lockout(&app, "sato").await;
    c.login("sato", "wrong password").await;
    let left = lockout_left(&app, "sato").await;
    assert!((115..=120).contains(&left), "the next failure doubles it, {left} s left");
    wait_out_lockout(&app, "sato").await;
    c.login("sato", "wrong password").await;
    let left = lockout_left(&app, "sato").await;
    assert!((235..=240).contains(&left), "and doubles again, {left} s left");

    wait_out_lockout(&app, "sato").await;
    assert_eq!(c.login("sato", PASSWORD).await.url, "/", "the account opened by itself");
    let user = app.store().user_by_login("sato").await.unwrap().unwrap();
    assert_eq!((user.failed_attempts, user.locked_until), (0, None), "a success resets the count");

    let events = app.store().events(app.org_id, None, 100).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "auth.failure").count(), 2);
    assert_eq!(events.iter().filter(|e| e.action == "auth.lock").count(), 3);
    assert_eq!(events.iter().filter(|e| e.action == "auth.login").count(), 1);
    app.finish().await;
}

#[tokio::test]
async fn lockout_grows_then_releases_on_sqlite() {
    lockout_grows_then_releases(TestApp::sqlite(Settings { lockout_limit: 3, ..Settings::default() }).await).await;
}

#[tokio::test]
async fn lockout_grows_then_releases_on_postgres() {
    lockout_grows_then_releases(TestApp::postgres(Settings { lockout_limit: 3, ..Settings::default() }).await).await;
}

/// Unknown login, wrong password, an account closed after failures, a suspended account and
/// a throttled address all get the same status and the same page.
async fn every_refusal_looks_the_same(app: TestApp) {
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    app.user("kato", d, None).await;
    app.user("ito", d, None).await;
    sqlx::query("UPDATE users SET locked = 1 WHERE login = 'ito'").execute(app.store().pool()).await.unwrap();
    let c = app.client();
    let wrong = c.login("sato", "wrong password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains(REFUSED), "{}", wrong.body);
    for (what, login, password) in [("an unknown login", "nobody", "whatever"), ("a suspended account", "ito", PASSWORD)] {
        let p = c.login(login, password).await;
        assert_eq!((p.status, &p.body), (wrong.status, &wrong.body), "{what}");
    }
    for _ in 0..2 {
        c.login("kato", "wrong password").await;
    }
    let p = c.login("kato", PASSWORD).await;
    assert_eq!((p.status, &p.body), (wrong.status, &wrong.body), "an account closed after failures");
    // This client has failed 6 times; the limit is 6: now even a right password is refused.
    let p = c.login("sato", PASSWORD).await;
    assert_eq!((p.status, &p.body), (wrong.status, &wrong.body), "a throttled address");
    app.finish().await;
}

fn refusal_settings() -> Settings {
    Settings { lockout_limit: 2, login_throttle_max: 6, ..Settings::default() }
}

#[tokio::test]
async fn every_refusal_looks_the_same_on_sqlite() {
    every_refusal_looks_the_same(TestApp::sqlite(refusal_settings()).await).await;
}

#[tokio::test]
async fn every_refusal_looks_the_same_on_postgres() {
    every_refusal_looks_the_same(TestApp::postgres(refusal_settings()).await).await;
}

/// Too many failures from one address refuse every login from it, before any password is
/// checked; another address is not affected. Addresses come from `X-Forwarded-For` only
/// because the test's own address is configured as the trusted proxy.
async fn an_address_that_keeps_failing_is_throttled(app: TestApp) {
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    let c = app.client();
    let login_from = |address: &'static str, login: &'static str, password: &'static str| {
        let c = c.clone();
        async move {
            let page = c.get("/login").await;
            let csrf = crate::helpers::csrf_in(&page.body);
            let res = c
                .http
                .post(format!("{}/login", c.base))
                .header("x-forwarded-for", address)
                .form(&[("login", login), ("password", password), ("csrf", &csrf)])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.url().path().to_owned())
        }
    };
    for login in ["nobody", "someone", "sato", "admin"] {
        assert_eq!(login_from("198.51.100.7", login, "guess").await.0, 401);
    }
    assert_eq!(login_from("198.51.100.7", "sato", PASSWORD).await.0, 401, "the address is throttled, whatever the password");
    let user = app.store().user_by_login("sato").await.unwrap().unwrap();
    assert_eq!(user.failed_attempts, 1, "the throttled attempt was not checked against the account");
    assert_eq!(login_from("198.51.100.8", "sato", PASSWORD).await.1, "/", "another address signs in");
    app.finish().await;
}

fn throttle_settings() -> Settings {
    Settings { login_throttle_max: 4, trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..Settings::default() }
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_throttled_on_sqlite() {
    an_address_that_keeps_failing_is_throttled(TestApp::sqlite(throttle_settings()).await).await;
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_throttled_on_postgres() {
    an_address_that_keeps_failing_is_throttled(TestApp::postgres(throttle_settings()).await).await;
}

#[tokio::test]
async fn the_default_lockout_limit_is_five() {
    assert_eq!(Settings::default().lockout_limit, 5);
}

#[tokio::test]
async fn a_temporary_password_must_be_changed_and_the_previous_sign_in_is_shown() {
    let app = TestApp::sqlite(Settings::default()).await;
    let d = app.department("200", "住民課").await;
    let id = app.user("tanaka", d, None).await;
    let user = app.store().user(id).await.unwrap();
    let temp = mamori_server::auth::hash_password("temporary-pass-123").unwrap();
    app.store().set_password(&user, &temp, true, &mamori_store::Actor::system("test")).await.unwrap();

    let c = app.client();
    let p = c.login("tanaka", "temporary-pass-123").await;
    assert_eq!(p.url, "/account/password", "a temporary password leads to the change form");
    assert!(p.body.contains("仮のパスワード"));
    // Every other page sends the person back there.
    assert_eq!(c.get("/assets").await.url, "/account/password");
    let p = c
        .submit("/account/password", "/account/password", &[("current", "temporary-pass-123"), ("new", "short"), ("confirm", "short")])
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("12文字以上"), "{}", p.body);
    let p = c
        .submit(
            "/account/password",
            "/account/password",
            &[("current", "temporary-pass-123"), ("new", "lantern-orchard-quietly-drifts"), ("confirm", "lantern-orchard-quietly-drifts")],
        )
        .await;
    assert_eq!(p.url, "/");
    assert!(p.body.contains("今回が初めてのログインです"), "{}", p.body);

    // The second sign-in shows when the first one was.
    let c2 = app.client();
    let p = c2.login("tanaka", "lantern-orchard-quietly-drifts").await;
    assert_eq!(p.url, "/");
    assert!(p.body.contains("前回のログイン: 令和"), "{}", p.body);
    app.finish().await;
}

#[tokio::test]
async fn administrators_must_set_up_and_use_a_second_factor() {
    let app = TestApp::sqlite(Settings::default()).await;
    let d = app.department("100", "総務課").await;
    let id = app.user("admin", d, None).await;
    sqlx::query("UPDATE users SET is_admin = 1 WHERE id = $1").bind(id).execute(app.store().pool()).await.unwrap();

    let c = app.client();
    let p = c.login("admin", PASSWORD).await;
    assert_eq!(p.url, "/account/totp", "an administrator without a second factor is sent to set one up");
    assert_eq!(c.get("/org").await.url, "/account/totp");
    let secret = {
        let at = p.body.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
        p.body[at..at + p.body[at..].find('<').unwrap()].to_owned()
    };
    let totp = mamori_server::auth::totp_for(&secret, "mamori", "admin").unwrap();
    let p = c.submit("/account/totp", "/account/totp", &[("code", "000000")]).await;
    assert_eq!(p.status, 400);
    let code = totp.generate(mamori_server::auth::unix_now());
    let p = c.submit("/account/totp", "/account/totp", &[("code", &code)]).await;
    assert_eq!(p.url, "/", "{}", p.body);
    assert!(c.get("/org").await.body.contains("利用者アカウント"));

    // Next time: password, then the code; the same code cannot be used twice.
    let c2 = app.client();
    let p = c2.login("admin", PASSWORD).await;
    assert_eq!(p.url, "/login/totp");
    assert_eq!(c2.get("/assets").await.url, "/login/totp");
    let p = c2.submit("/login/totp", "/login/totp", &[("code", &code)]).await;
    assert_eq!(p.status, 401, "a code already used is refused");
    app.finish().await;
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = TestApp::sqlite(Settings { session_idle: Duration::from_secs(1), ..Settings::default() }).await;
    let d = app.department("200", "住民課").await;
    app.user("suzuki", d, None).await;
    let c = app.client();
    assert_eq!(c.login("suzuki", PASSWORD).await.url, "/");
    assert_eq!(c.get("/assets").await.url, "/assets");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(c.get("/assets").await.url, "/login", "the session timed out");
    app.finish().await;
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_pages_carry_security_headers() {
    let app = TestApp::sqlite(Settings::default()).await;
    let d = app.department("200", "住民課").await;
    app.user("ito", d, Some("security_manager")).await;
    let c = app.client();
    c.login("ito", PASSWORD).await;
    let form = [("name", "申請書"), ("department_id", &d.to_string()[..]), ("kind", "document"), ("medium", "paper")];
    let p = c.post_form("/assets", &form).await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("有効期限が切れました"));
    let mut with_bad = form.to_vec();
    with_bad.push(("csrf", "forged"));
    assert_eq!(c.post_form("/assets", &with_bad).await.status, 403);
    assert_eq!(app.store().asset_count(app.org_id).await.unwrap(), 0, "nothing was created");
    let p = c.submit("/assets/new", "/assets", &form).await;
    assert_eq!(p.status, 200);
    assert_eq!(app.store().asset_count(app.org_id).await.unwrap(), 1);

    let res = c.http.get(format!("{}/assets", c.base)).send().await.unwrap();
    let h = res.headers();
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    let login = c.http.get(format!("{}/login", c.base)).send().await.unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    app.finish().await;
}
