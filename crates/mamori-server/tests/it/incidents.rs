//! Incidents through the API on both backends: drafts kept, bad input refused without a
//! change, routing by 志免町's level table to the right people (the deputy when the holder
//! is away), CSIRT's triage and the external reports it implies; and notices mailed through
//! a real SMTP server (aiosmtpd) with escalation driven by a controlled clock.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use mamori_server::{MailSettings, Settings};
use mamori_store::Actor;
use serde_json::{json, Value};

use crate::helpers::{Client, TestApp, PASSWORD};

struct Town {
    jumin: i64,
    zeimu: i64,
}

/// 総務課 (統括, CISO, CSIRT ×2), 住民課 (staff, 課長, 課長補佐 as deputy), 税務課 (staff).
async fn town(app: &TestApp) -> Town {
    let somu = app.department("100", "総務課").await;
    let jumin = app.department("200", "住民課").await;
    let zeimu = app.department("300", "税務課").await;
    app.user("staff", jumin, None).await;
    app.user("kacho", jumin, Some("security_manager")).await;
    let hosa = app.user("hosa", jumin, None).await;
    let hosa_person = app.person_of(hosa).await;
    app.store().assign_role(app.org_id, "security_manager", hosa_person, Some(jumin), true, &Actor::system("test")).await.unwrap();
    app.user("csirt1", somu, Some("csirt")).await;
    app.user("csirt2", somu, Some("csirt")).await;
    app.user("zeimu-staff", zeimu, None).await;
    // The CISO and the 統括 sign in with a second factor; they are created here and signed
    // in where a test needs them.
    app.user("director", somu, Some("security_director")).await;
    app.user("ciso", somu, Some("ciso")).await;
    Town { jumin, zeimu }
}

async fn signed_in(app: &TestApp, login: &str) -> (Client, String) {
    let c = app.client();
    c.login(login, PASSWORD).await;
    let (status, me) = c.get_json("/api/v1/me").await;
    assert_eq!(status, 200, "{login} is signed in: {me}");
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    (c, csrf)
}

/// (person id, role, as deputy) of an incident's notices.
fn notified(v: &Value) -> BTreeSet<(i64, String, bool)> {
    v["notices"]
        .as_array()
        .unwrap_or_else(|| panic!("no notices in {v}"))
        .iter()
        .map(|n| (n["person_id"].as_i64().unwrap(), n["role"].as_str().unwrap().to_owned(), n["as_deputy"].as_bool().unwrap()))
        .collect()
}

async fn people(app: &TestApp, list: &[(&str, &str, bool)]) -> BTreeSet<(i64, String, bool)> {
    let mut out = BTreeSet::new();
    for (login, role, deputy) in list {
        out.insert((app.person_by_login(login).await, (*role).to_owned(), *deputy));
    }
    out
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.store().pool()).await.unwrap()
}

fn report(level: i64) -> Value {
    json!({"title": format!("USBメモリの紛失（レベル{level}の想定）"), "level": level, "occurred_at": "2026-11-30T17:20",
           "location": "住民課窓口", "assets": "住民票の写し（機密性3B）", "personal_info": "yes", "details": "帰庁後に紛失に気づいた。", "send": true})
}

async fn incident_workflow(app: TestApp) {
    let t = town(&app).await;
    let (staff, csrf) = signed_in(&app, "staff").await;

    // An incomplete report is kept as a draft and nobody is told.
    let (status, draft) =
        staff.post_json("/api/v1/incidents", &json!({"title": "不審なメールを開いたかもしれない", "send": true}), Some(&csrf)).await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["incident"]["status"], "draft");
    assert!(draft["missing"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().contains("レベル")), "{draft}");
    assert!(draft["notices"].as_array().unwrap().is_empty(), "a draft notifies nobody: {draft}");
    let draft_id = draft["incident"]["id"].as_i64().unwrap();

    // Bad values: a clear Japanese message, and nothing changes.
    let incidents_before = count(&app, "SELECT COUNT(*) FROM incidents").await;
    let events_before = count(&app, "SELECT COUNT(*) FROM events").await;
    for (body, needle) in [
        (json!({"title": "x", "level": 1, "occurred_at": "2026-13-45T10:00", "send": true}), "発生日時「2026-13-45T10:00」"),
        (json!({"title": "x", "level": 7, "occurred_at": "2026-11-30T10:00", "send": true}), "レベル「7」"),
        (json!({"title": "x", "level": 1, "occurred_at": "2099-01-01T10:00", "send": true}), "未来"),
        (
            json!({"title": "x", "level": 1, "occurred_at": "2026-11-30T10:00", "discovered_at": "2026-11-29T10:00", "send": true}),
            "発見日時が発生日時より前",
        ),
        (json!({"title": "x", "personal_info": "maybe"}), "個人情報の有無「maybe」"),
    ] {
        let (status, err) = staff.post_json("/api/v1/incidents", &body, Some(&csrf)).await;
        assert_eq!(status, 400, "{body} → {err}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{body}: the message should contain {needle:?}: {message}");
    }
    // The same through the draft's update: refused, and the draft is unchanged.
    let (status, _) = staff.post_json(&format!("/api/v1/incidents/{draft_id}"), &json!({}), Some(&csrf)).await;
    assert_eq!(status, 405, "drafts are updated with PUT");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM incidents").await, incidents_before, "nothing was saved");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events").await, events_before, "nothing was recorded");

    // Level 1 from 住民課: the 課長 (its 情報セキュリティ管理者) and the CSIRT (統一的な窓口).
    let (status, l1) = staff.post_json("/api/v1/incidents", &report(1), Some(&csrf)).await;
    assert_eq!(status, 201, "{l1}");
    assert_eq!(l1["incident"]["status"], "reported");
    assert_eq!(
        notified(&l1),
        people(&app, &[("kacho", "security_manager", false), ("csirt1", "csirt", false), ("csirt2", "csirt", false)]).await
    );
    let l1_id = l1["incident"]["id"].as_i64().unwrap();

    // Evidence attached to it: kept with its SHA-256 in the change record, downloaded as a
    // file, byte for byte.
    let evidence = b"Received: from unknown (suspicious)\r\nSubject: =?utf-8?b?6KuL5rGC5pu4?=\r\n\r\n<script>alert(1)</script>".to_vec();
    let part = reqwest::multipart::Part::bytes(evidence.clone()).file_name("../不審メール.eml").mime_str("message/rfc822").unwrap();
    let res = staff
        .http
        .post(format!("{}/incidents/{l1_id}/attachments?csrf={csrf}", app.base))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    let (a_id, a_name, a_sha): (i64, String, String) =
        sqlx::query_as("SELECT id, file_name, sha256 FROM incident_attachments WHERE incident_id = $1")
            .bind(l1_id)
            .fetch_one(app.store().pool())
            .await
            .unwrap();
    assert_eq!(a_name, "不審メール.eml", "directories are stripped from the name");
    let res = staff.http.get(format!("{}/incidents/{l1_id}/attachments/{a_id}", app.base)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/octet-stream", "never rendered by the browser");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), evidence);
    let attach_event = app
        .store()
        .events(app.org_id, Some(("incident", &l1_id.to_string())), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "incident.attach")
        .unwrap();
    assert!(attach_event.payload.contains(&a_sha), "the hash is in the change record: {}", attach_event.payload);
    // An empty upload is refused.
    let part = reqwest::multipart::Part::bytes(Vec::new()).file_name("empty.txt");
    let res = staff
        .http
        .post(format!("{}/incidents/{l1_id}/attachments?csrf={csrf}", app.base))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.text().await.unwrap().contains("ファイルが空です"));

    // The form: a bad date gets the Japanese message on the page, and nothing is saved.
    let before = count(&app, "SELECT COUNT(*) FROM incidents").await;
    let page = staff
        .submit(
            "/incidents/new",
            "/incidents",
            &[("title", "テスト"), ("level", "1"), ("occurred_at", "令和8年12月1日"), ("intent", "send")],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("発生日時「令和8年12月1日」を日時として読めません"), "{}", page.body);
    assert!(page.body.contains("value=\"テスト\""), "what was typed is kept in the form");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM incidents").await, before);
    // Incomplete through the form: kept as a draft, and the page says what is missing.
    let page = staff.submit("/incidents/new", "/incidents", &[("title", "パスワードを書いた付箋を紛失"), ("intent", "send")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("下書きとして保存しました（まだ送信していません）") && page.body.contains("被害・影響のレベル"),
        "{}",
        page.body
    );

    // Level 3: the CISO and the 統括, and the CSIRT.
    let (_, l3) = staff.post_json("/api/v1/incidents", &report(3), Some(&csrf)).await;
    assert_eq!(
        notified(&l3),
        people(
            &app,
            &[("ciso", "ciso", false), ("director", "security_director", false), ("csirt1", "csirt", false), ("csirt2", "csirt", false)]
        )
        .await
    );

    // Level 2 from 税務課, which has no 管理者 of its own: the 統括 and the CSIRT.
    let (zs, zcsrf) = signed_in(&app, "zeimu-staff").await;
    let mut l2 = report(2);
    l2["department_id"] = json!(t.zeimu);
    let (status, l2) = zs.post_json("/api/v1/incidents", &l2, Some(&zcsrf)).await;
    assert_eq!(status, 201, "{l2}");
    assert_eq!(
        notified(&l2),
        people(&app, &[("director", "security_director", false), ("csirt1", "csirt", false), ("csirt2", "csirt", false)]).await
    );
    // 税務課's staff cannot read 住民課's report.
    let (status, _) = zs.get_json(&format!("/api/v1/incidents/{l1_id}")).await;
    assert_eq!(status, 404, "another department's staff member must not see the report");

    // The 課長 is away today: the deputy (課長補佐) is told instead.
    let kacho_person = app.person_by_login("kacho").await;
    let today = chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive().to_string();
    app.store().add_absence(app.org_id, kacho_person, &today, &today, "年次休暇", &Actor::system("test")).await.unwrap();
    let (_, l0) = staff.post_json("/api/v1/incidents", &report(0), Some(&csrf)).await;
    assert_eq!(
        notified(&l0),
        people(&app, &[("hosa", "security_manager", true), ("csirt1", "csirt", false), ("csirt2", "csirt", false)]).await
    );

    // The draft, completed and sent.
    let mut complete = report(1);
    complete["department_id"] = json!(t.jumin);
    let res = staff
        .http
        .put(format!("{}/api/v1/incidents/{draft_id}", app.base))
        .header("x-csrf-token", &csrf)
        .json(&complete)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["incident"]["status"], "reported", "{sent}");
    assert_eq!(sent["notices"].as_array().unwrap().len(), 3, "the deputy and the two CSIRT members: {sent}");

    // The 課長 acknowledges the level-1 notice.
    let (kacho, kcsrf) = signed_in(&app, "kacho").await;
    let (status, ack) = kacho.post_json(&format!("/api/v1/incidents/{l1_id}/acknowledge"), &json!({}), Some(&kcsrf)).await;
    assert_eq!(status, 200, "{ack}");
    let mine = ack["notices"].as_array().unwrap().iter().find(|n| n["person_id"] == kacho_person).unwrap();
    assert!(mine["acknowledged_at"].is_string(), "{ack}");

    // Only the CSIRT triages.
    let triage = json!({"is_incident": "yes", "reason": "住民票の写しを含む媒体の所在不明", "level": 2, "personal_information": true,
                        "unlawful_intent": true, "affected_people": 150, "aware_on": today});
    let (status, err) = kacho.post_json(&format!("/api/v1/incidents/{l1_id}/triage"), &triage, Some(&kcsrf)).await;
    assert_eq!(status, 403, "a permission refusal: {err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("CSIRT"), "{err}");
    assert_eq!(err["error"]["clause"], "対策基準5.3(3)①", "the clause comes from the profile: {err}");
    let (csirt, ccsrf) = signed_in(&app, "csirt1").await;
    let (status, err) = csirt
        .post_json(&format!("/api/v1/incidents/{l1_id}/triage"), &json!({"is_incident": "yes", "reason": "", "level": 2}), Some(&ccsrf))
        .await;
    assert_eq!(status, 400, "a triage without a reason is refused: {err}");
    let (status, tr) = csirt.post_json(&format!("/api/v1/incidents/{l1_id}/triage"), &triage, Some(&ccsrf)).await;
    assert_eq!(status, 200, "{tr}");
    assert_eq!(tr["incident"]["status"], "triaged");
    assert_eq!(tr["incident"]["level"], 2);
    // Level 2 now reaches the 統括; an incident is reported to the CISO (5.3(3)②).
    let added: BTreeSet<(i64, String, bool)> = notified(&tr).difference(&notified(&l1)).cloned().collect();
    assert_eq!(added, people(&app, &[("director", "security_director", false), ("ciso", "ciso", false)]).await);
    // The external reports of the facts, with deadlines counted from the day of awareness.
    let aware = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap();
    let due = |days: u64| Some((aware + chrono::Days::new(days)).to_string());
    let reports: Vec<(String, Option<String>)> = tr["external_reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r["due_on"].as_str().map(str::to_owned)))
        .collect();
    assert_eq!(
        reports,
        vec![("ppc_preliminary".to_owned(), due(5)), ("ppc_final".to_owned(), due(60)), ("mic_prefecture".to_owned(), None)],
        "unlawful intent makes the 確報 60 days: {tr}"
    );

    // Filing one: a bad date is refused; a good one is recorded.
    let (status, _) =
        csirt.post_json(&format!("/api/v1/incidents/{l1_id}/external/ppc_preliminary"), &json!({"filed_on": "12/03"}), Some(&ccsrf)).await;
    assert_eq!(status, 400);
    let (status, filed) = csirt
        .post_json(
            &format!("/api/v1/incidents/{l1_id}/external/ppc_preliminary"),
            &json!({"filed_on": today, "note": "電子申請"}),
            Some(&ccsrf),
        )
        .await;
    assert_eq!(status, 200, "{filed}");
    assert!(filed["external_reports"][0]["filed"]["filed_on"].is_string(), "{filed}");
    let (status, _) =
        csirt.post_json(&format!("/api/v1/incidents/{l1_id}/external/press"), &json!({"filed_on": today}), Some(&ccsrf)).await;
    assert_eq!(status, 400, "a report the facts do not require cannot be filed");

    // A check of other systems needs the system.
    let (status, err) = csirt
        .post_json(
            &format!("/api/v1/incidents/{l1_id}/tasks"),
            &json!({"kind": "check_other_systems", "assignee_person_id": kacho_person, "description": "同様の持出しの有無"}),
            Some(&ccsrf),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let (status, with_task) = csirt
        .post_json(
            &format!("/api/v1/incidents/{l1_id}/tasks"),
            &json!({"kind": "containment", "assignee_person_id": kacho_person, "description": "関係機関への連絡と捜索"}),
            Some(&ccsrf),
        )
        .await;
    assert_eq!(status, 200, "{with_task}");
    assert_eq!(with_task["tasks"][0]["assignee_person_id"], kacho_person);

    // The timeline is the change record.
    let actions: Vec<String> =
        app.store().events(app.org_id, Some(("incident", &l1_id.to_string())), 100).await.unwrap().into_iter().map(|e| e.action).collect();
    for a in ["incident.report", "incident.acknowledge", "incident.triage", "incident.external_report", "incident.task"] {
        assert!(actions.iter().any(|x| x == a), "{a} is in the change record: {actions:?}");
    }
    app.finish().await;
}

#[tokio::test]
async fn incident_workflow_sqlite() {
    incident_workflow(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn incident_workflow_postgres() {
    incident_workflow(TestApp::postgres(Settings::default()).await).await;
}

/// aiosmtpd writing what it receives into a Maildir; killed on drop.
pub(crate) struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 -m aiosmtpd: the mail test needs aiosmtpd (pip install aiosmtpd)");
        let sink = Self { port, dir, child };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on port {port} (is it installed? pip install aiosmtpd)");
    }

    /// The messages about incidents (notices and deadline reminders), leaving out the weekly
    /// digests of the yearly cycle that the same notifier round sends.
    pub fn incident_mail(&self) -> Vec<(String, String, String)> {
        self.messages().into_iter().filter(|m| m.1.contains("インシデント")).collect()
    }

    /// Every message received so far: (To address, decoded subject, decoded body).
    pub fn messages(&self) -> Vec<(String, String, String)> {
        let new = self.dir.path().join("mail/new");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&new).into_iter().flatten().flatten() {
            out.push(parse_message(&std::fs::read_to_string(entry.path()).unwrap()));
        }
        out.sort();
        out
    }
}

/// The To address, subject and body of a message as lettre writes it (RFC 2047 subject;
/// a body in 7bit, quoted-printable or base64).
fn parse_message(raw: &str) -> (String, String, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    // Unfold continuation lines.
    let head = head.replace("\n ", " ").replace("\n\t", " ");
    let header = |name: &str| head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned)).unwrap_or_default();
    let to = header("To");
    let to = to.rsplit_once('<').map(|(_, a)| a.trim_end_matches('>').to_owned()).unwrap_or(to);
    let subject = header("Subject").split_whitespace().map(decode_word).collect::<String>();
    let body = match header("Content-Transfer-Encoding").as_str() {
        "base64" => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body.replace('\n', "")).unwrap()).unwrap(),
        "quoted-printable" => decode_qp(body),
        _ => body.to_owned(),
    };
    (to, subject, body)
}

fn decode_word(w: &str) -> String {
    let Some(inner) = w.strip_prefix("=?").and_then(|x| x.strip_suffix("?=")) else { return w.to_owned() };
    let mut parts = inner.splitn(3, '?');
    let (_, enc, text) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    match enc {
        "b" | "B" => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(text).unwrap()).unwrap(),
        _ => decode_qp(&text.replace('_', " ")),
    }
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\n", "");
    let mut bytes = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                bytes.push(v);
                i += 3;
                continue;
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn recipients(messages: &[(String, String, String)]) -> BTreeSet<String> {
    messages.iter().map(|m| m.0.clone()).collect()
}

#[tokio::test]
async fn notices_are_mailed_and_unacknowledged_ones_escalate_after_the_profiles_time() {
    let sink = SmtpSink::start().await;
    let mail = MailSettings {
        smtp_url: format!("smtp://127.0.0.1:{}", sink.port),
        from: "mamori <mamori@town.example>".into(),
        base_url: "https://mamori.town.example".into(),
    };
    let app = TestApp::sqlite(Settings { mail: Some(mail), ..Settings::default() }).await;
    town(&app).await;
    for login in ["kacho", "hosa", "csirt1", "csirt2", "director", "ciso"] {
        app.set_email(login, &format!("{login}@town.example")).await;
    }
    let (staff, csrf) = signed_in(&app, "staff").await;
    let (status, l1) = staff.post_json("/api/v1/incidents", &report(1), Some(&csrf)).await;
    assert_eq!(status, 201, "{l1}");
    let id = l1["incident"]["id"].as_i64().unwrap();
    let reported = chrono::Utc::now().with_timezone(&mamori_store::jst());

    // The first round mails the three people told.
    let round = mamori_server::notify::run_due(&app.state, reported).await.unwrap();
    assert_eq!((round.escalated, round.mailed, round.mail_failed), (0, 3, 0), "{round:?}");
    let first = wait_for(&sink, 3).await;
    assert_eq!(recipients(&first), ["csirt1@town.example", "csirt2@town.example", "kacho@town.example"].map(String::from).into());
    for (to, subject, body) in &first {
        assert!(subject.contains(&format!("インシデント報告 第{id}号（レベル1）")), "{to}: {subject}");
        assert!(body.contains(&format!("https://mamori.town.example/incidents/{id}")), "{to}: {body}");
        assert!(!body.contains("住民票"), "the mail does not carry the report's content: {body}");
    }

    // CSIRT member 1 acknowledges; 課長 and member 2 do not.
    let (c1, c1csrf) = signed_in(&app, "csirt1").await;
    let (status, _) = c1.post_json(&format!("/api/v1/incidents/{id}/acknowledge"), &json!({}), Some(&c1csrf)).await;
    assert_eq!(status, 200);

    // 29 minutes on (志免町's profile: 30): nothing escalates.
    let round = mamori_server::notify::run_due(&app.state, reported + chrono::Duration::minutes(29)).await.unwrap();
    assert_eq!(round.escalated, 0, "{round:?}");
    // 31 minutes on: the 課長's notice goes to the 統括 (security_manager reports to
    // security_director), member 2's to the CISO (the CSIRT reports to the CISO).
    let round = mamori_server::notify::run_due(&app.state, reported + chrono::Duration::minutes(31)).await.unwrap();
    assert_eq!((round.escalated, round.mailed), (2, 2), "{round:?}");
    let all = wait_for(&sink, 5).await;
    let later: Vec<(String, String, String)> = all.into_iter().filter(|m| !first.contains(m)).collect();
    assert_eq!(recipients(&later), ["ciso@town.example", "director@town.example"].map(String::from).into());
    for (to, subject, _) in &later {
        assert!(subject.contains("未確認のため通知"), "{to}: {subject}");
    }
    let (_, now) = staff.get_json(&format!("/api/v1/incidents/{id}")).await;
    let escalated: Vec<&Value> = now["notices"].as_array().unwrap().iter().filter(|n| n["reason"] == "escalation").collect();
    assert_eq!(escalated.len(), 2, "{now}");
    assert!(escalated.iter().all(|n| n["escalated_from"].is_i64() && n["mail_status"] == "sent"), "{now}");
    // The round is idempotent: run again at the same time, nothing more happens.
    let round = mamori_server::notify::run_due(&app.state, reported + chrono::Duration::minutes(31)).await.unwrap();
    assert_eq!((round.escalated, round.mailed), (0, 0), "{round:?}");
    // Each escalation is in the change record.
    let escalations = app
        .store()
        .events(app.org_id, Some(("incident", &id.to_string())), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "incident.escalate")
        .count();
    assert_eq!(escalations, 2);

    // CSIRT learned of it five days ago and 要配慮個人情報 is involved: the 速報 to the
    // 個人情報保護委員会 is due today. Its responsible role (CSIRT) is reminded once a day
    // until it is filed.
    let aware = (reported.date_naive() - chrono::Days::new(5)).to_string();
    let triage = json!({"is_incident": "yes", "reason": "要配慮個人情報を含む", "level": 1, "personal_information": true,
                        "sensitive_personal_information": true, "aware_on": aware});
    let (status, tr) = c1.post_json(&format!("/api/v1/incidents/{id}/triage"), &triage, Some(&c1csrf)).await;
    assert_eq!(status, 200, "{tr}");
    let before = sink.incident_mail().len();
    let at = reported + chrono::Duration::minutes(32);
    let round = mamori_server::notify::run_due(&app.state, at).await.unwrap();
    assert_eq!(round.reminded, 2, "both CSIRT members are reminded: {round:?}");
    let all = wait_for(&sink, before + 2 + round.mailed).await;
    let reminders: Vec<&(String, String, String)> = all.iter().filter(|m| m.1.contains("期限")).collect();
    assert_eq!(
        recipients(&reminders.iter().map(|m| (*m).clone()).collect::<Vec<_>>()),
        ["csirt1@town.example", "csirt2@town.example"].map(String::from).into()
    );
    assert!(reminders.iter().all(|m| m.1.contains("個人情報保護委員会への速報") && m.2.contains("期限は今日です")), "{reminders:?}");
    let round = mamori_server::notify::run_due(&app.state, at + chrono::Duration::minutes(1)).await.unwrap();
    assert_eq!(round.reminded, 0, "one reminder a day: {round:?}");
    // Filed: no more reminders, also the next day.
    let (status, _) = c1
        .post_json(
            &format!("/api/v1/incidents/{id}/external/ppc_preliminary"),
            &json!({"filed_on": reported.date_naive().to_string()}),
            Some(&c1csrf),
        )
        .await;
    assert_eq!(status, 200);
    let round = mamori_server::notify::run_due(&app.state, at + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(round.reminded, 0, "{round:?}");
    drop(sink);
    app.finish().await;
}

/// Each write API takes the one JSON object it documents: an empty body, an array, a string,
/// a number or `null` is a 400 with a Japanese message, and nothing is created.
async fn api_bodies_must_be_objects(app: TestApp) {
    town(&app).await;
    let (staff, csrf) = signed_in(&app, "staff").await;
    let tables = ["incidents", "requests", "assets", "events"];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&app, &format!("SELECT count(*) FROM {t}")).await);
    }
    for path in ["/api/v1/incidents", "/api/v1/requests", "/api/v1/assets", "/api/v1/decisions"] {
        for body in ["", "[]", "[{}]", "\"報告\"", "1", "null"] {
            let (status, v) = staff.post_raw(path, body, &csrf).await;
            assert_eq!(status, 400, "{path} {body:?}: {v}");
            let message = v["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("JSON"), "{path} {body:?}: {v}");
        }
    }
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(count(&app, &format!("SELECT count(*) FROM {t}")).await, n, "{t}");
    }
    app.finish().await;
}

#[tokio::test]
async fn api_bodies_must_be_objects_sqlite() {
    api_bodies_must_be_objects(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn api_bodies_must_be_objects_postgres() {
    api_bodies_must_be_objects(TestApp::postgres(Settings::default()).await).await;
}

/// One organization's broken profile (its stored text changed behind mamori's back) fails
/// that organization's steps alone: another organization's notices still escalate and are
/// mailed in the same round, and the failure is counted for the operator.
#[tokio::test]
async fn one_organizations_broken_profile_does_not_stop_anothers_escalations() {
    let sink = SmtpSink::start().await;
    let mail = MailSettings {
        smtp_url: format!("smtp://127.0.0.1:{}", sink.port),
        from: "mamori <mamori@town.example>".into(),
        base_url: "https://mamori.town.example".into(),
    };
    let app = TestApp::sqlite(Settings { mail: Some(mail), ..Settings::default() }).await;
    town(&app).await;
    for login in ["kacho", "hosa", "csirt1", "csirt2", "director", "ciso"] {
        app.set_email(login, &format!("{login}@town.example")).await;
    }
    // A second organization whose active profile no longer parses.
    let actor = Actor::system("test");
    let text = mamori_policy::bundled::bundled("yokote").unwrap();
    let profile = mamori_policy::parse_profile("yokote.toml", text).unwrap();
    let other = app.store().create_organization("other", &profile.organization.name, &actor).await.unwrap();
    app.store().activate_profile(other.id, "yokote.toml", text, &profile, &actor).await.unwrap();
    sqlx::query("UPDATE profile_versions SET content = 'schema = ' WHERE org_id = ?")
        .bind(other.id)
        .execute(app.store().pool())
        .await
        .unwrap();
    assert!(app.state.profile(other.id).await.is_err(), "the other organization's profile is broken");

    let (staff, csrf) = signed_in(&app, "staff").await;
    let (status, l1) = staff.post_json("/api/v1/incidents", &report(1), Some(&csrf)).await;
    assert_eq!(status, 201, "{l1}");
    let reported = chrono::Utc::now().with_timezone(&mamori_store::jst());
    let round = mamori_server::notify::run_due(&app.state, reported).await.unwrap();
    assert_eq!(round.mailed, 3, "{round:?}");
    assert!(round.failures >= 1, "the broken organization's digests are counted as failed: {round:?}");
    wait_for(&sink, 3).await;
    // Nobody acknowledges: 31 minutes on, the town's three notices escalate (the 課長's to
    // the 統括, both CSIRT members' to the CISO, who is told once) and are mailed.
    let round = mamori_server::notify::run_due(&app.state, reported + chrono::Duration::minutes(31)).await.unwrap();
    assert_eq!((round.escalated, round.mailed), (3, 2), "{round:?}");
    assert!(round.failures >= 1, "{round:?}");
    let all = wait_for(&sink, 5).await;
    assert!(all.iter().any(|m| m.0 == "ciso@town.example" && m.1.contains("未確認のため通知")), "{all:?}");
    drop(sink);
    app.finish().await;
}

async fn wait_for(sink: &SmtpSink, n: usize) -> Vec<(String, String, String)> {
    for _ in 0..50 {
        let m = sink.incident_mail();
        if m.len() >= n {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} messages in {}, found {:?}", Path::new(&sink.dir.path().join("mail/new")).display(), sink.incident_mail());
}
