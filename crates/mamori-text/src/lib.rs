//! One policy for every text a person types into mamori — form fields, API bodies, imported
//! lists, file names — applied in one place:
//! - normalized to NFC, so that the same name typed two ways is stored one way;
//! - NUL and other C0 controls refused (tab and newline allowed where the field is multi-line;
//!   CR LF becomes LF);
//! - bidi controls (an override, U+202E, makes `report<U+202E>fdp.exe` read as `reportexe.pdf`) and zero-width
//!   characters removed;
//! - trimmed of Unicode whitespace (including the full-width space), so that a value that is
//!   only spaces or only invisible characters counts as empty;
//! - bounded: each field has a maximum length in characters.
//!
//! Pure: a value and the field's rule in, the cleaned value or the problem out. The problem's
//! Japanese wording names the field.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// How a field may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line (a name, a title, a code).
    Line,
    /// Several lines (a description, a note, a report).
    MultiLine,
}

/// A field's rule: its name as the form shows it, one line or several, and its maximum length
/// in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub label_ja: &'static str,
    pub kind: Kind,
    pub max: usize,
}

impl Field {
    pub const fn line(label_ja: &'static str, max: usize) -> Self {
        Field { label_ja, kind: Kind::Line, max }
    }

    pub const fn multi_line(label_ja: &'static str, max: usize) -> Self {
        Field { label_ja, kind: Kind::MultiLine, max }
    }
}

/// Maximum lengths, in characters, shared by the forms, the APIs and the imports, so that
/// the same kind of value has the same bound wherever it is typed.
pub mod limits {
    /// A code or number: 職員番号, 所属コード, an asset's or system's number.
    pub const CODE: usize = 32;
    /// A person's or a department's name, a post, a kana reading.
    pub const NAME: usize = 100;
    /// A mail address (RFC 5321's path limit).
    pub const EMAIL: usize = 254;
    /// A title or a short one-line value: an asset's name, a request's purpose, a place.
    pub const TITLE: usize = 200;
    /// A note or a reason: a justification, a comment, a finding.
    pub const NOTE: usize = 2_000;
    /// A description or a report's body.
    pub const TEXT: usize = 10_000;
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A NUL character.
    Nul,
    /// Another control character (or a line break in a one-line field), with its code point.
    Control(u32),
    /// Longer than the field allows: the length found and the maximum.
    TooLong { len: usize, max: usize },
}

impl Problem {
    /// The problem in Japanese, naming the field.
    pub fn message_ja(&self, field: &str) -> String {
        match self {
            Problem::Nul => format!("「{field}」に NUL 文字は使えません。文字を入力し直してください"),
            Problem::Control(0x0a) | Problem::Control(0x0d) => format!("「{field}」は1行で入力してください（改行は使えません）"),
            Problem::Control(c) => format!("「{field}」に制御文字（U+{c:04X}）は使えません。文字を入力し直してください"),
            Problem::TooLong { len, max } => format!("「{field}」は{max}文字以内で入力してください（{len}文字あります）"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_ja("入力"))
    }
}

/// Bidi controls: embeddings, overrides, isolates and marks.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no space and show nothing: zero-width space, joiners, word joiner,
/// the byte-order mark, the soft hyphen and the invisible operators.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Whitespace a person may type around a value: Unicode white space, including the
/// full-width space of Japanese input.
fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Applies the text policy to one value for one field.
pub fn clean(value: &str, field: &Field) -> Result<String, Problem> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\0' => return Err(Problem::Nul),
            '\r' => {
                // CR LF and a lone CR are one line break.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                match field.kind {
                    Kind::MultiLine => out.push('\n'),
                    Kind::Line => return Err(Problem::Control(0x0a)),
                }
            }
            '\n' => match field.kind {
                Kind::MultiLine => out.push('\n'),
                Kind::Line => return Err(Problem::Control(0x0a)),
            },
            '\t' => out.push(if field.kind == Kind::MultiLine { '\t' } else { ' ' }),
            c if c.is_control() => return Err(Problem::Control(c as u32)),
            c if is_bidi_control(c) || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    // Composed after the removals, so that a mark an invisible character separated from its
    // base composes with it.
    let composed: String = out.nfc().collect();
    let trimmed = composed.trim_matches(is_space);
    let len = trimmed.chars().count();
    if len > field.max {
        return Err(Problem::TooLong { len, max: field.max });
    }
    Ok(trimmed.to_owned())
}

/// A file name as it is kept: the last path segment, cleaned as a one-line field of at most
/// 200 characters; a name left empty becomes `fallback`.
pub fn file_name(raw: &str, fallback: &str) -> Result<String, Problem> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned = clean(base, &Field::line("ファイル名", 200))?;
    Ok(if cleaned.is_empty() || cleaned == "." || cleaned == ".." { fallback.to_owned() } else { cleaned })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Field = Field::line("氏名", 10);
    const NOTE: Field = Field::multi_line("内容", 20);

    #[test]
    fn the_policy_in_a_table() {
        let cases: &[(&str, Field, Result<&str, Problem>)] = &[
            ("  山田　太郎　", NAME, Ok("山田　太郎")),
            ("ｶﾞ", NAME, Ok("ｶﾞ")),                       // NFC keeps half-width kana (NFKC would not)
            ("が", NAME, Ok("が")),                     // か + combining dakuten composes
            ("\u{200B}\u{200B}\u{200B}", NAME, Ok("")), // only invisible: empty
            ("            ", NAME, Ok("")),
            ("report\u{202E}fdp.exe", Field::line("ファイル名", 50), Ok("reportfdp.exe")),
            ("a\u{0}b", NAME, Err(Problem::Nul)),
            ("a\u{7}b", NAME, Err(Problem::Control(7))),
            ("a\nb", NAME, Err(Problem::Control(0x0a))),
            ("a\r\nb\rc", NOTE, Ok("a\nb\nc")),
            ("一二三四五六七八九十一", NAME, Err(Problem::TooLong { len: 11, max: 10 })),
            ("a\tb", NAME, Ok("a b")),
        ];
        for (input, field, want) in cases {
            let got = clean(input, field);
            assert_eq!(got.as_deref().map_err(Clone::clone), want.clone(), "{input:?}");
        }
    }

    #[test]
    fn messages_name_the_field() {
        assert!(Problem::TooLong { len: 11, max: 10 }.message_ja("氏名").contains("「氏名」は10文字以内"));
        assert!(Problem::Nul.message_ja("件名").contains("「件名」に NUL"));
        assert!(Problem::Control(0x0a).message_ja("件名").contains("1行"));
    }

    #[test]
    fn file_names_keep_their_last_segment_without_tricks() {
        assert_eq!(file_name("C:\\Users\\x\\report\u{202E}fdp.exe", "添付").unwrap(), "reportfdp.exe");
        assert_eq!(file_name("../../etc/passwd", "添付").unwrap(), "passwd");
        assert_eq!(file_name("\u{200B}", "添付").unwrap(), "添付");
        assert_eq!(file_name("..", "添付").unwrap(), "添付");
        assert!(file_name("a\u{0}b", "添付").is_err());
    }

    #[test]
    fn never_panics_on_any_input() {
        // Every char class boundary, repeated and mixed.
        let pool = ['\0', '\r', '\n', '\t', 'a', 'あ', '\u{202E}', '\u{200B}', '\u{3000}', '\u{301}', '\u{FEFF}', '\u{10FFFF}'];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let s: String = (0..len).map(|i| pool[((x >> (i * 4)) % pool.len() as u64) as usize]).collect();
            let _ = clean(&s, &NOTE);
            if let Ok(c) = clean(&s, &NAME) {
                assert!(!c.contains('\n') && !c.contains('\0') && !c.chars().any(is_bidi_control));
                assert_eq!(clean(&c, &NAME).as_deref(), Ok(c.as_str()), "cleaning is idempotent");
            }
        }
    }
}
