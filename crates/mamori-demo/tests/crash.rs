//! Crash safety of the ledger: a process appending from concurrent writers is killed with
//! SIGKILL mid-stream; the reopened database must verify, and every change the process
//! acknowledged (`ack <seq>` printed after its commit returned) must be there, with the
//! sequence gap-free from 1. Then the store must go on appending where it stopped. Each
//! test kills the process `ROUNDS` times over the same database, so later rounds also
//! start from a database that has been through a crash.
//!
//! PostgreSQL runs against a fresh database on the server named by
//! `MAMORI_TEST_POSTGRES_URL` (default the local one), dropped afterwards. A server that
//! cannot be reached fails the test; it never skips.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mamori_store::{Actor, NewEvent, OpenOptions, Store};
use sqlx::{Connection, Executor, Row};

const MIN_ACKS: usize = 300;
const ROUNDS: usize = 3;
const ACK_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime")
}

/// Kills the child if the test ends before it did.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs the stress binary until at least `MIN_ACKS` acks have arrived, kills it with
/// SIGKILL, and returns every seq it acknowledged (including acks that were already in the
/// pipe when it died).
fn run_and_kill(url: &str, key: &Path) -> Vec<i64> {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mamori-ledger-stress"))
        .args(["--database-url", url, "--key"])
        .arg(key)
        .args(["--writers", "8"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn mamori-ledger-stress");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut running = Running(Some(child));
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let parse = |line: &str| -> i64 {
        line.strip_prefix("ack ").and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("unexpected output line {line:?}"))
    };
    let mut acks = Vec::new();
    while acks.len() < MIN_ACKS {
        let left = ACK_TIMEOUT.checked_sub(started.elapsed()).unwrap_or_default();
        match rx.recv_timeout(left) {
            Ok(line) => acks.push(parse(&line)),
            Err(e) => {
                let status = running.0.as_mut().and_then(|c| c.try_wait().ok().flatten());
                panic!("only {} acks after {:?} ({e}); the stress process: {status:?}", acks.len(), started.elapsed());
            }
        }
    }
    let mut child = running.0.take().expect("still running");
    // `Child::kill` sends SIGKILL on Unix: no destructor, no flush, no rollback runs.
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    let before_kill = acks.len();
    // Whatever was written to the pipe before the kill was acknowledged too.
    reader.join().expect("reader thread");
    acks.extend(rx.try_iter().map(|l| parse(&l)));
    eprintln!("killed after {:?}: {before_kill} acks when SIGKILL was sent, {} in all ({status})", started.elapsed(), acks.len());
    acks
}

/// Reopens the database with the same key and checks it against the acks.
async fn check_after_crash(url: &str, key_path: &Path, acks: &[i64]) {
    let key = Arc::new(mamori_store::keyfile::load(key_path, false).expect("the key file is still there").0);
    let store = Store::open(url, OpenOptions { ledger_key: Some(key.clone()), ..Default::default() }).await.expect("reopen");
    let org_id = store.organizations().await.unwrap().into_iter().find(|o| o.code == "stress").expect("organization stress").id;

    let started = Instant::now();
    let report = store.verify_ledger(org_id, key.verifying_key(), &[]).await.expect("verify");
    assert!(report.ok(), "the ledger does not verify after SIGKILL: {} problems: {:#?}", report.problem_count, report.problems);
    eprintln!("verified {} entries, {} checkpoints in {:?}", report.entries, report.checkpoints, started.elapsed());

    let seqs: Vec<i64> = sqlx::query("SELECT seq FROM events WHERE org_id = $1 ORDER BY seq")
        .bind(org_id)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    let max = *seqs.last().expect("events");
    assert!(seqs.iter().copied().eq(1..=max), "event seqs are not gap-free 1..={max}");
    assert_eq!(report.entries, max as u64, "every event is a ledger entry");
    let status = store.ledger_status(org_id).await.unwrap();
    assert_eq!(status.size, max as u64, "ledger_size");
    let event_seq: i64 = sqlx::query("SELECT event_seq FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(event_seq, max, "the organization's event counter");

    let mut sorted = acks.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), acks.len(), "a seq was acknowledged twice");
    let lost: Vec<i64> = sorted.iter().copied().filter(|s| *s < 1 || *s > max).collect();
    assert!(lost.is_empty(), "acknowledged but not in the database (max seq {max}): {lost:?}");
    let appended: i64 = sqlx::query("SELECT COUNT(*) FROM events WHERE org_id = $1 AND action = 'stress.append'")
        .bind(org_id)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    eprintln!(
        "{} acks in all, highest acked {}, {max} events kept ({} appends committed but never acknowledged: the kill came between commit and print)",
        acks.len(),
        sorted.last().unwrap(),
        appended - acks.len() as i64
    );

    // The store goes on where the crash left it.
    let w = store.begin_write(org_id).await.unwrap();
    let seq = w.commit(&Actor::system("test"), NewEvent::new("stress.after", "stress", 0, serde_json::json!({}))).await.unwrap();
    assert_eq!(seq, max + 1);
    let report = store.verify_ledger(org_id, key.verifying_key(), &[]).await.unwrap();
    assert!(report.ok(), "after one more append: {:#?}", report.problems);
    assert_eq!(report.entries, (max + 1) as u64);
    store.close().await;
}

/// Kills the stress process `ROUNDS` times over one database, checking after each.
fn crash_rounds(url: &str, key: &Path) {
    let rt = runtime();
    let mut acks = Vec::new();
    for round in 1..=ROUNDS {
        let new = run_and_kill(url, key);
        assert!(new.len() >= MIN_ACKS, "round {round}");
        acks.extend(new);
        rt.block_on(check_after_crash(url, key, &acks));
    }
}

#[test]
fn sqlite_survives_sigkill_with_every_ack() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let url = mamori_store::sqlite_url_in(dir.path());
    let key: PathBuf = mamori_store::keyfile::default_path(dir.path());
    crash_rounds(&url, &key);
    eprintln!("sqlite crash test: {:?}", started.elapsed());
}

/// A fresh PostgreSQL database, dropped when this goes out of scope.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> Self {
        let admin = std::env::var("MAMORI_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
        let name = format!("mamori_crash_{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL is required for this test and could not be reached at {admin}: {e}"));
            conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
            conn.close().await.ok();
        });
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        Self { admin, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            match sqlx::PgConnection::connect(&self.admin).await {
                Ok(mut conn) => {
                    if let Err(e) = conn.execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str()).await {
                        eprintln!("could not drop {}: {e}", self.name);
                    }
                }
                Err(e) => eprintln!("could not drop {}: {e}", self.name),
            }
        });
    }
}

#[test]
fn postgres_survives_sigkill_with_every_ack() {
    let started = Instant::now();
    let db = PgDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let key = mamori_store::keyfile::default_path(dir.path());
    crash_rounds(&db.url, &key);
    drop(db);
    eprintln!("postgres crash test: {:?}", started.elapsed());
}
