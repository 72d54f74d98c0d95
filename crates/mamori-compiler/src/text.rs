//! Character-level helpers. Everything here works on `char`s, never on byte offsets taken
//! from another string, so multi-byte text cannot be cut in the middle of a character.

use unicode_normalization::UnicodeNormalization;

/// The form used for matching phrases: NFKC (full-width ASCII and digits become half-width,
/// `（` becomes `(`), with every whitespace character removed (extraction puts spaces
/// between Latin and Japanese words at random: `CISO は`, `LGWAN 接続系`).
///
/// Never used to detect numbering: NFKC turns `①` into `1`.
pub fn norm(s: &str) -> String {
    norm_common(s).unwrap_or_else(|| {
        // Full NFKC on the text with full-width ASCII already mapped.
        let mapped: String = s.chars().filter(|c| !c.is_whitespace()).map(fold_full_width).collect();
        punctuate(mapped.nfkc().filter(|c| !c.is_whitespace()), s.len())
    })
}

/// Full-width ASCII (`！` … `～`) to ASCII.
fn fold_full_width(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    }
}

/// [`norm`] of a text that NFKC leaves as it is once full-width ASCII is mapped (nearly every
/// clause: full-width ASCII and the ideographic space are most of what NFKC changes in these
/// documents), in one pass that copies runs of unchanged characters. `None` at the first
/// character that needs the full NFKC.
fn norm_common(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    // The start of the run of characters copied as they are, not written yet.
    let mut run = 0;
    let mut previous_alnum = false;
    // A `.` waiting for the next character: whether the one before it was a letter or digit.
    let mut dot: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let as_is = !c.is_whitespace() && !matches!(c, ',' | '.' | '\u{FF01}'..='\u{FF5E}');
        if as_is && !nfkc_stable(c) {
            return None;
        }
        if !as_is {
            out.push_str(&s[run..i]);
            run = i + c.len_utf8();
            if c.is_whitespace() {
                continue;
            }
        }
        let c = fold_full_width(c);
        // A dot between letters or digits (4.1, R4.1) stays a dot. (A pending dot is written
        // before `c`'s run, which starts right after it.)
        if let Some(after_alnum) = dot.take() {
            out.push(if after_alnum && c.is_ascii_alphanumeric() { '.' } else { '。' });
        }
        match c {
            _ if as_is => {}
            ',' => out.push('、'),
            '.' => dot = Some(previous_alnum),
            c => out.push(c),
        }
        previous_alnum = c.is_ascii_alphanumeric();
    }
    out.push_str(&s[run..]);
    if dot.is_some() {
        out.push('。');
    }
    Some(out)
}

/// The last step of [`norm`]: `，．` and `,.` punctuation read as `、。`; a dot between
/// letters or digits (4.1, R4.1) stays a dot.
fn punctuate(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut out = String::with_capacity(capacity);
    let mut chars = chars.peekable();
    let mut previous = None;
    while let Some(c) = chars.next() {
        match c {
            ',' => out.push('、'),
            '.' if alnum(previous) && alnum(chars.peek().copied()) => out.push('.'),
            '.' => out.push('。'),
            c => out.push(c),
        }
        previous = Some(c);
    }
    out
}

/// `s.find(word)` for the short texts of clauses, where the standard substring searcher
/// spends more on its setup than on the search: look for the word's first character (a
/// `memchr`) and compare from there.
pub fn find(s: &str, word: &str) -> Option<usize> {
    let Some(first) = word.chars().next() else { return Some(0) };
    s.match_indices(first).map(|(i, _)| i).find(|&i| s[i..].starts_with(word))
}

pub fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

pub fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

/// The value of an ASCII or full-width digit.
pub fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// A run of at most four ASCII or full-width digits at the start of `chars`: (value, length).
pub fn leading_number(chars: &[char]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    let mut len = 0;
    while len < chars.len() && len < 4 {
        match digit_value(chars[len]) {
            Some(d) => {
                value = value * 10 + d;
                len += 1;
            }
            None => break,
        }
    }
    if len == 0 {
        return None;
    }
    // Five digits or more is a figure, not a clause number.
    if len < chars.len() && digit_value(chars[len]).is_some() {
        return None;
    }
    Some((value, len))
}

/// A kanji numeral (一 … 九十九, 百, 元 as in 令和元年) at the start of `chars`.
pub fn leading_kanji_number(chars: &[char]) -> Option<(u32, usize)> {
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c).map(|p| p as u32);
    let mut i = 0;
    let mut total = 0u32;
    let mut current = 0u32;
    let mut seen = false;
    while i < chars.len() && i < 6 {
        let c = chars[i];
        if let Some(d) = digit(c) {
            current = current * 10 + d;
        } else if c == '十' {
            total += if current == 0 { 10 } else { current * 10 };
            current = 0;
        } else if c == '百' {
            total += if current == 0 { 100 } else { current * 100 };
            current = 0;
        } else {
            break;
        }
        seen = true;
        i += 1;
    }
    if !seen {
        return None;
    }
    Some((total + current, i))
}

/// `①` … `⑳`, `㉑` … `㉟`.
pub fn circled_value(c: char) -> Option<u32> {
    let v = c as u32;
    match v {
        0x2460..=0x2473 => Some(v - 0x2460 + 1),
        0x3251..=0x325F => Some(v - 0x3251 + 21),
        _ => None,
    }
}

pub fn circled_char(n: u32) -> Option<char> {
    match n {
        1..=20 => char::from_u32(0x2460 + n - 1),
        21..=35 => char::from_u32(0x3251 + n - 21),
        _ => None,
    }
}

/// The katakana used for sub-items, in order (gojūon without ヰ/ヱ/ヲ/ン).
pub const KANA: [char; 44] = [
    'ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ', 'サ', 'シ', 'ス', 'セ', 'ソ', 'タ', 'チ', 'ツ', 'テ', 'ト', 'ナ', 'ニ',
    'ヌ', 'ネ', 'ノ', 'ハ', 'ヒ', 'フ', 'ヘ', 'ホ', 'マ', 'ミ', 'ム', 'メ', 'モ', 'ヤ', 'ユ', 'ヨ', 'ラ', 'リ', 'ル', 'レ', 'ロ', 'ワ',
];

pub fn kana_index(c: char) -> Option<u32> {
    KANA.iter().position(|k| *k == c).map(|p| p as u32 + 1)
}

pub fn kana_char(n: u32) -> Option<char> {
    KANA.get(n.checked_sub(1)? as usize).copied()
}

pub fn roman_value(s: &str) -> Option<u32> {
    const ROMAN: [(&str, u32); 20] = [
        ("I", 1),
        ("II", 2),
        ("III", 3),
        ("IV", 4),
        ("V", 5),
        ("VI", 6),
        ("VII", 7),
        ("VIII", 8),
        ("IX", 9),
        ("X", 10),
        ("Ⅰ", 1),
        ("Ⅱ", 2),
        ("Ⅲ", 3),
        ("Ⅳ", 4),
        ("Ⅴ", 5),
        ("Ⅵ", 6),
        ("Ⅶ", 7),
        ("Ⅷ", 8),
        ("Ⅸ", 9),
        ("Ⅹ", 10),
    ];
    ROMAN.iter().find(|(r, _)| *r == s).map(|(_, v)| *v)
}

/// Whether the text ends a sentence or a bracketed phrase (nothing left to continue).
pub fn ends_terminated(s: &str) -> bool {
    matches!(s.trim_end().chars().last(), Some('。' | '．' | '」' | '』' | '）' | ')' | '：' | ':' | '.'))
}

/// Characters NFKC leaves as they are, in the ranges these documents are written in (ASCII,
/// CJK punctuation and brackets, kana, unified ideographs). A cheap test that lets most
/// clauses skip the table lookups of full NFKC; anything else (①, half-width katakana, ㈱ …)
/// goes through NFKC.
fn nfkc_stable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0x3001..=0x3003 | 0x3005..=0x3011 | 0x3014..=0x301F | 0x3041..=0x3096 | 0x309D..=0x309E | 0x30A1..=0x30FE | 0x4E00..=0x9FFF)
}

/// Whether the text ends with a full stop (a heading may end with a parenthesis).
pub fn ends_sentence(s: &str) -> bool {
    matches!(s.trim_end().chars().last(), Some('。' | '．'))
}

/// Splits normalized text into sentences at `。` / `．`, keeping brackets together so that
/// `（以下「CISO」という。）` does not end a sentence. The sentences are slices of `s`.
pub fn sentences(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '「' | '『' | '（' | '[' => depth += 1,
            ')' | '」' | '』' | '）' | ']' => depth = (depth - 1).max(0),
            '。' | '．' if depth == 0 => {
                if i > start {
                    out.push(&s[start..i]);
                }
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    let rest = &s[start..];
    if !rest.trim().is_empty() {
        out.push(rest);
    }
    out
}

/// Drops a trailing parenthetical: `共有してはならない(ただし、…除く)` → `共有してはならない`.
pub fn strip_trailing_parenthetical(s: &str) -> &str {
    let t = s.trim_end();
    if !t.ends_with(')') && !t.ends_with('）') {
        return t;
    }
    let mut depth = 0i32;
    for (i, c) in t.char_indices().rev() {
        match c {
            ')' | '）' => depth += 1,
            '(' | '（' => {
                depth -= 1;
                if depth == 0 {
                    return t[..i].trim_end();
                }
            }
            _ => {}
        }
    }
    t
}

/// A date written as 令和7年7月3日, 平成16年4月1日, 令和元年…, 2026年3月(1日) in normalized
/// text, as `YYYY-MM-DD` (the first day of the month when the day is missing).
pub fn find_date(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let eras: [(&str, i32); 4] = [("令和", 2018), ("平成", 1988), ("昭和", 1925), ("R", 2018)];
    for start in 0..chars.len() {
        let rest = &chars[start..];
        let mut year: Option<(i32, usize)> = None;
        for (era, base) in eras {
            let era_chars: Vec<char> = era.chars().collect();
            if rest.starts_with(&era_chars) {
                let after = &rest[era_chars.len()..];
                let n = if after.first() == Some(&'元') {
                    Some((1, 1))
                } else {
                    leading_number(after).or_else(|| leading_kanji_number(after))
                };
                if let Some((n, len)) = n {
                    if after.get(len) == Some(&'年') {
                        year = Some((base + n as i32, era_chars.len() + len + 1));
                    }
                }
            }
        }
        if year.is_none() {
            if let Some((n, len)) = leading_number(rest) {
                if len == 4 && rest.get(4) == Some(&'年') && (start == 0 || digit_value(chars[start - 1]).is_none()) {
                    year = Some((n as i32, 5));
                }
            }
        }
        let Some((y, used)) = year else { continue };
        let after = &rest[used..];
        let Some((m, mlen)) = leading_number(after) else { continue };
        if after.get(mlen) != Some(&'月') || !(1..=12).contains(&m) {
            continue;
        }
        let after_month = &after[mlen + 1..];
        let day = match leading_number(after_month) {
            Some((d, dlen)) if after_month.get(dlen) == Some(&'日') && (1..=31).contains(&d) => d,
            _ => 1,
        };
        if (1..=9999).contains(&y) {
            return Some(format!("{y:04}-{m:02}-{day:02}"));
        }
    }
    None
}

/// Escapes a table cell for the Markdown report (`\\` and `|` escaped, line breaks as
/// spaces), written straight into the output without an intermediate `String`.
pub fn md_cell(s: &str) -> MdCell<'_> {
    MdCell(s)
}

pub struct MdCell<'a>(&'a str);

impl std::fmt::Display for MdCell<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(k) = rest.find(['\\', '|', '\n', '\r']) {
            f.write_str(&rest[..k])?;
            f.write_str(match rest.as_bytes()[k] {
                b'\\' => "\\\\",
                b'|' => "\\|",
                _ => " ",
            })?;
            rest = &rest[k + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `norm` as it was first written (map, test, collect, punctuate), to check the one-pass
    /// version against.
    fn reference_norm(s: &str) -> String {
        let mapped: String = s.chars().filter(|c| !c.is_whitespace()).map(fold_full_width).collect();
        let chars: Vec<char> =
            if mapped.chars().all(nfkc_stable) { mapped.chars().collect() } else { mapped.nfkc().filter(|c| !c.is_whitespace()).collect() };
        let mut out = String::new();
        for (i, c) in chars.iter().enumerate() {
            match c {
                ',' => out.push('、'),
                '.' => {
                    let alnum = |k: Option<&char>| k.is_some_and(|c| c.is_ascii_alphanumeric());
                    out.push(if alnum(i.checked_sub(1).and_then(|k| chars.get(k))) && alnum(chars.get(i + 1)) { '.' } else { '。' });
                }
                c => out.push(*c),
            }
        }
        out
    }

    #[test]
    fn norm_matches_reference() {
        let samples = [
            "",
            " ",
            "4.1",
            "4 . 1",
            "R4.1.",
            "a..b",
            ".",
            ". a",
            "1.",
            "ア.イ",
            "１．２",
            "CISO は、",
            "ＬＧＷＡＮ 接続系",
            "（以下「CISO」という。）",
            "①を参照",
            "ｱｲｳ",
            "x,y，z",
            "x.\u{3000}y",
            "…",
            "1.①",
            "①.1",
            "\u{1}.a",
            "全角　スペース",
            "㈱",
            "A.\nB",
        ];
        for s in samples {
            assert_eq!(norm(s), reference_norm(s), "{s:?}");
        }
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seeds");
        for entry in std::fs::read_dir(seeds).expect("the seeds") {
            let text = std::fs::read_to_string(entry.expect("a seed").path()).expect("a seed's text");
            for line in text.lines() {
                assert_eq!(norm(line), reference_norm(line), "{line:?}");
            }
            assert_eq!(norm(&text), reference_norm(&text));
        }
    }

    #[test]
    fn dates() {
        for (text, want) in [
            ("改定日:令和7年7月3日", Some("2025-07-03")),
            ("制定日:平成16年4月1日", Some("2004-04-01")),
            ("この基本方針は、令和元年8月1日から施行する", Some("2019-08-01")),
            ("(2026年3月改訂版)", Some("2026-03-01")),
            ("第6版", None),
        ] {
            assert_eq!(find_date(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn sentence_split_keeps_brackets() {
        let s = sentences("X(以下「CISO」という。)を置く。Yは、Zしなければならない。");
        assert_eq!(s, vec!["X(以下「CISO」という。)を置く", "Yは、Zしなければならない"]);
    }

    #[test]
    fn numbers() {
        assert_eq!(leading_kanji_number(&"十二条".chars().collect::<Vec<_>>()), Some((12, 2)));
        assert_eq!(leading_number(&"１２ 目的".chars().collect::<Vec<_>>()), Some((12, 2)));
        assert_eq!(circled_value('⑳'), Some(20));
        assert_eq!(circled_char(21), Some('㉑'));
    }
}
