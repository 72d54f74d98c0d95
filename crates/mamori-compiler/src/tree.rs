//! Lines to a clause tree: documents (基本方針, 対策基準, a 規程 …), their numbered clauses
//! with ids in the form the bundled profiles use, and what every line was used for.

use crate::lines::{classify, is_toc_continuation, strip_leading, LineKind, Marker};
use crate::text::{circled_char, ends_sentence, ends_terminated, find_date, kana_char, norm};

/// The numbering kind of a clause, after context (a regulation's `2` is a paragraph).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Part(u32),
    Chapter(u32),
    Section(u32, u32),
    Paren(u32),
    HalfParen(u32),
    Circled(u32),
    ParenKana(u32),
    BareKana(u32),
    Article(u32, Option<u32>),
    Paragraph(u32),
    Item(u32),
    Supplementary,
}

impl NodeKind {
    fn rank(self, regulation: bool) -> u8 {
        match self {
            NodeKind::Part(_) | NodeKind::Supplementary => 0,
            NodeKind::Chapter(_) | NodeKind::Article(..) => 1,
            NodeKind::Section(..) | NodeKind::Paragraph(_) => 2,
            NodeKind::Paren(_) | NodeKind::HalfParen(_) | NodeKind::Item(_) => 3,
            NodeKind::Circled(_) => {
                if regulation {
                    6
                } else {
                    4
                }
            }
            NodeKind::ParenKana(_) => 5,
            NodeKind::BareKana(_) => {
                if regulation {
                    4
                } else {
                    6
                }
            }
        }
    }

    /// The number the document writes, for sequence checks.
    fn number(self) -> Option<u32> {
        match self {
            NodeKind::Part(n)
            | NodeKind::Chapter(n)
            | NodeKind::Paren(n)
            | NodeKind::HalfParen(n)
            | NodeKind::Circled(n)
            | NodeKind::ParenKana(n)
            | NodeKind::BareKana(n)
            | NodeKind::Paragraph(n)
            | NodeKind::Item(n) => Some(n),
            NodeKind::Section(_, n) => Some(n),
            NodeKind::Article(n, _) => Some(n),
            NodeKind::Supplementary => None,
        }
    }

    fn same_family(self, other: NodeKind) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }
}

/// A paragraph of a clause: one or more physical lines joined where extraction broke a
/// sentence.
#[derive(Debug, Clone)]
pub struct Para {
    pub text: String,
    pub lines: Vec<usize>,
    /// The text that stood on the numbering line itself.
    pub from_marker: bool,
    pub joined: bool,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<String>,
    pub lines: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub doc: usize,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub paras: Vec<Para>,
    pub tables: Vec<Table>,
    pub caption: Option<String>,
    pub line: usize,
    pub lines: Vec<usize>,
    list_mode: bool,
    table_open: bool,
    // Filled by `finish`.
    pub id: String,
    pub title: Option<String>,
    pub text: String,
    /// The text without its table rows: what the sentence analysis reads.
    pub prose: String,
    /// `norm` of text, prose and title, computed once (NFKC is the costly step).
    pub norm_text: String,
    pub norm_prose: String,
    pub norm_title: Option<String>,
    /// A heading whose only content is its title (its children carry the text).
    pub heading_only: bool,
    /// Whether the id is a clause id (附則 are kept in the tree but are not clauses).
    pub is_clause: bool,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub prefix: String,
    pub title: String,
    pub line: usize,
    pub regulation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    Organization,
    Title,
    Edition,
    Date,
}

#[derive(Debug, Clone)]
pub struct MetaLine {
    pub line: usize,
    pub kind: MetaKind,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct NoteLine {
    pub line: usize,
    pub text: String,
    pub node: Option<usize>,
}

/// What a line was used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    Blank,
    Node(usize),
    DocTitle(usize),
    Meta,
    Note,
    Unused(&'static str),
}

#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub docs: Vec<Doc>,
    pub nodes: Vec<Node>,
    pub notes: Vec<NoteLine>,
    pub meta: Vec<MetaLine>,
    pub uses: Vec<Use>,
    pub lines: Vec<String>,
    pub warnings: Vec<(usize, String)>,
}

const DOC_SUFFIXES: [(&str, &str); 8] = [
    ("基本方針", "基本方針"),
    ("対策基準", "対策基準"),
    ("実施手順", "実施手順"),
    ("規程", "規程"),
    ("規則", "規則"),
    ("要綱", "要綱"),
    ("要領", "要領"),
    ("条例", "条例"),
];

/// A document's title line: `情報セキュリティ基本方針`, `第1章 情報セキュリティ基本方針`,
/// `横手市情報セキュリティ及び 特定個人情報の安全管理に関する基本方針`, `情報セキュリティ管理規程`.
fn doc_title(s: &str) -> Option<&'static str> {
    if s.contains('\t') || s.contains('。') || s.contains('、') || s.chars().count() > 60 {
        return None;
    }
    let n = norm(s);
    DOC_SUFFIXES.iter().find(|(suffix, _)| n.ends_with(suffix)).map(|(_, p)| *p)
}

fn sentence_like(t: &str) -> bool {
    let t = &t.replace(['，', ','], "、");
    const INNER: [&str; 12] = ["は、", "を、", "が、", "に、", "て、", "で、", "し、", "り、", "ば、", "も、", "ず、", "く、"];
    const END: [&str; 11] = ["その", "この", "及び", "又は", "並びに", "若しくは", "の", "を", "に", "が", "や"];
    INNER.iter().any(|p| t.contains(p)) || END.iter().any(|p| t.ends_with(p))
}

fn continues(prev: &Para, list_mode: bool) -> bool {
    let t = prev.text.trim_end();
    if ends_terminated(t) {
        return false;
    }
    if t.ends_with('、') || t.ends_with('，') || t.ends_with(',') {
        return true;
    }
    if prev.from_marker || prev.text.starts_with('・') || prev.text.contains('\t') {
        return sentence_like(t);
    }
    !list_mode
}

fn lead_in_words(t: &str) -> bool {
    ["次の", "以下の", "次に", "以下を", "次のとおり"].iter().any(|w| t.contains(w))
}

struct Builder {
    p: Parsed,
    cur_doc: Option<usize>,
    stack: Vec<usize>,
    last_chapter: u32,
    outside: bool,
    toc_mode: bool,
    pending_caption: Option<String>,
    /// Caption lines waiting for their article: (line index, the article's node index).
    caption_lines: Vec<(usize, usize)>,
}

pub fn parse(text: &str) -> Parsed {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<String> =
        if text.is_empty() { Vec::new() } else { body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned()).collect() };
    let mut b = Builder {
        p: Parsed { uses: vec![Use::Blank; lines.len()], ..Parsed::default() },
        cur_doc: None,
        stack: Vec::new(),
        last_chapter: 0,
        outside: false,
        toc_mode: false,
        pending_caption: None,
        caption_lines: Vec::new(),
    };
    let kinds: Vec<LineKind> = lines.iter().map(|l| classify(l)).collect();
    // For every line, whether the next line that is not blank numbers an article (a caption
    // line before it belongs to the article).
    let mut before_article = vec![false; kinds.len()];
    let mut next_is_article = false;
    for (i, kind) in kinds.iter().enumerate().rev() {
        before_article[i] = next_is_article;
        if *kind != LineKind::Blank {
            next_is_article = matches!(kind, LineKind::Marker { marker: Marker::Article(..), .. });
        }
    }
    for (i, (raw, kind)) in lines.iter().zip(kinds).enumerate() {
        b.line(i, raw, kind, before_article[i]);
    }
    b.p.lines = lines;
    finish(&mut b.p);
    b.p
}

impl Builder {
    fn set(&mut self, i: usize, u: Use) {
        self.p.uses[i] = u;
    }

    fn line(&mut self, i: usize, raw: &str, kind: LineKind, before_article: bool) {
        let line = i + 1;
        if self.toc_mode {
            if kind == LineKind::Blank {
                return self.set(i, Use::Blank);
            }
            if is_toc_continuation(raw) || kind == LineKind::Toc {
                return self.set(i, Use::Unused("目次"));
            }
            self.toc_mode = false;
        }
        // A document starts at its title line.
        let stripped = strip_leading(raw).trim();
        let title_text = match &kind {
            LineKind::Text(t) => Some(t.as_str()),
            LineKind::Marker { marker: Marker::Part(_), content } => Some(content.as_str()),
            // A 例規集's title line: 「○○○町情報セキュリティ規程」.
            LineKind::Bullet(content) if stripped.starts_with('○') => Some(content.as_str()),
            _ => None,
        };
        if let Some(prefix) = title_text.and_then(doc_title) {
            let title = title_text.unwrap_or_default().to_owned();
            let reuse = self.cur_doc.filter(|d| self.p.docs[*d].prefix == prefix && !self.p.nodes.iter().any(|n| n.doc == *d));
            let d = match reuse {
                Some(d) => {
                    self.p.docs[d].title = title;
                    self.p.docs[d].line = line;
                    d
                }
                None => {
                    self.p.docs.push(Doc { prefix: prefix.to_owned(), title, line, regulation: false });
                    self.p.docs.len() - 1
                }
            };
            self.cur_doc = Some(d);
            self.stack.clear();
            self.last_chapter = 0;
            self.outside = false;
            return self.set(i, Use::DocTitle(d));
        }
        match kind {
            LineKind::Blank => self.set(i, Use::Blank),
            LineKind::Toc => {
                if !raw.contains('\t') && !raw.contains('.') && !raw.contains('…') {
                    self.toc_mode = true;
                }
                self.set(i, Use::Unused("目次"))
            }
            LineKind::PageNumber => self.set(i, Use::Unused("ページ番号・区切り")),
            LineKind::Marker { marker, content } => self.marker(i, marker, content, stripped),
            _ if self.cur_doc.is_none() => self.front_matter(i, stripped),
            LineKind::Text(t) => self.text(i, t, false),
            LineKind::Bullet(t) => self.text(i, format!("・{t}"), true),
            LineKind::TableRow(cells) => self.table_row(i, cells),
            LineKind::Note(t) => {
                let node = if self.outside { None } else { self.stack.last().copied() };
                self.p.notes.push(NoteLine { line, text: t, node });
                self.set(i, Use::Note)
            }
            LineKind::Figure(_) => self.set(i, Use::Unused("図の見出し（図は抽出されていない）")),
            LineKind::Unnumbered(_) => {
                self.stack.clear();
                self.outside = true;
                self.set(i, Use::Unused("番号のない見出し"))
            }
            LineKind::Caption(c) => {
                if before_article {
                    self.pending_caption = Some(c);
                    // The article's index is the next node.
                    let next_index = self.p.nodes.len();
                    self.set(i, Use::Node(next_index));
                    self.caption_lines.push((i, next_index));
                } else {
                    self.text(i, stripped.to_owned(), false);
                }
            }
        }
    }

    fn front_matter(&mut self, i: usize, stripped: &str) {
        let n = norm(stripped);
        let count = n.chars().count();
        let kind = if n.starts_with('第') && n.ends_with('版') && count <= 6 {
            Some(MetaKind::Edition)
        } else if find_date(&n).is_some() && count <= 40 {
            Some(MetaKind::Date)
        } else if n.contains("情報セキュリティポリシー") && count <= 40 && !n.contains('。') {
            Some(MetaKind::Title)
        } else if count <= 20
            && !n.contains('、')
            && !n.contains('。')
            && ["町", "市", "村", "区", "組合", "広域連合", "県", "都", "府"].iter().any(|s| n.ends_with(s))
        {
            Some(MetaKind::Organization)
        } else {
            None
        };
        match kind {
            Some(kind) => {
                self.p.meta.push(MetaLine { line: i + 1, kind, text: stripped.to_owned() });
                self.set(i, Use::Meta)
            }
            None => self.set(i, Use::Unused("表紙・序文（本文の前）")),
        }
    }

    fn ensure_doc(&mut self, line: usize) -> usize {
        if let Some(d) = self.cur_doc {
            return d;
        }
        self.p.docs.push(Doc { prefix: "本文".to_owned(), title: String::new(), line, regulation: false });
        self.p.warnings.push((
            line,
            "文書名（〜基本方針、〜対策基準、〜規程など）の行が見つからないため、条項IDの接頭辞を「本文」にしました".to_owned(),
        ));
        let d = self.p.docs.len() - 1;
        self.cur_doc = Some(d);
        d
    }

    fn in_article(&self) -> Option<usize> {
        self.stack.iter().rev().copied().find(|n| matches!(self.p.nodes[*n].kind, NodeKind::Article(..)))
    }

    fn marker(&mut self, i: usize, marker: Marker, content: String, stripped: &str) {
        let line = i + 1;
        let d = self.ensure_doc(line);
        let regulation = self.p.docs[d].regulation || matches!(marker, Marker::Article(..));
        let kind = match marker {
            Marker::Part(n) => Some(NodeKind::Part(n)),
            Marker::Supplementary => Some(NodeKind::Supplementary),
            Marker::Article(n, sub) => {
                self.p.docs[d].regulation = true;
                Some(NodeKind::Article(n, sub))
            }
            Marker::Chapter(n) if regulation => match self.in_article() {
                Some(article) => {
                    let paragraphs =
                        self.p.nodes[article].children.iter().filter(|c| matches!(self.p.nodes[**c].kind, NodeKind::Paragraph(_))).count()
                            as u32;
                    (n == paragraphs + 2).then_some(NodeKind::Paragraph(n))
                }
                None => None,
            },
            Marker::Chapter(n) => {
                if self.last_chapter == 0 || n == self.last_chapter + 1 {
                    self.last_chapter = n;
                    Some(NodeKind::Chapter(n))
                } else {
                    None
                }
            }
            Marker::Section(a, b) => {
                let joined: Option<u32> = format!("{a}{b}").parse().ok();
                if !regulation && self.last_chapter > 0 && a != self.last_chapter && joined == Some(self.last_chapter + 1) {
                    // Extraction turned chapter 11 into "1.1": the numbering before it says so.
                    let n = self.last_chapter + 1;
                    self.p.warnings.push((
                        line,
                        format!("「{a}.{b}」は前の章 {} に続く章番号 {n} と解釈しました（抽出で「.」が入ったもの）", self.last_chapter),
                    ));
                    self.last_chapter = n;
                    Some(NodeKind::Chapter(n))
                } else {
                    Some(NodeKind::Section(a, b))
                }
            }
            Marker::Paren(n) if regulation => Some(NodeKind::Item(n)),
            Marker::KanjiItem(n) if regulation => Some(NodeKind::Item(n)),
            Marker::KanjiItem(_) => None,
            Marker::Paren(n) => Some(NodeKind::Paren(n)),
            Marker::HalfParen(n) => Some(NodeKind::HalfParen(n)),
            Marker::Circled(n) => Some(NodeKind::Circled(n)),
            Marker::ParenKana(n) => Some(NodeKind::ParenKana(n)),
            Marker::BareKana(n) => Some(NodeKind::BareKana(n)),
        };
        let Some(kind) = kind else {
            // A number at the start of a line that does not fit the numbering: running text.
            return self.text(i, stripped.to_owned(), false);
        };
        self.outside = false;
        let r = kind.rank(regulation);
        while let Some(top) = self.stack.last() {
            if self.p.nodes[*top].kind.rank(regulation) >= r {
                self.stack.pop();
            } else {
                break;
            }
        }
        let parent = self.stack.last().copied();
        // Sequence check: the same kind under the same parent counts up by one.
        let nodes = &self.p.nodes;
        let previous = match parent {
            Some(p) => nodes[p].children.iter().rev().map(|s| nodes[*s].kind).find(|k| k.same_family(kind)),
            None => nodes.iter().rev().filter(|n| n.doc == d && n.parent.is_none()).map(|n| n.kind).find(|k| k.same_family(kind)),
        };
        if let (Some(prev), Some(now)) = (previous.and_then(NodeKind::number), kind.number()) {
            if now != prev + 1 && !matches!(kind, NodeKind::Section(..) | NodeKind::Article(..)) {
                self.p.warnings.push((line, format!("番号が {prev} の次に {now} になっています。抜けや重複がないか確認してください")));
            }
        }
        let index = self.p.nodes.len();
        let mut node = Node {
            kind,
            doc: d,
            parent,
            children: Vec::new(),
            paras: Vec::new(),
            tables: Vec::new(),
            caption: None,
            line,
            lines: vec![line],
            list_mode: false,
            table_open: false,
            id: String::new(),
            title: None,
            text: String::new(),
            prose: String::new(),
            norm_text: String::new(),
            norm_prose: String::new(),
            norm_title: None,
            heading_only: false,
            is_clause: true,
        };
        if matches!(kind, NodeKind::Article(..)) {
            node.caption = self.pending_caption.take();
            for (ci, target) in std::mem::take(&mut self.caption_lines) {
                if target == index {
                    node.lines.insert(0, ci + 1);
                }
            }
        }
        if !content.is_empty() {
            node.list_mode = ends_terminated(&content) && lead_in_words(&content);
            node.paras.push(Para { text: content, lines: vec![line], from_marker: true, joined: false });
        }
        self.p.nodes.push(node);
        if let Some(p) = parent {
            self.p.nodes[p].children.push(index);
        }
        self.stack.push(index);
        self.set(i, Use::Node(index));
    }

    fn text(&mut self, i: usize, t: String, bullet: bool) {
        let line = i + 1;
        if self.outside {
            return self.set(i, Use::Unused("番号のない節（改訂履歴など）の中"));
        }
        let Some(&top) = self.stack.last() else {
            return self.set(i, Use::Unused("条項の外の文"));
        };
        let node = &mut self.p.nodes[top];
        node.table_open = false;
        let list_mode = node.list_mode;
        match node.paras.last_mut() {
            Some(prev) if !bullet && continues(prev, list_mode) => {
                prev.text.push_str(&t);
                prev.joined = true;
                prev.lines.push(line);
            }
            _ => node.paras.push(Para { text: t, lines: vec![line], from_marker: false, joined: false }),
        }
        if let Some(last) = node.paras.last() {
            if ends_terminated(&last.text) && lead_in_words(&last.text) {
                node.list_mode = true;
            }
        }
        node.lines.push(line);
        self.set(i, Use::Node(top));
    }

    fn table_row(&mut self, i: usize, cells: Vec<String>) {
        let line = i + 1;
        if self.outside {
            return self.set(i, Use::Unused("番号のない節（改訂履歴など）の表"));
        }
        let Some(&top) = self.stack.last() else {
            return self.set(i, Use::Unused("条項の外の表"));
        };
        let node = &mut self.p.nodes[top];
        let continuation = cells.first().is_some_and(|c| c.is_empty()) && node.table_open;
        if !node.table_open {
            node.tables.push(Table::default());
            node.table_open = true;
        }
        let table = node.tables.last_mut().expect("a table was just opened");
        match table.rows.last_mut() {
            Some(last) if continuation => {
                for (k, c) in cells.into_iter().enumerate() {
                    if c.is_empty() {
                        continue;
                    }
                    match last.cells.get_mut(k) {
                        Some(cell) => cell.push_str(&c),
                        None => last.cells.push(c),
                    }
                }
                last.lines.push(line);
            }
            _ => table.rows.push(Row { cells, lines: vec![line] }),
        }
        node.lines.push(line);
        self.set(i, Use::Node(top));
    }
}

/// Titles, texts and ids, once the whole tree is known.
fn finish(p: &mut Parsed) {
    let mut seen = std::collections::HashSet::new();
    let mut supplementary = vec![0u32; p.docs.len()];
    for i in 0..p.nodes.len() {
        let node = &p.nodes[i];
        let paras = &node.paras;
        let table_text: Vec<String> = node
            .tables
            .iter()
            .flat_map(|t| t.rows.iter())
            .map(|r| r.cells.iter().filter(|c| !c.is_empty()).cloned().collect::<Vec<_>>().join("："))
            .collect();
        let (mut title, mut text, mut heading_only) = (None, String::new(), false);
        let regulation = p.docs[node.doc].regulation;
        match paras.first() {
            Some(first) if !regulation && first.from_marker && !first.joined && !ends_sentence(&first.text) => {
                if paras.len() > 1 {
                    title = Some(first.text.clone());
                    text = paras[1..].iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n");
                } else if !node.children.is_empty() || !node.tables.is_empty() {
                    title = Some(first.text.clone());
                    text = first.text.clone();
                    heading_only = node.tables.is_empty();
                } else {
                    text = first.text.clone();
                }
            }
            Some(_) => text = paras.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n"),
            None => {}
        }
        if regulation && node.caption.is_some() {
            title = node.caption.clone();
        }
        let prose = if !node.tables.is_empty() && title.as_deref() == Some(text.as_str()) { String::new() } else { text.clone() };
        if !table_text.is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&table_text.join("\n"));
        }
        let prefix = p.docs[node.doc].prefix.as_str();
        let parent_id = node.parent.map_or(prefix, |q| p.nodes[q].id.as_str());
        let parent_kind = node.parent.map(|q| p.nodes[q].kind);
        let mut is_clause = true;
        let id = match node.kind {
            NodeKind::Part(n) => format!("{prefix}第{n}章"),
            NodeKind::Chapter(n) => format!("{prefix}{n}"),
            NodeKind::Section(a, b) => format!("{prefix}{a}.{b}"),
            NodeKind::Paren(n) | NodeKind::HalfParen(n) => format!("{parent_id}({n})"),
            NodeKind::Circled(n) => match circled_char(n) {
                Some(c) => format!("{parent_id}{c}"),
                None => format!("{parent_id}({n})"),
            },
            NodeKind::ParenKana(n) => format!("{parent_id}({})", kana_char(n).unwrap_or('?')),
            NodeKind::BareKana(n) => format!("{parent_id}{}", kana_char(n).unwrap_or('?')),
            NodeKind::Article(n, None) => format!("{prefix}第{n}条"),
            NodeKind::Article(n, Some(m)) => format!("{prefix}第{n}条の{m}"),
            NodeKind::Paragraph(n) => format!("{parent_id}第{n}項"),
            NodeKind::Item(n) => match parent_kind {
                Some(NodeKind::Article(..)) => {
                    let has_paragraphs =
                        node.parent.is_some_and(|q| p.nodes[q].children.iter().any(|c| matches!(p.nodes[*c].kind, NodeKind::Paragraph(_))));
                    if has_paragraphs {
                        format!("{parent_id}第1項第{n}号")
                    } else {
                        format!("{parent_id}第{n}号")
                    }
                }
                _ => format!("{parent_id}第{n}号"),
            },
            NodeKind::Supplementary => {
                is_clause = false;
                supplementary[node.doc] += 1;
                match supplementary[node.doc] {
                    1 => format!("{prefix}附則"),
                    k => format!("{prefix}附則{k}"),
                }
            }
        };
        let id = if seen.insert(id.clone()) {
            id
        } else {
            let mut k = 2;
            let unique = loop {
                let candidate = format!("{id}(重複{k})");
                if seen.insert(candidate.clone()) {
                    break candidate;
                }
                k += 1;
            };
            p.warnings.push((node.line, format!("条項ID `{id}` が重複するため `{unique}` としました")));
            unique
        };
        // What stands under a 附則 is not a clause either.
        let parent_is_clause = p.nodes[i].parent.is_none_or(|q| p.nodes[q].is_clause);
        let norm_text = norm(&text);
        let norm_prose = if prose == text { norm_text.clone() } else { norm(&prose) };
        let norm_title = title.as_deref().map(norm);
        let node = &mut p.nodes[i];
        node.norm_text = norm_text;
        node.norm_prose = norm_prose;
        node.norm_title = norm_title;
        node.id = id;
        node.title = title;
        node.text = text;
        node.prose = prose;
        node.heading_only = heading_only;
        node.is_clause = is_clause && parent_is_clause;
    }
}
