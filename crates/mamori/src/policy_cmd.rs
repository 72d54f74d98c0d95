//! `mamori policy …`: compile a policy document (plain text or Markdown extracted from the
//! published PDF) into a draft profile and a review report; with `--eval`, measure the
//! compiler against a hand-written gold file.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Compile a policy text: clause tree, draft profile (TOML) and review report (Markdown).
    Compile {
        /// The policy document (UTF-8 text or Markdown).
        file: PathBuf,
        /// Write the draft profile here.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Write the review report here.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Compare with a gold file (crates/mamori-compiler/tests/gold/*.toml) and print
        /// precision and recall per category.
        #[arg(long)]
        eval: Option<PathBuf>,
    },
    /// What a policy text lacks against the standard model (the MIC guideline's model
    /// 対策基準), and where it says otherwise: missing duties, weaker or stronger duties, other
    /// periods and counts, each with both citations.
    Gaps {
        /// The policy document (UTF-8 text or Markdown).
        file: PathBuf,
    },
}

pub fn run(command: PolicyCommand) -> Result<()> {
    match command {
        PolicyCommand::Compile { file, output, report, eval } => compile(&file, output.as_deref(), report.as_deref(), eval.as_deref()),
        PolicyCommand::Gaps { file } => gaps(&file),
    }
}

/// Prints to standard output; a reader that went away (`| head`) ends the output quietly
/// instead of a panic.
fn say(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("標準出力に書き込めません"),
    }
}

fn gaps(file: &Path) -> Result<()> {
    let text = read_text(file)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file.display().to_string());
    let c = mamori_compiler::compile(&name, &text);
    say(&format!("# 標準対策基準との差: {}\n", file.display()))?;
    say(&mamori_compiler::gaps::gaps_markdown(&c.gaps()))
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("ポリシー文書 {} を読めません", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text)),
        Err(_) => bail!("{} は UTF-8 として読めません。Shift_JIS などの場合は UTF-8 に変換してから指定してください", path.display()),
    }
}

fn compile(file: &Path, output: Option<&Path>, report: Option<&Path>, eval: Option<&Path>) -> Result<()> {
    let text = read_text(file)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file.display().to_string());
    let c = mamori_compiler::compile(&name, &text);
    let checked = c.checklist().len();
    say(&format!(
        "{}: 条項 {} 件（義務・禁止 {} 件）、定義 {} 件、領域 {} 件、役割 {} 件、実施機関 {} 件、使われなかった行 {} 行、警告 {} 件",
        file.display(),
        c.catalogue().count(),
        checked,
        c.definitions.len(),
        c.zones.len(),
        c.roles.len(),
        c.bodies.len(),
        c.unrecognized.len(),
        c.warnings.len()
    ))?;
    let draft_ok = match c.draft_profile() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("{e}");
            false
        }
    };
    if let Some(path) = output {
        std::fs::write(path, c.draft_toml()).with_context(|| format!("下書きのプロファイルを {} に書き込めません", path.display()))?;
        say(&format!("下書きのプロファイルを書き出しました: {}（`mamori profile check` で確認できます）", path.display()))?;
    }
    if let Some(path) = report {
        std::fs::write(path, c.report_markdown()).with_context(|| format!("レビュー報告を {} に書き込めません", path.display()))?;
        say(&format!("レビュー報告を書き出しました: {}", path.display()))?;
    }
    if let Some(path) = eval {
        let gold_text = std::fs::read_to_string(path).with_context(|| format!("正解ファイル {} を読めません", path.display()))?;
        let gold = mamori_compiler::eval::parse_gold(&path.display().to_string(), &gold_text)?;
        let evaluation = mamori_compiler::eval::evaluate(&c, &gold);
        say(&evaluation.to_string())?;
    }
    if !draft_ok {
        bail!("下書きのプロファイルが検証を通りません（上のエラーを参照）");
    }
    Ok(())
}
