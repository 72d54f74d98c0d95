//! From a profile to the engine's table.

use std::collections::HashMap;

use mamori_policy::{Action, ApprovalRule, Device, DutySpec, Effect, Fact, Location, Profile, Provenance, Symbol};

use crate::{fact_bit, InputError, Query, RequestInput, RoleSet, MAX_AXES};

/// Why a profile cannot be compiled. A profile that loaded has been validated, so these are
/// limits of the engine rather than mistakes in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("the profile has {0} roles; the engine handles at most 64")]
    TooManyRoles(usize),
    #[error("the profile has {0} classification axes; the engine handles at most {MAX_AXES}")]
    TooManyAxes(usize),
    #[error("the profile has {0} zones; the engine handles at most 64")]
    TooManyZones(usize),
    #[error("the profile has {0} decision rules; the engine handles at most 65535")]
    TooManyRules(usize),
    #[error("decision rule `{rule}` refers to `{name}`, which the profile does not define")]
    Dangling { rule: String, name: String },
}

#[derive(Debug, Clone)]
pub(crate) struct AxisInfo {
    pub id: Symbol,
    /// Level ids from the lowest rank up, with their ranks.
    pub levels: Vec<(String, u32)>,
}

/// An approval a rule asks for, resolved.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApprovalInfo {
    /// The `[[approval_rules]]` id.
    pub id: Symbol,
    pub role: Symbol,
    pub role_name: String,
    #[serde(skip)]
    pub(crate) role_index: u8,
    pub form: Option<String>,
    pub record: Option<String>,
    pub clause: String,
}

/// One class condition, in level positions of its axis (inclusive).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClassRange {
    pub axis: u8,
    pub min: u8,
    pub max: u8,
}

/// How many class ranges a [`Check`] holds inline; a rule with more is checked by its
/// [`Rule`] itself.
const CHECK_CLASSES: usize = 4;

/// A rule's conditions packed into one small value, so that the decision loop reads one
/// contiguous array (20–50 rules per request at 500 rules) instead of following each rule's
/// heap-allocated parts. It counts failed conditions exactly as `decide::first_unmet` does;
/// that function still names the unmet condition where one is reported.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Check {
    /// `(axis, min, max)` of each class range, in the rule's order; `n_classes` of them.
    classes: [(u8, u8, u8); CHECK_CLASSES],
    n_classes: u8,
    /// More class ranges than fit: count with the rule.
    pub(crate) overflow: bool,
    location: Option<Location>,
    device: Option<Device>,
    zones: u64,
    subject_roles: u64,
    emergency: Option<bool>,
    pub(crate) forbid: bool,
}

impl Check {
    fn of(rule: &Rule) -> Self {
        let mut classes = [(0, 0, 0); CHECK_CLASSES];
        for (slot, c) in classes.iter_mut().zip(&rule.classes) {
            *slot = (c.axis, c.min, c.max);
        }
        Check {
            classes,
            n_classes: rule.classes.len().min(CHECK_CLASSES) as u8,
            overflow: rule.classes.len() > CHECK_CLASSES,
            location: rule.location,
            device: rule.device,
            zones: rule.zones,
            subject_roles: rule.subject_roles.0,
            emergency: rule.emergency,
            forbid: rule.effect == Effect::Forbid,
        }
    }

    /// How many of the rule's conditions `q` fails. Unknown location, device or zone fail a
    /// permit's condition and meet a forbid's.
    #[inline]
    pub(crate) fn failures(&self, q: &Query) -> u32 {
        let mut n = 0u32;
        for &(axis, min, max) in &self.classes[..self.n_classes as usize] {
            let level = q.levels[axis as usize];
            n += u32::from(level < min || level > max);
        }
        if let Some(want) = self.location {
            n += u32::from(!q.location.map_or(self.forbid, |l| l == want));
        }
        if let Some(want) = self.device {
            n += u32::from(!q.device.map_or(self.forbid, |d| d == want));
        }
        if self.zones != 0 {
            n += u32::from(!q.zone.map_or(self.forbid, |z| self.zones & (1 << z) != 0));
        }
        n += u32::from(self.subject_roles != 0 && self.subject_roles & q.roles.0 == 0);
        if let Some(want) = self.emergency {
            n += u32::from(q.emergency != want);
        }
        n
    }
}

/// A decision rule, compiled.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rule {
    pub id: Symbol,
    pub action: Action,
    pub effect: Effect,
    pub text: String,
    pub clause: String,
    pub provenance: Provenance,
    #[serde(skip)]
    pub(crate) classes: Vec<ClassRange>,
    #[serde(skip)]
    pub(crate) location: Option<Location>,
    #[serde(skip)]
    pub(crate) device: Option<Device>,
    /// Bit set of zone indexes; 0: any zone.
    #[serde(skip)]
    pub(crate) zones: u64,
    /// 0: any subject.
    #[serde(skip)]
    pub(crate) subject_roles: RoleSet,
    #[serde(skip)]
    pub(crate) emergency: Option<bool>,
    #[serde(skip)]
    pub approval: Option<ApprovalInfo>,
    #[serde(skip)]
    pub(crate) requires: u8,
    #[serde(skip)]
    pub duties: Vec<DutySpec>,
}

/// A profile's decision rules, compiled. Cheap to share; build one per profile version.
#[derive(Debug, Clone)]
pub struct Engine {
    version: String,
    pub(crate) roles: Vec<(Symbol, String)>,
    role_index: HashMap<String, u8>,
    pub(crate) axes: Vec<AxisInfo>,
    pub(crate) zones: Vec<Symbol>,
    zone_index: HashMap<String, u8>,
    pub(crate) rules: Vec<Rule>,
    /// `checks[i]`: the conditions of `rules[i]`, packed for the decision loop.
    pub(crate) checks: Vec<Check>,
    /// `table[action][level of the first axis]`: the rules that can apply, in profile order.
    table: Vec<Vec<Vec<u16>>>,
}

impl Engine {
    /// Compiles `profile`; `version` names the profile version in every decision.
    pub fn compile(profile: &Profile, version: impl Into<String>) -> Result<Self, CompileError> {
        if profile.roles.len() > 64 {
            return Err(CompileError::TooManyRoles(profile.roles.len()));
        }
        if profile.axes.len() > MAX_AXES {
            return Err(CompileError::TooManyAxes(profile.axes.len()));
        }
        if profile.zones.len() > 64 {
            return Err(CompileError::TooManyZones(profile.zones.len()));
        }
        if profile.decision_rules.len() > u16::MAX as usize {
            return Err(CompileError::TooManyRules(profile.decision_rules.len()));
        }
        let roles: Vec<(Symbol, String)> = profile.roles.iter().map(|r| (r.id.clone(), r.name.clone())).collect();
        let role_index: HashMap<String, u8> = roles.iter().enumerate().map(|(i, r)| (r.0.to_string(), i as u8)).collect();
        let axes: Vec<AxisInfo> = profile
            .axes
            .iter()
            .map(|a| {
                let mut levels: Vec<(String, u32)> = a.levels.iter().map(|l| (l.id.get_ref().clone(), *l.rank.get_ref())).collect();
                levels.sort_by_key(|l| l.1);
                AxisInfo { id: a.id.clone(), levels }
            })
            .collect();
        let zones: Vec<Symbol> = profile.zones.iter().map(|z| z.id.clone()).collect();
        let zone_index: HashMap<String, u8> = zones.iter().enumerate().map(|(i, z)| (z.to_string(), i as u8)).collect();
        let approvals: HashMap<&str, &ApprovalRule> = profile.approval_rules.iter().map(|a| (a.id.as_str(), a)).collect();

        let mut rules = Vec::with_capacity(profile.decision_rules.len());
        for r in &profile.decision_rules {
            let dangling = |name: &str| CompileError::Dangling { rule: r.id.to_string(), name: name.to_owned() };
            let role = |s: &Symbol| role_index.get(s.as_str()).copied().ok_or_else(|| dangling(s.as_str()));
            let mut classes = Vec::new();
            for c in &r.classes {
                let axis = axes.iter().position(|a| &a.id == c.axis.get_ref()).ok_or_else(|| dangling(c.axis.get_ref().as_str()))?;
                let pos = |l: &str| axes[axis].levels.iter().position(|x| x.0 == l).map(|p| p as u8).ok_or_else(|| dangling(l));
                let min = c.min.as_ref().map(|m| pos(m.get_ref())).transpose()?.unwrap_or(0);
                let max = c.max.as_ref().map(|m| pos(m.get_ref())).transpose()?.unwrap_or(u8::MAX);
                classes.push(ClassRange { axis: axis as u8, min, max });
            }
            let mut subject_roles = RoleSet::default();
            for s in &r.subject_roles {
                subject_roles.insert(role(s.get_ref())?);
            }
            let approval = match &r.approval {
                None => None,
                Some(a) => {
                    let rule = approvals.get(a.get_ref().as_str()).ok_or_else(|| dangling(a.get_ref().as_str()))?;
                    let idx = role(rule.approver.get_ref())?;
                    Some(ApprovalInfo {
                        id: rule.id.clone(),
                        role: rule.approver.get_ref().clone(),
                        role_name: roles[idx as usize].1.clone(),
                        role_index: idx,
                        form: rule.form.clone(),
                        record: rule.record.clone(),
                        clause: rule.clause.get_ref().to_string(),
                    })
                }
            };
            let mut zones = 0u64;
            for z in &r.zones {
                zones |= 1 << zone_index.get(z.get_ref().as_str()).copied().ok_or_else(|| dangling(z.get_ref().as_str()))?;
            }
            for d in &r.duties {
                if let Some(to) = &d.to {
                    role(to.get_ref())?;
                }
            }
            rules.push(Rule {
                id: r.id.clone(),
                action: r.action,
                effect: r.effect,
                text: r.text.clone(),
                clause: r.clause.get_ref().to_string(),
                provenance: r.provenance,
                classes,
                location: r.location,
                device: r.device,
                zones,
                subject_roles,
                emergency: r.emergency,
                approval,
                requires: r.requires.iter().fold(0, |m, f| m | fact_bit(*f)),
                duties: r.duties.clone(),
            });
        }

        // The table: one row per action, one column per level of the first axis (the
        // confidentiality axis in every bundled profile); a cell lists the rules whose
        // condition on that axis admits the level. Without axes there is a single column.
        let columns = axes.first().map_or(1, |a| a.levels.len().max(1));
        let mut table = vec![vec![Vec::new(); columns]; Action::ALL.len()];
        for (i, rule) in rules.iter().enumerate() {
            for (col, cell) in table[rule.action.index()].iter_mut().enumerate() {
                let admits = rule.classes.iter().filter(|c| c.axis == 0).all(|c| (c.min..=c.max).contains(&(col as u8)));
                if admits {
                    cell.push(i as u16);
                }
            }
        }
        let checks = rules.iter().map(Check::of).collect();
        Ok(Self { version: version.into(), roles, role_index, axes, zones, zone_index, rules, checks, table })
    }

    /// The profile version this engine was compiled from.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id.as_str() == id)
    }

    pub(crate) fn candidates(&self, q: &Query) -> &[u16] {
        let row = &self.table[q.action.index()];
        &row[(q.levels[0] as usize).min(row.len() - 1)]
    }

    pub fn role_index(&self, id: &str) -> Option<u8> {
        self.role_index.get(id).copied()
    }

    pub fn role_id(&self, index: u8) -> &Symbol {
        &self.roles[index as usize].0
    }

    pub fn role_name(&self, index: u8) -> &str {
        &self.roles[index as usize].1
    }

    /// The number of levels of each axis, in profile order.
    pub fn axis_sizes(&self) -> Vec<(Symbol, usize)> {
        self.axes.iter().map(|a| (a.id.clone(), a.levels.len())).collect()
    }

    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The id of zone index `i` (profile order).
    pub fn zone_id(&self, i: u8) -> &Symbol {
        &self.zones[i as usize]
    }

    /// The position of `level` on axis `axis` (from the lowest rank up).
    pub fn level_position(&self, axis: &str, level: &str) -> Result<u8, InputError> {
        let a = self.axes.iter().find(|a| a.id.as_str() == axis).ok_or_else(|| InputError::UnknownAxis(axis.to_owned()))?;
        a.levels
            .iter()
            .position(|l| l.0 == level)
            .map(|p| p as u8)
            .ok_or_else(|| InputError::UnknownLevel { axis: axis.to_owned(), level: level.to_owned() })
    }

    /// The rank the profile gives level position `pos` of axis number `axis`.
    pub fn level_rank(&self, axis: usize, pos: u8) -> u32 {
        self.axes[axis].levels[pos as usize].1
    }

    pub fn level_id(&self, axis: usize, pos: u8) -> &str {
        &self.axes[axis].levels[pos as usize].0
    }

    /// A query with nothing known: each axis at its highest level, no roles, no approvals.
    pub fn blank_query(&self, action: Action) -> Query {
        let mut levels = [0u8; MAX_AXES];
        for (i, a) in self.axes.iter().enumerate() {
            levels[i] = a.levels.len().saturating_sub(1) as u8;
        }
        Query {
            action,
            roles: RoleSet::default(),
            levels,
            zone: None,
            location: None,
            device: None,
            approvals: RoleSet::default(),
            facts: 0,
            emergency: false,
            date: None,
        }
    }

    /// Puts a request into the engine's terms; every name must be one the profile defines.
    pub fn query(&self, input: &RequestInput) -> Result<Query, InputError> {
        let action = Action::parse(&input.action).ok_or_else(|| InputError::UnknownAction(input.action.clone()))?;
        let mut q = self.blank_query(action);
        for r in &input.subject.roles {
            q.roles.insert(self.role_index(r).ok_or_else(|| InputError::UnknownRole(r.clone()))?);
        }
        for (axis, level) in &input.object.classes {
            let i = self.axes.iter().position(|a| a.id.as_str() == axis).ok_or_else(|| InputError::UnknownAxis(axis.clone()))?;
            q.levels[i] = self.level_position(axis, level)?;
        }
        if let Some(z) = &input.object.zone {
            q.zone = Some(self.zone_index.get(z.as_str()).copied().ok_or_else(|| InputError::UnknownZone(z.clone()))?);
        }
        q.location = input.context.location;
        q.device = input.context.device;
        for r in &input.context.approvals {
            q.approvals.insert(self.role_index(r).ok_or_else(|| InputError::UnknownRole(r.clone()))?);
        }
        q.facts = input.context.facts.iter().fold(0, |m, f| m | fact_bit(*f));
        q.emergency = input.context.emergency;
        q.date = input.context.date;
        Ok(q)
    }

    /// Every fact id, for documentation and generators.
    pub fn facts() -> [Fact; 4] {
        Fact::ALL
    }
}
