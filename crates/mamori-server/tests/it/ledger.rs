//! The ledger on the server's side, on both backends: the witness endpoints (no session,
//! no CSRF token, only a registered witness's valid cosignature stored); the daily anchor
//! mail; and, once an entry is slipped into the database behind the server's back, the
//! alarm on `/ledger` and on the CISO's dashboard, the 503 for writes while reads go on,
//! and one mail to the CISO and the 統括.

use std::time::Duration;

use mamori_ledger::cosignature::{with_lines, WitnessKey};
use mamori_server::{LedgerSettings, MailSettings, Settings};
use mamori_store::Actor;

use crate::helpers::TestApp;
use crate::incidents::SmtpSink;

async fn mail_matching(sink: &SmtpSink, needle: &str, n: usize) -> Vec<(String, String, String)> {
    for _ in 0..100 {
        let found: Vec<_> = sink.messages().into_iter().filter(|m| m.1.contains(needle)).collect();
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} mails about {needle:?}, got {:?}", sink.messages());
}

async fn story(sink: SmtpSink, postgres: bool) {
    let mail = MailSettings {
        smtp_url: format!("smtp://127.0.0.1:{}", sink.port),
        from: "mamori <mamori@town.example>".into(),
        base_url: "https://mamori.town.example".into(),
    };
    let settings = Settings {
        mail: Some(mail),
        ledger: LedgerSettings { anchor_mail_to: vec!["kansa@audit.example".into()], ..LedgerSettings::default() },
        ..Settings::default()
    };
    let app = if postgres { TestApp::postgres(settings).await } else { TestApp::sqlite(settings).await };
    let admin = app.admin_client().await;
    let somu = app.department("110", "情報政策係").await;
    let ciso = app.totp_client("ciso", somu, "ciso").await;
    app.user("director", somu, Some("security_director")).await;
    app.set_email("ciso", "ciso@town.example").await;
    app.set_email("director", "director@town.example").await;
    let http = reqwest::Client::new();
    let base = app.base.clone();

    // The witness endpoints: the checkpoint with a proof for anyone; a cosignature stored
    // only from a registered witness, without a session or a CSRF token.
    let request = http.get(format!("{base}/ledger/witness/checkpoint?from=0")).send().await.unwrap();
    assert_eq!(request.status(), 200);
    let request = mamori_ledger::witness::AddCheckpoint::parse(&request.text().await.unwrap()).unwrap();
    assert_eq!(request.old_size, 0);
    let witness = WitnessKey::generate("kansa.example/w1").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let cosigned = with_lines(&request.checkpoint, &[witness.cosign(&request.checkpoint, now).unwrap()]);
    let post = |body: String| http.post(format!("{base}/ledger/witness/cosignature")).body(body).send();
    let refused = post(cosigned.clone()).await.unwrap();
    assert_eq!(refused.status(), 400, "not registered yet: {}", refused.text().await.unwrap());
    app.store().add_witness(app.org_id, "監査委員", witness.public().text(), &Actor::system("test")).await.unwrap();
    let stored = post(cosigned.clone()).await.unwrap();
    assert_eq!(stored.status(), 200);
    assert!(stored.text().await.unwrap().starts_with("stored 監査委員 "));
    let page = ciso.get("/ledger").await;
    assert!(page.body.contains("id=\"witnessed\"") && page.body.contains("に連署"), "{}", page.body);
    assert!(!page.body.contains("ledger-alarms"), "an honest ledger raises no alarm: {}", page.body);

    // The daily anchor mail, once a day.
    let today = chrono::Utc::now().with_timezone(&mamori_store::jst());
    let round = mamori_server::notify::run_due(&app.state, today).await.unwrap();
    assert_eq!(round.anchors, 1, "{round:?}");
    let anchors = mail_matching(&sink, "アンカー", 1).await;
    assert_eq!(anchors[0].0, "kansa@audit.example");
    assert!(anchors[0].2.contains("/testtown") && anchors[0].2.contains("— kansa.example/w1 "), "{}", anchors[0].2);
    let round = mamori_server::notify::run_due(&app.state, today).await.unwrap();
    assert_eq!(round.anchors, 0, "mailed once a day: {round:?}");

    // An entry slipped in behind the server's back.
    sqlx::raw_sql(&format!(
        "INSERT INTO events (org_id, seq, at, clock_synced, actor, role, action, target_kind, target_id, payload, request_id)
             SELECT id, event_seq + 1, '2026-12-03T10:00:00.000+09:00', 1, 'admin', '', 'asset.note', 'asset', '1', '{{}}', ''
             FROM organizations WHERE id = {org};
         UPDATE organizations SET event_seq = event_seq + 1, ledger_size = ledger_size + 1 WHERE id = {org};",
        org = app.org_id
    ))
    .execute(app.store().pool())
    .await
    .unwrap();
    let page = ciso.get("/ledger").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("ledger-alarms") && page.body.contains("署名されていない記録 index"), "{}", page.body);
    // A write: 503 with the page that says why; the writer halted.
    let refused = admin.submit("/org", "/org/departments", &[("code", "kaikei"), ("name", "会計課")]).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.body.contains("変更の受付を停止しています") && refused.body.contains("閲覧はこれまでどおり"), "{}", refused.body);
    assert!(app.store().ledger_halt(app.org_id).is_some());
    // Reading goes on; the CISO's dashboard shows the alarm.
    let dashboard = ciso.get("/").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("ledger-alarms") && dashboard.body.contains("書き込みを停止"), "{}", dashboard.body);
    assert_eq!(admin.get("/events").await.status, 200);
    // One mail each to the CISO and the 統括, once.
    let round = mamori_server::notify::run_due(&app.state, today).await.unwrap();
    assert_eq!(round.ledger_alarms, 2, "{round:?}");
    let halts = mail_matching(&sink, "書き込みを停止", 2).await;
    let to: std::collections::BTreeSet<String> = halts.iter().map(|m| m.0.clone()).collect();
    assert_eq!(to, ["ciso@town.example", "director@town.example"].map(String::from).into());
    assert!(halts[0].2.contains("署名されていない記録"), "{}", halts[0].2);
    let round = mamori_server::notify::run_due(&app.state, today).await.unwrap();
    assert_eq!(round.ledger_alarms, 0, "{round:?}");
    app.finish().await;
}

#[tokio::test]
async fn ledger_alarms_halt_and_anchor_mail_on_sqlite() {
    story(SmtpSink::start().await, false).await;
}

#[tokio::test]
async fn ledger_alarms_halt_and_anchor_mail_on_postgres() {
    story(SmtpSink::start().await, true).await;
}
