//! One story per bundled profile, on SQLite and on PostgreSQL: the same town run by 志免町's,
//! 横手市's, 中新川広域行政事務組合's and 南薩介護保険事務組合's policy. Every role and clause the
//! story expects is read from that profile (its roles through the jobs they do, its rules,
//! its workflow steps), never from 志免町's numbering:
//! - an incident at each level reaches exactly that profile's roles, resolved to people;
//! - a take-out request is decided and approved citing that profile's approval rule;
//! - an audit: its author cannot approve it, an auditor of the audited department is refused
//!   with the profile's independence clause;
//! - the training rule with the profile's clause; a self-assessment campaign from its checklist;
//! - a violation recorded under the profile's clause and corrected by the department's 管理者.

use std::collections::{BTreeMap, BTreeSet};

use mamori_policy::workflow::{roles_doing, Step, Workflow, WorkflowRole};
use mamori_policy::{Action, Profile, RoleScope};
use serde_json::json;

use crate::helpers::{Client, TestApp, PASSWORD};

fn profile(id: &str) -> Profile {
    mamori_policy::parse_profile(id, mamori_policy::bundled::bundled(id).unwrap()).unwrap()
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive()
}

/// The one role of the profile that does `job`.
fn role_for(p: &Profile, job: WorkflowRole) -> String {
    roles_doing(p, job).into_iter().next().unwrap_or_else(|| panic!("{}: no role does {job:?}", p.profile.id))
}

/// A clause this profile has: its own catalogue, or the standard model's.
fn exists(p: &Profile, clause: &str) -> bool {
    p.clause(clause).is_some() || mamori_policy::standard::contains(clause)
}

struct Town {
    somu: i64,
    jumin: i64,
    /// login → person id.
    people: BTreeMap<String, i64>,
    /// profile role id → the login that holds it (for 住民課 when the role is per department).
    holder: BTreeMap<String, String>,
}

/// 総務課 and 住民課, a holder for every role of the profile (per-department roles for
/// 住民課), and two staff members of 住民課.
async fn town(app: &TestApp, p: &Profile) -> Town {
    let somu = app.department("100", "総務課").await;
    let jumin = app.department("200", "住民課").await;
    let mut people = BTreeMap::new();
    let mut holder = BTreeMap::new();
    for (n, r) in p.roles.iter().enumerate() {
        let login = format!("r{n}-{}", r.id);
        let dept = if r.scope == RoleScope::Department { jumin } else { somu };
        let user = app.user(&login, dept, Some(r.id.as_str())).await;
        people.insert(login.clone(), app.person_of(user).await);
        holder.insert(r.id.to_string(), login);
    }
    for login in ["staff", "staff2"] {
        let user = app.user(login, jumin, None).await;
        people.insert(login.into(), app.person_of(user).await);
    }
    Town { somu, jumin, people, holder }
}

/// Signed-in clients by login: each account signs in once (a TOTP code is not accepted twice).
#[derive(Default)]
struct Sessions(BTreeMap<String, (Client, String)>);

impl Sessions {
    async fn of(&mut self, app: &TestApp, login: &str) -> (Client, String) {
        if let Some(c) = self.0.get(login) {
            return c.clone();
        }
        let c = sign_in(app, login).await;
        self.0.insert(login.to_owned(), c.clone());
        c
    }
}

/// Signs `login` in, with the second factor the profile may require of the role.
async fn sign_in(app: &TestApp, login: &str) -> (Client, String) {
    const SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";
    sqlx::query("UPDATE users SET totp_enabled = 1, totp_secret = $1 WHERE login = $2")
        .bind(SECRET)
        .bind(login)
        .execute(app.store().pool())
        .await
        .unwrap();
    let c = app.client();
    c.login(login, PASSWORD).await;
    let totp = mamori_server::auth::totp_for(SECRET, "mamori", login).unwrap();
    let p = c.submit("/login/totp", "/login/totp", &[("code", &totp.generate(mamori_server::auth::unix_now()))]).await;
    assert_eq!(p.url, "/", "{login} is signed in: {}", p.body);
    let (_, me) = c.get_json("/api/v1/me").await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    (c, csrf)
}

async fn story(app: TestApp, id: &str) {
    let p = profile(id);
    let w = Workflow::of(&p);
    let t = town(&app, &p).await;
    let login_of = |job: WorkflowRole| t.holder[&role_for(&p, job)].clone();
    let mut sessions = Sessions::default();
    let (staff, staff_csrf) = sessions.of(&app, "staff").await;

    // Incidents: each level reaches exactly the roles of its row and the contact point.
    let contact: Vec<String> = p.incident_response.iter().flat_map(|r| r.contact_point.iter().map(|x| x.get_ref().to_string())).collect();
    for level in &p.incident_levels {
        let l = *level.level.get_ref();
        let body = json!({"title": format!("媒体の紛失（レベル{l}）"), "level": l, "occurred_at": "2026-11-30T17:20",
                          "location": "住民課", "assets": "住民票の写し", "personal_info": "yes", "details": "帰庁後に気づいた。", "send": true});
        let (status, v) = staff.post_json("/api/v1/incidents", &body, Some(&staff_csrf)).await;
        assert_eq!(status, 201, "{id} level {l}: {v}");
        let got: BTreeSet<(i64, String)> = v["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["person_id"].as_i64().unwrap(), n["role"].as_str().unwrap().to_owned()))
            .collect();
        let want: BTreeSet<(i64, String)> = level
            .report_to
            .iter()
            .map(|r| r.get_ref().to_string())
            .chain(contact.iter().cloned())
            .map(|r| (t.people[&t.holder[&r]], r))
            .collect();
        assert_eq!(got, want, "{id}: level {l} ({}) reaches exactly its roles", level.name);
    }

    // A take-out of a 3B asset needs the approval the profile's rule names, cites its clause,
    // and the approver's holder approves it.
    let rule = p
        .decision_rules
        .iter()
        .find(|r| r.action == Action::TakeOut && r.approval.is_some())
        .unwrap_or_else(|| panic!("{id}: a take-out rule with an approval"));
    let approval = p.approval_rules.iter().find(|a| Some(a.id.as_str()) == rule.approval.as_ref().map(|x| x.get_ref().as_str())).unwrap();
    let approver_role = approval.approver.get_ref().to_string();
    let approver = t.holder[&approver_role].clone();
    let (boss, boss_csrf) = sessions.of(&app, &approver).await;
    let manager_login = login_of(WorkflowRole::SecurityManager);
    let (manager, manager_csrf) = sessions.of(&app, &manager_login).await;
    let asset = json!({"name": "住民票データ（抽出）", "department_id": t.jumin, "kind": "information", "medium": "removable_media",
                       "confidentiality": "3B", "integrity": "2", "availability": "1", "personal_info": true});
    let (status, created) = manager.post_json("/api/v1/assets", &asset, Some(&manager_csrf)).await;
    assert_eq!(status, 201, "{id}: {created}");
    let due = (today() + chrono::Days::new(30)).to_string();
    let (status, filed) = staff
        .post_json(
            "/api/v1/requests",
            &json!({"action": "take_out", "asset_id": created["asset"]["id"], "encrypted": true,
                    "destination": "県庁", "purpose": "照合", "due_on": due}),
            Some(&staff_csrf),
        )
        .await;
    assert_eq!(status, 201, "{id}: {filed}");
    assert_eq!(filed["request"]["approver_role"], approver_role.as_str(), "{id}: {filed}");
    let cited = filed["request"]["decision"]["approvals"][0]["clause"].as_str().unwrap().to_owned();
    assert_eq!(cited, approval.clause.get_ref().to_string(), "{id}: the approval rule's clause");
    assert!(exists(&p, &cited), "{id}: {cited} is a clause of the profile");
    let rid = filed["request"]["id"].as_i64().unwrap();
    let (status, done) = boss.post_json(&format!("/api/v1/requests/{rid}/approve"), &json!({}), Some(&boss_csrf)).await;
    assert_eq!(status, 200, "{id}: {done}");
    assert_eq!(done["request"]["status"], "approved");

    // An audit: its author cannot approve it; the profile's other approver does; an auditor of
    // the audited department is refused with the independence clause.
    let planner = t.holder[&w.rule(Step::AuditPlan).roles[0]].clone();
    let (director, director_csrf) = sessions.of(&app, &planner).await;
    let year = mamori_policy::yearly::FiscalYear::of(today());
    let p1 = director
        .submit(
            "/audits",
            "/audits",
            &[
                ("fy", &year.0.to_string()),
                ("title", "情報セキュリティ監査"),
                ("scope", ""),
                ("starts_on", &today().to_string()),
                ("ends_on", &year.last_day().to_string()),
            ],
        )
        .await;
    assert_eq!(p1.status, 200, "{id}: {}", p1.body);
    let audit_id: i64 = p1.url.rsplit('/').next().unwrap().parse().unwrap();
    let refused = director.submit(&format!("/audits/{audit_id}"), &format!("/audits/{audit_id}/approve"), &[]).await;
    assert_eq!(refused.status, 403, "{id}: {}", refused.body);
    let planner_approves = w.rule(Step::AuditApprove).roles.contains(&planner_role(&t, &planner));
    let why = if planner_approves { w.clause(Step::SelfApproval) } else { w.clause(Step::AuditApprove) };
    assert!(refused.body.contains(why), "{id}: {}", refused.body);
    let approvers: Vec<&String> = w.rule(Step::AuditApprove).roles.iter().filter(|r| t.holder[*r] != planner).collect();
    let other = t.holder[approvers[0]].clone();
    let (other_c, _) = sessions.of(&app, &other).await;
    let ok = other_c.submit(&format!("/audits/{audit_id}"), &format!("/audits/{audit_id}/approve"), &[]).await;
    assert_eq!(ok.status, 200, "{id}: {}", ok.body);
    let path = format!("/api/v1/audits/{audit_id}/assignments");
    let (code, body) =
        director.post_json(&path, &json!({"auditor_person_id": t.people["staff2"], "department_id": t.jumin}), Some(&director_csrf)).await;
    assert_eq!(code, 400, "{id}: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(w.clause(Step::AuditIndependence)), "{id}: {body}");
    let (code, body) =
        director.post_json(&path, &json!({"auditor_person_id": t.people["staff2"], "department_id": t.somu}), Some(&director_csrf)).await;
    assert_eq!(code, 200, "{id}: an independent auditor: {body}");

    // Training: a session today; the one who attended has met the yearly rule, the other has
    // not, and the page says so under the profile's clause.
    let trainer = t.holder[&w.rule(Step::TrainingPlan).roles[0]].clone();
    let (tc, _) = sessions.of(&app, &trainer).await;
    let s = tc
        .submit(
            "/training",
            "/training",
            &[("kind", "training"), ("audience", "all_staff"), ("title", "情報セキュリティ研修"), ("held_on", &today().to_string())],
        )
        .await;
    assert_eq!(s.status, 200, "{id}: {}", s.body);
    let session: i64 = s.url.rsplit('/').next().unwrap().parse().unwrap();
    // 住民課's 管理者 records who attended from the department.
    let r = manager
        .submit(
            &format!("/training/{session}"),
            &format!("/training/{session}/attendance"),
            &[("person_id", &t.people["staff"].to_string())],
        )
        .await;
    assert_eq!(r.status, 200, "{id}: {}", r.body);
    let mine = staff.get("/training").await;
    assert!(mine.body.contains("受講済み"), "{id}: {}", mine.body);
    let (other_staff, _) = sessions.of(&app, "staff2").await;
    let theirs = other_staff.get("/training").await;
    assert!(theirs.body.contains("未受講") && theirs.body.contains(w.clause(Step::TrainingYearly)), "{id}: {}", theirs.body);

    // Self-assessment from the profile's checklist: every item is a clause of the profile.
    let organizer = t.holder[&w.rule(Step::AssessmentCreate).roles[0]].clone();
    let (oc, _) = sessions.of(&app, &organizer).await;
    let due = (today() + chrono::Days::new(60)).to_string();
    let c = oc.submit("/assessment", "/assessment", &[("fy", &year.0.to_string()), ("due_on", &due)]).await;
    assert_eq!(c.status, 200, "{id}: {}", c.body);
    let clauses: Vec<String> = sqlx::query_scalar("SELECT clause FROM assessment_items").fetch_all(app.store().pool()).await.unwrap();
    // 住民課 is the one department with a 管理者, so each item is asked once.
    assert_eq!(clauses.len(), mamori_policy::yearly::checklist(&p).len(), "{id}");
    assert!(!clauses.is_empty(), "{id}: a campaign has items");
    assert!(clauses.iter().all(|c| p.clause(c).is_some()), "{id}: every item is one of the profile's own clauses");

    // A violation: recorded under the profile's clause, corrected by 住民課's 管理者.
    let finder = t.holder[&w.rule(Step::ViolationRecord).roles[0]].clone();
    let (fc, _) = sessions.of(&app, &finder).await;
    let v = fc
        .submit("/violations", "/violations", &[("person_id", &t.people["staff2"].to_string()), ("description", "私物USBメモリの使用")])
        .await;
    assert_eq!(v.status, 200, "{id}: {}", v.body);
    let (vid, clause): (i64, String) = sqlx::query_as("SELECT id, clause FROM violations").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(clause, w.clause(Step::ViolationResponse), "{id}");
    let fixed = manager.submit("/violations", &format!("/violations/{vid}/correct"), &[("note", "指導した")]).await;
    assert_eq!(fixed.status, 200, "{id}: {}", fixed.body);
    let status: String = sqlx::query_scalar("SELECT status FROM violations").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(status, "corrected", "{id}");
    app.finish().await;
}

/// The profile role a login holds in this town.
fn planner_role(t: &Town, login: &str) -> String {
    t.holder.iter().find(|(_, l)| l.as_str() == login).map(|(r, _)| r.clone()).unwrap()
}

macro_rules! stories {
    ($($name:ident: $profile:literal, $pg:literal;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                story(TestApp::with_profile($pg, $profile).await, $profile).await;
            }
        )*
    };
}

stories! {
    shime_on_sqlite: "shime", false;
    shime_on_postgres: "shime", true;
    yokote_on_sqlite: "yokote", false;
    yokote_on_postgres: "yokote", true;
    nakaniikawa_on_sqlite: "nakaniikawa", false;
    nakaniikawa_on_postgres: "nakaniikawa", true;
    nansatsu_on_sqlite: "nansatsu", false;
    nansatsu_on_postgres: "nansatsu", true;
}
