//! The standard model's executable rules, re-cited to a body's own clauses.
//!
//! A profile runs on its rule families (decision, handling, approval, obligation, zone,
//! external report, incident level, workflow). A compiler that only reads the text cannot
//! write them all, but the text does not need to say them: most bodies adopt the MIC model
//! text, and mamori holds the model's rules (the ones 志免町's bundled profile encodes for the
//! model clauses its 対策基準 keeps word for word, [`mamori_policy::standard`]). Each rule is
//! emitted here:
//! - citing the body's clause aligned to the rule's model clause, `provenance = "document"`,
//!   with the body's wording as the rule's text and the body's approver where it names one;
//! - else citing the model clause itself, `provenance = "standard"` (the body is silent, and
//!   the standard applies until it says otherwise);
//! - or not at all, when it needs a zone or a classification level the body does not have (a
//!   rule about the My Number zone means nothing to a body without one).
//!
//! Workflow rules the body is silent on are left out: the loader applies the standard ones.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use toml::{Table, Value};

use crate::align::Alignments;
use crate::draft::{IncidentOut, DOCUMENT, STANDARD};

/// What the body's draft defines, that rules may name.
pub(crate) struct Vocabulary {
    /// The body's zones: id and whether media export is blocked there.
    pub zones: Vec<(String, bool)>,
    /// Axis id → level ids.
    pub levels: Vec<(String, Vec<String>)>,
}

impl Vocabulary {
    /// The body's zone for a model zone id: the same id, or else the one body zone with no
    /// model id that is as closed as the model's (a body's own name for its My Number
    /// zone, like a 介護認定事務系 that blocks media export).
    fn zone(&self, model_id: &str) -> Option<String> {
        if self.zones.iter().any(|(id, _)| id == model_id) {
            return Some(model_id.to_owned());
        }
        let model = model_zones();
        let blocks = model.iter().find(|(id, _)| id == model_id)?.1;
        let mut own = self.zones.iter().filter(|(id, b)| *b == blocks && !model.iter().any(|(m, _)| m == id));
        match (own.next(), own.next()) {
            (Some((id, _)), None) => Some(id.clone()),
            _ => None,
        }
    }

    /// A rule's zone list in the body's ids, without zones the body lacks; None if none is left.
    fn zones_of(&self, v: Option<&Value>) -> Option<Vec<String>> {
        let mapped: Vec<String> = strings(v).iter().filter_map(|z| self.zone(z)).collect();
        (!mapped.is_empty()).then_some(mapped)
    }

    fn has_level(&self, axis: &str, level: &str) -> bool {
        self.levels.iter().any(|(a, ls)| a == axis && ls.iter().any(|l| l == level))
    }

    fn has_axis(&self, axis: &str) -> bool {
        self.levels.iter().any(|(a, _)| a == axis)
    }
}

/// An incident level of the model, for a body whose text has no level table.
pub(crate) struct ModelLevel {
    level: u32,
    name: String,
    criteria: String,
    report_to: Vec<String>,
    clause: String,
    provenance: &'static str,
}

impl ModelLevel {
    pub(crate) fn into_out(self) -> IncidentOut {
        IncidentOut {
            level: self.level,
            name: self.name,
            criteria: self.criteria,
            report_to: self.report_to,
            clause: self.clause,
            provenance: self.provenance,
        }
    }
}

/// The model's rules for one draft.
#[derive(Default)]
pub(crate) struct ModelRules {
    pub approval_rules: Vec<Table>,
    pub decision_rules: Vec<Table>,
    pub handling_rules: Vec<Table>,
    pub obligations: Vec<Table>,
    pub zone_rules: Vec<Table>,
    pub external_reports: Vec<Table>,
    pub workflow_rules: Vec<Table>,
    pub incident_levels: Vec<ModelLevel>,
    pub incident_response: Option<Table>,
}

/// The model's clause prefix in 志免町's profile, whose rules are the model's.
const SOURCE_PREFIX: &str = "対策基準";

/// Role fields that must name a role for the rule to run: the draft gains the standard role
/// when the body names none. (Workflow rules' roles are only kept where the draft has them.)
const REQUIRED_ROLE_FIELDS: [(&str, &str); 7] = [
    ("approval_rules", "approver"),
    ("handling_rules", "approver"),
    ("obligations", "responsible"),
    ("obligations", "report_to"),
    ("external_reports", "responsible"),
    ("decision_rules", "subject_roles"),
    ("incident_response", "contact_point"),
];

/// 志免町's bundled profile as a TOML table, read once (the test suite checks it loads).
fn model_source() -> Option<&'static Table> {
    static SOURCE: OnceLock<Option<Table>> = OnceLock::new();
    SOURCE.get_or_init(|| mamori_policy::bundled::bundled("shime").and_then(|text| text.parse::<Table>().ok())).as_ref()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The model's zones: id and whether media export is blocked there.
fn model_zones() -> Vec<(String, bool)> {
    let zones = model_source().and_then(|s| s.get("zones")).and_then(Value::as_array);
    zones
        .into_iter()
        .flatten()
        .filter_map(|z| {
            let id = z.get("id")?.as_str()?.to_owned();
            Some((id, z.get("blocks_media_export").and_then(Value::as_bool).unwrap_or(false)))
        })
        .collect()
}

/// The model's clause a rule of 志免町's profile cites (`対策基準2(1)` → `標準対策基準2(1)`),
/// re-cited to the body's aligned clause (document) or kept as the model's (standard). None
/// when the rule cites no model clause.
fn recite(t: &mut Table, alignments: &Alignments, cited: &dyn Fn(&str) -> bool) -> Option<Option<String>> {
    let clause = t.get("clause")?.as_str()?.to_owned();
    let number = clause.strip_prefix(SOURCE_PREFIX)?;
    let model = format!("{}{number}", mamori_policy::workflow::STANDARD_PREFIX);
    if !mamori_policy::standard::contains(&model) {
        return None;
    }
    match alignments.body_clause(&model).filter(|a| cited(&a.clause)) {
        Some(a) => {
            t.insert("clause".into(), Value::String(a.clause.clone()));
            t.insert("provenance".into(), Value::String(DOCUMENT.into()));
            Some(Some(a.clause.clone()))
        }
        None => {
            t.insert("clause".into(), Value::String(model));
            t.insert("provenance".into(), Value::String(STANDARD.into()));
            Some(None)
        }
    }
}

/// The model's classification (機密性 3A–1, 完全性 2–1, 可用性 2–1) with its restrictions, for
/// a body whose text has no classification table of its own.
pub(crate) fn model_axes(alignments: &Alignments, cited: &dyn Fn(&str) -> bool) -> Vec<Table> {
    let Some(source) = model_source() else { return Vec::new() };
    let mut out = Vec::new();
    for axis in source.get("axes").and_then(Value::as_array).into_iter().flatten() {
        let Some(mut axis) = axis.as_table().cloned() else { continue };
        if recite(&mut axis, alignments, cited).is_none() {
            continue;
        }
        if let Some(Value::Array(levels)) = axis.get_mut("levels") {
            for level in levels.iter_mut().filter_map(Value::as_table_mut) {
                if let Some(Value::Array(restrictions)) = level.get_mut("restrictions") {
                    restrictions.retain_mut(|r| r.as_table_mut().is_some_and(|r| recite(r, alignments, cited).is_some()));
                }
            }
        }
        out.push(axis);
    }
    out
}

impl ModelRules {
    /// The model's rules, re-cited through `alignments`. `cited` says whether a body clause
    /// id is in the draft's catalogue, `text_of` gives its wording and `approver_of` the
    /// approver the compiler read in it.
    pub(crate) fn emit(
        alignments: &Alignments,
        vocabulary: &Vocabulary,
        cited: &dyn Fn(&str) -> bool,
        text_of: &dyn Fn(&str) -> Option<String>,
        approver_of: &dyn Fn(&str) -> Option<String>,
    ) -> ModelRules {
        let mut out = ModelRules::default();
        let Some(source) = model_source() else { return out };
        let recite = |t: &mut Table| recite(t, alignments, cited);
        let family = |name: &str| -> Vec<Table> {
            source.get(name).and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_table().cloned()).collect()).unwrap_or_default()
        };

        for mut t in family("approval_rules") {
            if let Some(body) = recite(&mut t) {
                if let Some(approver) = body.as_deref().and_then(approver_of) {
                    t.insert("approver".into(), Value::String(approver));
                }
                out.approval_rules.push(t);
            }
        }
        let approvals: BTreeSet<String> =
            out.approval_rules.iter().filter_map(|t| t.get("id").and_then(Value::as_str).map(str::to_owned)).collect();

        for mut t in family("decision_rules") {
            let zones_known = match t.get("zones") {
                None => true,
                Some(v) => match vocabulary.zones_of(Some(v)) {
                    Some(mapped) => {
                        t.insert("zones".into(), Value::Array(mapped.into_iter().map(Value::String).collect()));
                        true
                    }
                    None => false,
                },
            };
            let classes_known = t.get("classes").and_then(Value::as_array).is_none_or(|cs| {
                cs.iter().filter_map(Value::as_table).all(|c| {
                    let axis = c.get("axis").and_then(Value::as_str).unwrap_or_default();
                    vocabulary.has_axis(axis)
                        && ["min", "max"].iter().all(|k| c.get(*k).and_then(Value::as_str).is_none_or(|l| vocabulary.has_level(axis, l)))
                })
            });
            let approval_known = t.get("approval").and_then(Value::as_str).is_none_or(|a| approvals.contains(a));
            if !(zones_known && classes_known && approval_known) {
                continue;
            }
            if let Some(body) = recite(&mut t) {
                reword(&mut t, body.as_deref(), text_of);
                out.decision_rules.push(t);
            }
        }
        for mut t in family("handling_rules") {
            let axis = t.get("axis").and_then(Value::as_str).unwrap_or_default().to_owned();
            let level_known = t.get("min_level").and_then(Value::as_str).is_none_or(|l| vocabulary.has_level(&axis, l));
            if !(vocabulary.has_axis(&axis) && level_known) {
                continue;
            }
            if let Some(body) = recite(&mut t) {
                if let Some(approver) = body.as_deref().and_then(approver_of) {
                    if t.contains_key("approver") {
                        t.insert("approver".into(), Value::String(approver));
                    }
                }
                reword(&mut t, body.as_deref(), text_of);
                out.handling_rules.push(t);
            }
        }
        for mut t in family("obligations") {
            if recite(&mut t).is_some() {
                out.obligations.push(t);
            }
        }
        for mut t in family("zone_rules") {
            let mut known = true;
            for key in ["from", "to"] {
                match t.get(key).and_then(Value::as_str).and_then(|z| vocabulary.zone(z)) {
                    Some(z) => {
                        t.insert(key.into(), Value::String(z));
                    }
                    None => known = false,
                }
            }
            if known && recite(&mut t).is_some() {
                out.zone_rules.push(t);
            }
        }
        for mut t in family("external_reports") {
            if recite(&mut t).is_some() {
                out.external_reports.push(t);
            }
        }
        for mut t in family("workflow_rules") {
            // Only where the body says it: elsewhere the loader's standard rule applies.
            if let Some(Some(body)) = recite(&mut t) {
                reword(&mut t, Some(&body), text_of);
                out.workflow_rules.push(t);
            }
        }
        for mut t in family("incident_levels") {
            if recite(&mut t).is_some() {
                let provenance = if t.get("provenance").and_then(Value::as_str) == Some(DOCUMENT) { DOCUMENT } else { STANDARD };
                out.incident_levels.push(ModelLevel {
                    level: t.get("level").and_then(Value::as_integer).and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
                    name: t.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    criteria: t.get("criteria").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    report_to: strings(t.get("report_to")),
                    clause: t.get("clause").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    provenance,
                });
            }
        }
        if let Some(mut t) = source.get("incident_response").and_then(Value::as_table).cloned() {
            if recite(&mut t).is_some() {
                out.incident_response = Some(t);
            }
        }
        out
    }

    /// Every role a rule needs someone to hold.
    pub(crate) fn needed_roles(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (family, field) in REQUIRED_ROLE_FIELDS {
            for t in self.family(family) {
                out.extend(strings(t.get(field)));
            }
        }
        for l in &self.incident_levels {
            out.extend(l.report_to.iter().cloned());
        }
        out
    }

    fn family(&self, name: &str) -> Vec<&Table> {
        match name {
            "approval_rules" => self.approval_rules.iter().collect(),
            "handling_rules" => self.handling_rules.iter().collect(),
            "obligations" => self.obligations.iter().collect(),
            "external_reports" => self.external_reports.iter().collect(),
            "decision_rules" => self.decision_rules.iter().collect(),
            "incident_response" => self.incident_response.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Drops what names a role the draft lacks: such a workflow rule's role (the rule itself
    /// when none is left and administrators may not do it) and any other rule.
    pub(crate) fn keep_roles(&mut self, roles: &[String]) {
        let known = |t: &Table, field: &str| strings(t.get(field)).iter().all(|r| roles.contains(r));
        self.approval_rules.retain(|t| known(t, "approver"));
        let approvals: BTreeSet<String> =
            self.approval_rules.iter().filter_map(|t| t.get("id").and_then(Value::as_str).map(str::to_owned)).collect();
        self.decision_rules
            .retain(|t| known(t, "subject_roles") && t.get("approval").and_then(Value::as_str).is_none_or(|a| approvals.contains(a)));
        self.handling_rules.retain(|t| known(t, "approver"));
        self.obligations.retain(|t| known(t, "responsible") && known(t, "report_to"));
        self.external_reports.retain(|t| known(t, "responsible"));
        if self.incident_response.as_ref().is_some_and(|t| !known(t, "contact_point")) {
            self.incident_response = None;
        }
        for l in &mut self.incident_levels {
            l.report_to.retain(|r| roles.contains(r));
        }
        self.incident_levels.retain(|l| !l.report_to.is_empty());
        self.workflow_rules.retain_mut(|t| {
            let kept: Vec<Value> = strings(t.get("roles")).into_iter().filter(|r| roles.contains(r)).map(Value::String).collect();
            let had_roles = t.contains_key("roles");
            let administrators = t.get("administrators").and_then(Value::as_bool).unwrap_or(false);
            if had_roles {
                if kept.is_empty() && !administrators {
                    return false;
                }
                t.insert("roles".into(), Value::Array(kept));
            }
            true
        });
    }
}

/// A rule that cites the body's clause says it in the body's words.
fn reword(t: &mut Table, body: Option<&str>, text_of: &dyn Fn(&str) -> Option<String>) {
    if let Some(text) = body.and_then(text_of) {
        if t.contains_key("text") {
            t.insert("text".into(), Value::String(text));
        }
    }
}
