//! Least privilege by department and role, the asset register through pages and the API,
//! profile activation, and the staff-list import.

use mamori_server::Settings;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

async fn departments_see_only_their_own_assets(app: TestApp) {
    let jumin = app.department("200", "住民課").await;
    let zeimu = app.department("300", "税務課").await;
    app.user("manager", jumin, Some("security_manager")).await;
    app.user("staff", jumin, None).await;
    app.user("other", zeimu, None).await;

    let manager = app.client();
    manager.login("manager", PASSWORD).await;
    let (_, me) = manager.get_json("/api/v1/me").await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let body = json!({"name": "住民票データ", "department_id": jumin, "kind": "information", "medium": "electronic",
                      "confidentiality": "3B", "integrity": "2", "availability": "2", "personal_info": true});
    let (status, _) = manager.post_json("/api/v1/assets", &body, None).await;
    assert_eq!(status, 403, "no CSRF token, no change");
    let (status, created) = manager.post_json("/api/v1/assets", &body, Some(&csrf)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["asset"]["id"].as_i64().unwrap();
    let clauses: Vec<&str> = created["handling_restrictions"].as_array().unwrap().iter().map(|r| r["clause"].as_str().unwrap()).collect();
    assert!(clauses.contains(&"対策基準2(1)"), "{clauses:?}");
    assert!(clauses.iter().any(|c| c.starts_with("対策基準2(2)")), "{clauses:?}");

    // Bad input changes nothing and says what is wrong.
    let bad = json!({"name": "", "department_id": jumin, "kind": "information", "medium": "floppy", "confidentiality": "9Z"});
    let (status, err) = manager.post_json("/api/v1/assets", &bad, Some(&csrf)).await;
    assert_eq!(status, 400);
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("名称") && message.contains("媒体") && message.contains("9Z"), "{message}");
    // A manager of 住民課 cannot register into 税務課.
    let foreign = json!({"name": "課税台帳", "department_id": zeimu, "kind": "information", "medium": "electronic"});
    assert_eq!(manager.post_json("/api/v1/assets", &foreign, Some(&csrf)).await.0, 400);
    assert_eq!(app.store().asset_count(app.org_id).await.unwrap(), 1);

    // The same department's staff see it; another department's do not, neither page nor API.
    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    assert_eq!(staff.get_json(&format!("/api/v1/assets/{id}")).await.0, 200);
    assert!(staff.get("/assets").await.body.contains("住民票データ"));
    let page = staff.get(&format!("/assets/{id}")).await;
    assert!(page.body.contains("id=\"restrictions\"") && page.body.contains("対策基準2(1)"));
    assert!(!page.body.contains("分類を変更する"), "staff cannot reclassify");

    let other = app.client();
    other.login("other", PASSWORD).await;
    let (status, _) = other.get_json(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(status, 404);
    let (_, list) = other.get_json("/api/v1/assets").await;
    assert!(list["assets"].as_array().unwrap().is_empty(), "{list}");
    let (_, search) = other.get_json("/api/v1/assets?q=%E4%BD%8F%E6%B0%91%E7%A5%A8").await;
    assert!(search["assets"].as_array().unwrap().is_empty());
    assert!(!other.get("/assets").await.body.contains("住民票データ"));
    assert_eq!(other.get(&format!("/assets/{id}")).await.status, 404);
    assert_eq!(other.get(&format!("/assets/{id}/edit")).await.status, 404);
    let p = other.submit("/assets", &format!("/assets/{id}/reclassify"), &[("confidentiality", "1"), ("reason", "x")]).await;
    assert_eq!(p.status, 404);
    // Staff cannot reach the administrators' pages.
    assert_eq!(other.get("/org").await.status, 403);
    assert_eq!(other.get("/events").await.status, 403);

    // The manager reclassifies; the history keeps both.
    let p = manager
        .submit(
            &format!("/assets/{id}"),
            &format!("/assets/{id}/reclassify"),
            &[("confidentiality", "3A"), ("integrity", "2"), ("availability", "2"), ("reason", "秘密文書に相当")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (_, detail) = manager.get_json(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(detail["asset"]["confidentiality"], "3A");
    assert_eq!(detail["classification_history"].as_array().unwrap().len(), 2);
    app.finish().await;
}

#[tokio::test]
async fn departments_see_only_their_own_assets_on_sqlite() {
    departments_see_only_their_own_assets(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn departments_see_only_their_own_assets_on_postgres() {
    departments_see_only_their_own_assets(TestApp::postgres(Settings::default()).await).await;
}

#[tokio::test]
async fn an_undecided_asset_is_on_its_managers_list() {
    let app = TestApp::sqlite(Settings::default()).await;
    let jumin = app.department("200", "住民課").await;
    app.user("manager", jumin, Some("security_manager")).await;
    app.user("staff", jumin, None).await;
    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    let p = staff
        .submit(
            "/assets/new",
            "/assets",
            &[("name", "受領した名簿"), ("department_id", &jumin.to_string()), ("kind", "document"), ("medium", "paper")],
        )
        .await;
    assert!(p.body.contains("要判断"), "{}", p.body);
    let manager = app.client();
    let home = manager.login("manager", PASSWORD).await;
    assert!(home.body.contains("id=\"undecided\"") && home.body.contains("受領した名簿"), "{}", home.body);
    app.finish().await;
}

#[tokio::test]
async fn an_invalid_profile_is_refused_and_the_active_one_stays() {
    let app = TestApp::sqlite(Settings::default()).await;
    let c = app.admin_client().await;
    let before = app.store().active_profile(app.org_id).await.unwrap().unwrap();

    let broken = mamori_policy::bundled::bundled("shime").unwrap().replacen("deputy = \"security_director\"", "deputy = \"vice_mayor\"", 1);
    let line = broken.lines().position(|l| l.contains("vice_mayor")).unwrap() + 1;
    let p = c.submit("/policy/versions", "/policy/versions", &[("file_name", "shime.toml"), ("text", &broken)]).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains(&format!("shime.toml:{line}:")), "the error names the line: {}", p.body);
    assert!(p.body.contains("vice_mayor"));
    let p = c.submit("/policy/versions", "/policy/versions", &[("file_name", "x.toml"), ("text", "[profile\nformat = 1")]).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("x.toml:1:"), "{}", p.body);
    let after = app.store().active_profile(app.org_id).await.unwrap().unwrap();
    assert_eq!(after.id, before.id, "the active profile stayed");
    assert_eq!(app.store().profile_versions(app.org_id).await.unwrap().len(), 1);

    // A valid one becomes a draft to review, not an active version: pasting cannot bypass
    // the review and the second person.
    let yokote = mamori_policy::bundled::bundled("yokote").unwrap();
    let p = c.submit("/policy/versions", "/policy/versions", &[("file_name", "yokote.toml"), ("text", yokote)]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.url.starts_with("/policy/drafts/"), "{}", p.url);
    assert!(p.body.contains("id=\"accept\""), "{}", p.body);
    assert_eq!(app.store().profile_versions(app.org_id).await.unwrap().len(), 1, "nothing activated");
    assert_eq!(app.store().active_profile(app.org_id).await.unwrap().unwrap().id, before.id);
    app.finish().await;
}

#[tokio::test]
async fn a_staff_list_with_a_bad_row_imports_nothing() {
    let app = TestApp::sqlite(Settings::default()).await;
    let c = app.admin_client().await;
    let page = c.get("/org/import").await;
    let action = {
        let at = page.body.find("action=\"/org/import?csrf=").unwrap() + "action=\"".len();
        page.body[at..at + page.body[at..].find('"').unwrap()].to_owned()
    };
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("職員名簿.csv"));
        c.http.post(format!("{}{}", c.base, action)).multipart(form).send()
    };
    // Shift_JIS, as Excel writes it; the third line has no name.
    let text = "職員番号,氏名,所属コード,所属名,職名,任用区分\r\n1001,山田太郎,200,住民課,課長,正規\r\n1002,,200,住民課,主事,正規\r\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let res = upload(sjis.into_owned()).await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("何も取り込んでいません") && body.contains("3行目"), "{body}");
    assert_eq!(app.store().people(app.org_id, None, 100, 0).await.unwrap().len(), 1, "only the admin exists");

    let good = text.replace("1002,,", "1002,鈴木花子,");
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&good);
    let res = upload(sjis.into_owned()).await.unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains("職員 新規2名"), "{body}");
    let people = app.store().people(app.org_id, None, 100, 0).await.unwrap();
    assert!(people.iter().any(|p| p.name == "鈴木花子"));

    // The export escapes a cell that a spreadsheet would run as a formula.
    sqlx::query("UPDATE people SET name = '=HYPERLINK(\"http://x\")' WHERE staff_no = '1001'").execute(app.store().pool()).await.unwrap();
    let csv = c.http.get(format!("{}/org/export.csv", c.base)).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK"));
    app.finish().await;
}

#[tokio::test]
async fn administrators_keep_departments_posts_and_roles() {
    let app = TestApp::sqlite(Settings::default()).await;
    let c = app.admin_client().await;
    let p = c.submit("/org", "/org/posts", &[("name", "課長"), ("rank", "50")]).await;
    assert!(p.body.contains("職を追加しました") && p.body.contains("課長"), "{}", p.body);
    let p = c.submit("/org", "/org/posts", &[("name", "係長"), ("rank", "x")]).await;
    assert_eq!(p.status, 400);
    let p = c.submit("/org", "/org/departments", &[("code", "200"), ("name", "住民課"), ("parent_id", "")]).await;
    assert!(p.body.contains("住民課"));
    let jumin = app.store().departments(app.org_id).await.unwrap().into_iter().find(|d| d.code == "200").unwrap();
    let p = c.submit("/org", "/org/departments", &[("code", "210"), ("name", "住民係"), ("parent_id", &jumin.id.to_string())]).await;
    assert_eq!(p.status, 200);
    let child = app.store().departments(app.org_id).await.unwrap().into_iter().find(|d| d.code == "210").unwrap();
    assert_eq!(child.parent_id, Some(jumin.id));
    // A code that is taken is a duplicate: 409 naming the field, not a wrong state.
    let p = c.submit("/org", "/org/departments", &[("code", "200"), ("name", "重複"), ("parent_id", "")]).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("同じ値がすでに登録されています"), "{}", p.body);
    let person = app.store().people(app.org_id, None, 10, 0).await.unwrap()[0].id.to_string();
    // 情報セキュリティ管理者 is a per-department role: without a department it is refused.
    let p = c.submit("/org", "/org/roles", &[("role", "security_manager"), ("person_id", &person), ("department_id", "")]).await;
    assert_eq!(p.status, 400);
    let p = c.submit("/org", "/org/roles", &[("role", "no_such_role"), ("person_id", &person), ("department_id", "")]).await;
    assert_eq!(p.status, 400);
    let p = c
        .submit("/org", "/org/roles", &[("role", "security_manager"), ("person_id", &person), ("department_id", &jumin.id.to_string())])
        .await;
    assert!(p.body.contains("役割を割り当てました"), "{}", p.body);
    let events = app.store().events(app.org_id, None, 100).await.unwrap();
    for action in ["post.create", "department.create", "role.assign"] {
        assert!(events.iter().any(|e| e.action == action && e.actor == "admin"), "{action} recorded with its actor");
    }
    app.finish().await;
}
