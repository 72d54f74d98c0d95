//! The bundled profiles parse, and say what their organizations' documents say.

use std::collections::{BTreeMap, BTreeSet};

use mamori_policy::bundled::{bundled, BUNDLED};
use mamori_policy::{parse_profile, Force, Profile, ProfileErrorKind, Provenance};

fn load(id: &str) -> Profile {
    let (_, file, text) = BUNDLED.iter().find(|(i, _, _)| *i == id).unwrap_or_else(|| panic!("no bundled profile {id}"));
    parse_profile(file, text).unwrap_or_else(|e| panic!("{file} does not load:\n{e}"))
}

fn strs<'a>(it: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    it.into_iter().collect()
}

/// Every (clause, provenance) a rule of the profile cites (the validator's own list is private).
fn citations(p: &Profile) -> Vec<(String, Provenance)> {
    let mut out: Vec<(String, Provenance)> = Vec::new();
    let mut push = |c: &mamori_policy::ClauseId, pr: Provenance| out.push((c.to_string(), pr));
    p.bodies.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.roles.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    for a in &p.axes {
        push(a.clause.get_ref(), a.provenance);
        for l in &a.levels {
            l.restrictions.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
        }
    }
    p.handling_rules.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.zones.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.zone_rules.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.incident_levels.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.external_reports.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.obligations.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    p.approval_rules.iter().for_each(|x| push(x.clause.get_ref(), x.provenance));
    out
}

#[test]
fn every_bundled_profile_parses_and_is_found_by_id() {
    assert_eq!(strs(BUNDLED.iter().map(|(id, _, _)| *id)), ["shime", "yokote", "nakaniikawa", "nansatsu"]);
    for (id, file, text) in BUNDLED {
        assert_eq!(*file, format!("{id}.toml"));
        let p = parse_profile(file, text).unwrap_or_else(|e| panic!("{file} does not load:\n{e}"));
        assert_eq!(p.profile.id.as_str(), *id);
        assert_eq!(bundled(id), Some(*text));
    }
    assert_eq!(bundled("nowhere"), None);
}

#[test]
fn every_document_citation_is_in_the_clause_catalogue() {
    for (id, _, _) in BUNDLED {
        let p = load(id);
        let catalogue: BTreeSet<&str> = p.clauses.iter().map(|c| c.id.get_ref().as_str()).collect();
        assert_eq!(catalogue.len(), p.clauses.len(), "{id}: duplicate clause ids");
        let prefixes: Vec<&str> = p.documents.iter().map(|d| d.prefix.as_str()).collect();
        for c in &p.clauses {
            assert!(prefixes.contains(&c.id.get_ref().document()), "{id}: {} has no document", c.id.get_ref());
            assert!(!c.text.trim().is_empty(), "{id}: {} has no text", c.id.get_ref());
            assert_eq!(c.provenance, Provenance::Document, "{id}: {}", c.id.get_ref());
        }
        for (clause, provenance) in citations(&p) {
            match provenance {
                Provenance::Document => assert!(catalogue.contains(clause.as_str()), "{id}: {clause} not in catalogue"),
                Provenance::Standard => assert!(clause.starts_with("標準対策基準"), "{id}: standard cites {clause}"),
            }
        }
    }
}

#[test]
fn nansatsu_has_exactly_its_two_zones() {
    let p = load("nansatsu");
    assert_eq!(strs(p.zones.iter().map(|z| z.name.as_str())), ["介護認定事務系", "インターネット接続系"]);
    assert!(p.zones.iter().all(|z| z.provenance == Provenance::Document));
    // 介護認定事務系 talks to no other zone (基本方針6(3)①).
    for rule in &p.zone_rules {
        assert_eq!(rule.flow, mamori_policy::ZoneFlow::Deny);
        assert_eq!(rule.clause.get_ref().as_str(), "基本方針6(3)①");
    }
    assert_eq!(strs(p.bodies.iter().map(|b| b.name.as_str())), ["管理者部局", "議会", "監査委員"]);
}

#[test]
fn shime_ciso_and_security_director() {
    let p = load("shime");
    let ciso = p.role("ciso").expect("ciso");
    assert_eq!(ciso.posts, ["副町長"]);
    assert_eq!(ciso.clause.get_ref().as_str(), "対策基準1(1)①");
    assert_eq!(ciso.deputy.as_ref().map(|d| d.get_ref().as_str()), Some("security_director"));
    assert!(ciso.requires_mfa);
    let director = p.role("security_director").expect("security_director");
    assert_eq!(director.name, "統括情報セキュリティ責任者");
    assert_eq!(director.posts, ["総務課長"]);
    assert_eq!(director.clause.get_ref().as_str(), "対策基準1(2)①");
    assert_eq!(director.reports_to.as_ref().map(|d| d.get_ref().as_str()), Some("ciso"));
    assert!(director.requires_mfa);
    assert!(p.roles.iter().all(|r| r.provenance == Provenance::Document));
    let manager = p.role("security_manager").expect("security_manager");
    assert_eq!(manager.scope, mamori_policy::RoleScope::Department);
    assert!(manager.posts.iter().any(|post| post == "課局長"));
}

#[test]
fn shime_incident_levels_route_as_its_table_says() {
    let p = load("shime");
    let routes: BTreeMap<u32, Vec<&str>> =
        p.incident_levels.iter().map(|l| (*l.level.get_ref(), l.report_to.iter().map(|r| r.get_ref().as_str()).collect())).collect();
    let expected: BTreeMap<u32, Vec<&str>> = [
        (0, vec!["security_manager"]),
        (1, vec!["security_manager"]),
        (2, vec!["security_director"]),
        (3, vec!["ciso", "security_director"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(routes, expected);
    for l in &p.incident_levels {
        assert_eq!(l.clause.get_ref().as_str(), "対策基準7.3(5)");
        assert_eq!(l.provenance, Provenance::Document);
    }
}

#[test]
fn shime_confidentiality_levels_and_restrictions() {
    let p = load("shime");
    let axis = p.axis("confidentiality").expect("confidentiality");
    let levels = axis.levels_by_rank();
    assert_eq!(strs(levels.iter().map(|l| l.id.get_ref().as_str())), ["3A", "3B", "3C", "2", "1"]);
    assert_eq!(levels.iter().map(|l| *l.rank.get_ref()).collect::<Vec<_>>(), [5, 4, 3, 2, 1]);
    let b3 = axis.level("3B").expect("3B");
    let locked = b3
        .restrictions
        .iter()
        .find(|r| r.text.contains("暗号化") && r.text.contains("鍵付きケース"))
        .expect("3B: encryption / locked case");
    assert_eq!(locked.clause.get_ref().as_str(), "対策基準2(1)");
    assert_eq!(locked.provenance, Provenance::Document);
    assert_eq!(strs(p.axis("integrity").unwrap().levels.iter().map(|l| l.id.get_ref().as_str())), ["2", "1"]);
    assert_eq!(strs(p.axis("availability").unwrap().levels.iter().map(|l| l.id.get_ref().as_str())), ["2", "1"]);

    // Transporting 機密性2 or above needs the 情報セキュリティ管理者's permission (2(2)⑦(イ)).
    let applied = p.restrictions_for(&[("confidentiality", "3B")]);
    assert!(applied.iter().any(|a| a.clause == "対策基準2(2)⑦(イ)"
        && matches!(&a.source, mamori_policy::RestrictionSource::Rule { approver: Some(r), .. } if r == "security_manager")));
    assert!(!p.restrictions_for(&[("confidentiality", "1")]).iter().any(|a| a.clause == "対策基準2(2)⑦(イ)"));
}

#[test]
fn shime_zones_and_external_reports() {
    let p = load("shime");
    assert_eq!(strs(p.zones.iter().map(|z| z.id.as_str())), ["mynumber", "lgwan", "internet"]);
    let mynumber = p.zone("mynumber").unwrap();
    assert!(mynumber.requires_mfa && mynumber.blocks_media_export);
    let sanitized = p
        .zone_rules
        .iter()
        .find(|r| r.from.get_ref().as_str() == "internet" && r.to.get_ref().as_str() == "lgwan")
        .expect("internet -> lgwan");
    assert_eq!(sanitized.flow, mamori_policy::ZoneFlow::Sanitized);
    assert_eq!(sanitized.methods.len(), 3);

    let ppc = p.external_reports.iter().find(|r| r.id.as_str() == "ppc_preliminary").expect("速報");
    assert_eq!(ppc.addressee, "個人情報保護委員会");
    assert_eq!(ppc.clause.get_ref().as_str(), "対策基準5.3(1)④");
    assert_eq!(ppc.when_all, [mamori_policy::IncidentFact::PersonalInformation]);
    let fin = p.external_reports.iter().find(|r| r.id.as_str() == "ppc_final").expect("確報");
    assert_eq!((fin.deadline_days, fin.deadline_days_if_unlawful_intent), (Some(30), Some(60)));
}

#[test]
fn shime_clause_catalogue_is_full_and_forces_follow_the_text() {
    let p = load("shime");
    assert!(p.clauses.len() > 600, "only {} clauses", p.clauses.len());
    let force = |id: &str| p.clause(id).unwrap_or_else(|| panic!("{id} missing")).force;
    assert_eq!(force("基本方針2(1)"), Force::Structural);
    assert_eq!(force("基本方針5"), Force::Mandatory);
    assert_eq!(force("対策基準1(1)①"), Force::Structural);
    assert_eq!(force("対策基準1(8)①"), Force::Prohibited);
    assert_eq!(force("対策基準2(2)⑦(イ)"), Force::Mandatory);
    assert_eq!(force("対策基準4.1(2)①"), Force::BestEffort);
    assert_eq!(force("対策基準6.1(19)②"), Force::Recommended);
    assert_eq!(force("対策基準7.4(1)"), Force::Permitted);
    assert_eq!(force("対策基準5.4(1)①"), Force::Structural);
    assert_eq!(force("対策基準5.4(1)①(ア)"), Force::Prohibited);
    assert_eq!(p.clause("対策基準5.3(3)①").unwrap().role.as_ref().map(|r| r.get_ref().as_str()), Some("csirt"));
    assert!(p.clause("対策基準7.3(5)").unwrap().text.contains("レベル3"));
    // Every chapter of the 対策基準 is there.
    for chapter in ["4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "5.4", "6.1", "6.2", "6.3", "6.4", "6.5", "6.6"]
        .into_iter()
        .chain(["7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "8.1", "8.2", "8.3", "8.4", "9.1", "9.2", "9.3"])
    {
        assert!(p.clause(&format!("対策基準{chapter}")).is_some(), "対策基準{chapter}");
    }
    let checked = p.clauses.iter().filter(|c| c.force.is_checked()).count();
    assert!(checked > 400, "only {checked} checked clauses");
}

#[test]
fn yokote_carries_its_specific_personal_information_measures() {
    let p = load("yokote");
    let clause = |id: &str| p.clause(id).unwrap_or_else(|| panic!("{id} missing"));
    for (id, words) in [
        ("基本方針5①", &["漏えい", "滅失", "毀損", "防止"][..]),
        ("基本方針5②", &["利用目的", "速やかな廃棄"][..]),
        ("基本方針5③", &["目的外利用の防止"][..]),
        ("基本方針8(2)", &["委託先", "再委託先", "監督"][..]),
    ] {
        let c = clause(id);
        assert_eq!(c.force, Force::Mandatory, "{id}");
        for w in words {
            assert!(c.text.contains(w), "{id} lacks {w}");
        }
        // Each measure is also a recurring duty that cites the 基本方針.
        assert!(
            p.obligations.iter().any(|o| o.clause.get_ref().as_str() == id && o.provenance == Provenance::Document),
            "no obligation cites {id}"
        );
    }
    let mynumber = p.zone("mynumber").unwrap();
    assert!(mynumber.requires_mfa && mynumber.blocks_media_export);
    assert_eq!(mynumber.clause.get_ref().as_str(), "基本方針7③(ア)");
}

#[test]
fn yokote_has_ten_bodies() {
    let p = load("yokote");
    assert_eq!(
        strs(p.bodies.iter().map(|b| b.name.as_str())),
        [
            "市長",
            "議会",
            "教育委員会",
            "選挙管理委員会",
            "監査委員",
            "公平委員会",
            "農業委員会",
            "固定資産評価審査委員会",
            "公営企業管理者",
            "消防長"
        ]
    );
    assert!(p.bodies.iter().all(|b| b.clause.get_ref().as_str() == "基本方針3(1)"));
}

#[test]
fn nakaniikawa_bodies_and_zones() {
    let p = load("nakaniikawa");
    assert_eq!(strs(p.bodies.iter().map(|b| b.name.as_str())), ["管理者", "監査委員", "議会"]);
    assert!(p.bodies.iter().all(|b| b.clause.get_ref().as_str() == "基本方針4(1)" && b.provenance == Provenance::Document));
    assert_eq!(strs(p.zones.iter().map(|z| z.name.as_str())), ["マイナンバー利用事務系", "LGWAN接続系", "インターネット接続系"]);
}

#[test]
fn standard_measures_fill_what_the_basic_policies_leave_out() {
    for id in ["yokote", "nakaniikawa", "nansatsu"] {
        let p = load(id);
        for role in &p.roles {
            assert_eq!(role.provenance, Provenance::Standard, "{id}: {}", role.id);
        }
        assert!(p.role("ciso").unwrap().requires_mfa && p.role("security_director").unwrap().requires_mfa);
        let levels: Vec<u32> = p.incident_levels.iter().map(|l| *l.level.get_ref()).collect();
        assert_eq!(levels, [0, 1, 2, 3], "{id}");
        assert!(p.incident_levels.iter().all(|l| l.clause.get_ref().as_str() == "標準対策基準7.3(5)"));
        assert!(p.external_reports.iter().any(|r| r.addressee == "個人情報保護委員会" && r.kind == "確報"));
    }
}

// ---- errors point at the line ----------------------------------------------------------

const MINIMAL_HEAD: &str = r#"[profile]
format = 1
id = "test"
edition = "1"
effective = "2025-04-01"
source = "test"

[organization]
name = "テスト町"
kind = "町"
prefecture = "福岡県"

[[documents]]
prefix = "対策基準"
title = "テスト町情報セキュリティ対策基準"

[[clauses]]
id = "対策基準1(1)①"
text = "副町長を、CISO とする。"
force = "structural"
provenance = "document"

# The jobs every profile needs someone for (see mamori_policy::workflow): the 統括, a
# department's 管理者 and CSIRT, here from the standard model.
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

[[roles]]
id = "ciso"
name = "最高情報セキュリティ責任者"
scope = "organization"
clause = "対策基準1(1)①"
provenance = "document"
"#;

fn line_of(text: &str, needle: &str) -> usize {
    let offset = text.find(needle).expect("needle");
    text[..offset].matches('\n').count() + 1
}

/// `file:line:column: …` with the given file and line, and some column.
fn assert_located(message: &str, file: &str, line: usize) {
    let prefix = format!("{file}:{line}:");
    let rest = message.strip_prefix(&prefix).unwrap_or_else(|| panic!("`{message}` does not start with `{prefix}`"));
    let (column, _) = rest.split_once(':').unwrap_or_else(|| panic!("no column in `{message}`"));
    assert!(column.parse::<usize>().is_ok_and(|c| c >= 1), "bad column in `{message}`");
}

#[test]
fn the_minimal_profile_parses() {
    parse_profile("minimal.toml", MINIMAL_HEAD).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_dangling_role_reference_names_its_line() {
    let text = format!("{MINIMAL_HEAD}deputy = \"security_direktor\"\n");
    let errors = parse_profile("dangling.toml", &text).expect_err("must not load");
    assert_eq!(errors.0.len(), 1, "{errors}");
    let e = &errors.0[0];
    assert!(matches!(&e.kind, ProfileErrorKind::UnknownReference { id, .. } if id == "security_direktor"), "{e}");
    assert_located(&e.to_string(), "dangling.toml", line_of(&text, "deputy = "));
    assert!(e.to_string().contains("security_direktor"));
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    let text = format!("{MINIMAL_HEAD}\n[[zones]]\nid = \"lgwan\nname = \"LGWAN接続系\"\n");
    let errors = parse_profile("broken.toml", &text).expect_err("must not load");
    let e = &errors.0[0];
    assert!(matches!(e.kind, ProfileErrorKind::Syntax(_)), "{e}");
    assert_located(&e.to_string(), "broken.toml", line_of(&text, "id = \"lgwan"));
}

#[test]
fn a_bundled_profile_with_an_uncatalogued_citation_is_refused_at_that_line() {
    let (_, file, text) = BUNDLED.iter().find(|(id, _, _)| *id == "shime").unwrap();
    let needle = "clause = \"対策基準7.3(5)\"";
    let offset = text.find(needle).expect("shime cites 7.3(5)");
    let broken = format!("{}clause = \"対策基準7.3(99)\"{}", &text[..offset], &text[offset + needle.len()..]);
    let errors = parse_profile(file, &broken).expect_err("must not load");
    assert_eq!(errors.0.len(), 1, "{errors}");
    let e = &errors.0[0];
    assert!(matches!(&e.kind, ProfileErrorKind::UncitedClause { clause } if clause == "対策基準7.3(99)"), "{e}");
    assert_located(&e.to_string(), file, text[..offset].matches('\n').count() + 1);
}

#[test]
fn the_example_in_the_format_reference_parses() {
    let doc = include_str!("../../../docs/profile-format.md");
    let start = doc.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("end of example");
    let p = parse_profile("profile-format.md", &doc[start..end]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.role("ciso").unwrap().posts, ["副町長"]);
}

/// Every place where a profile does not fit the format is reported, in Japanese, each at its
/// line: not only the first.
#[test]
fn every_format_error_is_reported_in_japanese() {
    let (_, file, text) = BUNDLED.iter().find(|(id, _, _)| *id == "shime").unwrap();
    let broken = text
        .replacen("name = \"志免町\"", "nam = \"志免町\"", 1)
        .replacen("scope = \"organization\"", "scope = \"orgs\"", 1)
        .replacen("rank = 5", "rank = \"five\"", 1)
        .replacen("flow = \"deny\"", "flow = \"nope\"", 1);
    let errors = parse_profile(file, &broken).expect_err("must not load");
    let lines: Vec<usize> = errors.0.iter().map(|e| e.line).collect();
    let expected: Vec<usize> =
        ["nam = \"志免町\"", "scope = \"orgs\"", "rank = \"five\"", "flow = \"nope\""].iter().map(|n| line_of(&broken, n)).collect();
    assert_eq!(lines, expected, "{errors}");
    let all = errors.to_string();
    for needle in ["項目 `nam` はこの表にありません", "値 `orgs` は使えません", "文字列 \"five\" ではなく 整数", "値 `nope` は使えません"]
    {
        assert!(all.contains(needle), "{needle}: {all}");
    }
    assert!(!all.contains("expected"), "no English left: {all}");
    // Not TOML at all: the one syntax error, in Japanese.
    let e = parse_profile(file, &text.replacen("[organization]", "[organization", 1)).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert!(e.to_string().contains("TOMLの書き方に誤りがあります"), "{e}");
}
