//! What each clause asks for: its force (from the sentence endings and the clause's place in
//! the document), who must do it, under which condition and when, and whose approval it needs.
//!
//! The conventions are those of `docs/profile-format.md`: a lead-in (「次の事項を…しなければ
//! ならない」) whose items follow is structural and its items carry the force; items that are
//! criteria, examples or names leave the force with the lead-in; purpose, definitions, scope
//! and threat lists are structural; a plain declarative commitment is mandatory.

use mamori_policy::Force;

use crate::glossary::{role_phrase, ROLES};
use crate::text::{find, sentences, strip_trailing_parenthetical};
use crate::tree::{NodeKind, Parsed};

/// How a sentence ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Mandatory,
    Prohibited,
    BestEffort,
    Recommended,
    Permitted,
    /// A plain verb (講じる、実施する、行う): a commitment, mandatory unless the context says
    /// it only describes.
    Declarative,
    Structural,
    /// `…かどうか`: a criterion.
    Criterion,
    /// No predicate: an item of a list.
    Noun,
}

pub fn sentence_ending(sentence: &str) -> Ending {
    let s = strip_trailing_parenthetical(sentence);
    let s = s.trim_end_matches(['、', ',']);
    let ends = |list: &[&str]| list.iter().any(|e| s.ends_with(e));
    if ends(&["努めなければならない", "努めるものとする", "努めること", "努める", "努めなければいけない"])
    {
        return Ending::BestEffort;
    }
    if ends(&["なければならない", "なくてはならない", "なければいけない", "なくてはいけない"]) {
        return Ending::Mandatory;
    }
    if ends(&["ならない", "いけない", "禁止する", "禁止とする"]) {
        return Ending::Prohibited;
    }
    if ends(&["望ましい"]) {
        return Ending::Recommended;
    }
    if ends(&[
        "ことができる",
        "ことができるものとする",
        "てもよいものとする",
        "でもよいものとする",
        "てもよい",
        "でもよい",
        "差し支えない",
        "妨げない",
    ]) {
        return Ending::Permitted;
    }
    // Setting up an organ (「委員会を置く」「CSIRTを設置する」) establishes, it does not oblige.
    if ends(&["置く", "置くものとする", "設置する", "設置するものとする", "設ける", "設けるものとする", "組織する", "組織するものとする"])
        && ["委員会", "責任者", "管理者", "担当者", "CSIRT", "チーム", "本部", "事務局", "窓口", "アドバイザー", "CISO", "CIO"]
            .iter()
            .any(|organ| s.contains(organ))
    {
        return Ending::Structural;
    }
    // A remit list's item (「情報セキュリティ対策に関すること」) names a matter, not a duty.
    if ends(&["に関すること", "に係ること", "に関する事項"]) {
        return Ending::Noun;
    }
    if ends(&["ものとする", "こととする"]) {
        return Ending::Mandatory;
    }
    if ends(&[
        "とする",
        "という",
        "いう",
        "である",
        "による",
        "よる",
        "有する",
        "責任を負う",
        "充てる",
        "別に定める",
        "限りでない",
        "限りではない",
        "ではない",
        "属する",
        "該当する",
        "含む",
        "ものとしない",
    ]) {
        return Ending::Structural;
    }
    if ends(&["かどうか", "か否か"]) {
        return Ending::Criterion;
    }
    if s.ends_with("こと") {
        return Ending::Mandatory;
    }
    if ends(&["いる", "ある", "なる", "れる", "できる", "おる", "ない"]) {
        return Ending::Structural;
    }
    match s.chars().last() {
        Some('る' | 'う' | 'す' | 'く' | 'つ' | 'ぐ' | 'む' | 'ぶ' | 'ぬ') => Ending::Declarative,
        _ => Ending::Noun,
    }
}

/// The decisive ending of a clause's text: a duty beats a permission (a clause with both is
/// classed by the duty), an explicit duty beats a plain declarative, and among explicit duties
/// the first one counts.
/// `endings` are the sentences' own endings; `in_principle` whether the text says 「原則」 at all.
fn sentences_ending(sents: &[&str], endings: &[Ending], in_principle: bool) -> Ending {
    let endings: Vec<(Ending, bool)> = sents
        .iter()
        .zip(endings)
        .map(|(s, &e)| {
            let prohibited_in_principle =
                in_principle && prohibits_in_principle(s) && matches!(e, Ending::Declarative | Ending::Structural | Ending::Noun);
            (if prohibited_in_principle { Ending::Prohibited } else { e }, prohibited_in_principle)
        })
        .collect();
    if let Some((e, _)) = endings.iter().find(|(e, _)| matches!(e, Ending::Mandatory | Ending::Prohibited)) {
        return *e;
    }
    for wanted in [Ending::Declarative, Ending::BestEffort, Ending::Recommended, Ending::Permitted, Ending::Criterion, Ending::Structural] {
        if endings.iter().any(|(e, _)| *e == wanted) {
            return wanted;
        }
    }
    Ending::Noun
}

fn prohibits_in_principle(s: &str) -> bool {
    s.contains("原則禁止") || s.contains("原則として禁止")
}

fn ending_force(e: Ending) -> Option<Force> {
    match e {
        Ending::Mandatory | Ending::Declarative => Some(Force::Mandatory),
        Ending::Prohibited => Some(Force::Prohibited),
        Ending::BestEffort => Some(Force::BestEffort),
        Ending::Recommended => Some(Force::Recommended),
        Ending::Permitted => Some(Force::Permitted),
        Ending::Structural | Ending::Criterion | Ending::Noun => None,
    }
}

/// Who the first sentence is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Role(&'static str),
    /// A person or body that is not a role (職員等, 市, 監査を行う者).
    Person,
    /// A thing (パスワードは、…): the duty falls on whoever the lead-in names.
    Object,
    None,
}

const PERSON_ENDINGS: [&str; 16] =
    ["者", "職員等", "職員", "事業者", "課局", "委員", "員", "機関", "組織", "市", "町", "村", "組合", "部局", "本町", "本市"];

/// The subject of a normalized sentence and the byte offset where the rest of it begins.
pub fn topic(s: &str) -> (Topic, usize) {
    const NOT_TOPIC: [&str; 14] = ["で", "に", "と", "て", "場合", "とき", "際", "時", "上", "又", "ため", "こと", "もの", "前"];
    for (i, c) in s.char_indices() {
        if c != 'は' || i == 0 {
            continue;
        }
        let prefix = &s[..i];
        if NOT_TOPIC.iter().any(|w| prefix.ends_with(w)) {
            continue;
        }
        let seg = match prefix.rfind('、') {
            Some(k) => &prefix[k + '、'.len_utf8()..],
            None => prefix,
        };
        if seg.is_empty() {
            continue;
        }
        let after = &s[i + 'は'.len_utf8()..];
        let end = i + 'は'.len_utf8() + if after.starts_with('、') { '、'.len_utf8() } else { 0 };
        if let Some(id) = role_phrase(seg) {
            return (Topic::Role(id), end);
        }
        if !after.starts_with('、') && !PERSON_ENDINGS.iter().any(|p| seg.ends_with(p)) {
            // `情報資産を…ことは` and other non-topic uses of は without a comma.
            if seg.chars().count() > 20 {
                continue;
            }
        }
        if PERSON_ENDINGS.iter().any(|p| seg.ends_with(p)) {
            return (Topic::Person, end);
        }
        return (Topic::Object, end);
    }
    // `統括情報セキュリティ責任者が違反を確認した場合は、…`: a subject with が at the start of
    // a condition (not `…責任者が提供するウイルス情報を`, where が is inside a modifier).
    if let Some(i) = s.find('が') {
        let prefix = &s[..i];
        let first_clause = s.split('、').next().unwrap_or_default();
        if !prefix.contains('、')
            && (first_clause.ends_with("場合は") || first_clause.ends_with("場合には") || first_clause.ends_with("ときは"))
        {
            if let Some(id) = role_phrase(prefix) {
                return (Topic::Role(id), i + 'が'.len_utf8());
            }
        }
    }
    (Topic::None, 0)
}

/// `副町長を、CISOとする` / `…者を、情報システム担当者とする`: the role a sentence assigns.
pub fn assigned_role(s: &str) -> Option<&'static str> {
    let body = strip_trailing_parenthetical(s);
    // `本町にCISOを置き、副町長をもって充てる`.
    if body.ends_with("をもって充てる") {
        if let Some(k) = body.find("を置き") {
            return crate::glossary::roles_in(&body[..k]).last().copied();
        }
    }
    let stem = body.strip_suffix("とする").or_else(|| body.strip_suffix("をもって充てる")).or_else(|| body.strip_suffix("に充てる"))?;
    if !stem.contains('を') && !body.ends_with("をもって充てる") {
        return None;
    }
    crate::glossary::role_suffix(stem).map(|(id, _)| id)
}

const TIMING: [&str; 18] = [
    "毎年度",
    "年度ごと",
    "年1回",
    "定期的",
    "速やかに",
    "直ちに",
    "遅滞なく",
    "早急に",
    "即時",
    "常時",
    "常に",
    "適時",
    "随時",
    "あらかじめ",
    "事前に",
    "採用時",
    "最初のログイン時",
    "事後速やかに",
];

/// The analysis of one clause, before its context is applied.
#[derive(Debug, Clone)]
pub struct Own {
    pub ending: Ending,
    pub topic: Topic,
    pub assigned: Option<&'static str>,
    pub condition: Option<String>,
    pub timing: Vec<String>,
    pub approval: bool,
    pub approver: Option<&'static str>,
    pub action: Option<String>,
    pub lead_in: bool,
    pub keeps_force: bool,
    pub prohibits_in_principle: bool,
}

/// `n` is the clause's normalized text.
pub fn own(n: &str) -> Own {
    let sents = sentences(n);
    let endings: Vec<Ending> = sents.iter().map(|s| sentence_ending(s)).collect();
    let first = sents.first().copied().unwrap_or_default();
    let (topic, rest_at) = topic(first);
    let assigned = sents.iter().take(2).find_map(|s| assigned_role(s));
    let condition = condition(first, rest_at);
    let mut timing: Vec<String> = Vec::new();
    for t in TIMING {
        if n.contains(t) && !timing.iter().any(|x| x.contains(t) || t.contains(x.as_str())) {
            timing.push(t.to_owned());
        }
    }
    let (approval, approver) = approval(n);
    // Cheap tests on the whole text first: most clauses say neither 「原則」 nor 「次」/「以下」.
    let in_principle = n.contains("原則");
    let ending = sentences_ending(&sents, &endings, in_principle);
    let decisive = sents
        .iter()
        .zip(&endings)
        .find(|(_, e)| {
            matches!(
                e,
                Ending::Mandatory | Ending::Prohibited | Ending::BestEffort | Ending::Recommended | Ending::Permitted | Ending::Declarative
            )
        })
        .map(|(s, _)| *s);
    let action = decisive.map(|s| action(s, if s == first { rest_at } else { 0 }));
    let lead_at = if n.contains('次') || n.contains('以') {
        sents
            .iter()
            .find_map(|s| ["次の", "以下の", "次に掲げる", "以下を", "次のとおり"].iter().filter_map(|w| find(s, w)).min().map(|k| (*s, k)))
    } else {
        None
    };
    let lead_in = lead_at.is_some();
    // The items are criteria, examples or names when the lead-in says so after its 「次の」
    // (「次の事項を考慮しなければならない」, 「次の法令のほか」, 「次の実現方法等により」); a
    // prohibition in principle keeps its force too (its items are the exception's procedure).
    let prohibits_in_principle = ending == Ending::Prohibited && in_principle && prohibits_in_principle(n);
    let keeps_force = lead_at
        .is_some_and(|(s, k)| ["考慮", "法令", "実現方法", "方式", "いずれか", "例示", "脅威を想定"].iter().any(|w| s[k..].contains(w)));
    Own { ending, topic, assigned, condition, timing, approval, approver, action, lead_in, keeps_force, prohibits_in_principle }
}

fn condition(s: &str, rest_at: usize) -> Option<String> {
    let pos = ["場合", "とき", "際"].iter().filter_map(|w| find(s, w).map(|p| (p, w.len()))).min()?;
    let end = pos.0 + pos.1;
    let start = if rest_at <= pos.0 { rest_at } else { 0 };
    let c = s.get(start..end)?.trim_start_matches('、');
    (!c.is_empty()).then(|| c.to_owned())
}

fn approval(n: &str) -> (bool, Option<&'static str>) {
    const KEYS: [&str; 9] =
        ["の許可を得", "に許可を得", "の許可を受け", "の承認を得", "の承認を受け", "の許可なく", "の承認なく", "の了承を得", "に承認を得"];
    // Every key (and the fallback below) names a 許可, 承認 or 了承; most clauses name none.
    if !["許可", "承認", "了承"].iter().any(|w| n.contains(w)) {
        return (false, None);
    }
    let mut best: Option<(usize, Option<&'static str>)> = None;
    for k in KEYS {
        if let Some(pos) = n.find(k) {
            let prefix = &n[..pos];
            let seg_start = prefix.rfind(['、', '。']).map(|i| i + prefix[i..].chars().next().map_or(1, char::len_utf8)).unwrap_or(0);
            let seg = &prefix[seg_start..];
            let approver = seg.char_indices().map(|(i, _)| i).find_map(|i| role_phrase(&seg[i..]));
            if best.is_none_or(|(p, _)| pos < p) {
                best = Some((pos, approver));
            }
        }
    }
    match best {
        Some((_, approver)) => (true, approver),
        None => (n.contains("許可を得") || n.contains("承認を得"), None),
    }
}

/// The duty itself: the sentence without its subject and condition, the modal ending turned
/// back into the plain form (`講じなければならない` → `講じる`).
fn action(s: &str, rest_at: usize) -> String {
    let body = s.get(rest_at..).unwrap_or(s);
    let body = match find(body, "場合") {
        Some(p) if p < body.len() / 2 => body[p..].split_once('、').map_or(body, |(_, r)| r),
        _ => body,
    };
    let body = strip_trailing_parenthetical(body);
    for modal in ["なければならない", "なくてはならない"] {
        if let Some(stem) = body.strip_suffix(modal) {
            let mut chars: Vec<char> = stem.chars().collect();
            let last = chars.pop();
            let plain = match last {
                Some('し') => "する".to_owned(),
                Some(c) => {
                    const A: &str = "わかがさたなばまら";
                    const U: &str = "うくぐすつぬぶむる";
                    match A.chars().position(|a| a == c) {
                        Some(p) => U.chars().nth(p).map(String::from).unwrap_or_default(),
                        None => format!("{c}る"),
                    }
                }
                None => String::new(),
            };
            return format!("{}{plain}", chars.into_iter().collect::<String>());
        }
    }
    body.to_owned()
}

/// The analysis of a clause in its context.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub force: Force,
    pub role: Option<&'static str>,
    pub condition: Option<String>,
    pub timing: Vec<String>,
    pub approval: bool,
    pub approver: Option<&'static str>,
    pub action: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Purpose,
    Scope,
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    section: Section,
    keep: bool,
    force: Option<Force>,
    role: Option<&'static str>,
}

fn section_of(t: &str) -> Option<Section> {
    if ["目的", "趣旨"].iter().any(|w| t == *w || t.strip_suffix(w).is_some_and(|head| head.ends_with('の'))) {
        return Some(Section::Purpose);
    }
    if ["定義", "範囲", "脅威", "用語"].iter().any(|w| t.ends_with(w)) {
        return Some(Section::Scope);
    }
    None
}

/// The role a title names by itself (`情報システム担当者`, `情報セキュリティ委員会（課長会議）`).
fn title_role(t: &str) -> Option<&'static str> {
    let t = strip_trailing_parenthetical(t);
    ROLES.iter().find(|r| r.name == t || r.aliases.contains(&t)).map(|r| r.id)
}

/// The role a heading starts with (`CSIRTの設置・役割`, `統括情報セキュリティ責任者の措置事項`).
fn heading_role(t: &str) -> Option<&'static str> {
    ROLES.iter().find(|r| t.starts_with(r.name) || r.aliases.iter().any(|a| t.starts_with(a))).map(|r| r.id)
}

fn is_criterion_or_name(n: &str) -> bool {
    let n = n.trim_end_matches(['。', '.']);
    n.ends_with("かどうか") || n.ends_with("か否か") || n.ends_with("号)") || n.ends_with("方式")
}

/// Analyses every clause of the tree.
pub fn analyze(p: &Parsed) -> Vec<Analysis> {
    // Every node is visited once, so its own analysis is moved into the result, not copied.
    let mut owns: Vec<Option<Own>> = p.nodes.iter().map(|n| Some(own(if n.heading_only { "" } else { &n.norm_prose }))).collect();
    let mut out: Vec<Option<Analysis>> = vec![None; p.nodes.len()];
    let roots: Vec<usize> = (0..p.nodes.len()).filter(|i| p.nodes[*i].parent.is_none()).collect();
    let start = Ctx { section: Section::None, keep: false, force: None, role: None };
    let mut stack: Vec<(usize, Ctx)> = roots.into_iter().rev().map(|r| (r, start)).collect();
    while let Some((i, ctx)) = stack.pop() {
        let node = &p.nodes[i];
        let o = owns[i].take().expect("every node is visited once");
        let title = node.norm_title.as_deref().unwrap_or_default();
        let section = section_of(title).unwrap_or(ctx.section);
        let role_titled = title_role(title);
        let mut force = if ctx.keep || node.heading_only || section == Section::Purpose || node.kind == NodeKind::Supplementary {
            Force::Structural
        } else {
            match o.ending {
                Ending::Declarative if section == Section::Scope || role_titled.is_some() => Force::Structural,
                Ending::Noun => ctx.force.unwrap_or(Force::Structural),
                e => ending_force(e).unwrap_or(Force::Structural),
            }
        };
        let role = if node.heading_only {
            None
        } else {
            match (o.assigned, o.topic) {
                (Some(r), _) => Some(r),
                (None, Topic::Role(r)) => Some(r),
                (None, Topic::Person) => None,
                (None, Topic::Object | Topic::None) => ctx.role.or(role_titled),
            }
        };
        let clause_children = || node.children.iter().filter(|c| p.nodes[**c].is_clause);
        let has_clause_children = clause_children().next().is_some();
        let mut child_ctx = Ctx { section, keep: ctx.keep, force: None, role: None };
        if node.heading_only {
            // A heading passes its context through; a heading that starts with a role gives
            // that role to items without a subject of their own.
            child_ctx.force = ctx.force;
            child_ctx.role = heading_role(title).or(ctx.role);
        } else if has_clause_children && o.ending == Ending::Noun && ctx.force.is_some() && !ctx.keep {
            // An item that is itself a list heading (`(2) 情報セキュリティインシデントへの対応`
            // with ア, イ below it) passes the lead-in's force and role on to its items.
            child_ctx.force = ctx.force;
            child_ctx.role = role;
            force = Force::Structural;
        } else if has_clause_children && o.lead_in && !ctx.keep {
            let items_are_names = clause_children().all(|c| is_criterion_or_name(&p.nodes[*c].norm_text));
            if o.prohibits_in_principle {
                // 「原則禁止であるが、…次の手順で行う」: the clause is the prohibition, its items
                // the exception's procedure with duties of their own.
            } else if o.keeps_force || items_are_names || section == Section::Scope {
                child_ctx.keep = true;
            } else {
                child_ctx.force = (force != Force::Structural).then_some(force);
                child_ctx.role = role;
                force = Force::Structural;
            }
        }
        out[i] = Some(Analysis {
            force,
            role,
            condition: o.condition,
            timing: o.timing,
            approval: o.approval,
            approver: o.approver,
            action: o.action,
        });
        for c in node.children.iter().rev() {
            stack.push((*c, child_ctx));
        }
    }
    out.into_iter().map(|a| a.expect("every node is reached from a root")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings() {
        let cases = [
            ("職員等は、情報セキュリティポリシーを遵守しなければならない", Ending::Mandatory),
            ("職員等は、業務上必要のない情報を作成してはならない", Ending::Prohibited),
            ("職員等は、支給以外の端末を庁内に持ち込んで서는ならない", Ending::Prohibited),
            ("同一データを保持するよう努めなければならない", Ending::BestEffort),
            ("技術的に制限することが望ましい", Ending::Recommended),
            ("調査することができる", Ending::Permitted),
            ("規定を整備しなくてはならない", Ending::Mandatory),
            ("向上を図るものとする", Ending::Mandatory),
            ("次の対応者に報告すること", Ending::Mandatory),
            ("副町長を、CISOとする", Ending::Structural),
            ("仕組みをいう", Ending::Structural),
            ("権限及び責任を有する", Ending::Structural),
            ("対策の実施について責任を負う", Ending::Structural),
            ("私物の端末を使用してもよいものとする", Ending::Permitted),
            ("本町に情報セキュリティ委員会を置く", Ending::Structural),
            ("CSIRTを設置するものとする", Ending::Structural),
            ("情報セキュリティ対策の推進に関すること", Ending::Noun),
            ("パスワードの有効期間を設ける", Ending::Declarative),
            ("組織体制を確立する", Ending::Declarative),
            ("最新のセキュリティ基準を満たしているかどうか", Ending::Criterion),
            ("関係者の連絡先", Ending::Noun),
            ("共有してはならない(ただし、共有IDに対するパスワードは除く)", Ending::Prohibited),
            ("支給以外の端末の使用及び外部持ち出しを原則禁止する", Ending::Prohibited),
        ];
        for (s, want) in cases {
            assert_eq!(sentence_ending(s), want, "{s}");
        }
    }

    #[test]
    fn subjects() {
        let cases: [(&str, Topic); 9] = [
            ("CISOは、必要に応じて", Topic::Role("ciso")),
            ("報告を受けた情報セキュリティ管理者は、速やかに", Topic::Role("security_manager")),
            ("情報セキュリティ管理者又は情報システム管理者は、", Topic::Role("security_manager")),
            ("統括情報セキュリティ責任者及び情報システム管理者の特権を代行する者は、", Topic::Person),
            ("職員等は、", Topic::Person),
            ("統括情報セキュリティ責任者が違反を確認した場合は、通知し", Topic::Role("security_director")),
            ("改善されない場合、統括情報セキュリティ責任者は、", Topic::Role("security_director")),
            ("パスワードは、他者に", Topic::Object),
            ("情報セキュリティ委員会又は統括情報セキュリティ責任者は、", Topic::Role("committee")),
        ];
        for (s, want) in cases {
            assert_eq!(topic(s).0, want, "{s}");
        }
    }

    #[test]
    fn approvals_and_actions() {
        assert_eq!(
            approval(
                "自治体機密性2以上の情報資産を運搬する者は、情報セキュリティ管理者又は情報セキュリティ担当者に許可を得なければならない"
            ),
            (true, Some("security_manager"))
        );
        assert_eq!(approval("庁外にサーバ等の機器を設置する場合、CISOの承認を得なければならない"), (true, Some("ciso")));
        assert_eq!(action("CISOの承認を得なければならない", 0), "CISOの承認を得る");
        assert_eq!(action("ファイルサーバの容量を設定しなければならない", 0), "ファイルサーバの容量を設定する");
        assert_eq!(action("定期保守を行わなければならない", 0), "定期保守を行う");
        assert_eq!(assigned_role("副町長を、CISOとする"), Some("ciso"));
    }
}
