//! The draft profile: what the compiler found, in the profile format, for a person to review.
//!
//! Written through serde structs that mirror the format's field names, then checked by
//! `mamori_policy::parse_profile` itself, so "the loader accepts it" is tested, not assumed.
//! Only what the document states is `provenance = "document"`; roles a document does not set
//! up (a 基本方針 alone) are the standard set, `provenance = "standard"`.

use serde::Serialize;

use crate::glossary::{role as role_term, STANDARD_ROLE_IDS};
use crate::model_rules::Vocabulary;
use crate::{Compilation, Force};

#[derive(Debug, Clone, thiserror::Error)]
#[error("下書きのプロファイルが読み込めません:\n{0}")]
pub struct DraftError(pub mamori_policy::ProfileErrors);

#[derive(Serialize)]
struct Draft {
    profile: Meta,
    organization: Org,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bodies: Vec<BodyOut>,
    documents: Vec<DocOut>,
    roles: Vec<RoleOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    axes: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    zones: Vec<ZoneOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    incident_levels: Vec<IncidentOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    incident_response: Option<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    approval_rules: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    decision_rules: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    handling_rules: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    obligations: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    zone_rules: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_reports: Vec<toml::Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    workflow_rules: Vec<toml::Table>,
    clauses: Vec<ClauseOut>,
}

#[derive(Serialize)]
struct Meta {
    format: u32,
    id: String,
    edition: String,
    effective: String,
    source: String,
}

#[derive(Serialize)]
struct Org {
    name: String,
    kind: String,
    prefecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    self_name: Option<String>,
}

#[derive(Serialize)]
struct BodyOut {
    id: String,
    name: String,
    clause: String,
    provenance: &'static str,
}

#[derive(Serialize)]
struct DocOut {
    prefix: String,
    title: String,
    public: bool,
}

#[derive(Serialize)]
struct RoleOut {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    abbreviation: Option<String>,
    scope: mamori_policy::RoleScope,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    posts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deputy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reports_to: Option<String>,
    requires_mfa: bool,
    clause: String,
    provenance: &'static str,
}

#[derive(Serialize)]
struct AxisOut {
    id: String,
    name: String,
    clause: String,
    provenance: &'static str,
    levels: Vec<LevelOut>,
}

#[derive(Serialize)]
struct LevelOut {
    id: String,
    name: String,
    rank: u32,
    criteria: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    restrictions: Vec<RestrictionOut>,
}

#[derive(Serialize)]
struct RestrictionOut {
    text: String,
    clause: String,
    provenance: &'static str,
}

#[derive(Serialize)]
struct ZoneOut {
    id: String,
    name: String,
    description: String,
    requires_mfa: bool,
    blocks_media_export: bool,
    clause: String,
    provenance: &'static str,
}

#[derive(Serialize)]
pub(crate) struct IncidentOut {
    pub(crate) level: u32,
    pub(crate) name: String,
    pub(crate) criteria: String,
    pub(crate) report_to: Vec<String>,
    pub(crate) clause: String,
    pub(crate) provenance: &'static str,
}

#[derive(Serialize)]
struct ApprovalOut {
    id: String,
    action: String,
    approver: String,
    clause: String,
    provenance: &'static str,
}

#[derive(Serialize)]
struct ClauseOut {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    text: String,
    force: Force,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    provenance: &'static str,
}

pub(crate) const DOCUMENT: &str = "document";
pub(crate) const STANDARD: &str = "standard";

fn profile_id(file: &str) -> String {
    let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = stem.split('.').next().unwrap_or(stem);
    match mamori_policy::Symbol::parse(stem) {
        Ok(s) => s.to_string(),
        Err(_) => "draft".to_owned(),
    }
}

fn draft(c: &Compilation) -> Draft {
    let m = &c.metadata;
    // Only ids the loader reads as clauses of one of the documents (a damaged input can make
    // others); the report still lists every clause.
    let catalogue: Vec<&crate::Clause> = c
        .catalogue()
        .filter(|cl| mamori_policy::ClauseId::parse(&cl.id).is_ok_and(|id| c.documents.iter().any(|d| d.prefix == id.document())))
        .collect();
    let cited = |id: &str| catalogue.iter().any(|cl| cl.id == id);
    let mut roles: Vec<RoleOut> = c
        .roles
        .iter()
        .filter(|r| cited(&r.clause))
        .map(|r| {
            let term = role_term(&r.id);
            RoleOut {
                id: r.id.clone(),
                name: r.name.clone(),
                abbreviation: term.and_then(|t| t.abbreviation).map(str::to_owned),
                scope: term.map(|t| t.scope).unwrap_or(mamori_policy::RoleScope::Organization),
                posts: r.posts.clone(),
                notes: r.notes.clone(),
                deputy: r.deputy.clone(),
                reports_to: r.reports_to.clone(),
                requires_mfa: term.is_some_and(|t| t.requires_mfa),
                clause: r.clause.clone(),
                provenance: DOCUMENT,
            }
        })
        .collect();
    if roles.is_empty() {
        // The document sets up no organization (a 基本方針 alone): the standard one, marked so.
        let ids: Vec<String> = STANDARD_ROLE_IDS.iter().map(|id| (*id).to_owned()).collect();
        for id in STANDARD_ROLE_IDS {
            let note = "本文に役割の定めがないため標準の体制を仮に置いた。役職への割当ては運用時に設定する".to_owned();
            let mut r = standard_role(id, note, &ids).expect("standard roles are in the glossary");
            r.deputy = (id == "ciso").then(|| "security_director".to_owned());
            roles.push(r);
        }
    }
    let own_axes: Vec<AxisOut> = c
        .axes
        .iter()
        .filter(|a| cited(&a.clause))
        .map(|a| AxisOut {
            id: a.id.clone(),
            name: a.name.clone(),
            clause: a.clause.clone(),
            provenance: DOCUMENT,
            levels: a
                .levels
                .iter()
                .map(|l| LevelOut {
                    id: l.id.clone(),
                    name: l.name.clone(),
                    rank: l.rank,
                    criteria: l.criteria.clone(),
                    restrictions: l
                        .restrictions
                        .iter()
                        .map(|r| RestrictionOut { text: r.clone(), clause: a.clause.clone(), provenance: DOCUMENT })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let zones: Vec<ZoneOut> = c
        .zones
        .iter()
        .filter(|z| cited(&z.clause))
        .map(|z| ZoneOut {
            id: z.id.clone(),
            name: z.name.clone(),
            description: z.description.clone(),
            requires_mfa: z.requires_mfa,
            blocks_media_export: z.blocks_media_export,
            clause: z.clause.clone(),
            provenance: DOCUMENT,
        })
        .collect();
    let alignments = c.align();
    // A text without a classification table of its own gets the model's, marked standard.
    let axes: Vec<toml::Table> = if own_axes.is_empty() {
        crate::model_rules::model_axes(alignments, &cited)
    } else {
        own_axes.iter().filter_map(|a| toml::Table::try_from(a).ok()).collect()
    };
    let level_ids = |a: &toml::Table| -> Vec<String> {
        let levels = a.get("levels").and_then(|v| v.as_array());
        levels.into_iter().flatten().filter_map(|l| l.get("id").and_then(|v| v.as_str()).map(str::to_owned)).collect()
    };
    let vocabulary = Vocabulary {
        zones: zones.iter().map(|z| (z.id.clone(), z.blocks_media_export)).collect(),
        levels: axes.iter().filter_map(|a| Some((a.get("id")?.as_str()?.to_owned(), level_ids(a)))).collect(),
    };
    let text_of = |id: &str| catalogue.iter().find(|cl| cl.id == id).map(|cl| cl.text.clone()).filter(|t| !t.is_empty());
    let approver_of = |id: &str| catalogue.iter().find(|cl| cl.id == id).and_then(|cl| cl.approver.clone());
    let mut model = crate::model_rules::ModelRules::emit(alignments, &vocabulary, &cited, &text_of, &approver_of);
    for role in model.needed_roles() {
        if !roles.iter().any(|r| r.id == role) {
            let present: Vec<String> = roles.iter().map(|r| r.id.clone()).collect();
            let note = "本文に定めがないため標準対策基準の役割を仮に置いた（標準の規則がこの役割を指定している）。本文の役割が行うなら acts_as で示し、規則の役割を書き換えること".to_owned();
            if let Some(r) = standard_role(&role, note, &present) {
                roles.push(r);
            }
        }
    }
    complete_roles(&mut roles);
    let role_ids: Vec<String> = roles.iter().map(|r| r.id.clone()).collect();
    model.keep_roles(&role_ids);
    let known_role = |r: &Option<String>| r.clone().filter(|r| role_ids.contains(r));
    let clauses: Vec<ClauseOut> = catalogue
        .iter()
        .map(|cl| ClauseOut {
            id: cl.id.clone(),
            title: cl.title.clone(),
            text: if cl.text.is_empty() { cl.title.clone().unwrap_or_default() } else { cl.text.clone() },
            force: cl.force,
            role: known_role(&cl.role),
            provenance: DOCUMENT,
        })
        .collect();
    let own_approvals: Vec<ApprovalOut> = catalogue
        .iter()
        .filter_map(|cl| {
            let approver = known_role(&cl.approver)?;
            Some((cl, approver))
        })
        .enumerate()
        .map(|(k, (cl, approver))| ApprovalOut {
            id: format!("approval_{}", k + 1),
            action: cl.condition.clone().or_else(|| cl.action.clone()).unwrap_or_else(|| cl.text.chars().take(60).collect()),
            approver,
            clause: cl.id.clone(),
            provenance: DOCUMENT,
        })
        .collect();
    let mut approval_rules = std::mem::take(&mut model.approval_rules);
    for a in own_approvals {
        let taken = approval_rules.iter().any(|t| t.get("clause").and_then(|v| v.as_str()) == Some(a.clause.as_str()));
        if !taken {
            if let Ok(t) = toml::Table::try_from(&a) {
                approval_rules.push(t);
            }
        }
    }
    let mut incident_levels: Vec<IncidentOut> = {
        let mut seen = Vec::new();
        c.incident_levels
            .iter()
            .filter(|l| cited(&l.clause) && !l.report_to.is_empty())
            .filter(|l| {
                let fresh = !seen.contains(&l.level);
                seen.push(l.level);
                fresh
            })
            .map(|l| IncidentOut {
                level: l.level,
                name: l.name.clone(),
                criteria: l.criteria.clone(),
                report_to: l.report_to.iter().filter(|r| role_ids.contains(r)).cloned().collect(),
                clause: l.clause.clone(),
                provenance: DOCUMENT,
            })
            .collect()
    };
    if incident_levels.is_empty() {
        incident_levels = model.incident_levels.drain(..).map(|l| l.into_out()).collect();
    }
    Draft {
        profile: Meta {
            format: mamori_policy::FORMAT_VERSION,
            id: profile_id(&c.file),
            edition: m.edition.clone().unwrap_or_else(|| "不明".to_owned()),
            effective: m.effective.clone().unwrap_or_else(|| "2000-01-01".to_owned()),
            source: {
                let org = m.organization.clone().unwrap_or_default();
                let title = m.title.clone().unwrap_or_default();
                let title = if title.starts_with(&org) { title } else { format!("{org}{title}") };
                format!("{title}（{}から mamori policy compile で作成した下書き）", c.file)
            },
        },
        organization: Org {
            name: m.organization.clone().unwrap_or_else(|| "（団体名不明）".to_owned()),
            kind: m.kind.clone().unwrap_or_else(|| "団体".to_owned()),
            prefecture: String::new(),
            self_name: m.self_name.clone(),
        },
        bodies: c
            .bodies
            .iter()
            .filter(|b| cited(&b.clause))
            .map(|b| BodyOut { id: b.id.clone(), name: b.name.clone(), clause: b.clause.clone(), provenance: DOCUMENT })
            .collect(),
        documents: {
            let mut docs: Vec<DocOut> = Vec::new();
            for d in &c.documents {
                if !docs.iter().any(|x| x.prefix == d.prefix) {
                    docs.push(DocOut { prefix: d.prefix.clone(), title: d.title.clone(), public: true });
                }
            }
            docs
        },
        roles,
        axes,
        zones,
        incident_levels,
        incident_response: model.incident_response.take(),
        approval_rules,
        decision_rules: model.decision_rules,
        handling_rules: model.handling_rules,
        obligations: model.obligations,
        zone_rules: model.zone_rules,
        external_reports: model.external_reports,
        workflow_rules: model.workflow_rules,
        clauses,
    }
}

/// A standard role in the draft: the glossary's name, scope and clause, marked `standard`.
fn standard_role(id: &str, note: String, present: &[String]) -> Option<RoleOut> {
    let t = role_term(id)?;
    Some(RoleOut {
        id: id.to_owned(),
        name: t.name.to_owned(),
        abbreviation: t.abbreviation.map(str::to_owned),
        scope: t.scope,
        posts: Vec::new(),
        notes: vec![note],
        deputy: None,
        reports_to: t.reports_to.filter(|r| present.iter().any(|p| p == r)).map(str::to_owned),
        requires_mfa: t.requires_mfa,
        clause: t.standard_clause.to_owned(),
        provenance: STANDARD,
    })
}

/// Every job mamori's workflows need must fall to some role, or the profile cannot run (an
/// incident nobody may triage). Where the text names nobody for a step, the standard
/// model's role for it is added, marked `standard` with a note saying which step needed
/// it, so the reviewer either maps the body's own role onto it (`acts_as`) or keeps it.
fn complete_roles(roles: &mut Vec<RoleOut>) {
    use mamori_policy::workflow::{StepKind, WorkflowRole, STANDARD};
    loop {
        let does = |job: WorkflowRole| roles.iter().any(|r| WorkflowRole::parse(&r.id) == Some(job));
        let missing = STANDARD.iter().find(|rule| {
            matches!(rule.step.kind(), StepKind::Permission { .. })
                && !rule.administrators
                && !rule.roles.is_empty()
                && !rule.roles.iter().any(|&j| does(j))
        });
        let Some(rule) = missing else { return };
        let present: Vec<String> = roles.iter().map(|r| r.id.clone()).collect();
        let added = rule.roles.iter().find_map(|j| {
            let note = format!(
                "本文に定めがないため標準対策基準の役割を仮に置いた（「{}」を行う者が必要）。本文の役割が行うなら acts_as で示し、この役割を削除すること",
                rule.step.label_ja()
            );
            standard_role(j.id(), note, &present)
        });
        match added {
            Some(r) => roles.push(r),
            // No glossary entry for any wanted job: the loader will name the step.
            None => return,
        }
    }
}

/// What the draft took from the standard model, for the review report.
pub(crate) struct FillSummary {
    /// Body clauses aligned to a model clause.
    pub aligned: usize,
    /// Rule family (Japanese), rules citing the body's clause, rules citing the model.
    pub families: Vec<(&'static str, usize, usize)>,
    /// Standard roles put in the draft: id, name, why.
    pub standard_roles: Vec<(String, String, String)>,
}

pub(crate) fn fill_summary(c: &Compilation) -> FillSummary {
    let d = draft(c);
    let count = |tables: &[toml::Table]| {
        let document = tables.iter().filter(|t| t.get("provenance").and_then(|v| v.as_str()) == Some(DOCUMENT)).count();
        (document, tables.len() - document)
    };
    let mut families = Vec::new();
    for (name, tables) in [
        ("判断規則", &d.decision_rules),
        ("取扱規則", &d.handling_rules),
        ("承認規則", &d.approval_rules),
        ("定期の義務", &d.obligations),
        ("領域間の規則", &d.zone_rules),
        ("外部への報告", &d.external_reports),
        ("ワークフロー", &d.workflow_rules),
    ] {
        let (document, standard) = count(tables);
        families.push((name, document, standard));
    }
    let levels_document = d.incident_levels.iter().filter(|l| l.provenance == DOCUMENT).count();
    families.push(("インシデントのレベル", levels_document, d.incident_levels.len() - levels_document));
    let standard_roles =
        d.roles.iter().filter(|r| r.provenance == STANDARD).map(|r| (r.id.clone(), r.name.clone(), r.notes.join(" / "))).collect();
    FillSummary { aligned: c.align().len(), families, standard_roles }
}

pub fn draft_toml(c: &Compilation) -> String {
    let header = "# mamori policy compile が作成したプロファイルの下書き。レビュー報告と照合してから使うこと。\n# Draft profile made by `mamori policy compile`; review it against the report before use.\n\n";
    match toml::to_string(&draft(c)) {
        Ok(body) => format!("{header}{body}"),
        // The structs above contain only strings, numbers, booleans and arrays of tables,
        // which TOML can always represent; keep the error visible all the same.
        Err(e) => format!("{header}# 下書きを書き出せませんでした: {e}\n"),
    }
}

pub fn draft_profile(c: &Compilation) -> Result<mamori_policy::Profile, DraftError> {
    let text = draft_toml(c);
    mamori_policy::parse_profile(&format!("{}.draft.toml", c.file), &text).map_err(DraftError)
}
