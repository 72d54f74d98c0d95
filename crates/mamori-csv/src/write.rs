//! Export: UTF-8 with BOM, Japanese headers, every cell escaped against formula injection.

use crate::{StaffField, StaffRow};

/// Makes a cell safe to open in a spreadsheet: a value starting with `=`, `+`, `-`, `@`, tab
/// or carriage return gets a leading `'`, so Excel shows it as text instead of running it as
/// a formula (OWASP's advice against CSV injection). Other values are returned unchanged.
pub fn escape_cell(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// The staff list as CSV that Excel in Japan opens directly: UTF-8 with BOM, CRLF line ends,
/// the Japanese headers (`職員番号,氏名,...`), 任用区分 in Japanese, and [`escape_cell`] on
/// every cell. For rows without formula-like cells, [`crate::parse_staff_csv`] reads back the
/// same rows.
pub fn write_staff_csv(rows: &[StaffRow]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut writer =
        csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).quote_style(csv::QuoteStyle::Necessary).from_writer(&mut out);
    // Writing into a Vec cannot fail, and every record has the same length.
    let header = StaffField::ALL.map(StaffField::header_ja);
    writer.write_record(header).expect("writing to memory");
    for row in rows {
        let cells = [
            row.staff_no.as_str(),
            &row.name,
            &row.kana,
            &row.email,
            &row.department_code,
            &row.department_name,
            &row.parent_department_code,
            &row.post,
            employment_ja(&row.employment),
        ];
        writer.write_record(cells.map(escape_cell)).expect("writing to memory");
    }
    writer.flush().expect("writing to memory");
    drop(writer);
    out
}

fn employment_ja(employment: &str) -> &str {
    match employment {
        "regular" => "正規",
        "fiscal_year" => "会計年度任用職員",
        "contractor" => "委託",
        other => other,
    }
}
