//! Attendance lists (研修の出席者一覧): the CSV a training's sign-in sheet or an e-learning
//! system gives, one row per attendee. Only the staff number is needed; a 氏名 column, when
//! present, is checked by the caller against the staff register. Other columns are ignored.
//! All or nothing: any problem rejects the whole file, each problem with its line.

use crate::decode::{decode, Decoded};
use crate::MAX_FILE_BYTES;

/// One attendee row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    /// 1-based physical line of the row.
    pub line: usize,
    pub staff_no: String,
    /// The name as the list writes it; empty when the list has no 氏名 column.
    pub name: String,
}

/// At most this many attendees in one list.
pub const MAX_ATTENDANCE_ROWS: usize = 20_000;

/// The attendees of a list, or every problem found (Japanese, with line numbers).
pub fn parse_attendance_csv(bytes: &[u8]) -> Result<Vec<AttendanceRow>, Vec<String>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![format!("ファイルが大きすぎます（{}バイト、上限{}バイト）", bytes.len(), MAX_FILE_BYTES)]);
    }
    let text = match decode(bytes) {
        Decoded::Text { text, had_errors: false, .. } => text,
        Decoded::Text { had_errors: true, .. } => {
            return Err(vec!["文字コードが読めません。UTF-8 か Shift_JIS の CSV で保存してください".into()]);
        }
        Decoded::Utf16 => return Err(vec!["UTF-16 の CSV には対応していません。UTF-8 か Shift_JIS の CSV で保存してください".into()]),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut columns: Option<(usize, Option<usize>)> = None;
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(&text, p.byte() as usize)).unwrap_or(0);
                problems.push(format!("{line}行目: CSV として読めません（引用符の閉じ忘れなど）"));
                break;
            }
        };
        // The physical line, from the byte offset (the reader's own count skips blank lines).
        let line = record.position().map(|p| line_at(&text, p.byte() as usize)).unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let Some((no_col, name_col)) = columns else {
            let header: Vec<String> = record.iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_owned()).collect();
            let find = |names: &[&str]| header.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
            match find(&["職員番号", "staff_no"]) {
                Some(no) => columns = Some((no, find(&["氏名", "name"]))),
                None => {
                    problems
                        .push(format!("{line}行目: 見出しに「職員番号」の列がありません。1行目を見出し（職員番号,氏名）にしてください"));
                    break;
                }
            }
            continue;
        };
        if rows.len() >= MAX_ATTENDANCE_ROWS {
            problems.push(format!("出席者は{MAX_ATTENDANCE_ROWS}人までです。ファイルを分けてください"));
            break;
        }
        let staff_no = record.get(no_col).unwrap_or("").trim().to_owned();
        let name = name_col.and_then(|c| record.get(c)).unwrap_or("").trim().to_owned();
        if staff_no.is_empty() {
            problems.push(format!("{line}行目: 職員番号が空です"));
            continue;
        }
        if let Some(first) = seen.get(&staff_no) {
            problems.push(format!("{line}行目: 職員番号「{staff_no}」は{first}行目にもあります"));
            continue;
        }
        seen.insert(staff_no.clone(), line);
        rows.push(AttendanceRow { line, staff_no, name });
    }
    if problems.is_empty() && columns.is_none() {
        problems.push("ファイルが空です。1行目を見出し（職員番号,氏名）にし、2行目から出席者を書いてください".into());
    } else if problems.is_empty() && rows.is_empty() {
        problems.push("出席者の行がありません".into());
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The 1-based line where a record starting at `offset` is: the reader's offset may point
/// at blank lines it skipped before the record.
fn line_at(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = offset.min(bytes.len());
    while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
        at += 1;
    }
    // A line ends at `\n`, `\r\n` or a lone `\r` (as the reader's records do).
    let ends = bytes[..at].iter().enumerate().filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))).count();
    ends + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utf8_and_shift_jis() {
        let rows = parse_attendance_csv("氏名,職員番号,備考\n田中 太郎,A001,\n\n山口 花子,A002,遅刻\n".as_bytes()).unwrap();
        assert_eq!(
            rows,
            vec![
                AttendanceRow { line: 2, staff_no: "A001".into(), name: "田中 太郎".into() },
                AttendanceRow { line: 4, staff_no: "A002".into(), name: "山口 花子".into() },
            ]
        );
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("職員番号\r\nB7\r\n");
        assert_eq!(parse_attendance_csv(&sjis).unwrap()[0].staff_no, "B7");
    }

    #[test]
    fn rejects_with_lines() {
        assert_eq!(parse_attendance_csv("氏名\n田中\n".as_bytes()).unwrap_err().len(), 1);
        let e = parse_attendance_csv("職員番号,氏名\nA1,x\n,y\nA1,z\n".as_bytes()).unwrap_err();
        assert_eq!(e, vec!["3行目: 職員番号が空です".to_owned(), "4行目: 職員番号「A1」は2行目にもあります".to_owned()]);
        assert!(parse_attendance_csv(b"").is_err());
        assert!(parse_attendance_csv("職員番号\n".as_bytes()).is_err());
        assert!(parse_attendance_csv(b"\xff\xfe\x00\x00").is_err());
        // Lone carriage returns end lines too (found by the fuzzer).
        let rows = parse_attendance_csv(b"staff_no\r\n\"B,7\"\r\n\r\nB8\rC9").unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 4, 5]);
    }
}
