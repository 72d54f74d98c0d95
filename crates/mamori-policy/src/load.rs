//! Loading and validating a profile. Pure: takes the file's name and text, returns values.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use toml::Spanned;

use crate::ids::Symbol;
use crate::profile::{Profile, Provenance};

/// The format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// One thing wrong with a profile, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError {
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    pub kind: ProfileErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileErrorKind {
    /// The TOML itself does not parse, or a value has the wrong type; the parser's words.
    Syntax(String),
    UnsupportedFormat {
        found: u32,
    },
    Duplicate {
        what: &'static str,
        id: String,
    },
    UnknownReference {
        what: &'static str,
        id: String,
    },
    UnknownLevel {
        axis: String,
        level: String,
    },
    UncitedClause {
        clause: String,
    },
    UnknownDocument {
        clause: String,
    },
    BadDate {
        value: String,
    },
    Empty {
        what: &'static str,
    },
    /// A decision rule states something it cannot mean.
    BadRule {
        rule: String,
        problem: RuleProblem,
    },
    /// A value out of its range; `problem` says what is allowed.
    Invalid {
        what: &'static str,
        problem: String,
    },
    /// `acts_as` names no job of mamori's workflows.
    UnknownWorkflowRole {
        role: String,
        value: String,
    },
    /// A role's scope does not fit the job it says it does.
    WorkflowRoleScope {
        role: String,
        acts_as: &'static str,
        scope: &'static str,
        allowed: String,
    },
    /// A workflow rule names a step mamori does not have.
    UnknownStep {
        step: String,
    },
    /// Nobody can take a workflow step under this profile.
    UnresolvedStep {
        step: &'static str,
        label: &'static str,
        wanted: String,
    },
    /// A standard citation that is not a clause of the standard model.
    UnknownStandardClause {
        clause: String,
    },
}

/// What is wrong with a decision rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleProblem {
    /// A forbid rule carries an approval, requirements or duties.
    ForbidWithRequirements,
    /// `min` ranks above `max`.
    LevelOrder,
    /// A class condition with neither `min` nor `max`.
    EmptyClassCondition,
    /// A `report` duty without `to`.
    ReportWithoutAddressee,
    /// A `record` duty without `record`.
    RecordWithoutName,
}

impl fmt::Display for ProfileErrorKind {
    // Operators of mamori read Japanese; the wording of profile errors lives here, beside
    // the data it describes, and nowhere else.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(m) => write!(f, "{m}"),
            Self::UnsupportedFormat { found } => write!(
                f,
                "format = {found} には対応していません（このmamoriは format = {FORMAT_VERSION} を読みます）"
            ),
            Self::Duplicate { what, id } => {
                write!(f, "{what} `{id}` が重複しています。id は一意にしてください")
            }
            Self::UnknownReference { what, id } => {
                write!(f, "{what} `{id}` は定義されていません。先に定義するか、綴りを確認してください")
            }
            Self::UnknownLevel { axis, level } => {
                write!(f, "分類 `{axis}` に区分 `{level}` はありません")
            }
            Self::UncitedClause { clause } => write!(
                f,
                "条項 `{clause}` は provenance = \"document\" ですが条項目録 [[clauses]] にありません。条項を追加するか provenance = \"standard\" にしてください"
            ),
            Self::UnknownDocument { clause } => write!(
                f,
                "条項 `{clause}` の文書名は [[documents]] のどの prefix とも一致しません"
            ),
            Self::BadDate { value } => {
                write!(f, "日付 `{value}` は YYYY-MM-DD の形で書いてください")
            }
            Self::Empty { what } => write!(f, "{what} が一つもありません"),
            Self::Invalid { what, problem } => write!(f, "{what} の値が範囲外です: {problem}"),
            Self::UnknownWorkflowRole { role, value } => write!(
                f,
                "役割 `{role}` の acts_as = \"{value}\" はmamoriの業務上の役割にありません。次のいずれかにしてください: {}",
                crate::workflow::WorkflowRole::ALL.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
            ),
            Self::WorkflowRoleScope { role, acts_as, scope, allowed } => write!(
                f,
                "役割 `{role}` は scope = \"{scope}\" のため {acts_as} の役割を果たせません。scope を {allowed} にするか、acts_as を見直してください"
            ),
            Self::UnknownStep { step } => write!(
                f,
                "ワークフローの手順 `{step}` はありません。docs/profile-format.md の手順の一覧から選んでください"
            ),
            Self::UnresolvedStep { step, label, wanted } => write!(
                f,
                "「{label}」（{step}）を行える役割がありません。{wanted} の役割を果たす役割を acts_as で示すか、[[workflow_rules]] に step = \"{step}\" の規則を書いてください"
            ),
            Self::UnknownStandardClause { clause } => write!(
                f,
                "条項 `{clause}` は標準対策基準にありません。標準対策基準（志免町の対策基準の番号）の条項を指定してください"
            ),
            Self::BadRule { rule, problem } => {
                let how = match problem {
                    RuleProblem::ForbidWithRequirements => "effect = \"forbid\" の規則には approval・requires・duties を書けません（禁止は条件付きにできません。条件付きなら permit にしてください）",
                    RuleProblem::LevelOrder => "min が max より上位の区分です。min ≤ max にしてください",
                    RuleProblem::EmptyClassCondition => "classes の条件に min も max もありません。どちらかを書いてください",
                    RuleProblem::ReportWithoutAddressee => "kind = \"report\" の義務には報告先 to（役割）を書いてください",
                    RuleProblem::RecordWithoutName => "kind = \"record\" の義務には記録の名前 record を書いてください",
                };
                write!(f, "判断規則 `{rule}`: {how}")
            }
        }
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.kind)
    }
}

/// All the errors found in one profile, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProfileErrors(pub Vec<ProfileError>);

impl fmt::Display for ProfileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Parses and validates a profile. `file` is only used in error messages.
pub fn parse_profile(file: &str, text: &str) -> Result<Profile, ProfileErrors> {
    let locate = Locator::new(file, text);
    let profile: Profile = match toml::from_str(text) {
        Ok(p) => p,
        Err(first) => return Err(ProfileErrors(format_errors(&locate, text, first))),
    };
    let mut errors = Vec::new();
    validate(&profile, &locate, &mut errors);
    if errors.is_empty() {
        Ok(profile)
    } else {
        errors.sort_by_key(|e| (e.line, e.column));
        Err(ProfileErrors(errors))
    }
}

/// Every place where the text does not fit the format, not only the first: a TOML syntax
/// error stops the reading (nothing after it can be trusted), but an error of type, name or
/// value is reported and its table item set aside (blanked, so that every other position stays
/// where it was) before the text is read again.
fn format_errors(at: &Locator, text: &str, first: toml::de::Error) -> Vec<ProfileError> {
    const MAX_ERRORS: usize = 100;
    let error_of = |e: &toml::de::Error| at.error(e.span().unwrap_or(0..0), ProfileErrorKind::Syntax(japanese(e.message().trim())));
    // Not TOML at all: one error.
    if text.parse::<toml::Table>().is_err() {
        return vec![error_of(&first)];
    }
    let mut errors = vec![error_of(&first)];
    let mut work = text.to_owned();
    let mut current = first;
    let mut blanked: Vec<std::ops::Range<usize>> = Vec::new();
    while errors.len() < MAX_ERRORS {
        let Some(span) = current.span() else { break };
        let item = item_around(&work, span.start);
        if item.is_empty() || blanked.iter().any(|b| b.start <= item.start && item.end <= b.end) {
            break;
        }
        // Blank the item, keeping line breaks so that every other position stays the same.
        // Each character becomes as many spaces as it has bytes: every offset stays valid for
        // the original text's line and column.
        let replaced: String =
            work[item.clone()].chars().map(|c| if c == '\n' { "\n".to_owned() } else { " ".repeat(c.len_utf8()) }).collect();
        work.replace_range(item.clone(), &replaced);
        blanked.push(item);
        match toml::from_str::<Profile>(&work) {
            Ok(_) => break,
            Err(e) => {
                // A field missing because its item was set aside is no news.
                let consequence = e.message().starts_with("missing field")
                    && e.span().is_none_or(|s| s.start == 0 || blanked.iter().any(|b| b.contains(&s.start)));
                if consequence {
                    break;
                }
                errors.push(error_of(&e));
                current = e;
            }
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    errors.dedup();
    errors
}

/// The table item holding `offset`: from its header (`[[axes.levels]]`) to the next header
/// that is not one of its own sub-tables (`[[axes.levels.restrictions]]` stays with it), or
/// the line when it is above every header. Setting aside a whole item keeps the rest of the
/// document's structure as it was.
fn item_around(text: &str, offset: usize) -> Range<usize> {
    let offset = offset.min(text.len());
    let mut line_starts: Vec<usize> = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1).filter(|&s| s < text.len()));
    let header = |s: usize| -> Option<&str> {
        let line = text[s..].lines().next().unwrap_or("").trim();
        let name = line
            .strip_prefix("[[")
            .and_then(|l| l.split("]]").next())
            .or_else(|| line.strip_prefix('[').and_then(|l| l.split(']').next()))?;
        Some(name.trim())
    };
    let here = line_starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let start = (0..=here).rev().map(|i| line_starts[i]).find(|&s| header(s).is_some());
    match start {
        Some(start) => {
            let name = header(start).unwrap_or("").to_owned();
            let child = format!("{name}.");
            let end = line_starts
                .iter()
                .copied()
                .filter(|&s| s > start)
                .find(|&s| header(s).is_some_and(|h| !h.starts_with(&child)))
                .unwrap_or(text.len());
            start..end
        }
        None => {
            let s = line_starts[here];
            let e = line_starts.get(here + 1).copied().unwrap_or(text.len());
            s..e
        }
    }
}

/// The TOML parser's and serde's English, in Japanese: what is wrong and what to write.
fn japanese(message: &str) -> String {
    let quoted = |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let first_line = message.lines().next().unwrap_or(message);
    if let Some(rest) = first_line.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("値の型が違います（{} ではなく {} を書いてください）", kind_ja(found), kind_ja(expected));
    }
    if first_line.starts_with("duplicate key") {
        let q = quoted(first_line);
        return match q.as_slice() {
            [k, t, ..] => format!("表 `{t}` にキー `{k}` が二度書かれています。一つにしてください"),
            [k] => format!("キー `{k}` が二度書かれています。一つにしてください"),
            _ => "同じキーが二度書かれています".into(),
        };
    }
    if first_line.starts_with("missing field") {
        let q = quoted(first_line);
        return format!("必須の項目 `{}` がありません。書き加えてください", q.first().cloned().unwrap_or_default());
    }
    if first_line.starts_with("unknown field") {
        let q = quoted(first_line);
        let (head, rest) = q.split_first().map(|(h, r)| (h.clone(), r.join(", "))).unwrap_or_default();
        return format!("項目 `{head}` はこの表にありません（書ける項目: {rest}）。綴りを確認してください");
    }
    if first_line.starts_with("unknown variant") {
        let q = quoted(first_line);
        let (head, rest) = q.split_first().map(|(h, r)| (h.clone(), r.join(", "))).unwrap_or_default();
        return format!("値 `{head}` は使えません（使える値: {rest}）");
    }
    if first_line.starts_with("invalid length") {
        return format!("要素の数が違います（{first_line}）");
    }
    if first_line.starts_with("invalid value") {
        return format!("値が正しくありません（{first_line}）");
    }
    if let Some(rest) = first_line.strip_prefix("identifier ") {
        let q = quoted(rest);
        return format!("識別子 `{}` には英小文字・数字・`_` だけを使い、英小文字で始めてください", q.first().cloned().unwrap_or_default());
    }
    if first_line.starts_with("identifier is empty") {
        return "識別子が空です".into();
    }
    if first_line.starts_with("clause id") {
        let q = quoted(first_line);
        return format!(
            "条項ID `{}` が読めません（文書名に続けて番号を書きます。例: 対策基準5.1(1)③。括弧は半角、空白なし）",
            q.first().cloned().unwrap_or_default()
        );
    }
    // The rest are TOML syntax: keep the parser's words, which name the token it expected.
    format!("TOMLの書き方に誤りがあります（{}）", message.replace('\n', " "))
}

fn kind_ja(serde_kind: &str) -> String {
    let k = serde_kind.trim();
    let word = if k.starts_with("string") {
        "文字列"
    } else if k.starts_with("integer") || k.starts_with('u') && k[1..].chars().all(|c| c.is_ascii_digit()) || k.starts_with("i64") {
        "整数"
    } else if k.starts_with("boolean") || k == "a boolean" {
        "true / false"
    } else if k.contains("sequence") {
        "配列 [ … ]"
    } else if k.contains("map") || k.starts_with("struct") || k.contains("table") {
        "表"
    } else if k.starts_with("float") {
        "小数"
    } else {
        return k.to_owned();
    };
    match k.split_once(' ') {
        Some((_, v)) if k.starts_with("string") || k.starts_with("integer") => format!("{word} {v}"),
        _ => word.to_owned(),
    }
}

struct Locator<'a> {
    file: &'a str,
    line_starts: Vec<usize>,
    text: &'a str,
}

impl<'a> Locator<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { file, line_starts, text }
    }

    fn error(&self, span: Range<usize>, kind: ProfileErrorKind) -> ProfileError {
        let offset = span.start.min(self.text.len());
        let line_index = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let line_start = self.line_starts[line_index];
        let column = self.text[line_start..offset].chars().count() + 1;
        ProfileError { file: self.file.to_owned(), line: line_index + 1, column, kind }
    }
}

fn validate(p: &Profile, at: &Locator, errors: &mut Vec<ProfileError>) {
    // Errors on values without a span of their own point at the start of the file.
    let top = 0..0;
    if p.profile.format != FORMAT_VERSION {
        errors.push(at.error(top.clone(), ProfileErrorKind::UnsupportedFormat { found: p.profile.format }));
    }
    if !is_iso_date(p.profile.effective.get_ref()) {
        errors.push(at.error(p.profile.effective.span(), ProfileErrorKind::BadDate { value: p.profile.effective.get_ref().clone() }));
    }
    if p.roles.is_empty() {
        errors.push(at.error(top.clone(), ProfileErrorKind::Empty { what: "役割 [[roles]]" }));
    }

    let roles = unique_symbols(p.roles.iter().map(|r| &r.id), "役割", text_span_of(at.text, "[[roles]]"), at, errors);
    unique_symbols(p.bodies.iter().map(|b| &b.id), "実施機関", text_span_of(at.text, "[[bodies]]"), at, errors);
    let zones = unique_symbols(p.zones.iter().map(|z| &z.id), "領域", text_span_of(at.text, "[[zones]]"), at, errors);
    unique_symbols(p.external_reports.iter().map(|r| &r.id), "外部報告", text_span_of(at.text, "[[external_reports]]"), at, errors);
    unique_symbols(p.obligations.iter().map(|o| &o.id), "定例業務", text_span_of(at.text, "[[obligations]]"), at, errors);
    let approvals =
        unique_symbols(p.approval_rules.iter().map(|o| &o.id), "承認規則", text_span_of(at.text, "[[approval_rules]]"), at, errors);
    unique_symbols(p.decision_rules.iter().map(|o| &o.id), "判断規則", text_span_of(at.text, "[[decision_rules]]"), at, errors);

    let check_role = |r: &Spanned<Symbol>, errors: &mut Vec<ProfileError>| {
        if !roles.contains(r.get_ref().as_str()) {
            errors.push(at.error(r.span(), ProfileErrorKind::UnknownReference { what: "役割", id: r.get_ref().to_string() }));
        }
    };

    for role in &p.roles {
        if let Some(d) = &role.deputy {
            check_role(d, errors);
        }
        if let Some(r) = &role.reports_to {
            check_role(r, errors);
        }
        validate_acts_as(role, at, errors);
    }
    validate_workflow(p, &check_role, at, errors);

    // Axes and their levels.
    let mut axes: HashMap<&str, HashSet<&str>> = HashMap::new();
    for axis in &p.axes {
        if axes.contains_key(axis.id.as_str()) {
            errors.push(at.error(
                text_span_of(at.text, &format!("id = \"{}\"", axis.id)),
                ProfileErrorKind::Duplicate { what: "分類", id: axis.id.to_string() },
            ));
        }
        let mut ids = HashSet::new();
        let mut ranks = HashSet::new();
        for level in &axis.levels {
            if !ids.insert(level.id.get_ref().as_str()) {
                errors.push(at.error(level.id.span(), ProfileErrorKind::Duplicate { what: "区分", id: level.id.get_ref().clone() }));
            }
            if !ranks.insert(*level.rank.get_ref()) {
                errors.push(
                    at.error(level.rank.span(), ProfileErrorKind::Duplicate { what: "区分の rank", id: level.rank.get_ref().to_string() }),
                );
            }
        }
        if axis.levels.is_empty() {
            errors.push(at.error(top.clone(), ProfileErrorKind::Empty { what: "分類の区分 levels" }));
        }
        axes.insert(axis.id.as_str(), ids);
    }
    for rule in &p.handling_rules {
        match axes.get(rule.axis.get_ref().as_str()) {
            None => errors
                .push(at.error(rule.axis.span(), ProfileErrorKind::UnknownReference { what: "分類", id: rule.axis.get_ref().to_string() })),
            Some(levels) if !levels.contains(rule.min_level.get_ref().as_str()) => errors.push(at.error(
                rule.min_level.span(),
                ProfileErrorKind::UnknownLevel { axis: rule.axis.get_ref().to_string(), level: rule.min_level.get_ref().clone() },
            )),
            Some(_) => {}
        }
        if let Some(a) = &rule.approver {
            check_role(a, errors);
        }
    }

    for rule in &p.zone_rules {
        for z in [&rule.from, &rule.to] {
            if !zones.contains(z.get_ref().as_str()) {
                errors.push(at.error(z.span(), ProfileErrorKind::UnknownReference { what: "領域", id: z.get_ref().to_string() }));
            }
        }
    }

    let mut incident_levels = HashSet::new();
    for level in &p.incident_levels {
        if !incident_levels.insert(*level.level.get_ref()) {
            errors.push(at.error(
                level.level.span(),
                ProfileErrorKind::Duplicate { what: "インシデントのレベル", id: level.level.get_ref().to_string() },
            ));
        }
        for r in &level.report_to {
            check_role(r, errors);
        }
    }
    for report in &p.external_reports {
        check_role(&report.responsible, errors);
    }
    if let Some(ir) = &p.incident_response {
        for r in &ir.contact_point {
            check_role(r, errors);
        }
        let minutes = &ir.acknowledge_within_minutes;
        if *minutes.get_ref() == 0 || *minutes.get_ref() > 7 * 24 * 60 {
            errors.push(at.error(
                minutes.span(),
                ProfileErrorKind::Invalid {
                    what: "acknowledge_within_minutes", problem: "1〜10080（7日）の分数で指定してください".into()
                },
            ));
        }
    }
    for o in &p.obligations {
        check_role(&o.responsible, errors);
        if let Some(r) = &o.report_to {
            check_role(r, errors);
        }
    }
    for a in &p.approval_rules {
        check_role(&a.approver, errors);
    }
    for rule in &p.decision_rules {
        validate_decision_rule(p, rule, &axes, &zones, &approvals, &check_role, at, errors);
    }

    // The clause catalogue, and every citation against it.
    let mut catalogue = HashSet::new();
    for clause in &p.clauses {
        if !catalogue.insert(clause.id.get_ref().as_str()) {
            errors.push(at.error(clause.id.span(), ProfileErrorKind::Duplicate { what: "条項", id: clause.id.get_ref().to_string() }));
        }
        if let Some(r) = &clause.role {
            check_role(r, errors);
        }
        check_document(&clause.id, p, at, errors);
    }
    for (clause, provenance) in citations(p) {
        if provenance == Provenance::Document && !catalogue.contains(clause.get_ref().as_str()) {
            errors.push(at.error(clause.span(), ProfileErrorKind::UncitedClause { clause: clause.get_ref().to_string() }));
        }
        // A standard measure cites the model text; it must be a clause of it, so that a page
        // showing the citation can show what it says.
        let id = clause.get_ref().as_str();
        if provenance == Provenance::Standard
            && clause.get_ref().document() == crate::workflow::STANDARD_PREFIX
            && !crate::standard::contains(id)
        {
            errors.push(at.error(clause.span(), ProfileErrorKind::UnknownStandardClause { clause: id.to_owned() }));
        }
    }
}

fn scope_id(s: crate::profile::RoleScope) -> &'static str {
    match s {
        crate::profile::RoleScope::Organization => "organization",
        crate::profile::RoleScope::Department => "department",
        crate::profile::RoleScope::System => "system",
    }
}

fn validate_acts_as(role: &crate::profile::Role, at: &Locator, errors: &mut Vec<ProfileError>) {
    use crate::workflow::WorkflowRole;
    let job = match &role.acts_as {
        Some(a) => match WorkflowRole::parse(a.get_ref().as_str()) {
            Some(w) => Some((w, a.span())),
            None => {
                errors.push(
                    at.error(a.span(), ProfileErrorKind::UnknownWorkflowRole { role: role.id.to_string(), value: a.get_ref().to_string() }),
                );
                None
            }
        },
        // A role named like a job does that job; its scope must fit it just the same.
        None => WorkflowRole::parse(role.id.as_str()).map(|w| (w, role.clause.span())),
    };
    if let Some((w, span)) = job {
        if !w.allowed_scopes().contains(&role.scope) {
            let allowed = w.allowed_scopes().iter().map(|s| format!("\"{}\"", scope_id(*s))).collect::<Vec<_>>().join(" か ");
            errors.push(at.error(
                span,
                ProfileErrorKind::WorkflowRoleScope { role: role.id.to_string(), acts_as: w.id(), scope: scope_id(role.scope), allowed },
            ));
        }
    }
}

fn validate_workflow(
    p: &Profile,
    check_role: &dyn Fn(&Spanned<Symbol>, &mut Vec<ProfileError>),
    at: &Locator,
    errors: &mut Vec<ProfileError>,
) {
    use crate::workflow::{Step, Workflow};
    let mut known_steps = true;
    for rule in &p.workflow_rules {
        if Step::parse(rule.step.get_ref()).is_none() {
            known_steps = false;
            errors.push(at.error(rule.step.span(), ProfileErrorKind::UnknownStep { step: rule.step.get_ref().clone() }));
        }
        for r in &rule.roles {
            check_role(r, errors);
        }
    }
    if !known_steps {
        return;
    }
    let (_, unresolved) = Workflow::resolve(p);
    let span = text_span_of(at.text, "[[roles]]");
    for u in unresolved {
        let wanted = if u.wanted.is_empty() {
            "mamoriの管理者".to_owned()
        } else {
            u.wanted.iter().map(|w| format!("{}（{}）", w.label_ja(), w.id())).collect::<Vec<_>>().join("・")
        };
        errors.push(at.error(span.clone(), ProfileErrorKind::UnresolvedStep { step: u.step.id(), label: u.step.label_ja(), wanted }));
    }
}

#[allow(clippy::too_many_arguments)]
fn validate_decision_rule(
    p: &Profile,
    rule: &crate::profile::DecisionRule,
    axes: &HashMap<&str, HashSet<&str>>,
    zones: &HashSet<&str>,
    approvals: &HashSet<&str>,
    check_role: &dyn Fn(&Spanned<Symbol>, &mut Vec<ProfileError>),
    at: &Locator,
    errors: &mut Vec<ProfileError>,
) {
    use crate::profile::{DutyKind, Effect};
    let bad = |problem: RuleProblem| ProfileErrorKind::BadRule { rule: rule.id.to_string(), problem };
    let rule_span = rule.clause.span();
    for c in &rule.classes {
        let Some(levels) = axes.get(c.axis.get_ref().as_str()) else {
            errors.push(at.error(c.axis.span(), ProfileErrorKind::UnknownReference { what: "分類", id: c.axis.get_ref().to_string() }));
            continue;
        };
        for l in [&c.min, &c.max].into_iter().flatten() {
            if !levels.contains(l.get_ref().as_str()) {
                errors.push(
                    at.error(l.span(), ProfileErrorKind::UnknownLevel { axis: c.axis.get_ref().to_string(), level: l.get_ref().clone() }),
                );
            }
        }
        match (&c.min, &c.max) {
            (None, None) => errors.push(at.error(c.axis.span(), bad(RuleProblem::EmptyClassCondition))),
            (Some(min), Some(max)) => {
                let rank = |id: &str| p.axis(c.axis.get_ref().as_str()).and_then(|a| a.level(id)).map(|l| *l.rank.get_ref());
                if let (Some(a), Some(b)) = (rank(min.get_ref()), rank(max.get_ref())) {
                    if a > b {
                        errors.push(at.error(min.span(), bad(RuleProblem::LevelOrder)));
                    }
                }
            }
            _ => {}
        }
    }
    for z in &rule.zones {
        if !zones.contains(z.get_ref().as_str()) {
            errors.push(at.error(z.span(), ProfileErrorKind::UnknownReference { what: "領域", id: z.get_ref().to_string() }));
        }
    }
    for r in &rule.subject_roles {
        check_role(r, errors);
    }
    if let Some(a) = &rule.approval {
        if !approvals.contains(a.get_ref().as_str()) {
            errors.push(at.error(a.span(), ProfileErrorKind::UnknownReference { what: "承認規則", id: a.get_ref().to_string() }));
        }
    }
    if rule.effect == Effect::Forbid && (rule.approval.is_some() || !rule.requires.is_empty() || !rule.duties.is_empty()) {
        errors.push(at.error(rule_span.clone(), bad(RuleProblem::ForbidWithRequirements)));
    }
    for d in &rule.duties {
        if let Some(to) = &d.to {
            check_role(to, errors);
        }
        if d.kind == DutyKind::Report && d.to.is_none() {
            errors.push(at.error(rule_span.clone(), bad(RuleProblem::ReportWithoutAddressee)));
        }
        if d.kind == DutyKind::Record && d.record.is_none() {
            errors.push(at.error(rule_span.clone(), bad(RuleProblem::RecordWithoutName)));
        }
    }
}

fn check_document(clause: &Spanned<crate::ids::ClauseId>, p: &Profile, at: &Locator, errors: &mut Vec<ProfileError>) {
    if p.documents.is_empty() {
        return;
    }
    let doc = clause.get_ref().document();
    if !p.documents.iter().any(|d| d.prefix == doc) {
        errors.push(at.error(clause.span(), ProfileErrorKind::UnknownDocument { clause: clause.get_ref().to_string() }));
    }
}

/// Every (clause, provenance) pair a rule of the profile cites.
pub(crate) fn citations(p: &Profile) -> Vec<(&Spanned<crate::ids::ClauseId>, Provenance)> {
    let mut out = Vec::new();
    out.extend(p.bodies.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.roles.iter().map(|x| (&x.clause, x.provenance)));
    for axis in &p.axes {
        out.push((&axis.clause, axis.provenance));
        for level in &axis.levels {
            out.extend(level.restrictions.iter().map(|x| (&x.clause, x.provenance)));
        }
    }
    out.extend(p.handling_rules.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.incident_response.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.zones.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.zone_rules.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.incident_levels.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.external_reports.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.obligations.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.approval_rules.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.decision_rules.iter().map(|x| (&x.clause, x.provenance)));
    out.extend(p.workflow_rules.iter().map(|x| (&x.clause, x.provenance)));
    out
}

fn unique_symbols<'a>(
    ids: impl Iterator<Item = &'a Symbol>,
    what: &'static str,
    section: Range<usize>,
    at: &Locator,
    errors: &mut Vec<ProfileError>,
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id.as_str()) {
            // Symbols are not spanned (they are keys, checked by type); point at the second
            // definition by searching for it after the section starts.
            let needle = format!("id = \"{id}\"");
            let first = at.text[section.start..].find(&needle).map(|i| i + section.start);
            let second = first.and_then(|f| at.text[f + 1..].find(&needle).map(|i| i + f + 1));
            errors
                .push(at.error(second.map(|s| s..s).unwrap_or(section.clone()), ProfileErrorKind::Duplicate { what, id: id.to_string() }));
        }
    }
    seen
}

fn text_span_of(text: &str, needle: &str) -> Range<usize> {
    text.find(needle).map(|i| i..i).unwrap_or(0..0)
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: Range<usize>| s[r].bytes().all(|c| c.is_ascii_digit());
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}
