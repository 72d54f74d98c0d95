//! `mamori ledger …`: verify, checkpoint, prove, export, export-checkpoint, public-key,
//! purge-personal; witnesses and key rotation live in `witness_cmd.rs`.

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
        #[command(flatten)]
        witnesses: WitnessArgs,
    },
    /// Print the latest signed checkpoint with its witnesses' cosignatures. Never signs
    /// and writes nothing: keep what it prints outside mamori as an anchor.
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// Accepted for older scripts; the command never records anything now.
        #[arg(long, hide = true)]
        no_record: bool,
    },
    /// Write what a witness needs (the latest checkpoint and the consistency proof from the
    /// size it last cosigned), for a witness with no network path to the server.
    ExportCheckpoint {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// The size the witness last cosigned (its `mamori ledger witness status`).
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[arg(long)]
        output: PathBuf,
    },
    /// Witnesses: register one, list them, make a witness key, cosign as a witness, import
    /// a cosignature.
    Witness {
        #[command(subcommand)]
        command: crate::witness_cmd::WitnessCommand,
    },
    /// The signing key: rotate it (the old key introduces the new one).
    Key {
        #[command(subcommand)]
        command: crate::witness_cmd::KeyCommand,
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

/// What `verify` requires of witnesses.
#[derive(Args, Clone, Default)]
pub struct WitnessArgs {
    /// A witness's public key (name+id+base64, cosignature/v1) whose cosignatures count.
    /// May be given more than once.
    #[arg(long = "witness")]
    keys: Vec<String>,
    /// How many of the --witness keys must have cosigned a recent checkpoint the ledger is
    /// consistent with (default: 1 when --witness is given).
    #[arg(long)]
    min_witnesses: Option<usize>,
    /// How old, in hours, the deciding cosignature may be (0: no limit).
    #[arg(long, default_value_t = 24)]
    max_witness_age_hours: u64,
}

impl WitnessArgs {
    fn policy(&self) -> Result<Option<mamori_ledger::WitnessPolicy>> {
        if self.keys.is_empty() {
            if self.min_witnesses.is_some_and(|n| n > 0) {
                bail!("--min-witnesses には --witness で立会人の公開鍵を指定してください");
            }
            return Ok(None);
        }
        let mut keys = Vec::new();
        for k in &self.keys {
            keys.push(mamori_ledger::cosignature::WitnessPublicKey::parse(k).map_err(|e| anyhow::anyhow!("--witness {k}: {e}"))?);
        }
        let min = self.min_witnesses.unwrap_or(1);
        if min > keys.len() {
            bail!("--min-witnesses {min} が --witness で指定した鍵の数 {} を超えています", keys.len());
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        let max_age = (self.max_witness_age_hours > 0).then_some(self.max_witness_age_hours * 3600);
        Ok(Some(mamori_ledger::WitnessPolicy { keys, min, now, max_age }))
    }
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
        LedgerCommand::Verify { db, org, anchor, public_key, bundle, witnesses } => {
            verify(db, org, anchor, public_key, bundle, witnesses).await
        }
        LedgerCommand::Checkpoint { db, org, no_record: _ } => {
            // Read-only, and without the signing key: printing a checkpoint must never be
            // a way to get a tail signed (ARCHITECTURE "Decisions").
            let store = db.open_read_only().await?;
            let org = org.resolve(&store).await?;
            let (size, text) =
                store.latest_cosigned(org.id).await?.context("チェックポイントがまだありません（最初の変更で作成されます）")?;
            print!("{text}");
            eprintln!("最新の署名付きチェックポイント（件数 {size}）です。mamori の外に保管してください（アンカー）。");
            Ok(())
        }
        LedgerCommand::ExportCheckpoint { db, org, from, output } => {
            let store = db.open_read_only().await?;
            let org = org.resolve(&store).await?;
            if output.exists() {
                bail!("{} はすでにあります。別の --output を指定してください", output.display());
            }
            let request = store.witness_request(org.id, from).await?;
            std::fs::write(&output, request.to_text()).with_context(|| format!("{} を書けません", output.display()))?;
            println!("件数 {from} からの一貫性証明と最新のチェックポイントを {} に書き出しました。", output.display());
            println!("立会人の側で: mamori ledger witness cosign --checkpoint-file {} …", output.display());
            Ok(())
        }
        LedgerCommand::Witness { command } => crate::witness_cmd::run(command).await,
        LedgerCommand::Key { command } => crate::witness_cmd::run_key(command).await,
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

async fn verify(
    db: DbArgs,
    org: OrgArg,
    anchors: Vec<PathBuf>,
    public_key: Option<String>,
    bundle: Option<PathBuf>,
    witnesses: WitnessArgs,
) -> Result<()> {
    let policy = witnesses.policy()?;
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
        let (header, report) = mamori_ledger::bundle::verify_with(BufReader::new(file), pinned.as_ref(), &anchor_texts, policy)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
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
        let options = mamori_store::ledger::VerifyOptions { anchors: anchor_texts, witnesses: policy };
        store.verify_ledger_with(org.id, &key, &options).await?
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
    if r.cosignatures > 0 || r.witnessed.is_some() {
        println!("  立会人の連署 {} 件を検証しました", r.cosignatures);
    }
    if let Some((size, at)) = r.witnessed {
        println!("  立会人が連署した最新のチェックポイント: 件数 {size}（連署 {at}）");
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
