//! Fuzz target: the body of `POST /api/v1/decisions` — JSON to `RequestInput`, names to a
//! `Query`, the decision, and its JSON answer — against 志免町's profile.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mamori_engine::{DecisionJson, Engine, Outcome, RequestInput};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let text = mamori_policy::bundled::bundled("shime").expect("bundled");
        let profile = mamori_policy::parse_profile("shime.toml", text).expect("loads");
        Engine::compile(&profile, "fuzz").expect("compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<RequestInput>(data) else { return };
    let e = engine();
    let Ok(q) = e.query(&input) else { return };
    let d = e.decide(&q);
    // Deterministic, and the answer is consistent with itself.
    let again = e.decide(&q);
    assert_eq!(d.outcome, again.outcome);
    assert_eq!(d.deciding_ids(), again.deciding_ids());
    match d.outcome {
        Outcome::NeedsApproval => assert!(!d.approvals.is_empty(), "needs approval names an approver"),
        Outcome::Permitted => assert!(!d.deciding.is_empty() && d.missing.is_empty(), "a permit cites its rules"),
        Outcome::Denied => assert!(d.approvals.is_empty()),
    }
    let json = serde_json::to_value(DecisionJson { engine: e, decision: &d }).expect("serializes");
    assert_eq!(json["outcome"], d.outcome.id());
});
