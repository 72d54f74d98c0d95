//! Sign-in: lockout, temporary passwords, the second factor, idle timeout, CSRF, headers.

use std::time::Duration;

use mamori_server::Settings;

use crate::helpers::{TestApp, PASSWORD};

#[tokio::test]
async fn an_account_locks_after_the_configured_number_of_failures() {
    let app = TestApp::sqlite(Settings { lockout_limit: 3, ..Settings::default() }).await;
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    let c = app.client();
    for _ in 0..2 {
        let p = c.login("sato", "wrong password").await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains("ログインIDまたはパスワードが違います"), "{}", p.body);
    }
    let p = c.login("sato", "wrong password").await;
    assert!(p.body.contains("アカウントをロックしました"), "{}", p.body);
    // Even the right password no longer opens the account.
    let p = c.login("sato", PASSWORD).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("ロックされています"), "{}", p.body);
    let events = app.store().events(app.org_id, None, 100).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.action == "auth.failure").count(), 2);
    assert_eq!(events.iter().filter(|e| e.action == "auth.lock").count(), 1);
    assert!(!events.iter().any(|e| e.action == "auth.login"));
    // An unknown login gives the same answer as a wrong password and locks nothing.
    let p = c.login("nobody", "whatever").await;
    assert!(p.body.contains("ログインIDまたはパスワードが違います"));
    app.finish().await;
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
            &[("current", "temporary-pass-123"), ("new", "a-much-better-one"), ("confirm", "a-much-better-one")],
        )
        .await;
    assert_eq!(p.url, "/");
    assert!(p.body.contains("今回が初めてのログインです"), "{}", p.body);

    // The second sign-in shows when the first one was.
    let c2 = app.client();
    let p = c2.login("tanaka", "a-much-better-one").await;
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
