//! One text policy for every form and API body, on both backends: NUL, a control character,
//! a value past its field's limit are a Japanese 400 naming the field, and nothing changes
//! (rows and the ledger's size before and after); bidi controls and zero-width characters
//! are removed; a value of only invisible characters is empty, so a required field refuses it.

use mamori_server::Settings;
use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(app.store().pool()).await.unwrap()
}

async fn sizes(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in ["assets", "incidents", "events"] {
        out.push(count(app, t).await);
    }
    out
}

async fn every_field_follows_the_text_policy(app: TestApp) {
    let jumin = app.department("200", "住民課").await;
    app.user("staff", jumin, None).await;
    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    let (_, me) = staff.get_json("/api/v1/me").await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let department = jumin.to_string();
    let before = sizes(&app).await;

    // A form: the asset's name.
    let long = "長".repeat(2_000);
    for (name, needle) in [("名簿\u{0}", "「名称」に NUL"), ("名簿\u{7}", "「名称」に制御文字"), (long.as_str(), "「名称」は200文字以内")]
    {
        let p = staff
            .submit("/assets/new", "/assets", &[("name", name), ("department_id", &department), ("kind", "document"), ("medium", "paper")])
            .await;
        assert_eq!(p.status, 400, "{needle}: {}", p.body);
        assert!(p.body.contains(needle), "{needle}: {}", p.body);
    }
    let p = staff
        .submit(
            "/assets/new",
            "/assets",
            &[("name", "\u{200B}\u{200B}"), ("department_id", &department), ("kind", "document"), ("medium", "paper")],
        )
        .await;
    assert_eq!(p.status, 400, "a name of invisible characters only is empty: {}", p.body);
    // A search: NUL in the query is refused, not a database error.
    assert_eq!(staff.get("/assets?q=%00").await.status, 400);

    // An API body: the incident's title and details.
    let bodies: [(Value, &str); 4] = [
        (json!({"title": "紛失\u{0}", "send": false}), "「件名」に NUL"),
        (json!({"title": "紛失", "details": "x".repeat(100_000), "send": false}), "「詳細」は10000文字以内"),
        (json!({"title": "一行目\n二行目", "send": false}), "「件名」は1行で"),
        (json!({"title": "紛失", "location": "窓口\u{1b}[31m", "send": false}), "「場所」に制御文字"),
    ];
    for (body, needle) in bodies {
        let (status, v) = staff.post_json("/api/v1/incidents", &body, Some(&csrf)).await;
        assert_eq!(status, 400, "{needle}: {v}");
        assert!(v.to_string().contains(needle), "{needle}: {v}");
    }
    assert_eq!(sizes(&app).await, before, "nothing was written");

    // Bidi controls and zero-width characters are removed; the value is kept otherwise.
    let p = staff
        .submit(
            "/assets/new",
            "/assets",
            &[("name", " report\u{202E}fdp.exe\u{200B} "), ("department_id", &department), ("kind", "document"), ("medium", "paper")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let stored: String =
        sqlx::query_scalar("SELECT name FROM assets ORDER BY id DESC LIMIT 1").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(stored, "reportfdp.exe");
    let (status, v) =
        staff.post_json("/api/v1/incidents", &json!({"title": "不審な\u{2066}メール\u{2069}", "send": false}), Some(&csrf)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["incident"]["title"], "不審なメール");
    app.finish().await;
}

#[tokio::test]
async fn every_field_follows_the_text_policy_sqlite() {
    every_field_follows_the_text_policy(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn every_field_follows_the_text_policy_postgres() {
    every_field_follows_the_text_policy(TestApp::postgres(Settings::default()).await).await;
}
