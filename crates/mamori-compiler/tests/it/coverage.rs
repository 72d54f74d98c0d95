//! The invariant of the review report: every input line is inside an extracted item or listed
//! as unrecognized (blank lines are counted, not listed), and no line is claimed twice.

use mamori_compiler::LineUse;

use crate::support::all_inputs;

#[test]
fn every_line_is_used_or_listed() {
    for (name, text, c) in all_inputs() {
        let lines: Vec<&str> = text.strip_suffix('\n').unwrap_or(&text).split('\n').collect();
        assert_eq!(c.line_count, lines.len(), "{name}");
        let uses = c.line_uses();
        let mut blank = 0;
        for (i, line_uses) in uses.iter().enumerate() {
            let raw = lines[i];
            if raw.trim().is_empty() {
                assert!(line_uses.is_empty(), "{name}:{}: a blank line is claimed by {line_uses:?}", i + 1);
                blank += 1;
                continue;
            }
            assert_eq!(line_uses.len(), 1, "{name}:{}: `{raw}` is claimed by {line_uses:?}", i + 1);
        }
        assert_eq!(blank, c.blank_lines, "{name}");
        // The report lists every unrecognized line by number.
        let report = c.report_markdown();
        for u in &c.unrecognized {
            assert!(report.contains(&format!("| {} | {} |", u.line, u.reason)), "{name}: line {} missing from the report", u.line);
        }
        // And every clause with its lines.
        for cl in c.clauses.iter().filter(|cl| cl.is_clause) {
            assert!(report.contains(&cl.id), "{name}: {} missing from the report", cl.id);
        }
        let unrecognized = uses.iter().filter(|u| matches!(u.first(), Some(LineUse::Unrecognized(_)))).count();
        assert_eq!(unrecognized, c.unrecognized.len(), "{name}");
    }
}

#[test]
fn the_seeds_leave_only_layout_unused() {
    // What each seed leaves unused, by reason: front matter, tables of contents, a figure
    // caption and 志免町's revision history. Anything else unused would be a regression.
    let allowed =
        ["目次", "表紙・序文（本文の前）", "図の見出し（図は抽出されていない）", "番号のない見出し", "番号のない節（改訂履歴など）の表"];
    for (name, _, c) in all_inputs() {
        for u in &c.unrecognized {
            assert!(allowed.contains(&u.reason), "{name}:{}: {} `{}`", u.line, u.reason, u.text);
        }
    }
}
