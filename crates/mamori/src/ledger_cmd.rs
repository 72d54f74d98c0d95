//! `mamori ledger …`: verify, checkpoint, prove, export, public-key, purge-personal.

use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use base64::Engine;
use clap::{Args, Subcommand};
use mamori_ledger::checkpoint::VerifyingKey;
use mamori_ledger::tree::{check_consistency, check_inclusion};
use mamori_ledger::Report;
use mamori_store::{Actor, Store};

use crate::DbArgs;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Recompute every hash from the records and check every signed checkpoint (and the
    /// anchors given); or check an offline bundle with no database.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// A checkpoint printed earlier (`mamori ledger checkpoint`), kept outside mamori.
        /// May be given more than once.
        #[arg(long)]
        anchor: Vec<PathBuf>,
        /// Verify with this public key (name+id+base64) instead of the key file's.
        #[arg(long)]
        public_key: Option<String>,
        /// Verify an exported bundle instead of the database.
        #[arg(long)]
        bundle: Option<PathBuf>,
    },
    /// Print the latest signed checkpoint, and record that it was taken as an anchor.
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// Print only; do not record the anchor.
        #[arg(long)]
        no_record: bool,
    },
    /// An inclusion proof (--index N) or a consistency proof (--from A --to B).
    Prove {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// The entry to prove (0-based ledger index = change number − 1).
        #[arg(long, conflicts_with_all = ["from", "to"])]
        index: Option<u64>,
        /// The checkpoint size to prove against (default: the latest).
        #[arg(long, requires = "index")]
        size: Option<u64>,
        #[arg(long, requires = "to")]
        from: Option<u64>,
        #[arg(long, requires = "from")]
        to: Option<u64>,
    },
    /// Write an offline bundle (entries, hashes, checkpoints, public key) for
    /// `mamori ledger verify --bundle`.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        output: PathBuf,
    },
    /// Print the public key that verifies this installation's checkpoints.
    PublicKey {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Purge the cleartext personal data recorded with events (the ledger still verifies).
    PurgePersonal {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// Every event about this target, as KIND:ID (e.g. person:12).
        #[arg(long, conflicts_with = "seq")]
        target: Option<String>,
        /// One event, by its change number.
        #[arg(long)]
        seq: Option<i64>,
    },
}

#[derive(Args, Clone)]
pub struct OrgArg {
    /// Organization code (may be left out when there is only one).
    #[arg(long)]
    org: Option<String>,
}

impl OrgArg {
    pub(crate) async fn resolve(&self, store: &Store) -> Result<mamori_store::org::Organization> {
        let orgs = store.organizations().await?;
        match &self.org {
            Some(code) => orgs.into_iter().find(|o| &o.code == code).with_context(|| format!("団体コード {code} の団体はありません")),
            None if orgs.len() == 1 => Ok(orgs.into_iter().next().expect("one")),
            None if orgs.is_empty() => bail!("団体がまだありません"),
            None => bail!("団体が複数あります。--org で団体コードを指定してください"),
        }
    }
}

pub async fn run(command: LedgerCommand) -> Result<()> {
    match command {
        LedgerCommand::Verify { db, org, anchor, public_key, bundle } => verify(db, org, anchor, public_key, bundle).await,
        LedgerCommand::Checkpoint { db, org, no_record } => {
            let store = db.open_existing().await?;
            let org = org.resolve(&store).await?;
            let latest = store
                .checkpoints(org.id, 1)
                .await?
                .into_iter()
                .next()
                .context("チェックポイントがまだありません（最初の変更で作成されます）")?;
            print!("{}", latest.note);
            if !no_record {
                store.record_anchor(org.id, &latest, "cli", &Actor::system("cli")).await.context("アンカー取得の記録")?;
                eprintln!(
                    "このチェックポイント（件数 {}）をアンカーとして取得したことを記録しました。mamori の外に保管してください。",
                    latest.size
                );
            }
            Ok(())
        }
        LedgerCommand::Prove { db, org, index, size, from, to } => {
            let store = db.open_existing().await?;
            let org = org.resolve(&store).await?;
            match (index, from, to) {
                (Some(index), _, _) => {
                    let p = store.inclusion_proof(org.id, index, size).await?;
                    let ok = check_inclusion(&p.proof, p.size, p.root, p.index, p.leaf_hash);
                    println!("inclusion proof: index {} in tree size {}", p.index, p.size);
                    println!("leaf: {}", p.leaf);
                    println!("leaf hash: {}", B64.encode(p.leaf_hash.0));
                    println!("proof ({} hashes, {} bytes):", p.proof.len(), p.proof.len() * 32);
                    for h in &p.proof {
                        println!("  {}", B64.encode(h.0));
                    }
                    println!("checkpoint:\n{}", p.checkpoint.note);
                    if !ok {
                        bail!("証明がチェックポイントのルートと一致しません");
                    }
                    println!("この証明はチェックポイントのルートで検証できました。");
                    Ok(())
                }
                (None, Some(old), Some(new)) => {
                    let p = store.consistency_proof(org.id, old, new).await?;
                    let ok = check_consistency(&p.proof, p.old, p.old_root, p.new, p.new_root);
                    println!("consistency proof: tree size {} → {}", p.old, p.new);
                    println!("old root: {}", B64.encode(p.old_root.0));
                    println!("new root: {}", B64.encode(p.new_root.0));
                    println!("proof ({} hashes, {} bytes):", p.proof.len(), p.proof.len() * 32);
                    for h in &p.proof {
                        println!("  {}", B64.encode(h.0));
                    }
                    for (what, c) in [("old", &p.old_checkpoint), ("new", &p.new_checkpoint)] {
                        match c {
                            Some(c) => println!("{what} checkpoint:\n{}", c.note),
                            None => println!(
                                "{what}: 件数 {} の署名付きチェックポイントはありません（ルートは保存ハッシュから計算）",
                                if what == "old" { p.old } else { p.new }
                            ),
                        }
                    }
                    if !ok {
                        bail!("一貫性証明が検証できません");
                    }
                    println!("この一貫性証明は検証できました。");
                    Ok(())
                }
                _ => bail!("--index N（包含証明）か --from A --to B（一貫性証明）を指定してください"),
            }
        }
        LedgerCommand::Export { db, org, output } => {
            let store = db.open_existing().await?;
            let org = org.resolve(&store).await?;
            let key = db.verifying_key(&store, None)?;
            if output.exists() {
                bail!("{} はすでにあります。別の --output を指定してください", output.display());
            }
            let file = std::fs::File::create(&output).with_context(|| format!("{} を作成できません", output.display()))?;
            let n = store.export_ledger(org.id, &key, std::io::BufWriter::new(file)).await?;
            println!("{} 件の記録を {} に書き出しました（公開鍵 {}）。", n, output.display(), key.text());
            println!("検証: mamori ledger verify --bundle {} --public-key '{}'", output.display(), key.text());
            Ok(())
        }
        LedgerCommand::PublicKey { db } => {
            let key = db.load_key(false)?.context("署名鍵ファイルがありません")?;
            println!("{}", key.verifying_key().text());
            Ok(())
        }
        LedgerCommand::PurgePersonal { db, org, target, seq } => {
            let store = db.open_existing().await?;
            let org = org.resolve(&store).await?;
            let target = match &target {
                Some(t) => Some(t.split_once(':').context("--target は 種類:ID の形で指定してください（例 person:12）")?),
                None => None,
            };
            let n = store.purge_personal(org.id, target, seq, &Actor::system("cli")).await?;
            println!("個人情報 {n} 項目を消去しました。台帳の検証には影響しません。");
            Ok(())
        }
    }
}

async fn verify(db: DbArgs, org: OrgArg, anchors: Vec<PathBuf>, public_key: Option<String>, bundle: Option<PathBuf>) -> Result<()> {
    let mut anchor_texts = Vec::new();
    for path in &anchors {
        let text = std::fs::read_to_string(path).with_context(|| format!("アンカー {} を読めません", path.display()))?;
        anchor_texts.push((format!("アンカー {}", path.display()), text));
    }
    let pinned = match &public_key {
        Some(text) => Some(VerifyingKey::parse(text).map_err(|e| anyhow::anyhow!("--public-key: {e}"))?),
        None => None,
    };
    let started = std::time::Instant::now();
    let report = if let Some(path) = bundle {
        let file = std::fs::File::open(&path).with_context(|| format!("{} を開けません", path.display()))?;
        let (header, report) =
            mamori_ledger::bundle::verify(BufReader::new(file), pinned.as_ref(), &anchor_texts).map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("bundle {} を検証しました（origin {}、{} 書き出し）", path.display(), header.origin, header.exported_at);
        if pinned.is_none() {
            println!("注意: 公開鍵は bundle 自身が示すもの（{}）です。別の経路で受け取った公開鍵を --public-key で指定すると、鍵のすり替えも検出できます。", header.public_key);
        }
        report
    } else {
        let store = db.open_existing().await?;
        let org = org.resolve(&store).await?;
        let key = db.verifying_key(&store, pinned)?;
        println!("団体 {}（{}）の台帳を検証しました（公開鍵 {}）", org.name, org.code, key.text());
        store.verify_ledger(org.id, &key, &anchor_texts).await?
    };
    print_report(&report, started.elapsed());
    if !report.ok() {
        bail!("台帳の検証に失敗しました（問題 {} 件）", report.problem_count);
    }
    Ok(())
}

fn print_report(r: &Report, took: std::time::Duration) {
    println!(
        "  記録 {} 件、保存ハッシュ {} 件、チェックポイント {} 件、アンカー {} 件（{:.2} 秒）",
        r.entries,
        r.stored_hashes,
        r.checkpoints,
        r.anchors,
        took.as_secs_f64()
    );
    if let Some(root) = &r.root {
        println!("  記録から計算したルート: {}", B64.encode(root.0));
    }
    match &r.latest {
        Some(c) => println!("  検証できた最新の署名付きチェックポイント: 件数 {}", c.size),
        None => println!("  検証できた署名付きチェックポイントはありません"),
    }
    if r.warning_count > 0 {
        println!("  時刻の注意 {} 件:", r.warning_count);
        for w in &r.warnings {
            println!("    {w}");
        }
    }
    if r.ok() {
        println!("検証に成功しました: 記録は改ざんされていません。");
    } else {
        println!("検証に失敗しました: 問題 {} 件", r.problem_count);
        for p in &r.problems {
            println!("  {p}");
        }
        if r.problem_count > r.problems.len() {
            println!("  …ほか {} 件", r.problem_count - r.problems.len());
        }
    }
}
