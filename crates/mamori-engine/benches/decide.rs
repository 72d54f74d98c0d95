//! How fast the engine decides, next to `cedar-policy` and `regorus` deciding the same rules.
//!
//! `CARGO_TARGET_DIR=/work/target-bench cargo bench -p mamori-engine --bench decide`
//!
//! Rule sets of 20, 100 and 500 decision rules are derived from 志免町's profile: its rules,
//! thinned out evenly (20) or followed by variants of them (new ids, other class ranges,
//! zones, locations, a few turned into forbids), so the rules per action stay in proportion.
//! Each set goes through the real validator (`parse_profile`) and compiles; the Cedar
//! policies and the Rego module are generated from the same engine. Every evaluator gets
//! its own input prepared beforehand and only the decision call is timed (the answer's drop
//! included). Latency: each decision timed alone over a fixed, seeded set of requests;
//! throughput: a tight loop over the same set for at least a second, on one thread.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityUid, PolicyId, PolicySet, Request, RestrictedExpression,
};
use mamori_engine::cedar::{self, PolicyKind};
use mamori_engine::{ContextInput, Engine, ObjectInput, Outcome, Query, RequestInput, SubjectInput};
use mamori_policy::bundled::BUNDLED;
use mamori_policy::{parse_profile, Action, DecisionRule, Device, Effect, Fact, Location, Profile};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const SEED: u64 = 0x0062_656e_6368;
const RULE_COUNTS: [usize; 3] = [20, 100, 500];
const QUERIES: usize = 20_000;
const CHECKED: usize = 1_000;
const THROUGHPUT_FOR: Duration = Duration::from_secs(1);

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let started = Instant::now();
    println!("mamori-engine decision benchmark (seed {SEED:#x}, {QUERIES} requests per rule set, single thread)");
    let (_, file, text) = BUNDLED.iter().find(|(id, _, _)| *id == "shime").expect("志免町 is bundled");
    let base = parse_profile(file, text).unwrap_or_else(|e| panic!("{file} does not load:\n{e}"));
    let overhead = timer_overhead();
    println!(
        "timer overhead (Instant::now() pair, nothing between): p50 {} p99 {} — included in every latency below, not subtracted\n",
        ns(overhead.0),
        ns(overhead.1)
    );

    let mut columns = Vec::new();
    for (i, n) in RULE_COUNTS.into_iter().enumerate() {
        let mut rng = StdRng::seed_from_u64(SEED.wrapping_add(i as u64));
        let profile = rule_set(&base, n, &mut rng);
        let engine = Engine::compile(&profile, format!("shime-bench-{n}")).expect("the rule set compiles");
        assert_eq!(engine.rules().len(), n);
        columns.push(measure(&profile, &engine, &mut rng));
        eprintln!("  ({n} rules measured, {:.0?} so far)", started.elapsed());
    }
    print_table(&columns);
    println!("\ntotal {:.1?}", started.elapsed());
}

// -- rule sets ---------------------------------------------------------------------------

/// 志免町's profile with exactly `n` decision rules, validated by the real validator.
fn rule_set(base: &Profile, n: usize, rng: &mut StdRng) -> Profile {
    let rules = &base.decision_rules;
    let engine = Engine::compile(base, "base").expect("志免町 compiles");
    let chosen: Vec<DecisionRule> = if n <= rules.len() {
        // Evenly spaced, so the actions keep their share.
        (0..n).map(|k| rules[k * rules.len() / n].clone()).collect()
    } else {
        let mut out = rules.clone();
        let mut j = 0;
        while out.len() < n {
            out.push(variant(base, &engine, &rules[j % rules.len()], j / rules.len() + 1, rng));
            j += 1;
        }
        out
    };
    let mut p = base.clone();
    p.decision_rules = chosen;
    let text = toml::to_string(&p).expect("the profile serializes");
    parse_profile("bench.toml", &text).unwrap_or_else(|e| panic!("the {n}-rule set is not a valid profile:\n{e}"))
}

/// A variant of `rule`: same action and clause, other conditions.
fn variant(profile: &Profile, engine: &Engine, rule: &DecisionRule, k: usize, rng: &mut StdRng) -> DecisionRule {
    let mut t = toml::Table::try_from(rule).expect("a rule serializes");
    t.insert("id".into(), format!("{}_v{k}", rule.id).into());
    let axes = engine.axis_sizes();
    let class = |axis: usize, lo: usize, hi: usize| {
        let mut c = toml::Table::new();
        c.insert("axis".into(), axes[axis].0.to_string().into());
        if lo > 0 {
            c.insert("min".into(), engine.level_id(axis, lo as u8).to_owned().into());
        }
        if hi + 1 < axes[axis].1 || lo == 0 {
            c.insert("max".into(), engine.level_id(axis, hi as u8).to_owned().into());
        }
        toml::Value::Table(c)
    };
    let forbid = rule.effect == Effect::Forbid || rng.gen_bool(0.08);
    if forbid {
        // A forbid is narrow: the top levels of one axis, and a place or a device.
        t.insert("effect".into(), "forbid".into());
        for k in ["approval", "requires", "duties"] {
            t.remove(k);
        }
        let axis = rng.gen_range(0..axes.len());
        let top = axes[axis].1 - 1;
        t.insert("classes".into(), toml::Value::Array(vec![class(axis, top.max(1), top)]));
        if rng.gen_bool(0.5) {
            t.insert("device".into(), "private".into());
        } else {
            t.insert("location".into(), "outside".into());
        }
    } else {
        if rng.gen_bool(0.7) {
            let axis = rng.gen_range(0..axes.len());
            let size = axes[axis].1;
            let lo = rng.gen_range(0..size);
            let hi = rng.gen_range(lo..size);
            let (lo, hi) = if lo == 0 && hi + 1 == size { (1.min(size - 1), hi) } else { (lo, hi) };
            t.insert("classes".into(), toml::Value::Array(vec![class(axis, lo, hi)]));
        }
        if !profile.zones.is_empty() && rng.gen_bool(0.3) {
            let mut zones: Vec<toml::Value> = profile.zones.iter().filter(|_| rng.gen_bool(0.5)).map(|z| z.id.to_string().into()).collect();
            if zones.is_empty() {
                zones.push(profile.zones[0].id.to_string().into());
            }
            t.insert("zones".into(), toml::Value::Array(zones));
        }
        if rng.gen_bool(0.2) {
            t.insert("location".into(), ["office", "outside"][rng.gen_range(0..2)].into());
        }
    }
    let text = toml::to_string(&t).expect("a table serializes");
    toml::from_str(&text).unwrap_or_else(|e| panic!("variant of {}: {e}\n{text}", rule.id))
}

// -- requests ----------------------------------------------------------------------------

/// A random request by name, as it would arrive at the API.
fn random_input(rng: &mut StdRng, profile: &Profile, engine: &Engine) -> RequestInput {
    let roles: Vec<String> = profile.roles.iter().map(|r| r.id.to_string()).collect();
    let some_roles = |rng: &mut StdRng, p: f64| roles.iter().filter(|_| rng.gen_bool(p)).cloned().collect::<Vec<_>>();
    let mut classes = BTreeMap::new();
    for (i, (axis, size)) in engine.axis_sizes().into_iter().enumerate() {
        // Now and then an axis is left unclassified (taken at its highest level).
        if rng.gen_bool(0.95) {
            classes.insert(axis.to_string(), engine.level_id(i, rng.gen_range(0..size) as u8).to_owned());
        }
    }
    let zone = if profile.zones.is_empty() || rng.gen_bool(0.25) { None } else { Some(profile.zones.choose(rng).unwrap().id.to_string()) };
    let facts = if rng.gen_bool(0.5) { Fact::ALL.to_vec() } else { Fact::ALL.into_iter().filter(|_| rng.gen_bool(0.5)).collect() };
    let approvals = if rng.gen_bool(0.5) { roles.clone() } else { some_roles(rng, 0.3) };
    RequestInput {
        action: Action::ALL.choose(rng).unwrap().id().to_owned(),
        subject: SubjectInput { user: Some("u".into()), roles: some_roles(rng, 0.15), department: None },
        object: ObjectInput { kind: Some("asset".into()), id: None, classes, zone, department: None },
        context: ContextInput {
            location: [None, Some(Location::Office), Some(Location::Outside)][rng.gen_range(0..3)],
            device: [None, Some(Device::Issued), Some(Device::Private)][rng.gen_range(0..3)],
            approvals,
            facts,
            emergency: rng.gen_bool(0.2),
            date: None,
        },
    }
}

struct Names {
    roles: Vec<String>,
    zones: Vec<String>,
    axes: Vec<String>,
}

impl Names {
    fn roles(&self, set: mamori_engine::RoleSet) -> Vec<&str> {
        (0..self.roles.len()).filter(|i| set.contains(*i as u8)).map(|i| self.roles[i].as_str()).collect()
    }
    fn facts(q: &Query) -> Vec<&'static str> {
        Fact::ALL.into_iter().filter(|f| q.facts & (1 << (*f as u8)) != 0).map(|f| f.id()).collect()
    }
    fn zone(&self, q: &Query) -> String {
        q.zone.map_or(String::new(), |z| self.zones[z as usize].clone())
    }
}

fn cedar_input(engine: &Engine, names: &Names, q: &Query) -> (Request, Entities) {
    let principal = EntityUid::from_str(r#"User::"u""#).unwrap();
    let resource = EntityUid::from_str(r#"Object::"o""#).unwrap();
    let action = EntityUid::from_str(&format!("Action::\"{}\"", q.action.id())).unwrap();
    let strings = |v: Vec<&str>| RestrictedExpression::new_set(v.into_iter().map(|s| RestrictedExpression::new_string(s.to_owned())));
    let user =
        Entity::new(principal.clone(), HashMap::from([("roles".to_owned(), strings(names.roles(q.roles)))]), HashSet::new()).unwrap();
    let mut attrs: HashMap<String, RestrictedExpression> = names
        .axes
        .iter()
        .enumerate()
        .map(|(i, a)| (a.clone(), RestrictedExpression::new_long(i64::from(engine.level_rank(i, q.levels[i])))))
        .collect();
    attrs.insert("zone".to_owned(), RestrictedExpression::new_string(names.zone(q)));
    let object = Entity::new(resource.clone(), attrs, HashSet::new()).unwrap();
    let context = Context::from_pairs([
        ("location".to_owned(), RestrictedExpression::new_string(cedar::location_id(q.location).to_owned())),
        ("device".to_owned(), RestrictedExpression::new_string(cedar::device_id(q.device).to_owned())),
        ("approvals".to_owned(), strings(names.roles(q.approvals))),
        ("facts".to_owned(), strings(Names::facts(q))),
        ("emergency".to_owned(), RestrictedExpression::new_bool(q.emergency)),
    ])
    .unwrap();
    (Request::new(principal, action, resource, context, None).unwrap(), Entities::from_entities([user, object], None).unwrap())
}

fn rego_input(engine: &Engine, names: &Names, q: &Query) -> regorus::Value {
    let mut resource = serde_json::Map::new();
    for (i, a) in names.axes.iter().enumerate() {
        resource.insert(a.clone(), engine.level_rank(i, q.levels[i]).into());
    }
    resource.insert("zone".into(), names.zone(q).into());
    let json = serde_json::json!({
        "action": q.action.id(),
        "roles": names.roles(q.roles),
        "resource": resource,
        "context": {
            "location": cedar::location_id(q.location),
            "device": cedar::device_id(q.device),
            "approvals": names.roles(q.approvals),
            "facts": Names::facts(q),
            "emergency": q.emergency,
        },
    });
    regorus::Value::from_json_str(&json.to_string()).unwrap()
}

/// Cedar's answer in the engine's terms (as in `tests/cedar_differential.rs`).
fn cedar_outcome(response: &cedar_policy::Response) -> (Outcome, Vec<String>) {
    assert!(response.diagnostics().errors().next().is_none(), "Cedar reported errors");
    let reasons: Vec<(&str, PolicyKind)> = response.diagnostics().reason().map(|id| cedar::parse_policy_id(id.as_ref())).collect();
    let ids = |k: Option<PolicyKind>| {
        let mut v: Vec<String> = reasons.iter().filter(|r| k.is_none_or(|k| r.1 == k)).map(|r| r.0.to_owned()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    match response.decision() {
        CedarDecision::Allow => (Outcome::Permitted, ids(None)),
        CedarDecision::Deny => {
            for (kind, outcome) in [
                (PolicyKind::Rule, Outcome::Denied),
                (PolicyKind::Requires, Outcome::Denied),
                (PolicyKind::Approval, Outcome::NeedsApproval),
            ] {
                let v = ids(Some(kind));
                if !v.is_empty() {
                    return (outcome, v);
                }
            }
            (Outcome::Denied, Vec::new())
        }
    }
}

fn policy_set(engine: &Engine) -> PolicySet {
    let text = cedar::policies(engine);
    let parsed = PolicySet::from_str(&text).unwrap_or_else(|e| panic!("the generated Cedar does not parse: {e:?}"));
    let mut set = PolicySet::new();
    for p in parsed.policies() {
        set.add(p.new_id(PolicyId::new(p.annotation("id").expect("@id")))).unwrap();
    }
    set
}

// -- measuring ---------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct Figures {
    p50: u64,
    p99: u64,
    per_second: f64,
}

struct Column {
    rules: usize,
    shape: String,
    cedar_policies: usize,
    rego_bytes: usize,
    outcomes: String,
    engine: Figures,
    end_to_end: Figures,
    cedar: Figures,
    regorus: Figures,
}

fn timer_overhead() -> (u64, u64) {
    let mut samples: Vec<u64> = (0..QUERIES)
        .map(|_| {
            let t = Instant::now();
            let u = Instant::now();
            (u - t).as_nanos() as u64
        })
        .collect();
    percentiles(&mut samples)
}

fn percentiles(samples: &mut [u64]) -> (u64, u64) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    (at(0.50), at(0.99))
}

/// Times `f` on each item alone (after a warm-up pass), then loops over all of them for at
/// least [`THROUGHPUT_FOR`].
fn bench<T, R>(items: &[T], mut f: impl FnMut(&T) -> R) -> Figures {
    for x in items.iter().take(2_000) {
        black_box(f(black_box(x)));
    }
    let mut samples: Vec<u64> = items
        .iter()
        .map(|x| {
            let t = Instant::now();
            let r = f(black_box(x));
            black_box(&r);
            drop(r);
            t.elapsed().as_nanos() as u64
        })
        .collect();
    let (p50, p99) = percentiles(&mut samples);
    let start = Instant::now();
    let mut done = 0u64;
    for x in items.iter().cycle() {
        black_box(f(black_box(x)));
        done += 1;
        if done.is_multiple_of(256) && start.elapsed() >= THROUGHPUT_FOR {
            break;
        }
    }
    Figures { p50, p99, per_second: done as f64 / start.elapsed().as_secs_f64() }
}

fn measure(profile: &Profile, engine: &Engine, rng: &mut StdRng) -> Column {
    let names = Names {
        roles: profile.roles.iter().map(|r| r.id.to_string()).collect(),
        zones: (0..engine.zone_count() as u8).map(|i| engine.zone_id(i).to_string()).collect(),
        axes: engine.axis_sizes().into_iter().map(|(a, _)| a.to_string()).collect(),
    };
    let inputs: Vec<RequestInput> = (0..QUERIES).map(|_| random_input(rng, profile, engine)).collect();
    let queries: Vec<Query> = inputs.iter().map(|i| engine.query(i).expect("a valid request")).collect();
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    for q in &queries {
        *mix.entry(engine.decide(q).outcome.id()).or_default() += 1;
    }
    let outcomes = mix.iter().map(|(o, c)| format!("{o} {:.0}%", 100.0 * *c as f64 / QUERIES as f64)).collect::<Vec<_>>().join(", ");

    // Cedar: same policies, checked on the first requests before timing.
    let set = policy_set(engine);
    let cedar_inputs: Vec<(Request, Entities)> = queries.iter().map(|q| cedar_input(engine, &names, q)).collect();
    let authorizer = Authorizer::new();
    for (q, (req, ents)) in queries.iter().zip(&cedar_inputs).take(CHECKED) {
        let d = engine.decide(q);
        let want = (d.outcome, d.deciding_ids().into_iter().map(str::to_owned).collect::<Vec<_>>());
        assert_eq!(cedar_outcome(&authorizer.is_authorized(req, &set, ents)), want, "Cedar and the engine disagree on {q:?}");
    }

    // regorus: the generated module, checked on the first requests before timing.
    let module = mamori_engine::rego::module(engine);
    let mut rego = regorus::Engine::new();
    rego.add_policy("mamori.rego".into(), module.clone()).unwrap_or_else(|e| panic!("the generated Rego does not load: {e}"));
    let rego_inputs: Vec<regorus::Value> = queries.iter().map(|q| rego_input(engine, &names, q)).collect();
    let rule = "data.mamori.outcome".to_string();
    for (q, input) in queries.iter().zip(&rego_inputs).take(CHECKED) {
        rego.set_input(input.clone());
        let got = rego.eval_rule(rule.clone()).unwrap_or_else(|e| panic!("regorus: {e}"));
        assert_eq!(
            got.as_string().map(|s| s.to_string()).ok().as_deref(),
            Some(engine.decide(q).outcome.id()),
            "regorus and the engine disagree on {q:?}"
        );
    }

    let e = bench(&queries, |q| engine.decide(q));
    let e2e = bench(&inputs, |i| engine.decide(&engine.query(i).unwrap()).outcome);
    let c = bench(&cedar_inputs, |(req, ents)| authorizer.is_authorized(req, &set, ents));
    // regorus keeps its input in the engine: set it (an Rc clone) untimed, then time the
    // evaluation. The rule path is a `String` by value, cloned untimed as well.
    for input in rego_inputs.iter().take(2_000) {
        rego.set_input(input.clone());
        black_box(rego.eval_rule(rule.clone()).ok());
    }
    let mut r_samples: Vec<u64> = rego_inputs
        .iter()
        .map(|input| {
            rego.set_input(input.clone());
            let path = rule.clone();
            let t = Instant::now();
            let v = rego.eval_rule(path);
            black_box(&v);
            drop(v);
            t.elapsed().as_nanos() as u64
        })
        .collect();
    let (p50, p99) = percentiles(&mut r_samples);
    let start = Instant::now();
    let mut done = 0u64;
    for input in rego_inputs.iter().cycle() {
        rego.set_input(black_box(input).clone());
        black_box(rego.eval_rule(rule.clone()).ok());
        done += 1;
        if done.is_multiple_of(16) && start.elapsed() >= THROUGHPUT_FOR {
            break;
        }
    }
    let r = Figures { p50, p99, per_second: done as f64 / start.elapsed().as_secs_f64() };

    Column {
        rules: engine.rules().len(),
        shape: shape(engine),
        cedar_policies: set.policies().count(),
        rego_bytes: module.len(),
        outcomes,
        engine: e,
        end_to_end: e2e,
        cedar: c,
        regorus: r,
    }
}

/// How the rules spread over the actions and the table's cells.
fn shape(engine: &Engine) -> String {
    let mut per_action: Vec<usize> = Action::ALL.iter().map(|a| engine.rules().iter().filter(|r| r.action == *a).count()).collect();
    per_action.sort_unstable();
    let forbids = engine.rules().iter().filter(|r| r.effect == Effect::Forbid).count();
    format!(
        "{forbids} forbids, rules per action min {} / median {} / max {}",
        per_action[0],
        per_action[per_action.len() / 2],
        per_action[per_action.len() - 1]
    )
}

// -- the table ---------------------------------------------------------------------------

fn ns(n: u64) -> String {
    if n < 10_000 {
        format!("{n} ns")
    } else if n < 10_000_000 {
        format!("{:.1} µs", n as f64 / 1e3)
    } else {
        format!("{:.1} ms", n as f64 / 1e6)
    }
}

fn rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M/s", r / 1e6)
    } else {
        format!("{:.1} k/s", r / 1e3)
    }
}

fn print_table(columns: &[Column]) {
    let w = 16;
    let head: String = columns.iter().map(|c| format!("{:>w$}", format!("{} rules", c.rules))).collect();
    println!("{:<38}{head}", "");
    let row = |label: &str, f: &dyn Fn(&Column) -> String| {
        let cells: String = columns.iter().map(|c| format!("{:>w$}", f(c))).collect();
        println!("{label:<38}{cells}");
    };
    row("cedar policies / rego module bytes", &|c| format!("{} / {}", c.cedar_policies, c.rego_bytes));
    for c in columns {
        println!("  {:>3} rules: {}; requests: {}", c.rules, c.shape, c.outcomes);
    }
    type Pick = fn(&Column) -> Figures;
    let evaluators: [(&str, Pick); 4] = [
        ("mamori engine (Query)", |c| c.engine),
        ("mamori end-to-end (RequestInput)", |c| c.end_to_end),
        ("cedar-policy", |c| c.cedar),
        ("regorus", |c| c.regorus),
    ];
    for (name, pick) in evaluators {
        println!("{name}");
        row("  p50 latency", &|c| ns(pick(c).p50));
        row("  p99 latency", &|c| ns(pick(c).p99));
        row("  throughput (decisions/s)", &|c| rate(pick(c).per_second));
    }
    row("engine / cedar throughput", &|c| format!("{:.1}×", c.engine.per_second / c.cedar.per_second));
    row("engine / regorus throughput", &|c| format!("{:.1}×", c.engine.per_second / c.regorus.per_second));

    let last = columns.iter().find(|c| c.rules == 500).expect("a 500-rule column");
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    println!("\ntargets");
    println!("  engine p50 ≤ 1 µs at 500 rules:              {:>10}  {}", ns(last.engine.p50), verdict(last.engine.p50 <= 1_000));
    println!("  engine p99 ≤ 5 µs at 500 rules:              {:>10}  {}", ns(last.engine.p99), verdict(last.engine.p99 <= 5_000));
    for c in columns {
        let ratio = c.engine.per_second / c.cedar.per_second;
        println!("  engine throughput ≥ 3× cedar at {:>3} rules:   {:>9.1}×  {}", c.rules, ratio, verdict(ratio >= 3.0));
    }
}
