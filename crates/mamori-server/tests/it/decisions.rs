//! `POST /api/v1/decisions`: the active profile's rules decide, clause-cited, over HTTP.

use mamori_server::Settings;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

async fn decisions_over_the_api(app: TestApp) {
    let jumin = app.department("200", "住民課").await;
    app.user("staff", jumin, None).await;
    app.user("manager", jumin, Some("security_manager")).await;
    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    let (_, me) = staff.get_json("/api/v1/me").await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();

    let take_out = json!({"action": "take_out", "object": {"kind": "asset", "classes": {"confidentiality": "3B", "integrity": "2", "availability": "1"}}, "context": {"facts": ["encrypted"], "date": "2026-11-22"}});
    let (status, _) = staff.post_json("/api/v1/decisions", &take_out, None).await;
    assert_eq!(status, 403, "a POST without the CSRF token is refused");
    let (status, d) = staff.post_json("/api/v1/decisions", &take_out, Some(&csrf)).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["outcome"], "needs_approval", "{d}");
    assert_eq!(d["clauses"], json!(["対策基準5.1(1)③(ア)"]));
    assert_eq!(d["approvals"][0]["role"], "security_manager");
    assert_eq!(d["approvals"][0]["form"], "情報資産持出・持込申請書");
    assert_eq!(d["subject"]["user"], "staff", "without a subject the caller is the subject");
    assert!(d["profile_version"].as_str().unwrap().starts_with('1'), "{d}");

    // Without encryption: denied, and the answer says what is missing.
    let bare = json!({"action": "take_out", "object": {"classes": {"confidentiality": "3B"}}});
    let (_, d) = staff.post_json("/api/v1/decisions", &bare, Some(&csrf)).await;
    assert_eq!(d["outcome"], "denied");
    assert_eq!(d["missing"][0]["clause"], "対策基準2(1)");
    assert!(d["missing"][0]["condition"].as_str().unwrap().contains("暗号化"), "{d}");

    // A forbidding rule beats a permitting one, whatever is held.
    let sns = json!({"action": "post_social_media", "object": {"classes": {"confidentiality": "2"}}, "context": {"approvals": ["ciso"]}});
    let (_, d) = staff.post_json("/api/v1/decisions", &sns, Some(&csrf)).await;
    assert_eq!(d["outcome"], "denied");
    assert_eq!(d["clauses"], json!(["対策基準6.1(22)②"]));

    // Bad input: a clear Japanese error, nothing decided.
    for (body, needle) in [
        (json!({"action": "fly"}), "action"),
        (json!({"action": "send", "object": {"classes": {"confidentiality": "4"}}}), "区分"),
        (json!({"action": "send", "context": {"device": "borrowed"}}), "JSON"),
        (json!({"action": "send", "surprise": 1}), "JSON"),
    ] {
        let (status, err) = staff.post_json("/api/v1/decisions", &body, Some(&csrf)).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(err["error"]["message"].as_str().unwrap().contains(needle), "{body}: {err}");
    }

    let (status, actions) = staff.get_json("/api/v1/actions").await;
    assert_eq!(status, 200);
    let take = actions["actions"].as_array().unwrap().iter().find(|a| a["id"] == "take_out").unwrap();
    assert_eq!(take["name"], "外部への持出し");
    assert!(take["rules"].as_array().unwrap().iter().any(|r| r["clause"] == "対策基準5.1(1)③(ア)"));

    let (_, spec) = staff.get_json("/api/v1/openapi.json").await;
    assert!(spec["paths"]["/api/v1/decisions"]["post"].is_object());
    assert!(spec["components"]["schemas"]["DecisionRequest"]["properties"]["action"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("take_out")));

    let anonymous = app.client();
    assert_eq!(anonymous.post_json("/api/v1/decisions", &take_out, None).await.0, 401);

    // A machine client with a service token: no cookie, no CSRF token, decisions only.
    let actor = mamori_store::Actor::system("test");
    let token = mamori_server::auth::new_service_token();
    app.store().create_api_token(app.org_id, "メールゲートウェイ", &mamori_server::auth::token_hash(&token), &actor).await.unwrap();
    let http = reqwest::Client::new();
    let call = |path: &str, bearer: &str, body: &serde_json::Value| {
        http.post(format!("{}{path}", app.base)).bearer_auth(bearer.to_owned()).json(body).send()
    };
    let res = call("/api/v1/decisions", &token, &take_out).await.unwrap();
    assert_eq!(res.status(), 200);
    let d: serde_json::Value = res.json().await.unwrap();
    assert_eq!(d["outcome"], "needs_approval", "{d}");
    assert_eq!(d["subject"]["roles"], json!([]), "a service decides for the subject it names, nobody else");
    let res = call("/api/v1/decisions", &token, &json!({"action": "fly"})).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(call("/api/v1/decisions", "mamori_not-a-token", &take_out).await.unwrap().status(), 401);
    assert_eq!(call("/api/v1/assets", &token, &json!({})).await.unwrap().status(), 401, "the token opens nothing but decisions");
    let revoked = mamori_server::auth::new_service_token();
    let t = app.store().create_api_token(app.org_id, "古いゲートウェイ", &mamori_server::auth::token_hash(&revoked), &actor).await.unwrap();
    app.store().revoke_api_token(app.org_id, t.id, &actor).await.unwrap();
    assert_eq!(call("/api/v1/decisions", &revoked, &take_out).await.unwrap().status(), 401, "a revoked token is refused");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_over_the_api_on_sqlite() {
    decisions_over_the_api(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_over_the_api_on_postgres() {
    decisions_over_the_api(TestApp::postgres(Settings::default()).await).await;
}
