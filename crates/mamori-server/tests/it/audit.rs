//! 作業記録・監査証跡 and the ledger page over HTTP.

use mamori_server::Settings;

use crate::helpers::{csrf_in, TestApp, PASSWORD};

async fn audit_trail(app: TestApp) {
    let admin = app.admin_client().await;
    let d = app.department("200", "住民課").await;
    app.user("staff", d, None).await;
    // An auditor from another department, assigned to an approved audit of 住民課: the
    // trail is the audit's evidence.
    let other = app.department("300", "会計課").await;
    let auditor = app.user("auditor", other, None).await;
    let auditor_person = app.person_of(auditor).await;
    {
        use mamori_store::audits::{NewAssignment, NewAudit};
        let actor = mamori_store::Actor::system("test");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let plan = NewAudit {
            fiscal_year: mamori_policy::yearly::FiscalYear(2026),
            title: "監査".into(),
            scope: String::new(),
            starts_on: day,
            ends_on: day,
        };
        let audit = app.store().create_audit(app.org_id, &plan, None, &actor).await.unwrap();
        let assignment = NewAssignment {
            auditor_person_id: auditor_person,
            department_id: d,
            override_reason: String::new(),
            assigned_by: None,
            audited_roles: vec!["security_manager".into()],
        };
        app.store().assign_auditor(app.org_id, audit.id, &assignment, &actor).await.unwrap();
        let approver = app.user("approver", other, Some("security_director")).await;
        let approver_person = app.person_of(approver).await;
        app.store().approve_audit(app.org_id, audit.id, approver_person, "security_director", &actor).await.unwrap();
    }

    // Every change is listed with its ledger index and is covered by a signed checkpoint.
    let page = admin.get("/events").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-index=\"0\""), "the first change, index 0, is listed");
    assert!(page.body.contains("署名済"));
    assert!(!page.body.contains("未署名"), "group commit signs every committed change");

    // Search by actor, action (prefix), target and date.
    let only_creation = admin.get("/events?action=organization.create").await;
    assert!(only_creation.body.contains("団体の作成"));
    assert_eq!(only_creation.body.matches("data-index=").count(), 1, "{}", only_creation.body);
    let logins = admin.get("/events?action=auth.*&actor=admin").await;
    assert!(logins.body.contains("<td>ログイン</td>"));
    assert!(!logins.body.contains("課局等の追加"));
    let by_target = admin.get(&format!("/events?target_kind=organization&target_id={}", app.org_id)).await;
    assert!(by_target.body.contains("団体の作成"));
    let none = admin.get("/events?from=2001-01-01&to=2001-12-31").await;
    assert!(none.body.contains("該当する記録はありません"));
    let bad = admin.get("/events?from=yesterday").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("YYYY-MM-DD"), "{}", bad.body);

    // Least privilege: staff may not read the trail; the 監査責任者 may.
    let staff = app.client();
    staff.login("staff", PASSWORD).await;
    assert_eq!(staff.get("/events").await.status, 403);
    assert_eq!(staff.get("/ledger").await.status, 403);
    let auditor = app.client();
    auditor.login("auditor", PASSWORD).await;
    assert_eq!(auditor.get("/events").await.status, 200);

    // The ledger page shows the public key and the latest checkpoint; taking an anchor
    // downloads it and is recorded, and the dashboard says when.
    let ledger = admin.get("/ledger").await;
    assert_eq!(ledger.status, 200);
    let key = app.db.as_ref().unwrap().key.verifying_key().text().to_owned();
    assert!(ledger.body.contains(&key), "the public key is shown");
    assert!(admin.get("/").await.body.contains("まだ取得していません"));
    let token = csrf_in(&ledger.body);
    let res = admin.http.post(format!("{}/ledger/anchor", admin.base)).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("checkpoint-testtown-"));
    let note = res.text().await.unwrap();
    assert!(note.starts_with(&format!("{}/testtown\n", app.db.as_ref().unwrap().key.name())), "{note}");
    let dashboard = admin.get("/").await;
    assert!(!dashboard.body.contains("まだ取得していません"), "the anchor is shown on the dashboard");
    assert!(dashboard.body.contains("latest-checkpoint-size"));
    assert!(admin.get("/events?action=ledger.anchor").await.body.contains("アンカーの取得"));
    // Without the CSRF token, no anchor is recorded.
    let res = admin.http.post(format!("{}/ledger/anchor", admin.base)).form(&[("csrf", "wrong")]).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // A time anomaly is flagged: an event whose time is earlier than the one before it,
    // recorded while the clock was not known to be synchronized.
    let store = app.store();
    let next: i64 = sqlx::query_scalar::<_, i64>("SELECT event_seq FROM organizations WHERE id = $1")
        .bind(app.org_id)
        .fetch_one(store.pool())
        .await
        .unwrap()
        + 1;
    sqlx::query(
        "INSERT INTO events (org_id, seq, at, clock_synced, actor, role, action, target_kind, target_id, payload, request_id)
         VALUES ($1, $2, '2020-01-01T09:00:00.000+09:00', 0, 'clock-test', '', 'asset.note', 'asset', '1', '{}', '')",
    )
    .bind(app.org_id)
    .bind(next)
    .execute(store.pool())
    .await
    .unwrap();
    let flagged = admin.get("/events?actor=clock-test").await;
    assert!(flagged.body.contains("時刻の逆行"), "{}", flagged.body);
    assert!(flagged.body.contains("時刻同期未確認"));
    assert!(flagged.body.contains("未署名"), "an event outside the ledger is not covered by a checkpoint");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_trail_on_sqlite() {
    audit_trail(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_trail_on_postgres() {
    audit_trail(TestApp::postgres(Settings::default()).await).await;
}
