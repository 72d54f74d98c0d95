//! Asset-register latency on a large SQLite database.
//!
//!     cargo bench -p mamori-demo --bench asset_register [-- --data-dir DIR]
//!
//! Environment: `MAMORI_BENCH_DIR` (like `--data-dir`: the database is kept there and reused
//! when it is already populated), `MAMORI_BENCH_ASSETS` (default 1,000,000) and
//! `MAMORI_BENCH_REQUESTS` (requests per row, default 500).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mamori_demo::{populate, DemoScale};
use mamori_store::assets::AssetFilter;
use mamori_store::{Actor, OpenOptions, Store};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlx::Row;

const TARGET_MS: f64 = 50.0;
const ORG_CODE: &str = "bench";
const SEED: u64 = 20_260_401;

const SHORT: &[&str] = &["課税", "名簿", "端末"];
const TRIGRAM: &[&str] = &["議事録", "住民票", "契約書"];
const LONG: &[&str] = &["介護認定", "固定資産税", "個人番号カード"];
/// Terms that match nothing or almost nothing: the search must look at everything.
const RARE_SHORT: &[&str] = &["漁業"];
const RARE_LONG: &[&str] = &["漁業協同組合"];

fn env_usize(name: &str) -> anyhow::Result<Option<usize>> {
    std::env::var(name).ok().map(|v| v.replace('_', "").parse().with_context(|| format!("{name}={v}"))).transpose()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut data_dir: Option<PathBuf> = std::env::var_os("MAMORI_BENCH_DIR").map(PathBuf::from);
    while let Some(a) = args.next() {
        // `cargo bench` passes `--bench`; anything but `--data-dir` is ignored.
        if a == "--data-dir" {
            data_dir = Some(args.next().context("--data-dir needs a directory")?.into());
        }
    }
    let mut scale = DemoScale::bench();
    if let Some(n) = env_usize("MAMORI_BENCH_ASSETS")? {
        scale.assets = n;
        scale.staff = scale.staff.min((n / 20).max(300));
    }
    let requests = env_usize("MAMORI_BENCH_REQUESTS")?.unwrap_or(500);

    let _temp;
    let dir = match data_dir {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            d
        }
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_owned();
            _temp = t;
            p
        }
    };
    let url = mamori_store::sqlite_url_in(&dir);
    let store = Store::open(&url, OpenOptions { create: true, ..Default::default() }).await?;
    store.migrate().await?;
    let org_id = match store.organizations().await?.into_iter().find(|o| o.code == ORG_CODE) {
        Some(org) => {
            let have = store.asset_count(org.id).await? as usize;
            if have != scale.assets {
                bail!("{} holds {have} assets, not {}: remove it or choose another directory", dir.display(), scale.assets);
            }
            eprintln!("reusing {} ({have} assets)", dir.display());
            org.id
        }
        None => {
            let org = store.create_organization(ORG_CODE, "志免町（ベンチマーク）", &Actor::system("bench")).await?;
            eprintln!(
                "populating {}: {} assets, {} staff, ~{} departments",
                dir.display(),
                scale.assets,
                scale.staff,
                scale.departments_target
            );
            let started = Instant::now();
            let summary = populate(&store, org.id, &scale, SEED, true).await?;
            let took = started.elapsed();
            eprintln!(
                "populated in {:.1} s ({:.0} assets/s): {} departments, {} people, {} systems, {} role assignments, {} undecided assets",
                took.as_secs_f64(),
                summary.assets as f64 / took.as_secs_f64(),
                summary.departments,
                summary.people,
                summary.systems,
                summary.role_assignments,
                summary.undecided_assets
            );
            org.id
        }
    };
    let size: u64 = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    eprintln!("database: {:.0} MiB", size as f64 / 1_048_576.0);

    // Departments with enough assets to page through, and a deep keyset cursor in each.
    let rows = sqlx::query(
        "SELECT department_id, COUNT(*) AS n FROM assets WHERE org_id = $1 GROUP BY department_id HAVING COUNT(*) >= 200 ORDER BY department_id",
    )
    .bind(org_id)
    .fetch_all(store.pool())
    .await?;
    let mut departments: Vec<(i64, i64, i64)> = Vec::new(); // (id, count, deep cursor)
    for r in &rows {
        let (id, n): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
        let cursor: i64 = sqlx::query(
            "SELECT id FROM assets WHERE org_id = $1 AND department_id = $2 ORDER BY id DESC LIMIT 1 OFFSET $3",
        )
        .bind(org_id)
        .bind(id)
        .bind(n * 4 / 5)
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
        departments.push((id, n, cursor));
    }
    if departments.is_empty() {
        bail!("no department holds 200 assets; raise MAMORI_BENCH_ASSETS");
    }
    let counts: Vec<i64> = departments.iter().map(|d| d.1).collect();
    eprintln!(
        "{} departments with ≥200 assets (min {}, max {} assets each); {requests} requests per row",
        departments.len(),
        counts.iter().min().unwrap_or(&0),
        counts.iter().max().unwrap_or(&0)
    );

    let mut rng = StdRng::seed_from_u64(1);
    let mut results: Vec<Measured> = Vec::new();
    let base = AssetFilter { limit: 50, ..Default::default() };
    let run = |name: String, filters: Vec<AssetFilter>| (name, filters.into_iter().map(Req::Store).collect::<Vec<_>>());

    let mut plans: Vec<(String, Vec<Req>)> = Vec::new();
    let pick = |rng: &mut StdRng| *departments.choose(rng).expect("departments");
    let org_deep: i64 = sqlx::query("SELECT id FROM assets WHERE org_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2")
        .bind(org_id)
        .bind((scale.assets * 4 / 5) as i64)
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    plans.push(run("organization, first page".into(), (0..requests).map(|_| base.clone()).collect()));
    plans.push(run(
        "organization, deep page (before_id)".into(),
        (0..requests).map(|_| AssetFilter { before_id: Some(org_deep), ..base.clone() }).collect(),
    ));
    plans.push(run(
        "organization, confidentiality 3B".into(),
        (0..requests).map(|_| AssetFilter { confidentiality: Some("3B".into()), ..base.clone() }).collect(),
    ));
    plans.push(run(
        "department, first page".into(),
        (0..requests).map(|_| AssetFilter { department_id: Some(pick(&mut rng).0), ..base.clone() }).collect(),
    ));
    plans.push(run(
        "department, deep page (before_id)".into(),
        (0..requests)
            .map(|_| {
                let d = pick(&mut rng);
                AssetFilter { department_id: Some(d.0), before_id: Some(d.2), ..base.clone() }
            })
            .collect(),
    ));
    let text = |terms: &[&str], i: usize| Some(terms[i % terms.len()].to_owned());
    for (label, terms) in [
        ("2 chars", SHORT),
        ("3 chars", TRIGRAM),
        ("4+ chars", LONG),
        ("2 chars, rare", RARE_SHORT),
        ("4+ chars, rare", RARE_LONG),
    ] {
        plans.push(run(
            format!("search {label} {}", terms.join("/")),
            (0..requests).map(|i| AssetFilter { text: text(terms, i), ..base.clone() }).collect(),
        ));
    }
    for (label, terms) in [("2 chars", SHORT), ("3 chars", TRIGRAM), ("4+ chars", LONG), ("2 chars, rare", RARE_SHORT)] {
        plans.push(run(
            format!("search {label} + department"),
            (0..requests)
                .map(|i| AssetFilter { text: text(terms, i), department_id: Some(pick(&mut rng).0), ..base.clone() })
                .collect(),
        ));
    }

    // How many assets each term matches, for the reader of the table.
    for t in SHORT.iter().chain(TRIGRAM).chain(LONG).chain(RARE_SHORT).chain(RARE_LONG) {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM assets WHERE org_id = $1 AND (instr(name, $2) > 0 OR instr(description, $2) > 0)")
            .bind(org_id)
            .bind(*t)
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        eprintln!("  「{t}」 matches {n} assets");
    }

    // The same searches as the store would run them with the query changes proposed in the
    // report: the org-wide list scanned in id order (what an (org_id, id) index gives), and
    // the trigram index driving the join in rowid order instead of an IN list.
    for (label, before_id) in [("first page", None), ("deep page (before_id)", Some(org_deep))] {
        plans.push((format!("proposed: organization, {label}"), (0..requests).map(|_| Req::ProposedList { before_id }).collect()));
    }
    for (label, terms) in [("2 chars", SHORT), ("3 chars", TRIGRAM), ("4+ chars", LONG), ("2 chars, rare", RARE_SHORT), ("4+ chars, rare", RARE_LONG)] {
        plans.push((
            format!("proposed: search {label}"),
            (0..requests).map(|i| Req::Proposed { text: terms[i % terms.len()].to_owned(), department_id: None, fts: true }).collect(),
        ));
    }
    for (label, terms) in [("3 chars", TRIGRAM), ("4+ chars", LONG), ("4+ chars, rare", RARE_LONG)] {
        for fts in [true, false] {
            plans.push((
                format!("proposed: search {label} + department ({})", if fts { "fts" } else { "scan" }),
                (0..requests)
                    .map(|i| Req::Proposed { text: terms[i % terms.len()].to_owned(), department_id: Some(pick(&mut rng).0), fts })
                    .collect(),
            ));
        }
    }

    let budget = Duration::from_secs(env_usize("MAMORI_BENCH_ROW_SECONDS")?.unwrap_or(60) as u64);
    for (name, filters) in plans {
        // One untimed request warms the statement cache and the pages it touches.
        filters[0].run(&store, org_id).await?;
        let mut times = Vec::with_capacity(filters.len());
        let mut rows = 0usize;
        let row_started = Instant::now();
        for f in &filters {
            let t = Instant::now();
            rows += f.run(&store, org_id).await?;
            times.push(t.elapsed());
            if row_started.elapsed() > budget && times.len() >= 20 {
                eprintln!("  {name}: stopped after {} requests ({} s budget)", times.len(), budget.as_secs());
                break;
            }
        }
        let r = Measured::new(name, times, rows);
        eprintln!("  {}: p95 {:.1} ms", r.name, r.p95);
        results.push(r);
    }

    println!();
    println!("asset register, SQLite, {} assets, limit 50, target p95 ≤ {TARGET_MS} ms", scale.assets);
    println!(
        "{} {:>5} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  result",
        pad("operation", 44), "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "rows", "p95/50"
    );
    let mut failed = 0;
    for r in &results {
        let ratio = r.p95 / TARGET_MS;
        let verdict = if ratio <= 1.0 { "PASS" } else { "FAIL" };
        if ratio > 1.0 {
            failed += 1;
        }
        println!(
            "{} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.1} {:>7.2}  {verdict}",
            pad(&r.name, 44),
            r.n,
            r.p50,
            r.p95,
            r.p99,
            r.max,
            r.mean_rows,
            ratio
        );
    }
    println!("{} of {} rows meet the target", results.len() - failed, results.len());

    // The plans behind the rows, as the store builds them (see mamori-store assets.rs).
    {
        let select = format!("SELECT a.*, d.name AS department_name, s.name AS system_name FROM assets a JOIN departments d ON d.id = a.department_id LEFT JOIN systems s ON s.id = a.system_id WHERE a.org_id = {org_id}");
        let d = departments[0];
        for (label, sql) in [
            ("organization, first page", format!("{select} ORDER BY a.id DESC LIMIT 50")),
            ("department, deep page", format!("{select} AND a.department_id = {} AND a.id < {} ORDER BY a.id DESC LIMIT 50", d.0, d.2)),
            ("search 2 chars", format!("{select} AND (instr(a.name, '課税') > 0 OR instr(a.description, '課税') > 0) ORDER BY a.id DESC LIMIT 50")),
            ("search 3+ chars", format!("{select} AND a.id IN (SELECT rowid FROM assets_search WHERE assets_search MATCH '\"議事録\"') ORDER BY a.id DESC LIMIT 50")),
            ("search 3+ chars + department", format!("{select} AND a.department_id = {} AND a.id IN (SELECT rowid FROM assets_search WHERE assets_search MATCH '\"議事録\"') ORDER BY a.id DESC LIMIT 50", d.0)),
            ("proposed: search 2 chars", proposed_sql(false, None).replace("$1", &org_id.to_string()).replace("$2", "'課税'")),
            ("proposed: search 3+ chars", proposed_sql(true, None).replace("$1", &org_id.to_string()).replace("$2", "'\"議事録\"'")),
            ("proposed: search 3+ chars + department", proposed_sql(true, Some(d.0)).replace("$1", &org_id.to_string()).replace("$2", "'\"議事録\"'").replace("$3", &d.0.to_string())),
        ] {
            println!("\nEXPLAIN QUERY PLAN — {label}");
            for r in sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}")).fetch_all(store.pool()).await? {
                let detail: String = r.try_get(3)?;
                println!("  {detail}");
            }
        }
    }
    store.close().await;
    Ok(())
}

/// Pads by display width: CJK characters take two columns.
fn pad(s: &str, width: usize) -> String {
    let w: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

struct Measured {
    name: String,
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    mean_rows: f64,
}

impl Measured {
    fn new(name: String, mut times: Vec<Duration>, rows: usize) -> Self {
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let q = |p: f64| ms(times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1]);
        Self {
            n: times.len(),
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            max: ms(*times.last().expect("requests")),
            mean_rows: rows as f64 / times.len() as f64,
            name,
        }
    }
}

enum Req {
    Store(AssetFilter),
    /// `fts`: let the trigram index drive (3+ characters); otherwise scan by `instr`.
    Proposed { text: String, department_id: Option<i64>, fts: bool },
    /// The whole organization's list, read in id order.
    ProposedList { before_id: Option<i64> },
}

impl Req {
    /// Runs one request; returns the number of assets it found.
    async fn run(&self, store: &Store, org_id: i64) -> anyhow::Result<usize> {
        Ok(match self {
            Req::Store(f) => store.assets(org_id, f).await?.len(),
            Req::Proposed { text, department_id, fts } => {
                let fts = *fts && text.chars().count() >= 3;
                let sql = proposed_sql(fts, *department_id);
                let value = if fts { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.clone() };
                let mut q = sqlx::query(&sql).bind(org_id).bind(value);
                if let Some(d) = department_id {
                    q = q.bind(*d);
                }
                q.fetch_all(store.pool()).await?.len()
            }
            Req::ProposedList { before_id } => sqlx::query(
                "SELECT a.*, d.name AS department_name, s.name AS system_name FROM assets a \
                 JOIN departments d ON d.id = a.department_id LEFT JOIN systems s ON s.id = a.system_id \
                 WHERE +a.org_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT 50",
            )
            .bind(org_id)
            .bind(before_id.unwrap_or(i64::MAX))
            .fetch_all(store.pool())
            .await?
            .len(),
        })
    }
}

/// The search as proposed for the store: `$1` org, `$2` text, `$3` department.
fn proposed_sql(fts: bool, department_id: Option<i64>) -> String {
    const COLUMNS: &str = "a.*, d.name AS department_name, s.name AS system_name";
    const JOINS: &str = "JOIN departments d ON d.id = a.department_id LEFT JOIN systems s ON s.id = a.system_id";
    let department = if department_id.is_some() { " AND a.department_id = $3" } else { "" };
    if fts {
        format!(
            "SELECT {COLUMNS} FROM assets_search f JOIN assets a ON a.id = f.rowid {JOINS} \
             WHERE assets_search MATCH $2 AND a.org_id = $1{department} ORDER BY f.rowid DESC LIMIT 50"
        )
    } else {
        // Without a department, `+a.org_id` keeps the planner off assets_confidentiality: the
        // table is read in id order and the scan stops at the 50th match, as an (org_id, id)
        // index would allow. With one, assets_department is read in id order the same way.
        let org = if department_id.is_some() { "a.org_id" } else { "+a.org_id" };
        format!(
            "SELECT {COLUMNS} FROM assets a {JOINS} WHERE {org} = $1{department} \
             AND (instr(a.name, $2) > 0 OR instr(a.description, $2) > 0) ORDER BY a.id DESC LIMIT 50"
        )
    }
}
