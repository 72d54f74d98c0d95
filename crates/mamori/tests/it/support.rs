//! Shared helpers: running the binary, guarded child processes, free ports.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `mamori` binary cargo built for these tests.
pub fn mamori_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mamori")
}

/// The workspace root (where `profiles/` and `target/` live).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// Environment variables the binary reads that must not leak in from the caller's shell.
const MAMORI_ENV: &[&str] = &[
    "MAMORI_DATA_DIR",
    "MAMORI_DATABASE_URL",
    "MAMORI_LISTEN",
    "MAMORI_LOCKOUT_LIMIT",
    "MAMORI_SESSION_IDLE_MINUTES",
    "MAMORI_SECURE_COOKIES",
    "MAMORI_SMTP_URL",
    "MAMORI_MAIL_FROM",
    "MAMORI_BASE_URL",
];

/// A `mamori` command with a clean environment.
pub fn mamori(args: &[&str]) -> Command {
    let mut cmd = Command::new(mamori_bin());
    cmd.args(args);
    for v in MAMORI_ENV {
        cmd.env_remove(v);
    }
    cmd.env("MAMORI_LOG", "warn");
    cmd
}

/// The result of one finished command, printable in full for failure messages.
pub struct Run {
    pub command: String,
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.command)?;
        writeln!(f, "status:  {}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl Run {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics with the command and its output unless it succeeded.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "the command failed\n{self}");
        self
    }

    /// Panics with the command and its output unless it failed (non-zero exit).
    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(!self.success() && self.status.code().is_some(), "the command should have failed with an exit code\n{self}");
        self
    }

    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(self.stdout.contains(needle), "stdout should contain {needle:?}\n{self}");
        self
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(self.stderr.contains(needle), "stderr should contain {needle:?}\n{self}");
        self
    }
}

/// Runs `mamori ARGS` to completion (killed after two minutes, so a command that should
/// have failed but serves instead cannot hang the test).
pub fn run(args: &[&str]) -> Run {
    let command = format!("mamori {}", args.join(" "));
    let mut child = mamori(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", mamori_bin()));
    let read = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = read(child.stdout.take().map(|s| Box::new(s) as _));
    let err = read(child.stderr.take().map(|s| Box::new(s) as _));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for mamori") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{command} did not finish within 2 minutes\n--- stdout ---\n{}\n--- stderr ---\n{}",
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { command, status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() }
}

/// A child process that is killed when the guard goes out of scope, also on panic. Its
/// stderr (and, for helpers, stdout) goes to a log file that is printed on a panic.
pub struct ChildGuard {
    pub name: &'static str,
    child: Child,
    log: PathBuf,
}

impl ChildGuard {
    pub fn new(name: &'static str, child: Child, log: PathBuf) -> Self {
        Self { name, child, log }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- last lines of the {} log ({}) ---", self.name, self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A running `mamori serve`.
pub struct Server {
    pub base: String,
    /// Kills the server when the `Server` is dropped.
    _guard: ChildGuard,
}

/// Starts `mamori serve --data-dir DIR --listen 127.0.0.1:0` and reads the address it prints.
pub fn start_server(data_dir: &Path, log_dir: &Path) -> Server {
    let log = log_dir.join("mamori-serve.log");
    let stderr = std::fs::File::create(&log).expect("server log file");
    let data = data_dir.to_str().expect("UTF-8 path");
    let mut child = mamori(&["serve", "--data-dir", data, "--listen", "127.0.0.1:0"])
        .env("MAMORI_LOG", "info,sqlx=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("starting mamori serve");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = ChildGuard { name: "mamori serve", child, log };
    // Read stdout on a thread (and keep draining it) so that a silent server cannot hang us.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("http://") {
                    if line.contains("で待ち受けています") {
                        let addr = rest.split('/').next().unwrap_or_default();
                        return Server { base: format!("http://{addr}"), _guard: guard };
                    }
                }
                seen.push(line);
            }
            Err(e) => panic!(
                "mamori serve did not print its address ({e:?}); stdout so far:\n{}\n--- log ---\n{}",
                seen.join("\n"),
                guard.log_text()
            ),
        }
    }
}

/// Starts chromedriver on a free port and waits until it answers `/status`.
pub async fn start_chromedriver(log_dir: &Path) -> (String, ChildGuard) {
    const DRIVER: &str = "/usr/bin/chromedriver";
    assert!(
        Path::new(DRIVER).exists(),
        "{DRIVER} is missing: the browser test needs Debian's chromium-driver (apt-get install chromium chromium-driver)"
    );
    let port = free_port();
    let log = log_dir.join("chromedriver.log");
    let out = std::fs::File::create(&log).expect("chromedriver log file");
    let err = out.try_clone().expect("log file handle");
    let child = Command::new(DRIVER)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {DRIVER}: {e}"));
    let guard = ChildGuard { name: "chromedriver", child, log };
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(r) = http.get(format!("{url}/status")).send().await {
            if r.status().is_success() {
                return (url, guard);
            }
        }
        assert!(std::time::Instant::now() < deadline, "chromedriver did not answer on {url}\n--- log ---\n{}", guard.log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates the organization `testtown` with 志免町's profile; returns the admin's
/// temporary password.
pub fn create_org(data_dir: &Path) -> String {
    let data = data_dir.to_str().expect("UTF-8 path");
    let run = run(&["org", "create", "--data-dir", data, "--create", "--code", "testtown", "--profile", "shime", "--admin", "admin"]);
    run.assert_success();
    temporary_password_from(&run, "admin")
}

/// The password from a line `管理者 LOGIN の仮パスワード: XXXX`.
#[track_caller]
pub fn temporary_password_from(run: &Run, login: &str) -> String {
    let prefix = format!("管理者 {login} の仮パスワード: ");
    let password = run
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix(&prefix).map(|p| p.trim().to_owned()))
        .unwrap_or_else(|| panic!("no line {prefix:?} in the output\n{run}"));
    assert!(password.len() >= 12, "the temporary password {password:?} looks too short\n{run}");
    password
}

/// Runs `mamori` with exactly these arguments and waits for it.
pub fn run_plain(args: &[&str]) -> Run {
    let output = mamori(args).output().expect("run mamori");
    Run {
        command: format!("mamori {}", args.join(" ")),
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `mamori` against a test database, signing with the key file at `key`.
pub fn run_with_key(db: &mamori_store::testing::TestDb, key: &Path, args: &[&str]) -> Run {
    let mut full: Vec<&str> = args.to_vec();
    let key = key.display().to_string();
    full.extend(["--database-url", db.url.as_str(), "--ledger-key", key.as_str()]);
    run_plain(&full)
}

/// Runs `mamori` against a test database and its own ledger key.
pub fn run_with(db: &mamori_store::testing::TestDb, args: &[&str]) -> Run {
    run_with_key(db, &db.key_path, args)
}
