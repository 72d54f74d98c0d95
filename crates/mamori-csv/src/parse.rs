//! Reading and checking a staff list.

use crate::decode::{decode, Decoded};
use crate::{CsvProblem, CsvProblemKind, CsvRejection, StaffField, StaffRow, TextEncoding, MAX_FILE_BYTES, MAX_ROWS};
use std::collections::{HashMap, HashSet};

/// Reads a staff list exported from Excel (or written by hand) into rows for
/// `Store::import_staff`.
///
/// All or nothing: every row is checked, and if anything is wrong the result is a
/// [`CsvRejection`] listing every problem (line, column, kind) and no rows at all.
///
/// * Encoding: UTF-8 with or without BOM, or Shift_JIS/CP932.
/// * The first non-blank row is the header: Japanese headers (`職員番号`, `氏名`,
///   `氏名カナ`/`カナ`/`ふりがな`, `メール`/`メールアドレス`, `所属コード`, `所属名`,
///   `上位所属コード`, `職名`/`役職`, `任用区分`) or the English ids (`staff_no`, ...), in any
///   order. `職員番号`, `氏名`, `所属コード`, `所属名` are required. A column whose header is
///   empty is allowed only while all its cells are empty.
/// * Cells are trimmed of whitespace, full-width spaces included. Rows whose cells are all
///   empty are skipped.
/// * 任用区分: 正規/常勤/regular (or empty) → `regular`; 会計年度任用職員/会計年度/fiscal_year →
///   `fiscal_year`; 委託/委託事業者/contractor → `contractor`.
/// * A cell starting with `=`, `+`, `-` or `@` is rejected as a possible formula.
/// * At most [`MAX_FILE_BYTES`] bytes and [`MAX_ROWS`] data rows.
/// * A line break inside a quoted cell becomes one space.
/// * Each cell passes mamori's text policy (`mamori_text`): NFC, no control characters,
///   bidi and zero-width characters removed, bounded by the column's kind.
///
/// A 上位所属コード is not checked against the organization's departments here; see
/// [`parse_staff_csv_against`].
pub fn parse_staff_csv(bytes: &[u8]) -> Result<Vec<StaffRow>, CsvRejection> {
    parse(bytes, None)
}

/// [`parse_staff_csv`], and each 上位所属コード must name a department of the file (on any
/// row) or one for which `known` is true (the organization's departments), reported on its
/// line and column otherwise.
pub fn parse_staff_csv_against(bytes: &[u8], known: &dyn Fn(&str) -> bool) -> Result<Vec<StaffRow>, CsvRejection> {
    parse(bytes, Some(known))
}

fn parse(bytes: &[u8], known: Option<&dyn Fn(&str) -> bool>) -> Result<Vec<StaffRow>, CsvRejection> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(reject(vec![problem(0, None, CsvProblemKind::FileTooLarge { size: bytes.len(), limit: MAX_FILE_BYTES })]));
    }
    let (text, encoding, had_errors) = match decode(bytes) {
        Decoded::Text { text, encoding, had_errors } => (text, encoding, had_errors),
        Decoded::Utf16 => return Err(reject(vec![problem(1, None, CsvProblemKind::Utf16NotSupported)])),
    };
    let lines = LineIndex::new(&text);
    let mut checker = Checker { encoding, had_errors, lines, problems: Vec::new(), parents: Vec::new(), defined: HashSet::new() };
    if let Some(offset) = unterminated_quote_offset(&text) {
        let line = checker.lines.line_of(offset);
        checker.problems.push(problem(line, None, CsvProblemKind::UnterminatedQuote));
    }
    let rows = checker.check(&text);
    if let Some(known) = known {
        for (line, column, code) in std::mem::take(&mut checker.parents) {
            if !checker.defined.contains(&code) && !known(&code) {
                checker.problems.push(problem(line, column, CsvProblemKind::UnknownParentDepartment { code }));
            }
        }
    }
    if checker.problems.is_empty() {
        Ok(rows)
    } else {
        Err(reject(checker.problems))
    }
}

fn problem(line: usize, column: Option<String>, kind: CsvProblemKind) -> CsvProblem {
    CsvProblem { line, column, kind }
}

fn reject(mut problems: Vec<CsvProblem>) -> CsvRejection {
    problems.sort_by_key(|p| p.line);
    CsvRejection { problems }
}

/// What a column of the file holds.
#[derive(Clone, Copy)]
enum Column {
    Field(StaffField),
    /// Empty header: fine as long as the column stays empty.
    Unnamed,
    /// Already reported (unknown, duplicate or unreadable header): its cells are not checked.
    Ignored,
}

struct Checker<'a> {
    encoding: TextEncoding,
    had_errors: bool,
    lines: LineIndex<'a>,
    problems: Vec<CsvProblem>,
    /// Each row's 上位所属コード: (line, column, code), checked once every row is read.
    parents: Vec<(usize, Option<String>, String)>,
    /// The 所属コード of every row, those with problems included (a row's own problem is
    /// reported once, not again as an unknown parent on another row).
    defined: HashSet<String>,
}

/// Physical line numbers by byte offset. The csv crate's own line count skips blank lines
/// and CR-only line ends, so lines are counted here: `\n`, `\r\n` and a lone `\r` each end one.
struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offset where each line starts; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> LineIndex<'a> {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i + 1);
            }
        }
        LineIndex { text: bytes, starts }
    }

    /// The 1-based line holding the byte at `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    /// The line where a record starts, given the csv crate's position, which points at the
    /// line end (or blank lines) before the record's first byte.
    fn record_line(&self, position: Option<&csv::Position>) -> usize {
        let Some(position) = position else { return 0 };
        let mut offset = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        while matches!(self.text.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        self.line_of(offset)
    }
}

impl Checker<'_> {
    fn undecodable(&self, value: &str) -> bool {
        self.had_errors && value.contains(char::REPLACEMENT_CHARACTER)
    }

    fn check(&mut self, text: &str) -> Vec<StaffRow> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut records = reader.records();

        // Header: the first row that is not blank.
        let (header_line, header) = loop {
            match records.next() {
                None => {
                    self.problems.push(problem(1, None, CsvProblemKind::NoHeader));
                    return Vec::new();
                }
                Some(Err(e)) => {
                    self.problems.push(problem(self.lines.record_line(e.position()), None, CsvProblemKind::CsvSyntax));
                    return Vec::new();
                }
                Some(Ok(record)) if is_blank(&record) => continue,
                Some(Ok(record)) => break (self.lines.record_line(record.position()), record),
            }
        };
        let (columns, names) = self.read_header(header_line, &header);

        let mut rows = Vec::new();
        let mut data_rows = 0usize;
        let mut staff_nos: HashMap<String, usize> = HashMap::new();
        let mut departments: HashMap<String, (String, usize)> = HashMap::new();
        for record in records {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    self.problems.push(problem(self.lines.record_line(e.position()), None, CsvProblemKind::CsvSyntax));
                    continue;
                }
            };
            if is_blank(&record) {
                continue;
            }
            let line = self.lines.record_line(record.position());
            data_rows += 1;
            if data_rows > MAX_ROWS {
                self.problems.push(problem(line, None, CsvProblemKind::TooManyRows { limit: MAX_ROWS }));
                break;
            }
            if record.len() != columns.len() {
                self.problems.push(problem(line, None, CsvProblemKind::WrongCellCount { expected: columns.len(), found: record.len() }));
                continue;
            }
            if let Some(row) = self.check_row(line, &record, &columns, &names, &mut staff_nos, &mut departments) {
                rows.push(row);
            }
        }
        if data_rows == 0 {
            self.problems.push(problem(header_line, None, CsvProblemKind::NoDataRows));
        }
        rows
    }

    /// Maps each header cell to a column, reporting unknown, duplicate, unreadable and
    /// missing ones. Also returns the headers as written (trimmed), for `CsvProblem::column`.
    fn read_header(&mut self, line: usize, header: &csv::StringRecord) -> (Vec<Column>, Vec<String>) {
        let mut columns = Vec::with_capacity(header.len());
        let mut names = Vec::with_capacity(header.len());
        let mut seen: Vec<StaffField> = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let name = trim(raw).trim_matches('\u{feff}').to_owned();
            let column = if self.undecodable(&name) {
                self.problems.push(problem(line, None, CsvProblemKind::UndecodableBytes { encoding: self.encoding, position: i + 1 }));
                Column::Ignored
            } else if name.is_empty() {
                Column::Unnamed
            } else {
                match StaffField::from_header(&name) {
                    Some(field) if seen.contains(&field) => {
                        self.problems.push(problem(line, Some(name.clone()), CsvProblemKind::DuplicateColumn { field }));
                        Column::Ignored
                    }
                    Some(field) => {
                        seen.push(field);
                        Column::Field(field)
                    }
                    None => {
                        self.problems.push(problem(line, Some(name.clone()), CsvProblemKind::UnknownColumn { name: name.clone() }));
                        Column::Ignored
                    }
                }
            };
            columns.push(column);
            names.push(name);
        }
        for field in StaffField::ALL {
            if field.required() && !seen.contains(&field) {
                self.problems.push(problem(line, Some(field.header_ja().to_owned()), CsvProblemKind::MissingColumn { field }));
            }
        }
        (columns, names)
    }

    /// Checks one data row; returns it when it has no problem.
    fn check_row(
        &mut self,
        line: usize,
        record: &csv::StringRecord,
        columns: &[Column],
        names: &[String],
        staff_nos: &mut HashMap<String, usize>,
        departments: &mut HashMap<String, (String, usize)>,
    ) -> Option<StaffRow> {
        let before = self.problems.len();
        // Per field: the trimmed value and its column name, for cells that passed the cell checks.
        let mut values: HashMap<StaffField, (String, &str)> = HashMap::new();
        // Fields whose cell already has a problem (so it is not also reported as empty).
        let mut bad: Vec<StaffField> = Vec::new();
        for (i, raw) in record.iter().enumerate() {
            let value = trim(raw);
            let name = names[i].as_str();
            let column_name = || (!name.is_empty()).then(|| name.to_owned());
            if self.undecodable(value) {
                self.problems.push(problem(
                    line,
                    column_name(),
                    CsvProblemKind::UndecodableBytes { encoding: self.encoding, position: i + 1 },
                ));
                if let Column::Field(field) = columns[i] {
                    bad.push(field);
                }
                continue;
            }
            match columns[i] {
                Column::Ignored => {}
                Column::Unnamed => {
                    if !value.is_empty() {
                        self.problems.push(problem(line, None, CsvProblemKind::UnnamedColumnHasValue { position: i + 1 }));
                    }
                }
                Column::Field(field) => {
                    if looks_like_formula(value) {
                        self.problems.push(problem(line, column_name(), CsvProblemKind::FormulaLike { value: value.to_owned() }));
                        bad.push(field);
                    } else {
                        match mamori_text::clean(&fold_line_breaks(value), &field.text_rule()) {
                            Ok(cleaned) => {
                                values.insert(field, (cleaned, name));
                            }
                            Err(text_problem) => {
                                self.problems.push(problem(line, column_name(), CsvProblemKind::Text { field, problem: text_problem }));
                                bad.push(field);
                            }
                        }
                    }
                }
            }
        }
        let get = |field: StaffField| values.get(&field).map_or("", |(v, _)| v.as_str());
        let column_of = |field: StaffField| values.get(&field).map(|&(_, n)| n.to_owned());

        for field in StaffField::ALL {
            if field.required() && !bad.contains(&field) && get(field).is_empty() {
                // Only when the column exists; a missing column was reported with the header.
                if let Some(name) = column_of(field) {
                    self.problems.push(problem(line, Some(name), CsvProblemKind::RequiredCellEmpty { field }));
                }
            }
        }

        let email = get(StaffField::Email);
        if !email.is_empty() && !looks_like_email(email) {
            self.problems.push(problem(line, column_of(StaffField::Email), CsvProblemKind::InvalidEmail { value: email.to_owned() }));
        }

        let employment = match normalize_employment(get(StaffField::Employment)) {
            Some(e) => e,
            None => {
                self.problems.push(problem(
                    line,
                    column_of(StaffField::Employment),
                    CsvProblemKind::UnknownEmployment { value: get(StaffField::Employment).to_owned() },
                ));
                ""
            }
        };

        let staff_no = get(StaffField::StaffNo);
        if !staff_no.is_empty() {
            if let Some(&first_line) = staff_nos.get(staff_no) {
                self.problems.push(problem(
                    line,
                    column_of(StaffField::StaffNo),
                    CsvProblemKind::DuplicateStaffNo { staff_no: staff_no.to_owned(), first_line },
                ));
            } else {
                staff_nos.insert(staff_no.to_owned(), line);
            }
        }

        let code = get(StaffField::DepartmentCode);
        if !code.is_empty() {
            self.defined.insert(code.to_owned());
        }
        let department_name = get(StaffField::DepartmentName);
        if !code.is_empty() && !department_name.is_empty() {
            match departments.get(code) {
                Some((first_name, first_line)) if first_name != department_name => {
                    self.problems.push(problem(
                        line,
                        column_of(StaffField::DepartmentName),
                        CsvProblemKind::DepartmentNameConflict {
                            code: code.to_owned(),
                            first_name: first_name.clone(),
                            first_line: *first_line,
                            name: department_name.to_owned(),
                        },
                    ));
                }
                Some(_) => {}
                None => {
                    departments.insert(code.to_owned(), (department_name.to_owned(), line));
                }
            }
        }
        // A parent code may name a department defined in this file or one already in the
        // store; only a department that is its own parent is certainly wrong.
        let parent = get(StaffField::ParentDepartmentCode);
        if !parent.is_empty() && parent == code {
            self.problems.push(problem(
                line,
                column_of(StaffField::ParentDepartmentCode),
                CsvProblemKind::SelfParentDepartment { code: code.to_owned() },
            ));
        } else if !parent.is_empty() {
            self.parents.push((line, column_of(StaffField::ParentDepartmentCode), parent.to_owned()));
        }

        if self.problems.len() > before {
            return None;
        }
        Some(StaffRow {
            staff_no: staff_no.to_owned(),
            name: get(StaffField::Name).to_owned(),
            kana: get(StaffField::Kana).to_owned(),
            email: email.to_owned(),
            department_code: code.to_owned(),
            department_name: department_name.to_owned(),
            parent_department_code: parent.to_owned(),
            post: get(StaffField::Post).to_owned(),
            employment: employment.to_owned(),
        })
    }
}

/// Every cell is one line: a line break typed in a cell (Alt+Enter in Excel, to wrap a long
/// 所属名 on screen) becomes one space, as the cell reads.
fn fold_line_breaks(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\r', '\n']) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut in_break = false;
    for c in value.chars() {
        if c == '\r' || c == '\n' {
            if !in_break {
                out.push(' ');
            }
            in_break = true;
        } else {
            out.push(c);
            in_break = false;
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Trims whitespace, full-width spaces (U+3000) included.
fn trim(s: &str) -> &str {
    s.trim()
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|c| trim(c).is_empty())
}

/// A spreadsheet runs a cell starting with one of these as a formula.
pub(crate) fn looks_like_formula(value: &str) -> bool {
    matches!(value.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@'))
}

/// The stored employment kind for a 任用区分 cell (already trimmed).
pub(crate) fn normalize_employment(value: &str) -> Option<&'static str> {
    let kind = match value {
        "" | "正規" | "正規職員" | "常勤" | "常勤職員" => "regular",
        "会計年度任用職員" | "会計年度" => "fiscal_year",
        "委託" | "委託事業者" => "contractor",
        other => {
            return ["regular", "fiscal_year", "contractor"].into_iter().find(|id| id.eq_ignore_ascii_case(other));
        }
    };
    Some(kind)
}

/// A plain check that a value is shaped like `local@domain.tld`, in ASCII (a full-width `＠`
/// or letter is a typing mistake here, not an internationalised address).
pub(crate) fn looks_like_email(value: &str) -> bool {
    if value.len() > 254 || !value.is_ascii() {
        return false;
    }
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    local_ok && domain_ok
}

/// The byte offset where a quoted cell opens but never closes, following csv-core's reading: a
/// quote opens a quoted cell only at the start of a cell, and `""` inside one is a quote.
fn unterminated_quote_offset(text: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        CellStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::CellStart;
    let mut opened_at = 0;
    for (i, b) in text.bytes().enumerate() {
        let ends_cell = matches!(b, b',' | b'\r' | b'\n');
        state = match state {
            State::CellStart if b == b'"' => {
                opened_at = i;
                State::Quoted
            }
            State::CellStart | State::Unquoted if ends_cell => State::CellStart,
            State::CellStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted if ends_cell => State::CellStart,
            State::QuoteInQuoted => State::Unquoted,
        };
    }
    (state == State::Quoted).then_some(opened_at)
}
