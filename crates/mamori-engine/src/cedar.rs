//! The same rules as Cedar policies, for checking the engine against an independent
//! evaluator (`cedar-policy`) and for readers who know Cedar.
//!
//! Each decision rule becomes a policy with `@id` = the rule id and `@clause` = its clause.
//! A permit rule's requirements become forbids of their own, so that Cedar's answer carries
//! the same information as the engine's:
//! - `<rule>` — the permit itself (or the forbid, for a forbid rule);
//! - `<rule>#requires` — forbids when the permit applies but a required fact is absent;
//! - `<rule>#approval` — forbids when the permit applies but the approval is not held.
//!
//! Entities: the principal `User` has `roles` (a set of role ids); the resource `Object` has
//! one Long attribute per axis (the level's rank) and `zone` (a zone id, `""` when unknown).
//! The context has `location` and `device` (`"unknown"` when not given), `approvals` and
//! `facts` (sets of ids) and `emergency`.

use std::fmt::Write;

use mamori_policy::{Device, Effect, Location};

use crate::conditions::Condition;

use crate::compile::Rule;
use crate::{fact_bit, Engine};

/// What a Cedar policy id says about its origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Rule,
    Requires,
    Approval,
}

/// Splits a generated policy id into the rule id and the kind.
pub fn parse_policy_id(id: &str) -> (&str, PolicyKind) {
    match id.split_once('#') {
        Some((rule, "requires")) => (rule, PolicyKind::Requires),
        Some((rule, _)) => (rule, PolicyKind::Approval),
        None => (id, PolicyKind::Rule),
    }
}

pub fn location_id(l: Option<Location>) -> &'static str {
    match l {
        Some(Location::Office) => "office",
        Some(Location::Outside) => "outside",
        None => "unknown",
    }
}

pub fn device_id(d: Option<Device>) -> &'static str {
    match d {
        Some(Device::Issued) => "issued",
        Some(Device::Private) => "private",
        None => "unknown",
    }
}

fn quote(s: &str) -> String {
    // Ids are [a-z0-9_]; clause ids and texts may hold anything but a quote or backslash
    // needs escaping.
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The conditions of `rule` as a Cedar expression (`true` when it states none).
fn conditions(engine: &Engine, rule: &Rule) -> String {
    let parts: Vec<String> = crate::conditions::of(engine, rule)
        .into_iter()
        .map(|c| match c {
            Condition::RankAtLeast { axis, rank } => format!("resource.{axis} >= {rank}"),
            Condition::RankAtMost { axis, rank } => format!("resource.{axis} <= {rank}"),
            Condition::ContextIs { attr, value } => format!("context.{attr} == {}", quote(value)),
            Condition::ContextIsNot { attr, value } => format!("context.{attr} != {}", quote(value)),
            Condition::ZoneIn(zones) => {
                format!("[{}].contains(resource.zone)", zones.iter().map(|z| quote(z)).collect::<Vec<_>>().join(", "))
            }
            Condition::AnyRole(roles) => {
                format!("principal.roles.containsAny([{}])", roles.iter().map(|r| quote(r)).collect::<Vec<_>>().join(", "))
            }
            Condition::Emergency(e) => format!("context.emergency == {e}"),
        })
        .collect();
    if parts.is_empty() {
        "true".to_owned()
    } else {
        parts.join(" && ")
    }
}

/// Cedar policies for every decision rule of `engine`.
pub fn policies(engine: &Engine) -> String {
    let mut out = String::new();
    for rule in engine.rules() {
        let scope = format!("principal, action == Action::{}, resource", quote(rule.action.id()));
        let when = conditions(engine, rule);
        let head = |out: &mut String, id: &str| {
            let _ = writeln!(out, "@id({})", quote(id));
            let _ = writeln!(out, "@clause({})", quote(&rule.clause));
        };
        head(&mut out, rule.id.as_str());
        let effect = if rule.effect == Effect::Forbid { "forbid" } else { "permit" };
        let _ = writeln!(out, "{effect}({scope}) when {{ {when} }};\n");
        if rule.requires != 0 {
            let facts: Vec<String> =
                mamori_policy::Fact::ALL.into_iter().filter(|f| rule.requires & fact_bit(*f) != 0).map(|f| quote(f.id())).collect();
            head(&mut out, &format!("{}#requires", rule.id));
            let _ = writeln!(out, "forbid({scope}) when {{ {when} && !context.facts.containsAll([{}]) }};\n", facts.join(", "));
        }
        if let Some(a) = &rule.approval {
            head(&mut out, &format!("{}#approval", rule.id));
            let _ = writeln!(out, "forbid({scope}) when {{ {when} && !context.approvals.contains({}) }};\n", quote(a.role.as_str()));
        }
    }
    out
}
