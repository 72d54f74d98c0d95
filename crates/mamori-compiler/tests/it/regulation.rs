//! Regulation (例規) style: `第N条` with a caption above it, the first paragraph unnumbered,
//! then `2`, `3`; items `(1)`; sub-items `ア`; `附則`. Samples written for these tests.

use mamori_compiler::{Force, Style};

use crate::support::compile_sample;

type Row = (&'static str, Force, Option<&'static str>);

const REGULATION: &[Row] = &[
    ("規程第1条", Force::Structural, None),
    ("規程第2条", Force::Structural, None),
    ("規程第2条第1号", Force::Structural, None),
    ("規程第2条第2号", Force::Structural, None),
    ("規程第3条", Force::Structural, Some("ciso")),
    ("規程第3条第2項", Force::Structural, Some("ciso")),
    ("規程第3条第3項", Force::Mandatory, Some("ciso")),
    ("規程第4条", Force::Structural, Some("security_director")),
    ("規程第4条第2項", Force::Structural, Some("security_director")),
    ("規程第4条第2項第1号", Force::Mandatory, Some("security_director")),
    ("規程第4条第2項第2号", Force::Structural, Some("security_director")),
    ("規程第4条第2項第2号ア", Force::Mandatory, Some("security_director")),
    ("規程第4条第2項第2号イ", Force::Mandatory, Some("security_director")),
    ("規程第4条第3項", Force::Mandatory, Some("security_director")),
    ("規程第5条", Force::Prohibited, None),
    ("規程第5条第2項", Force::Mandatory, None),
    ("規程第5条第3項", Force::BestEffort, None),
    ("規程第6条", Force::Structural, Some("security_manager")),
    ("規程第6条第2項", Force::Mandatory, Some("security_manager")),
];

const FULL_WIDTH: &[Row] = &[
    ("規程第1条", Force::Structural, None),
    ("規程第2条", Force::Structural, Some("system_manager")),
    ("規程第2条第2項", Force::Structural, Some("system_manager")),
    ("規程第2条第2項第1号", Force::Mandatory, Some("system_manager")),
    ("規程第2条第2項第2号", Force::Mandatory, Some("system_manager")),
    ("規程第2条第3項", Force::Mandatory, Some("system_manager")),
    ("規程第3条", Force::Prohibited, None),
    ("規程第3条第2項", Force::Permitted, None),
];

fn check(file: &str, rows: &[Row]) -> mamori_compiler::Compilation {
    let c = compile_sample(file);
    for (id, force, role) in rows {
        let cl = c
            .clause(id)
            .unwrap_or_else(|| panic!("{file}: no clause {id}; have {:?}", c.clauses.iter().map(|c| &c.id).collect::<Vec<_>>()));
        assert_eq!((cl.force, cl.role.as_deref()), (*force, *role), "{file} {id}: {}", cl.text);
    }
    let mut want: Vec<&str> = rows.iter().map(|r| r.0).collect();
    want.sort_unstable();
    want.dedup();
    let mut got: Vec<&str> = c.catalogue().map(|c| c.id.as_str()).collect();
    got.sort_unstable();
    assert_eq!(got, want, "{file}: exactly these clauses");
    assert_eq!(c.documents.iter().map(|d| d.style).collect::<Vec<_>>(), vec![Style::Regulation], "{file}");
    c
}

#[test]
fn regulation_tree() {
    let c = check("regulation.txt", REGULATION);
    assert_eq!(
        c.clause("規程第3条").and_then(|cl| cl.title.as_deref()),
        Some("最高情報セキュリティ責任者"),
        "the caption above the article is its title"
    );
    assert_eq!(c.clause("規程第5条第2項").and_then(|cl| cl.approver.as_deref()), Some("security_manager"));
    assert!(
        c.clause("規程第5条第2項").is_some_and(|cl| cl.text.ends_with("許可を得なければならない。")),
        "a paragraph broken over two lines is joined"
    );
    assert!(c.clause("規程第3条第3項").is_some_and(|cl| cl.timing == vec!["毎年度".to_owned()]));
    let sup = c.clauses.iter().find(|cl| cl.kind == mamori_compiler::ClauseKind::Supplementary).expect("附則 in the tree");
    assert!(!sup.is_clause);
    assert_eq!(c.metadata.effective.as_deref(), Some("2024-04-01"));
    let posts = |id: &str| c.roles.iter().find(|r| r.id == id).map(|r| r.posts.clone()).unwrap_or_default();
    assert_eq!(posts("ciso"), vec!["副町長"]);
    assert_eq!(posts("security_director"), vec!["総務課長"]);
    assert_eq!(posts("security_manager"), vec!["課長"]);
    assert_eq!(c.roles.iter().find(|r| r.id == "ciso").and_then(|r| r.deputy.as_deref()), Some("security_director"));
    let terms: Vec<&str> = c.definitions.iter().map(|d| d.term.as_str()).collect();
    assert_eq!(terms, vec!["情報資産", "職員等"]);
    let draft = c.draft_profile().unwrap_or_else(|e| panic!("{e}"));
    // The text names no CSIRT: the draft still runs, with the standard role marked as such
    // and a note naming the step that needed it; the text's own roles stay the document's.
    let csirt = draft.roles.iter().find(|r| r.id.as_str() == "csirt").expect("a CSIRT for the incident steps");
    assert_eq!(csirt.provenance, mamori_policy::Provenance::Standard);
    assert!(csirt.notes.iter().any(|n| n.contains("本文に定めがないため標準対策基準の役割を仮に置いた")), "{:?}", csirt.notes);
    let ciso = draft.roles.iter().find(|r| r.id.as_str() == "ciso").expect("the text's CISO");
    assert_eq!(ciso.provenance, mamori_policy::Provenance::Document);
}

#[test]
fn full_width_regulation_with_comma_and_period() {
    let c = check("regulation_fullwidth.txt", FULL_WIDTH);
    assert_eq!(c.clause("規程第2条第3項").and_then(|cl| cl.approver.as_deref()), Some("ciso"));
    assert_eq!(c.clause("規程第3条第2項").and_then(|cl| cl.approver.as_deref()), Some("security_director"));
    assert_eq!(c.metadata.effective.as_deref(), Some("2025-04-01"));
    assert_eq!(
        c.roles.iter().find(|r| r.id == "system_manager").map(|r| r.posts.clone()),
        Some(vec!["情報システムを所管する課長".to_owned()])
    );
    c.draft_profile().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn guideline_with_markdown_and_artifacts() {
    let c = compile_sample("guideline_artifacts.md");
    let rows: [(&str, Force, Option<&str>); 12] = [
        ("基本方針1", Force::Structural, None),
        ("基本方針2", Force::Structural, None),
        ("基本方針2(1)", Force::Structural, None),
        ("基本方針2(1)①", Force::Structural, Some("security_manager")),
        ("基本方針2(1)②", Force::Mandatory, Some("security_manager")),
        ("基本方針2(1)③", Force::BestEffort, Some("security_manager")),
        ("基本方針2(2)", Force::Structural, None),
        ("基本方針2(2)①", Force::Structural, None),
        ("基本方針2(2)①(ア)", Force::Prohibited, None),
        ("基本方針2(2)①(イ)", Force::Mandatory, None),
        ("基本方針2(2)②", Force::Permitted, None),
        ("基本方針2(2)③", Force::Mandatory, None),
    ];
    for (id, force, role) in rows {
        let cl = c.clause(id).unwrap_or_else(|| panic!("no {id}: {:?}", c.clauses.iter().map(|c| &c.id).collect::<Vec<_>>()));
        assert_eq!((cl.force, cl.role.as_deref()), (force, role), "{id}: {}", cl.text);
    }
    assert_eq!(c.catalogue().count(), rows.len());
    let broken = c.clause("基本方針2(1)②").expect("②");
    assert!(
        broken.text.ends_with("報告しなければならない。") && broken.lines.len() == 2,
        "joined across the page break: {:?}",
        broken.lines
    );
    assert!(c.clause("基本方針2(1)③").is_some_and(|cl| cl.text.contains("・研修の記録の保存")), "a stray bullet stays with its clause");
    assert_eq!(c.clause("基本方針2(2)②").and_then(|cl| cl.approver.as_deref()), Some("security_manager"));
    assert_eq!(c.unrecognized.iter().filter(|u| u.reason == "目次").count(), 3);
}

/// Post sentences of other bodies' texts, each a pattern (not one document's wording).
#[test]
fn posts_from_every_assignment_form() {
    let text = "○テスト市情報セキュリティ規程\n（体制）\n第2条 本市に最高情報セキュリティ責任者（以下「CISO」という。）を置き、副市長をもって充て、その職務を統括させる。\n2 統括情報セキュリティ責任者（以下「統括責任者」という。）は、総務部長とする。\n3 情報セキュリティ責任者は各部の次長を、情報セキュリティ管理者は各課等の課長をもって充てる。\n4 統括責任者は、情報セキュリティ対策の実施状況を確認しなければならない。\n5 情報システム管理者は、情報政策課長を充て、情報システムを管理させる。\n";
    let c = mamori_compiler::compile("forms.txt", text);
    let posts = |id: &str| c.roles.iter().find(|r| r.id == id).map(|r| r.posts.clone()).unwrap_or_default();
    assert_eq!(posts("ciso"), vec!["副市長"], "「…をもって充て、その…」");
    assert_eq!(posts("security_director"), vec!["総務部長"], "「Xは、Yとする」");
    assert_eq!(posts("security_manager"), vec!["各課等の課長"], "two assignments in one sentence");
    assert_eq!(posts("system_manager"), vec!["情報政策課長"], "「Xは、Yを充て、…」");
    // The abbreviation reads as the role: the duty of 第2条第4項 falls on the 統括.
    let duty = c.clause("規程第2条第4項").expect("the duty");
    assert_eq!(duty.role.as_deref(), Some("security_director"));
}
