//! Alignment of a body's clauses to the standard model (the MIC guideline's model 対策基準,
//! [`mamori_policy::standard`]).
//!
//! Most bodies' texts derive from the model: the same duties, often in the same order and
//! numbering, with the body's own posts, periods and wording. A clause is aligned to the model
//! clause whose wording it shares most, measured as the Dice coefficient of their character
//! bigrams (on NFKC text without spaces and punctuation), with a bonus when the two carry the
//! same number. Each model clause takes at most one body clause and the reverse, best pairs
//! first. A model heading (no duty of its own) that found nothing takes the body clause under
//! which most of its children's partners stand.
//!
//! The executable rules attach to model clauses ([`crate::draft`] re-cites them through this
//! alignment), so a renumbered or reworded policy still cites its own clause for each rule.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use crate::Compilation;

/// Below this share of common bigrams, two clauses are not the same duty.
const MIN_SCORE: f32 = 0.45;
/// With the same number, a looser likeness suffices (the same place in the same outline).
const MIN_SCORE_SAME_NUMBER: f32 = 0.25;
const SAME_NUMBER_BONUS: f32 = 0.15;
/// Texts shorter than this many bigrams carry too little to compare by wording alone.
const MIN_BIGRAMS: usize = 4;
/// A bigram found in more than this share of the model's clauses (情報, セキ, ュリ …) says
/// nothing about which clause a text is; both sides are compared without such bigrams.
const COMMON_SHARE: usize = 12;

/// One model clause and the body clause that says the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// `標準対策基準5.3(3)①`.
    pub model: String,
    /// The body's clause id, `対策基準5.3(3)①` or `規程第12条第2項`.
    pub clause: String,
    /// 0–1: the share of wording in common (with the bonus for the same number).
    pub score: f32,
}

/// The alignment of a compilation to the model, in model order.
#[derive(Debug, Clone, Default)]
pub struct Alignments {
    pub pairs: Vec<Alignment>,
    by_model: HashMap<String, usize>,
}

impl Alignments {
    /// The body clause aligned to a model clause (`標準対策基準…`).
    pub fn body_clause(&self, model: &str) -> Option<&Alignment> {
        self.by_model.get(model).map(|&i| &self.pairs[i])
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

type Bigram = (char, char);

/// The sorted, distinct character bigrams of a text's letters.
fn bigrams(text: &str) -> Vec<Bigram> {
    let chars: Vec<char> = text.nfkc().filter(|c| c.is_alphanumeric()).collect();
    let mut out: Vec<Bigram> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn clause_text(title: Option<&str>, text: &str) -> String {
    match title {
        Some(t) => format!("{t}{text}"),
        None => text.to_owned(),
    }
}

/// What alignment needs of the model, computed once: each clause's bigrams, an index from
/// bigram to clauses, clauses by number, and each clause's children.
struct ModelIndex {
    /// Each clause's bigrams, without the common ones.
    grams: Vec<Vec<Bigram>>,
    common: HashSet<Bigram>,
    index: HashMap<Bigram, Vec<u32>>,
    by_number: HashMap<&'static str, usize>,
    children: Vec<Vec<usize>>,
}

fn model_index() -> &'static ModelIndex {
    static INDEX: OnceLock<ModelIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let model = mamori_policy::standard::clauses();
        let all: Vec<Vec<Bigram>> = model.iter().map(|m| bigrams(&clause_text(m.title.as_deref(), &m.text))).collect();
        let mut index: HashMap<Bigram, Vec<u32>> = HashMap::new();
        for (i, g) in all.iter().enumerate() {
            for b in g {
                index.entry(*b).or_default().push(i as u32);
            }
        }
        let limit = model.len() * COMMON_SHARE / 100;
        let common: HashSet<Bigram> = index.iter().filter(|(_, list)| list.len() > limit).map(|(b, _)| *b).collect();
        index.retain(|b, _| !common.contains(b));
        let grams = all.into_iter().map(|g| g.into_iter().filter(|b| !common.contains(b)).collect()).collect();
        let by_number = model.iter().enumerate().map(|(i, m)| (m.number.as_str(), i)).collect();
        let children = model
            .iter()
            .map(|parent| model.iter().enumerate().filter(|(_, c)| is_child_number(&parent.number, &c.number)).map(|(k, _)| k).collect())
            .collect();
        ModelIndex { grams, common, index, by_number, children }
    })
}

/// Aligns every clause of the compilation's catalogue to the model.
pub fn align(c: &Compilation) -> Alignments {
    let model = mamori_policy::standard::clauses();
    let ModelIndex { grams: model_grams, common: common_grams, index, by_number: model_by_number, .. } = model_index();
    let body: Vec<&crate::Clause> = c.catalogue().collect();
    // Candidate pairs (score, model index, body index).
    let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
    let mut common = vec![0u16; model.len()];
    let mut touched: Vec<usize> = Vec::new();
    for (b, cl) in body.iter().enumerate() {
        let mut grams = bigrams(&clause_text(cl.title.as_deref(), &cl.text));
        grams.retain(|g| !common_grams.contains(g));
        let same_number = number_of(c, cl).and_then(|n| model_by_number.get(n).copied());
        for g in &grams {
            if let Some(list) = index.get(g) {
                for &m in list {
                    let m = m as usize;
                    if common[m] == 0 {
                        touched.push(m);
                    }
                    common[m] += 1;
                }
            }
        }
        let mut consider = |m: usize, shared: u16| {
            let total = grams.len() + model_grams[m].len();
            let dice = if total == 0 { 0.0 } else { 2.0 * f32::from(shared) / total as f32 };
            let same = same_number == Some(m);
            let enough = grams.len() >= MIN_BIGRAMS && model_grams[m].len() >= MIN_BIGRAMS;
            let score = if same { (dice + SAME_NUMBER_BONUS).min(1.0) } else { dice };
            if (same && dice >= MIN_SCORE_SAME_NUMBER) || (enough && dice >= MIN_SCORE) {
                candidates.push((score, m, b));
            }
        };
        for &m in &touched {
            consider(m, common[m]);
        }
        if let Some(m) = same_number.filter(|m| common[*m] == 0) {
            consider(m, 0);
        }
        for m in touched.drain(..) {
            common[m] = 0;
        }
    }
    // Best pairs first; ties to document order on both sides.
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut model_taken: Vec<Option<(usize, f32)>> = vec![None; model.len()];
    let mut body_taken = vec![false; body.len()];
    for (score, m, b) in candidates {
        if model_taken[m].is_none() && !body_taken[b] {
            model_taken[m] = Some((b, score));
            body_taken[b] = true;
        }
    }
    inherit_headings(c, &body, &mut model_taken);

    let mut out = Alignments::default();
    for (m, taken) in model_taken.iter().enumerate() {
        if let Some((b, score)) = taken {
            out.by_model.insert(model[m].id.clone(), out.pairs.len());
            out.pairs.push(Alignment { model: model[m].id.clone(), clause: body[*b].id.clone(), score: *score });
        }
    }
    out
}

/// The clause's number within its document (`5.3(3)①`), when it has the guideline's form.
fn number_of<'a>(c: &Compilation, cl: &'a crate::Clause) -> Option<&'a str> {
    let prefix = &c.documents.get(cl.document)?.prefix;
    cl.id.strip_prefix(prefix.as_str()).filter(|n| !n.is_empty())
}

/// A model clause left without a partner whose children found partners under one common
/// body clause is that body clause (a heading the body words differently, or a lead-in).
fn inherit_headings(c: &Compilation, body: &[&crate::Clause], taken: &mut [Option<(usize, f32)>]) {
    let model = mamori_policy::standard::clauses();
    let children = &model_index().children;
    let body_index: HashMap<&str, usize> = body.iter().enumerate().map(|(i, cl)| (cl.id.as_str(), i)).collect();
    let tree_index: HashMap<&str, usize> = c.clauses.iter().enumerate().map(|(i, cl)| (cl.id.as_str(), i)).collect();
    let parent_of = |b: usize| -> Option<usize> {
        let k = *tree_index.get(body[b].id.as_str())?;
        let p = c.clauses[k].parent?;
        body_index.get(c.clauses[p].id.as_str()).copied()
    };
    let mut used: Vec<bool> = vec![false; body.len()];
    for (b, _) in taken.iter().flatten() {
        used[*b] = true;
    }
    // Deepest first, so that a chapter can inherit from sections that inherited.
    let mut order: Vec<usize> = (0..model.len()).collect();
    order.sort_by_key(|&m| std::cmp::Reverse(model[m].number.chars().count()));
    for m in order {
        if taken[m].is_some() || children[m].is_empty() {
            continue;
        }
        let mut votes: HashMap<usize, (usize, f32)> = HashMap::new();
        for &k in &children[m] {
            if let Some((b, score)) = taken[k] {
                if let Some(p) = parent_of(b) {
                    let v = votes.entry(p).or_insert((0, 0.0));
                    v.0 += 1;
                    v.1 += score;
                }
            }
        }
        let best = votes.into_iter().filter(|(p, _)| !used[*p]).max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.0.cmp(&a.0)));
        if let Some((p, (n, total))) = best {
            if n >= 2 || children[m].len() == 1 {
                taken[m] = Some((p, total / n as f32));
                used[p] = true;
            }
        }
    }
}

/// Whether `child` is numbered directly under `parent` (`5.3(3)` under `5.3`, `5.3(3)①`
/// under `5.3(3)`, `5.1` under `5`).
fn is_child_number(parent: &str, child: &str) -> bool {
    let Some(rest) = child.strip_prefix(parent) else { return false };
    if rest.is_empty() {
        return false;
    }
    // One more level: `(N)`, a circled number, `(ア)`, or `.N` under a chapter.
    let first = rest.chars().next().expect("not empty");
    let one_level = match first {
        '(' => rest.find(')').is_some_and(|end| end + 1 == rest.len()),
        '.' => rest[1..].chars().all(|c| c.is_ascii_digit()) && rest.len() > 1,
        c if ('①'..='⑳').contains(&c) => rest.chars().count() == 1,
        _ => false,
    };
    one_level
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_numbers() {
        assert!(is_child_number("5.3", "5.3(3)"));
        assert!(is_child_number("5.3(3)", "5.3(3)①"));
        assert!(is_child_number("5.3(3)①", "5.3(3)①(ア)"));
        assert!(is_child_number("5", "5.1"));
        assert!(!is_child_number("5", "5.1(1)"));
        assert!(!is_child_number("5.3", "5.3(3)①"));
        assert!(!is_child_number("1", "10"));
    }

    #[test]
    fn the_model_aligns_to_itself_by_number_and_wording() {
        // A text in the model's own numbering and words: every duty finds itself.
        let text = "情報セキュリティ対策基準\n5 人的セキュリティ\n5.3 情報セキュリティインシデントの報告\n(3) 情報セキュリティインシデントへの対処\n① CSIRTは、報告された情報セキュリティインシデントの可能性について状況を確認し、情報セキュリティインシデントであるかの評価を行わなければならない。\n";
        let c = crate::compile("model.txt", text);
        let a = align(&c);
        let triage = a.body_clause("標準対策基準5.3(3)①").expect("the triage duty aligns");
        assert_eq!(triage.clause, "対策基準5.3(3)①");
        assert!(triage.score > 0.8, "{}", triage.score);
    }
}
