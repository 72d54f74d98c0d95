use super::*;
use crate::message::column_letters;
use crate::parse::{looks_like_email, normalize_employment};
use CsvProblemKind as K;
use StaffField as F;

const HEADER_JA: &str = "職員番号,氏名,氏名カナ,メール,所属コード,所属名,上位所属コード,職名,任用区分";

/// A StaffRow as a comparable array (StaffRow has no PartialEq).
fn cells(r: &StaffRow) -> [String; 9] {
    [
        r.staff_no.clone(),
        r.name.clone(),
        r.kana.clone(),
        r.email.clone(),
        r.department_code.clone(),
        r.department_name.clone(),
        r.parent_department_code.clone(),
        r.post.clone(),
        r.employment.clone(),
    ]
}

fn row(c: [&str; 9]) -> StaffRow {
    StaffRow {
        staff_no: c[0].into(),
        name: c[1].into(),
        kana: c[2].into(),
        email: c[3].into(),
        department_code: c[4].into(),
        department_name: c[5].into(),
        parent_department_code: c[6].into(),
        post: c[7].into(),
        employment: c[8].into(),
    }
}

fn sample_rows() -> Vec<[&'static str; 9]> {
    vec![
        ["1001", "山田 太郎", "ヤマダ タロウ", "taro.yamada@city.example.lg.jp", "100", "総務部", "", "部長", "regular"],
        ["1002", "鈴木 花子", "スズキ ハナコ", "", "110", "総務課", "100", "主事", "fiscal_year"],
        // 髙 and 﨑 are CP932 (IBM extension) characters that Excel in Japan writes.
        ["1003", "髙橋 﨑子", "タカハシ サキコ", "", "110", "総務課", "100", "", "contractor"],
    ]
}

fn sample_csv(newline: &str) -> String {
    let body = [
        "1001,山田 太郎,ヤマダ タロウ,taro.yamada@city.example.lg.jp,100,総務部,,部長,正規",
        "1002,鈴木 花子,スズキ ハナコ,,110,総務課,100,主事,会計年度任用職員",
        "1003,髙橋 﨑子,タカハシ サキコ,,110,総務課,100,,委託",
    ];
    let mut s = HEADER_JA.to_owned();
    for line in body {
        s.push_str(newline);
        s.push_str(line);
    }
    s.push_str(newline);
    s
}

fn shift_jis(s: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(s);
    assert!(!had_errors, "sample must be encodable in Shift_JIS");
    assert!(std::str::from_utf8(&bytes).is_err(), "sample must not also be valid UTF-8");
    bytes.into_owned()
}

fn ok(bytes: &[u8]) -> Vec<[String; 9]> {
    match parse_staff_csv(bytes) {
        Ok(rows) => rows.iter().map(cells).collect(),
        Err(e) => panic!("expected Ok, got:\n{e}"),
    }
}

fn expect(rows: &[[&str; 9]]) -> Vec<[String; 9]> {
    rows.iter().map(|r| r.map(String::from)).collect()
}

#[test]
fn accepts_encodings_and_layouts() {
    let sample = sample_rows();
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), sample_csv("\n").as_bytes()].concat();
    type Case<'a> = (&'a str, Vec<u8>, Vec<[&'a str; 9]>);
    let cases: Vec<Case<'_>> = vec![
        ("UTF-8, LF", sample_csv("\n").into_bytes(), sample.clone()),
        ("UTF-8 with BOM", with_bom, sample.clone()),
        ("UTF-8, CRLF", sample_csv("\r\n").into_bytes(), sample.clone()),
        ("Shift_JIS, CRLF (Excel)", shift_jis(&sample_csv("\r\n")), sample.clone()),
        ("Shift_JIS, no final newline", shift_jis(sample_csv("\r\n").trim_end()), sample.clone()),
        (
            "English ids, other order, mixed case",
            b"Name,STAFF_NO,department_name,department_code\nA,1,D,10\n".to_vec(),
            vec![["1", "A", "", "", "10", "D", "", "", "regular"]],
        ),
        (
            "aliases カナ, メールアドレス, 役職",
            "職員番号,氏名,カナ,メールアドレス,所属コード,所属名,役職\n7,佐藤,サトウ,s@x.jp,1,課,係長\n".as_bytes().to_vec(),
            vec![["7", "佐藤", "サトウ", "s@x.jp", "1", "課", "", "係長", "regular"]],
        ),
        (
            "ふりがな alias and employment spellings",
            "職員番号,氏名,ふりがな,所属コード,所属名,任用区分\n1,a,あ,1,課,常勤\n2,b,い,1,課,会計年度\n3,c,う,1,課,委託事業者\n4,d,え,1,課,Fiscal_Year\n5,e,お,1,課,\n"
                .as_bytes()
                .to_vec(),
            vec![
                ["1", "a", "あ", "", "1", "課", "", "", "regular"],
                ["2", "b", "い", "", "1", "課", "", "", "fiscal_year"],
                ["3", "c", "う", "", "1", "課", "", "", "contractor"],
                ["4", "d", "え", "", "1", "課", "", "", "fiscal_year"],
                ["5", "e", "お", "", "1", "課", "", "", "regular"],
            ],
        ),
        (
            "quoted cells with commas, quotes and newlines",
            "職員番号,氏名,所属コード,所属名,職名\r\n1,\"山田, 太郎\",10,\"企画課\r\n(分室)\",\"主任 \"\"A\"\"\"\r\n".as_bytes().to_vec(),
            vec![["1", "山田, 太郎", "", "", "10", "企画課 (分室)", "", "主任 \"A\"", "regular"]],
        ),
        (
            "trims ASCII and full-width spaces, in headers too",
            " 職員番号\u{3000},氏名,所属コード,所属名\n\u{3000}1 ,\t山田\u{3000}太郎\u{3000}, 10 ,\u{3000}課\n".as_bytes().to_vec(),
            vec![["1", "山田\u{3000}太郎", "", "", "10", "課", "", "", "regular"]],
        ),
        (
            "blank lines, all-empty rows and an empty unnamed column are skipped",
            "\n職員番号,氏名,所属コード,所属名,\n\n1,a,10,課,\n,,,,\n , ,\u{3000}, ,\n2,b,10,課,\n".as_bytes().to_vec(),
            vec![["1", "a", "", "", "10", "課", "", "", "regular"], ["2", "b", "", "", "10", "課", "", "", "regular"]],
        ),
        (
            "parent code not defined in the file is left to the store",
            "職員番号,氏名,所属コード,所属名,上位所属コード\n1,a,10,課,999\n".as_bytes().to_vec(),
            vec![["1", "a", "", "", "10", "課", "999", "", "regular"]],
        ),
        (
            "a leading apostrophe (our own export escape) is kept as data",
            "職員番号,氏名,所属コード,所属名,職名\n1,a,10,課,'=x\n".as_bytes().to_vec(),
            vec![["1", "a", "", "", "10", "課", "", "'=x", "regular"]],
        ),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(ok(&bytes), expect(&want), "case: {name}");
    }
}

type Want<'a> = (usize, Option<&'a str>, CsvProblemKind);

fn problems(bytes: &[u8]) -> Vec<(usize, Option<String>, CsvProblemKind)> {
    match parse_staff_csv(bytes) {
        Ok(rows) => panic!("expected Err, got {} rows", rows.len()),
        Err(e) => {
            assert!(!e.problems.is_empty());
            e.problems.into_iter().map(|p| (p.line, p.column, p.kind)).collect()
        }
    }
}

fn want(w: Vec<Want<'_>>) -> Vec<(usize, Option<String>, CsvProblemKind)> {
    w.into_iter().map(|(l, c, k)| (l, c.map(String::from), k)).collect()
}

const H4: &str = "職員番号,氏名,所属コード,所属名";

#[test]
fn rejects_with_every_problem_and_its_line() {
    let s = |v: &str| v.to_owned();
    let cases: Vec<(&str, String, Vec<Want<'_>>)> = vec![
        ("empty file", s(""), vec![(1, None, K::NoHeader)]),
        ("only blank lines", s("\n\r\n  \n"), vec![(1, None, K::NoHeader)]),
        ("header only", format!("\n{H4}\n"), vec![(2, None, K::NoDataRows)]),
        (
            "missing required columns",
            s("職員番号,氏名\n1,a\n"),
            vec![
                (1, Some("所属コード"), K::MissingColumn { field: F::DepartmentCode }),
                (1, Some("所属名"), K::MissingColumn { field: F::DepartmentName }),
            ],
        ),
        (
            "unknown and duplicate columns are named",
            s("職員番号,氏名,所属コード,所属名,電話番号,name\n1,a,10,課,03,b\n"),
            vec![
                (1, Some("電話番号"), K::UnknownColumn { name: s("電話番号") }),
                (1, Some("name"), K::DuplicateColumn { field: F::Name }),
            ],
        ),
        (
            "wrong cell counts",
            format!("{H4}\n1,a,10\n2,b,10,課\n3,c,10,課,x\n"),
            vec![
                (2, None, K::WrongCellCount { expected: 4, found: 3 }),
                (4, None, K::WrongCellCount { expected: 4, found: 5 }),
            ],
        ),
        (
            "required cells empty (full-width space counts as empty)",
            format!("{H4}\n1,\u{3000},10,課\n,b,,\n"),
            vec![
                (2, Some("氏名"), K::RequiredCellEmpty { field: F::Name }),
                (3, Some("職員番号"), K::RequiredCellEmpty { field: F::StaffNo }),
                (3, Some("所属コード"), K::RequiredCellEmpty { field: F::DepartmentCode }),
                (3, Some("所属名"), K::RequiredCellEmpty { field: F::DepartmentName }),
            ],
        ),
        (
            "duplicate staff number, after trimming",
            format!("{H4}\n1,a,10,課\n2,b,10,課\n 1 ,c,10,課\n"),
            vec![(4, Some("職員番号"), K::DuplicateStaffNo { staff_no: s("1"), first_line: 2 })],
        ),
        (
            "invalid emails",
            s("職員番号,氏名,所属コード,所属名,メール\n1,a,10,課,taro\n2,b,10,課,taro@example\n3,c,10,課,ｔａｒｏ＠example.jp\n4,d,10,課,a b@example.jp\n5,e,10,課,ok@example.jp\n"),
            vec![
                (2, Some("メール"), K::InvalidEmail { value: s("taro") }),
                (3, Some("メール"), K::InvalidEmail { value: s("taro@example") }),
                (4, Some("メール"), K::InvalidEmail { value: s("ｔａｒｏ＠example.jp") }),
                (5, Some("メール"), K::InvalidEmail { value: s("a b@example.jp") }),
            ],
        ),
        (
            "department code with two names",
            format!("{H4}\n1,a,10,総務課\n2,b,10,総務課\n3,c,10,庶務課\n"),
            vec![(
                4,
                Some("所属名"),
                K::DepartmentNameConflict { code: s("10"), first_name: s("総務課"), first_line: 2, name: s("庶務課") },
            )],
        ),
        (
            "department as its own parent",
            s("職員番号,氏名,所属コード,所属名,上位所属コード\n1,a,10,課,10\n"),
            vec![(2, Some("上位所属コード"), K::SelfParentDepartment { code: s("10") })],
        ),
        (
            "unknown employment",
            s("職員番号,氏名,所属コード,所属名,任用区分\n1,a,10,課,臨時\n"),
            vec![(2, Some("任用区分"), K::UnknownEmployment { value: s("臨時") })],
        ),
        (
            "formula-like cells (CSV injection), after trimming",
            s("職員番号,氏名,所属コード,所属名,職名,メール\n1,=SUM(A1),10,課, +81312345678,@x\n2,b,10,課,-1,\n3,c,10,\"=HYPERLINK(\"\"http://x\"\")\",,\n"),
            vec![
                (2, Some("氏名"), K::FormulaLike { value: s("=SUM(A1)") }),
                (2, Some("職名"), K::FormulaLike { value: s("+81312345678") }),
                (2, Some("メール"), K::FormulaLike { value: s("@x") }),
                (3, Some("職名"), K::FormulaLike { value: s("-1") }),
                (4, Some("所属名"), K::FormulaLike { value: s("=HYPERLINK(\"http://x\")") }),
            ],
        ),
        (
            "value in a column without header",
            format!("{H4},\n1,a,10,課,x\n"),
            vec![(2, None, K::UnnamedColumnHasValue { position: 5 })],
        ),
        (
            "unterminated quote",
            format!("{H4}\n1,a,10,課\n2,\"b,10,課\n3,c,10,課\n"),
            vec![(3, None, K::UnterminatedQuote), (3, None, K::WrongCellCount { expected: 4, found: 2 })],
        ),
        (
            "line numbers count physical lines inside quoted cells",
            format!("{H4}\r\n1,\"a\r\nb\r\nc\",10,課\r\n2,,10,課\r\n"),
            vec![(5, Some("氏名"), K::RequiredCellEmpty { field: F::Name })],
        ),
        (
            "line numbers with CR-only line ends and blank lines",
            format!("\r\n{H4}\r\r1,a,10,課\r\r\n\n2,b,10,\r"),
            vec![(7, Some("所属名"), K::RequiredCellEmpty { field: F::DepartmentName })],
        ),
        (
            "all problems of a file at once, in line order",
            s("職員番号,氏名,所属コード,所属名,任用区分,メール\n1,a,10,課,正規,x\n1,,10,係,パート,\n"),
            vec![
                (2, Some("メール"), K::InvalidEmail { value: s("x") }),
                (3, Some("氏名"), K::RequiredCellEmpty { field: F::Name }),
                (3, Some("任用区分"), K::UnknownEmployment { value: s("パート") }),
                (3, Some("職員番号"), K::DuplicateStaffNo { staff_no: s("1"), first_line: 2 }),
                (
                    3,
                    Some("所属名"),
                    K::DepartmentNameConflict { code: s("10"), first_name: s("課"), first_line: 2, name: s("係") },
                ),
            ],
        ),
    ];
    for (name, input, w) in cases {
        assert_eq!(problems(input.as_bytes()), want(w), "case: {name}");
    }
}

#[test]
fn undecodable_bytes_are_located() {
    // Shift_JIS with a broken character in 氏名 on line 3: 0x81 must be followed by a trail byte.
    let mut sjis = shift_jis(&sample_csv("\r\n"));
    let at = sjis.windows(4).position(|w| w == shift_jis("鈴木").as_slice()).unwrap();
    sjis[at + 1] = b' ';
    sjis[at] = 0x81;
    assert_eq!(problems(&sjis), want(vec![(3, Some("氏名"), K::UndecodableBytes { encoding: TextEncoding::ShiftJis, position: 2 })]));

    // A byte that is in no table, 0xFF, alone in the empty 職名 cell of line 4.
    let mut sjis = shift_jis(&sample_csv("\n"));
    let at = sjis.windows(2).rposition(|w| w == b",,").unwrap();
    sjis.insert(at + 1, 0xFF);
    assert_eq!(problems(&sjis), want(vec![(4, Some("職名"), K::UndecodableBytes { encoding: TextEncoding::ShiftJis, position: 8 })]));

    // A UTF-8 file with one broken byte is reported as UTF-8, at that cell, not as mojibake.
    let mut utf8 = sample_csv("\n").into_bytes();
    let at = utf8.windows("総務部".len()).position(|w| w == "総務部".as_bytes()).unwrap();
    utf8[at + 1] = 0xFF;
    assert_eq!(problems(&utf8), want(vec![(2, Some("所属名"), K::UndecodableBytes { encoding: TextEncoding::Utf8, position: 6 })]));

    // Broken bytes in the header: the column has no readable name, so its position is given.
    let mut header = sample_csv("\n").into_bytes();
    header[1] = 0xFF; // inside 職員番号
    let p = problems(&header);
    assert_eq!(p[0], (1, None, K::UndecodableBytes { encoding: TextEncoding::Utf8, position: 1 }));
    assert!(p.contains(&(1, Some("職員番号".into()), K::MissingColumn { field: F::StaffNo })));
}

#[test]
fn utf16_is_refused() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in H4.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    assert_eq!(problems(&bytes), want(vec![(1, None, K::Utf16NotSupported)]));
}

#[test]
fn limits() {
    let too_large = vec![b'a'; MAX_FILE_BYTES + 1];
    assert_eq!(problems(&too_large), want(vec![(0, None, K::FileTooLarge { size: MAX_FILE_BYTES + 1, limit: MAX_FILE_BYTES })]));

    let mut at_limit = format!("{H4}\n");
    for i in 0..MAX_ROWS {
        at_limit.push_str(&format!("{i},a,1,課\n"));
    }
    assert_eq!(parse_staff_csv(at_limit.as_bytes()).map(|r| r.len()), Ok(MAX_ROWS));

    let mut over = at_limit;
    over.push_str("x,a,1,課\n");
    assert_eq!(problems(over.as_bytes()), want(vec![(MAX_ROWS + 2, None, K::TooManyRows { limit: MAX_ROWS })]));
}

#[test]
fn export_escapes_formula_cells() {
    let cases = [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+81312345678", "'+81312345678"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("", ""),
        ("山田", "山田"),
        ("a=b", "a=b"),
        ("'=x", "'=x"),
        ("＝全角", "＝全角"),
    ];
    for (input, escaped) in cases {
        assert_eq!(escape_cell(input), escaped, "input {input:?}");
    }

    let written = write_staff_csv(&[row(["-1", "=SUM(A1)", "", "@x", "10", "課", "", "+81", "regular"])]);
    let text = std::str::from_utf8(&written).unwrap();
    assert_eq!(text, format!("\u{feff}{HEADER_JA}\r\n'-1,'=SUM(A1),,'@x,10,課,,'+81,正規\r\n"),);
}

#[test]
fn export_then_parse_round_trips() {
    let mut rows: Vec<StaffRow> = sample_rows().into_iter().map(row).collect();
    rows.push(row(["2001", "カンマ, と \"引用符\"", "", "", "200", "空白 のある所属", "", "", "regular"]));
    let written = write_staff_csv(&rows);
    assert!(written.starts_with(b"\xEF\xBB\xBF"));
    let back = ok(&written);
    assert_eq!(back, rows.iter().map(cells).collect::<Vec<_>>());
    assert!(write_staff_csv(&[]).starts_with("\u{feff}職員番号,氏名".as_bytes()));
}

#[test]
fn messages_say_where_what_and_how() {
    let p = |line, column: Option<&str>, kind| CsvProblem { line, column: column.map(String::from), kind };
    assert_eq!(
        p(5, Some("メール"), K::InvalidEmail { value: "taro@".into() }).message_ja(),
        "5行目の「メール」列: 「taro@」はメールアドレスの形になっていません。「taro.yamada@city.example.lg.jp」のように入力するか、不明なら空欄にしてください。"
    );
    assert!(p(3, Some("氏名"), K::FormulaLike { value: "=1+1".into() }).message_ja().contains("CSVインジェクション"));
    assert!(p(4, None, K::UndecodableBytes { encoding: TextEncoding::ShiftJis, position: 28 }).message_ja().starts_with("4行目（AB列）"));
    assert!(p(0, None, K::FileTooLarge { size: 11 << 20, limit: 10 << 20 }).message_ja().starts_with("ファイル全体: "));
    assert!(p(2, Some("メール"), K::InvalidEmail { value: "a＠b.jp".into() }).message_ja().contains("全角"));
    let long = p(2, Some("職名"), K::FormulaLike { value: format!("={}", "x".repeat(100)) }).message_ja();
    assert!(long.contains('…') && !long.contains(&"x".repeat(41)));

    // Every kind: a Japanese message that starts with the place.
    let all = [
        K::FileTooLarge { size: 1, limit: 1 },
        K::TooManyRows { limit: 1 },
        K::Utf16NotSupported,
        K::UndecodableBytes { encoding: TextEncoding::Utf8, position: 1 },
        K::NoHeader,
        K::NoDataRows,
        K::UnterminatedQuote,
        K::CsvSyntax,
        K::UnknownColumn { name: "x".into() },
        K::DuplicateColumn { field: F::Name },
        K::MissingColumn { field: F::StaffNo },
        K::UnnamedColumnHasValue { position: 1 },
        K::WrongCellCount { expected: 1, found: 2 },
        K::RequiredCellEmpty { field: F::Name },
        K::DuplicateStaffNo { staff_no: "1".into(), first_line: 2 },
        K::InvalidEmail { value: "x".into() },
        K::DepartmentNameConflict { code: "1".into(), first_name: "a".into(), first_line: 2, name: "b".into() },
        K::SelfParentDepartment { code: "1".into() },
        K::UnknownEmployment { value: "x".into() },
        K::FormulaLike { value: "=x".into() },
    ];
    for kind in all {
        let m = p(7, None, kind.clone()).message_ja();
        assert!(m.starts_with("7行目") && m.ends_with('。') && m.chars().count() > 20, "{kind:?}: {m}");
    }

    let rejection = parse_staff_csv(b"x\n").unwrap_err();
    let shown = rejection.to_string();
    assert!(shown.starts_with("職員名簿CSVに"), "{shown}");
    assert_eq!(rejection.messages_ja().len(), rejection.problems.len());
}

#[test]
fn helpers() {
    for (n, s) in [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (703, "AAA")] {
        assert_eq!(column_letters(n), s);
    }
    for (v, good) in [
        ("a@b.jp", true),
        ("taro.yamada+x@city.example.lg.jp", true),
        ("a@b", false),
        ("@b.jp", false),
        ("a@.jp", false),
        ("a@b..jp", false),
        (".a@b.jp", false),
        ("a..b@b.jp", false),
        ("a@b@c.jp", false),
        ("a@-b.jp", false),
        ("山田@b.jp", false),
    ] {
        assert_eq!(looks_like_email(v), good, "{v}");
    }
    assert_eq!(normalize_employment("REGULAR"), Some("regular"));
    assert_eq!(normalize_employment("アルバイト"), None);
    for field in StaffField::ALL {
        assert_eq!(StaffField::from_header(field.header_ja()), Some(field));
        assert_eq!(StaffField::from_header(field.id()), Some(field));
    }
}

/// xorshift64*: deterministic pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// The same property the fuzz target checks: no panic, and an Ok result holds only complete,
/// safe rows that survive export and re-import unchanged.
pub(crate) fn check_invariants(input: &[u8]) {
    match parse_staff_csv(input) {
        Ok(rows) => {
            assert!(!rows.is_empty() && rows.len() <= MAX_ROWS);
            for r in &rows {
                assert!(!r.staff_no.is_empty() && !r.name.is_empty(), "{r:?}");
                assert!(!r.department_code.is_empty() && !r.department_name.is_empty(), "{r:?}");
                assert!(["regular", "fiscal_year", "contractor"].contains(&r.employment.as_str()), "{r:?}");
                for c in cells(r) {
                    assert_eq!(c.trim(), c);
                    assert!(!crate::parse::looks_like_formula(&c), "{r:?}");
                }
            }
            let again = parse_staff_csv(&write_staff_csv(&rows)).expect("export of parsed rows must re-import");
            assert_eq!(again.iter().map(cells).collect::<Vec<_>>(), rows.iter().map(cells).collect::<Vec<_>>());
        }
        Err(rejection) => {
            assert!(!rejection.problems.is_empty());
            assert!(rejection.problems.windows(2).all(|w| w[0].line <= w[1].line));
            for p in &rejection.problems {
                assert!(!p.message_ja().is_empty());
            }
        }
    }
}

/// Fallback for environments without cargo-fuzz: 20,000 deterministic inputs, half random
/// bytes from a CSV-ish alphabet, half mutations of valid files (UTF-8 and Shift_JIS).
#[test]
fn pseudo_random_inputs_never_panic() {
    const ALPHABET: &[u8] = b",,,\"\"\n\r \t=+-@a1\x81\x82\xE3\xEF\xBB\xBF\xFF\xFE\x00";
    let seeds: Vec<Vec<u8>> = vec![
        sample_csv("\n").into_bytes(),
        sample_csv("\r\n").into_bytes(),
        shift_jis(&sample_csv("\r\n")),
        write_staff_csv(&sample_rows().into_iter().map(row).collect::<Vec<_>>()),
        "職員番号,氏名,所属コード,所属名,上位所属コード,メール,任用区分\n1,\"a,\"\"b\"\"\",10,課,1,a@b.jp,委託\n".as_bytes().to_vec(),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut accepted = 0;
    for i in 0..20_000 {
        let input = if i % 2 == 0 {
            let len = rng.below(200);
            (0..len)
                .map(|_| if rng.below(4) == 0 { rng.next().to_le_bytes()[0] } else { ALPHABET[rng.below(ALPHABET.len())] })
                .collect::<Vec<u8>>()
        } else {
            let mut bytes = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(5) {
                    0 if at < bytes.len() => bytes[at] = ALPHABET[rng.below(ALPHABET.len())],
                    1 => bytes.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                    2 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    3 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
                    _ => {
                        let end = (at + rng.below(40)).min(bytes.len());
                        let chunk = bytes[at..end].to_vec();
                        let to = rng.below(bytes.len() + 1);
                        bytes.splice(to..to, chunk);
                    }
                }
            }
            bytes
        };
        if parse_staff_csv(&input).is_ok() {
            accepted += 1;
        }
        check_invariants(&input);
    }
    // The mutations must not be so destructive that the Ok path goes untested.
    assert!(accepted > 500, "only {accepted} inputs were accepted");
}

#[test]
fn a_parent_code_must_name_a_department_of_the_file_or_the_organization() {
    let file = "職員番号,氏名,所属コード,所属名,上位所属コード\n\
                1,a,410,福祉課,400\n\
                2,b,400,健康福祉部,\n\
                3,c,510,建設課,ZZ\n\
                4,d,520,都市計画課,100\n";
    let known = |code: &str| code == "100";
    let rejection = parse_staff_csv_against(file.as_bytes(), &known).unwrap_err();
    let got: Vec<(usize, Option<String>, CsvProblemKind)> =
        rejection.problems.iter().map(|p| (p.line, p.column.clone(), p.kind.clone())).collect();
    // The 課 before its 部 in the file is fine; 100 is the organization's; ZZ is nowhere.
    assert_eq!(got, want(vec![(4, Some("上位所属コード"), K::UnknownParentDepartment { code: "ZZ".into() })]));
    let message = rejection.problems[0].message_ja();
    assert!(message.starts_with("4行目の「上位所属コード」列") && message.contains("「ZZ」"), "{message}");
    // Without the organization's departments only the file's own codes are checked nowhere.
    assert!(parse_staff_csv(file.as_bytes()).is_ok());
    let fixed = file.replace(",ZZ\n", ",400\n");
    assert_eq!(parse_staff_csv_against(fixed.as_bytes(), &known).map(|r| r.len()), Ok(4));
}

#[test]
fn cells_follow_the_text_policy() {
    // Hidden characters are removed and the text composed: 「山田\u{200B}太郎」 is 「山田太郎」,
    // a bidi override vanishes from a post, a decomposed ガ becomes one character.
    let file = format!("{H4},職名\n1,山田\u{200B}太郎,100,総務課,主\u{202E}事\n2,カ\u{3099}ナ,100,総務課,\n");
    let rows = parse_staff_csv(file.as_bytes()).unwrap();
    assert_eq!((rows[0].name.as_str(), rows[0].post.as_str(), rows[1].name.as_str()), ("山田太郎", "主事", "ガナ"));

    // A control character or a name ten times too long is refused on its line and column,
    // with the column's Japanese name; a cell of only invisible characters is empty.
    let long = "長".repeat(mamori_text::limits::NAME * 10);
    let file = format!("{H4}\n1,{long},100,総務課\n2,a\u{7},100,総務課\n3,\u{200B}\u{FEFF},100,総務課\n");
    let got = problems(file.as_bytes());
    assert_eq!(
        got,
        want(vec![
            (2, Some("氏名"), K::Text { field: F::Name, problem: mamori_text::Problem::TooLong { len: long.chars().count(), max: 100 } }),
            (3, Some("氏名"), K::Text { field: F::Name, problem: mamori_text::Problem::Control(7) }),
            (4, Some("氏名"), K::RequiredCellEmpty { field: F::Name }),
        ])
    );
    let rejection = parse_staff_csv(file.as_bytes()).unwrap_err();
    let m = rejection.problems[0].message_ja();
    assert!(m.contains("「氏名」は100文字以内"), "{m}");
}
