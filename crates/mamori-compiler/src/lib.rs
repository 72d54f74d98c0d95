//! The policy compiler: the text of a municipal information security policy (plain text or
//! Markdown, as extracted from a PDF) to a clause tree, a draft profile, a review report and a
//! self-assessment checklist.
//!
//! Pure: no I/O, no async, no SQL. [`compile`] takes a file name and the text and returns a
//! [`Compilation`]; everything else is a function of that value.
//!
//! The pipeline: every line is classified from its raw characters (numbering markers are
//! read before any normalization, because NFKC turns `①` into `1`); the lines build a tree of
//! documents and numbered clauses (guideline style `1` → `(1)` → `①` → `(ア)`, chapters like
//! `4.1`; regulation style `第N条` → `2` → `(1)` → `ア`, `附則`), joining lines that
//! extraction broke mid-sentence; each clause is analysed on its NFKC form (force from the
//! sentence endings and its place under a lead-in, subject → role, condition, timing,
//! approver); then definitions, zones, roles and posts, bodies, the incident level table and
//! the classification tables are read. Every line ends up in an item or in
//! [`Compilation::unrecognized`], so nothing is dropped silently.

pub mod align;
mod analyze;
mod checklist;
mod draft;
pub mod eval;
mod extract;
pub mod gaps;
mod glossary;
mod lines;
mod model_rules;
mod report;
mod text;
mod tree;

pub use checklist::{checklist, ChecklistItem};
pub use draft::DraftError;
pub use mamori_policy::Force;

/// One compiled document set (a policy file may hold several documents: 基本方針 and 対策基準).
#[derive(Debug, Clone)]
pub struct Compilation {
    pub file: String,
    /// Number of input lines (a final newline does not start another line).
    pub line_count: usize,
    pub metadata: Metadata,
    pub documents: Vec<DocumentPart>,
    /// The clause tree in document order; `parent`/`children` are indexes into this list.
    pub clauses: Vec<Clause>,
    pub definitions: Vec<Definition>,
    pub zones: Vec<Zone>,
    pub roles: Vec<RoleItem>,
    pub bodies: Vec<Body>,
    pub incident_levels: Vec<IncidentLevel>,
    pub axes: Vec<Axis>,
    pub notes: Vec<Note>,
    pub metadata_lines: Vec<usize>,
    /// Every non-blank line that no item used, with the reason.
    pub unrecognized: Vec<UnusedLine>,
    pub warnings: Vec<Warning>,
    pub blank_lines: usize,
    /// The alignment to the standard model, computed on first use (the draft, the report
    /// and the gap report all read it).
    alignment: std::sync::OnceLock<align::Alignments>,
}

#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub organization: Option<String>,
    pub kind: Option<String>,
    pub self_name: Option<String>,
    pub title: Option<String>,
    pub edition: Option<String>,
    /// `YYYY-MM-DD`.
    pub effective: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `1` → `(1)` → `①` → `(ア)`.
    Guideline,
    /// `第N条` → `2` → `(1)` → `ア`.
    Regulation,
}

#[derive(Debug, Clone)]
pub struct DocumentPart {
    /// The clause id prefix: 基本方針, 対策基準, 規程 …
    pub prefix: String,
    pub title: String,
    pub line: usize,
    pub style: Style,
}

/// The numbering level of a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseKind {
    Part,
    Chapter,
    Section,
    Item,
    Circled,
    Kana,
    Article,
    Paragraph,
    /// 附則: kept in the tree (it dates the document) but not a clause of the catalogue.
    Supplementary,
}

#[derive(Debug, Clone)]
pub struct Clause {
    /// `対策基準5.1(1)③(ア)`, `基本方針3`, `規程第3条第2項`.
    pub id: String,
    pub kind: ClauseKind,
    pub document: usize,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub title: Option<String>,
    /// The clause's own text (its children's texts are theirs), lines broken by extraction
    /// joined; table rows as `cell：cell` lines.
    pub text: String,
    pub heading_only: bool,
    /// The line of its number.
    pub line: usize,
    /// Every input line that went into it.
    pub lines: Vec<usize>,
    pub force: Force,
    /// The responsible role (glossary id), when the subject is a role.
    pub role: Option<String>,
    pub condition: Option<String>,
    pub timing: Vec<String>,
    pub approval_required: bool,
    pub approver: Option<String>,
    pub action: Option<String>,
    /// Whether it belongs in the clause catalogue (附則 do not).
    pub is_clause: bool,
}

#[derive(Debug, Clone)]
pub struct Definition {
    pub term: String,
    pub meaning: String,
    pub clause: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub description: String,
    pub requires_mfa: bool,
    pub blocks_media_export: bool,
    pub clause: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct RoleItem {
    pub id: String,
    pub name: String,
    pub posts: Vec<String>,
    pub notes: Vec<String>,
    /// Where the document sets the role up (its assignment, its heading, its appointment or
    /// else its first duty).
    pub clause: String,
    pub line: usize,
    pub deputy: Option<String>,
    pub reports_to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub id: String,
    pub name: String,
    pub clause: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct IncidentLevel {
    pub level: u32,
    pub name: String,
    pub criteria: String,
    pub report_to: Vec<String>,
    pub clause: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Axis {
    pub id: String,
    pub name: String,
    pub clause: String,
    /// From the strictest down.
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone)]
pub struct Level {
    /// `3A`, `2`.
    pub id: String,
    /// `自治体機密性3A`.
    pub name: String,
    pub rank: u32,
    pub criteria: String,
    /// The restrictions its own row lists.
    pub own_restrictions: Vec<String>,
    /// Its own and those of the levels below it.
    pub restrictions: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub line: usize,
    pub text: String,
    /// The clause it stands under.
    pub clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedLine {
    pub line: usize,
    pub text: String,
    /// Why it was not used, in Japanese (目次, 表紙・序文 …).
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// Compiles a policy text. `file` is only used in the report and the draft's `source`.
pub fn compile(file: &str, text: &str) -> Compilation {
    let mut parsed = tree::parse(text);
    // Abbreviations the text sets up for roles (以下「統括責任者」という) read as the role.
    let texts: Vec<&str> = parsed.nodes.iter().map(|n| n.norm_text.as_str()).collect();
    let abbreviations = glossary::abbreviations(&texts);
    if !abbreviations.is_empty() {
        for n in &mut parsed.nodes {
            n.norm_text = glossary::expand_abbreviations(&n.norm_text, &abbreviations);
            n.norm_prose = glossary::expand_abbreviations(&n.norm_prose, &abbreviations);
            if let Some(t) = &n.norm_title {
                n.norm_title = Some(glossary::expand_abbreviations(t, &abbreviations));
            }
        }
    }
    let analyses = analyze::analyze(&parsed);
    let definitions = extract::definitions(&parsed);
    let zones = extract::zones(&parsed, &definitions);
    let bodies = extract::bodies(&parsed);
    let incident_levels = extract::incident_levels(&parsed);
    let roles = extract::roles(&parsed, &analyses, &incident_levels);
    let axes = extract::axes(&parsed);
    let metadata = extract::metadata(&parsed);

    let metadata_lines = parsed.meta.iter().map(|m| m.line).collect();
    let documents = parsed
        .docs
        .iter()
        .map(|d| DocumentPart {
            prefix: d.prefix.clone(),
            title: d.title.clone(),
            line: d.line,
            style: if d.regulation { Style::Regulation } else { Style::Guideline },
        })
        .collect();
    let notes = parsed
        .notes
        .iter()
        .map(|n| Note { line: n.line, text: n.text.clone(), clause: n.node.map(|k| parsed.nodes[k].id.clone()) })
        .collect();
    let mut unrecognized = Vec::new();
    let mut blank_lines = 0;
    for (i, u) in parsed.uses.iter().enumerate() {
        match u {
            tree::Use::Unused(reason) => unrecognized.push(UnusedLine { line: i + 1, text: parsed.lines[i].clone(), reason }),
            tree::Use::Blank => blank_lines += 1,
            _ => {}
        }
    }
    let line_count = parsed.lines.len();
    // The tree is not needed any more: its texts move into the clauses.
    let clauses = parsed
        .nodes
        .into_iter()
        .zip(analyses)
        .map(|(n, a)| Clause {
            id: n.id,
            kind: match n.kind {
                tree::NodeKind::Part(_) => ClauseKind::Part,
                tree::NodeKind::Chapter(_) => ClauseKind::Chapter,
                tree::NodeKind::Section(..) => ClauseKind::Section,
                tree::NodeKind::Paren(_) | tree::NodeKind::HalfParen(_) | tree::NodeKind::Item(_) => ClauseKind::Item,
                tree::NodeKind::Circled(_) => ClauseKind::Circled,
                tree::NodeKind::ParenKana(_) | tree::NodeKind::BareKana(_) => ClauseKind::Kana,
                tree::NodeKind::Article(..) => ClauseKind::Article,
                tree::NodeKind::Paragraph(_) => ClauseKind::Paragraph,
                tree::NodeKind::Supplementary => ClauseKind::Supplementary,
            },
            document: n.doc,
            parent: n.parent,
            children: n.children,
            title: n.title,
            text: n.text,
            heading_only: n.heading_only,
            line: n.line,
            lines: n.lines,
            force: a.force,
            role: a.role.map(str::to_owned),
            condition: a.condition,
            timing: a.timing,
            approval_required: a.approval,
            approver: a.approver.map(str::to_owned),
            action: a.action,
            is_clause: n.is_clause,
        })
        .collect();
    let mut warnings: Vec<Warning> = parsed.warnings.into_iter().map(|(line, message)| Warning { line, message }).collect();
    if metadata.effective.is_none() {
        warnings.push(Warning {
            line: 0, message: "施行日・改定日が見つかりません。下書きの effective を確認してください".to_owned()
        });
    }
    warnings.sort_by_key(|w| w.line);
    Compilation {
        file: file.to_owned(),
        line_count,
        metadata,
        documents,
        clauses,
        definitions,
        zones,
        roles,
        bodies,
        incident_levels,
        axes,
        notes,
        metadata_lines,
        unrecognized,
        warnings,
        blank_lines,
        alignment: std::sync::OnceLock::new(),
    }
}

/// What a line went into, for the coverage invariant and the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineUse {
    Blank,
    Clause(String),
    DocumentTitle(String),
    Metadata,
    Note,
    Unrecognized(&'static str),
}

impl Compilation {
    /// The clauses that belong in the catalogue (not 附則).
    /// Each clause aligned to the standard model's clause that says the same.
    pub fn align(&self) -> &align::Alignments {
        self.alignment.get_or_init(|| align::align(self))
    }

    /// What the text lacks against the standard model, and where it differs from it.
    pub fn gaps(&self) -> Vec<gaps::Gap> {
        gaps::gaps(self, self.align())
    }

    /// Posts the text gives both an auditing role and a role the audit looks at (兼務), with
    /// the text's own 兼務 clause.
    pub fn post_conflicts(&self) -> Vec<mamori_policy::conflicts::PostConflict> {
        use mamori_policy::conflicts::{conflicts_among, ClauseFacts, RoleFacts};
        use mamori_policy::workflow::WorkflowRole;
        let roles: Vec<RoleFacts> =
            self.roles.iter().map(|r| RoleFacts { id: &r.id, name: &r.name, job: WorkflowRole::parse(&r.id), posts: &r.posts }).collect();
        let clauses: Vec<ClauseFacts> = self.catalogue().map(|c| ClauseFacts { id: &c.id, text: &c.text, force: c.force }).collect();
        conflicts_among(&roles, &clauses)
    }

    pub fn catalogue(&self) -> impl Iterator<Item = &Clause> {
        self.clauses.iter().filter(|c| c.is_clause)
    }

    pub fn clause(&self, id: &str) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.id == id)
    }

    /// Every line (index 0 = line 1) and the item that used it, built from the items
    /// themselves (clauses' `lines`, document titles, metadata, notes, `unrecognized`).
    /// A line claimed twice or by nothing is a bug; the tests check that neither happens.
    pub fn line_uses(&self) -> Vec<Vec<LineUse>> {
        let mut uses: Vec<Vec<LineUse>> = vec![Vec::new(); self.line_count];
        let mut put = |line: usize, u: LineUse| {
            if let Some(slot) = line.checked_sub(1).and_then(|i| uses.get_mut(i)) {
                slot.push(u);
            }
        };
        for c in &self.clauses {
            for l in &c.lines {
                put(*l, LineUse::Clause(c.id.clone()));
            }
        }
        // A document found without a title line (numbering from the first line on) claims no line.
        for d in self.documents.iter().filter(|d| !d.title.is_empty()) {
            put(d.line, LineUse::DocumentTitle(d.prefix.clone()));
        }
        for l in &self.metadata_lines {
            put(*l, LineUse::Metadata);
        }
        for n in &self.notes {
            put(n.line, LineUse::Note);
        }
        for u in &self.unrecognized {
            put(u.line, LineUse::Unrecognized(u.reason));
        }
        uses
    }

    /// The draft profile as TOML text (see `draft.rs`).
    pub fn draft_toml(&self) -> String {
        draft::draft_toml(self)
    }

    /// The draft profile, loaded and validated by `mamori_policy`'s own loader.
    pub fn draft_profile(&self) -> Result<mamori_policy::Profile, DraftError> {
        draft::draft_profile(self)
    }

    /// The review report, Markdown in Japanese.
    pub fn report_markdown(&self) -> String {
        report::report(self)
    }

    /// The self-assessment checklist (every mandatory and prohibited clause).
    pub fn checklist(&self) -> Vec<ChecklistItem> {
        checklist::checklist(self)
    }
}
