//! Asset-register latency on a large SQLite database: `Store::assets` directly, and the same
//! lists through the real router (`GET /assets`, `GET /api/v1/assets`) with a signed-in session.
//!
//!     cargo bench -p mamori-demo --bench asset_register [-- --data-dir DIR]
//!
//! Environment: `MAMORI_BENCH_DIR` (like `--data-dir`: the database is kept there and reused
//! when it is already populated), `MAMORI_BENCH_ASSETS` (default 1,000,000),
//! `MAMORI_BENCH_REQUESTS` (requests per row, default 500) and `MAMORI_BENCH_ROW_SECONDS`
//! (a row stops early once it has run this long, default 60; the table reports `n`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context};
use axum::body::{Body, Bytes};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use mamori_demo::{populate, DemoScale};
use mamori_store::assets::AssetFilter;
use mamori_store::{Actor, OpenOptions, Store};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlx::Row;
use tower::ServiceExt;

const TARGET_MS: f64 = 50.0;
const ORG_CODE: &str = "bench";
const SEED: u64 = 20_260_401;
const DIRECTOR_LOGIN: &str = "bench-security-director";
const STAFF_LOGIN: &str = "bench-staff";

const ONE_CHAR: &[&str] = &["課"];
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
    let (key, _) = mamori_store::keyfile::load(&mamori_store::keyfile::default_path(&dir), true)?;
    let store = Store::open(&url, OpenOptions { create: true, ledger_key: Some(std::sync::Arc::new(key)), ..Default::default() }).await?;
    store.migrate().await?;
    let actor = Actor::system("bench");
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
            let org = store.create_organization(ORG_CODE, "志免町（ベンチマーク）", &actor).await?;
            eprintln!(
                "populating {}: {} assets, {} staff, ~{} departments",
                dir.display(),
                scale.assets,
                scale.staff,
                scale.departments_target
            );
            let started = Instant::now();
            let text = mamori_policy::bundled::bundled("shime").context("the 志免町 profile is bundled")?;
            let profile = mamori_policy::parse_profile("shime.toml", text).map_err(|e| anyhow!("{e}"))?;
            let summary = populate(&store, org.id, &profile, &scale, SEED, true).await?;
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
    // The server refuses every page of an organization without an active profile.
    if store.active_profile(org_id).await?.is_none() {
        let text = mamori_policy::bundled::bundled("shime").context("the 志免町 profile is bundled")?;
        let profile = mamori_policy::parse_profile("shime.toml", text).map_err(|e| anyhow!("{e}"))?;
        store.activate_profile(org_id, "shime.toml", text, &profile, &actor).await?;
    }
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
        let cursor: i64 = sqlx::query("SELECT id FROM assets WHERE org_id = $1 AND department_id = $2 ORDER BY id DESC LIMIT 1 OFFSET $3")
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

    // Two signed-in people: the 統括情報セキュリティ責任者, who sees the whole organization,
    // and a member of staff without any role in the department holding the most assets, who
    // sees that department (and any below it).
    let director_person: i64 = sqlx::query(
        "SELECT person_id FROM role_assignments WHERE org_id = $1 AND role = 'security_director' AND is_deputy = 0 ORDER BY id LIMIT 1",
    )
    .bind(org_id)
    .fetch_optional(store.pool())
    .await?
    .context("nobody holds security_director")?
    .try_get(0)?;
    let mut by_size = departments.clone();
    by_size.sort_by_key(|d| (-d.1, d.0));
    let mut staff: Option<(i64, i64)> = None; // (person, department)
    for d in &by_size {
        let p = sqlx::query(
            "SELECT p.id FROM people p WHERE p.org_id = $1 AND p.department_id = $2
             AND NOT EXISTS (SELECT 1 FROM role_assignments r WHERE r.person_id = p.id) ORDER BY p.id LIMIT 1",
        )
        .bind(org_id)
        .bind(d.0)
        .fetch_optional(store.pool())
        .await?;
        if let Some(p) = p {
            staff = Some((p.try_get(0)?, d.0));
            break;
        }
    }
    let (staff_person, staff_department) = staff.context("no department with assets has a member without a role")?;
    let all_departments = store.departments(org_id).await?;
    let mut staff_visible = vec![staff_department];
    let mut i = 0;
    while i < staff_visible.len() {
        let parent = staff_visible[i];
        staff_visible.extend(all_departments.iter().filter(|d| d.parent_id == Some(parent)).map(|d| d.id));
        i += 1;
    }
    let staff_assets: i64 = departments.iter().filter(|d| staff_visible.contains(&d.0)).map(|d| d.1).sum();
    eprintln!(
        "staff member: person {staff_person} of {} ({} department(s) visible, {staff_assets} assets)",
        all_departments.iter().find(|d| d.id == staff_department).map(|d| d.name.as_str()).unwrap_or("?"),
        staff_visible.len()
    );

    let director = sign_in(&store, org_id, director_person, DIRECTOR_LOGIN, "ベンチ 統括情報セキュリティ責任者", &actor).await?;
    // The role requires a second factor: enrol one. The session below has passed it.
    sqlx::query("UPDATE users SET totp_enabled = 1, totp_secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' WHERE id = $1")
        .bind(director.0)
        .execute(store.pool())
        .await?;
    let staff_user = sign_in(&store, org_id, staff_person, STAFF_LOGIN, "ベンチ 職員", &actor).await?;

    let state = mamori_server::AppState::new(store.clone(), mamori_server::Settings::default());
    let ctx = Ctx {
        store: store.clone(),
        org_id,
        app: mamori_server::app(state),
        cookies: [format!("mamori_session={}", director.1), format!("mamori_session={}", staff_user.1)],
    };

    let mut rng = StdRng::seed_from_u64(1);
    let base = AssetFilter { limit: 50, ..Default::default() };
    let pick = |rng: &mut StdRng| *departments.choose(rng).expect("departments");
    let org_deep: i64 = sqlx::query("SELECT id FROM assets WHERE org_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2")
        .bind(org_id)
        .bind((scale.assets * 4 / 5) as i64)
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;

    use Via::{Api, Html, Store as S};
    let mut plans: Vec<Plan> = Vec::new();
    let mut add = |name: String, who: Who, vias: &[Via], cases: Vec<Case>| {
        for via in vias {
            plans.push(Plan::new(&name, who, *via, &cases, &staff_visible));
        }
    };
    let same = |case: Case| (0..requests).map(|_| case.clone()).collect::<Vec<_>>();

    add("organization, first page".into(), Who::Director, &[S, Html, Api], same(Case::new(base.clone())));
    add(
        "organization, deep page (before)".into(),
        Who::Director,
        &[S, Html],
        same(Case::new(AssetFilter { before_id: Some(org_deep), ..base.clone() })),
    );
    add(
        "organization, confidentiality 3B".into(),
        Who::Director,
        &[S],
        same(Case::new(AssetFilter { confidentiality: Some("3B".into()), ..base.clone() })),
    );
    add(
        "department, first page".into(),
        Who::Director,
        &[S, Html, Api],
        (0..requests).map(|_| Case::new(AssetFilter { department_id: Some(pick(&mut rng).0), ..base.clone() })).collect(),
    );
    add(
        "department, deep page (before)".into(),
        Who::Director,
        &[S, Html, Api],
        (0..requests)
            .map(|_| {
                let d = pick(&mut rng);
                Case::new(AssetFilter { department_id: Some(d.0), before_id: Some(d.2), ..base.clone() })
            })
            .collect(),
    );
    let text = |terms: &[&str], i: usize| Some(terms[i % terms.len()].to_owned());
    for (label, terms, vias) in [
        ("1 char", ONE_CHAR, &[S, Html][..]),
        ("2 chars", SHORT, &[S, Html, Api][..]),
        ("3 chars", TRIGRAM, &[S, Html][..]),
        ("4+ chars", LONG, &[S, Html, Api][..]),
        ("2 chars, rare", RARE_SHORT, &[S, Html][..]),
        ("4+ chars, rare", RARE_LONG, &[S, Html, Api][..]),
    ] {
        add(
            format!("search {label} {}", terms.join("/")),
            Who::Director,
            vias,
            (0..requests).map(|i| Case::new(AssetFilter { text: text(terms, i), ..base.clone() })).collect(),
        );
    }
    for (label, terms, vias) in [
        ("2 chars", SHORT, &[S, Html][..]),
        ("3 chars", TRIGRAM, &[S, Html, Api][..]),
        ("4+ chars", LONG, &[S, Html][..]),
        ("2 chars, rare", RARE_SHORT, &[S, Html][..]),
        ("4+ chars, rare", RARE_LONG, &[S, Html][..]),
    ] {
        add(
            format!("search {label} + department"),
            Who::Director,
            vias,
            (0..requests)
                .map(|i| Case::new(AssetFilter { text: text(terms, i), department_id: Some(pick(&mut rng).0), ..base.clone() }))
                .collect(),
        );
    }
    add("staff: own department, first page".into(), Who::Staff, &[S, Html], same(Case::new(base.clone())));
    for (label, terms) in [("2 chars", SHORT), ("4+ chars", LONG), ("2 chars, rare", RARE_SHORT), ("4+ chars, rare", RARE_LONG)] {
        add(
            format!("staff: search {label}"),
            Who::Staff,
            &[S, Html],
            (0..requests).map(|i| Case::new(AssetFilter { text: text(terms, i), ..base.clone() })).collect(),
        );
    }

    // How many assets each term matches, for the reader of the table.
    for t in ONE_CHAR.iter().chain(SHORT).chain(TRIGRAM).chain(LONG).chain(RARE_SHORT).chain(RARE_LONG) {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM assets WHERE org_id = $1 AND (instr(name, $2) > 0 OR instr(description, $2) > 0)")
            .bind(org_id)
            .bind(*t)
            .fetch_one(store.pool())
            .await?
            .try_get(0)?;
        eprintln!("  「{t}」 matches {n} assets");
    }

    let budget = Duration::from_secs(env_usize("MAMORI_BENCH_ROW_SECONDS")?.unwrap_or(60) as u64);
    let mut results: Vec<Measured> = Vec::new();
    for plan in &plans {
        // One untimed request warms the statement cache and the pages it touches.
        plan.reqs[0].run(&ctx).await?;
        let mut times = Vec::with_capacity(plan.reqs.len());
        let mut rows = 0usize;
        let row_started = Instant::now();
        for r in &plan.reqs {
            let t = Instant::now();
            let out = r.run(&ctx).await?;
            times.push(t.elapsed());
            rows += out.rows()?;
            if row_started.elapsed() > budget && times.len() >= 20 {
                eprintln!("  {} [{}]: stopped after {} requests ({} s budget)", plan.name, plan.via.label(), times.len(), budget.as_secs());
                break;
            }
        }
        let r = Measured::new(plan.name.clone(), plan.via, times, rows);
        eprintln!("  {} [{}]: p95 {:.1} ms", r.name, r.via.label(), r.p95);
        results.push(r);
    }

    println!();
    println!("asset register, SQLite, {} assets, limit 50, target p95 ≤ {TARGET_MS} ms", scale.assets);
    println!("via: store = Store::assets; html = GET /assets, api = GET /api/v1/assets through mamori_server::app");
    println!("     (security_director, or for `staff:` rows a member of staff who sees {} department(s))", staff_visible.len());
    println!(
        "{} {:<5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  result",
        pad("operation", 52),
        "via",
        "n",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "rows",
        "p95/50"
    );
    let mut failed = 0;
    for r in &results {
        let ratio = r.p95 / TARGET_MS;
        let verdict = if ratio <= 1.0 { "PASS" } else { "FAIL" };
        if ratio > 1.0 {
            failed += 1;
        }
        println!(
            "{} {:<5} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.1} {:>7.2}  {verdict}",
            pad(&r.name, 52),
            r.via.label(),
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

    // The plans behind the store rows, as the store itself builds the queries.
    for plan in plans.iter().filter(|p| p.via == Via::Store) {
        let Req::Store(f) = &plan.reqs[0] else { continue };
        println!("\nEXPLAIN QUERY PLAN — {} (text {:?})", plan.name, f.text.as_deref().unwrap_or(""));
        for line in store.explain_assets(org_id, f).await? {
            println!("  {line}");
        }
    }
    store.close().await;
    Ok(())
}

/// Makes sure a non-administrator user exists for the person, with a settled password, and
/// opens a session that has passed the second factor. Returns (user id, session token).
async fn sign_in(store: &Store, org_id: i64, person_id: i64, login: &str, display: &str, actor: &Actor) -> anyhow::Result<(i64, String)> {
    let hash = mamori_server::auth::hash_password("bench password, never used to sign in").map_err(|e| anyhow!("{e}"))?;
    let user = match store.user_by_login(login).await? {
        Some(u) => u,
        None => store.create_user(org_id, Some(person_id), login, display, &hash, false, actor).await?,
    };
    ensure!(
        user.org_id == org_id && user.person_id == Some(person_id) && !user.is_admin,
        "user {login} exists but is not person {person_id}'s non-administrator account"
    );
    store.set_password(&user, &hash, false, actor).await?;
    let token = mamori_server::auth::random_token();
    store.create_session(user.id, &mamori_server::auth::token_hash(&token), "csrf", true).await?;
    Ok((user.id, token))
}

struct Ctx {
    store: Store,
    org_id: i64,
    app: Router,
    /// `Cookie` header values, by [`Who`].
    cookies: [String; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Director,
    Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Store,
    Html,
    Api,
}

impl Via {
    fn label(self) -> &'static str {
        match self {
            Via::Store => "store",
            Via::Html => "html",
            Via::Api => "api",
        }
    }
}

/// One request, described once and sent to the store or through the router.
#[derive(Clone)]
struct Case {
    filter: AssetFilter,
}

impl Case {
    fn new(filter: AssetFilter) -> Self {
        Self { filter }
    }

    /// The list page's query string for the filter (the fields this benchmark uses).
    fn query(&self) -> String {
        let f = &self.filter;
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(t) = &f.text {
            params.push(("q", t.clone()));
        }
        if let Some(d) = f.department_id {
            params.push(("department_id", d.to_string()));
        }
        if let Some(c) = &f.confidentiality {
            params.push(("confidentiality", c.clone()));
        }
        if let Some(b) = f.before_id {
            params.push(("before", b.to_string()));
        }
        params.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect::<Vec<_>>().join("&")
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Plan {
    name: String,
    via: Via,
    reqs: Vec<Req>,
}

impl Plan {
    fn new(name: &str, who: Who, via: Via, cases: &[Case], staff_visible: &[i64]) -> Self {
        let reqs = cases
            .iter()
            .map(|c| match via {
                Via::Store => Req::Store(AssetFilter {
                    // What the server computes for the person (auth.rs `visible_departments`).
                    visible_departments: (who == Who::Staff).then(|| staff_visible.to_vec()),
                    ..c.filter.clone()
                }),
                Via::Html | Via::Api => {
                    let path = if via == Via::Api { "/api/v1/assets" } else { "/assets" };
                    let q = c.query();
                    Req::Http { uri: if q.is_empty() { path.to_owned() } else { format!("{path}?{q}") }, who, api: via == Via::Api }
                }
            })
            .collect();
        Self { name: name.to_owned(), via, reqs }
    }
}

enum Req {
    Store(AssetFilter),
    Http { uri: String, who: Who, api: bool },
}

/// What a request returned; rows are counted after the clock has stopped.
enum Output {
    Rows(usize),
    Html(Bytes),
    Json(Bytes),
}

impl Output {
    fn rows(&self) -> anyhow::Result<usize> {
        Ok(match self {
            Output::Rows(n) => *n,
            // One link per asset row of the register table.
            Output::Html(b) => String::from_utf8_lossy(b).matches("<td><a href=\"/assets/").count(),
            Output::Json(b) => {
                let v: serde_json::Value = serde_json::from_slice(b)?;
                v["assets"].as_array().context("no `assets` array in the API answer")?.len()
            }
        })
    }
}

impl Req {
    async fn run(&self, ctx: &Ctx) -> anyhow::Result<Output> {
        Ok(match self {
            Req::Store(f) => Output::Rows(ctx.store.assets(ctx.org_id, f).await?.len()),
            Req::Http { uri, who, api } => {
                let cookie = &ctx.cookies[*who as usize];
                let req = Request::get(uri.as_str()).header(header::COOKIE, cookie.as_str()).body(Body::empty())?;
                let res = ctx.app.clone().oneshot(req).await?;
                let status = res.status();
                let location = res.headers().get(header::LOCATION).map(|l| l.to_str().unwrap_or("?").to_owned());
                let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
                if status != StatusCode::OK {
                    bail!(
                        "GET {uri} as {who:?} answered {status} (location {location:?}), not 200:\n{}",
                        String::from_utf8_lossy(&body[..body.len().min(2000)])
                    );
                }
                if *api {
                    Output::Json(body)
                } else {
                    Output::Html(body)
                }
            }
        })
    }
}

/// Pads by display width: CJK characters take two columns.
fn pad(s: &str, width: usize) -> String {
    let w: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

struct Measured {
    name: String,
    via: Via,
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    mean_rows: f64,
}

impl Measured {
    fn new(name: String, via: Via, mut times: Vec<Duration>, rows: usize) -> Self {
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
            via,
        }
    }
}
