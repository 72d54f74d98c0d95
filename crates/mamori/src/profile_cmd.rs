//! `mamori profile …`: check a profile, show what a new version would change (`diff`), and
//! activate one for an organization — the same review the web pages show, with the same
//! confirmation when something is lost.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use mamori_engine::review::{review, Review};
use mamori_policy::Profile;
use mamori_store::Actor;

use crate::DbArgs;

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Validate a profile file; errors name file:line:column.
    Check { file: PathBuf },
    /// Show what changes from OLD to NEW: roles, bodies, zones and every rule family (items
    /// added, removed, changed), and the sample decisions that change. Exits with 1 when a
    /// whole rule family is removed or a decision changes, 0 otherwise.
    Diff {
        /// A profile file or a bundled profile id (shime, yokote, nakaniikawa, nansatsu).
        old: String,
        /// A profile file or a bundled profile id.
        new: String,
        /// List every changed decision (otherwise the first 50).
        #[arg(long)]
        all: bool,
    },
    /// Validate a profile and make it the organization's active profile. When the change
    /// loses something (a whole rule family, decisions), it is refused unless `--confirm`
    /// carries the token printed by the review.
    Activate {
        #[command(flatten)]
        db: DbArgs,
        /// Organization code.
        #[arg(long)]
        org: String,
        file: PathBuf,
        /// The confirmation token the review printed.
        #[arg(long)]
        confirm: Option<String>,
    },
    /// List the bundled profiles.
    Bundled,
}

pub async fn run(command: ProfileCommand) -> Result<()> {
    match command {
        ProfileCommand::Check { file } => check(&file),
        ProfileCommand::Diff { old, new, all } => {
            let old = load(&old)?;
            let new = load(&new)?;
            let r = review(Some(&old), &new).map_err(|e| anyhow::anyhow!("{e}"))?;
            print_review(&r, all);
            if r.needs_confirmation() {
                std::process::exit(1);
            }
            Ok(())
        }
        ProfileCommand::Activate { db, org, file, confirm } => activate(db, &org, &file, confirm.as_deref()).await,
        ProfileCommand::Bundled => {
            for (id, file, text) in mamori_policy::bundled::BUNDLED {
                let p = mamori_policy::parse_profile(file, text).map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("{id}\t{}\t{}", p.organization.name, p.profile.edition);
            }
            Ok(())
        }
    }
}

/// A profile from a file or a bundled id, validated.
fn load(arg: &str) -> Result<Profile> {
    let (name, text) = crate::profile_source(arg)?;
    mamori_policy::parse_profile(&name, &text).map_err(|e| anyhow::anyhow!("{e}\n{name} に誤りがあります"))
}

fn check(file: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match mamori_policy::parse_profile(&file.display().to_string(), &text) {
        Ok(p) => {
            println!(
                "{}: OK — {}（{}）: 役割 {}、分類 {}、領域 {}、インシデントレベル {}、判断規則 {}、ワークフロー規則 {}（他は標準）、条項 {}",
                file.display(),
                p.organization.name,
                p.profile.edition,
                p.roles.len(),
                p.axes.len(),
                p.zones.len(),
                p.incident_levels.len(),
                p.decision_rules.len(),
                p.workflow_rules.len(),
                p.clauses.len()
            );
            for c in mamori_policy::conflicts::post_conflicts(&p) {
                println!("注意: {}", c.message_ja());
            }
            Ok(())
        }
        Err(errors) => {
            eprintln!("{errors}");
            bail!("{} に {} 件の誤りがあります", file.display(), errors.0.len())
        }
    }
}

/// The review as text: families, then decisions, then what is lost.
pub fn print_review(r: &Review, all: bool) {
    println!("== 変更の内容");
    let mut any = false;
    for f in &r.diff.families {
        if f.is_empty() {
            continue;
        }
        any = true;
        let gone = if f.removes_family() { "  ← すべて削除" } else { "" };
        println!(
            "{}（{}）: {} → {} 件、追加 {}、削除 {}、変更 {}{gone}",
            f.family.label_ja(),
            f.family.id(),
            f.old_count,
            f.new_count,
            f.added.len(),
            f.removed.len(),
            f.changed.len()
        );
        let limit = if all { usize::MAX } else { 20 };
        for i in f.added.iter().take(limit) {
            println!("  + {} {}", i.key, i.label);
        }
        for i in f.removed.iter().take(limit) {
            println!("  - {} {}", i.key, i.label);
        }
        for i in f.changed.iter().take(limit) {
            println!("  ~ {} {}（{}）", i.key, i.label, i.fields.join("、"));
        }
    }
    if !any {
        println!("規則・役割・領域に違いはありません。");
    }
    println!(
        "== 判断の見本: {} 件中 {} 件が変わります（一致率 {:.1}%）",
        r.matrix.total,
        r.matrix.changes.len(),
        r.matrix.agreement() * 100.0
    );
    let limit = if all { usize::MAX } else { 50 };
    for c in r.matrix.changes.iter().take(limit) {
        println!("  {}: {} → {}", c.sample.label_ja(), c.old.label_ja(), c.new.label_ja());
    }
    if r.matrix.changes.len() > limit {
        println!("  ほか {} 件（--all ですべて表示）", r.matrix.changes.len() - limit);
    }
    if r.needs_confirmation() {
        println!("== 失われるもの（有効にするには確認が必要です）");
        for l in &r.losses {
            println!("  {l}");
        }
        println!("確認のトークン: {}", r.confirmation_token());
    }
}

async fn activate(db: DbArgs, org: &str, file: &std::path::Path, confirm: Option<&str>) -> Result<()> {
    let store = db.open(false).await?;
    store.migrate().await?;
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.display().to_string();
    let parsed = match mamori_policy::parse_profile(&name, &text) {
        Ok(p) => p,
        Err(errors) => {
            eprintln!("{errors}");
            bail!("プロファイルに誤りがあるため有効にしていません（現在の版のままです）");
        }
    };
    let organization =
        store.organizations().await?.into_iter().find(|o| o.code == org).with_context(|| format!("no organization with code {org}"))?;
    let current = match store.active_profile(organization.id).await? {
        Some(v) => Some(mamori_policy::parse_profile(&v.file_name, &v.content).map_err(|e| anyhow::anyhow!("the active version: {e}"))?),
        None => None,
    };
    let r = review(current.as_ref(), &parsed).map_err(|e| anyhow::anyhow!("{e}"))?;
    if current.is_some() {
        print_review(&r, false);
    }
    if r.needs_confirmation() && confirm != Some(r.confirmation_token().as_str()) {
        bail!(
            "この変更では失われるものがあります（上の一覧）。確認のうえ --confirm {} を付けて実行してください。有効にしていません（現在の版のままです）",
            r.confirmation_token()
        );
    }
    let record = mamori_store::org::ActivationReview {
        authors: Vec::new(),
        confirmed_losses: r.losses.clone(),
        changed_decisions: r.matrix.changes.len(),
    };
    let how = mamori_store::org::Activation { from_draft: None, restored_from: None, review: Some(&record) };
    let v = store.activate_profile_reviewed(organization.id, &name, &text, &parsed, &how, &Actor::system("cli")).await?;
    println!("{} の第{}版として有効にしました（SHA-256 {}）。", organization.name, v.version_no, v.digest);
    Ok(())
}
