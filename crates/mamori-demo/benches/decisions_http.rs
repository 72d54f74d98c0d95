//! `POST /api/v1/decisions` over HTTP: decisions/s and latency with a load generator on
//! loopback, against the real server (`mamori_server::serve`) on the embedded SQLite store.
//!
//!     cargo bench -p mamori-demo --bench decisions_http
//!
//! The load generator is `wrk` (Debian package `wrk`), a separate process, so that it and the
//! server share the machine's cores as a real client and server would. The caller is a
//! machine client with a service token (`mamori token create`), as a mail gateway or file
//! server would be. Requests cycle through a few bodies (take-out of a 3B asset, sending a
//! 機密性2 mail, access to the My Number zone, a social-media post) so that every outcome is
//! exercised. Before timing, each body's answer is checked.
//!
//! Environment: `MAMORI_BENCH_HTTP_SECONDS` (default 10), `MAMORI_BENCH_HTTP_CONNECTIONS`
//! (default 32), `MAMORI_BENCH_HTTP_THREADS` (server worker threads, default 2).
//! Targets: ≥ 20,000 decisions/s and p99 ≤ 10 ms.

mod common;

use anyhow::{ensure, Context};
use mamori_store::testing::TestDb;
use mamori_store::Actor;
use serde_json::{json, Value};

use common::{HttpBench, Server, COUNT_NON_2XX};

const TARGET_RATE: f64 = 20_000.0;
const TARGET_P99_MS: f64 = 10.0;

fn bodies() -> Vec<(Value, &'static str)> {
    vec![
        (
            json!({"action": "take_out", "object": {"classes": {"confidentiality": "3B", "integrity": "2", "availability": "1"}}, "context": {"facts": ["encrypted"], "location": "outside"}}),
            "needs_approval",
        ),
        (
            json!({"action": "send", "object": {"classes": {"confidentiality": "2", "integrity": "1", "availability": "1"}}, "context": {"location": "office"}}),
            "permitted",
        ),
        (json!({"action": "access_system", "object": {"zone": "mynumber"}, "context": {"facts": ["mfa"]}}), "permitted"),
        (json!({"action": "post_social_media", "object": {"classes": {"confidentiality": "2"}}}), "denied"),
    ]
}

/// A wrk script that cycles through the bodies.
fn lua_script(token: &str) -> String {
    let mut s = String::from("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
    s.push_str(&format!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"\nlocal bodies = {{\n"));
    for (b, _) in bodies() {
        // JSON text inside a Lua long string: no escaping needed.
        s.push_str(&format!("  [[{b}]],\n"));
    }
    s.push_str("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])\nend\n");
    s.push_str(COUNT_NON_2XX);
    s
}

fn main() -> anyhow::Result<()> {
    let bench = HttpBench::from_env()?;
    let (seconds, connections, threads) = (bench.seconds, bench.connections, bench.threads);
    bench.runtime()?.block_on(async move {
        let db = TestDb::sqlite().await;
        let store = db.store.clone();
        let actor = Actor::system("bench");
        let org = store.create_organization("bench", "志免町（ベンチマーク）", &actor).await?;
        let text = mamori_policy::bundled::bundled("shime").context("the 志免町 profile is bundled")?;
        let profile = mamori_policy::parse_profile("shime.toml", text).map_err(|e| anyhow::anyhow!("{e}"))?;
        store.activate_profile(org.id, "shime.toml", text, &profile, &actor).await?;
        let token = mamori_server::auth::new_service_token();
        store.create_api_token(org.id, "bench", &mamori_server::auth::token_hash(&token), &actor).await?;

        let state = mamori_server::AppState::new(store.clone(), mamori_server::Settings::default());
        let server = Server::start(state).await?;
        let url = server.url("/api/v1/decisions");

        // Each body's answer, checked before timing.
        let http = reqwest::Client::new();
        for (body, want) in bodies() {
            let res = http.post(&url).bearer_auth(&token).json(&body).send().await?;
            ensure!(res.status() == 200, "{body}: HTTP {}", res.status());
            let d: Value = res.json().await?;
            ensure!(d["outcome"] == want, "{body}: expected {want}, got {d}");
        }

        let dir = tempfile::tempdir()?;
        let script = dir.path().join("decisions.lua");
        std::fs::write(&script, lua_script(&token))?;
        let r = bench.measure(&script, &url).await?;
        server.stop().await?;

        let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
        println!();
        println!("POST /api/v1/decisions over HTTP on loopback (wrk -t1 -c{connections} -d{seconds}s; server: {threads} tokio workers; SQLite store; service token)");
        println!("{:<34}{:>16}{:>16}", "", "measured", "target");
        println!("{:<34}{:>16.0}{:>16}  {}", "decisions/s", r.rate, format!("≥ {TARGET_RATE:.0}"), verdict(r.rate >= TARGET_RATE));
        println!("{:<34}{:>13.3} ms{:>16}", "p50 latency", r.p50, "");
        println!("{:<34}{:>13.3} ms{:>16}", "p90 latency", r.p90, "");
        println!("{:<34}{:>13.3} ms{:>16}  {}", "p99 latency", r.p99, format!("≤ {TARGET_P99_MS} ms"), verdict(r.p99 <= TARGET_P99_MS));
        println!("{:<34}{:>16}", "requests", r.requests);
        println!("{:<34}{:>16}", "non-2xx answers", r.non2xx);
        println!("{:<34}{:>13.1} µs", "server CPU per decision", r.cpu_us_per_request);
        println!("{:<34}{:>16}", "cores, load average", format!("{}, {}", HttpBench::cores(), common::load_average()));
        if !r.errors.is_empty() {
            println!("wrk reported: {}", r.errors);
        }
        ensure!(r.non2xx == 0, "{} answers were not 2xx", r.non2xx);
        Ok(())
    })
}
