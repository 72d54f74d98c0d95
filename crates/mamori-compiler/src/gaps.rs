//! The gap report: what a body's policy lacks against the standard model, and where it says
//! something other than the model.
//!
//! Built on the alignment ([`crate::align`]): a model duty (a clause that obliges or forbids)
//! with no aligned clause in the body's text is missing; an aligned pair whose force differs
//! (the model obliges, the body only asks for effort) or whose quantities differ (「5年」 against
//! 「3年」, 「1回」 against 「2回」) is a difference, cited on both sides.

use std::fmt::Write;

use unicode_normalization::UnicodeNormalization;

use crate::align::Alignments;
use crate::{Compilation, Force};

/// One finding of the gap report.
#[derive(Debug, Clone, PartialEq)]
pub enum Gap {
    /// A model duty the body's text has no clause for.
    Missing { model: String, text: String, force: Force },
    /// The body's clause is weaker (a duty become best effort, a prohibition gone) or
    /// stronger than the model's.
    Force { model: String, clause: String, model_force: Force, body_force: Force },
    /// The same duty with other figures: periods, counts, deadlines.
    Quantity { model: String, clause: String, model_values: Vec<String>, body_values: Vec<String> },
}

impl Gap {
    pub fn model(&self) -> &str {
        match self {
            Gap::Missing { model, .. } | Gap::Force { model, .. } | Gap::Quantity { model, .. } => model,
        }
    }
}

/// Units a quantity in a duty is counted in.
const UNITS: [&str; 12] = ["か月", "ヶ月", "カ月", "箇月", "週間", "時間", "年", "月", "週", "日", "分", "回"];

/// The quantities a text states (`5年`, `30分`, `1回`), in order, NFKC-normalized.
pub(crate) fn quantities(text: &str) -> Vec<String> {
    // Extraction puts spaces around figures (「最低 1 回」, 「昭和 25 年」).
    let text: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if chars[k].is_ascii_digit() {
            let start = k;
            while k < chars.len() && chars[k].is_ascii_digit() {
                k += 1;
            }
            // Not part of a clause number (`5.3(3)`) or a date-like `2(1)`.
            let before_ok = start == 0 || !matches!(chars[start - 1], '.' | '(' | '第');
            let rest: String = chars[k..chars.len().min(k + 2)].iter().collect();
            if before_ok {
                if let Some(unit) = UNITS.iter().find(|u| rest.starts_with(*u)) {
                    let number: String = chars[start..k].iter().collect();
                    // 「令和7年4月1日」 is a date, not a period: a year or month followed by a
                    // number, a day after a month, a year after an era name.
                    let after = chars.get(k + unit.chars().count()).is_some_and(|c| c.is_ascii_digit());
                    let era = start >= 2
                        && matches!(chars[start - 2..start].iter().collect::<String>().as_str(), "令和" | "平成" | "昭和" | "西暦");
                    let day_of_month = *unit == "日" && start >= 1 && chars[start - 1] == '月';
                    let date = ((*unit == "年" || *unit == "月") && after) || era || day_of_month;
                    if !date {
                        out.push(format!("{number}{unit}"));
                    }
                }
            }
        } else {
            k += 1;
        }
    }
    out
}

/// How strongly a force binds: prohibited and mandatory bind, best effort and recommended
/// ask, the rest state.
fn strength(f: Force) -> u8 {
    match f {
        Force::Mandatory | Force::Prohibited => 2,
        Force::BestEffort | Force::Recommended => 1,
        _ => 0,
    }
}

/// The gap report of a compilation against the model.
pub fn gaps(c: &Compilation, alignments: &Alignments) -> Vec<Gap> {
    let mut out = Vec::new();
    for m in mamori_policy::standard::clauses() {
        let duty = strength(m.force) == 2;
        match alignments.body_clause(&m.id) {
            None if duty => out.push(Gap::Missing { model: m.id.clone(), text: m.text.clone(), force: m.force }),
            None => {}
            Some(a) => {
                let Some(body) = c.clause(&a.clause) else { continue };
                if strength(m.force) > 0 && strength(body.force) > 0 && strength(m.force) != strength(body.force) {
                    out.push(Gap::Force { model: m.id.clone(), clause: body.id.clone(), model_force: m.force, body_force: body.force });
                }
                let (mq, bq) = (quantities(&m.text), quantities(&body.text));
                if !mq.is_empty() && !bq.is_empty() && mq != bq {
                    out.push(Gap::Quantity { model: m.id.clone(), clause: body.id.clone(), model_values: mq, body_values: bq });
                }
            }
        }
    }
    out
}

fn force_ja(f: Force) -> &'static str {
    match f {
        Force::Mandatory => "義務",
        Force::Prohibited => "禁止",
        Force::BestEffort => "努力義務",
        Force::Recommended => "推奨",
        _ => "定め",
    }
}

fn short(s: &str, n: usize) -> String {
    let one_line = s.replace('\n', " ");
    match one_line.char_indices().nth(n) {
        None => one_line,
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
    }
}

/// The gap report as Markdown (Japanese), for the review report and `mamori policy gaps`.
pub fn gaps_markdown(gaps: &[Gap]) -> String {
    let mut out = String::new();
    let missing: Vec<&Gap> = gaps.iter().filter(|g| matches!(g, Gap::Missing { .. })).collect();
    let differing: Vec<&Gap> = gaps.iter().filter(|g| !matches!(g, Gap::Missing { .. })).collect();
    let _ = writeln!(
        out,
        "標準対策基準の義務・禁止のうち本文に対応する条項がないもの {} 件、本文の定めが標準と異なるもの {} 件。",
        missing.len(),
        differing.len()
    );
    let _ = writeln!(out);
    if !differing.is_empty() {
        let _ = writeln!(out, "### 標準と異なる定め");
        let _ = writeln!(out);
        for g in &differing {
            match g {
                Gap::Force { model, clause, model_force, body_force } => {
                    let way = if strength(*body_force) < strength(*model_force) { "弱い" } else { "強い" };
                    let _ =
                        writeln!(out, "- {clause}: {}（標準 {model}: {}）— 標準より{way}", force_ja(*body_force), force_ja(*model_force));
                }
                Gap::Quantity { model, clause, model_values, body_values } => {
                    let _ = writeln!(out, "- {clause}: {}（標準 {model}: {}）", body_values.join("・"), model_values.join("・"));
                }
                Gap::Missing { .. } => {}
            }
        }
        let _ = writeln!(out);
    }
    if !missing.is_empty() {
        let _ = writeln!(out, "### 本文に定めのない標準の義務・禁止");
        let _ = writeln!(out);
        for g in &missing {
            if let Gap::Missing { model, text, force } = g {
                let _ = writeln!(out, "- {model}（{}）: {}", force_ja(*force), short(text, 80));
            }
        }
        let _ = writeln!(out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_periods_and_counts_not_numbers_or_dates() {
        assert_eq!(quantities("記録を5年間保存し、年1回以上点検する"), vec!["5年", "1回"]);
        assert_eq!(quantities("３０分以内に報告する"), vec!["30分"]);
        assert!(quantities("対策基準5.3(3)に従い、令和7年4月1日から").is_empty());
        assert!(quantities("2024年4月1日施行").is_empty());
        assert!(quantities("第3条第2項").is_empty());
        assert_eq!(quantities("毎年度最低 1 回は受講"), vec!["1回"]);
        assert!(quantities("地方公務員法(昭和 25 年法律第 261 号)").is_empty());
    }
}
