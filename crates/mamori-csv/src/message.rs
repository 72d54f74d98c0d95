//! Japanese messages for the people who prepare staff lists.

use crate::{CsvProblem, CsvProblemKind, StaffField, TextEncoding};

const SAVE_AS: &str =
    "Excelの「名前を付けて保存」で「CSV UTF-8（コンマ区切り）」または「CSV（コンマ区切り）」を選んで保存し直してください。";

impl CsvProblem {
    /// A Japanese message saying where the problem is, what is wrong and how to fix it, e.g.
    /// `5行目の「メール」列: 「taro@」はメールアドレスの形になっていません。…`.
    pub fn message_ja(&self) -> String {
        let at = self.place();
        match &self.kind {
            CsvProblemKind::FileTooLarge { size, limit } => format!(
                "{at}: ファイルが大きすぎます（{}、上限は{}）。職員名簿を複数のファイルに分けて取り込んでください。",
                size_ja(*size),
                size_ja(*limit)
            ),
            CsvProblemKind::TooManyRows { limit } => format!(
                "{at}: データ行が上限の{limit}行を超えています（この行以降は確認していません）。{limit}行以下のファイルに分けて取り込んでください。"
            ),
            CsvProblemKind::Utf16NotSupported => format!(
                "{at}: ファイルがUTF-16（Excelの「Unicode テキスト」形式）で保存されていて、読み込めません。{SAVE_AS}"
            ),
            CsvProblemKind::UndecodableBytes { encoding, position } => {
                let encoding = match encoding {
                    TextEncoding::Utf8 => "UTF-8",
                    TextEncoding::ShiftJis => "Shift_JIS",
                };
                format!(
                    "{at}（{}列）: 文字として読み取れないデータがあります（{encoding}として読み込みました）。ファイルが壊れているか、対応していない文字コード・機種依存文字が使われています。該当するセルを入力し直すか、{SAVE_AS}",
                    column_letters(*position)
                )
            }
            CsvProblemKind::NoHeader => format!(
                "{at}: ファイルが空で、見出し行がありません。1行目に「職員番号,氏名,所属コード,所属名」などの見出しを書き、2行目から職員を1人1行で入力してください。"
            ),
            CsvProblemKind::NoDataRows => format!(
                "{at}: 見出し行の下に職員の行がありません。取り込むファイルを間違えていないか確認し、2行目から職員を1人1行で入力してください。"
            ),
            CsvProblemKind::UnterminatedQuote => format!(
                "{at}: この行で「\"」で始まったセルが最後まで閉じられていません（以降がすべて1つのセルとして読まれます）。閉じる「\"」を補うか、セル内の「\"」は「\"\"」のように2つ重ねて書いてください。"
            ),
            CsvProblemKind::CsvSyntax => {
                format!("{at}: CSVとして読み取れない行です。{SAVE_AS}")
            }
            CsvProblemKind::UnknownColumn { .. } => format!(
                "{at}: 使えない見出しです。使える見出しは「{}」です。見出しを直すか、不要な列を削除してください。",
                known_headers()
            ),
            CsvProblemKind::DuplicateColumn { field } => format!(
                "{at}: 「{}」を表す列がほかにもあります。どちらか一方の列を削除してください。",
                field.header_ja()
            ),
            CsvProblemKind::MissingColumn { field } => format!(
                "{at}: 必須の列「{}」がありません。見出し行に「{}」の列を追加して、各行に入力してください。",
                field.header_ja(),
                field.header_ja()
            ),
            CsvProblemKind::UnnamedColumnHasValue { position } => format!(
                "{at}（{}列）: 見出しのない列に値が入っています。値を削除するか、列に見出しを付けてください。",
                column_letters(*position)
            ),
            CsvProblemKind::WrongCellCount { expected, found } => format!(
                "{at}: セルの数が{found}個ですが、見出し行は{expected}列です。区切りの「,」が多すぎるか足りません。セルの中に「,」や改行を含めるときは、セル全体を「\"」で囲んでください。"
            ),
            CsvProblemKind::RequiredCellEmpty { field } => {
                format!("{at}: 「{}」が空です。必ず入力してください。", field.header_ja())
            }
            CsvProblemKind::DuplicateStaffNo { staff_no, first_line } => format!(
                "{at}: 職員番号「{}」が{first_line}行目と重複しています。職員番号は1人に1つです。番号を直すか、重複した行を削除してください。",
                shown(staff_no)
            ),
            CsvProblemKind::InvalidEmail { value } => {
                let hint = if value.is_ascii() { "" } else { "全角文字が含まれています。半角で入力してください。" };
                format!(
                    "{at}: 「{}」はメールアドレスの形になっていません。{hint}「taro.yamada@city.example.lg.jp」のように入力するか、不明なら空欄にしてください。",
                    shown(value)
                )
            }
            CsvProblemKind::DepartmentNameConflict { code, first_name, first_line, name } => format!(
                "{at}: 所属コード「{}」の所属名が「{}」ですが、{first_line}行目では「{}」です。同じ所属コードには同じ所属名を入力してください。",
                shown(code),
                shown(name),
                shown(first_name)
            ),
            CsvProblemKind::UnknownParentDepartment { code } => format!(
                "{at}: 上位所属コード「{}」の所属が、このファイルにも登録済みの所属にもありません。上位の所属の行を加えるか、正しいコードにするか、空欄にしてください。",
                shown(code)
            ),
            CsvProblemKind::Text { field, problem } => format!("{at}: {}", problem.message_ja(field.header_ja())),
            CsvProblemKind::SelfParentDepartment { code } => format!(
                "{at}: 上位所属コードが、その行の所属コード「{}」自身になっています。上位の所属（課なら部など）のコードを入力するか、空欄にしてください。",
                shown(code)
            ),
            CsvProblemKind::UnknownEmployment { value } => format!(
                "{at}: 任用区分「{}」は使えません。「正規」「会計年度任用職員」「委託」のいずれかを入力してください（空欄は「正規」として扱います）。",
                shown(value)
            ),
            CsvProblemKind::FormulaLike { value } => format!(
                "{at}: 「{}」は「=」「+」「-」「@」で始まっていて、表計算ソフトで開くと数式として実行されるおそれがあります（CSVインジェクション）。安全のため取り込めません。先頭の記号を削除するか、全角にするなど書き方を変えてください。",
                shown(value)
            ),
        }
    }

    /// `5行目の「メール」列`, `5行目`, or `ファイル全体`.
    fn place(&self) -> String {
        match (self.line, &self.column) {
            (0, _) => "ファイル全体".to_owned(),
            (line, Some(column)) => format!("{line}行目の「{}」列", shown(column)),
            (line, None) => format!("{line}行目"),
        }
    }
}

fn known_headers() -> String {
    StaffField::ALL.map(StaffField::header_ja).join("、")
}

/// A value for a message: control characters made visible, long values cut.
fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut out: String = value.chars().take(MAX_CHARS).map(|c| if c.is_control() { '␣' } else { c }).collect();
    if value.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

fn size_ja(bytes: usize) -> String {
    // Whole KiB are exact enough here; precision loss in f64 is irrelevant at these sizes.
    #[allow(clippy::cast_precision_loss)]
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1}MB")
}

/// Excel's column letters: 1 → A, 26 → Z, 27 → AA.
pub(crate) fn column_letters(position: usize) -> String {
    let mut n = position;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}
