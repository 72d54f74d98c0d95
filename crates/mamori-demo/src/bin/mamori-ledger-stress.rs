//! Appends to an organization's ledger forever from concurrent writers, and prints
//! `ack <seq>` on stdout (flushed) the moment each commit returns — that is, once the
//! change is durable. A test and bench support tool: `tests/crash.rs` kills it with SIGKILL
//! and checks that every acknowledged change survived and the ledger still verifies.
//!
//!     mamori-ledger-stress --database-url URL --key PATH [--writers 8]
//!
//! A missing SQLite file and a missing key file are created; migrations are run; the
//! organization `stress` is created if absent.

use std::io::Write;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use mamori_store::{Actor, NewEvent, OpenOptions, Store};

const ORG_CODE: &str = "stress";

struct Args {
    database_url: String,
    key: std::path::PathBuf,
    writers: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut database_url = None;
    let mut key = None;
    let mut writers = 8usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        let mut value = || inline.clone().map(Ok).unwrap_or_else(|| args.next().with_context(|| format!("{name} needs a value")));
        match name.as_str() {
            "--database-url" => database_url = Some(value()?),
            "--key" => key = Some(value()?.into()),
            "--writers" => writers = value()?.parse().context("--writers")?,
            "-h" | "--help" => {
                println!("usage: mamori-ledger-stress --database-url URL --key PATH [--writers 8]");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if writers == 0 {
        bail!("--writers must be at least 1");
    }
    Ok(Args { database_url: database_url.context("--database-url is required")?, key: key.context("--key is required")?, writers })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let (key, created) = mamori_store::keyfile::load(&args.key, true)?;
    if created {
        eprintln!("created signing key {}", args.key.display());
    }
    let store = Store::open(&args.database_url, OpenOptions { create: true, ledger_key: Some(Arc::new(key)), ..Default::default() })
        .await
        .with_context(|| format!("opening {}", args.database_url))?;
    store.migrate().await.context("migrating")?;
    let actor = Actor::system("stress");
    let org_id = match store.organizations().await?.into_iter().find(|o| o.code == ORG_CODE) {
        Some(org) => org.id,
        None => store.create_organization(ORG_CODE, "負荷試験町", &actor).await?.id,
    };
    eprintln!("appending to organization {org_id} with {} writers", args.writers);

    // One writer of stdout for every task; each ack is flushed before the lock is let go.
    let out = Arc::new(Mutex::new(std::io::stdout()));
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..args.writers {
        let store = store.clone();
        let actor = actor.clone();
        let out = out.clone();
        tasks.spawn(async move {
            for n in 0u64.. {
                let w = store.begin_write(org_id).await?;
                let seq = w
                    .commit(&actor, NewEvent::new("stress.append", "stress", writer, serde_json::json!({"writer": writer, "n": n})))
                    .await?;
                let mut out = out.lock().expect("stdout lock");
                writeln!(out, "ack {seq}")?;
                out.flush()?;
            }
            Ok::<(), anyhow::Error>(())
        });
    }
    // The writers run until killed; the first one to fail ends the process with its error.
    while let Some(joined) = tasks.join_next().await {
        joined.context("writer task")??;
    }
    Ok(())
}
