//! Ledger throughput and proof size, SQLite and PostgreSQL side by side, in one run.
//!
//!     cargo bench -p mamori-demo --bench ledger
//!
//! For each backend (SQLite: a file in a temporary directory, WAL, `synchronous=FULL` as the
//! store sets it; PostgreSQL: a fresh database from `TestDb::postgres()`, dropped at the end):
//!
//! - single appends/s: one writer, one append at a time, each awaited;
//! - group-commit appends/s: many concurrent writers appending in a loop through
//!   `Store::record_event` (an event with no change of its own, the path of sign-ins,
//!   anchors and decisions), and the number of checkpoints (= batches) they made; single
//!   appends use `begin_write` + `commit`, the path of every change;
//! - full verify entries/s over the whole ledger (`Store::verify_ledger`, which must pass);
//! - in the details, the offline bundle: `Store::export_ledger` into memory, and
//!   `bundle::verify` of it with no database (what `mamori ledger verify --bundle` does);
//! - the inclusion proof size at the final size n for indexes 0, n/2 and n−1, against the
//!   bound 32·⌈log2 n⌉ bytes; and the same for an in-memory tree of 1,000,000 leaves;
//! - cosignatures checked per second in verify: the verifier fed the latest checkpoints,
//!   each cosigned by two witnesses, with `--min-witnesses 2` (in memory, so that the line
//!   is the cosignatures' cost alone); in the details, a full verify of each database
//!   with two registered witnesses' cosignatures of its last checkpoints stored.
//!
//! Environment: `MAMORI_BENCH_LEDGER_SINGLE` (single appends, default 2,000),
//! `MAMORI_BENCH_LEDGER_WRITERS` (concurrent writers, default 256),
//! `MAMORI_BENCH_LEDGER_TOTAL` (group-commit appends, default 100,000),
//! `MAMORI_TEST_POSTGRES_URL` (the PostgreSQL server, default the local one).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use mamori_ledger::tree::{build_from, check_inclusion, hashes_needed, Want};
use mamori_ledger::{leaf_hash, Frontier, Hash};
use mamori_store::testing::TestDb;
use mamori_store::{Actor, NewEvent, Store};
use sqlx::Row;

const TARGET_SINGLE: f64 = 500.0;
const TARGET_GROUP: f64 = 10_000.0;
const TARGET_VERIFY: f64 = 500_000.0;
/// Two witnesses cosigning every hour for a year are 17,520 cosignatures: checked in about
/// a second at this rate.
const TARGET_COSIGNATURES: f64 = 10_000.0;
/// Checkpoints cosigned by each of two witnesses in the cosignature measures.
const COSIGNED: usize = 1_000;
const MEMORY_TREE: u64 = 1_000_000;

fn env_u64(name: &str) -> anyhow::Result<Option<u64>> {
    std::env::var(name).ok().map(|v| v.replace('_', "").parse().with_context(|| format!("{name}={v}"))).transpose()
}

/// 32·⌈log2 n⌉: the longest inclusion proof in a tree of n leaves, in bytes.
fn proof_bound(n: u64) -> u64 {
    let depth = if n <= 1 { 0 } else { 64 - u64::from((n - 1).leading_zeros()) };
    32 * depth
}

/// What one backend measured.
struct Figures {
    backend: &'static str,
    single: usize,
    single_time: Duration,
    total: usize,
    writers: usize,
    group_time: Duration,
    group_checkpoints: i64,
    verify_entries: u64,
    verify_time: Duration,
    checkpoints_verified: u64,
    /// `export_ledger` into memory: time and bytes.
    export_time: Duration,
    bundle_bytes: usize,
    /// `bundle::verify` of that bundle, no database.
    bundle_verify_time: Duration,
    size: u64,
    /// (index, proof bytes).
    proofs: Vec<(u64, usize)>,
    /// A full verify with two witnesses' cosignatures stored: cosignatures checked, time.
    witnessed_verify: (u64, Duration),
}

impl Figures {
    fn single_rate(&self) -> f64 {
        self.single as f64 / self.single_time.as_secs_f64()
    }
    fn group_rate(&self) -> f64 {
        self.total as f64 / self.group_time.as_secs_f64()
    }
    fn verify_rate(&self) -> f64 {
        self.verify_entries as f64 / self.verify_time.as_secs_f64()
    }
    fn max_proof(&self) -> usize {
        self.proofs.iter().map(|p| p.1).max().unwrap_or(0)
    }
}

async fn checkpoint_count(store: &Store, org_id: i64) -> anyhow::Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM ledger_checkpoints WHERE org_id = $1").bind(org_id).fetch_one(store.pool()).await?.try_get(0)?)
}

async fn measure(db: &TestDb, backend: &'static str, single: usize, writers: usize, total: usize) -> anyhow::Result<Figures> {
    let store = &db.store;
    let actor = Actor::system("bench");
    let org = store.create_organization("bench", "ベンチマーク町", &actor).await?;
    let org_id = org.id;

    // Single appends: one writer, each append awaited before the next.
    eprintln!("{backend}: {single} single appends");
    let started = Instant::now();
    for i in 0..single {
        let w = store.begin_write(org_id).await?;
        w.commit(&actor, NewEvent::new("bench.append", "bench", i, serde_json::json!({"i": i}))).await?;
    }
    let single_time = started.elapsed();
    eprintln!("{backend}: {:.0} single appends/s", single as f64 / single_time.as_secs_f64());

    // Group commit: `writers` tasks, each appending in a loop until `total` are made.
    eprintln!("{backend}: {total} appends from {writers} concurrent writers");
    let before = checkpoint_count(store, org_id).await?;
    let next = Arc::new(AtomicU64::new(single as u64));
    let end = (single + total) as u64;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(writers);
    for _ in 0..writers {
        let store = store.clone();
        let actor = actor.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    return Ok::<_, anyhow::Error>(seqs);
                }
                seqs.push(
                    store.record_event(org_id, &actor, NewEvent::new("bench.append", "bench", i, serde_json::json!({"i": i}))).await?,
                );
            }
        }));
    }
    let mut seqs = Vec::with_capacity(total);
    for t in tasks {
        seqs.extend(t.await??);
    }
    let group_time = started.elapsed();
    let group_checkpoints = checkpoint_count(store, org_id).await? - before;
    seqs.sort_unstable();
    let first = (single + 2) as i64; // organization.create is seq 1
    ensure!(
        seqs.len() == total && seqs.iter().enumerate().all(|(k, s)| *s == first + k as i64),
        "{backend}: the group-commit appends did not get the sequence numbers {first}..={}",
        first + total as i64 - 1
    );
    eprintln!("{backend}: {:.0} group-commit appends/s, {group_checkpoints} checkpoints", total as f64 / group_time.as_secs_f64());

    // Full verification of the whole ledger.
    let key = db.key.clone();
    eprintln!("{backend}: verifying");
    let started = Instant::now();
    let report = store.verify_ledger(org_id, key.verifying_key(), &[]).await?;
    let verify_time = started.elapsed();
    if !report.ok() {
        bail!("{backend}: the ledger does not verify ({} problems): {:#?}", report.problem_count, report.problems);
    }
    let size = store.ledger_status(org_id).await?.size;
    ensure!(report.entries == size, "{backend}: verified {} entries of {size}", report.entries);
    ensure!(size == (single + total + 1) as u64, "{backend}: ledger holds {size} entries");
    eprintln!("{backend}: verified {} entries in {:.2} s", report.entries, verify_time.as_secs_f64());

    // The offline bundle: exported, then verified with no database, as `mamori ledger
    // verify --bundle` does.
    let started = Instant::now();
    let mut bundle = Vec::new();
    let exported = store.export_ledger(org_id, key.verifying_key(), &mut bundle).await?;
    let export_time = started.elapsed();
    ensure!(exported == size, "{backend}: exported {exported} entries of {size}");
    let started = Instant::now();
    let (_, bundled) = mamori_ledger::bundle::verify(&bundle[..], Some(key.verifying_key()), &[])?;
    let bundle_verify_time = started.elapsed();
    ensure!(bundled.ok() && bundled.entries == size, "{backend}: the bundle does not verify: {:?}", bundled.problems);
    eprintln!(
        "{backend}: bundle of {} bytes exported in {:.2} s, verified in {:.2} s",
        bundle.len(),
        export_time.as_secs_f64(),
        bundle_verify_time.as_secs_f64()
    );

    // Inclusion proofs at the final size, each checked against the signed root.
    let mut proofs = Vec::new();
    for index in [0, size / 2, size - 1] {
        let p = store.inclusion_proof(org_id, index, None).await?;
        ensure!(p.size == size, "{backend}: the latest checkpoint has size {}, not {size}", p.size);
        ensure!(
            check_inclusion(&p.proof, p.size, p.root, index, p.leaf_hash),
            "{backend}: the inclusion proof of {index} in {size} does not verify"
        );
        proofs.push((index, p.proof.len() * 32));
    }

    let witnessed_verify = witnessed_verify(db, org_id).await?;
    eprintln!("{backend}: verified {} cosignatures with the ledger in {:.2} s", witnessed_verify.0, witnessed_verify.1.as_secs_f64());

    Ok(Figures {
        backend,
        witnessed_verify,
        single,
        single_time,
        total,
        writers,
        group_time,
        group_checkpoints,
        verify_entries: report.entries,
        verify_time,
        checkpoints_verified: report.checkpoints,
        export_time,
        bundle_bytes: bundle.len(),
        bundle_verify_time,
        size,
        proofs,
    })
}

/// Two witnesses registered, each cosigning the last [`COSIGNED`] checkpoints (stored as a
/// witness's POST would store them, without an event each), then a full verify requiring
/// both: (cosignatures checked, time).
async fn witnessed_verify(db: &TestDb, org_id: i64) -> anyhow::Result<(u64, Duration)> {
    use mamori_ledger::cosignature::WitnessKey;
    let store = &db.store;
    let actor = Actor::system("bench");
    let witnesses = [WitnessKey::generate("kansa.bench/w1")?, WitnessKey::generate("iinkai.bench/w2")?];
    let mut ids = Vec::new();
    for (k, w) in witnesses.iter().enumerate() {
        ids.push(store.add_witness(org_id, &format!("立会人 {k}"), w.public().text(), &actor).await?.id);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let checkpoints = store.checkpoints(org_id, COSIGNED as i64).await?;
    let mut tx = store.pool().begin().await?;
    for c in &checkpoints {
        for (w, id) in witnesses.iter().zip(&ids) {
            sqlx::query(
                "INSERT INTO ledger_cosignatures (org_id, witness_id, size, checkpoint, line, cosigned_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org_id)
            .bind(*id)
            .bind(c.size as i64)
            .bind(&c.note)
            .bind(w.cosign(&c.note, now)?.trim_end())
            .bind(now as i64)
            .bind(&c.created_at)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    let policy =
        mamori_ledger::WitnessPolicy { keys: witnesses.iter().map(|w| w.public().clone()).collect(), min: 2, now, max_age: Some(86_400) };
    let options = mamori_store::ledger::VerifyOptions { anchors: Vec::new(), witnesses: Some(policy) };
    let started = Instant::now();
    let report = store.verify_ledger_with(org_id, db.key.verifying_key(), &options).await?;
    let took = started.elapsed();
    ensure!(report.ok(), "the witnessed ledger does not verify: {:?}", report.problems);
    ensure!(
        report.cosignatures == 2 * checkpoints.len() as u64,
        "checked {} cosignatures of {}",
        report.cosignatures,
        2 * checkpoints.len()
    );
    Ok((report.cosignatures, took))
}

/// The verifier fed [`COSIGNED`] checkpoints each cosigned by two witnesses, as a verify
/// requiring both feeds them: (cosignatures checked, time of feeding them).
fn cosignatures_in_verify() -> (u64, Duration) {
    use mamori_ledger::cosignature::{with_lines, WitnessKey};
    let key = mamori_ledger::LedgerKey::generate("mamori-bench").expect("key");
    let witnesses = [WitnessKey::generate("kansa.bench/w1").expect("key"), WitnessKey::generate("iinkai.bench/w2").expect("key")];
    let now = 1_796_000_000;
    let mut f = Frontier::new();
    let mut sink = Vec::new();
    let mut cosigned = Vec::with_capacity(COSIGNED);
    for i in 0..COSIGNED as u64 {
        f.append(leaf_hash(format!("{i}").as_bytes()), &mut sink);
        let note = key.sign("mamori-bench/b", i + 1, f.root()).text;
        let lines: Vec<String> = witnesses.iter().map(|w| w.cosign(&note, now).expect("cosign")).collect();
        cosigned.push(with_lines(&note, &lines));
    }
    let policy = mamori_ledger::WitnessPolicy { keys: witnesses.iter().map(|w| w.public().clone()).collect(), min: 2, now, max_age: None };
    let mut v = mamori_ledger::Verifier::new("mamori-bench/b", key.verifying_key().clone(), Some(1));
    v.require_witnesses(policy);
    v.announce_sizes(1..=COSIGNED as u64);
    let started = Instant::now();
    for (i, text) in cosigned.iter().enumerate() {
        v.witnessed(&format!("連署 {i}"), text);
    }
    let took = started.elapsed();
    let report = v.finish(None);
    (report.cosignatures, took)
}

/// Inclusion proofs in a tree of `n` leaves built in memory, each checked: (index, bytes).
fn memory_tree_proofs(n: u64) -> anyhow::Result<Vec<(u64, usize)>> {
    let mut frontier = Frontier::new();
    let mut stored: Vec<Hash> = Vec::with_capacity(2 * n as usize);
    let mut out = Vec::new();
    let leaf = |i: u64| leaf_hash(format!("{{\"seq\":{}}}", i + 1).as_bytes());
    for i in 0..n {
        out.clear();
        frontier.append(leaf(i), &mut out);
        for (index, h) in &out {
            ensure!(*index == stored.len() as u64, "stored hashes come in index order");
            stored.push(*h);
        }
    }
    let root = frontier.root();
    let mut proofs = Vec::new();
    for index in [0, n / 2, n - 1] {
        let want = Want::Inclusion { index, size: n };
        let needed = hashes_needed(want)?;
        let known: HashMap<u64, Hash> = needed.iter().map(|&i| (i, stored[i as usize])).collect();
        let proof = build_from(want, known)?;
        ensure!(check_inclusion(&proof, n, root, index, leaf(index)), "in-memory proof of {index} in {n} does not verify");
        proofs.push((index, proof.len() * 32));
    }
    Ok(proofs)
}

fn pad(s: &str, width: usize) -> String {
    let w: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// One row: a figure per backend against a target. `at_least`: the figure must reach the
/// target (a rate); otherwise it must not exceed it (a size).
struct Line {
    name: String,
    target: f64,
    at_least: bool,
    figures: Vec<f64>,
    unit: &'static str,
}

fn fmt_figure(x: f64) -> String {
    if x >= 100.0 {
        let s = format!("{:.0}", x);
        // Thousands separators.
        let mut out = String::new();
        for (k, c) in s.chars().enumerate() {
            if k > 0 && (s.len() - k) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{x:.1}")
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let single = env_u64("MAMORI_BENCH_LEDGER_SINGLE")?.unwrap_or(2_000) as usize;
    let writers = env_u64("MAMORI_BENCH_LEDGER_WRITERS")?.unwrap_or(256) as usize;
    let total = env_u64("MAMORI_BENCH_LEDGER_TOTAL")?.unwrap_or(100_000) as usize;
    ensure!(writers >= 1 && total >= 1, "MAMORI_BENCH_LEDGER_WRITERS and MAMORI_BENCH_LEDGER_TOTAL must be at least 1");
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    let sqlite_db = TestDb::sqlite().await;
    let sqlite = measure(&sqlite_db, "SQLite", single, writers, total).await;
    sqlite_db.finish().await;
    let pg_db = TestDb::postgres().await;
    let pg = measure(&pg_db, "PostgreSQL", single, writers, total).await;
    pg_db.finish().await;
    let results = [sqlite?, pg?];

    eprintln!("in memory: a tree of {MEMORY_TREE} leaves");
    let memory = memory_tree_proofs(MEMORY_TREE)?;
    let memory_max = memory.iter().map(|p| p.1).max().unwrap_or(0);

    let n = results[0].size;
    let mut lines = vec![
        Line {
            name: format!("single appends/s (1 writer, {single} awaited)"),
            target: TARGET_SINGLE,
            at_least: true,
            figures: results.iter().map(Figures::single_rate).collect(),
            unit: "/s",
        },
        Line {
            name: format!("group-commit appends/s ({writers} writers, {total})"),
            target: TARGET_GROUP,
            at_least: true,
            figures: results.iter().map(Figures::group_rate).collect(),
            unit: "/s",
        },
        Line {
            name: format!("full verify entries/s ({n} entries)"),
            target: TARGET_VERIFY,
            at_least: true,
            figures: results.iter().map(Figures::verify_rate).collect(),
            unit: "/s",
        },
        Line {
            name: format!("inclusion proof bytes, n = {n} (max of 3)"),
            target: proof_bound(n) as f64,
            at_least: false,
            figures: results.iter().map(|r| r.max_proof() as f64).collect(),
            unit: "B",
        },
    ];
    let (cosignatures, cosign_time) = cosignatures_in_verify();
    let cosign_rate = cosignatures as f64 / cosign_time.as_secs_f64();
    lines.push(Line {
        name: format!("cosignatures checked/s in verify ({cosignatures}, 2 witnesses)"),
        target: TARGET_COSIGNATURES,
        at_least: true,
        figures: vec![cosign_rate, cosign_rate],
        unit: "/s",
    });
    lines.push(Line {
        name: format!("inclusion proof bytes, n = {MEMORY_TREE} (in-memory tree)"),
        target: proof_bound(MEMORY_TREE) as f64,
        at_least: false,
        figures: vec![memory_max as f64, memory_max as f64],
        unit: "B",
    });

    println!();
    println!(
        "ledger, SQLite (file, WAL, synchronous=FULL) and PostgreSQL (synchronous_commit=on), {threads} CPU(s), multi-thread tokio runtime"
    );
    println!("ratio = figure / target; a rate passes at ratio ≥ 1, a proof size at ratio ≤ 1");
    println!(
        "{} {:>11}  {:>12} {:>6} {:<4}  {:>12} {:>6} {:<4}",
        pad("measure", 50),
        "target",
        "SQLite",
        "ratio",
        "",
        "PostgreSQL",
        "ratio",
        ""
    );
    let mut failed = 0;
    let mut rows = 0;
    for l in &lines {
        let mut cells = String::new();
        for f in &l.figures {
            let ratio = f / l.target;
            let pass = if l.at_least { ratio >= 1.0 } else { ratio <= 1.0 };
            rows += 1;
            if !pass {
                failed += 1;
            }
            cells.push_str(&format!("  {:>12} {:>6.2} {:<4}", fmt_figure(*f), ratio, if pass { "PASS" } else { "FAIL" }));
        }
        let target = format!("{}{} {}", if l.at_least { "≥" } else { "≤" }, fmt_figure(l.target), l.unit);
        println!("{} {:>11}{cells}", pad(&l.name, 50), target);
    }
    println!("{} of {rows} figures meet the target", rows - failed);

    println!();
    println!("details");
    println!("{} {:>20}  {:>20}", pad("", 50), "SQLite", "PostgreSQL");
    let detail = |name: &str, f: &dyn Fn(&Figures) -> String| {
        println!("{} {:>20}  {:>20}", pad(name, 50), f(&results[0]), f(&results[1]));
    };
    detail("single appends: time", &|r| format!("{:.2} s", r.single_time.as_secs_f64()));
    detail("single appends: mean latency", &|r| format!("{:.2} ms", r.single_time.as_secs_f64() * 1000.0 / r.single as f64));
    detail("group commit: time", &|r| format!("{:.2} s", r.group_time.as_secs_f64()));
    detail("group commit: writers", &|r| r.writers.to_string());
    detail("group commit: checkpoints made", &|r| r.group_checkpoints.to_string());
    detail("group commit: mean batch (appends/checkpoint)", &|r| format!("{:.1}", r.total as f64 / r.group_checkpoints.max(1) as f64));
    detail("verify: entries", &|r| r.verify_entries.to_string());
    detail("verify: checkpoints checked", &|r| r.checkpoints_verified.to_string());
    detail("verify: time", &|r| format!("{:.2} s", r.verify_time.as_secs_f64()));
    detail("export: bundle bytes", &|r| r.bundle_bytes.to_string());
    detail("export: time", &|r| format!("{:.2} s", r.export_time.as_secs_f64()));
    detail("verify --bundle (no database): entries/s", &|r| format!("{:.0} /s", r.size as f64 / r.bundle_verify_time.as_secs_f64()));
    detail("verify with 2 witnesses: cosignatures checked", &|r| r.witnessed_verify.0.to_string());
    detail("verify with 2 witnesses: time (whole ledger)", &|r| format!("{:.2} s", r.witnessed_verify.1.as_secs_f64()));
    for (k, label) in ["index 0", "index n/2", "index n-1"].iter().enumerate() {
        detail(&format!("proof bytes at n = {n}, {label}"), &|r| format!("{} (idx {})", r.proofs[k].1, r.proofs[k].0));
    }
    println!("{} {:>20}", pad(&format!("bound 32·⌈log2 n⌉ at n = {n}"), 50), proof_bound(n));
    for (index, bytes) in &memory {
        println!("{} {:>20}", pad(&format!("in-memory proof bytes at n = {MEMORY_TREE}, index {index}"), 50), bytes);
    }
    println!("{} {:>20}", pad(&format!("bound 32·⌈log2 n⌉ at n = {MEMORY_TREE}"), 50), proof_bound(MEMORY_TREE));
    let (core_n, core_time) = verifier_core(200_000);
    println!(
        "{} {:>20}",
        pad(&format!("verifier alone (no database), {core_n} entries"), 50),
        format!("{:.0} /s", core_n as f64 / core_time.as_secs_f64())
    );
    for r in &results {
        ensure!(r.size == n, "{} holds {} entries, SQLite {n}", r.backend, r.size);
    }
    Ok(())
}

/// The pure verifier on leaves and stored hashes already in memory: what `verify` costs
/// without reading the database, to show where the time of a full verify goes.
fn verifier_core(n: u64) -> (u64, Duration) {
    let key = mamori_ledger::LedgerKey::generate("mamori-bench").expect("key");
    let leaves: Vec<mamori_ledger::Leaf> = (1..=n)
        .map(|seq| mamori_ledger::Leaf {
            action: "bench.append".into(),
            actor: "bench".into(),
            actor_user_id: None,
            at: "2026-11-22T09:00:00.000+09:00".into(),
            clock_synced: true,
            org_id: 1,
            payload_sha256: mamori_ledger::sha256_hex(format!("{{\"i\":{seq}}}").as_bytes()),
            profile_version_id: Some(1),
            request_id: String::new(),
            result: "ok".into(),
            role: String::new(),
            seq,
            target_id: seq.to_string(),
            target_kind: "bench".into(),
            v: 1,
        })
        .collect();
    let mut f = Frontier::new();
    let mut stored = Vec::new();
    for l in &leaves {
        f.append(l.hash(), &mut stored);
    }
    let checkpoint = key.sign("mamori-bench/b", n, f.root());
    let started = Instant::now();
    let mut v = mamori_ledger::Verifier::new("mamori-bench/b", key.verifying_key().clone(), Some(1));
    v.checkpoint("c", &checkpoint.text);
    let mut next = 0;
    for (i, l) in leaves.iter().enumerate() {
        v.entry(i as u64, &l.view(), None);
        let due = v.stored_hashes_due() as usize;
        while next < due {
            v.stored_hash(stored[next].0, stored[next].1);
            next += 1;
        }
    }
    let report = v.finish(Some(n));
    let took = started.elapsed();
    assert!(report.ok(), "{:?}", report.problems);
    (n, took)
}
