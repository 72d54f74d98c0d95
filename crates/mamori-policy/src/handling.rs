//! What follows from a classification: the handling restrictions (取扱制限) that apply to an
//! information asset, each with the clause it comes from.

use crate::profile::{Axis, Level, LifecycleAction, Profile, Provenance};

/// Where an applied restriction was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestrictionSource {
    /// The level's own row of the classification table.
    LevelTable,
    /// A lifecycle rule that applies from some level upwards ("機密性2以上 …").
    Rule { action: LifecycleAction, min_level: String, approver: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRestriction {
    pub axis: String,
    pub axis_name: String,
    pub level: String,
    pub text: String,
    pub clause: String,
    pub provenance: Provenance,
    pub source: RestrictionSource,
}

impl Profile {
    pub fn axis(&self, id: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.id.as_str() == id)
    }

    pub fn role(&self, id: &str) -> Option<&crate::profile::Role> {
        self.roles.iter().find(|r| r.id.as_str() == id)
    }

    pub fn zone(&self, id: &str) -> Option<&crate::profile::Zone> {
        self.zones.iter().find(|z| z.id.as_str() == id)
    }

    pub fn clause(&self, id: &str) -> Option<&crate::profile::Clause> {
        self.clauses.iter().find(|c| c.id.get_ref().as_str() == id)
    }

    /// The restrictions that apply to an asset classified `classes` (axis id, level id).
    /// Unknown axes or levels contribute nothing: the caller validates classes on input.
    pub fn restrictions_for(&self, classes: &[(&str, &str)]) -> Vec<AppliedRestriction> {
        let mut out = Vec::new();
        for &(axis_id, level_id) in classes {
            let Some(axis) = self.axis(axis_id) else { continue };
            let Some(level) = axis.level(level_id) else { continue };
            for r in &level.restrictions {
                out.push(AppliedRestriction {
                    axis: axis_id.to_owned(),
                    axis_name: axis.name.clone(),
                    level: level_id.to_owned(),
                    text: r.text.clone(),
                    clause: r.clause.get_ref().to_string(),
                    provenance: r.provenance,
                    source: RestrictionSource::LevelTable,
                });
            }
            for rule in self.handling_rules.iter().filter(|h| h.axis.get_ref().as_str() == axis_id) {
                let Some(min) = axis.level(rule.min_level.get_ref()) else { continue };
                if level.rank.get_ref() >= min.rank.get_ref() {
                    out.push(AppliedRestriction {
                        axis: axis_id.to_owned(),
                        axis_name: axis.name.clone(),
                        level: level_id.to_owned(),
                        text: rule.text.clone(),
                        clause: rule.clause.get_ref().to_string(),
                        provenance: rule.provenance,
                        source: RestrictionSource::Rule {
                            action: rule.action,
                            min_level: rule.min_level.get_ref().clone(),
                            approver: rule.approver.as_ref().map(|a| a.get_ref().to_string()),
                        },
                    });
                }
            }
        }
        out
    }
}

impl Axis {
    pub fn level(&self, id: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.id.get_ref() == id)
    }

    /// Levels from the strictest down.
    pub fn levels_by_rank(&self) -> Vec<&Level> {
        let mut v: Vec<&Level> = self.levels.iter().collect();
        v.sort_by(|a, b| b.rank.get_ref().cmp(a.rank.get_ref()));
        v
    }

    /// The stricter of two level ids (for media holding mixed classes, and for a system's
    /// classes from the assets it holds).
    pub fn stricter<'a>(&self, a: &'a str, b: &'a str) -> &'a str {
        let rank = |id: &str| self.level(id).map(|l| *l.rank.get_ref()).unwrap_or(0);
        if rank(b) > rank(a) {
            b
        } else {
            a
        }
    }
}
