//! What each input line is, decided from its raw characters (before any normalization:
//! NFKC would turn `①` into `1` and `（１）` into `(1)`, and the numbering would be lost).

use crate::text::{circled_value, digit_value, is_blank, is_hiragana, kana_index, leading_kanji_number, leading_number, roman_value};

/// A numbering marker at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `第1章`, `I`, `Ⅱ`: a part above the chapters.
    Part(u32),
    /// `1 目的`.
    Chapter(u32),
    /// `4.1 サーバ等の管理`.
    Section(u32, u32),
    /// `(1)` / `（１）`.
    Paren(u32),
    /// `1)`.
    HalfParen(u32),
    /// `①`.
    Circled(u32),
    /// `(ア)`.
    ParenKana(u32),
    /// `ア ` followed by a space.
    BareKana(u32),
    /// `第3条` (`第3条の2` → sub = 2).
    Article(u32, Option<u32>),
    /// `一 ` (a regulation's item in kanji).
    KanjiItem(u32),
    /// `附則`.
    Supplementary,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LineKind {
    Blank,
    /// A table-of-contents entry (or the 目次 heading itself).
    Toc,
    /// A line that is only a page number.
    PageNumber,
    Marker {
        marker: Marker,
        content: String,
    },
    /// `・ …`, `● …`.
    Bullet(String),
    /// `■ 改訂履歴`: a heading outside the numbering.
    Unnumbered(String),
    /// `※ …`.
    Note(String),
    /// `<志免町情報セキュリティ体制>`: the caption of a figure that was not extracted.
    Figure(String),
    /// `(趣旨)`: possibly the caption of the next article.
    Caption(String),
    /// Tab-separated cells.
    TableRow(Vec<String>),
    Text(String),
}

/// Strips what extraction and Markdown put before the real start of a line: indentation,
/// list dashes (`- `, ` - `), Markdown `#` and `*`/`+` bullets.
pub fn strip_leading(raw: &str) -> &str {
    let mut s = raw.trim_start();
    loop {
        let before = s;
        for prefix in ["- ", "-\t", "− ", "‐ ", "– ", "* ", "+ ", "#"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
            }
        }
        if s == before {
            return s;
        }
    }
}

/// Classifies one line on its own. Context (a table of contents, a regulation's
/// paragraphs) is applied by the caller.
pub fn classify(raw: &str) -> LineKind {
    if is_blank(raw) {
        return LineKind::Blank;
    }
    let stripped = strip_leading(raw).trim_end();
    if stripped.is_empty() {
        // Only dashes or hashes: layout.
        return LineKind::PageNumber;
    }
    if is_toc_entry(raw) {
        return LineKind::Toc;
    }
    if stripped.chars().all(|c| digit_value(c).is_some() || matches!(c, '-' | '−' | '―' | '‐' | ' ' | '　' | '/' | 'P' | 'p' | '.'))
    {
        return LineKind::PageNumber;
    }
    if let Some((marker, content)) = parse_marker(stripped) {
        // `content` is trimmed already.
        let content = if content.contains('\t') { content.replace('\t', " ").trim().to_owned() } else { content.to_owned() };
        return LineKind::Marker { marker, content };
    }
    if raw.contains('\t') {
        let cells: Vec<String> = raw.trim_end_matches(['\r', '\n']).split('\t').map(|c| c.trim().to_owned()).collect();
        if cells.len() >= 2 && cells.iter().any(|c| !c.is_empty()) {
            return LineKind::TableRow(cells);
        }
    }
    let mut chars = stripped.chars();
    let first = chars.next().unwrap_or(' ');
    let rest = || chars.as_str().trim().to_owned();
    match first {
        '・' | '•' | '●' | '○' | '◆' | '◇' | '□' | '▪' => return LineKind::Bullet(rest()),
        '■' => return LineKind::Unnumbered(rest()),
        '※' => return LineKind::Note(rest()),
        _ => {}
    }
    if let Some(inner) = enclosed(stripped, &[('<', '>'), ('〈', '〉'), ('＜', '＞'), ('【', '】'), ('《', '》')]) {
        return LineKind::Figure(inner.to_owned());
    }
    if let Some(inner) = enclosed(stripped, &[('(', ')'), ('（', '）')]) {
        if inner.chars().count() <= 20 && !inner.contains('。') && !inner.chars().any(|c| digit_value(c).is_some()) {
            return LineKind::Caption(inner.to_owned());
        }
    }
    LineKind::Text(stripped.to_owned())
}

fn enclosed<'a>(s: &'a str, pairs: &[(char, char)]) -> Option<&'a str> {
    let first = s.chars().next()?;
    let last = s.chars().last()?;
    for (open, close) in pairs {
        if first == *open && last == *close && s.chars().count() >= 2 {
            let inner = &s[open.len_utf8()..s.len() - close.len_utf8()];
            if !inner.contains(*open) && !inner.contains(*close) {
                return Some(inner.trim());
            }
        }
    }
    None
}

/// A table-of-contents entry: a title followed by a page number after a tab or a leader
/// (`.....`, `…`). The 目次 heading itself also counts.
pub fn is_toc_entry(raw: &str) -> bool {
    let s = raw.trim();
    // Most lines end in neither a page number nor are a short 目次 heading.
    if s.chars().last().is_none_or(|c| digit_value(c).is_none()) && s.chars().nth(12).is_some() {
        return false;
    }
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if matches!(compact.as_str(), "目次" | "<目次>" | "＜目次＞" | "〈目次〉" | "【目次】" | "もくじ" | "Contents" | "CONTENTS")
    {
        return true;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut end = chars.len();
    while end > 0 && digit_value(chars[end - 1]).is_some() {
        end -= 1;
    }
    if end == chars.len() || end == 0 {
        return false;
    }
    let before: String = chars[..end].iter().collect();
    let before = before.trim_end_matches([' ', '　', '\t']);
    let dots = before.chars().rev().take_while(|c| matches!(c, '.' | '…' | '‥' | '・' | '．')).count();
    dots >= 3 || (before.ends_with('…') || before.ends_with('‥')) && dots >= 1
}

/// Whether a line looks like an entry of a table of contents once one has begun: a page
/// number after a tab, or a title with an empty page column.
pub fn is_toc_continuation(raw: &str) -> bool {
    if is_toc_entry(raw) {
        return true;
    }
    let t = raw.trim_end_matches(['\r', '\n', ' ']);
    if t.ends_with('\t') && !t.trim().is_empty() {
        return true;
    }
    match t.rfind('\t') {
        Some(i) => {
            let tail = t[i + 1..].trim();
            !tail.is_empty() && tail.chars().all(|c| digit_value(c).is_some())
        }
        None => false,
    }
}

/// A numbering marker at the start of `s` (already stripped of dashes), and the rest, trimmed.
pub fn parse_marker(s: &str) -> Option<(Marker, &str)> {
    let chars: Vec<char> = s.chars().collect();
    // The text from the `i`-th character on.
    let rest_from = |i: usize| -> &str { s.char_indices().nth(i).map_or("", |(at, _)| &s[at..]).trim() };
    let space_at = |i: usize| chars.get(i).is_some_and(|c| c.is_whitespace());
    // A marker directly followed by hiragana is a reference in running text: `(1)に示す`.
    let ok_after = |i: usize| match chars.get(i) {
        None => true,
        Some(c) => c.is_whitespace() || !is_hiragana(*c),
    };
    let first = *chars.first()?;

    // 第N条 / 第N章
    if first == '第' {
        let n = leading_number(&chars[1..]).or_else(|| leading_kanji_number(&chars[1..]));
        if let Some((n, len)) = n {
            let after = 1 + len;
            match chars.get(after) {
                Some('条') => {
                    let mut end = after + 1;
                    let mut sub = None;
                    if chars.get(end) == Some(&'の') {
                        if let Some((m, mlen)) = leading_number(&chars[end + 1..]).or_else(|| leading_kanji_number(&chars[end + 1..])) {
                            sub = Some(m);
                            end += 1 + mlen;
                        }
                    }
                    if ok_after(end) || chars.get(end).is_some_and(|c| *c == '　') {
                        return Some((Marker::Article(n, sub), rest_from(end)));
                    }
                }
                Some('章') | Some('部') | Some('編') => return Some((Marker::Part(n), rest_from(after + 1))),
                _ => {}
            }
        }
    }
    // 附則
    let mut head = chars.iter().take(4).filter(|c| !c.is_whitespace());
    if head.next() == Some(&'附') && head.next() == Some(&'則') {
        let skip = chars.iter().position(|c| *c == '則').map(|p| p + 1).unwrap_or(2);
        return Some((Marker::Supplementary, rest_from(skip)));
    }
    if let Some(n) = circled_value(first) {
        if ok_after(1) {
            return Some((Marker::Circled(n), rest_from(1)));
        }
        return None;
    }
    if first == '(' || first == '（' {
        let mut i = 1;
        while chars.get(i).is_some_and(|c| *c == ' ') {
            i += 1;
        }
        if let Some((n, len)) = leading_number(&chars[i..]) {
            let mut j = i + len;
            while chars.get(j).is_some_and(|c| *c == ' ') {
                j += 1;
            }
            if matches!(chars.get(j), Some(')' | '）')) && ok_after(j + 1) {
                return Some((Marker::Paren(n), rest_from(j + 1)));
            }
            return None;
        }
        if let Some(k) = chars.get(i).and_then(|c| kana_index(*c)) {
            if matches!(chars.get(i + 1), Some(')' | '）')) && ok_after(i + 2) {
                return Some((Marker::ParenKana(k), rest_from(i + 2)));
            }
        }
        return None;
    }
    if let Some((n, len)) = leading_number(&chars) {
        match chars.get(len) {
            Some('.' | '．') => {
                if let Some((m, mlen)) = leading_number(&chars[len + 1..]) {
                    let end = len + 1 + mlen;
                    if space_at(end) && !rest_from(end).is_empty() {
                        return Some((Marker::Section(n, m), rest_from(end)));
                    }
                    return None;
                }
                if space_at(len + 1) && !rest_from(len + 1).is_empty() {
                    return Some((Marker::Chapter(n), rest_from(len + 1)));
                }
            }
            Some(')' | '）') if space_at(len + 1) && !rest_from(len + 1).is_empty() => {
                return Some((Marker::HalfParen(n), rest_from(len + 1)));
            }
            Some(c) if c.is_whitespace() && !rest_from(len).is_empty() => {
                return Some((Marker::Chapter(n), rest_from(len)));
            }
            _ => {}
        }
        return None;
    }
    if let Some(k) = kana_index(first) {
        if space_at(1) && !rest_from(1).is_empty() {
            return Some((Marker::BareKana(k), rest_from(1)));
        }
        return None;
    }
    if let Some((n, len)) = leading_kanji_number(&chars) {
        if len <= 2 && space_at(len) && !rest_from(len).is_empty() && n > 0 {
            return Some((Marker::KanjiItem(n), rest_from(len)));
        }
    }
    // Roman numerals for parts: `I 総則`, `Ⅱ．対策`.
    let wlen = chars.iter().take_while(|c| !c.is_whitespace() && !matches!(c, '.' | '．')).count();
    let word = s.char_indices().nth(wlen).map_or(s, |(at, _)| &s[..at]);
    if let Some(n) = roman_value(word) {
        let mut end = wlen;
        if matches!(chars.get(end), Some('.' | '．')) {
            end += 1;
        }
        if space_at(end) && !rest_from(end).is_empty() {
            return Some((Marker::Part(n), rest_from(end)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let cases: &[(&str, Option<Marker>)] = &[
            ("1 目的", Some(Marker::Chapter(1))),
            ("１０ 情報セキュリティ実施手順の策定", Some(Marker::Chapter(10))),
            ("4.1 サーバ等の管理", Some(Marker::Section(4, 1))),
            ("(1) ネットワーク", Some(Marker::Paren(1))),
            ("（１２）端末", Some(Marker::Paren(12))),
            ("(1)に示す組織に所属し", None),
            ("① 副町長を、CISO とする。", Some(Marker::Circled(1))),
            ("(ア) 職員等は", Some(Marker::ParenKana(1))),
            ("（ウ）情報資産を", Some(Marker::ParenKana(3))),
            ("ア 情報", Some(Marker::BareKana(1))),
            ("アカウント乗っ取り", None),
            ("第3条 本町に", Some(Marker::Article(3, None))),
            ("第十二条の二　この", Some(Marker::Article(12, Some(2)))),
            ("第1章 情報セキュリティ基本方針", Some(Marker::Part(1))),
            ("附 則", Some(Marker::Supplementary)),
            ("1) 情報", Some(Marker::HalfParen(1))),
            ("Ⅱ 対策", Some(Marker::Part(2))),
            ("2名以上で作業し", None),
            ("一 ネットワーク", Some(Marker::KanjiItem(1))),
        ];
        for (line, want) in cases {
            assert_eq!(parse_marker(line).map(|(m, _)| m), *want, "{line}");
        }
    }

    #[test]
    fn line_kinds() {
        assert_eq!(classify("- (1) 不正アクセス"), LineKind::Marker { marker: Marker::Paren(1), content: "不正アクセス".into() });
        assert_eq!(classify(" - ・ 情報システム"), LineKind::Bullet("情報システム".into()));
        assert_eq!(classify("8.2\t情報システムに関する業務委託.....\t40"), LineKind::Toc);
        assert_eq!(classify("(趣旨)"), LineKind::Caption("趣旨".into()));
        assert!(matches!(classify("用語\t定義"), LineKind::TableRow(_)));
        assert_eq!(classify("   "), LineKind::Blank);
        assert!(is_toc_continuation("1 目的\t3"));
        assert!(is_toc_continuation("第1章 情報セキュリティ基本方針\t"));
    }
}
