//! The same rules in Rego (package `mamori`), for the benchmark against `regorus`.
//!
//! Input: `{"action", "roles": [...], "resource": {<axis>: rank, "zone": id or ""},
//! "context": {"location", "device", "approvals": [...], "facts": [...], "emergency"}}`.
//! `data.mamori.outcome` is `"permitted"`, `"needs_approval"` or `"denied"` by the same
//! precedence as the engine; `forbids`, `permits`, `requires_unmet` and `approval_unmet` are
//! the sets of rule ids behind it.

use std::fmt::Write;

use mamori_policy::Effect;

use crate::compile::Rule;
use crate::conditions::Condition;
use crate::{fact_bit, Engine};

fn conditions(engine: &Engine, rule: &Rule) -> Vec<String> {
    let quoted = |v: &[&str]| v.iter().map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(", ");
    let mut parts = vec![format!("input.action == \"{}\"", rule.action.id())];
    parts.extend(crate::conditions::of(engine, rule).into_iter().map(|c| match c {
        Condition::RankAtLeast { axis, rank } => format!("input.resource.{axis} >= {rank}"),
        Condition::RankAtMost { axis, rank } => format!("input.resource.{axis} <= {rank}"),
        Condition::ContextIs { attr, value } => format!("input.context.{attr} == \"{value}\""),
        Condition::ContextIsNot { attr, value } => format!("input.context.{attr} != \"{value}\""),
        Condition::ZoneIn(zones) => format!("input.resource.zone in {{{}}}", quoted(&zones)),
        Condition::AnyRole(roles) => format!("some r in input.roles\n  r in {{{}}}", quoted(&roles)),
        Condition::Emergency(e) => format!("input.context.emergency == {e}"),
    }));
    parts
}

/// The Rego module for every decision rule of `engine`.
pub fn module(engine: &Engine) -> String {
    let mut out = String::from("package mamori\n\nimport rego.v1\n\n");
    for rule in engine.rules() {
        let body = conditions(engine, rule).join("\n  ");
        let set = if rule.effect == Effect::Forbid { "forbids" } else { "permits" };
        let _ = writeln!(out, "{set} contains \"{}\" if {{\n  {body}\n}}\n", rule.id);
        if rule.requires != 0 {
            let facts: Vec<String> = mamori_policy::Fact::ALL
                .into_iter()
                .filter(|f| rule.requires & fact_bit(*f) != 0)
                .map(|f| format!("\"{}\"", f.id()))
                .collect();
            let _ = writeln!(
                out,
                "requires_unmet contains \"{}\" if {{\n  {body}\n  some f in [{}]\n  not f in input.context.facts\n}}\n",
                rule.id,
                facts.join(", ")
            );
        }
        if let Some(a) = &rule.approval {
            let _ = writeln!(
                out,
                "approval_unmet contains \"{}\" if {{\n  {body}\n  not \"{}\" in input.context.approvals\n}}\n",
                rule.id, a.role
            );
        }
    }
    // A set with no rule at all would be undefined rather than empty.
    for set in ["forbids", "permits", "requires_unmet", "approval_unmet"] {
        let _ = writeln!(out, "{set} contains \"\" if {{\n  input.never_present_field\n}}\n");
    }
    out.push_str(
        r#"default outcome := "denied"

outcome := "denied" if {
  count(forbids) > 0
} else := "denied" if {
  count(permits) == 0
} else := "denied" if {
  count(requires_unmet) > 0
} else := "needs_approval" if {
  count(approval_unmet) > 0
} else := "permitted"
"#,
    );
    out
}
