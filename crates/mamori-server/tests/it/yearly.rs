//! The yearly cycle over HTTP on both backends: the self-assessment campaign generated from
//! 志免町's profile, auditor independence through the API, attendance imported from CSV,
//! improvement plans, the annual report's workbook read back against the database, and the
//! weekly digest mail.

use std::collections::BTreeMap;

use calamine::{Data, Reader, Xlsx};
use mamori_policy::yearly::{checklist, Answerer, FiscalYear};
use mamori_server::{MailSettings, Settings};
use serde_json::json;

use crate::helpers::{csrf_in, Client, TestApp};
use crate::incidents::SmtpSink;

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.store().pool()).await.unwrap()
}

fn this_year() -> FiscalYear {
    FiscalYear::of(chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive())
}

fn in_days(n: i64) -> String {
    (chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive() + chrono::Duration::days(n)).to_string()
}

/// Three departments with a 管理者 each, and the 統括 in 総務課.
struct Town {
    somu: i64,
    jumin: i64,
    kenko: i64,
    director: Client,
}

async fn town(app: &TestApp) -> Town {
    let somu = app.department("100", "総務課").await;
    let jumin = app.department("200", "住民課").await;
    let kenko = app.department("300", "健康課").await;
    app.user("somu-kacho", somu, Some("security_manager")).await;
    app.user("jumin-kacho", jumin, Some("security_manager")).await;
    app.user("kenko-kacho", kenko, Some("security_manager")).await;
    let director = app.totp_client("tokatsu", somu, "security_director").await;
    Town { somu, jumin, kenko, director }
}

async fn signed_in(app: &TestApp, login: &str) -> Client {
    let c = app.client();
    let p = c.login(login, crate::helpers::PASSWORD).await;
    assert_eq!(p.url, "/", "{login} signs in: {}", p.body);
    c
}

/// clause, role, department, force
type ItemRow = (String, String, Option<i64>, String);

async fn campaign_from_the_profile(app: TestApp) {
    let t = town(&app).await;
    let year = this_year();
    let page = t.director.get("/assessment").await;
    assert!(page.body.contains("自己点検を作成する"), "{}", page.body);
    // A past due date is refused and nothing is made.
    let p = t.director.submit("/assessment", "/assessment", &[("fy", &year.0.to_string()), ("due_on", "2001-01-01")]).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("回答期限が過去の日付です"), "{}", p.body);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM assessment_items").await, 0);
    let due = in_days(60);
    let p = t.director.submit("/assessment", "/assessment", &[("fy", &year.0.to_string()), ("due_on", &due)]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("assessment-by-department"), "the 統括 sees the roll-up");

    // One item for every mandatory and prohibited clause of the checklist, with its role:
    // once for the organization, or once per department with a 管理者.
    let profile = mamori_policy::parse_profile("shime.toml", mamori_policy::bundled::bundled("shime").unwrap()).unwrap();
    let entries = checklist(&profile);
    let rows: Vec<ItemRow> = sqlx::query_as("SELECT clause, role, department_id, force FROM assessment_items ORDER BY seq")
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    let mut by_clause: BTreeMap<&str, Vec<&ItemRow>> = BTreeMap::new();
    for r in &rows {
        by_clause.entry(r.0.as_str()).or_default().push(r);
    }
    assert_eq!(by_clause.len(), entries.len(), "every checked clause has items, and nothing else does");
    let departments = [t.somu, t.jumin, t.kenko];
    for e in &entries {
        let items = by_clause.get(e.clause.as_str()).unwrap_or_else(|| panic!("{} has no item", e.clause));
        for (_, role, _, force) in items {
            assert_eq!(role, &e.role, "{}", e.clause);
            assert_eq!(force, if e.force == mamori_policy::Force::Prohibited { "prohibited" } else { "mandatory" });
        }
        let mut got: Vec<Option<i64>> = items.iter().map(|r| r.2).collect();
        got.sort();
        match e.answerer {
            Answerer::Organization => assert_eq!(got, vec![None], "{} is answered once", e.clause),
            Answerer::Department => {
                assert_eq!(got, departments.iter().map(|d| Some(*d)).collect::<Vec<_>>(), "{} is answered per department", e.clause)
            }
        }
    }
    let org_items = entries.iter().filter(|e| e.answerer == Answerer::Organization).count();
    let dept_items = entries.len() - org_items;
    assert_eq!(rows.len(), org_items + 3 * dept_items);
    assert!(entries.iter().any(|e| e.clause == "対策基準5.1(1)①" && e.role == "staff"));
    // A second campaign for the same year is refused.
    let p = t.director.submit("/assessment", "/assessment", &[("fy", &year.0.to_string()), ("due_on", &due)]).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("すでに作成されています"), "{}", p.body);

    // The 住民課 管理者 answers their department's items, not another's.
    let kacho = signed_in(&app, "jumin-kacho").await;
    let page = kacho.get("/assessment").await;
    assert!(page.body.contains("対策基準5.1(1)①"), "the department's items are listed");
    assert!(!page.body.contains("assessment-by-department"), "no organization roll-up for a 管理者");
    let item = |d: i64| {
        let pool = app.store().pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM assessment_items WHERE clause = '対策基準5.1(1)①' AND department_id = $1")
                .bind(d)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let mine = item(t.jumin).await;
    let theirs = item(t.kenko).await;
    let csrf = csrf_in(&page.body);
    let p = kacho.post_form(&format!("/assessment/items/{theirs}"), &[("answer", "done"), ("csrf", &csrf)]).await;
    assert_eq!(p.status, 404, "another department's item is not this 管理者's to see");
    let p = kacho.post_form(&format!("/assessment/items/{mine}"), &[("answer", "not_done"), ("comment", "未周知"), ("csrf", &csrf)]).await;
    assert_eq!(p.status, 400, "未実施 needs an improvement measure");
    assert!(p.body.contains("改善策を記入してください"), "{}", p.body);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM assessment_items WHERE answer IS NOT NULL").await, 0, "nothing was answered");
    let p = kacho
        .post_form(
            &format!("/assessment/items/{mine}"),
            &[("answer", "partly"), ("comment", "一部未周知"), ("measure", "課内研修で周知する"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (answer, by): (String, i64) = sqlx::query_as("SELECT answer, answered_by_person_id FROM assessment_items WHERE id = $1")
        .bind(mine)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!((answer.as_str(), by), ("partly", app.person_by_login("jumin-kacho").await));
    // The answer is in the change record; the roll-up counts it.
    let events = app.store().events(app.org_id, Some(("assessment_item", &mine.to_string())), 10).await.unwrap();
    assert!(events.iter().any(|e| e.action == "assessment.answer" && e.payload.contains("課内研修で周知する")));
    let roll = t.director.get(&format!("/assessment?fy={}", year.0)).await;
    let row = roll.body.split(&format!("data-department=\"{}\"", t.jumin)).nth(1).unwrap().split("</tr>").next().unwrap().to_owned();
    assert!(row.contains(&format!("<td>{dept_items}</td><td>0</td><td>1</td>")), "住民課: {dept_items} items, 0 done, 1 partly: {row}");

    // Evidence: kept with its hash in the change record.
    let part = reqwest::multipart::Part::bytes(b"minutes of the briefing".to_vec()).file_name("周知記録.txt");
    let res = kacho
        .http
        .post(format!("{}/assessment/items/{mine}/evidence?csrf={csrf}", app.base))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let sha: String = sqlx::query_scalar("SELECT sha256 FROM evidence_files WHERE owner_kind = 'assessment_item' AND owner_id = $1")
        .bind(mine)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    let events = app.store().events(app.org_id, Some(("assessment_item", &mine.to_string())), 10).await.unwrap();
    assert!(events.iter().any(|e| e.action == "evidence.add" && e.payload.contains(&sha)));
    app.finish().await;
}

#[tokio::test]
async fn campaign_from_the_profile_sqlite() {
    campaign_from_the_profile(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn campaign_from_the_profile_postgres() {
    campaign_from_the_profile(TestApp::postgres(Settings::default()).await).await;
}

async fn audit_with_independent_auditors(app: TestApp) {
    let t = town(&app).await;
    let year = this_year();
    let p = t
        .director
        .submit(
            "/audits",
            "/audits",
            &[
                ("fy", &year.0.to_string()),
                ("title", "情報セキュリティ監査"),
                ("scope", "対策基準5,対策基準6"),
                ("starts_on", &year.first_day().max(chrono::NaiveDate::parse_from_str(&in_days(0), "%Y-%m-%d").unwrap()).to_string()),
                ("ends_on", &year.last_day().to_string()),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let audit_id: i64 = p.url.rsplit('/').next().unwrap().parse().unwrap();
    assert!(p.body.contains("計画（承認待ち）"));
    // Whoever drew up the plan cannot approve it.
    let p = t.director.submit(&format!("/audits/{audit_id}"), &format!("/audits/{audit_id}/approve"), &[]).await;
    assert_eq!(p.status, 403, "separation of duties is a refusal: {}", p.body);
    assert!(p.body.contains("承認できません"), "{}", p.body);
    assert!(p.body.contains("対策基準1(8)①"), "{}", p.body);
    // The committee approves.
    let committee_dept = app.department("900", "議会事務局").await;
    app.user("iinkai", committee_dept, Some("committee")).await;
    let committee = signed_in(&app, "iinkai").await;
    let p = committee.submit(&format!("/audits/{audit_id}"), &format!("/audits/{audit_id}/approve"), &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("承認済み・実施中"));

    // Through the API: an auditor from 住民課 may not audit 住民課 without a recorded reason.
    let auditor_own = app.user("kansa-jumin", t.jumin, None).await;
    let auditor_own = app.person_of(auditor_own).await;
    let outside = app.department("800", "会計課").await;
    let auditor_ext = app.user("kansa-kaikei", outside, None).await;
    let auditor_ext = app.person_of(auditor_ext).await;
    let (_, me) = t.director.get_json("/api/v1/me").await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/audits/{audit_id}/assignments");
    let (code, body) = t.director.post_json(&path, &json!({"auditor_person_id": auditor_own, "department_id": t.jumin}), Some(&csrf)).await;
    assert_eq!(code, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or(&body.to_string()).contains("独立"), "{body}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM audit_assignments").await, 0, "nothing recorded");
    // A holder of the department's role is not independent either.
    let (code, _) = t
        .director
        .post_json(&path, &json!({"auditor_person_id": app.person_by_login("kenko-kacho").await, "department_id": t.kenko}), Some(&csrf))
        .await;
    assert_eq!(code, 400);
    // With a reason, the conflict is allowed and recorded.
    let (code, body) = t.director.post_json(&path, &json!({"auditor_person_id": auditor_own, "department_id": t.jumin, "override_reason": "監査を行う者が他にいないため（委員会了承済み）"}), Some(&csrf)).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["assignment"]["conflict"], "監査を行う者の所属課局です");
    let events = app.store().events(app.org_id, Some(("audit", &audit_id.to_string())), 20).await.unwrap();
    let e = events.iter().find(|e| e.action == "audit.assign").unwrap();
    assert_eq!(e.result, "separation_of_duties_overridden");
    assert!(e.payload.contains("委員会了承済み"), "{}", e.payload);
    // An independent auditor needs no reason.
    let (code, body) = t.director.post_json(&path, &json!({"auditor_person_id": auditor_ext, "department_id": t.kenko}), Some(&csrf)).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["assignment"]["conflict"], "");
    // Without the CSRF header the API refuses.
    let (code, _) = t.director.post_json(&path, &json!({"auditor_person_id": auditor_ext, "department_id": t.somu}), None).await;
    assert_eq!(code, 403);

    // The auditor records a finding only in the department assigned to them.
    let auditor = signed_in(&app, "kansa-kaikei").await;
    let page = auditor.get(&format!("/audits/{audit_id}")).await;
    assert!(page.body.contains("指摘事項を記録する"), "{}", page.body);
    let csrf_a = csrf_in(&page.body);
    let p = auditor
        .post_form(
            &format!("/audits/{audit_id}/findings"),
            &[("department_id", &t.jumin.to_string()), ("description", "x"), ("severity", "minor"), ("csrf", &csrf_a)],
        )
        .await;
    assert_eq!(p.status, 400, "not assigned to 住民課");
    let p = auditor
        .post_form(
            &format!("/audits/{audit_id}/findings"),
            &[
                ("department_id", &t.kenko.to_string()),
                ("clause", "対策基準5.2(2)②"),
                ("description", "研修未受講者が放置されている"),
                ("severity", "major"),
                ("csrf", &csrf_a),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let finding: i64 = scalar(&app, "SELECT MAX(id) FROM audit_findings").await;
    // Another staff member cannot read the audit at all.
    app.user("ippan", t.kenko, None).await;
    let other = signed_in(&app, "ippan").await;
    assert_eq!(other.get(&format!("/audits/{audit_id}")).await.status, 404);

    // The 統括 turns the finding into an improvement plan for 健康課's 管理者, and asks 住民課
    // whether it has the same issue.
    let p = t
        .director
        .submit(
            &format!("/audits/{audit_id}"),
            "/improvements",
            &[("finding_id", &finding.to_string()), ("description", "未受講者への受講勧奨"), ("due_on", &in_days(14))],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let (resp, due): (i64, String) = sqlx::query_as("SELECT responsible_person_id, due_on FROM improvement_plans WHERE finding_id = $1")
        .bind(finding)
        .fetch_one(app.store().pool())
        .await
        .unwrap();
    assert_eq!(resp, app.person_by_login("kenko-kacho").await, "assigned to the department's 管理者");
    assert_eq!(due, in_days(14));
    let p = t
        .director
        .submit(&format!("/audits/{audit_id}"), &format!("/audits/findings/{finding}/checks"), &[("department_id", &t.jumin.to_string())])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let jumin = signed_in(&app, "jumin-kacho").await;
    let page = jumin.get("/improvements").await;
    assert!(page.body.contains("研修未受講者が放置されている"), "住民課 is asked: {}", page.body);
    let check: i64 = scalar(&app, "SELECT id FROM finding_checks").await;
    let p =
        jumin.submit("/improvements", &format!("/improvements/checks/{check}"), &[("found", "no"), ("note", "全員受講済みを確認")]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM finding_checks WHERE status = 'not_found'").await, 1);

    // The plan is not overdue today, and is on the day after its date (基準日).
    let plan: i64 = scalar(&app, "SELECT id FROM improvement_plans").await;
    let kenko = signed_in(&app, "kenko-kacho").await;
    let page = kenko.get("/improvements").await;
    assert!(page.body.contains("対応中") && !page.body.contains("期限超過"), "{}", page.body);
    let page = kenko.get(&format!("/improvements?as_of={}", in_days(15))).await;
    assert!(page.body.contains("期限超過"), "{}", page.body);
    let p = kenko
        .submit(&format!("/improvements/{plan}"), &format!("/improvements/{plan}/progress"), &[("note", "対象者に通知済み"), ("close", "")])
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let p = kenko
        .submit(
            &format!("/improvements/{plan}"),
            &format!("/improvements/{plan}/progress"),
            &[("note", "全員受講を確認"), ("close", "yes")],
        )
        .await;
    assert!(p.body.contains("完了"), "{}", p.body);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM improvement_progress").await, 1);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM improvement_plans WHERE status = 'closed'").await, 1);
    app.finish().await;
}

#[tokio::test]
async fn audit_with_independent_auditors_sqlite() {
    audit_with_independent_auditors(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn audit_with_independent_auditors_postgres() {
    audit_with_independent_auditors(TestApp::postgres(Settings::default()).await).await;
}

/// Cells of a sheet as text, by row.
fn sheet(book: &mut Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
    let range = book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn training_and_the_annual_report(app: TestApp) {
    let t = town(&app).await;
    let year = this_year();
    for (login, d) in [("staff-a", t.jumin), ("staff-b", t.jumin), ("staff-c", t.kenko)] {
        app.user(login, d, None).await;
    }
    // A session held today; attendance from a CSV list.
    let p = t
        .director
        .submit(
            "/training",
            "/training",
            &[
                ("kind", "training"),
                ("audience", "all_staff"),
                ("title", "情報セキュリティ研修"),
                ("held_on", &in_days(0)),
                ("place", "大会議室"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let session: i64 = p.url.rsplit('/').next().unwrap().parse().unwrap();
    let csrf = csrf_in(&p.body);
    let upload = |csv: &'static str| {
        let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("出席者.csv");
        t.director
            .http
            .post(format!("{}/training/{session}/import?csrf={csrf}", app.base))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    // An unknown staff number rejects the whole list.
    let res = upload("職員番号,氏名\nS-staff-a,staff-a さん\nS-nobody,誰か\n").await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("3行目: 職員番号「S-nobody」の職員は登録されていません"), "{body}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM training_attendance").await, 0, "nothing recorded");
    let res = upload("職員番号,氏名\nS-staff-a,staff-a さん\nS-staff-c,staff-c　さん\n").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM training_attendance").await, 2);
    // A future session cannot have attendance.
    let p = t
        .director
        .submit(
            "/training",
            "/training",
            &[("kind", "drill"), ("audience", "all_staff"), ("title", "標的型メール訓練"), ("held_on", &in_days(30))],
        )
        .await;
    let drill: i64 = p.url.rsplit('/').next().unwrap().parse().unwrap();
    let p = t.director.submit(&format!("/training/{drill}"), &format!("/training/{drill}/result"), &[("result", "x")]).await;
    assert_eq!(p.status, 400, "{}", p.body);
    // 住民課's 管理者 sees their department: staff-b has not attended.
    let kacho = signed_in(&app, "jumin-kacho").await;
    let page = kacho.get("/training").await;
    let b = app.person_by_login("staff-b").await;
    let row = page.body.split(&format!("data-person=\"{b}\"")).nth(1).unwrap().split("</tr>").next().unwrap().to_owned();
    assert!(row.contains("未受講"), "{row}");
    assert!(!page.body.contains("staff-c さん"), "another department's staff are not listed");
    // The 管理者 reports the department's status to the 統括 (5.2(2)⑤), not another's.
    let p = kacho.submit("/training", "/training/report", &[("department_id", &t.kenko.to_string())]).await;
    assert_eq!(p.status, 403, "{}", p.body);
    let p = kacho.submit("/training", "/training/report", &[("department_id", &t.jumin.to_string())]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let page = t.director.get("/training").await;
    let received = page
        .body
        .split("id=\"training-reports\"")
        .nth(1)
        .unwrap_or_else(|| panic!("the 統括 sees the report: {}", page.body))
        .split("</table>")
        .next()
        .unwrap()
        .to_owned();
    assert!(
        received.contains("住民課") && received.contains("<td>3</td><td>1</td><td>0</td>"),
        "住民課: 3 staff, 1 trained, none overdue in the first year of records: {received}"
    );
    // The 統括 reports the whole to the CISO (⑥); the CISO sees it.
    let p = t.director.submit("/training", "/training/report", &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let reports = app.store().training_reports(app.org_id, year).await.unwrap();
    assert_eq!(reports.iter().filter(|(_, p)| p["to"] == "ciso").count(), 1);
    assert_eq!(reports.iter().filter(|(_, p)| p["to"] == "security_director").count(), 1);

    // Self-assessment with a few answers, an audit finding with a plan.
    let due = in_days(60);
    t.director.submit("/assessment", "/assessment", &[("fy", &year.0.to_string()), ("due_on", &due)]).await;
    let items: Vec<i64> = sqlx::query_scalar("SELECT id FROM assessment_items WHERE department_id = $1 ORDER BY seq LIMIT 3")
        .bind(t.jumin)
        .fetch_all(app.store().pool())
        .await
        .unwrap();
    let page = kacho.get("/assessment").await;
    let csrf_k = csrf_in(&page.body);
    for (id, answer) in items.iter().zip(["done", "done", "not_applicable"]) {
        let p =
            kacho.post_form(&format!("/assessment/items/{id}"), &[("answer", answer), ("comment", "確認済み"), ("csrf", &csrf_k)]).await;
        assert_eq!(p.status, 200, "{}", p.body);
    }

    // The workbook's figures are the database's.
    let res = t.director.http.get(format!("{}/reports/annual.xlsx?fy={}", app.base, year.0)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let summary: BTreeMap<String, String> =
        sheet(&mut book, "概要").into_iter().filter(|r| r.len() >= 2).map(|r| (r[0].clone(), r[1].clone())).collect();
    let expect = |k: &str, v: i64| assert_eq!(summary.get(k).map(String::as_str), Some(v.to_string().as_str()), "{k} in {summary:?}");
    expect("研修対象の職員等", scalar(&app, "SELECT COUNT(*) FROM people WHERE active = 1").await);
    expect("今年度の受講者", scalar(&app, "SELECT COUNT(DISTINCT a.person_id) FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id WHERE s.kind = 'training'").await);
    expect("研修の実施回数", 1);
    expect("緊急時対応訓練の実施回数", 0);
    expect("自己点検の項目", scalar(&app, "SELECT COUNT(*) FROM assessment_items").await);
    expect("自己点検: 実施", scalar(&app, "SELECT COUNT(*) FROM assessment_items WHERE answer = 'done'").await);
    expect("自己点検: 該当なし", scalar(&app, "SELECT COUNT(*) FROM assessment_items WHERE answer = 'not_applicable'").await);
    expect("自己点検: 未回答", scalar(&app, "SELECT COUNT(*) FROM assessment_items WHERE answer IS NULL").await);
    expect("監査の指摘事項", scalar(&app, "SELECT COUNT(*) FROM audit_findings").await);
    expect("インシデント報告", scalar(&app, "SELECT COUNT(*) FROM incidents WHERE reported_at IS NOT NULL").await);
    // By department, the training sheet matches the attendance rows.
    let training = sheet(&mut book, "研修");
    let jumin_row = training.iter().find(|r| r[0] == "住民課").expect("住民課 row");
    let jumin_staff = scalar(&app, &format!("SELECT COUNT(*) FROM people WHERE department_id = {}", t.jumin)).await;
    let jumin_trained = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM training_attendance a JOIN people p ON p.id = a.person_id WHERE p.department_id = {}", t.jumin),
    )
    .await;
    assert_eq!((jumin_row[1].clone(), jumin_row[2].clone()), (jumin_staff.to_string(), jumin_trained.to_string()));
    let assessment = sheet(&mut book, "自己点検");
    let row = assessment.iter().find(|r| r[0] == "住民課").expect("住民課 row");
    assert_eq!(row[2], "2", "two 実施 answers: {row:?}");
    assert_eq!(row[5], "1", "one 該当なし: {row:?}");
    // The printable page shows the same summary; only report readers get it.
    let page = t.director.get(&format!("/reports/annual?fy={}", year.0)).await;
    assert!(page.body.contains("情報セキュリティ対策実施状況報告") && page.body.contains("annual-summary"), "{}", page.body);
    assert_eq!(kacho.get("/reports/annual").await.status, 403);
    assert_eq!(kacho.http.get(format!("{}/reports/annual.xlsx", app.base)).send().await.unwrap().status().as_u16(), 403);
    app.finish().await;
}

#[tokio::test]
async fn training_and_the_annual_report_sqlite() {
    training_and_the_annual_report(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn training_and_the_annual_report_postgres() {
    training_and_the_annual_report(TestApp::postgres(Settings::default()).await).await;
}

#[tokio::test]
async fn weekly_digest_of_what_is_due() {
    let sink = SmtpSink::start().await;
    let mail = MailSettings {
        smtp_url: format!("smtp://127.0.0.1:{}", sink.port),
        from: "mamori <mamori@town.example>".into(),
        base_url: "https://mamori.town.example".into(),
    };
    let app = TestApp::sqlite(Settings { mail: Some(mail), ..Settings::default() }).await;
    let t = town(&app).await;
    app.user("staff-x", t.jumin, None).await;
    app.set_email("staff-x", "staff-x@town.example").await;
    app.set_email("jumin-kacho", "jumin-kacho@town.example").await;
    let year = this_year();
    t.director.submit("/assessment", "/assessment", &[("fy", &year.0.to_string()), ("due_on", &in_days(30))]).await;
    let now = chrono::Utc::now().with_timezone(&mamori_store::jst());
    let round = mamori_server::notify::run_due(&app.state, now).await.unwrap();
    assert_eq!(round.digests, 2, "{round:?}");
    let again = mamori_server::notify::run_due(&app.state, now).await.unwrap();
    assert_eq!(again.digests, 0, "once a week");
    let messages = sink.messages();
    let kacho = messages.iter().find(|m| m.0 == "jumin-kacho@town.example").expect("the 管理者's digest");
    assert!(kacho.1.contains("研修・自己点検・改善計画のお知らせ"), "{}", kacho.1);
    assert!(kacho.2.contains("自己点検で未回答の項目が"), "{}", kacho.2);
    let staff = messages.iter().find(|m| m.0 == "staff-x@town.example").expect("the staff member's digest");
    assert!(staff.2.contains("情報セキュリティ研修が未受講です"), "{}", staff.2);
    // A week later it comes again.
    let later = mamori_server::notify::run_due(&app.state, now + chrono::Duration::days(7)).await.unwrap();
    assert_eq!(later.digests, 2);
    app.finish().await;
}
