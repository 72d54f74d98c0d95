#![allow(dead_code)]

use mamori_engine::{Decision, Engine, Outcome, RequestInput};
use mamori_policy::bundled::BUNDLED;
use mamori_policy::parse_profile;

pub fn engine(id: &str) -> Engine {
    let (_, file, text) = BUNDLED.iter().find(|(i, _, _)| *i == id).unwrap_or_else(|| panic!("no bundled profile {id}"));
    let profile = parse_profile(file, text).unwrap_or_else(|e| panic!("{file} does not load:\n{e}"));
    Engine::compile(&profile, format!("{id}-test")).expect("compiles")
}

pub fn input(json: serde_json::Value) -> RequestInput {
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("bad test input {json}: {e}"))
}

/// One row of a decision table.
pub struct Case {
    pub name: &'static str,
    pub request: serde_json::Value,
    pub outcome: Outcome,
    /// The deciding rules, any order.
    pub deciding: &'static [&'static str],
    /// The clauses cited, any order.
    pub clauses: &'static [&'static str],
    /// Roles whose approval is still needed.
    pub approvers: &'static [&'static str],
    /// (rule, condition text) pairs expected among `missing`.
    pub missing: &'static [(&'static str, &'static str)],
}

pub fn check(engine: &Engine, cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let q = engine.query(&input(c.request.clone())).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let d: Decision = engine.decide(&q);
        let mut deciding = d.deciding_ids();
        deciding.sort_unstable();
        let mut want: Vec<&str> = c.deciding.to_vec();
        want.sort_unstable();
        let mut clauses: Vec<&str> = d.clauses();
        clauses.sort_unstable();
        let mut want_clauses: Vec<&str> = c.clauses.to_vec();
        want_clauses.sort_unstable();
        want_clauses.dedup();
        let mut approvers: Vec<&str> = d.approvals.iter().map(|a| a.role.as_str()).collect();
        approvers.sort_unstable();
        let mut want_approvers = c.approvers.to_vec();
        want_approvers.sort_unstable();
        let missing: Vec<(String, String)> = d.missing.iter().map(|m| (m.rule.id.to_string(), engine.describe_unmet(m.unmet))).collect();
        let missing_ok = c.missing.iter().all(|(r, text)| missing.iter().any(|(mr, mt)| mr == r && mt.contains(text)));
        if d.outcome != c.outcome || deciding != want || clauses != want_clauses || approvers != want_approvers || !missing_ok {
            failures.push(format!(
                "{}: got {:?} deciding {deciding:?} clauses {clauses:?} approvers {approvers:?} missing {missing:?}\n   want {:?} deciding {want:?} clauses {want_clauses:?} approvers {want_approvers:?} missing {:?}",
                c.name, d.outcome, c.outcome, c.missing
            ));
        }
        assert_eq!(d.profile_version, engine.version(), "{}: the decision records the profile version", c.name);
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
