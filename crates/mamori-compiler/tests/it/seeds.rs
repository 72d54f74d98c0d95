//! The three 基本方針-only documents (001–003): roles, zones and bodies recognized exactly,
//! and the rest of the gold file.

use mamori_compiler::eval::evaluate;

use crate::support::{compile_seed, gold, SEEDS};

/// (file, zones, bodies) as the documents write them.
const EXPECTED: [(&str, &[&str], &[&str]); 3] = [
    ("001_d279ced92ad6e4eb.txt", &["マイナンバー利用事務系", "LGWAN接続系", "インターネット接続系"], &["管理者", "監査委員", "議会"]),
    ("002_3ef65d8e86db7538.txt", &["介護認定事務系", "インターネット接続系"], &["管理者部局", "議会", "監査委員"]),
    (
        "003_398dfb7b61648d7e.txt",
        &["マイナンバー利用事務系（個人番号利用事務系）", "LGWAN接続系", "インターネット接続系"],
        &[
            "市長",
            "議会",
            "教育委員会",
            "選挙管理委員会",
            "監査委員",
            "公平委員会",
            "農業委員会",
            "固定資産評価審査委員会",
            "公営企業管理者",
            "消防長",
        ],
    ),
];

#[test]
fn zones_and_bodies_exactly() {
    for (file, zones, bodies) in EXPECTED {
        let c = compile_seed(file);
        assert_eq!(c.zones.iter().map(|z| z.name.as_str()).collect::<Vec<_>>(), zones, "{file}");
        assert_eq!(c.bodies.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(), bodies, "{file}");
    }
}

#[test]
fn nansatsu_has_exactly_two_zones() {
    let c = compile_seed("002_3ef65d8e86db7538.txt");
    let ids: Vec<&str> = c.zones.iter().map(|z| z.id.as_str()).collect();
    assert_eq!(ids, vec!["kaigo", "internet"]);
}

#[test]
fn no_roles_in_a_basic_policy_and_the_draft_says_so() {
    for (file, _, _) in EXPECTED {
        let c = compile_seed(file);
        assert!(c.roles.is_empty(), "{file}: {:?}", c.roles.iter().map(|r| &r.id).collect::<Vec<_>>());
        let draft = c.draft_profile().unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(draft.roles.iter().all(|r| r.provenance == mamori_policy::Provenance::Standard), "{file}");
        assert!(c.report_markdown().contains("本文に役割の定めはありません"), "{file}");
    }
}

#[test]
fn gold_files_match_exactly_for_structure_roles_zones_bodies() {
    for (file, gold_file) in &SEEDS[..3] {
        let e = evaluate(&compile_seed(file), &gold(gold_file));
        println!("{e}");
        for s in &e.scores {
            assert_eq!((s.precision(), s.recall()), (1.0, 1.0), "{file} {}: missed {:?} extra {:?}", s.category, s.missed, s.extra);
        }
    }
}

#[test]
fn yokote_repairs_chapter_numbers_and_reads_its_definition_table() {
    let c = compile_seed("003_398dfb7b61648d7e.txt");
    for id in ["基本方針11", "基本方針12", "基本方針12(1)", "基本方針12(2)", "基本方針13"] {
        assert!(c.clause(id).is_some(), "{id}");
    }
    assert!(c.warnings.iter().any(|w| w.message.contains("「1.1」")), "{:?}", c.warnings);
    assert_eq!(c.definitions.len(), 13);
    let availability = c.definitions.iter().find(|d| d.term == "可用性").expect("可用性");
    assert!(availability.meaning.ends_with("確保すること。"), "a table cell broken over two lines is joined: {}", availability.meaning);
    assert_eq!(c.metadata.effective.as_deref(), Some("2019-08-01"), "the last 附則");
    assert_eq!(c.metadata.organization.as_deref(), Some("横手市"));
}

#[test]
fn metadata_of_the_seeds() {
    let cases = [
        ("001_d279ced92ad6e4eb.txt", "中新川広域行政事務組合", "一部事務組合", Some("本組合"), "2026-04-01"),
        ("002_3ef65d8e86db7538.txt", "南薩介護保険事務組合", "一部事務組合", Some("本組合"), "2026-03-01"),
        ("003_398dfb7b61648d7e.txt", "横手市", "市", Some("市"), "2019-08-01"),
        ("004_e5ba308fd86ab30f.txt", "志免町", "町", Some("本町"), "2025-07-03"),
    ];
    for (file, org, kind, self_name, effective) in cases {
        let m = compile_seed(file).metadata;
        assert_eq!(m.organization.as_deref(), Some(org), "{file}");
        assert_eq!(m.kind.as_deref(), Some(kind), "{file}");
        assert_eq!(m.self_name.as_deref(), self_name, "{file}");
        assert_eq!(m.effective.as_deref(), Some(effective), "{file}");
    }
}
