//! Bigram tokens for substring search on SQLite (see the `assets_search` migration).

use std::fmt::Write;

/// The bigrams of `text` as hex tokens, separated by spaces. ASCII letters are lower-cased
/// so that search ignores case; a text of one character is indexed as that character.
pub(crate) fn bigram_document(text: &str) -> String {
    let chars: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).filter(|c| !c.is_whitespace()).collect();
    let mut out = String::with_capacity(chars.len() * 13);
    if chars.len() == 1 {
        push_token(&mut out, &chars[..1]);
    }
    for pair in chars.windows(2) {
        if !out.is_empty() {
            out.push(' ');
        }
        push_token(&mut out, pair);
    }
    out
}

/// An FTS5 phrase matching `query` as a substring: its bigrams in order. `None` when the
/// query is shorter than two characters (the caller scans instead).
pub(crate) fn bigram_phrase(query: &str) -> Option<String> {
    let chars: Vec<char> = query.chars().map(|c| c.to_ascii_lowercase()).filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 2 {
        return None;
    }
    Some(format!("\"{}\"", bigram_document(query)))
}

fn push_token(out: &mut String, chars: &[char]) {
    let mut buf = [0u8; 4];
    for c in chars {
        for b in c.encode_utf8(&mut buf).as_bytes() {
            let _ = write!(out, "{b:02x}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams() {
        assert_eq!(bigram_document("ab"), "6162");
        assert_eq!(bigram_document("aBc"), "6162 6263");
        assert_eq!(bigram_document("課税"), "e8aab2e7a88e");
        assert_eq!(bigram_document("課"), "e8aab2");
        assert_eq!(bigram_document(""), "");
        assert_eq!(bigram_phrase("課税台帳").unwrap(), "\"e8aab2e7a88e e7a88ee58fb0 e58fb0e5b8b3\"");
        assert_eq!(bigram_phrase("課"), None);
        assert_eq!(bigram_phrase(" a b "), Some("\"6162\"".into()));
    }
}
