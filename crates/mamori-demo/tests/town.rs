//! The demo town: counts, roles by the 志免町 profile, and an asset register that covers
//! every class; and the demo organization of each bundled profile.

use std::collections::{BTreeSet, HashMap, HashSet};

use mamori_demo::{populate, DemoScale};
use mamori_store::assets::AssetFilter;
use mamori_store::testing::TestDb;
use mamori_store::Actor;
use sqlx::Row;

fn profile(id: &str) -> mamori_policy::Profile {
    mamori_policy::parse_profile(&format!("{id}.toml"), mamori_policy::bundled::bundled(id).unwrap()).unwrap()
}

#[tokio::test]
async fn the_town_is_complete_and_consistent() {
    let db = TestDb::sqlite().await;
    let store = &db.store;
    let org = store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
    let scale = DemoScale::town();
    let summary = populate(store, org.id, &profile("shime"), &scale, 42, false).await.unwrap();

    // Counts.
    assert_eq!(summary.people, scale.staff);
    assert_eq!(summary.assets, scale.assets);
    assert_eq!(summary.systems, scale.systems);
    assert_eq!(store.asset_count(org.id).await.unwrap(), scale.assets as i64);
    assert_eq!(store.people(org.id, None, 10_000, 0).await.unwrap().len(), scale.staff);
    assert_eq!(store.systems(org.id, None, None).await.unwrap().len(), scale.systems);
    let departments = store.departments(org.id).await.unwrap();
    assert_eq!(departments.len(), summary.departments);
    assert_eq!(summary.sections, 20, "20 課 and 事務局");
    let names: HashSet<&str> = departments.iter().map(|d| d.name.as_str()).collect();
    for name in ["総務課", "住民課", "税務課", "子育て支援課", "学校教育課", "議会事務局", "情報係", "志免小学校", "志免中央保育園"]
    {
        assert!(names.contains(name), "{name} is missing");
    }
    let by_id: HashMap<i64, &mamori_store::org::Department> = departments.iter().map(|d| (d.id, d)).collect();
    let school = departments.iter().find(|d| d.kind == "school").unwrap();
    assert_eq!(by_id[&school.parent_id.unwrap()].name, "学校教育課");
    let nursery = departments.iter().find(|d| d.kind == "nursery").unwrap();
    assert_eq!(by_id[&nursery.parent_id.unwrap()].name, "子育て支援課");
    assert_eq!(by_id[&summary.somu_department_id].name, "総務課");
    assert_eq!(by_id[&summary.window_department_id].name, "住民課");
    let posts: HashMap<i64, String> = store.posts(org.id).await.unwrap().into_iter().map(|p| (p.id, p.name)).collect();
    assert_eq!(posts.len(), summary.posts);

    // Employment kinds.
    let people = store.people(org.id, None, 10_000, 0).await.unwrap();
    let kinds: BTreeSet<&str> = people.iter().map(|p| p.employment.as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["contractor", "fiscal_year", "regular"]));
    assert!(people.iter().filter(|p| p.employment == "fiscal_year").all(|p| posts[&p.post_id.unwrap()] == "会計年度任用職員"));
    let person = |id: i64| people.iter().find(|p| p.id == id).unwrap();
    let post_of = |id: i64| person(id).post_id.map(|p| posts[&p].clone()).unwrap_or_default();

    // Roles.
    let roles = store.role_assignments(org.id).await.unwrap();
    assert_eq!(roles.len(), summary.role_assignments);
    let ciso: Vec<_> = roles.iter().filter(|r| r.role == "ciso").collect();
    assert_eq!(ciso.len(), 1);
    assert_eq!(post_of(ciso[0].person_id), "副町長");
    assert_eq!(Some(ciso[0].person_id), summary.ciso_person_id);
    let director: Vec<_> = roles.iter().filter(|r| r.role == "security_director").collect();
    assert_eq!(director.len(), 1);
    assert_eq!(post_of(director[0].person_id), "課長");
    assert_eq!(person(director[0].person_id).department_id, summary.somu_department_id);
    for d in &departments {
        let managers: Vec<_> = roles.iter().filter(|r| r.role == "security_manager" && r.department_id == Some(d.id)).collect();
        assert_eq!(managers.len(), 1, "{} has one 情報セキュリティ管理者", d.name);
        if d.kind == "section" {
            let holder = person(managers[0].person_id);
            assert_eq!(holder.department_id, d.id, "the 課長 of {} manages it", d.name);
            assert!(["課長", "事務局長"].contains(&post_of(holder.id).as_str()));
        }
    }
    let manager = person(summary.security_manager_person_id.unwrap());
    assert_eq!((manager.department_id, post_of(manager.id).as_str()), (summary.window_department_id, "課長"));
    assert!(roles.iter().filter(|r| r.role == "security_officer").count() >= 20);
    let csirt: Vec<_> = roles.iter().filter(|r| r.role == "csirt").collect();
    assert!(csirt.len() >= 2);
    assert!(csirt.iter().all(|r| person(r.person_id).department_id == summary.joho_department_id));
    assert!(roles.iter().any(|r| r.role == "system_manager"));
    assert!(roles.iter().any(|r| r.role == "system_operator"));
    let staff = summary.staff_person_id.unwrap();
    assert!(store.roles_of_person(staff).await.unwrap().is_empty(), "an ordinary staff member");
    assert_eq!(person(staff).employment, "regular");
    let logins: Vec<&str> = summary.logins.iter().map(|l| l.login.as_str()).collect();
    assert_eq!(logins, ["ciso", "somu", "jumin-kacho", "jumin-staff", "csirt"], "the logins the README and the browser tests use");
    assert_eq!(summary.logins[2].person_id, manager.id);
    assert!(summary.uncovered_steps.is_empty(), "{:?}", summary.uncovered_steps);

    // Systems: the 住民記録システム is in the My Number zone and needs MFA.
    let systems = store.systems(org.id, None, Some("住民記録")).await.unwrap();
    assert_eq!(systems.len(), 1);
    assert_eq!(systems[0].fields.zone.as_deref(), Some("mynumber"));
    assert!(systems[0].fields.requires_mfa && systems[0].manager_name.is_some() && systems[0].operator_name.is_some());

    // Assets: every level of every axis, every medium and kind, some undecided.
    let distinct = |col: &str| {
        let sql = format!("SELECT DISTINCT {col} FROM assets WHERE org_id = $1 AND {col} IS NOT NULL");
        async move {
            sqlx::query(&sql)
                .bind(org.id)
                .fetch_all(store.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<String, _>(0).unwrap())
                .collect::<BTreeSet<String>>()
        }
    };
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(distinct("confidentiality").await, set(&["1", "2", "3A", "3B", "3C"]));
    assert_eq!(distinct("integrity").await, set(&["1", "2"]));
    assert_eq!(distinct("availability").await, set(&["1", "2"]));
    assert_eq!(distinct("medium").await, set(&["electronic", "paper", "removable_media"]));
    assert_eq!(distinct("kind").await, set(&["document", "equipment", "information", "system_document"]));
    assert_eq!(distinct("zone").await, set(&["internet", "lgwan", "mynumber"]));
    assert!(summary.undecided_assets > 20 && summary.undecided_assets < 120, "about 3%: {}", summary.undecided_assets);
    let undecided = store.assets(org.id, &AssetFilter { undecided: true, limit: 500, ..Default::default() }).await.unwrap();
    assert_eq!(undecided.len(), summary.undecided_assets);
    let all = store.assets(org.id, &AssetFilter { limit: 500, ..Default::default() }).await.unwrap();
    assert!(all.iter().any(|a| a.fields.specific_personal_info));
    assert!(all.iter().all(|a| !a.fields.specific_personal_info || a.fields.personal_info));
    assert!(all.iter().any(|a| a.fields.personal_info && !a.fields.specific_personal_info));
    assert!(all.iter().any(|a| a.system_name.is_some()));

    // Text search finds many but not all.
    for (text, min) in [("課税", 10), ("議事録", 20), ("介護認定", 5), ("住民票", 2)] {
        let found = store.assets(org.id, &AssetFilter { text: Some(text.into()), limit: 500, ..Default::default() }).await.unwrap();
        assert!(found.len() >= min && found.len() < 500, "{text}: {}", found.len());
    }
    let mine = store
        .assets(org.id, &AssetFilter { department_id: Some(summary.window_department_id), limit: 500, ..Default::default() })
        .await
        .unwrap();
    assert!(mine.len() > 20);
    assert!(mine.iter().any(|a| a.fields.name.contains("住民基本台帳") || a.fields.name.contains("住民票")));
    db.finish().await;
}

#[tokio::test]
async fn the_same_seed_makes_the_same_town() {
    let scale = DemoScale { departments_target: 25, staff: 60, assets: 200, systems: 5 };
    let mut names = Vec::new();
    for _ in 0..2 {
        let db = TestDb::sqlite().await;
        let org = db.store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
        populate(&db.store, org.id, &profile("shime"), &scale, 7, false).await.unwrap();
        let people = db.store.people(org.id, None, 1_000, 0).await.unwrap();
        let assets = db.store.assets(org.id, &AssetFilter { limit: 500, ..Default::default() }).await.unwrap();
        names.push((
            people.into_iter().map(|p| p.name).collect::<Vec<_>>(),
            assets.into_iter().map(|a| (a.fields.name, a.classes.confidentiality)).collect::<Vec<_>>(),
        ));
        db.finish().await;
    }
    assert_eq!(names[0], names[1]);
}

/// 横手市's profile with roles of its own: a 課長-level 管理者 and a 部長-level 情報セキュリティ
/// 責任者 doing one job, an audit director, a role that does no job but names a post, and one
/// that names nothing the demo has. Role ids are not the standard ones.
pub fn yokote_with_own_roles() -> String {
    let text = mamori_policy::bundled::bundled("yokote").unwrap().replace("\"security_manager\"", "\"kacho_manager\"");
    let text = text.replacen("id = \"kacho_manager\"\n", "id = \"kacho_manager\"\nacts_as = \"security_manager\"\nposts = [\"課長\"]\n", 1);
    let extra = r#"
[[roles]]
id = "bucho_security"
name = "情報セキュリティ責任者"
acts_as = "security_manager"
scope = "department"
posts = ["部長"]
clause = "標準対策基準1(3)①"
provenance = "standard"

[[roles]]
id = "kansa_tokatsu"
name = "情報セキュリティ監査統括責任者"
acts_as = "audit_director"
scope = "organization"
clause = "標準対策基準1(3)①"
provenance = "standard"

[[roles]]
id = "kyoikucho"
name = "教育委員会の情報セキュリティ責任者"
scope = "organization"
posts = ["教育長"]
clause = "標準対策基準1(3)①"
provenance = "standard"

[[roles]]
id = "gaibu_iin"
name = "外部委員"
scope = "organization"
posts = ["学識経験者"]
clause = "標準対策基準1(3)①"
provenance = "standard"
"#;
    format!("{text}{extra}")
}

/// What every demo organization must be: every role assignment names one of the profile's
/// roles, every permission step of its workflow has a holder (or is the administrator's),
/// systems and assets are in the profile's zones and classes, and the logins go to the
/// holders of their jobs.
async fn check_demo(store: &mamori_store::Store, org_id: i64, profile: &mamori_policy::Profile, summary: &mamori_demo::DemoSummary) {
    use mamori_policy::workflow::{acts_as, Step, StepKind, Workflow, WorkflowRole};
    let roles = store.role_assignments(org_id).await.unwrap();
    assert_eq!(roles.len(), summary.role_assignments);
    for r in &roles {
        assert!(profile.role(&r.role).is_some(), "{} is not a role of {}", r.role, profile.profile.id);
    }
    let workflow = Workflow::of(profile);
    for &step in Step::ALL {
        if !matches!(step.kind(), StepKind::Permission { .. }) {
            continue;
        }
        let rule = workflow.rule(step);
        assert!(
            rule.administrators || roles.iter().any(|a| rule.roles.contains(&a.role)),
            "{}: nobody may take {step} (roles {:?})",
            profile.profile.id,
            rule.roles
        );
    }
    assert!(summary.uncovered_steps.is_empty());
    let zones: BTreeSet<String> = profile.zones.iter().map(|z| z.id.to_string()).collect();
    for s in store.systems(org_id, None, None).await.unwrap() {
        let z = s.fields.zone.clone().unwrap();
        assert!(zones.contains(&z), "{}: system {} in zone {z}", profile.profile.id, s.fields.name);
    }
    let assets = store.assets(org_id, &AssetFilter { limit: 500, ..Default::default() }).await.unwrap();
    for a in &assets {
        if let Some(z) = &a.fields.zone {
            assert!(zones.contains(z), "{}: asset {} in zone {z}", profile.profile.id, a.fields.name);
        }
        for (axis, level) in a.classes.pairs() {
            assert!(profile.axis(axis).unwrap().level(level).is_some(), "{axis} {level}");
        }
    }
    let job_of = |person: i64| -> BTreeSet<WorkflowRole> {
        roles.iter().filter(|r| r.person_id == person).filter_map(|r| profile.role(&r.role).and_then(acts_as)).collect()
    };
    let login = |name: &str| summary.logins.iter().find(|l| l.login == name).unwrap_or_else(|| panic!("no {name} login")).person_id;
    assert!(job_of(login("ciso")).contains(&WorkflowRole::Ciso));
    assert!(job_of(login("somu")).contains(&WorkflowRole::SecurityDirector));
    assert!(job_of(login("csirt")).contains(&WorkflowRole::Csirt));
    let kacho = summary.logins.iter().find(|l| l.login.ends_with("-kacho")).unwrap();
    assert!(job_of(kacho.person_id).contains(&WorkflowRole::SecurityManager));
    let staff = summary.logins.iter().find(|l| l.login.ends_with("-staff")).unwrap();
    assert!(job_of(staff.person_id).is_empty());
}

async fn demo_of(profile: &mamori_policy::Profile) -> (TestDb, i64, mamori_demo::DemoSummary) {
    let db = TestDb::sqlite().await;
    let org = db.store.create_organization(profile.profile.id.as_str(), &profile.organization.name, &Actor::system("test")).await.unwrap();
    let mut scale = DemoScale::for_profile(profile);
    scale.assets = scale.assets.min(300);
    let summary = populate(&db.store, org.id, profile, &scale, 11, false).await.unwrap();
    (db, org.id, summary)
}

#[tokio::test]
async fn a_city_has_its_bodies_as_departments_and_the_city_posts() {
    let profile = profile("yokote");
    let (db, org, summary) = demo_of(&profile).await;
    check_demo(&db.store, org, &profile, &summary).await;
    let names: HashSet<String> = db.store.departments(org).await.unwrap().into_iter().map(|d| d.name).collect();
    for name in ["市民課", "教育委員会", "消防本部", "上下水道局", "選挙管理委員会事務局", "監査委員事務局", "議会事務局"]
    {
        assert!(names.contains(name), "横手市 has {name}");
    }
    assert!(summary.people >= 500);
    let people = db.store.people(org, None, 10_000, 0).await.unwrap();
    let posts: HashMap<i64, String> = db.store.posts(org).await.unwrap().into_iter().map(|p| (p.id, p.name)).collect();
    let post_of = |id: i64| people.iter().find(|p| p.id == id).and_then(|p| p.post_id).map(|p| posts[&p].clone()).unwrap();
    assert_eq!(post_of(summary.ciso_person_id.unwrap()), "副市長");
    let logins: Vec<&str> = summary.logins.iter().map(|l| l.login.as_str()).collect();
    assert_eq!(logins, ["ciso", "somu", "shimin-kacho", "shimin-staff", "csirt"]);
    db.finish().await;
}

#[tokio::test]
async fn an_ichibu_jimu_kumiai_is_a_small_secretariat_in_its_own_zones() {
    for id in ["nakaniikawa", "nansatsu"] {
        let profile = profile(id);
        let (db, org, summary) = demo_of(&profile).await;
        check_demo(&db.store, org, &profile, &summary).await;
        let departments = db.store.departments(org).await.unwrap();
        assert!(departments.len() <= 12 && summary.people <= 60, "{id}: {} departments, {} staff", departments.len(), summary.people);
        assert!(departments.iter().any(|d| d.name == "監査委員事務局"), "{id} has 監査委員");
        let people = db.store.people(org, None, 10_000, 0).await.unwrap();
        let posts: HashMap<i64, String> = db.store.posts(org).await.unwrap().into_iter().map(|p| (p.id, p.name)).collect();
        let post_of = |id: i64| people.iter().find(|p| p.id == id).and_then(|p| p.post_id).map(|p| posts[&p].clone()).unwrap();
        assert_eq!(post_of(summary.ciso_person_id.unwrap()), "事務局長", "{id}: the 事務局長 is the CISO");
        let zones: BTreeSet<String> = db.store.systems(org, None, None).await.unwrap().into_iter().filter_map(|s| s.fields.zone).collect();
        let all: BTreeSet<String> = profile.zones.iter().map(|z| z.id.to_string()).collect();
        assert_eq!(zones, all, "{id}: the systems use every zone of the profile");
        db.finish().await;
    }
    // 南薩's My Number-like zone is its 介護認定事務系.
    let profile = profile("nansatsu");
    let (db, org, _) = demo_of(&profile).await;
    let kaigo = db.store.systems(org, None, Some("介護保険システム")).await.unwrap();
    assert_eq!(kaigo[0].fields.zone.as_deref(), Some("kaigo"));
    db.finish().await;
}

#[tokio::test]
async fn several_roles_doing_one_job_get_distinct_holders_and_unknown_roles_are_reported() {
    let text = yokote_with_own_roles();
    let profile = mamori_policy::parse_profile("own.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let (db, org, summary) = demo_of(&profile).await;
    check_demo(&db.store, org, &profile, &summary).await;
    let store = &db.store;
    let departments = store.departments(org).await.unwrap();
    let people = store.people(org, None, 10_000, 0).await.unwrap();
    let posts: HashMap<i64, String> = store.posts(org).await.unwrap().into_iter().map(|p| (p.id, p.name)).collect();
    let post_of = |id: i64| people.iter().find(|p| p.id == id).and_then(|p| p.post_id).map(|p| posts[&p].clone()).unwrap();
    let roles = store.role_assignments(org).await.unwrap();
    assert!(!roles.iter().any(|r| r.role == "security_manager"), "role ids come from the profile");
    for (role, post) in [("kacho_manager", "課長"), ("kansa_tokatsu", "事務局長"), ("kyoikucho", "教育長")] {
        let held: Vec<_> = roles.iter().filter(|r| r.role == role).collect();
        assert!(!held.is_empty(), "{role} is held");
        assert!(held.iter().any(|r| post_of(r.person_id) == post), "{role} goes to a {post}");
    }
    // The 部-level role is held by the heads of the 部 (and of the 課 with no 部 above them).
    let bucho: Vec<_> = roles.iter().filter(|r| r.role == "bucho_security").collect();
    let bureaus: Vec<_> = departments.iter().filter(|d| d.kind == "bureau").collect();
    for b in &bureaus {
        assert!(bucho.iter().any(|r| r.department_id == Some(b.id)), "{} has its 部-level role", b.name);
    }
    for r in &bucho {
        let d = departments.iter().find(|d| Some(d.id) == r.department_id).unwrap();
        assert!(d.parent_id.is_none(), "{}: the 部-level role is held at a 部 or a 課 with no 部", d.name);
        assert!(!["課長", "事務局長"].contains(&post_of(r.person_id).as_str()) || d.kind == "section");
    }
    for r in roles.iter().filter(|r| r.role == "kacho_manager") {
        assert!(["課長", "事務局長"].contains(&post_of(r.person_id).as_str()), "the 課-level role is held by the 課長");
    }
    // The audit director sits in the 監査委員事務局, outside every department it audits.
    let audit = roles.iter().find(|r| r.role == "kansa_tokatsu").unwrap();
    let home = people.iter().find(|p| p.id == audit.person_id).unwrap().department_id;
    assert_eq!(departments.iter().find(|d| d.id == home).unwrap().name, "監査委員事務局");
    let unassigned: Vec<&str> = summary.unassigned_roles.iter().map(|u| u.role.as_str()).collect();
    assert!(unassigned.contains(&"gaibu_iin"), "{unassigned:?}");
    assert!(!roles.iter().any(|r| r.role == "gaibu_iin"));
    db.finish().await;
}
