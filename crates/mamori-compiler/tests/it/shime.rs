//! 志免町 (004), the complete policy: the draft reproduces the bundled profile's roles and
//! posts, zones, classification levels and incident table, and duty extraction meets the bar.

use std::collections::BTreeSet;

use mamori_compiler::eval::evaluate;

use crate::support::{compile_seed, gold};

/// An axis id and its levels as (id, name, rank, number of restrictions).
type Levels = Vec<(String, Vec<(String, String, u32, usize)>)>;

/// (clause, condition contains, timing words, approver).
type Detail = (&'static str, Option<&'static str>, &'static [&'static str], Option<&'static str>);

const FILE: &str = "004_e5ba308fd86ab30f.txt";

fn bundled() -> mamori_policy::Profile {
    let text = mamori_policy::bundled::bundled("shime").expect("bundled shime");
    mamori_policy::parse_profile("shime.toml", text).expect("the bundled profile loads")
}

#[test]
fn roles_and_posts_match_the_bundled_profile() {
    let draft = compile_seed(FILE).draft_profile().unwrap_or_else(|e| panic!("{e}"));
    let want: BTreeSet<(String, Vec<String>)> = bundled().roles.iter().map(|r| (r.id.to_string(), r.posts.clone())).collect();
    let got: BTreeSet<(String, Vec<String>)> = draft.roles.iter().map(|r| (r.id.to_string(), r.posts.clone())).collect();
    assert_eq!(got, want);
    let ciso = draft.roles.iter().find(|r| r.id.as_str() == "ciso").expect("ciso");
    assert_eq!(
        ciso.deputy.as_ref().map(|d| d.get_ref().to_string()).as_deref(),
        Some("security_director"),
        "統括 acts for the CISO (1(2)①)"
    );
    let director = draft.roles.iter().find(|r| r.id.as_str() == "security_director").expect("security_director");
    assert_eq!(director.reports_to.as_ref().map(|d| d.get_ref().to_string()).as_deref(), Some("ciso"), "CISO 直属");
}

#[test]
fn zones_match_the_bundled_profile() {
    let draft = compile_seed(FILE).draft_profile().unwrap_or_else(|e| panic!("{e}"));
    let key =
        |z: &mamori_policy::Zone| (z.id.to_string(), z.name.clone(), z.clause.get_ref().to_string(), z.requires_mfa, z.blocks_media_export);
    let want: Vec<_> = bundled().zones.iter().map(key).collect();
    let got: Vec<_> = draft.zones.iter().map(key).collect();
    assert_eq!(got, want);
}

#[test]
fn classification_levels_match_the_bundled_profile() {
    let draft = compile_seed(FILE).draft_profile().unwrap_or_else(|e| panic!("{e}"));
    let levels = |p: &mamori_policy::Profile| -> Levels {
        p.axes
            .iter()
            .map(|a| {
                (
                    a.id.to_string(),
                    a.levels.iter().map(|l| (l.id.get_ref().clone(), l.name.clone(), *l.rank.get_ref(), l.restrictions.len())).collect(),
                )
            })
            .collect()
    };
    let got = levels(&draft);
    assert_eq!(got, levels(&bundled()));
    let ids: Vec<Vec<String>> = got.iter().map(|(_, ls)| ls.iter().map(|l| l.0.clone()).collect()).collect();
    assert_eq!(ids, vec![vec!["3A", "3B", "3C", "2", "1"], vec!["2", "1"], vec!["2", "1"]]);
}

#[test]
fn incident_levels_match_the_bundled_profile() {
    let draft = compile_seed(FILE).draft_profile().unwrap_or_else(|e| panic!("{e}"));
    let key = |l: &mamori_policy::IncidentLevel| {
        (
            *l.level.get_ref(),
            l.criteria.clone(),
            l.report_to.iter().map(|r| r.get_ref().to_string()).collect::<Vec<_>>(),
            l.clause.get_ref().to_string(),
        )
    };
    let got: Vec<_> = draft.incident_levels.iter().map(key).collect();
    assert_eq!(got, bundled().incident_levels.iter().map(key).collect::<Vec<_>>());
    assert_eq!(got.iter().map(|l| l.0).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
}

#[test]
fn bodies_match_the_bundled_profile() {
    let draft = compile_seed(FILE).draft_profile().unwrap_or_else(|e| panic!("{e}"));
    let key = |b: &mamori_policy::Body| (b.id.to_string(), b.name.clone());
    assert_eq!(draft.bodies.iter().map(key).collect::<Vec<_>>(), bundled().bodies.iter().map(key).collect::<Vec<_>>());
}

#[test]
fn duty_extraction_meets_the_bar_against_the_gold_file() {
    let c = compile_seed(FILE);
    let e = evaluate(&c, &gold("004_shime.toml"));
    println!("{e}");
    for category in ["clause_ids", "duties", "duty_roles"] {
        let s = e.score(category).expect("scored");
        assert!(
            s.precision() >= 0.95 && s.recall() >= 0.95,
            "{category}: precision {:.3} recall {:.3}\nmissed: {:?}\nextra: {:?}",
            s.precision(),
            s.recall(),
            s.missed,
            s.extra
        );
    }
    for category in ["roles", "role_posts", "zones", "bodies", "definitions", "incident"] {
        let s = e.score(category).expect("scored");
        assert_eq!((s.precision(), s.recall()), (1.0, 1.0), "{category}: missed {:?} extra {:?}", s.missed, s.extra);
    }
}

#[test]
fn clause_details() {
    let c = compile_seed(FILE);
    let cases: [Detail; 6] = [
        ("対策基準4.1(6)", Some("庁外にサーバ等の機器を設置する場合"), &["定期的"], Some("ciso")),
        ("対策基準5.1(1)③(ア)", Some("外部に持ち出す場合"), &[], Some("security_manager")),
        ("対策基準2(2)⑦(イ)", None, &[], Some("security_manager")),
        ("対策基準6.1(17)②", Some("業務上の必要がある場合"), &[], Some("security_director")),
        ("対策基準5.2(2)⑦", None, &["毎年度"], None),
        ("対策基準5.3(1)②", None, &["速やかに"], None),
    ];
    for (id, condition, timing, approver) in cases {
        let cl = c.clause(id).unwrap_or_else(|| panic!("{id}"));
        if let Some(want) = condition {
            assert!(cl.condition.as_deref().is_some_and(|got| got.contains(want)), "{id}: condition {:?}", cl.condition);
        }
        for t in timing {
            assert!(cl.timing.iter().any(|x| x == t), "{id}: timing {:?}", cl.timing);
        }
        assert_eq!(cl.approver.as_deref(), approver, "{id}");
        if approver.is_some() {
            assert!(cl.approval_required, "{id}");
        }
    }
}

#[test]
fn checklist_has_every_mandatory_and_prohibited_clause() {
    let c = compile_seed(FILE);
    let items = mamori_compiler::checklist(&c);
    let want =
        c.catalogue().filter(|cl| matches!(cl.force, mamori_compiler::Force::Mandatory | mamori_compiler::Force::Prohibited)).count();
    assert_eq!(items.len(), want);
    assert!(items.len() > 400);
    let item = items.iter().find(|i| i.clause == "対策基準2(2)②(ア)").expect("2(2)②(ア)");
    assert_eq!(item.force, mamori_compiler::Force::Prohibited);
    let item = items.iter().find(|i| i.clause == "対策基準4.1(3)①").expect("4.1(3)①");
    assert_eq!(item.role.as_deref(), Some("system_manager"));
    assert!(items.iter().all(|i| i.force.is_checked()));
}
