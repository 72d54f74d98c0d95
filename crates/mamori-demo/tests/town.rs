//! The demo town: counts, roles by the 志免町 profile, and an asset register that covers
//! every class.

use std::collections::{BTreeSet, HashMap, HashSet};

use mamori_demo::{populate, DemoScale};
use mamori_store::assets::AssetFilter;
use mamori_store::testing::TestDb;
use mamori_store::Actor;
use sqlx::Row;

#[tokio::test]
async fn the_town_is_complete_and_consistent() {
    let db = TestDb::sqlite().await;
    let store = &db.store;
    let org = store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
    let scale = DemoScale::town();
    let summary = populate(store, org.id, &scale, 42, false).await.unwrap();

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
    assert_eq!(by_id[&summary.jumin_department_id].name, "住民課");
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
    assert_eq!(ciso[0].person_id, summary.ciso_person_id);
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
    let manager = person(summary.security_manager_person_id);
    assert_eq!((manager.department_id, post_of(manager.id).as_str()), (summary.jumin_department_id, "課長"));
    assert!(roles.iter().filter(|r| r.role == "security_officer").count() >= 20);
    let csirt: Vec<_> = roles.iter().filter(|r| r.role == "csirt").collect();
    assert!(csirt.len() >= 2);
    assert!(csirt.iter().all(|r| person(r.person_id).department_id == summary.joho_department_id));
    assert!(roles.iter().any(|r| r.role == "system_manager"));
    assert!(roles.iter().any(|r| r.role == "system_operator"));
    assert!(store.roles_of_person(summary.staff_person_id).await.unwrap().is_empty(), "an ordinary staff member");
    assert_eq!(person(summary.staff_person_id).employment, "regular");

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
        .assets(org.id, &AssetFilter { department_id: Some(summary.jumin_department_id), limit: 500, ..Default::default() })
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
        populate(&db.store, org.id, &scale, 7, false).await.unwrap();
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
