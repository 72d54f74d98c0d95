//! Items the profile needs beyond the clause catalogue: definitions, zones, roles and their
//! posts, the bodies in scope, the incident level table, the classification tables and the
//! document's metadata.

use crate::analyze::Analysis;
use crate::glossary::{body_id, mentions, role_suffix, roles_in, zone_id, ROLES};
use crate::text::{find_date, norm, sentences, strip_trailing_parenthetical};
use crate::tree::{MetaKind, NodeKind, Parsed};
use crate::{Axis, Body, Definition, IncidentLevel, Level, Metadata, RoleItem, Zone};

fn clause_id(p: &Parsed, node: usize) -> String {
    p.nodes[node].id.clone()
}

fn under_title(p: &Parsed, node: usize, word: &str) -> bool {
    let mut cur = Some(node);
    while let Some(i) = cur {
        let n = &p.nodes[i];
        if n.norm_title.as_deref().is_some_and(|t| t.ends_with(word)) || n.caption.as_deref().is_some_and(|c| norm(c).contains(word)) {
            return true;
        }
        cur = n.parent;
    }
    false
}

pub fn definitions(p: &Parsed) -> Vec<Definition> {
    let mut out = Vec::new();
    for (i, n) in p.nodes.iter().enumerate() {
        if !n.is_clause {
            continue;
        }
        let in_definitions = under_title(p, i, "定義");
        // (1) ネットワーク / コンピュータ等を…をいう。
        if in_definitions && n.parent.is_some() {
            if let Some(title) = &n.title {
                if !n.heading_only {
                    out.push(Definition { term: title.clone(), meaning: n.text.clone(), clause: clause_id(p, i), line: n.line });
                    continue;
                }
            }
            // A regulation's item: `(1) ネットワーク コンピュータ等を…をいう。`
            let text = n.text.trim();
            if norm(text).ends_with("をいう。") {
                if let Some((term, meaning)) = text.split_once([' ', '　']) {
                    if term.chars().count() <= 30 {
                        out.push(Definition {
                            term: term.to_owned(),
                            meaning: meaning.trim().to_owned(),
                            clause: clause_id(p, i),
                            line: n.line,
                        });
                        continue;
                    }
                }
            }
        }
        // A definitions table: 用語 | 定義.
        for table in &n.tables {
            let Some(header) = table.rows.first() else { continue };
            let is_definitions = header.cells.first().is_some_and(|c| norm(c) == "用語") || (in_definitions && header.cells.len() == 2);
            if !is_definitions {
                continue;
            }
            let skip = usize::from(header.cells.first().is_some_and(|c| norm(c) == "用語"));
            for row in table.rows.iter().skip(skip) {
                let cells: Vec<&String> = row.cells.iter().filter(|c| !c.is_empty()).collect();
                if cells.len() >= 2 {
                    out.push(Definition {
                        term: cells[0].clone(),
                        meaning: cells[1..].iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                        clause: clause_id(p, i),
                        line: row.lines[0],
                    });
                }
            }
        }
        // `管理区域とは、…をいう。` (most clauses have no 「とは、」 at all).
        if !n.text.contains("とは、") {
            continue;
        }
        for s in sentences(&n.text) {
            if let Some((term, rest)) = s.split_once("とは、") {
                let term = term.trim();
                if rest.trim_end().ends_with("をいう") && !term.is_empty() && term.chars().count() <= 20 && !term.contains('、') {
                    out.push(Definition { term: term.to_owned(), meaning: rest.trim().to_owned(), clause: clause_id(p, i), line: n.line });
                }
            }
        }
    }
    out
}

/// A zone's display name: spaces dropped (`LGWAN 接続系`), parentheses full-width.
pub fn zone_name(term: &str) -> String {
    term.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            c => c,
        })
        .collect()
}

pub fn zones(p: &Parsed, defs: &[Definition]) -> Vec<Zone> {
    let mut out: Vec<Zone> = Vec::new();
    for d in defs {
        let name = zone_name(&d.term);
        let bare = norm(strip_trailing_parenthetical(&name));
        if !bare.ends_with('系') {
            continue;
        }
        let id = zone_id(&name).map(str::to_owned).unwrap_or_else(|| format!("zone{}", out.len() + 1));
        if out.iter().any(|z| z.id == id) {
            continue;
        }
        // The zone's own measures (`個人番号利用事務系においては、…多要素認証…`).
        let key = norm(strip_trailing_parenthetical(&d.term));
        let (within, between) = (format!("{key}においては"), format!("{key}と他の領域"));
        let measures: Vec<&String> = p
            .nodes
            .iter()
            .filter(|n| n.is_clause)
            .map(|n| &n.norm_text)
            .filter(|t| t.starts_with(&within) || t.starts_with(&between))
            .collect();
        let requires_mfa = measures.iter().any(|t| t.contains("多要素認証"));
        let blocks_media_export = measures.iter().any(|t| t.contains("持ち出し不可") || t.contains("持出し不可"));
        out.push(Zone {
            id,
            name,
            description: d.meaning.clone(),
            requires_mfa,
            blocks_media_export,
            clause: d.clause.clone(),
            line: d.line,
        });
    }
    out
}

pub fn bodies(p: &Parsed) -> Vec<Body> {
    for (i, n) in p.nodes.iter().enumerate() {
        if !n.is_clause {
            continue;
        }
        for s in sentences(&n.norm_text) {
            let Some(pos) =
                ["行政機関は、", "実施機関は、", "組織の範囲は、", "機関は、"].iter().find_map(|k| s.find(k).map(|p| p + k.len()))
            else {
                continue;
            };
            let rest = &s[pos..];
            let Some(list) = rest.strip_suffix("とする") else { continue };
            let mut names: Vec<String> = vec![list.to_owned()];
            for sep in ["、", "及び", "並びに", "又は"] {
                names = names.iter().flat_map(|x| x.split(sep).map(str::to_owned).collect::<Vec<_>>()).collect();
            }
            let names: Vec<String> = names.into_iter().map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect();
            if names.is_empty() || names.iter().any(|x| x.chars().count() > 20) {
                continue;
            }
            let mut out: Vec<Body> = Vec::new();
            for name in names {
                let id = body_id(&name).map(str::to_owned).unwrap_or_else(|| format!("body{}", out.len() + 1));
                if out.iter().any(|b| b.id == id) {
                    continue;
                }
                out.push(Body { id, name, clause: clause_id(p, i), line: n.line });
            }
            return out;
        }
    }
    Vec::new()
}

/// Splits `課局長、行政委員会事務局の課局長及び地方公営企業の課局長` into posts, and
/// `保育園・小中学校の長` into `保育園の長`, `小中学校の長`.
fn split_posts(list: &str) -> Vec<String> {
    let mut parts: Vec<String> = vec![list.to_owned()];
    for sep in ["、", "及び", "並びに", "又は"] {
        parts = parts.iter().flat_map(|x| x.split(sep).map(str::to_owned).collect::<Vec<_>>()).collect();
    }
    let mut out = Vec::new();
    for part in parts {
        let part = part.trim().to_owned();
        if part.is_empty() {
            continue;
        }
        match part.rfind('の') {
            Some(k) if part[..k].contains('・') && !part[..k].contains('の') => {
                let tail = &part[k..];
                for head in part[..k].split('・') {
                    out.push(format!("{head}{tail}"));
                }
            }
            _ => out.push(part),
        }
    }
    out
}

/// `（教育委員会については教育長）` inside a post list: the list without it, and the notes.
fn take_parentheticals(s: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut notes = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '(' | '（' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            ')' | '）' => {
                depth -= 1;
                if depth == 0 {
                    notes.push(std::mem::take(&mut current));
                    continue;
                }
                if depth < 0 {
                    depth = 0;
                    continue;
                }
            }
            _ => {}
        }
        if depth > 0 {
            current.push(c);
        } else {
            out.push(c);
        }
    }
    (out, notes)
}

#[derive(Default)]
struct RoleEvidence {
    posts: Vec<String>,
    notes: Vec<String>,
    /// (priority, clause id, line): assignment 0, heading 1, appointment 2, duty subject 3.
    clause: Option<(u8, String, usize)>,
    deputy: Option<&'static str>,
    reports_to: Option<&'static str>,
}

impl RoleEvidence {
    fn cite(&mut self, priority: u8, clause: &str, line: usize) {
        if self.clause.as_ref().is_none_or(|(p, _, _)| priority < *p) {
            self.clause = Some((priority, clause.to_owned(), line));
        }
    }
}

/// Where a role names its post in a sentence: `充て` (「をもって充てる」, 「を充て、」) or a
/// closing `とする` after 「Xは、」.
const ANCHORS: [&str; 2] = ["をもって充て", "を充て"];

/// The role a segment's subject names, and where its post list starts: `Xは、`, `Xは`,
/// `X(以下「…」という。)を置き、`.
fn subjects(segment: &str) -> Vec<(usize, &'static str, usize)> {
    let mut out: Vec<(usize, &'static str, usize)> = Vec::new();
    for (at, r, name) in mentions(segment) {
        let mut after = at + name.len();
        // A parenthetical right after the name: `(以下「CISO」という。)`.
        if segment[after..].starts_with('(') {
            if let Some(close) = segment[after..].find(')') {
                after += close + 1;
            }
        }
        let rest = &segment[after..];
        let lead = ["は、", "は", "を置き、", "を置き", "を置いて、"].iter().find(|l| rest.starts_with(*l));
        if let Some(lead) = lead {
            // The longest name at a position wins (統括情報セキュリティ責任者, not 情報セキュリティ責任者).
            if out.last().is_some_and(|(a, _, end)| at < *end && *a <= at) {
                continue;
            }
            out.push((at, r.id, after + lead.len()));
        }
    }
    out
}

/// The role → post lists one sentence assigns: 「XはYをもって充てる」, 「Xは、Yを充て、…」,
/// 「Aは各部の次長を、Bは各課等の課長をもって充て」, 「Xを置き、Yをもって充てる」, 「Xは、○○町副町長とする」.
fn assignments(sentence: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while from < sentence.len() {
        let next = ANCHORS.iter().filter_map(|a| sentence[from..].find(a).map(|k| (from + k, a.len()))).min();
        let Some((anchor, anchor_len)) = next else { break };
        let segment = &sentence[from..anchor];
        let subjects = subjects(segment);
        for (k, (_, role, start)) in subjects.iter().enumerate() {
            let end = subjects.get(k + 1).map(|(at, _, _)| *at).unwrap_or(segment.len());
            if *start > end {
                continue;
            }
            let list = segment[*start..end].trim_end_matches('、').trim_end_matches('を').trim_matches('、');
            if !list.is_empty() && roles_in(list).is_empty() {
                out.push((*role, list.to_owned()));
            }
        }
        from = anchor + anchor_len;
    }
    // 「Xは、○○町副町長とする」: a post, not a duty (no verb before とする).
    if out.is_empty() {
        if let Some(stem) = sentence.strip_suffix("とする") {
            if let Some(&(_, role, start)) = subjects(stem).first() {
                let post = stem[start..].trim_matches('、');
                let noun_end = post.chars().last().is_some_and(|c| matches!(c, '長' | '官' | '監' | '役' | '員' | '者' | '事' | '理'));
                let one_phrase = !post.contains(['を', 'が', 'で', 'は', '。']) && post.chars().count() <= 30;
                if noun_end && one_phrase && roles_in(post).is_empty() && !post.ends_with("もの") {
                    out.push((role, post.to_owned()));
                }
            }
        }
    }
    out
}

pub fn roles(p: &Parsed, analyses: &[Analysis], incident: &[IncidentLevel]) -> Vec<RoleItem> {
    let mut ev: Vec<RoleEvidence> = ROLES.iter().map(|_| RoleEvidence::default()).collect();
    let index = |id: &str| ROLES.iter().position(|r| r.id == id);
    for (i, n) in p.nodes.iter().enumerate() {
        if !n.is_clause {
            continue;
        }
        for s in sentences(&n.norm_text) {
            // `YをXとする` / `Yを、XとするX` / `XはYをもって充てる` / `Xを置き、Yをもって充てる`.
            let body = strip_trailing_parenthetical(s);
            if let Some(stem) = body.strip_suffix("とする") {
                if let Some((role, len)) = role_suffix(stem) {
                    let before: String = stem.chars().take(stem.chars().count().saturating_sub(len)).collect();
                    if let Some(k) = before.rfind('を') {
                        let list = before[..k].trim_end_matches('、');
                        let (list, notes) = take_parentheticals(list);
                        let modifier = &before[k + 'を'.len_utf8()..];
                        let r = index(role).expect("glossary role");
                        if list.contains("に従い") || list.ends_with('者') || list.contains("を行う") {
                            ev[r].notes.push(format!("{list}（{}）", n.id));
                        } else {
                            ev[r].posts.extend(split_posts(&list));
                        }
                        ev[r].notes.extend(notes.into_iter().map(|x| format!("{x}（{}）", n.id)));
                        if modifier.contains("直属") {
                            ev[r].reports_to = roles_in(modifier).first().copied();
                        }
                        ev[r].cite(0, &n.id, n.line);
                        continue;
                    }
                }
            }
            let assigned = assignments(body);
            for (role, list) in &assigned {
                let r = index(role).expect("glossary role");
                let (list, notes) = take_parentheticals(list);
                ev[r].posts.extend(split_posts(&list));
                ev[r].notes.extend(notes);
                ev[r].cite(0, &n.id, n.line);
            }
            if !assigned.is_empty() {
                continue;
            }
            // Appointments: `専門家を最高情報セキュリティアドバイザーとして置き`, `CSIRT責任者を置`,
            // `クラウドサービス管理者を指名`, `体制(CSIRT:…)を整備`: what follows a mention of the role.
            for (at, r, name) in mentions(s) {
                let after = &s[at + name.len()..];
                let appointed = ["として置", "を置", "を指名", "の指名", "を設置", "の設置"].iter().any(|w| after.starts_with(w))
                    || (s[..at].ends_with('(') && after.starts_with(':') && s.contains("整備"));
                if appointed {
                    let k = index(r.id).expect("glossary role");
                    ev[k].cite(2, &n.id, n.line);
                }
            }
            if s.contains("不在") && s.contains("代行") {
                if let Some(holder) = analyses[i].role {
                    if let Some(absent) = roles_in(s).into_iter().find(|r| *r != holder) {
                        if let Some(k) = index(absent) {
                            ev[k].deputy = Some(holder);
                        }
                    }
                }
            }
        }
        // A clause headed by the role's name sets the role up (`(6) 情報システム担当者`,
        // `(9) CSIRT の設置・役割`).
        if let Some(title) = &n.norm_title {
            let t = strip_trailing_parenthetical(title);
            for r in ROLES.iter() {
                let sets_up = |name: &str| t == name || t.strip_prefix(name).is_some_and(|rest| rest.starts_with("の設置"));
                if sets_up(r.name) || r.abbreviation.is_some_and(sets_up) {
                    let k = index(r.id).expect("glossary role");
                    ev[k].cite(1, &n.id, n.line);
                    let (_, notes) = take_parentheticals(title);
                    ev[k].notes.extend(
                        notes
                            .into_iter()
                            .filter(|x| !x.contains(':') && !x.contains("以下"))
                            .map(|x| format!("{x}をもって充てる（{}）", n.id)),
                    );
                }
            }
        }
        if let Some(role) = analyses[i].role {
            if let Some(k) = index(role) {
                ev[k].cite(3, &n.id, n.line);
            }
        }
        if let Some(role) = analyses[i].approver {
            if let Some(k) = index(role) {
                ev[k].cite(3, &n.id, n.line);
            }
        }
    }
    for level in incident {
        for r in &level.report_to {
            if let Some(k) = index(r) {
                ev[k].cite(3, &level.clause, level.line);
            }
        }
    }
    // `※ 保育園については、子育て支援課長を「情報セキュリティ管理者」とし、…`
    for note in &p.notes {
        let t = norm(&note.text);
        for part in t.split(['、', '。']) {
            for r in ROLES.iter() {
                if part.contains(&format!("「{}」", r.name))
                    || part.ends_with(&format!("{}とし", r.name))
                    || part.ends_with(&format!("{}とする", r.name))
                {
                    let k = index(r.id).expect("glossary role");
                    let scope = t.split('、').next().unwrap_or_default();
                    let who = part.split('を').next().unwrap_or_default();
                    ev[k].notes.push(format!("{scope}、{who}（{}行の注記）", note.line));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (k, r) in ROLES.iter().enumerate() {
        let e = &mut ev[k];
        let Some((_, clause, line)) = e.clause.clone() else { continue };
        let mut posts: Vec<String> = Vec::new();
        for post in e.posts.drain(..) {
            if !posts.contains(&post) {
                posts.push(post);
            }
        }
        out.push(RoleItem {
            id: r.id.to_owned(),
            name: r.name.to_owned(),
            posts,
            notes: std::mem::take(&mut e.notes),
            clause,
            line,
            deputy: e.deputy.map(str::to_owned),
            reports_to: e.reports_to.or(r.reports_to).map(str::to_owned),
        });
    }
    let present: Vec<String> = out.iter().map(|r| r.id.clone()).collect();
    for r in &mut out {
        if r.reports_to.as_ref().is_some_and(|t| !present.contains(t)) {
            r.reports_to = None;
        }
        if r.deputy.as_ref().is_some_and(|t| !present.contains(t)) {
            r.deputy = None;
        }
    }
    out
}

pub fn incident_levels(p: &Parsed) -> Vec<IncidentLevel> {
    let mut out = Vec::new();
    for n in &p.nodes {
        for table in &n.tables {
            let mut previous: Vec<String> = Vec::new();
            for row in &table.rows {
                let first = norm(row.cells.first().map(String::as_str).unwrap_or_default());
                let Some(num) = first.strip_prefix("レベル").and_then(|x| x.parse::<u32>().ok()) else { continue };
                let criteria = row.cells.get(1).cloned().unwrap_or_default();
                let dest = row.cells.get(2).map(|c| norm(c)).unwrap_or_default();
                let dest = strip_trailing_parenthetical(&dest);
                let mut report_to: Vec<String> = roles_in(dest).into_iter().map(str::to_owned).collect();
                if report_to.is_empty() {
                    // A merged cell: the destination of the row above.
                    report_to = previous.clone();
                }
                previous = report_to.clone();
                out.push(IncidentLevel {
                    level: num,
                    name: format!("レベル{num}"),
                    criteria,
                    report_to,
                    clause: n.id.clone(),
                    line: row.lines[0],
                });
            }
        }
    }
    out
}

pub fn axes(p: &Parsed) -> Vec<Axis> {
    let mut out: Vec<Axis> = Vec::new();
    for n in &p.nodes {
        for table in &n.tables {
            for row in &table.rows {
                let label = norm(row.cells.first().map(String::as_str).unwrap_or_default());
                let Some((axis_id, axis_name, rest)) = [("confidentiality", "機密性"), ("integrity", "完全性"), ("availability", "可用性")]
                    .iter()
                    .find_map(|(id, name)| label.find(name).map(|k| (*id, *name, label[k + name.len()..].to_owned())))
                else {
                    continue;
                };
                let prefix = label.split(axis_name).next().unwrap_or_default().to_owned();
                if rest.is_empty()
                    || !rest.chars().next().is_some_and(|c| c.is_ascii_digit())
                    || rest.chars().count() > 3
                    || prefix.chars().count() > 4
                {
                    continue;
                }
                let restrictions: Vec<String> =
                    row.cells.get(2).map(|c| strip_tags(c)).unwrap_or_default().split_whitespace().map(str::to_owned).collect();
                let level = Level {
                    id: rest.clone(),
                    name: format!("{prefix}{axis_name}{rest}"),
                    rank: 0,
                    criteria: row.cells.get(1).cloned().unwrap_or_default(),
                    own_restrictions: restrictions,
                    restrictions: Vec::new(),
                    line: row.lines[0],
                };
                match out.iter_mut().find(|a| a.id == axis_id) {
                    Some(axis) => {
                        if !axis.levels.iter().any(|l| l.id == level.id) {
                            axis.levels.push(level);
                        }
                    }
                    None => {
                        out.push(Axis { id: axis_id.to_owned(), name: axis_name.to_owned(), clause: n.id.clone(), levels: vec![level] })
                    }
                }
            }
        }
    }
    for axis in &mut out {
        // Listed from the strictest down; a level also carries the restrictions of the levels
        // below it (3A is handled at least as strictly as 3B).
        let count = axis.levels.len() as u32;
        for (k, level) in axis.levels.iter_mut().enumerate() {
            level.rank = count - k as u32;
        }
        for k in 0..axis.levels.len() {
            let mut all: Vec<String> = Vec::new();
            for level in &axis.levels[k..] {
                for r in &level.own_restrictions {
                    if !all.contains(r) {
                        all.push(r.clone());
                    }
                }
            }
            axis.levels[k].restrictions = all;
        }
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

pub fn metadata(p: &Parsed) -> Metadata {
    let mut m = Metadata::default();
    for line in &p.meta {
        let n = norm(&line.text);
        match line.kind {
            MetaKind::Organization if m.organization.is_none() => m.organization = Some(n.clone()),
            MetaKind::Title => {
                if m.organization.is_none() {
                    if let Some(k) = n.find("情報セキュリティ") {
                        if k > 0 {
                            m.organization = Some(n[..k].to_owned());
                        }
                    }
                }
                m.title.get_or_insert(n.clone());
            }
            MetaKind::Edition => m.edition = Some(n.clone()),
            MetaKind::Date => {
                let date = find_date(&n);
                let revised = n.contains("改定") || n.contains("改訂") || n.contains("施行");
                // `(2026年3月改訂版)`, `(令和8年4月1日)`: the date names the edition when no
                // `第N版` line does (a 制定日 does not).
                if m.edition.is_none() && (n.contains('版') || !n.contains("制定")) {
                    m.edition = Some(n.trim_matches(['(', ')']).to_owned());
                }
                if revised || m.effective.is_none() {
                    m.effective = date.or(m.effective.take());
                }
            }
            _ => {}
        }
    }
    for d in &p.docs {
        if m.organization.is_none() {
            let n = norm(&d.title);
            if let Some(k) = n.find("情報セキュリティ") {
                if k > 0 {
                    m.organization = Some(n[..k].to_owned());
                }
            }
        }
        if m.title.is_none() && !d.title.is_empty() {
            m.title = Some(d.title.clone());
        }
    }
    // 附則: `この基本方針は、令和元年8月1日から施行する。` — the last one is in force.
    for n in p.nodes.iter().filter(|n| n.kind == NodeKind::Supplementary) {
        let t = &n.norm_text;
        if let Some(date) = sentences(t).iter().filter(|s| s.contains("施行")).find_map(|s| find_date(s)) {
            m.effective = Some(date);
            let heading = norm(&n.paras.first().filter(|p| p.from_marker).map(|p| p.text.clone()).unwrap_or_default());
            if !heading.is_empty() {
                m.edition = Some(heading.trim_matches(['(', ')']).to_owned());
            }
        }
    }
    if let Some(org) = &m.organization {
        m.kind = Some(
            if org.ends_with("広域連合") {
                "広域連合"
            } else if org.ends_with("組合") {
                "一部事務組合"
            } else if org.ends_with('市') {
                "市"
            } else if org.ends_with('町') {
                "町"
            } else if org.ends_with('村') {
                "村"
            } else if org.ends_with('区') {
                "区"
            } else {
                "団体"
            }
            .to_owned(),
        );
    }
    // What the document calls the organization: `（以下「本組合」という。）`, or the word it uses.
    let all: String = p.nodes.iter().filter(|n| n.is_clause).map(|n| n.norm_text.as_str()).collect::<Vec<_>>().join("\n");
    let mut self_name = None;
    if let Some(k) = all.find("以下「本") {
        let rest = &all[k + "以下「".len()..];
        if let Some(end) = rest.find('」') {
            self_name = Some(rest[..end].to_owned());
        }
    }
    if self_name.is_none() {
        self_name = ["本町", "本市", "本村", "本組合", "本区"]
            .iter()
            .map(|w| (all.matches(w).count(), *w))
            .filter(|(c, _)| *c > 0)
            .max()
            .map(|(_, w)| w.to_owned());
    }
    if self_name.is_none() && (all.starts_with("市は") || all.contains("\n市は")) {
        self_name = Some("市".to_owned());
    }
    m.self_name = self_name;
    m
}
