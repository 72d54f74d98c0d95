//! Request workflows: filing (the engine decides and routes), approval with separation of
//! duties (deputies included), overrides in the CISO's register, and the take-out record
//! with its return — through the API and the pages, on both backends.

use mamori_server::Settings;
use mamori_store::Actor;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

/// The date `n` days from today in JST, so that a return date stays in the future.
fn in_days(n: i64) -> String {
    (chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive() + chrono::Duration::days(n)).to_string()
}

async fn take_out_workflow(app: TestApp) {
    let jumin = app.department("200", "住民課").await;
    let zeimu = app.department("300", "税務課").await;
    app.user("staff", jumin, None).await;
    app.user("kacho", jumin, Some("security_manager")).await;
    app.user("other", zeimu, Some("security_manager")).await;
    let deputy_user = app.user("deputy", jumin, None).await;
    let deputy_person: i64 =
        sqlx::query_scalar("SELECT person_id FROM users WHERE id = $1").bind(deputy_user).fetch_one(app.store().pool()).await.unwrap();
    app.store().assign_role(app.org_id, "security_manager", deputy_person, Some(jumin), true, &Actor::system("test")).await.unwrap();

    let kacho = app.client();
    kacho.login("kacho", PASSWORD).await;
    let kacho_csrf = kacho.get_json("/api/v1/me").await.1["csrf_token"].as_str().unwrap().to_owned();
    let asset = json!({"name": "住民票データ（抽出）", "department_id": jumin, "kind": "information", "medium": "removable_media",
                       "confidentiality": "3B", "integrity": "2", "availability": "1", "personal_info": true});
    let (status, created) = kacho.post_json("/api/v1/assets", &asset, Some(&kacho_csrf)).await;
    assert_eq!(status, 201, "{created}");
    let asset_id = created["asset"]["id"].as_i64().unwrap();

    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    let csrf = staff.get_json("/api/v1/me").await.1["csrf_token"].as_str().unwrap().to_owned();

    // Not encrypted: the rules deny it, say why, and nothing is filed.
    let mut body = json!({"action": "take_out", "asset_id": asset_id, "destination": "県庁", "purpose": "照合作業", "due_on": in_days(30)});
    let (status, denied) = staff.post_json("/api/v1/requests", &body, Some(&csrf)).await;
    assert_eq!(status, 422, "{denied}");
    assert_eq!(denied["decision"]["missing"][0]["clause"], "対策基準2(1)");
    assert_eq!(staff.get_json("/api/v1/requests").await.1["mine"].as_array().unwrap().len(), 0, "a denied request is not filed");
    // No return date: a clear error.
    body["encrypted"] = json!(true);
    body["due_on"] = json!("");
    let (status, err) = staff.post_json("/api/v1/requests", &body, Some(&csrf)).await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("返却予定日"), "{err}");
    body["due_on"] = json!(in_days(30));
    let (status, filed) = staff.post_json("/api/v1/requests", &body, Some(&csrf)).await;
    assert_eq!(status, 201, "{filed}");
    let r = &filed["request"];
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["status"], "pending");
    assert_eq!(r["form"], "情報資産持出・持込申請書");
    assert_eq!(r["approver_role"], "security_manager");
    assert_eq!(r["approver_department_id"], jumin, "routed to the applicant's own department's 管理者");
    assert_eq!(r["decision"]["clauses"], json!(["対策基準5.1(1)③(ア)"]));

    // The applicant holds no approver role: refused. Another department's 管理者: not theirs.
    let (status, err) = staff.post_json(&format!("/api/v1/requests/{id}/approve"), &json!({}), Some(&csrf)).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["error"]["clause"], "対策基準5.1(1)③(ア)", "the approval rule's clause: {err}");
    let other = app.client();
    other.login("other", PASSWORD).await;
    let other_csrf = other.get_json("/api/v1/me").await.1["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(
        other.post_json(&format!("/api/v1/requests/{id}/approve"), &json!({}), Some(&other_csrf)).await.0,
        404,
        "税務課 cannot see 住民課's request"
    );
    assert!(other.get_json("/api/v1/requests").await.1["to_decide"].as_array().unwrap().is_empty());

    // The 課長 sees it waiting (also on the dashboard) and approves it; a second decision is a conflict.
    let dash = kacho.get("/").await;
    assert!(dash.body.contains("あなたの決裁を待っている申請が 1 件"), "{}", dash.body);
    let (_, list) = kacho.get_json("/api/v1/requests").await;
    assert!(list["to_decide"].as_array().unwrap().iter().any(|x| x["id"] == id), "{list}");
    let (status, approved) =
        kacho.post_json(&format!("/api/v1/requests/{id}/approve"), &json!({"comment": "暗号化を確認"}), Some(&kacho_csrf)).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["request"]["status"], "approved");
    assert_eq!(approved["request"]["decision"]["outcome"], "permitted", "with the approval held the engine permits it");
    assert_eq!(approved["request"]["decided_by_name"], "kacho さん");
    let (status, again) = kacho.post_json(&format!("/api/v1/requests/{id}/refuse"), &json!({}), Some(&kacho_csrf)).await;
    assert_eq!(status, 409, "a decided request is in the wrong state: {again}");
    assert_eq!(again["error"]["code"], "wrong_state", "{again}");
    assert_eq!(again["error"]["state"], "承認済み", "the 409 names the state: {again}");
    assert!(!again["error"]["message"].as_str().unwrap().contains("同じ値"), "not a duplicate: {again}");
    let page = kacho.submit(&format!("/requests/{id}"), &format!("/requests/{id}/approve"), &[]).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("承認済み"), "{}", page.body);

    // The 持出・持込記録 lists it; the return is recorded once.
    let page = kacho.get("/requests").await;
    assert!(page.body.contains("情報資産持出・持込記録") && page.body.contains("住民票データ（抽出）"), "{}", page.body);
    let (status, err) =
        staff.post_json(&format!("/api/v1/requests/{id}/complete"), &json!({"completed_on": "2099-01-01"}), Some(&csrf)).await;
    assert_eq!(status, 400, "a return in the future is refused: {err}");
    let (status, ret) = staff
        .post_json(&format!("/api/v1/requests/{id}/complete"), &json!({"completed_on": "2026-11-20", "note": "媒体を確認"}), Some(&csrf))
        .await;
    assert_eq!(status, 200, "{ret}");
    assert_eq!(ret["request"]["status"], "returned");
    assert_eq!(ret["request"]["completed_on"], "2026-11-20");
    assert_eq!(staff.post_json(&format!("/api/v1/requests/{id}/complete"), &json!({}), Some(&csrf)).await.0, 409);

    // 廃棄: approved by the 管理者, then recorded with date, person and method (廃棄記録).
    let (status, d) = staff
        .post_json("/api/v1/requests", &json!({"action": "dispose", "asset_id": asset_id, "purpose": "保存期間満了"}), Some(&csrf))
        .await;
    assert_eq!(status, 201, "{d}");
    let dispose_id = d["request"]["id"].as_i64().unwrap();
    assert_eq!(d["request"]["decision"]["clauses"], json!(["対策基準2(2)⑨(ウ)"]));
    assert_eq!(kacho.post_json(&format!("/api/v1/requests/{dispose_id}/approve"), &json!({}), Some(&kacho_csrf)).await.0, 200);
    let (status, err) = staff.post_json(&format!("/api/v1/requests/{dispose_id}/complete"), &json!({}), Some(&csrf)).await;
    assert_eq!(status, 400, "a disposal without its method is refused: {err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("処理方法"), "{err}");
    let (status, done) =
        staff.post_json(&format!("/api/v1/requests/{dispose_id}/complete"), &json!({"note": "シュレッダーで物理破壊"}), Some(&csrf)).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["request"]["status"], "disposed");
    let page = kacho.get("/requests").await;
    assert!(page.body.contains("廃棄記録") && page.body.contains("シュレッダーで物理破壊"), "{}", page.body);

    // A cloud service handling 3B data goes to the 統括; approving it names its manager.
    let (status, c) = staff
        .post_json(
            "/api/v1/requests",
            &json!({"action": "use_cloud_service", "asset_id": asset_id, "subject": "電子申請サービス", "destination": "LGWAN-ASP事業者"}),
            Some(&csrf),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let cloud_id = c["request"]["id"].as_i64().unwrap();
    assert_eq!(c["request"]["approver_role"], "security_director");
    assert_eq!(c["request"]["approver_department_id"], serde_json::Value::Null, "an organization-wide approver");
    assert_eq!(
        kacho.post_json(&format!("/api/v1/requests/{cloud_id}/approve"), &json!({}), Some(&kacho_csrf)).await.0,
        403,
        "the 課長 is not the 統括"
    );
    let somu = app.department("400", "企画課").await;
    let tokatsu = app.totp_client("fukucho", somu, "security_director").await;
    let tcsrf = tokatsu.get_json("/api/v1/me").await.1["csrf_token"].as_str().unwrap().to_owned();
    let (status, err) = tokatsu.post_json(&format!("/api/v1/requests/{cloud_id}/approve"), &json!({}), Some(&tcsrf)).await;
    assert_eq!(status, 400, "approving a cloud service names its manager: {err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("クラウドサービス管理者を指名"), "{err}");
    let (status, ok) = tokatsu
        .post_json(&format!("/api/v1/requests/{cloud_id}/approve"), &json!({"service_manager_person_id": deputy_person}), Some(&tcsrf))
        .await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["request"]["service_manager_name"], "deputy さん");
    let page = tokatsu.get("/requests").await;
    assert!(
        page.body.contains("承認済みクラウドサービス") && page.body.contains("電子申請サービス") && page.body.contains("deputy さん"),
        "{}",
        page.body
    );

    // The deputy of the 課長 files their own request: they cannot approve it as deputy
    // without a justification; with one it is approved, recorded and listed for the CISO.
    let deputy = app.client();
    deputy.login("deputy", PASSWORD).await;
    let dcsrf = deputy.get_json("/api/v1/me").await.1["csrf_token"].as_str().unwrap().to_owned();
    let (status, filed) = deputy
        .post_json(
            "/api/v1/requests",
            &json!({"action": "take_out", "asset_id": asset_id, "encrypted": true, "due_on": in_days(30)}),
            Some(&dcsrf),
        )
        .await;
    assert_eq!(status, 201, "{filed}");
    let did = filed["request"]["id"].as_i64().unwrap();
    let (status, err) = deputy.post_json(&format!("/api/v1/requests/{did}/approve"), &json!({}), Some(&dcsrf)).await;
    assert_eq!(status, 403, "approving one's own request is refused: {err}");
    assert_eq!(err["error"]["clause"], "対策基準1(8)①", "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("申請者本人は自分の申請を決裁できません"), "{err}");
    // The administrator's role analysis lists the 課長 and the deputy as holders of
    // 住民課's approver role (two people: not a sole approver), and 税務課's lone 管理者.
    let admin = app.admin_client().await;
    let org_page = admin.get("/org").await;
    assert!(org_page.body.contains("職務の分離の点検"), "{}", org_page.body);
    assert!(org_page.body.contains("税務課の情報セキュリティ管理者はother さん"), "{}", org_page.body);
    assert!(!org_page.body.contains("住民課の情報セキュリティ管理者はkacho"), "住民課 has a deputy");
    let (status, err) =
        deputy.post_json(&format!("/api/v1/requests/{did}/approve"), &json!({"override_justification": "   "}), Some(&dcsrf)).await;
    assert_eq!(status, 403, "a blank justification is no justification: {err}");
    let (status, ok) = deputy
        .post_json(
            &format!("/api/v1/requests/{did}/approve"),
            &json!({"override_justification": "課長が災害対応で不在のため"}),
            Some(&dcsrf),
        )
        .await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok["request"]["override_justification"], "課長が災害対応で不在のため");
    assert_eq!(ok["request"]["decided_as_deputy"], true);
    let register = admin.get("/requests").await;
    assert!(register.body.contains("例外措置台帳") && register.body.contains("課長が災害対応で不在のため"), "{}", register.body);
    assert!(!staff.get("/requests").await.body.contains("例外措置台帳"), "staff do not read the CISO's register");

    // A take-out past its return date is a reminder on the 課長's dashboard.
    let (status, late) = staff
        .post_json(
            "/api/v1/requests",
            &json!({"action": "take_out", "asset_id": asset_id, "encrypted": true, "starts_on": "2026-10-01", "due_on": "2026-10-02"}),
            Some(&csrf),
        )
        .await;
    assert_eq!(status, 201, "{late}");
    let late_id = late["request"]["id"].as_i64().unwrap();
    assert_eq!(kacho.post_json(&format!("/api/v1/requests/{late_id}/approve"), &json!({}), Some(&kacho_csrf)).await.0, 200);
    let dash = kacho.get("/").await;
    assert!(dash.body.contains("返却予定日を過ぎた持出しが 1 件"), "{}", dash.body);
    assert!(staff.get("/").await.body.contains("返却予定日を過ぎた持出しが 1 件"), "the applicant is reminded too");

    // システム変更等の作業: permitted for a 情報システム担当者, closed only with a second person.
    let tanto_user = app.user("tanto", jumin, Some("system_operator")).await;
    let tanto = app.client();
    tanto.login("tanto", PASSWORD).await;
    let tan_csrf = tanto.get_json("/api/v1/me").await.1["csrf_token"].as_str().unwrap().to_owned();
    let (status, w) = tanto
        .post_json("/api/v1/requests", &json!({"action": "change_system", "subject": "住基サーバのパッチ適用"}), Some(&tan_csrf))
        .await;
    assert_eq!(status, 201, "{w}");
    assert_eq!(w["request"]["status"], "permitted");
    let work_id = w["request"]["id"].as_i64().unwrap();
    let tanto_person: i64 =
        sqlx::query_scalar("SELECT person_id FROM users WHERE id = $1").bind(tanto_user).fetch_one(app.store().pool()).await.unwrap();
    for (body, needle) in [
        (json!({"note": "パッチ適用"}), "確認者"),
        (json!({"note": "パッチ適用", "checked_by_person_id": tanto_person}), "別の人"),
        (json!({"checked_by_person_id": deputy_person}), "作業内容"),
    ] {
        let (status, err) = tanto.post_json(&format!("/api/v1/requests/{work_id}/complete"), &body, Some(&tan_csrf)).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(err["error"]["message"].as_str().unwrap().contains(needle), "{body}: {err}");
    }
    let (status, done) = tanto
        .post_json(
            &format!("/api/v1/requests/{work_id}/complete"),
            &json!({"note": "パッチ適用と再起動", "checked_by_person_id": deputy_person}),
            Some(&tan_csrf),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["request"]["status"], "done");
    assert_eq!(done["request"]["checked_by_name"], "deputy さん");
    let (status, refused) =
        staff.post_json("/api/v1/requests", &json!({"action": "change_system", "subject": "設定変更"}), Some(&csrf)).await;
    assert_eq!(status, 422, "a staff member without the role may not: {refused}");
    let page = kacho.get("/requests").await;
    assert!(page.body.contains("システム作業記録") && page.body.contains("パッチ適用と再起動"), "{}", page.body);

    // Every step is in the change record.
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM events WHERE org_id = $1 AND target_kind = 'request' ORDER BY seq")
        .bind(app.org_id)
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    assert_eq!(
        actions,
        [
            "request.file",
            "request.approve",
            "request.return",
            "request.file",
            "request.approve",
            "request.dispose",
            "request.file",
            "request.approve",
            "request.file",
            "request.approve",
            "request.file",
            "request.approve",
            "request.file",
            "request.work_done"
        ]
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_out_workflow_on_sqlite() {
    take_out_workflow(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_out_workflow_on_postgres() {
    take_out_workflow(TestApp::postgres(Settings::default()).await).await;
}
