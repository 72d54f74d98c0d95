//! The standard model: the MIC guideline's model 対策基準, which every bundled profile cites
//! as `標準対策基準…` where the body's own text is silent.
//!
//! 志免町's published 対策基準 follows the model text closely, so the model's clause
//! catalogue is 志免町's 対策基準 clauses under the prefix `標準対策基準` (the numbering the
//! bundled profiles already cite). It is read once from the embedded profile, without
//! validating it (validation itself consults this catalogue).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::profile::Force;
use crate::workflow::STANDARD_PREFIX;

/// One clause of the model text.
#[derive(Debug, Clone)]
pub struct ModelClause {
    /// `標準対策基準5.3(3)①`.
    pub id: String,
    /// The number alone: `5.3(3)①`.
    pub number: String,
    pub title: Option<String>,
    pub text: String,
    pub force: Force,
    /// The standard role id that the duty falls on, if any.
    pub role: Option<String>,
}

#[derive(Deserialize)]
struct ClausesOnly {
    #[serde(default)]
    clauses: Vec<RawClause>,
}

#[derive(Deserialize)]
struct RawClause {
    id: String,
    #[serde(default)]
    title: Option<String>,
    text: String,
    force: Force,
    #[serde(default)]
    role: Option<String>,
}

/// The model's prefix in 志免町's profile.
const SOURCE_PREFIX: &str = "対策基準";

/// The model text's clauses, in document order.
pub fn clauses() -> &'static [ModelClause] {
    &model().0
}

/// One clause of the model by its full id (`標準対策基準5.3(3)①`).
pub fn clause(id: &str) -> Option<&'static ModelClause> {
    let m = model();
    m.1.get(id).map(|&i| &m.0[i])
}

/// Whether `id` is a clause of the model text.
pub fn contains(id: &str) -> bool {
    model().1.contains_key(id)
}

type Model = (Vec<ModelClause>, HashMap<String, usize>);

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let text = crate::bundled::bundled("shime").expect("志免町's profile is bundled");
        // The bundled profile is checked by the test suite; a failure here is a build error.
        let raw: ClausesOnly = toml::from_str(text).expect("the bundled 志免町 profile parses");
        let mut out = Vec::new();
        for c in raw.clauses {
            if let Some(number) = c.id.strip_prefix(SOURCE_PREFIX) {
                out.push(ModelClause {
                    id: format!("{STANDARD_PREFIX}{number}"),
                    number: number.to_owned(),
                    title: c.title,
                    text: c.text,
                    force: c.force,
                    role: c.role,
                });
            }
        }
        let index = out.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        (out, index)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_has_the_clauses_the_standard_rules_cite() {
        assert!(clauses().len() > 500, "{}", clauses().len());
        let c = clause("標準対策基準5.3(3)①").expect("triage clause");
        assert!(c.text.contains("CSIRT"));
        for r in crate::workflow::STANDARD {
            let id = format!("{STANDARD_PREFIX}{}", r.clause);
            assert!(contains(&id), "standard rule for {} cites {id}, which the model lacks", r.step);
        }
    }
}
