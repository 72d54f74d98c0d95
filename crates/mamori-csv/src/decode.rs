//! Choosing the encoding of an uploaded file and decoding it.

use crate::TextEncoding;
use encoding_rs::{SHIFT_JIS, UTF_8};
use std::borrow::Cow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) enum Decoded<'a> {
    Text {
        text: Cow<'a, str>,
        encoding: TextEncoding,
        /// Some bytes could not be decoded and became U+FFFD.
        had_errors: bool,
    },
    Utf16,
}

/// BOM → UTF-8; valid UTF-8 → UTF-8; otherwise Shift_JIS (WHATWG's, which is CP932 as Excel
/// writes it). When Shift_JIS fails too, the file is read as whichever of the two left fewer
/// undecodable bytes (ties go to Shift_JIS), so that a UTF-8 file with one broken byte is
/// reported at that byte and not as a file of mojibake.
pub(crate) fn decode(bytes: &[u8]) -> Decoded<'_> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Decoded::Utf16;
    }
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        let (text, had_errors) = UTF_8.decode_without_bom_handling(rest);
        return Decoded::Text { text, encoding: TextEncoding::Utf8, had_errors };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded::Text { text: Cow::Borrowed(text), encoding: TextEncoding::Utf8, had_errors: false };
    }
    let (sjis, sjis_errors) = SHIFT_JIS.decode_without_bom_handling(bytes);
    if !sjis_errors {
        return Decoded::Text { text: sjis, encoding: TextEncoding::ShiftJis, had_errors: false };
    }
    let utf8 = String::from_utf8_lossy(bytes);
    if count_replacements(&utf8) < count_replacements(&sjis) {
        Decoded::Text { text: utf8, encoding: TextEncoding::Utf8, had_errors: true }
    } else {
        Decoded::Text { text: sjis, encoding: TextEncoding::ShiftJis, had_errors: true }
    }
}

fn count_replacements(s: &str) -> usize {
    s.chars().filter(|&c| c == char::REPLACEMENT_CHARACTER).count()
}
