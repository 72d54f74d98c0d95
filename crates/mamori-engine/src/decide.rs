//! Deciding one query.

use mamori_policy::{Device, DutyKind, DutySpec, Fact, Location};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::compile::{ApprovalInfo, Rule};
use crate::{fact_bit, Engine, Query};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Permitted,
    NeedsApproval,
    Denied,
}

impl Outcome {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Permitted => "許可",
            Self::NeedsApproval => "承認が必要",
            Self::Denied => "不可",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Permitted => "permitted",
            Self::NeedsApproval => "needs_approval",
            Self::Denied => "denied",
        }
    }
}

/// A condition of a rule that the request does not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// The object's level on `axis` is outside the rule's range (level positions).
    Class {
        axis: u8,
        min: u8,
        max: u8,
    },
    Location(Location),
    Device(Device),
    /// The object's zone is not one of these (bit set of zone indexes).
    Zone(u64),
    SubjectRole,
    Emergency(bool),
    Fact(Fact),
}

/// What a denial or a pending approval lacks, and the rule it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Missing<'e> {
    pub rule: &'e Rule,
    pub unmet: Unmet,
}

/// An approval the request still needs.
pub type Approval<'e> = &'e ApprovalInfo;

/// A duty that comes with a permit, with its due date when the request gave a date.
#[derive(Debug, Clone, Copy)]
pub struct Duty<'e> {
    pub rule: &'e Rule,
    pub spec: &'e DutySpec,
    pub due: Option<chrono::NaiveDate>,
}

/// The engine's answer.
#[derive(Debug, Clone)]
pub struct Decision<'e> {
    pub outcome: Outcome,
    /// The rules that decided the outcome (see the crate documentation).
    pub deciding: Vec<&'e Rule>,
    /// For `needs_approval`: the approvals still needed, one per approval rule.
    pub approvals: Vec<Approval<'e>>,
    /// For `permitted` and `needs_approval`: what must be done when the action happens.
    pub duties: Vec<Duty<'e>>,
    /// For a denial without a forbid: what is missing.
    pub missing: Vec<Missing<'e>>,
    pub profile_version: &'e str,
}

impl Decision<'_> {
    /// The clause ids that decided, in rule order, without repeats.
    pub fn clauses(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::with_capacity(self.deciding.len());
        for r in &self.deciding {
            if !out.contains(&r.clause.as_str()) {
                out.push(&r.clause);
            }
        }
        out
    }

    /// The ids of the deciding rules, sorted: what the differential test compares.
    pub fn deciding_ids(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.deciding.iter().map(|r| r.id.as_str()).collect();
        v.sort_unstable();
        v
    }
}

impl Engine {
    /// Decides `q`. Deterministic; allocates only when a rule applies or nearly applies.
    pub fn decide(&self, q: &Query) -> Decision<'_> {
        let mut forbids: Vec<&Rule> = Vec::new();
        let mut permits: Vec<&Rule> = Vec::new();
        let mut near: Vec<Missing<'_>> = Vec::new();
        for &i in self.candidates(q) {
            let check = &self.checks[i as usize];
            let forbid = check.forbid;
            let failures = if check.overflow { first_unmet(&self.rules[i as usize], q, forbid).0 } else { check.failures(q) };
            match failures {
                0 => {
                    let rule = &self.rules[i as usize];
                    if forbid {
                        forbids.push(rule)
                    } else {
                        permits.push(rule)
                    }
                }
                1 if !forbid && forbids.is_empty() => {
                    let rule = &self.rules[i as usize];
                    if let (_, Some(unmet)) = first_unmet(rule, q, false) {
                        near.push(Missing { rule, unmet });
                    }
                }
                _ => {}
            }
        }
        let mut d = Decision {
            outcome: Outcome::Denied,
            deciding: Vec::new(),
            approvals: Vec::new(),
            duties: Vec::new(),
            missing: Vec::new(),
            profile_version: self.version(),
        };
        if !forbids.is_empty() {
            d.deciding = forbids;
            return d;
        }
        if permits.is_empty() {
            d.missing = near;
            return d;
        }
        // Required facts first: a missing fact is a denial whatever the approvals.
        for rule in &permits {
            let lacking = rule.requires & !q.facts;
            if lacking != 0 {
                d.deciding.push(rule);
                for f in Fact::ALL {
                    if lacking & fact_bit(f) != 0 {
                        d.missing.push(Missing { rule, unmet: Unmet::Fact(f) });
                    }
                }
            }
        }
        if !d.deciding.is_empty() {
            return d;
        }
        for rule in &permits {
            if let Some(a) = &rule.approval {
                if !q.approvals.contains(a.role_index) {
                    d.deciding.push(rule);
                    if !d.approvals.iter().any(|x| x.id == a.id) {
                        d.approvals.push(a);
                    }
                }
            }
        }
        for rule in &permits {
            for spec in &rule.duties {
                let due = match (spec.kind, q.date) {
                    (DutyKind::Report, Some(day)) => Some(day + chrono::Days::new(u64::from(spec.within_days.unwrap_or(0)))),
                    _ => None,
                };
                d.duties.push(Duty { rule, spec, due });
            }
        }
        d.outcome = if d.deciding.is_empty() {
            d.deciding = permits;
            Outcome::Permitted
        } else {
            Outcome::NeedsApproval
        };
        d
    }
}

/// How many of `rule`'s conditions `q` fails, and the first that fails. Unknown location,
/// device or zone fail a permit's condition and meet a forbid's.
fn first_unmet(rule: &Rule, q: &Query, forbid: bool) -> (u32, Option<Unmet>) {
    let mut count = 0;
    let mut first = None;
    let mut fail = |u: Unmet| {
        count += 1;
        first.get_or_insert(u);
    };
    for c in &rule.classes {
        let level = q.levels[c.axis as usize];
        if level < c.min || level > c.max {
            fail(Unmet::Class { axis: c.axis, min: c.min, max: c.max });
        }
    }
    if let Some(want) = rule.location {
        let holds = match q.location {
            Some(l) => l == want,
            None => forbid,
        };
        if !holds {
            fail(Unmet::Location(want));
        }
    }
    if let Some(want) = rule.device {
        let holds = match q.device {
            Some(d) => d == want,
            None => forbid,
        };
        if !holds {
            fail(Unmet::Device(want));
        }
    }
    if rule.zones != 0 {
        let holds = match q.zone {
            Some(z) => rule.zones & (1 << z) != 0,
            None => forbid,
        };
        if !holds {
            fail(Unmet::Zone(rule.zones));
        }
    }
    if rule.subject_roles.0 != 0 && rule.subject_roles.0 & q.roles.0 == 0 {
        fail(Unmet::SubjectRole);
    }
    if let Some(want) = rule.emergency {
        if q.emergency != want {
            fail(Unmet::Emergency(want));
        }
    }
    (count, first)
}

impl Engine {
    /// What `unmet` asks for, in Japanese, for a person.
    pub fn describe_unmet(&self, unmet: Unmet) -> String {
        match unmet {
            Unmet::Class { axis, min, max } => {
                let a = &self.axes[axis as usize];
                let lo = &a.levels[min as usize].0;
                let hi = a.levels.get(max as usize).map(|l| l.0.as_str());
                match hi {
                    Some(hi) if min as usize > 0 => format!("分類 {} が {lo}〜{hi} であること", a.id),
                    Some(hi) => format!("分類 {} が {hi} 以下であること", a.id),
                    None => format!("分類 {} が {lo} 以上であること", a.id),
                }
            }
            Unmet::Location(Location::Office) => "庁舎内であること".to_owned(),
            Unmet::Location(Location::Outside) => "庁外であること".to_owned(),
            Unmet::Device(Device::Issued) => "支給された端末・媒体であること".to_owned(),
            Unmet::Device(Device::Private) => "支給以外の端末・媒体であること".to_owned(),
            Unmet::Zone(mask) => {
                let names: Vec<&str> = (0..self.zones.len()).filter(|i| mask & (1 << i) != 0).map(|i| self.zones[i].as_str()).collect();
                format!("領域 {} の資産・システムであること", names.join("・"))
            }
            Unmet::SubjectRole => "申請者が所定の役割を持つこと".to_owned(),
            Unmet::Emergency(true) => "緊急時であること".to_owned(),
            Unmet::Emergency(false) => "緊急時でないこと".to_owned(),
            Unmet::Fact(f) => format!("{}が行われていること", f.label_ja()),
        }
    }
}

/// The JSON form of a decision: what `POST /api/v1/decisions` answers and what a record
/// keeps. Written by hand so the field names are a stable contract.
pub struct DecisionJson<'a, 'e> {
    pub engine: &'e Engine,
    pub decision: &'a Decision<'e>,
}

impl<'e> Serialize for DecisionJson<'_, 'e> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct RuleRef<'x> {
            rule: &'x str,
            clause: &'x str,
            provenance: &'x str,
            text: &'x str,
        }
        #[derive(Serialize)]
        struct ApprovalOut<'x> {
            approval_rule: &'x str,
            role: &'x str,
            role_name: &'x str,
            form: Option<&'x str>,
            record: Option<&'x str>,
            clause: &'x str,
        }
        #[derive(Serialize)]
        struct DutyOut<'x> {
            kind: DutyKind,
            text: &'x str,
            record: Option<&'x str>,
            fields: &'x [String],
            to: Option<&'x str>,
            due: Option<String>,
            rule: &'x str,
            clause: &'x str,
        }
        #[derive(Serialize)]
        struct MissingOut<'x> {
            rule: &'x str,
            clause: &'x str,
            condition: String,
        }
        let d = self.decision;
        let rule_ref = |r: &'e Rule| RuleRef {
            rule: r.id.as_str(),
            clause: &r.clause,
            provenance: match r.provenance {
                mamori_policy::Provenance::Document => "document",
                mamori_policy::Provenance::Standard => "standard",
            },
            text: &r.text,
        };
        let mut st = s.serialize_struct("Decision", 8)?;
        st.serialize_field("outcome", &d.outcome)?;
        st.serialize_field("outcome_ja", d.outcome.label_ja())?;
        st.serialize_field("clauses", &d.clauses())?;
        st.serialize_field("deciding", &d.deciding.iter().map(|r| rule_ref(r)).collect::<Vec<_>>())?;
        st.serialize_field(
            "approvals",
            &d.approvals
                .iter()
                .map(|a| ApprovalOut {
                    approval_rule: a.id.as_str(),
                    role: a.role.as_str(),
                    role_name: &a.role_name,
                    form: a.form.as_deref(),
                    record: a.record.as_deref(),
                    clause: &a.clause,
                })
                .collect::<Vec<_>>(),
        )?;
        st.serialize_field(
            "duties",
            &d.duties
                .iter()
                .map(|x| DutyOut {
                    kind: x.spec.kind,
                    text: &x.spec.text,
                    record: x.spec.record.as_deref(),
                    fields: &x.spec.fields,
                    to: x.spec.to.as_ref().map(|t| t.get_ref().as_str()),
                    due: x.due.map(|d| d.format("%Y-%m-%d").to_string()),
                    rule: x.rule.id.as_str(),
                    clause: &x.rule.clause,
                })
                .collect::<Vec<_>>(),
        )?;
        st.serialize_field(
            "missing",
            &d.missing
                .iter()
                .map(|m| MissingOut { rule: m.rule.id.as_str(), clause: &m.rule.clause, condition: self.engine.describe_unmet(m.unmet) })
                .collect::<Vec<_>>(),
        )?;
        st.serialize_field("profile_version", d.profile_version)?;
        st.end()
    }
}
