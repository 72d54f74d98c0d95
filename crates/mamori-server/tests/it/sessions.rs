//! Sessions: a password change ends the others, the absolute lifetime, the list of one's
//! own sessions (ログイン中の端末) and ending them, an administrator ending them all.

use mamori_server::Settings;

use crate::helpers::{TestApp, PASSWORD};

/// The account's open sessions, oldest first.
async fn session_ids(app: &TestApp, login: &str) -> Vec<i64> {
    sqlx::query_scalar("SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login = $1 AND s.ended = 0 ORDER BY s.id")
        .bind(login)
        .fetch_all(app.store().pool())
        .await
        .unwrap()
}

async fn a_password_change_ends_the_other_sessions(app: TestApp) {
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    let (here, there) = (app.client(), app.client());
    assert_eq!(here.login("sato", PASSWORD).await.url, "/");
    assert_eq!(there.login("sato", PASSWORD).await.url, "/");
    let new = "violet kettle under moonlit bridges";
    let p = here.submit("/account/password", "/account/password", &[("current", PASSWORD), ("new", new), ("confirm", new)]).await;
    assert_eq!(p.url, "/", "{}", p.body);
    assert_eq!(here.get("/assets").await.url, "/assets", "the session the password was changed from stays");
    assert_eq!(there.get("/assets").await.url, "/login", "the other session ended");
    assert_eq!(session_ids(&app, "sato").await.len(), 1);
    let events = app.store().events(app.org_id, None, 100).await.unwrap();
    let change = events.iter().find(|e| e.action == "user.password" && e.actor == "sato").expect("the change is recorded");
    assert!(change.payload.contains("\"sessions_ended\":1"), "{}", change.payload);
    app.finish().await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_on_sqlite() {
    a_password_change_ends_the_other_sessions(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_on_postgres() {
    a_password_change_ends_the_other_sessions(TestApp::postgres(Settings::default()).await).await;
}

/// A session in use ends at the absolute lifetime (12 hours by default) however recently it
/// was used. The sign-in time is moved back rather than waited for.
async fn the_absolute_lifetime_holds(app: TestApp) {
    assert_eq!(Settings::default().session_lifetime, std::time::Duration::from_secs(12 * 3600));
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    let c = app.client();
    c.login("sato", PASSWORD).await;
    let signed_in_ago = |hours: i64| mamori_store::time_text(chrono::Utc::now() - chrono::Duration::hours(hours));
    sqlx::query("UPDATE sessions SET created_at = $1").bind(signed_in_ago(11)).execute(app.store().pool()).await.unwrap();
    assert_eq!(c.get("/assets").await.url, "/assets", "11 hours after sign-in, in use: still signed in");
    sqlx::query("UPDATE sessions SET created_at = $1").bind(signed_in_ago(13)).execute(app.store().pool()).await.unwrap();
    assert_eq!(c.get("/assets").await.url, "/login", "13 hours after sign-in the session has ended");
    assert!(session_ids(&app, "sato").await.is_empty());
    app.finish().await;
}

#[tokio::test]
async fn the_absolute_lifetime_holds_on_sqlite() {
    the_absolute_lifetime_holds(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn the_absolute_lifetime_holds_on_postgres() {
    the_absolute_lifetime_holds(TestApp::postgres(Settings::default()).await).await;
}

async fn a_session_is_ended_from_the_list(app: TestApp) {
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    app.user("kato", d, None).await;
    let (here, lost) = (app.client(), app.client());
    here.login("sato", PASSWORD).await;
    let res = lost
        .http
        .post(format!("{}/login", lost.base))
        .header("user-agent", "LostTablet/1.0")
        .form(&[("login", "sato"), ("password", PASSWORD), ("csrf", &crate::helpers::csrf_in(&lost.get("/login").await.body))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.url().path(), "/");
    let ids = session_ids(&app, "sato").await;
    let (current, other) = (ids[0], ids[1]);

    let account = here.get("/account").await;
    assert!(account.body.contains("href=\"/account/sessions\""), "the account page links to the list:\n{}", account.body);
    let list = here.get("/account/sessions").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("ログイン中の端末") && list.body.contains("LostTablet/1.0") && list.body.contains("127.0.0.1"),
        "{}",
        list.body
    );
    assert_eq!(list.body.matches("data-session=").count(), 2);

    // Without the CSRF token nothing ends; someone else cannot end it either.
    assert_eq!(here.post_form(&format!("/account/sessions/{other}/end"), &[]).await.status, 403);
    let stranger = app.client();
    stranger.login("kato", PASSWORD).await;
    let p = stranger.submit("/account/sessions", &format!("/account/sessions/{other}/end"), &[]).await;
    assert_eq!(p.status, 404);
    assert_eq!(lost.get("/assets").await.url, "/assets");

    let p = here.submit("/account/sessions", &format!("/account/sessions/{other}/end"), &[]).await;
    assert_eq!(p.url, "/account/sessions");
    assert!(p.body.contains("端末のログインを終了しました"), "{}", p.body);
    assert_eq!(lost.get("/assets").await.url, "/login", "the lost tablet is signed out");
    assert_eq!(session_ids(&app, "sato").await, vec![current]);
    let events = app.store().events(app.org_id, None, 100).await.unwrap();
    assert!(events.iter().any(|e| e.action == "session.end" && e.actor == "sato"));

    // Ending the current session signs out here.
    let p = here.submit("/account/sessions", &format!("/account/sessions/{current}/end"), &[]).await;
    assert_eq!(p.url, "/login");
    assert_eq!(here.get("/assets").await.url, "/login");
    app.finish().await;
}

#[tokio::test]
async fn a_session_is_ended_from_the_list_on_sqlite() {
    a_session_is_ended_from_the_list(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn a_session_is_ended_from_the_list_on_postgres() {
    a_session_is_ended_from_the_list(TestApp::postgres(Settings::default()).await).await;
}

async fn an_administrator_ends_all_of_a_persons_sessions(app: TestApp) {
    let admin = app.admin_client().await;
    let d = app.department("200", "住民課").await;
    let sato = app.user("sato", d, None).await;
    let (one, two) = (app.client(), app.client());
    one.login("sato", PASSWORD).await;
    two.login("sato", PASSWORD).await;
    let org = admin.get("/org").await;
    assert!(org.body.contains(&format!("/org/users/{sato}/sessions/end")), "{}", org.body);
    let p = admin.submit("/org", &format!("/org/users/{sato}/sessions/end"), &[]).await;
    assert_eq!(p.url, "/org");
    assert!(p.body.contains("すべての端末でログアウトさせました（2件）"), "{}", p.body);
    assert_eq!(one.get("/assets").await.url, "/login");
    assert_eq!(two.get("/assets").await.url, "/login");
    assert_eq!(admin.get("/org").await.url, "/org", "the administrator's own session stays");
    let events = app.store().events(app.org_id, None, 100).await.unwrap();
    let e = events.iter().find(|e| e.action == "user.sessions_end").expect("recorded");
    assert_eq!(e.actor, "admin");
    // A staff member without the right is refused.
    let p = one.login("sato", PASSWORD).await;
    assert_eq!(p.url, "/");
    let p = one.submit("/", &format!("/org/users/{sato}/sessions/end"), &[]).await;
    assert_eq!(p.status, 403);
    app.finish().await;
}

#[tokio::test]
async fn an_administrator_ends_all_of_a_persons_sessions_on_sqlite() {
    an_administrator_ends_all_of_a_persons_sessions(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn an_administrator_ends_all_of_a_persons_sessions_on_postgres() {
    an_administrator_ends_all_of_a_persons_sessions(TestApp::postgres(Settings::default()).await).await;
}
