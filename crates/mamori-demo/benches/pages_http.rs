//! The pages a staff member opens, over HTTP: requests/s and latency with a load generator
//! on loopback, against the real server (`mamori_server::serve`) on the embedded SQLite
//! store, side by side with `/healthz` as the ceiling of this machine.
//!
//!     cargo bench -p mamori-demo --bench pages_http
//!
//! The data is the 志免町 demo, built as `mamori demo` builds it (the bundled profile, the
//! town's chart, staff and asset register, and a sign-in for each of the demo's jobs). The
//! caller is the demo's ordinary staff member of 住民課 (`jumin-staff`, no role), signed in
//! through `POST /login` with the sign-in form's CSRF token: every request carries that
//! session cookie, which the server looks up and checks as for a browser. The load generator
//! is `wrk` (Debian package `wrk`), a separate process, so that it and the server share the
//! machine's cores as a real client and server would. Before timing, each page is checked to
//! answer 200 with what it must show, so that a redirect to the sign-in page is not measured.
//!
//! Environment: `MAMORI_BENCH_HTTP_SECONDS` (default 10 per page), `MAMORI_BENCH_HTTP_CONNECTIONS`
//! (default 32), `MAMORI_BENCH_HTTP_THREADS` (server worker threads, default 2).
//! Targets for every page: ≥ 1,000 requests/s and p99 ≤ 100 ms.

mod common;

use anyhow::{anyhow, ensure, Context};
use mamori_store::testing::TestDb;
use mamori_store::Actor;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use common::{HttpBench, Server, COUNT_NON_2XX};

const TARGET_RATE: f64 = 1_000.0;
const TARGET_P99_MS: f64 = 100.0;
/// The demo's seed (`mamori demo`).
const SEED: u64 = 20261122;
const STAFF_PASSWORD: &str = "bench-staff-password-2026";

/// One page to measure: its path (percent-encoded, as wrk sends it), a label for the table,
/// and what its answer must contain.
struct Page {
    path: &'static str,
    label: &'static str,
    check: fn(&str) -> anyhow::Result<()>,
}

fn pages() -> Vec<Page> {
    vec![
        Page { path: "/healthz", label: "/healthz (ceiling)", check: |b| contains(b, "ok") },
        Page {
            path: "/",
            label: "/ (dashboard)",
            check: |b| {
                contains(b, "ダッシュボード")?;
                contains(b, "jumin-staff")?;
                contains(b, "id=\"yearly-card\"")?;
                contains(b, "id=\"ledger-card\"")
            },
        },
        Page { path: "/assets", label: "/assets", check: |b| asset_rows(b, 50) },
        // 「住民」: two characters, the bigram index's smallest term.
        Page { path: "/assets?q=%E4%BD%8F%E6%B0%91", label: "/assets?q=住民", check: |b| asset_rows(b, 1) },
        Page {
            path: "/api/v1/assets",
            label: "/api/v1/assets",
            check: |b| {
                let v: serde_json::Value = serde_json::from_str(b)?;
                let n = v["assets"].as_array().map(Vec::len).unwrap_or(0);
                ensure!(n == 50, "expected a page of 50 assets, got {n}: {}", &b[..b.len().min(200)]);
                Ok(())
            },
        },
    ]
}

fn contains(body: &str, what: &str) -> anyhow::Result<()> {
    ensure!(body.contains(what), "the answer lacks {what:?}: {}", &body[..body.len().min(300)]);
    Ok(())
}

/// The asset list's table with at least `min` rows.
fn asset_rows(body: &str, min: usize) -> anyhow::Result<()> {
    contains(body, "<table id=\"assets\">")?;
    let rows = body.matches("<td><a href=\"/assets/").count();
    ensure!(rows >= min, "expected at least {min} asset rows, got {rows}");
    Ok(())
}

/// A wrk script that sends the session cookie and counts answers outside 2xx.
fn lua_script(cookie: &str) -> String {
    format!("wrk.headers[\"Cookie\"] = \"{cookie}\"\n{COUNT_NON_2XX}")
}

/// `name=value` of a `Set-Cookie` header named `name`.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let pair = v.split(';').next()?.trim();
        pair.strip_prefix(name)?.strip_prefix('=').map(|value| format!("{name}={value}"))
    })
}

/// Signs in as a browser does: the form (its CSRF cookie and field), then `POST /login`.
/// Returns the session cookie.
async fn sign_in(server: &Server, login: &str, password: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let form = http.get(server.url("/login")).send().await?;
    ensure!(form.status() == 200, "GET /login: HTTP {}", form.status());
    let csrf_cookie = set_cookie(&form, mamori_server::auth::LOGIN_CSRF_COOKIE).context("no sign-in CSRF cookie")?;
    let html = form.text().await?;
    let field = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no csrf field in the sign-in form")?
        .to_owned();
    let res = http
        .post(server.url("/login"))
        .header(COOKIE, csrf_cookie)
        .form(&[("csrf", field.as_str()), ("login", login), ("password", password)])
        .send()
        .await?;
    ensure!(res.status().is_redirection(), "POST /login: HTTP {}", res.status());
    let to = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    ensure!(to == "/", "POST /login sent the staff member to {to}, not the dashboard");
    set_cookie(&res, mamori_server::auth::SESSION_COOKIE).context("no session cookie")
}

fn main() -> anyhow::Result<()> {
    let bench = HttpBench::from_env()?;
    let (seconds, connections, threads) = (bench.seconds, bench.connections, bench.threads);
    bench.runtime()?.block_on(async move {
        // The demo, as `mamori demo` builds it (crates/mamori/src/main.rs).
        let db = TestDb::sqlite().await;
        let store = db.store.clone();
        let actor = Actor::system("demo");
        let text = mamori_policy::bundled::bundled("shime").context("the 志免町 profile is bundled")?;
        let profile = mamori_policy::parse_profile("shime.toml", text).map_err(|e| anyhow!("{e}"))?;
        let org = store.create_organization(profile.profile.id.as_str(), &profile.organization.name, &actor).await?;
        store.activate_profile(org.id, "shime.toml", text, &profile, &actor).await?;
        let hash = |p: &str| mamori_server::auth::hash_password(p).map_err(|e| anyhow!("{e}"));
        let temporary = hash(&mamori_server::auth::temporary_password())?;
        store.create_user(org.id, None, "admin", "システム管理者", &temporary, true, &actor).await?;
        let scale = mamori_demo::DemoScale::for_profile(&profile);
        eprintln!("building the demo: {} assets, {} staff", scale.assets, scale.staff);
        let summary = mamori_demo::populate(&store, org.id, &profile, &scale, SEED, false).await?;
        let mut staff = None;
        for login in &summary.logins {
            let person = store.person(org.id, login.person_id).await?;
            let user = store.create_user(org.id, Some(login.person_id), &login.login, &person.name, &temporary, false, &actor).await?;
            if Some(login.person_id) == summary.staff_person_id {
                staff = Some(user);
            }
        }
        let staff = staff.context("the demo has a staff member without a role")?;
        // The one-time password replaced, as at the first sign-in (`/account/password`).
        store.set_password(&staff, &hash(STAFF_PASSWORD)?, false, &actor).await?;

        let state = mamori_server::AppState::new(store.clone(), mamori_server::Settings::default());
        let server = Server::start(state).await?;
        let cookie = sign_in(&server, &staff.login, STAFF_PASSWORD).await?;

        // Each page's answer, checked before timing.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        for p in pages() {
            let res = http.get(server.url(p.path)).header(COOKIE, &cookie).send().await?;
            ensure!(res.status() == 200, "{}: HTTP {}", p.path, res.status());
            let body = res.text().await?;
            (p.check)(&body).with_context(|| p.path.to_owned())?;
        }

        let dir = tempfile::tempdir()?;
        let script = dir.path().join("pages.lua");
        std::fs::write(&script, lua_script(&cookie))?;
        let load_before = common::load_average();
        let mut results = Vec::new();
        for p in pages() {
            let r = bench.measure(&script, &server.url(p.path)).await?;
            results.push((p, r));
        }
        // The session is still valid after the run (and was never ended by the server).
        let after = http.get(server.url("/")).header(COOKIE, &cookie).send().await?;
        ensure!(after.status() == 200, "after the run, /: HTTP {}", after.status());
        server.stop().await?;

        let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
        let ceiling = results[0].1.rate;
        println!();
        println!(
            "Pages over HTTP on loopback (wrk -t1 -c{connections} -d{seconds}s each; server: {threads} tokio workers; SQLite store; \
             志免町 demo, {} assets; signed in as {} (staff, no role))",
            summary.assets, staff.login
        );
        println!(
            "target: ≥ {TARGET_RATE:.0} requests/s and p99 ≤ {TARGET_P99_MS:.0} ms; {} cores, load average {load_before} before, {} after",
            HttpBench::cores(),
            common::load_average()
        );
        println!(
            "{:<22}{:>12}{:>11}{:>11}{:>11}{:>10}{:>11}{:>13}{:>9}",
            "page", "requests/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "/healthz", "CPU µs/req", "target"
        );
        let mut failed = Vec::new();
        for (p, r) in &results {
            let ok = r.rate >= TARGET_RATE && r.p99 <= TARGET_P99_MS && r.non2xx == 0;
            if !ok {
                failed.push(p.label);
            }
            println!(
                "{:<w$}{:>12.0}{:>11.2}{:>11.2}{:>11.2}{:>10}{:>10.2}×{:>13.0}{:>9}",
                p.label,
                r.rate,
                r.p50,
                r.p90,
                r.p99,
                r.non2xx,
                r.rate / ceiling,
                r.cpu_us_per_request,
                verdict(ok),
                // A Japanese character takes two columns.
                w = 22 - p.label.chars().filter(|c| !c.is_ascii()).count()
            );
            if !r.errors.is_empty() {
                println!("    wrk reported: {} ({} requests)", r.errors, r.requests);
            }
        }
        ensure!(results.iter().all(|(_, r)| r.non2xx == 0), "some answers were not 2xx");
        if !failed.is_empty() {
            eprintln!("below target: {}", failed.join(", "));
        }
        drop(db);
        Ok(())
    })
}
