//! What changes between two versions of a profile, family by family: roles and posts,
//! bodies, zones, and each family of rules, with the items added, removed and changed.
//! Shown before a new version is activated (with the decision matrix of `mamori-engine`),
//! so that nobody switches a rule family off without seeing it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::profile::Profile;
use crate::workflow::Workflow;

/// A family of things a profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Roles,
    Bodies,
    Zones,
    Axes,
    DecisionRules,
    HandlingRules,
    ApprovalRules,
    Obligations,
    ZoneRules,
    ExternalReports,
    IncidentLevels,
    WorkflowRules,
    Clauses,
}

impl Family {
    pub const ALL: [Family; 13] = [
        Family::Roles,
        Family::Bodies,
        Family::Zones,
        Family::Axes,
        Family::DecisionRules,
        Family::HandlingRules,
        Family::ApprovalRules,
        Family::Obligations,
        Family::ZoneRules,
        Family::ExternalReports,
        Family::IncidentLevels,
        Family::WorkflowRules,
        Family::Clauses,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Family::Roles => "roles",
            Family::Bodies => "bodies",
            Family::Zones => "zones",
            Family::Axes => "axes",
            Family::DecisionRules => "decision_rules",
            Family::HandlingRules => "handling_rules",
            Family::ApprovalRules => "approval_rules",
            Family::Obligations => "obligations",
            Family::ZoneRules => "zone_rules",
            Family::ExternalReports => "external_reports",
            Family::IncidentLevels => "incident_levels",
            Family::WorkflowRules => "workflow_rules",
            Family::Clauses => "clauses",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Family::Roles => "役割と充て職",
            Family::Bodies => "実施機関",
            Family::Zones => "領域",
            Family::Axes => "分類と取扱制限",
            Family::DecisionRules => "判断規則",
            Family::HandlingRules => "取扱いの規則",
            Family::ApprovalRules => "許可・承認",
            Family::Obligations => "定例業務",
            Family::ZoneRules => "領域間の通信",
            Family::ExternalReports => "外部への報告",
            Family::IncidentLevels => "インシデントのレベルと報告先",
            Family::WorkflowRules => "ワークフロー（誰が行うか）",
            Family::Clauses => "条項目録",
        }
    }

    /// Families whose loss switches something off: a profile without them decides,
    /// routes or reminds nothing of that kind.
    pub fn is_rule_family(self) -> bool {
        !matches!(self, Family::Clauses | Family::Bodies)
    }
}

/// One item that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    /// The item's key (role id, rule id, `3A`, `mynumber → lgwan` …).
    pub key: String,
    /// A short Japanese description of the item.
    pub label: String,
    /// For a changed item: the fields that differ.
    pub fields: Vec<String>,
}

/// The differences within one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyDiff {
    pub family: Family,
    pub old_count: usize,
    pub new_count: usize,
    pub added: Vec<ItemChange>,
    pub removed: Vec<ItemChange>,
    pub changed: Vec<ItemChange>,
}

impl FamilyDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The whole family is gone.
    pub fn removes_family(&self) -> bool {
        self.old_count > 0 && self.new_count == 0
    }
}

/// The semantic difference of two profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDiff {
    pub families: Vec<FamilyDiff>,
}

impl ProfileDiff {
    pub fn is_empty(&self) -> bool {
        self.families.iter().all(FamilyDiff::is_empty)
    }

    /// The rule families the new version no longer has at all.
    pub fn removed_families(&self) -> Vec<Family> {
        self.families.iter().filter(|f| f.family.is_rule_family() && f.removes_family()).map(|f| f.family).collect()
    }

    pub fn family(&self, f: Family) -> Option<&FamilyDiff> {
        self.families.iter().find(|d| d.family == f)
    }
}

/// An item as compared: its key, label and every field as JSON.
struct Item {
    key: String,
    label: String,
    fields: BTreeMap<String, serde_json::Value>,
}

fn item<T: Serialize>(key: String, label: String, value: &T) -> Item {
    let fields = match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(m)) => m.into_iter().collect(),
        Ok(other) => BTreeMap::from([("value".to_owned(), other)]),
        Err(_) => BTreeMap::new(),
    };
    Item { key, label, fields }
}

fn compare(family: Family, old: Vec<Item>, new: Vec<Item>) -> FamilyDiff {
    let old_count = old.len();
    let new_count = new.len();
    let old: BTreeMap<String, Item> = old.into_iter().map(|i| (i.key.clone(), i)).collect();
    let new: BTreeMap<String, Item> = new.into_iter().map(|i| (i.key.clone(), i)).collect();
    let mut d = FamilyDiff { family, old_count, new_count, added: Vec::new(), removed: Vec::new(), changed: Vec::new() };
    for (k, n) in &new {
        match old.get(k) {
            None => d.added.push(ItemChange { key: k.clone(), label: n.label.clone(), fields: Vec::new() }),
            Some(o) => {
                let mut fields: Vec<String> =
                    o.fields.keys().chain(n.fields.keys()).filter(|f| o.fields.get(*f) != n.fields.get(*f)).cloned().collect();
                fields.sort();
                fields.dedup();
                if !fields.is_empty() {
                    d.changed.push(ItemChange { key: k.clone(), label: n.label.clone(), fields });
                }
            }
        }
    }
    for (k, o) in &old {
        if !new.contains_key(k) {
            d.removed.push(ItemChange { key: k.clone(), label: o.label.clone(), fields: Vec::new() });
        }
    }
    d
}

/// Keys that repeat within a family get `#2`, `#3` … so that no item hides another.
fn numbered(items: Vec<Item>) -> Vec<Item> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    items
        .into_iter()
        .map(|mut i| {
            let n = seen.entry(i.key.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                i.key = format!("{} #{n}", i.key);
            }
            i
        })
        .collect()
}

fn items(p: &Profile, family: Family) -> Vec<Item> {
    let v: Vec<Item> = match family {
        Family::Roles => p.roles.iter().map(|r| item(r.id.to_string(), format!("{}（{}）", r.name, r.posts.join("、")), r)).collect(),
        Family::Bodies => p.bodies.iter().map(|b| item(b.id.to_string(), b.name.clone(), b)).collect(),
        Family::Zones => p.zones.iter().map(|z| item(z.id.to_string(), z.name.clone(), z)).collect(),
        Family::Axes => p
            .axes
            .iter()
            .flat_map(|a| a.levels.iter().map(move |l| item(format!("{}:{}", a.id, l.id.get_ref()), l.name.clone(), l)))
            .collect(),
        Family::DecisionRules => p.decision_rules.iter().map(|r| item(r.id.to_string(), r.text.clone(), r)).collect(),
        Family::HandlingRules => p
            .handling_rules
            .iter()
            .map(|r| {
                item(
                    format!("{} {}≥{} {}", r.action.label_ja(), r.axis.get_ref(), r.min_level.get_ref(), r.clause.get_ref()),
                    r.text.clone(),
                    r,
                )
            })
            .collect(),
        Family::ApprovalRules => p.approval_rules.iter().map(|r| item(r.id.to_string(), r.action.clone(), r)).collect(),
        Family::Obligations => p.obligations.iter().map(|r| item(r.id.to_string(), r.name.clone(), r)).collect(),
        Family::ZoneRules => p
            .zone_rules
            .iter()
            .map(|r| item(format!("{} → {}", r.from.get_ref(), r.to.get_ref()), r.flow.label_ja().to_owned(), r))
            .collect(),
        Family::ExternalReports => {
            p.external_reports.iter().map(|r| item(r.id.to_string(), format!("{} {}", r.addressee, r.kind), r)).collect()
        }
        Family::IncidentLevels => {
            p.incident_levels.iter().map(|l| item(format!("レベル{}", l.level.get_ref()), l.name.clone(), l)).collect()
        }
        // Workflow rules are compared as they apply: a step left to the standard model is
        // still a rule, and the diff shows when it moves between the two.
        Family::WorkflowRules => Workflow::of(p)
            .rules()
            .iter()
            .map(|r| {
                let value = serde_json::json!({
                    "roles": r.roles,
                    "administrators": r.administrators,
                    "clause": r.clause,
                    "provenance": r.provenance,
                });
                item(r.step.id().to_owned(), r.step.label_ja().to_owned(), &value)
            })
            .collect(),
        Family::Clauses => p.clauses.iter().map(|c| item(c.id.get_ref().to_string(), c.text.chars().take(40).collect(), c)).collect(),
    };
    numbered(v)
}

/// The semantic difference from `old` to `new`.
pub fn diff(old: &Profile, new: &Profile) -> ProfileDiff {
    ProfileDiff { families: Family::ALL.iter().map(|&f| compare(f, items(old, f), items(new, f))).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled::bundled;

    fn shime() -> Profile {
        crate::parse_profile("shime.toml", bundled("shime").unwrap()).unwrap()
    }

    #[test]
    fn a_profile_equals_itself() {
        let p = shime();
        let d = diff(&p, &p);
        assert!(d.is_empty(), "{d:?}");
        assert!(d.removed_families().is_empty());
    }

    #[test]
    fn dropping_a_family_and_changing_a_post_are_shown() {
        let p = shime();
        let mut q = p.clone();
        q.decision_rules.clear();
        q.roles[0].posts = vec!["町長".into()];
        let d = diff(&p, &q);
        assert_eq!(d.removed_families(), vec![Family::DecisionRules]);
        let dr = d.family(Family::DecisionRules).unwrap();
        assert_eq!(dr.removed.len(), p.decision_rules.len());
        let roles = d.family(Family::Roles).unwrap();
        assert_eq!(roles.changed.len(), 1);
        assert_eq!(roles.changed[0].key, "ciso");
        assert_eq!(roles.changed[0].fields, ["posts"]);
    }
}
