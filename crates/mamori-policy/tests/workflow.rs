//! The workflow layer: who may take each step under each profile, and the clause cited.

use mamori_policy::bundled::{bundled, BUNDLED};
use mamori_policy::workflow::{
    activate_draft, approve_audit_plan, correct_violation, suspend_for_violation, AuditStatus, DepartmentTree, DraftStatus, Held, Refusal,
    Step, StepKind, Subject, ViolationStatus, Workflow,
};
use mamori_policy::{parse_profile, Profile, ProfileErrorKind, Provenance};

fn profile(id: &str) -> Profile {
    parse_profile(id, bundled(id).unwrap()).unwrap()
}

fn held(role: &str, department: Option<i64>) -> Held {
    Held { role: role.to_owned(), department_id: department, is_deputy: false }
}

/// 1 総務部 > 2 総務課 > 3 情報政策係; 4 住民課.
fn tree() -> DepartmentTree {
    DepartmentTree::new([(1, None), (2, Some(1)), (3, Some(2)), (4, None)])
}

fn subject<'a>(person: i64, department: i64, holdings: &'a [Held]) -> Subject<'a> {
    Subject { administrator: false, user_id: person * 10, person_id: Some(person), department_id: Some(department), holdings }
}

#[test]
fn every_bundled_profile_resolves_every_step_and_cites_a_clause_it_has() {
    for (id, _, _) in BUNDLED {
        let p = profile(id);
        let (w, unresolved) = Workflow::resolve(&p);
        assert!(unresolved.is_empty(), "{id}: {unresolved:?}");
        for r in w.rules() {
            match r.provenance {
                Provenance::Document => assert!(p.clause(&r.clause).is_some(), "{id}: {} cites {}", r.step, r.clause),
                Provenance::Standard => assert!(mamori_policy::standard::contains(&r.clause), "{id}: {} cites {}", r.step, r.clause),
            }
            if let StepKind::Permission { .. } = r.step.kind() {
                assert!(!r.roles.is_empty() || r.administrators, "{id}: {}", r.step);
            }
        }
    }
    // 志免町's own text is the model; its rules cite its own clauses.
    let shime = Workflow::of(&profile("shime"));
    assert_eq!(shime.clause(Step::IncidentTriage), "対策基準5.3(3)①");
    assert_eq!(shime.rule(Step::IncidentTriage).provenance, Provenance::Document);
    // 横手市's 基本方針 is silent on triage: the standard model's clause, marked standard.
    let yokote = Workflow::of(&profile("yokote"));
    assert_eq!(yokote.clause(Step::IncidentTriage), "標準対策基準5.3(3)①");
    assert_eq!(yokote.rule(Step::IncidentTriage).provenance, Provenance::Standard);
    assert_eq!(yokote.rule(Step::IncidentTriage).roles, ["csirt"]);
}

#[test]
fn a_department_role_takes_per_department_steps_only_in_its_departments() {
    let w = Workflow::of(&profile("shime"));
    let t = tree();
    let manager = [held("security_manager", Some(2))];
    let s = subject(7, 2, &manager);
    assert!(w.allows(&s, &t, Step::ViolationCorrect, Some(2)));
    assert!(w.allows(&s, &t, Step::ViolationCorrect, Some(3)), "a 係 under the 課");
    let denied = w.check(&s, &t, Step::ViolationCorrect, Some(4)).unwrap_err();
    assert_eq!(denied.clause, "対策基準7.6(2)③");
    assert!(denied.reason.contains("所管する課局等に限ります"), "{}", denied.reason);
    // An organization-wide step is not theirs at all.
    let denied = w.check(&s, &t, Step::IncidentTriage, None).unwrap_err();
    assert_eq!(denied.clause, "対策基準5.3(3)①");
    assert!(denied.reason.contains("CSIRT"), "{}", denied.reason);
    // The 統括 corrects anywhere.
    let director = [held("security_director", None)];
    assert!(w.allows(&subject(8, 1, &director), &t, Step::ViolationCorrect, Some(4)));
    // Nobody's role, nobody's step; an administrator only where the rule says so.
    let nobody = subject(9, 4, &[]);
    assert!(!w.allows(&nobody, &t, Step::ViolationCorrect, None));
    let admin = Subject { administrator: true, user_id: 1, person_id: None, department_id: None, holdings: &[] };
    assert!(w.allows(&admin, &t, Step::StaffManage, None));
    assert!(!w.allows(&admin, &t, Step::IncidentTriage, None));
}

/// 志免町's profile with a 課長-level 情報セキュリティ責任者 that does the 管理者's job, and a
/// 副CISO that does no job mamori knows.
fn with_own_roles(extra_rules: &str) -> String {
    let text = bundled("shime").unwrap();
    let roles = r#"
[[roles]]
id = "section_security_officer"
name = "情報セキュリティ責任者"
acts_as = "security_manager"
scope = "department"
posts = ["課長"]
clause = "対策基準1(3)①"
provenance = "document"

[[roles]]
id = "vice_ciso"
name = "副CISO"
scope = "organization"
clause = "対策基準1(1)①"
provenance = "document"
"#;
    let at = text.find("\n[[axes]]").unwrap();
    format!("{}{roles}{extra_rules}{}", &text[..at], &text[at..])
}

#[test]
fn a_bodys_own_role_does_the_job_it_acts_as() {
    // 志免町's rules name their roles; a rule left to the standard resolves through acts_as.
    let text = with_own_roles("").replace("step = \"violation.correct\"", "step = \"improvement.view_all\"");
    let p = parse_profile("own.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let w = Workflow::of(&p);
    let rule = w.rule(Step::ViolationCorrect);
    assert_eq!(rule.provenance, Provenance::Standard);
    assert!(rule.roles.contains(&"section_security_officer".to_owned()), "{rule:?}");
    assert!(!rule.roles.contains(&"vice_ciso".to_owned()));
    let t = tree();
    let mine = [held("section_security_officer", Some(4))];
    assert!(w.allows(&subject(5, 4, &mine), &t, Step::ViolationCorrect, Some(4)));
    assert!(!w.allows(&subject(5, 4, &mine), &t, Step::ViolationCorrect, Some(2)));
}

#[test]
fn a_profile_rule_replaces_the_standard_one() {
    let rule = r#"
[[workflow_rules]]
step = "audit.approve"
roles = ["vice_ciso"]
text = "副CISOは、監査実施計画を承認する。"
clause = "対策基準1(1)①"
provenance = "document"
"#;
    let text = with_own_roles("").replace("step = \"audit.approve\"", "step = \"audit.view\"");
    let at = text.find("\n[[clauses]]").unwrap();
    let text = format!("{}{rule}{}", &text[..at], &text[at..]);
    let p = parse_profile("own.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let w = Workflow::of(&p);
    assert_eq!(w.rule(Step::AuditApprove).roles, ["vice_ciso"]);
    assert_eq!(w.clause(Step::AuditApprove), "対策基準1(1)①");
    let t = tree();
    let director = [held("security_director", None)];
    let r = approve_audit_plan(&w, &subject(8, 1, &director), &t, 3, AuditStatus::Planned, Some(2)).unwrap_err();
    assert!(matches!(r, Refusal::Denied(ref d) if d.reason.contains("副CISO")), "{r:?}");
    let vice = [held("vice_ciso", None)];
    approve_audit_plan(&w, &subject(6, 1, &vice), &t, 3, AuditStatus::Planned, Some(2)).unwrap();
}

#[test]
fn profiles_whose_roles_cannot_be_mapped_are_refused_with_the_reason() {
    let text = bundled("nansatsu").unwrap();
    // Without a CSIRT nobody could triage an incident.
    let start = text.find("[[roles]]\nid = \"csirt\"").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let no_csirt = format!("{}{}", &text[..start], &text[end..]).replace("\"csirt\"", "\"ciso\"");
    let e = parse_profile("no_csirt.toml", &no_csirt).unwrap_err();
    assert!(e.0.iter().any(|e| matches!(&e.kind, ProfileErrorKind::UnresolvedStep { step, .. } if *step == "incident.triage")), "{e}");
    assert!(e.to_string().contains("情報セキュリティインシデントであるかの評価"), "{e}");

    let unknown = with_own_roles("").replace("acts_as = \"security_manager\"", "acts_as = \"deputy_mayor\"");
    let e = parse_profile("unknown.toml", &unknown).unwrap_err();
    assert!(matches!(&e.0[0].kind, ProfileErrorKind::UnknownWorkflowRole { value, .. } if value == "deputy_mayor"), "{e}");
    assert!(e.to_string().contains("security_manager"), "the message lists the jobs: {e}");

    let scope = with_own_roles("")
        .replace("acts_as = \"security_manager\"\nscope = \"department\"", "acts_as = \"security_manager\"\nscope = \"organization\"");
    let e = parse_profile("scope.toml", &scope).unwrap_err();
    assert!(matches!(&e.0[0].kind, ProfileErrorKind::WorkflowRoleScope { acts_as, .. } if *acts_as == "security_manager"), "{e}");

    let step = with_own_roles("").replacen("step = \"incident.triage\"", "step = \"incident.triage_it\"", 1);
    let e = parse_profile("step.toml", &step).unwrap_err();
    assert!(matches!(&e.0[0].kind, ProfileErrorKind::UnknownStep { step } if step == "incident.triage_it"), "{e}");

    let bad_standard = text.replacen("clause = \"標準対策基準1(1)①\"", "clause = \"標準対策基準1(1)⑨\"", 1);
    let e = parse_profile("std.toml", &bad_standard).unwrap_err();
    assert!(matches!(&e.0[0].kind, ProfileErrorKind::UnknownStandardClause { clause } if clause == "標準対策基準1(1)⑨"), "{e}");
}

#[test]
fn state_and_separation_of_duties_refusals() {
    let w = Workflow::of(&profile("shime"));
    let t = tree();
    let director = [held("security_director", None)];
    let me = subject(8, 1, &director);
    // The author of an audit plan may not approve it.
    let r = approve_audit_plan(&w, &me, &t, 3, AuditStatus::Planned, Some(8)).unwrap_err();
    assert!(matches!(&r, Refusal::Denied(d) if d.clause == "対策基準1(8)①"), "{r:?}");
    // An approved plan is not approved again: a state, not a permission.
    let r = approve_audit_plan(&w, &me, &t, 3, AuditStatus::Approved, Some(2)).unwrap_err();
    assert!(matches!(&r, Refusal::WrongState { state, .. } if *state == "承認済み・実施中"), "{r:?}");
    // One cannot suspend oneself; a corrected violation is not suspended.
    assert!(matches!(suspend_for_violation(&w, &me, &t, 1, ViolationStatus::Open, 8), Err(Refusal::Denied(_))));
    assert!(matches!(suspend_for_violation(&w, &me, &t, 1, ViolationStatus::Corrected, 5), Err(Refusal::WrongState { .. })));
    suspend_for_violation(&w, &me, &t, 1, ViolationStatus::Open, 5).unwrap();
    assert!(matches!(correct_violation(&w, &me, &t, 1, ViolationStatus::Suspended, 4), Err(Refusal::WrongState { .. })));
    // A draft's author cannot activate it alone; another holder can.
    let r = activate_draft(&w, &me, &t, 2, DraftStatus::Accepted, &[80]).unwrap_err();
    assert!(matches!(&r, Refusal::Denied(d) if d.reason.contains("別の権限者")), "{r:?}");
    activate_draft(&w, &me, &t, 2, DraftStatus::Accepted, &[11]).unwrap();
    assert!(matches!(activate_draft(&w, &me, &t, 2, DraftStatus::Draft, &[11]), Err(Refusal::WrongState { .. })));
}
