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

use std::process::Command;

use anyhow::{bail, ensure, Context};
use mamori_store::testing::TestDb;
use mamori_store::Actor;
use serde_json::{json, Value};

const TARGET_RATE: f64 = 20_000.0;
const TARGET_P99_MS: f64 = 10.0;

fn env_u64(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v}")),
        Err(_) => Ok(default),
    }
}

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
    s.push_str("local bad = 0\nresponse = function(status, headers, body)\n  if status ~= 200 then bad = bad + 1 end\nend\n");
    s.push_str("done = function(summary, latency, requests)\n  io.write(string.format(\"non200 %d\\n\", bad))\nend\n");
    s
}

/// "1.23ms" / "456.00us" / "2.1s" → milliseconds.
fn millis(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, unit) = t.find(|c: char| c.is_ascii_alphabetic()).map(|i| t.split_at(i))?;
    let v: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => return None,
    })
}

struct WrkResult {
    rate: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    requests: u64,
    errors: String,
    non200: u64,
}

fn parse_wrk(out: &str) -> anyhow::Result<WrkResult> {
    let mut r = WrkResult { rate: 0.0, p50: f64::NAN, p90: f64::NAN, p99: f64::NAN, requests: 0, errors: String::new(), non200: 0 };
    for line in out.lines() {
        let l = line.trim();
        let mut parts = l.split_whitespace();
        match parts.next() {
            Some("Requests/sec:") => r.rate = parts.next().and_then(|v| v.parse().ok()).context("Requests/sec")?,
            Some("50%") => r.p50 = parts.next().and_then(millis).context("50%")?,
            Some("90%") => r.p90 = parts.next().and_then(millis).context("90%")?,
            Some("99%") => r.p99 = parts.next().and_then(millis).context("99%")?,
            Some("non200") => r.non200 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            Some("Socket") | Some("Non-2xx") => r.errors.push_str(l),
            _ => {
                if l.contains("requests in") {
                    r.requests = l.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0);
                }
            }
        }
    }
    ensure!(r.rate > 0.0, "could not read wrk's output:\n{out}");
    Ok(r)
}

fn main() -> anyhow::Result<()> {
    let seconds = env_u64("MAMORI_BENCH_HTTP_SECONDS", 10)?;
    let connections = env_u64("MAMORI_BENCH_HTTP_CONNECTIONS", 32)?;
    let threads = env_u64("MAMORI_BENCH_HTTP_THREADS", 2)? as usize;
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed: apt-get install wrk");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
    rt.block_on(async move {
        let db = TestDb::sqlite().await;
        let store = db.store.clone();
        let actor = Actor::system("bench");
        let org = store.create_organization("bench", "志免町（ベンチマーク）", &actor).await?;
        let text = mamori_policy::bundled::bundled("shime").context("the 志免町 profile is bundled")?;
        let profile = mamori_policy::parse_profile("shime.toml", text).map_err(|e| anyhow::anyhow!("{e}"))?;
        store.activate_profile(org.id, "shime.toml", text, &profile, &actor).await?;
        let token = mamori_server::auth::new_service_token();
        store.create_api_token(org.id, "bench", &mamori_server::auth::token_hash(&token), &actor).await?;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = mamori_server::AppState::new(store.clone(), mamori_server::Settings::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(mamori_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let url = format!("http://{addr}/api/v1/decisions");

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
        let script_path = script.clone();
        let target = url.clone();
        let run = move |secs: u64| {
            Command::new("wrk")
                .args(["-t1", &format!("-c{connections}"), &format!("-d{secs}s"), "--latency", "-s"])
                .arg(&script_path)
                .arg(&target)
                .output()
        };
        eprintln!("warm-up 2 s");
        let warm = tokio::task::spawn_blocking({
            let run = run.clone();
            move || run(2)
        })
        .await??;
        ensure!(warm.status.success(), "wrk failed: {}", String::from_utf8_lossy(&warm.stderr));
        eprintln!("measuring {seconds} s, {connections} connections, server on {threads} worker threads");
        let out = tokio::task::spawn_blocking(move || run(seconds)).await??;
        ensure!(out.status.success(), "wrk failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!("{text}");
        let r = parse_wrk(&text)?;
        let _ = stop.send(());
        server.await??;

        let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
        println!();
        println!("POST /api/v1/decisions over HTTP on loopback (wrk -t1 -c{connections} -d{seconds}s; server: {threads} tokio workers; SQLite store; service token)");
        println!("{:<34}{:>16}{:>16}", "", "measured", "target");
        println!("{:<34}{:>16.0}{:>16}  {}", "decisions/s", r.rate, format!("≥ {TARGET_RATE:.0}"), verdict(r.rate >= TARGET_RATE));
        println!("{:<34}{:>13.3} ms{:>16}", "p50 latency", r.p50, "");
        println!("{:<34}{:>13.3} ms{:>16}", "p90 latency", r.p90, "");
        println!("{:<34}{:>13.3} ms{:>16}  {}", "p99 latency", r.p99, format!("≤ {TARGET_P99_MS} ms"), verdict(r.p99 <= TARGET_P99_MS));
        println!("{:<34}{:>16}", "requests", r.requests);
        println!("{:<34}{:>16}", "non-200 answers", r.non200);
        if !r.errors.is_empty() {
            println!("wrk reported: {}", r.errors);
        }
        ensure!(r.non200 == 0, "{} answers were not 200", r.non200);
        Ok(())
    })
}
