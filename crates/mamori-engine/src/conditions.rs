//! A rule's conditions as plain comparisons, for the generators of other policy languages
//! (`cedar.rs`, `rego.rs`). Each generator only decides how to write them.

use mamori_policy::{Device, Effect, Location};

use crate::cedar::{device_id, location_id};
use crate::compile::Rule;
use crate::Engine;

/// One condition of a rule, in terms every target language has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition<'e> {
    /// The object's rank on `axis` is at least / at most `rank`.
    RankAtLeast {
        axis: &'e str,
        rank: u32,
    },
    RankAtMost {
        axis: &'e str,
        rank: u32,
    },
    /// A context attribute (`location`, `device`) equals `value`.
    ContextIs {
        attr: &'static str,
        value: &'static str,
    },
    /// A context attribute does not equal `value` (a forbid's two-valued condition: the
    /// other value, or unknown).
    ContextIsNot {
        attr: &'static str,
        value: &'static str,
    },
    /// The object's zone is one of these (`""` stands for unknown).
    ZoneIn(Vec<&'e str>),
    /// The subject holds one of these roles.
    AnyRole(Vec<&'e str>),
    Emergency(bool),
}

/// The conditions of `rule`, in the order the engine checks them. Unknown location, device
/// or zone meet a forbid's condition and fail a permit's, as in the engine.
pub fn of<'e>(engine: &'e Engine, rule: &Rule) -> Vec<Condition<'e>> {
    let forbid = rule.effect == Effect::Forbid;
    let mut out = Vec::new();
    for c in &rule.classes {
        let axis = &engine.axes[c.axis as usize];
        if c.min > 0 {
            out.push(Condition::RankAtLeast { axis: axis.id.as_str(), rank: engine.level_rank(c.axis as usize, c.min) });
        }
        if (c.max as usize) < axis.levels.len() - 1 {
            out.push(Condition::RankAtMost { axis: axis.id.as_str(), rank: engine.level_rank(c.axis as usize, c.max) });
        }
    }
    let two_valued = |attr: &'static str, want: &'static str, other: &'static str| {
        if forbid {
            Condition::ContextIsNot { attr, value: other }
        } else {
            Condition::ContextIs { attr, value: want }
        }
    };
    if let Some(l) = rule.location {
        let other = if l == Location::Office { Location::Outside } else { Location::Office };
        out.push(two_valued("location", location_id(Some(l)), location_id(Some(other))));
    }
    if let Some(d) = rule.device {
        let other = if d == Device::Issued { Device::Private } else { Device::Issued };
        out.push(two_valued("device", device_id(Some(d)), device_id(Some(other))));
    }
    if rule.zones != 0 {
        let mut zones: Vec<&str> =
            (0..engine.zones.len()).filter(|i| rule.zones & (1 << i) != 0).map(|i| engine.zones[i].as_str()).collect();
        if forbid {
            zones.push("");
        }
        out.push(Condition::ZoneIn(zones));
    }
    if rule.subject_roles.0 != 0 {
        out.push(Condition::AnyRole((0..64u8).filter(|i| rule.subject_roles.contains(*i)).map(|i| engine.role_id(i).as_str()).collect()));
    }
    if let Some(e) = rule.emergency {
        out.push(Condition::Emergency(e));
    }
    out
}
