//! What the HTTP benchmarks share: their settings from the environment, the real server on
//! loopback, and `wrk` (Debian package `wrk`) as a separate load generator, with its output
//! read back into figures.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, ensure, Context};

/// The run's settings: `MAMORI_BENCH_HTTP_SECONDS` (default 10), `MAMORI_BENCH_HTTP_CONNECTIONS`
/// (default 32), `MAMORI_BENCH_HTTP_THREADS` (server worker threads, default 2).
pub struct HttpBench {
    pub seconds: u64,
    pub connections: u64,
    pub threads: usize,
}

impl HttpBench {
    /// Reads the settings and checks that wrk is there.
    pub fn from_env() -> anyhow::Result<Self> {
        let bench = Self {
            seconds: env_u64("MAMORI_BENCH_HTTP_SECONDS", 10)?,
            connections: env_u64("MAMORI_BENCH_HTTP_CONNECTIONS", 32)?,
            threads: env_u64("MAMORI_BENCH_HTTP_THREADS", 2)? as usize,
        };
        if Command::new("wrk").arg("--version").output().is_err() {
            bail!("wrk is not installed: apt-get install wrk");
        }
        Ok(bench)
    }

    /// The server's runtime: as many tokio workers as the settings say.
    pub fn runtime(&self) -> anyhow::Result<tokio::runtime::Runtime> {
        Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(self.threads).enable_all().build()?)
    }

    /// Runs wrk with `script` against `url`: a 2-second warm-up, then the measured run.
    pub async fn measure(&self, script: &Path, url: &str) -> anyhow::Result<WrkResult> {
        let run = |secs: u64| {
            let (script, url, connections) = (script.to_owned(), url.to_owned(), self.connections);
            tokio::task::spawn_blocking(move || {
                Command::new("wrk")
                    .args(["-t1", &format!("-c{connections}"), &format!("-d{secs}s"), "--latency", "-s"])
                    .arg(&script)
                    .arg(&url)
                    .output()
            })
        };
        eprintln!("{url}: warm-up 2 s");
        let warm = run(2).await??;
        ensure!(warm.status.success(), "wrk failed: {}", String::from_utf8_lossy(&warm.stderr));
        eprintln!("{url}: measuring {} s, {} connections, server on {} worker threads", self.seconds, self.connections, self.threads);
        let cpu_before = process_cpu_seconds();
        let out = run(self.seconds).await??;
        let cpu = process_cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
        ensure!(out.status.success(), "wrk failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!("{text}");
        let mut r = parse_wrk(&text)?;
        r.cpu_us_per_request = cpu.map(|c| c * 1e6 / r.requests.max(1) as f64).unwrap_or(f64::NAN);
        Ok(r)
    }
}

/// The CPU time this process (the server) has used, user and system, from `/proc/self/stat`.
/// Divided by the requests served, it is the cost of one request whatever else the machine
/// is running, where requests/s and latency also measure the other load.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The machine's load averages over 1, 5 and 15 minutes (`/proc/loadavg`), to print beside
/// the figures: the benchmark shares the machine with whatever else runs.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

impl HttpBench {
    /// The machine's cores, as the benchmark prints them.
    pub fn cores() -> usize {
        std::thread::available_parallelism().map(usize::from).unwrap_or(1)
    }
}

fn env_u64(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v}")),
        Err(_) => Ok(default),
    }
}

/// The real server (`mamori_server::serve`) on a loopback port of its own, until [`Server::stop`].
pub struct Server {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(state: mamori_server::AppState) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(mamori_server::serve(listener, state, wait(stopped)));
        Ok(Self { addr, stop, task })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}

async fn wait(stopped: tokio::sync::oneshot::Receiver<()>) {
    let _ = stopped.await;
}

/// The Lua that counts answers outside 2xx and prints the count as `non2xx N` when wrk is done.
pub const COUNT_NON_2XX: &str = "local bad = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format(\"non2xx %d\\n\", bad))
end
";

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

pub struct WrkResult {
    pub rate: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub requests: u64,
    /// wrk's own report of socket errors, if any.
    pub errors: String,
    /// Answers outside 2xx, as the script ([`COUNT_NON_2XX`]) counted them.
    pub non2xx: u64,
    /// The server's CPU time per request (user and system, all its threads), in µs.
    pub cpu_us_per_request: f64,
}

fn parse_wrk(out: &str) -> anyhow::Result<WrkResult> {
    let mut r = WrkResult {
        rate: 0.0,
        p50: f64::NAN,
        p90: f64::NAN,
        p99: f64::NAN,
        requests: 0,
        errors: String::new(),
        non2xx: 0,
        cpu_us_per_request: f64::NAN,
    };
    for line in out.lines() {
        let l = line.trim();
        let mut parts = l.split_whitespace();
        match parts.next() {
            Some("Requests/sec:") => r.rate = parts.next().and_then(|v| v.parse().ok()).context("Requests/sec")?,
            Some("50%") => r.p50 = parts.next().and_then(millis).context("50%")?,
            Some("90%") => r.p90 = parts.next().and_then(millis).context("90%")?,
            Some("99%") => r.p99 = parts.next().and_then(millis).context("99%")?,
            Some("non2xx") => r.non2xx = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0),
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
