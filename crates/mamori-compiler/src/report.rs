//! The review report (Markdown, Japanese): every recognized item with its line number, and
//! every line that was not used, so that a reviewer can see that nothing was dropped.

use std::fmt::Write;

use crate::text::md_cell;
use crate::Compilation;

fn lines_label(lines: &[usize]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < sorted.len() {
        let start = sorted[k];
        let mut end = start;
        while k + 1 < sorted.len() && sorted[k + 1] == end + 1 {
            k += 1;
            end = sorted[k];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}–{end}") });
        k += 1;
    }
    parts.join(", ")
}

/// At most `n` characters of `s` on one line, `…` marking a cut.
fn short(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        None => s.replace('\n', " "),
        Some((cut, _)) => format!("{}…", s[..cut].replace('\n', " ")),
    }
}

fn role_name(c: &Compilation, id: &Option<String>) -> String {
    match id {
        Some(id) => c.roles.iter().find(|r| &r.id == id).map(|r| r.name.clone()).unwrap_or_else(|| id.clone()),
        None => String::new(),
    }
}

pub fn report(c: &Compilation) -> String {
    let mut out = String::new();
    let catalogue: Vec<&crate::Clause> = c.catalogue().collect();
    let checked = catalogue.iter().filter(|cl| cl.force.is_checked()).count();
    let _ = writeln!(out, "# ポリシー取込みレビュー報告: {}", md_cell(&c.file));
    let _ = writeln!(out);
    let m = &c.metadata;
    let _ = writeln!(out, "- 団体: {}（{}）", m.organization.as_deref().unwrap_or("不明"), m.kind.as_deref().unwrap_or("不明"));
    let _ = writeln!(out, "- 自称: {}", m.self_name.as_deref().unwrap_or("不明"));
    let _ = writeln!(out, "- 版: {}", m.edition.as_deref().unwrap_or("不明"));
    let _ = writeln!(out, "- 施行日・改定日: {}", m.effective.as_deref().unwrap_or("不明（要確認）"));
    let _ = writeln!(out, "- 入力 {} 行（空行 {} 行）。条項 {} 件（うち義務・禁止 {} 件）、定義 {} 件、領域 {} 件、役割 {} 件、実施機関 {} 件、使われなかった行 {} 行、警告 {} 件", c.line_count, c.blank_lines, catalogue.len(), checked, c.definitions.len(), c.zones.len(), c.roles.len(), c.bodies.len(), c.unrecognized.len(), c.warnings.len());
    let _ = writeln!(out, "- 都道府県は本文から分からないため、下書きでは空欄です。");
    let _ = writeln!(out);

    let _ = writeln!(out, "## 文書");
    let _ = writeln!(out);
    let _ = writeln!(out, "| 行 | 接頭辞 | 表題 | 形式 |");
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for d in &c.documents {
        let style = match d.style {
            crate::Style::Guideline => "ガイドライン形式",
            crate::Style::Regulation => "例規形式",
        };
        let _ = writeln!(out, "| {} | {} | {} | {} |", d.line, md_cell(&d.prefix), md_cell(&d.title), style);
    }
    let _ = writeln!(out);

    if !c.warnings.is_empty() {
        let _ = writeln!(out, "## 警告（要確認）");
        let _ = writeln!(out);
        for w in &c.warnings {
            let _ = writeln!(out, "- {}行: {}", w.line, md_cell(&w.message));
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## 役割");
    let _ = writeln!(out);
    if c.roles.is_empty() {
        let _ = writeln!(out, "本文に役割の定めはありません。下書きには標準の体制（provenance = \"standard\"）を仮に置きました。");
    } else {
        let _ = writeln!(out, "| 行 | 役割 | ID | 充てる職 | 注記 | 根拠 |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        for r in &c.roles {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} |",
                r.line,
                md_cell(&r.name),
                r.id,
                md_cell(&r.posts.join("、")),
                md_cell(&r.notes.join(" / ")),
                md_cell(&r.clause)
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "### 兼務の確認");
    let _ = writeln!(out);
    let conflicts = c.post_conflicts();
    if conflicts.is_empty() {
        let _ = writeln!(out, "監査する役割と監査される役割を同じ職に充てている箇所はありません。");
    }
    for k in &conflicts {
        let _ = writeln!(out, "- {}", md_cell(&k.message_ja()));
    }
    let _ = writeln!(out);
    let fill = crate::draft::fill_summary(c);
    if !fill.standard_roles.is_empty() {
        let _ = writeln!(out, "本文に定めがなく、下書きに標準の役割を仮に置いたもの（provenance = \"standard\"。本文の役割が行うなら acts_as で示してください）:");
        let _ = writeln!(out);
        for (id, name, why) in &fill.standard_roles {
            let _ = writeln!(out, "- `{id}` {}: {}", md_cell(name), md_cell(why));
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## 標準対策基準との対応と実行規則");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "本文の条項のうち {} 件が標準対策基準（総務省ガイドラインの対策基準例）の条項に対応しました（文言の一致度と番号による）。判断・取扱い・承認などの規則は標準対策基準の規則を、対応した本文の条項を根拠として出力し（provenance = \"document\"）、本文に対応する条項がないものは標準対策基準を根拠として出力しました（provenance = \"standard\"。本文が定めるまでは標準が適用されます）。本文にない領域・分類区分を使う規則は出力していません。",
        fill.aligned
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| 規則の種類 | 本文の条項を根拠 | 標準対策基準を根拠 |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for (family, document, standard) in &fill.families {
        let _ = writeln!(out, "| {family} | {document} | {standard} |");
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "## 標準対策基準との差（ギャップ）");
    let _ = writeln!(out);
    let _ = write!(out, "{}", crate::gaps::gaps_markdown(&c.gaps()));

    let _ = writeln!(out, "## 領域");
    let _ = writeln!(out);
    for z in &c.zones {
        let _ = writeln!(
            out,
            "- {}行 `{}` {}（{}）{}{}",
            z.line,
            z.id,
            md_cell(&z.name),
            md_cell(&z.clause),
            if z.requires_mfa { " 多要素認証" } else { "" },
            if z.blocks_media_export { " 持ち出し不可" } else { "" }
        );
    }
    if c.zones.is_empty() {
        let _ = writeln!(out, "（見つかりません）");
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "## 実施機関（適用範囲）");
    let _ = writeln!(out);
    for b in &c.bodies {
        let _ = writeln!(out, "- {}行 `{}` {}（{}）", b.line, b.id, md_cell(&b.name), md_cell(&b.clause));
    }
    if c.bodies.is_empty() {
        let _ = writeln!(out, "（見つかりません）");
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "## 定義");
    let _ = writeln!(out);
    for d in &c.definitions {
        let _ = writeln!(out, "- {}行 **{}**: {}（{}）", d.line, md_cell(&d.term), md_cell(&short(&d.meaning, 60)), md_cell(&d.clause));
    }
    if c.definitions.is_empty() {
        let _ = writeln!(out, "（見つかりません）");
    }
    let _ = writeln!(out);

    if !c.axes.is_empty() {
        let _ = writeln!(out, "## 情報資産の分類");
        let _ = writeln!(out);
        for a in &c.axes {
            for l in &a.levels {
                let _ = writeln!(
                    out,
                    "- {}行 {}（rank {}）: {} 取扱制限 {} 件（{}）",
                    l.line,
                    md_cell(&l.name),
                    l.rank,
                    md_cell(&short(&l.criteria, 40)),
                    l.restrictions.len(),
                    md_cell(&a.clause)
                );
            }
        }
        let _ = writeln!(out);
    }

    if !c.incident_levels.is_empty() {
        let _ = writeln!(out, "## インシデントのレベル");
        let _ = writeln!(out);
        for l in &c.incident_levels {
            let to: Vec<String> = l.report_to.iter().map(|r| role_name(c, &Some(r.clone()))).collect();
            let _ = writeln!(
                out,
                "- {}行 {}: {} → {}（{}）",
                l.line,
                md_cell(&l.name),
                md_cell(&l.criteria),
                md_cell(&to.join("、")),
                md_cell(&l.clause)
            );
        }
        let _ = writeln!(out);
    }

    if !c.notes.is_empty() {
        let _ = writeln!(out, "## 注記");
        let _ = writeln!(out);
        for n in &c.notes {
            let _ = writeln!(out, "- {}行 ※{}", n.line, md_cell(&n.text));
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## 条項");
    let _ = writeln!(out);
    let _ = writeln!(out, "| 行 | 条項ID | 見出し | 区分 | 主体 | 条件 | 時期 | 承認 | 本文 |");
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for cl in &c.clauses {
        let approval = match (&cl.approver, cl.approval_required) {
            (Some(_), _) => role_name(c, &cl.approver),
            (None, true) => "要（承認者不明）".to_owned(),
            (None, false) => String::new(),
        };
        let force = if cl.is_clause { cl.force.label_ja() } else { "（条項外）" };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            lines_label(&cl.lines),
            md_cell(&cl.id),
            md_cell(cl.title.as_deref().unwrap_or("")),
            force,
            md_cell(&role_name(c, &cl.role)),
            md_cell(&short(cl.condition.as_deref().unwrap_or(""), 30)),
            md_cell(&cl.timing.join("、")),
            md_cell(&approval),
            md_cell(&short(&cl.text, 50)),
        );
    }
    let _ = writeln!(out);

    let _ = writeln!(out, "## その他の認識した行");
    let _ = writeln!(out);
    let titles: Vec<String> = c.documents.iter().map(|d| format!("{}行（文書の表題）", d.line)).collect();
    let meta: Vec<String> = c.metadata_lines.iter().map(|l| format!("{l}行（表紙の情報）")).collect();
    let _ = writeln!(
        out,
        "{}",
        if titles.is_empty() && meta.is_empty() {
            "（なし）".to_owned()
        } else {
            titles.into_iter().chain(meta).collect::<Vec<_>>().join("、")
        }
    );
    let _ = writeln!(out);

    let _ = writeln!(out, "## 使われなかった行");
    let _ = writeln!(out);
    if c.unrecognized.is_empty() {
        let _ = writeln!(out, "（なし。空行以外のすべての行がいずれかの項目に入っています）");
    } else {
        let _ = writeln!(out, "| 行 | 理由 | 内容 |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for u in &c.unrecognized {
            let _ = writeln!(out, "| {} | {} | {} |", u.line, u.reason, md_cell(&short(u.text.trim(), 60)));
        }
    }
    out
}
