//! Staff-list CSV for mamori: strict, all-or-nothing parsing of the lists that personnel
//! sections keep in Excel, and export that Excel opens safely.
//!
//! * [`parse_staff_csv`] reads UTF-8 (with or without BOM) or Shift_JIS/CP932, checks every
//!   row, and either returns all rows or a [`CsvRejection`] listing every problem found, each
//!   with the physical line, the column and a Japanese message ([`CsvProblem::message_ja`]).
//! * [`write_staff_csv`] writes UTF-8 with BOM and Japanese headers, passing every cell
//!   through [`escape_cell`] against CSV (formula) injection.
//!
//! Pure functions only: no I/O, no database. The rows feed
//! `mamori_store::Store::import_staff`.

mod attendance;
mod decode;
mod message;
mod parse;
mod write;

pub use attendance::{parse_attendance_csv, AttendanceRow, MAX_ATTENDANCE_ROWS};
pub use mamori_store::org::StaffRow;
pub use parse::{parse_staff_csv, parse_staff_csv_against};
pub use write::{escape_cell, write_staff_csv};

/// Files larger than this many bytes are rejected without being read.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// At most this many data rows (the header and blank rows not counted).
pub const MAX_ROWS: usize = 100_000;

/// The text encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    ShiftJis,
}

/// One column of a staff list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffField {
    StaffNo,
    Name,
    Kana,
    Email,
    DepartmentCode,
    DepartmentName,
    ParentDepartmentCode,
    Post,
    Employment,
}

impl StaffField {
    pub const ALL: [StaffField; 9] = [
        StaffField::StaffNo,
        StaffField::Name,
        StaffField::Kana,
        StaffField::Email,
        StaffField::DepartmentCode,
        StaffField::DepartmentName,
        StaffField::ParentDepartmentCode,
        StaffField::Post,
        StaffField::Employment,
    ];

    /// The English id, also accepted as a header (`staff_no`, `name`, ...).
    pub fn id(self) -> &'static str {
        match self {
            StaffField::StaffNo => "staff_no",
            StaffField::Name => "name",
            StaffField::Kana => "kana",
            StaffField::Email => "email",
            StaffField::DepartmentCode => "department_code",
            StaffField::DepartmentName => "department_name",
            StaffField::ParentDepartmentCode => "parent_department_code",
            StaffField::Post => "post",
            StaffField::Employment => "employment",
        }
    }

    /// The Japanese header, as written on export (`職員番号`, `氏名`, ...).
    pub fn header_ja(self) -> &'static str {
        match self {
            StaffField::StaffNo => "職員番号",
            StaffField::Name => "氏名",
            StaffField::Kana => "氏名カナ",
            StaffField::Email => "メール",
            StaffField::DepartmentCode => "所属コード",
            StaffField::DepartmentName => "所属名",
            StaffField::ParentDepartmentCode => "上位所属コード",
            StaffField::Post => "職名",
            StaffField::Employment => "任用区分",
        }
    }

    /// The text rule of a cell: one line, bounded by the kind of value.
    pub fn text_rule(self) -> mamori_text::Field {
        use mamori_text::limits;
        let max = match self {
            StaffField::StaffNo | StaffField::DepartmentCode | StaffField::ParentDepartmentCode | StaffField::Employment => limits::CODE,
            StaffField::Name | StaffField::Kana | StaffField::DepartmentName | StaffField::Post => limits::NAME,
            StaffField::Email => limits::EMAIL,
        };
        mamori_text::Field::line(self.header_ja(), max)
    }

    /// Whether every row must have a value in this column (and the column must exist).
    pub fn required(self) -> bool {
        matches!(self, StaffField::StaffNo | StaffField::Name | StaffField::DepartmentCode | StaffField::DepartmentName)
    }

    /// The field a header names, if any: Japanese headers and their aliases, or the English
    /// ids (ASCII case ignored). The header is expected trimmed.
    pub fn from_header(header: &str) -> Option<StaffField> {
        let field = match header {
            "職員番号" => StaffField::StaffNo,
            "氏名" => StaffField::Name,
            "氏名カナ" | "カナ" | "ふりがな" | "フリガナ" => StaffField::Kana,
            "メール" | "メールアドレス" => StaffField::Email,
            "所属コード" => StaffField::DepartmentCode,
            "所属名" => StaffField::DepartmentName,
            "上位所属コード" => StaffField::ParentDepartmentCode,
            "職名" | "役職" => StaffField::Post,
            "任用区分" => StaffField::Employment,
            other => return StaffField::ALL.into_iter().find(|f| f.id().eq_ignore_ascii_case(other)),
        };
        Some(field)
    }
}

/// What is wrong. Data only; [`CsvProblem::message_ja`] turns it into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvProblemKind {
    /// The file is over [`MAX_FILE_BYTES`]; nothing else was checked.
    FileTooLarge { size: usize, limit: usize },
    /// More than [`MAX_ROWS`] data rows; rows after the limit were not checked.
    TooManyRows { limit: usize },
    /// The file starts with a UTF-16 byte order mark (Excel's "Unicode text").
    Utf16NotSupported,
    /// Bytes that are not text in the encoding the file was read as. `position` is the
    /// 1-based column number of the cell.
    UndecodableBytes { encoding: TextEncoding, position: usize },
    /// The file has no rows at all, so no header.
    NoHeader,
    /// A header but no data rows.
    NoDataRows,
    /// A cell opened with `"` is never closed (the rest of the file was swallowed into it).
    UnterminatedQuote,
    /// A csv syntax error that has no more specific kind.
    CsvSyntax,
    /// A header that names no known column.
    UnknownColumn { name: String },
    /// Two headers name the same field (for example `氏名` and `name`).
    DuplicateColumn { field: StaffField },
    /// A required column is missing from the header.
    MissingColumn { field: StaffField },
    /// A column with an empty header has a value in this row. `position` is 1-based.
    UnnamedColumnHasValue { position: usize },
    /// The row has a different number of cells than the header.
    WrongCellCount { expected: usize, found: usize },
    /// A required cell is empty.
    RequiredCellEmpty { field: StaffField },
    /// The staff number already appeared on `first_line`.
    DuplicateStaffNo { staff_no: String, first_line: usize },
    /// The email cell does not look like an address.
    InvalidEmail { value: String },
    /// The department code was given another name on `first_line`.
    DepartmentNameConflict { code: String, first_name: String, first_line: usize, name: String },
    /// A department named as its own parent.
    SelfParentDepartment { code: String },
    /// A 上位所属コード that names no department of this file nor of the organization.
    UnknownParentDepartment { code: String },
    /// A cell the text policy refuses (a control character, or longer than the column allows).
    Text { field: StaffField, problem: mamori_text::Problem },
    /// A 任用区分 value that maps to no employment kind.
    UnknownEmployment { value: String },
    /// A cell starting with `=`, `+`, `-` or `@`: a spreadsheet would run it as a formula.
    FormulaLike { value: String },
}

/// One problem: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    /// 1-based physical line in the file where the row starts (a quoted cell may span lines).
    /// 0 means the whole file (only for [`CsvProblemKind::FileTooLarge`]).
    pub line: usize,
    /// The header of the column, as written in the file (for a missing column, its Japanese
    /// name); `None` when the problem is about the row or file as a whole, or the header
    /// itself is unreadable.
    pub column: Option<String>,
    pub kind: CsvProblemKind,
}

/// Every problem found in a staff-list file. When this is returned nothing may be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRejection {
    /// In file order (by line); never empty.
    pub problems: Vec<CsvProblem>,
}

impl CsvRejection {
    /// The Japanese messages, one per problem, in file order.
    pub fn messages_ja(&self) -> Vec<String> {
        self.problems.iter().map(CsvProblem::message_ja).collect()
    }
}

impl std::fmt::Display for CsvRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "職員名簿CSVに{}件の問題があるため、取り込みませんでした。", self.problems.len())?;
        for p in &self.problems {
            write!(f, "\n{}", p.message_ja())?;
        }
        Ok(())
    }
}

impl std::error::Error for CsvRejection {}

#[cfg(test)]
mod tests;
