//! The decision matrix: a fixed, generated set of sample requests, decided by two profiles,
//! to show what a change of profile does to decisions before anyone activates it.
//!
//! The samples are every action × every combination of classification levels (and
//! "unclassified"), each under a fixed list of circumstances: in the office with an issued
//! device, then with one condition changed at a time (outside, a private device, unknown
//! place and device, each fact alone, all facts, every approval held, an emergency, each
//! zone, each role a rule asks of the applicant). The vocabulary (levels, zones, roles) is
//! the union of both profiles', so a level or zone that only one of them knows shows as a
//! request the other cannot understand.

use std::collections::{BTreeMap, BTreeSet};

use mamori_policy::{Action, Device, Fact, Location, Profile};

use crate::{CompileError, ContextInput, Engine, ObjectInput, Outcome, RequestInput, SubjectInput};

/// One sample request.
#[derive(Debug, Clone)]
pub struct Sample {
    pub action: Action,
    /// Axis id → level id; an axis left out is unclassified.
    pub classes: BTreeMap<String, String>,
    pub circumstance: Circumstance,
}

/// The circumstances a sample is decided under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Circumstance {
    Base,
    Outside,
    PrivateDevice,
    Unknown,
    Fact(Fact),
    AllFacts,
    /// Every approval either profile's rules ask for is held.
    Approved,
    /// All facts and every approval, outside the office.
    Everything,
    Emergency,
    Zone(String),
    Role(String),
}

impl Circumstance {
    pub fn label_ja(&self) -> String {
        match self {
            Self::Base => "庁舎内・支給端末".into(),
            Self::Outside => "庁外・支給端末".into(),
            Self::PrivateDevice => "庁舎内・支給以外の端末".into(),
            Self::Unknown => "場所・端末が不明".into(),
            Self::Fact(f) => format!("庁舎内・{}あり", f.label_ja()),
            Self::AllFacts => "庁舎内・必要な措置をすべて講じた".into(),
            Self::Approved => "庁舎内・承認をすべて得た".into(),
            Self::Everything => "庁外・措置と承認をすべて得た".into(),
            Self::Emergency => "緊急時".into(),
            Self::Zone(z) => format!("領域 {z}・措置と承認をすべて得た"),
            Self::Role(r) => format!("申請者が役割 {r}・措置と承認をすべて得た"),
        }
    }
}

impl Sample {
    /// A short Japanese description: action, classes, circumstance.
    pub fn label_ja(&self) -> String {
        let classes = if self.classes.is_empty() {
            "分類なし".to_owned()
        } else {
            self.classes.iter().map(|(a, l)| format!("{a}={l}")).collect::<Vec<_>>().join(" ")
        };
        format!("{}（{}） {} — {}", self.action.label_ja(), self.action.id(), classes, self.circumstance.label_ja())
    }

    fn input(&self, approvers: &BTreeSet<String>, profile: &Profile) -> RequestInput {
        let knows_role = |r: &String| profile.role(r).is_some();
        let mut subject = SubjectInput::default();
        let mut object = ObjectInput { classes: self.classes.clone(), ..Default::default() };
        let mut context = ContextInput { location: Some(Location::Office), device: Some(Device::Issued), ..Default::default() };
        let all_facts = || Fact::ALL.to_vec();
        // Approvals are filtered to the roles this profile has: "every approval the request
        // could get" under it.
        let approvals = || approvers.iter().filter(|r| knows_role(r)).cloned().collect::<Vec<_>>();
        match &self.circumstance {
            Circumstance::Base => {}
            Circumstance::Outside => context.location = Some(Location::Outside),
            Circumstance::PrivateDevice => context.device = Some(Device::Private),
            Circumstance::Unknown => {
                context.location = None;
                context.device = None;
            }
            Circumstance::Fact(f) => context.facts = vec![*f],
            Circumstance::AllFacts => context.facts = all_facts(),
            Circumstance::Approved => context.approvals = approvals(),
            Circumstance::Everything => {
                context.location = Some(Location::Outside);
                context.facts = all_facts();
                context.approvals = approvals();
            }
            Circumstance::Emergency => context.emergency = true,
            Circumstance::Zone(z) => {
                object.zone = Some(z.clone());
                context.facts = all_facts();
                context.approvals = approvals();
            }
            Circumstance::Role(r) => {
                subject.roles = vec![r.clone()];
                context.facts = all_facts();
                context.approvals = approvals();
            }
        }
        RequestInput { action: self.action.id().to_owned(), subject, object, context }
    }
}

/// What one profile answers to a sample, in the terms compared: the outcome, whose approval
/// is needed, and what is missing. Clauses are not compared (a renumbered policy decides the
/// same), nor duties' wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Decided {
        outcome: Outcome,
        /// Approver role ids, sorted.
        approvers: Vec<String>,
        /// Facts whose absence denies, sorted.
        missing_facts: Vec<String>,
    },
    /// The profile does not know a name the sample uses (a level, zone or role).
    NotUnderstood(String),
}

impl Answer {
    pub fn label_ja(&self) -> String {
        match self {
            Answer::Decided { outcome, approvers, missing_facts } => {
                let mut s = outcome.label_ja().to_owned();
                if !approvers.is_empty() {
                    s.push_str(&format!("（{}）", approvers.join("・")));
                }
                if !missing_facts.is_empty() {
                    s.push_str(&format!("（不足: {}）", missing_facts.join("・")));
                }
                s
            }
            Answer::NotUnderstood(why) => format!("判断できない: {why}"),
        }
    }
}

/// The sample set for comparing `profiles` (usually the old and the new version).
pub fn samples(profiles: &[&Profile]) -> Vec<Sample> {
    // Axes and levels: the union, in the first profile's order.
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    for p in profiles {
        for a in &p.axes {
            let entry = match axes.iter_mut().position(|(id, _)| id == a.id.as_str()) {
                Some(i) => &mut axes[i].1,
                None => {
                    axes.push((a.id.to_string(), Vec::new()));
                    &mut axes.last_mut().expect("just pushed").1
                }
            };
            for l in &a.levels {
                if !entry.contains(l.id.get_ref()) {
                    entry.push(l.id.get_ref().clone());
                }
            }
        }
    }
    let mut combos: Vec<BTreeMap<String, String>> = vec![BTreeMap::new()];
    for (axis, levels) in &axes {
        let mut next = Vec::new();
        for c in &combos {
            // Unclassified on this axis, then each level.
            next.push(c.clone());
            for l in levels {
                let mut c = c.clone();
                c.insert(axis.clone(), l.clone());
                next.push(c);
            }
        }
        combos = next;
    }
    let zones: BTreeSet<String> = profiles.iter().flat_map(|p| p.zones.iter().map(|z| z.id.to_string())).collect();
    let roles: BTreeSet<String> = profiles
        .iter()
        .flat_map(|p| p.decision_rules.iter().flat_map(|r| r.subject_roles.iter().map(|s| s.get_ref().to_string())))
        .collect();

    let mut circumstances = vec![
        Circumstance::Base,
        Circumstance::Outside,
        Circumstance::PrivateDevice,
        Circumstance::Unknown,
        Circumstance::AllFacts,
        Circumstance::Approved,
        Circumstance::Everything,
        Circumstance::Emergency,
    ];
    circumstances.extend(Fact::ALL.into_iter().map(Circumstance::Fact));
    circumstances.extend(zones.into_iter().map(Circumstance::Zone));
    circumstances.extend(roles.into_iter().map(Circumstance::Role));

    let mut out = Vec::with_capacity(Action::ALL.len() * combos.len() * circumstances.len());
    for action in Action::ALL {
        for classes in &combos {
            for c in &circumstances {
                out.push(Sample { action, classes: classes.clone(), circumstance: c.clone() });
            }
        }
    }
    out
}

/// Every role whose approval some rule of `profiles` asks for.
fn approvers(profiles: &[&Profile]) -> BTreeSet<String> {
    profiles.iter().flat_map(|p| p.approval_rules.iter().map(|a| a.approver.get_ref().to_string())).collect()
}

/// One profile's answers to the samples.
pub fn answers(profile: &Profile, engine: &Engine, samples: &[Sample], approvers: &BTreeSet<String>) -> Vec<Answer> {
    samples
        .iter()
        .map(|s| match engine.query(&s.input(approvers, profile)) {
            Err(e) => Answer::NotUnderstood(e.message_ja()),
            Ok(q) => {
                let d = engine.decide(&q);
                let mut approvers: Vec<String> = d.approvals.iter().map(|a| a.role.to_string()).collect();
                approvers.sort();
                approvers.dedup();
                let mut missing_facts: Vec<String> = d
                    .missing
                    .iter()
                    .filter_map(|m| if let crate::Unmet::Fact(f) = m.unmet { Some(f.id().to_owned()) } else { None })
                    .collect();
                missing_facts.sort();
                missing_facts.dedup();
                Answer::Decided { outcome: d.outcome, approvers, missing_facts }
            }
        })
        .collect()
}

/// One sample whose answer differs.
#[derive(Debug, Clone)]
pub struct Change {
    pub sample: Sample,
    pub old: Answer,
    pub new: Answer,
}

/// The decision matrix of two profiles.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub total: usize,
    pub changes: Vec<Change>,
}

impl Matrix {
    /// The share of samples both profiles answer alike.
    pub fn agreement(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.total - self.changes.len()) as f64 / self.total as f64
        }
    }
}

/// Decides every sample with both profiles and lists what changes.
pub fn compare(old: &Profile, new: &Profile) -> Result<Matrix, CompileError> {
    let old_engine = Engine::compile(old, "old")?;
    let new_engine = Engine::compile(new, "new")?;
    let both = [old, new];
    let samples = samples(&both);
    let approvers = approvers(&both);
    let a = answers(old, &old_engine, &samples, &approvers);
    let b = answers(new, &new_engine, &samples, &approvers);
    let total = samples.len();
    let changes = samples
        .into_iter()
        .zip(a.into_iter().zip(b))
        .filter(|(_, (a, b))| a != b)
        .map(|(sample, (old, new))| Change { sample, old, new })
        .collect();
    Ok(Matrix { total, changes })
}
