//! The decision matrix: the same profile agrees with itself; dropping or changing rules shows
//! as exactly the decisions that change.

use mamori_engine::matrix::{compare, samples, Answer, Circumstance};
use mamori_engine::Outcome;
use mamori_policy::bundled::{bundled, BUNDLED};
use mamori_policy::{parse_profile, Action, Profile};

fn profile(id: &str) -> Profile {
    parse_profile(id, bundled(id).unwrap()).unwrap()
}

#[test]
fn every_bundled_profile_agrees_with_itself() {
    for (id, _, _) in BUNDLED {
        let p = profile(id);
        let m = compare(&p, &p).unwrap();
        assert!(m.total > 10_000, "{id}: {} samples", m.total);
        assert!(m.changes.is_empty(), "{id}: {:?}", &m.changes[..m.changes.len().min(3)]);
        assert_eq!(m.agreement(), 1.0);
    }
}

#[test]
fn the_samples_cover_every_action_and_class_combination() {
    let p = profile("shime");
    let s = samples(&[&p]);
    for a in Action::ALL {
        assert!(s.iter().any(|x| x.action == a && x.circumstance == Circumstance::Base && x.classes.is_empty()), "{a:?}");
        assert!(s.iter().any(|x| x.action == a && x.classes.get("confidentiality").map(String::as_str) == Some("3A")));
    }
    // 6 × 3 × 3 class combinations (each axis also unclassified).
    let base = s.iter().filter(|x| x.action == Action::TakeOut && x.circumstance == Circumstance::Base).count();
    assert_eq!(base, 6 * 3 * 3);
}

#[test]
fn removing_the_decision_rules_changes_decisions_and_they_are_listed() {
    let p = profile("shime");
    let mut bare = p.clone();
    bare.decision_rules.clear();
    let m = compare(&p, &bare).unwrap();
    // Without rules everything is denied: every sample the full profile permitted changes.
    assert!(!m.changes.is_empty());
    assert!(m.changes.iter().all(|c| matches!(c.new, Answer::Decided { outcome: Outcome::Denied, .. })));
    let take_out = m
        .changes
        .iter()
        .find(|c| c.sample.action == Action::TakeOut && c.sample.classes.get("confidentiality").map(String::as_str) == Some("3B"))
        .expect("a 3B take-out changes");
    assert!(matches!(
        take_out.old,
        Answer::Decided { outcome: Outcome::NeedsApproval, .. }
            | Answer::Decided { outcome: Outcome::Permitted, .. }
            | Answer::Decided { outcome: Outcome::Denied, .. }
    ));
    assert!(m.agreement() < 0.99, "{}", m.agreement());
}

#[test]
fn changing_one_approver_changes_only_the_decisions_that_need_it() {
    let p = profile("shime");
    let mut changed = p.clone();
    let rule = changed.approval_rules.iter_mut().find(|a| a.id.as_str() == "take_out").expect("shime has take_out");
    rule.approver = toml::Spanned::new(0..0, mamori_policy::Symbol::parse("security_director").unwrap());
    let m = compare(&p, &changed).unwrap();
    assert!(!m.changes.is_empty());
    for c in &m.changes {
        assert!(matches!(c.sample.action, Action::TakeOut | Action::BringIn | Action::ProcessOutside), "{:?}", c.sample.action);
        match (&c.old, &c.new) {
            (Answer::Decided { approvers: a, .. }, Answer::Decided { approvers: b, .. }) => {
                assert!(a.contains(&"security_manager".to_owned()) && b.contains(&"security_director".to_owned()), "{a:?} {b:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}
