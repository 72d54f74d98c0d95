//! One storage story, generic over the backend: it runs on SQLite and on PostgreSQL.

use mamori_store::assets::{AssetFields, AssetFilter, Classes};
use mamori_store::org::{NewPerson, StaffRow};
use mamori_store::systems::SystemFields;
use mamori_store::testing::TestDb;
use mamori_store::users::{FailureOutcome, LockoutSchedule};
use mamori_store::{Actor, NewEvent, Store, StoreError};

const PROFILE: &str = r#"
[profile]
format = 1
id = "story"
edition = "第1版"
effective = "2026-04-01"
source = "test"

[organization]
name = "試験町"
kind = "町"
prefecture = "試験県"

[[roles]]
id = "ciso"
name = "最高情報セキュリティ責任者"
scope = "organization"
posts = ["副町長"]
clause = "標準対策基準1(1)①"
provenance = "standard"

# The jobs every profile needs someone for (see mamori_policy::workflow).
[[roles]]
id = "security_director"
name = "統括情報セキュリティ責任者"
scope = "organization"
clause = "標準対策基準1(2)①"
provenance = "standard"

[[roles]]
id = "security_manager"
name = "情報セキュリティ管理者"
scope = "department"
clause = "標準対策基準1(3)①"
provenance = "standard"

[[roles]]
id = "csirt"
name = "CSIRT"
scope = "organization"
clause = "標準対策基準1(9)①"
provenance = "standard"
"#;

fn classes(c: &str, i: &str, a: &str) -> Classes {
    Classes { confidentiality: Some(c.into()), integrity: Some(i.into()), availability: Some(a.into()) }
}

fn fields(name: &str, department_id: i64) -> AssetFields {
    AssetFields {
        name: name.into(),
        description: "住民基本台帳の写し".into(),
        department_id,
        kind: "information".into(),
        medium: "electronic".into(),
        location: "ファイルサーバ".into(),
        zone: Some("lgwan".into()),
        personal_info: true,
        ..Default::default()
    }
}

async fn story(store: &Store) {
    let admin = Actor::system("test");
    let org = store.create_organization("story", "試験町", &admin).await.unwrap();
    let other_org = store.create_organization("other", "別の町", &admin).await.unwrap();
    assert!(matches!(store.create_organization("story", "重複", &admin).await, Err(StoreError::Duplicate(_))));

    // Profile versions: every activation is kept, one is active.
    let profile = mamori_policy::parse_profile("story.toml", PROFILE).unwrap();
    let v1 = store.activate_profile(org.id, "story.toml", PROFILE, &profile, &admin).await.unwrap();
    let v2 = store.activate_profile(org.id, "story.toml", PROFILE, &profile, &admin).await.unwrap();
    assert_eq!((v1.version_no, v2.version_no), (1, 2));
    let versions = store.profile_versions(org.id).await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions.iter().filter(|v| v.is_active).count(), 1);
    assert_eq!(store.active_profile(org.id).await.unwrap().unwrap().id, v2.id);
    assert_eq!(store.active_profile(org.id).await.unwrap().unwrap().content, PROFILE);

    // Departments form a tree; ids of another organization are not reachable.
    let somu = store.create_department(org.id, "100", "総務課", None, "section", &admin).await.unwrap();
    let johoka = store.create_department(org.id, "110", "情報係", Some(somu.id), "unit", &admin).await.unwrap();
    let jumin = store.create_department(org.id, "200", "住民課", None, "section", &admin).await.unwrap();
    let foreign = store.create_department(other_org.id, "100", "総務課", None, "section", &admin).await.unwrap();
    assert_eq!(johoka.parent_id, Some(somu.id));
    assert!(matches!(store.department(org.id, foreign.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.create_department(org.id, "100", "重複", None, "section", &admin).await, Err(StoreError::Duplicate(_))));

    let post = store.create_post(org.id, "課長", 50, &admin).await.unwrap();
    let kacho = store
        .create_person(
            org.id,
            &NewPerson {
                staff_no: "0001".into(),
                name: "山田太郎".into(),
                kana: "ヤマダタロウ".into(),
                email: "yamada@example.jp".into(),
                department_id: jumin.id,
                post_id: Some(post.id),
                employment: "regular".into(),
            },
            &admin,
        )
        .await
        .unwrap();
    store.assign_role(org.id, "security_manager", kacho.id, Some(jumin.id), false, &admin).await.unwrap();
    let roles = store.roles_of_person(kacho.id).await.unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].department_id, Some(jumin.id));

    // Users: a timed lockout from the limit on, success resets the counter.
    let user = store.create_user(org.id, Some(kacho.id), "yamada", "山田太郎", "hash", false, &admin).await.unwrap();
    assert!(user.must_change_password);
    let schedule = LockoutSchedule { after_failures: 3, ..LockoutSchedule::default() };
    let now = chrono::Utc::now();
    for n in 1..=2 {
        let u = store.user(user.id).await.unwrap();
        assert_eq!(
            store.record_login_failure(&u, &schedule, "password", now).await.unwrap(),
            FailureOutcome::StillOpen { failed_attempts: n }
        );
    }
    let u = store.user(user.id).await.unwrap();
    let outcome = store.record_login_failure(&u, &schedule, "password", now).await.unwrap();
    assert!(matches!(outcome, FailureOutcome::LockedOut { failed_attempts: 3, .. }), "{outcome:?}");
    let u = store.user(user.id).await.unwrap();
    assert!(!u.locked && u.locked_out_at(now) && u.refused_at(now));
    assert!(!u.locked_out_at(now + chrono::Duration::seconds(61)), "the first lockout lasts a minute");
    store.unlock_user(org.id, user.id, &admin).await.unwrap();
    let u = store.user(user.id).await.unwrap();
    assert!(!u.refused_at(now) && u.failed_attempts == 0 && u.locked_until.is_none());
    let u = store.user(user.id).await.unwrap();
    assert!(!u.locked);
    assert_eq!(store.record_login_success(&u).await.unwrap(), None);
    let u = store.user(user.id).await.unwrap();
    let first = u.last_login_at.clone();
    assert_eq!(store.record_login_success(&u).await.unwrap(), first);
    assert!(store.consume_totp_step(user.id, 100).await.unwrap());
    assert!(!store.consume_totp_step(user.id, 100).await.unwrap(), "a TOTP step cannot be used twice");

    // Systems and assets.
    let system = store
        .create_system(
            org.id,
            &SystemFields {
                name: "住民記録システム".into(),
                zone: Some("mynumber".into()),
                department_id: jumin.id,
                manager_person_id: Some(kacho.id),
                requires_mfa: true,
                backup: true,
                ..Default::default()
            },
            &admin,
        )
        .await
        .unwrap();
    let mut f = fields("住民票データ", jumin.id);
    f.system_id = Some(system.id);
    let a = store.create_asset(org.id, &f, &classes("3B", "2", "2"), None, &admin).await.unwrap();
    assert_eq!(a.department_name, "住民課");
    assert_eq!(a.system_name.as_deref(), Some("住民記録システム"));
    let undecided = store.create_asset(org.id, &fields("受領した名簿", jumin.id), &Classes::default(), None, &admin).await.unwrap();
    store.create_asset(org.id, &fields("庁内報", somu.id), &classes("1", "1", "1"), None, &admin).await.unwrap();
    assert!(matches!(
        store.create_asset(org.id, &fields("他団体の課", foreign.id), &classes("1", "1", "1"), None, &admin).await,
        Err(StoreError::NotFound("department"))
    ));

    let reclassified = store.reclassify_asset(org.id, a.id, &classes("3A", "2", "2"), "秘密文書に相当", &admin).await.unwrap();
    assert_eq!(reclassified.classes.confidentiality.as_deref(), Some("3A"));
    let history = store.classification_history(org.id, a.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].classes.confidentiality.as_deref(), Some("3A"));
    assert_eq!(history[1].classes.confidentiality.as_deref(), Some("3B"));

    let copy = store.copy_asset(org.id, a.id, "住民票データ（写し）", "USBメモリ", &admin).await.unwrap();
    assert_eq!(copy.origin_asset_id, Some(a.id));
    assert_eq!(copy.classes, reclassified.classes, "a copy inherits its origin's classes");

    let all = |f: AssetFilter| async move { store.assets(org.id, &AssetFilter { limit: 100, ..f }).await.unwrap() };
    assert_eq!(all(AssetFilter::default()).await.len(), 4);
    assert_eq!(all(AssetFilter { department_id: Some(somu.id), ..Default::default() }).await.len(), 1);
    assert_eq!(all(AssetFilter { confidentiality: Some("3A".into()), ..Default::default() }).await.len(), 2);
    assert_eq!(all(AssetFilter { system_id: Some(system.id), ..Default::default() }).await.len(), 2);
    let pending = all(AssetFilter { undecided: true, ..Default::default() }).await;
    assert_eq!(pending.iter().map(|a| a.id).collect::<Vec<_>>(), vec![undecided.id]);
    assert_eq!(all(AssetFilter { visible_departments: Some(vec![somu.id]), ..Default::default() }).await.len(), 1);
    assert_eq!(all(AssetFilter { visible_departments: Some(vec![]), ..Default::default() }).await.len(), 0);
    assert_eq!(all(AssetFilter { text: Some("住民票".into()), ..Default::default() }).await.len(), 2);
    assert_eq!(all(AssetFilter { text: Some("写し".into()), ..Default::default() }).await.len(), 4, "description matches too");
    assert_eq!(all(AssetFilter { text: Some("庁内報".into()), ..Default::default() }).await.len(), 1);
    assert_eq!(all(AssetFilter { text: Some("100%_".into()), ..Default::default() }).await.len(), 0);
    assert_eq!(
        all(AssetFilter { text: Some("写し".into()), department_id: Some(somu.id), ..Default::default() }).await.len(),
        1,
        "a short, rare term within one department goes through the index"
    );
    assert_eq!(
        all(AssetFilter { text: Some("住民票データ".into()), visible_departments: Some(vec![jumin.id]), ..Default::default() }).await.len(),
        2
    );
    assert_eq!(all(AssetFilter { text: Some("庁".into()), ..Default::default() }).await.len(), 1, "one character: scanned");
    // Editing the name moves it in the search index.
    let mut renamed = undecided.fields.clone();
    renamed.name = "転入届の綴り".into();
    store.update_asset(org.id, undecided.id, &renamed, &admin).await.unwrap();
    assert_eq!(all(AssetFilter { text: Some("受領した名簿".into()), ..Default::default() }).await.len(), 0);
    assert_eq!(all(AssetFilter { text: Some("転入届".into()), ..Default::default() }).await.len(), 1);
    let plan = store.explain_assets(org.id, &AssetFilter { text: Some("住民票".into()), limit: 50, ..Default::default() }).await.unwrap();
    assert!(!plan.is_empty());
    if store.backend() == mamori_store::Backend::Sqlite {
        assert!(plan.iter().any(|l| l.contains("VIRTUAL TABLE")), "the search index drives the query: {plan:?}");
    }
    let page1 = store.assets(org.id, &AssetFilter { limit: 2, ..Default::default() }).await.unwrap();
    let page2 = store.assets(org.id, &AssetFilter { limit: 2, before_id: Some(page1[1].id), ..Default::default() }).await.unwrap();
    assert_eq!(page1.len() + page2.len(), 4);
    assert!(page2.iter().all(|p| p.id < page1[1].id));
    let held = store.system_asset_classes(org.id, system.id).await.unwrap();
    assert_eq!(held.len(), 1);

    // Every change above left exactly one event, numbered without gaps.
    let events = store.events(org.id, None, 1000).await.unwrap();
    let seqs: Vec<i64> = events.iter().rev().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    assert!(events.iter().any(|e| e.action == "asset.reclassify" && e.target_id == a.id.to_string()));
    assert!(events.iter().all(|e| e.at.ends_with("+09:00")));
    let count_before = store.event_count(org.id).await.unwrap();

    // A change whose write fails leaves neither the change nor its event.
    let mut w = store.begin_write(org.id).await.unwrap();
    mamori_store::testing::insert_department_in(&mut w, "900", "消えるはずの課").await.unwrap();
    let failed = w.commit(&admin, NewEvent::new("", "department", 0, serde_json::json!({}))).await;
    assert!(failed.is_err(), "an event with an empty action violates the CHECK constraint");
    assert!(store.departments(org.id).await.unwrap().iter().all(|d| d.code != "900"), "the change was rolled back");
    assert_eq!(store.event_count(org.id).await.unwrap(), count_before);

    // An import with one bad row imports nothing.
    let row = |no: &str, parent: &str| StaffRow {
        staff_no: no.into(),
        name: "職員".into(),
        kana: String::new(),
        email: String::new(),
        department_code: "300".into(),
        department_name: "税務課".into(),
        parent_department_code: parent.into(),
        post: "主事".into(),
        employment: "regular".into(),
    };
    let bad = store.import_staff(org.id, &[row("1001", ""), row("1002", "999")], "staff.csv", &admin).await;
    assert!(bad.is_err());
    assert!(store.departments(org.id).await.unwrap().iter().all(|d| d.code != "300"));
    assert_eq!(store.people(org.id, None, 100, 0).await.unwrap().len(), 1);
    assert_eq!(store.event_count(org.id).await.unwrap(), count_before);
    let ok = store.import_staff(org.id, &[row("1001", ""), row("1002", "100")], "staff.csv", &admin).await.unwrap();
    assert_eq!((ok.people_created, ok.departments_created, ok.posts_created), (2, 1, 1));
    // A 課 may come before its 部 in the file: departments are made parents first.
    let in_dept = |no: &str, code: &str, name: &str, parent: &str| StaffRow {
        department_code: code.into(),
        department_name: name.into(),
        parent_department_code: parent.into(),
        ..row(no, parent)
    };
    let ok = store
        .import_staff(org.id, &[in_dept("2001", "410", "福祉課", "400"), in_dept("2002", "400", "健康福祉部", "")], "staff.csv", &admin)
        .await
        .unwrap();
    assert_eq!((ok.people_created, ok.departments_created), (2, 2));
    let departments = store.departments(org.id).await.unwrap();
    let bu = departments.iter().find(|d| d.code == "400").unwrap();
    assert_eq!(departments.iter().find(|d| d.code == "410").unwrap().parent_id, Some(bu.id));

    // The change record is append-only, even for someone with SQL access.
    let tamper = sqlx::query("UPDATE events SET actor = 'someone else' WHERE org_id = $1").bind(org.id).execute(store.pool()).await;
    assert!(tamper.is_err());
    let delete = sqlx::query("DELETE FROM events WHERE org_id = $1").bind(org.id).execute(store.pool()).await;
    assert!(delete.is_err());
}

#[tokio::test]
async fn story_on_sqlite() {
    let db = TestDb::sqlite().await;
    story(&db.store).await;
    db.finish().await;
}

#[tokio::test]
async fn story_on_postgres() {
    let db = TestDb::postgres().await;
    story(&db.store).await;
    db.finish().await;
}

#[tokio::test]
async fn a_missing_sqlite_file_is_an_error_without_create() {
    let dir = tempfile_dir();
    let url = mamori_store::sqlite_url_in(&dir);
    let err = Store::open(&url, Default::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::MissingDatabase(_)), "{err}");
    assert!(matches!(Store::open("mysql://x", Default::default()).await, Err(StoreError::UnsupportedUrl(_))));
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mamori-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
