//! The draft profile of every input loads with `mamori_policy`'s own loader.

use crate::support::all_inputs;

#[test]
fn every_draft_loads() {
    for (name, _, c) in all_inputs() {
        let profile = c.draft_profile().unwrap_or_else(|e| panic!("{name}: {e}\n{}", c.draft_toml()));
        assert_eq!(profile.clauses.len(), c.catalogue().count(), "{name}");
        assert!(!profile.roles.is_empty(), "{name}");
        for clause in &profile.clauses {
            assert_eq!(clause.provenance, mamori_policy::Provenance::Document, "{name}");
        }
    }
}

#[test]
fn draft_of_shime_cites_its_approvals() {
    let (_, _, c) = all_inputs().into_iter().find(|(n, _, _)| n.starts_with("004")).expect("004");
    let profile = c.draft_profile().unwrap_or_else(|e| panic!("{e}"));
    let approvers: Vec<(String, String)> =
        profile.approval_rules.iter().map(|a| (a.clause.get_ref().to_string(), a.approver.get_ref().to_string())).collect();
    for want in [
        ("対策基準4.1(6)", "ciso"),
        ("対策基準6.1(10)①", "ciso"),
        ("対策基準5.1(1)③(ア)", "security_manager"),
        ("対策基準6.1(3)", "security_director"),
    ] {
        assert!(approvers.iter().any(|(c, a)| c == want.0 && a == want.1), "{want:?} in {approvers:?}");
    }
}
