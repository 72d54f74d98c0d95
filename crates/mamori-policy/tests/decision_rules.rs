//! A malformed decision rule is refused with an error that names the line and says how to fix it.

use mamori_policy::bundled::bundled;
use mamori_policy::{parse_profile, ProfileErrorKind, RuleProblem};

fn with_rule(rule: &str) -> (String, usize) {
    let base = bundled("shime").unwrap();
    let line = base.lines().count() + 2;
    (format!("{base}\n[[decision_rules]]\n{rule}"), line)
}

fn errors(rule: &str) -> Vec<(usize, ProfileErrorKind, String)> {
    let (text, _) = with_rule(rule);
    match parse_profile("shime.toml", &text) {
        Ok(_) => panic!("the rule should be refused:\n{rule}"),
        Err(e) => e.0.into_iter().map(|x| (x.line, x.kind.clone(), x.to_string())).collect(),
    }
}

#[test]
fn a_forbid_cannot_carry_an_approval() {
    let (_, first_line) = with_rule("");
    let errs = errors("id = \"x\"\naction = \"take_out\"\neffect = \"forbid\"\ntext = \"t\"\napproval = \"take_out\"\nclause = \"対策基準5.1(1)③(ア)\"\nprovenance = \"document\"\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].1, ProfileErrorKind::BadRule { rule: "x".into(), problem: RuleProblem::ForbidWithRequirements });
    assert!(errs[0].0 >= first_line, "points into the rule: {errs:?}");
    assert!(errs[0].2.contains("permit にしてください"), "{}", errs[0].2);
}

#[test]
fn references_and_ranges_are_checked() {
    let errs = errors(
        "id = \"y\"\naction = \"send\"\neffect = \"permit\"\ntext = \"t\"\nclasses = [{ axis = \"confidentiality\", min = \"3A\", max = \"2\" }, { axis = \"secrecy\", min = \"1\" }, { axis = \"integrity\" }]\nzones = [\"moon\"]\napproval = \"nothing\"\nduties = [{ kind = \"report\", text = \"報告\" }, { kind = \"record\", text = \"記録\" }]\nclause = \"対策基準2(2)⑥\"\nprovenance = \"document\"\n",
    );
    let kinds: Vec<&ProfileErrorKind> = errs.iter().map(|e| &e.1).collect();
    for want in [
        ProfileErrorKind::BadRule { rule: "y".into(), problem: RuleProblem::LevelOrder },
        ProfileErrorKind::UnknownReference { what: "分類", id: "secrecy".into() },
        ProfileErrorKind::BadRule { rule: "y".into(), problem: RuleProblem::EmptyClassCondition },
        ProfileErrorKind::UnknownReference { what: "領域", id: "moon".into() },
        ProfileErrorKind::UnknownReference { what: "承認規則", id: "nothing".into() },
        ProfileErrorKind::BadRule { rule: "y".into(), problem: RuleProblem::ReportWithoutAddressee },
        ProfileErrorKind::BadRule { rule: "y".into(), problem: RuleProblem::RecordWithoutName },
    ] {
        assert!(kinds.contains(&&want), "missing {want:?} in {errs:?}");
    }
}

#[test]
fn an_unknown_action_or_fact_is_a_syntax_error_at_its_line() {
    let (_, first_line) = with_rule("");
    for (rule, needle) in [
        ("id = \"z\"\naction = \"fly\"\neffect = \"permit\"\ntext = \"t\"\nclause = \"対策基準2(2)⑥\"\nprovenance = \"document\"\n", "fly"),
        ("id = \"z\"\naction = \"send\"\neffect = \"permit\"\ntext = \"t\"\nrequires = [\"luck\"]\nclause = \"対策基準2(2)⑥\"\nprovenance = \"document\"\n", "luck"),
    ] {
        let errs = errors(rule);
        assert!(matches!(errs[0].1, ProfileErrorKind::Syntax(_)), "{errs:?}");
        assert!(errs[0].2.contains(needle), "{}", errs[0].2);
        assert!(errs[0].0 > first_line, "the error points at the rule's line: {errs:?}");
    }
}
