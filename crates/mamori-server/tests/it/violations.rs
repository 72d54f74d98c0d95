//! Violations (対策基準7.6(2)) through the pages: recorded by a 情報システム管理者, seen by the
//! person's 管理者 (and by no other department's), and — not corrected — the 統括 suspends the
//! person's rights in mamori: their session ends and they can no longer sign in.

use mamori_server::Settings;
use mamori_store::Actor;

use crate::helpers::{TestApp, PASSWORD};

async fn violation_workflow(app: TestApp) {
    let somu = app.department("100", "総務課").await;
    let jumin = app.department("200", "住民課").await;
    let zeimu = app.department("300", "税務課").await;
    app.user("staff", jumin, None).await;
    app.user("kacho", jumin, Some("security_manager")).await;
    app.user("zeimu-kacho", zeimu, Some("security_manager")).await;
    let sysmgr = app.user("sysmgr", somu, None).await;
    let sysmgr_person = app.person_of(sysmgr).await;
    app.store().assign_role(app.org_id, "system_manager", sysmgr_person, None, false, &Actor::system("test")).await.unwrap();
    let staff_person = app.person_by_login("staff").await;

    // A staff member cannot record violations.
    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    let p = staff
        .submit("/violations", "/violations", &[("person_id", &app.person_by_login("kacho").await.to_string()), ("description", "x")])
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("違反の記録と通知は、統括情報セキュリティ責任者"), "{}", p.body);
    assert!(p.body.contains("対策基準7.6(2)①"), "the refusal cites the profile's clause: {}", p.body);
    assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM violations").fetch_one(app.store().pool()).await.unwrap(), 0);

    // The 情報システム管理者 records one; an empty description is refused first.
    let sm = app.client();
    sm.login("sysmgr", PASSWORD).await;
    let p = sm.submit("/violations", "/violations", &[("person_id", &staff_person.to_string()), ("description", " ")]).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("違反の内容を記入してください"), "{}", p.body);
    let p = sm
        .submit(
            "/violations",
            "/violations",
            &[("person_id", &staff_person.to_string()), ("description", "私物USBメモリの無断接続"), ("clause", "対策基準5.1(1)④")],
        )
        .await;
    assert_eq!((p.status, p.url.as_str()), (200, "/violations"), "{}", p.body);

    // The person's 管理者 sees it on the dashboard; another department's does not.
    let kacho = app.client();
    kacho.login("kacho", PASSWORD).await;
    let dash = kacho.get("/").await;
    assert!(dash.body.contains("violation-card") && dash.body.contains("私物USBメモリの無断接続"), "{}", dash.body);
    let other = app.client();
    other.login("zeimu-kacho", PASSWORD).await;
    assert!(!other.get("/").await.body.contains("私物USBメモリ"), "税務課's 管理者 must not see 住民課's violation");
    assert!(!other.get("/violations").await.body.contains("私物USBメモリ"));

    // Only the 統括 suspends; the 管理者 cannot.
    let id: i64 = sqlx::query_scalar("SELECT id FROM violations").fetch_one(app.store().pool()).await.unwrap();
    let p = kacho.submit("/violations", &format!("/violations/{id}/suspend"), &[("note", "改善されない")]).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("対策基準7.6(2)③"), "{}", p.body);
    let director = app.totp_client("director", somu, "security_director").await;
    let p = director.submit("/violations", &format!("/violations/{id}/suspend"), &[("note", "")]).await;
    assert_eq!(p.status, 400, "a suspension without a reason is refused: {}", p.body);
    assert_eq!(staff.get_json("/api/v1/me").await.0, 200, "nothing changed yet");
    let p = director.submit("/violations", &format!("/violations/{id}/suspend"), &[("note", "指導後も私物媒体の接続を継続")]).await;
    assert_eq!((p.status, p.url.as_str()), (200, "/violations"), "{}", p.body);
    assert!(p.body.contains("権利停止"), "{}", p.body);

    // The person's session has ended and they cannot sign in again.
    assert_eq!(staff.get_json("/api/v1/me").await.0, 401, "the suspended person's session ends");
    let again = app.client();
    let p = again.login("staff", PASSWORD).await;
    assert_ne!(p.url, "/", "a suspended person cannot sign in: {}", p.body);
    // The 管理者 sees the suspension; so does the CISO.
    assert!(kacho.get("/").await.body.contains("利用権限を停止した職員"));
    let ciso = app.totp_client("ciso", somu, "ciso").await;
    assert!(ciso.get("/").await.body.contains("指導後も私物媒体の接続を継続"));
    let events: Vec<String> =
        app.store().events(app.org_id, Some(("violation", &id.to_string())), 10).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(events, vec!["violation.suspend".to_owned(), "violation.record".to_owned()]);
    app.finish().await;
}

#[tokio::test]
async fn violation_workflow_sqlite() {
    violation_workflow(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn violation_workflow_postgres() {
    violation_workflow(TestApp::postgres(Settings::default()).await).await;
}
