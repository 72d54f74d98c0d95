//! Measuring the compiler against hand-written gold files: precision and recall per category.
//!
//! A gold file (TOML) states what a careful reader finds in one source document: its clause
//! ids with force and responsible role, the roles and their posts, zones, bodies, definitions
//! and the incident level table. See `tests/gold/*.toml`.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;

use crate::{Compilation, Force};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gold {
    /// The source file's name (as in `tests/seeds/`).
    pub file: String,
    #[serde(default)]
    pub zones: Vec<String>,
    #[serde(default)]
    pub bodies: Vec<String>,
    #[serde(default)]
    pub definitions: Vec<String>,
    #[serde(default)]
    pub roles: Vec<GoldRole>,
    #[serde(default)]
    pub incident_levels: Vec<GoldIncidentLevel>,
    #[serde(default)]
    pub clauses: Vec<GoldClause>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldRole {
    pub id: String,
    #[serde(default)]
    pub posts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldIncidentLevel {
    pub level: u32,
    pub report_to: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldClause {
    pub id: String,
    pub force: Force,
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("正解ファイル {file} が読めません: {message}")]
pub struct GoldError {
    pub file: String,
    pub message: String,
}

pub fn parse_gold(file: &str, text: &str) -> Result<Gold, GoldError> {
    toml::from_str(text).map_err(|e| GoldError { file: file.to_owned(), message: e.message().to_owned() })
}

/// The score of one category.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub category: &'static str,
    pub label_ja: &'static str,
    pub expected: usize,
    pub predicted: usize,
    pub correct: usize,
    /// What the gold has and the compiler missed, and what the compiler found that the gold
    /// does not have (for the report of a failing test).
    pub missed: Vec<String>,
    pub extra: Vec<String>,
}

impl Score {
    fn of(category: &'static str, label_ja: &'static str, gold: BTreeSet<String>, got: BTreeSet<String>) -> Self {
        let correct = gold.intersection(&got).count();
        Score {
            category,
            label_ja,
            expected: gold.len(),
            predicted: got.len(),
            correct,
            missed: gold.difference(&got).cloned().collect(),
            extra: got.difference(&gold).cloned().collect(),
        }
    }

    /// 1.0 when nothing was predicted and nothing expected.
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            return if self.expected == 0 { 1.0 } else { 0.0 };
        }
        self.correct as f64 / self.predicted as f64
    }

    pub fn recall(&self) -> f64 {
        if self.expected == 0 {
            return if self.predicted == 0 { 1.0 } else { 0.0 };
        }
        self.correct as f64 / self.expected as f64
    }
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub file: String,
    pub scores: Vec<Score>,
}

impl Evaluation {
    pub fn score(&self, category: &str) -> Option<&Score> {
        self.scores.iter().find(|s| s.category == category)
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.file)?;
        writeln!(f, "  {:<14} {:>6} {:>6} {:>6} {:>9} {:>9}", "category", "gold", "found", "match", "precision", "recall")?;
        for s in &self.scores {
            writeln!(
                f,
                "  {:<14} {:>6} {:>6} {:>6} {:>9.3} {:>9.3}  {}",
                s.category,
                s.expected,
                s.predicted,
                s.correct,
                s.precision(),
                s.recall(),
                s.label_ja
            )?;
        }
        Ok(())
    }
}

fn force_id(f: Force) -> &'static str {
    match f {
        Force::Mandatory => "mandatory",
        Force::Prohibited => "prohibited",
        Force::BestEffort => "best_effort",
        Force::Recommended => "recommended",
        Force::Permitted => "permitted",
        Force::Structural => "structural",
    }
}

/// Names compared without the spaces extraction scatters (`LGWAN 接続系`) and with
/// parentheses of either width.
fn compact(s: &str) -> String {
    crate::text::norm(s)
}

/// Compares a compilation with its gold file.
pub fn evaluate(c: &Compilation, gold: &Gold) -> Evaluation {
    let set = |it: &mut dyn Iterator<Item = String>| it.collect::<BTreeSet<String>>();
    let ours: Vec<&crate::Clause> = c.catalogue().collect();
    let duty = |f: Force| f != Force::Structural;
    let scores = vec![
        Score::of("clause_ids", "条項ID", set(&mut gold.clauses.iter().map(|g| g.id.clone())), set(&mut ours.iter().map(|o| o.id.clone()))),
        Score::of(
            "forces",
            "全条項の区分",
            set(&mut gold.clauses.iter().map(|g| format!("{} {}", g.id, force_id(g.force)))),
            set(&mut ours.iter().map(|o| format!("{} {}", o.id, force_id(o.force)))),
        ),
        Score::of(
            "duties",
            "義務・禁止・努力義務・推奨・許容（区分つき）",
            set(&mut gold.clauses.iter().filter(|g| duty(g.force)).map(|g| format!("{} {}", g.id, force_id(g.force)))),
            set(&mut ours.iter().filter(|o| duty(o.force)).map(|o| format!("{} {}", o.id, force_id(o.force)))),
        ),
        Score::of(
            "duty_roles",
            "義務等の主体（役割）",
            set(&mut gold.clauses.iter().filter(|g| duty(g.force)).filter_map(|g| g.role.as_ref().map(|r| format!("{} {r}", g.id)))),
            set(&mut ours.iter().filter(|o| duty(o.force)).filter_map(|o| o.role.as_ref().map(|r| format!("{} {r}", o.id)))),
        ),
        Score::of("roles", "役割", set(&mut gold.roles.iter().map(|r| r.id.clone())), set(&mut c.roles.iter().map(|r| r.id.clone()))),
        Score::of(
            "role_posts",
            "役割に充てる職",
            set(&mut gold.roles.iter().flat_map(|r| r.posts.iter().map(move |p| format!("{} {p}", r.id)))),
            set(&mut c.roles.iter().flat_map(|r| r.posts.iter().map(move |p| format!("{} {p}", r.id)))),
        ),
        Score::of("zones", "領域", set(&mut gold.zones.iter().map(|z| compact(z))), set(&mut c.zones.iter().map(|z| compact(&z.name)))),
        Score::of("bodies", "実施機関", set(&mut gold.bodies.iter().cloned()), set(&mut c.bodies.iter().map(|b| b.name.clone()))),
        Score::of(
            "definitions",
            "定義語",
            set(&mut gold.definitions.iter().map(|d| compact(d))),
            set(&mut c.definitions.iter().map(|d| compact(&d.term))),
        ),
        Score::of(
            "incident",
            "インシデントのレベルと報告先",
            set(&mut gold.incident_levels.iter().map(|l| format!("{} {}", l.level, l.report_to.join(",")))),
            set(&mut c.incident_levels.iter().map(|l| format!("{} {}", l.level, l.report_to.join(",")))),
        ),
    ];
    Evaluation { file: gold.file.clone(), scores }
}
