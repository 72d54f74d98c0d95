//! Values that cannot be wrong: identifiers parsed once, at the edge.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why an identifier was refused. Carries data, not prose; the caller words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier `{0}` may only contain a-z, 0-9 and `_`, and must start with a letter")]
    BadSymbol(String),
    #[error("clause id `{id}`: {reason}")]
    BadClause { id: String, reason: &'static str },
}

/// A machine identifier such as a role id (`ciso`), a zone id (`lgwan`) or an axis id.
/// Lower-case ASCII so that it is stable in URLs, SQL and CSV files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let mut chars = raw.chars();
        match chars.next() {
            None => Err(IdError::Empty),
            Some(first) if first.is_ascii_lowercase() => {
                if chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(IdError::BadSymbol(raw.to_owned()))
                }
            }
            Some(_) => Err(IdError::BadSymbol(raw.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Symbol::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A clause of a policy document, e.g. `対策基準5.1(1)③(ア)`, `基本方針4(1)`,
/// `第5条第2項第1号` or `個人情報保護法第68条`.
///
/// The id is a document prefix (no ASCII digits in it) followed by a numbering path.
/// Numbering markers are kept exactly as the document writes them (circled digits are
/// not normalised), because the id must be findable in the source text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClauseId(String);

impl ClauseId {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let bad = |reason| IdError::BadClause { id: raw.to_owned(), reason };
        if raw.is_empty() {
            return Err(IdError::Empty);
        }
        if raw.chars().any(char::is_whitespace) {
            return Err(bad("contains whitespace"));
        }
        // The numbering path starts at the first ASCII digit, `(`, `第` or a circled digit.
        let path_start =
            raw.char_indices().find(|(_, c)| c.is_ascii_digit() || *c == '(' || *c == '第' || is_circled_digit(*c)).map(|(i, _)| i);
        let Some(start) = path_start else {
            return Err(bad("has no numbering (expected e.g. 対策基準5.1(1)①)"));
        };
        let path = &raw[start..];
        let mut depth = 0i32;
        for c in path.chars() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return Err(bad("has a `)` without `(`"));
                    }
                }
                '（' | '）' => return Err(bad("uses full-width parentheses; write `(` and `)`")),
                _ => {}
            }
        }
        if depth != 0 {
            return Err(bad("has an unclosed `(`"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document part of the id (`対策基準` in `対策基準5.1(1)`).
    pub fn document(&self) -> &str {
        let end = self
            .0
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '(' || *c == '第' || is_circled_digit(*c))
            .map(|(i, _)| i)
            .unwrap_or(self.0.len());
        &self.0[..end]
    }
}

fn is_circled_digit(c: char) -> bool {
    ('\u{2460}'..='\u{2473}').contains(&c)
}

impl fmt::Display for ClauseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClauseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        ClauseId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols() {
        for ok in ["ciso", "security_manager", "lgwan", "c3a", "a1"] {
            assert!(Symbol::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "CISO", "1zone", "セキュリティ", "a-b", "a b"] {
            assert!(Symbol::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clause_ids() {
        for ok in [
            "対策基準5.1(1)③(ア)",
            "基本方針4(1)",
            "対策基準7.3(5)",
            "第5条第2項第1号",
            "個人情報保護法第68条",
            "基本方針5②",
            "対策基準1(1)①",
        ] {
            let id = ClauseId::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(id.as_str(), ok);
        }
        assert_eq!(ClauseId::parse("対策基準5.1(1)").unwrap().document(), "対策基準");
        for bad in ["", "対策基準", "対策基準5.1(1", "対策基準5.1（1）", "対策 基準1"] {
            assert!(ClauseId::parse(bad).is_err(), "{bad}");
        }
    }
}
