//! `mamori ledger witness …` and `mamori ledger key …`: registering witnesses on the
//! server's side, being a witness on the auditors' side, and rotating the signing key.
//!
//! A witness keeps, in its own state directory outside the server's data directory, its
//! Ed25519 key and the latest checkpoint it cosigned for each log. `cosign` fetches the
//! server's latest checkpoint with a consistency proof from that size (over HTTP, or from a
//! file `mamori ledger export-checkpoint` wrote), checks it with the pure core
//! (`mamori_ledger::witness`), and prints the cosignature line; with `--server` it also
//! posts it back. A refusal keeps both checkpoints in `evidence/`.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use mamori_ledger::checkpoint::VerifyingKey;
use mamori_ledger::cosignature::{with_lines, WitnessKey};
use mamori_ledger::keys::KeyChain;
use mamori_ledger::witness::{add_checkpoint, AddCheckpoint, Latest};
use mamori_store::Actor;

use crate::ledger_cmd::OrgArg;
use crate::DbArgs;

#[derive(Subcommand)]
pub enum WitnessCommand {
    /// Register a witness whose cosignatures this server accepts (administrator).
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// Who the witness is (監査委員、監査統括責任者、another body).
        name: String,
        /// The witness's public key (`mamori ledger witness keygen` printed it).
        key: String,
    },
    /// List the registered witnesses and their latest cosignatures.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
    },
    /// Make a witness's key (on the auditors' side, outside the server's data directory).
    Keygen {
        /// The witness's name in its cosignature lines, e.g. kansa.shime.example/w1.
        #[arg(long)]
        name: String,
        /// Where to write the private key (mode 0600; must not exist).
        #[arg(long)]
        key_file: PathBuf,
    },
    /// As the witness: fetch the log's latest checkpoint and a consistency proof from the
    /// last size cosigned, check them, and cosign — or refuse and keep the evidence.
    Cosign(CosignArgs),
    /// As the witness: serve tlog-witness's `POST /add-checkpoint`, for servers that push
    /// their checkpoints (`mamori serve --witness-url`).
    Serve(ServeArgs),
    /// As the witness: the latest checkpoint cosigned for a log (its size is the --from
    /// of `mamori ledger export-checkpoint`).
    Status {
        #[arg(long)]
        state: PathBuf,
        #[arg(long)]
        origin: String,
    },
    /// Import a cosigned checkpoint a witness returned as a file (administrator).
    Import {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        org: OrgArg,
        /// The checkpoint with the witness's cosignature line, as `cosign --output` wrote it.
        file: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct CosignArgs {
    /// The witness's private key file.
    #[arg(long, env = "MAMORI_WITNESS_KEY")]
    key_file: PathBuf,
    /// The witness's state directory: the latest checkpoint cosigned per log, and evidence.
    #[arg(long, env = "MAMORI_WITNESS_STATE")]
    state: PathBuf,
    /// The log's origin (`mamori-xxxxxxxx/ORG`, the first line of its checkpoints).
    #[arg(long)]
    origin: String,
    /// The log's public key (`mamori ledger public-key`); after a key rotation give the new
    /// key as well.
    #[arg(long = "log-key", required = true)]
    log_keys: Vec<String>,
    /// The server to fetch from and post to, e.g. http://mamori.town.lg.jp:8080.
    #[arg(long, conflicts_with = "checkpoint_file")]
    server: Option<String>,
    /// A file `mamori ledger export-checkpoint` wrote, instead of --server.
    #[arg(long)]
    checkpoint_file: Option<PathBuf>,
    /// Also write the cosigned checkpoint here (for `mamori ledger witness import`).
    #[arg(long)]
    output: Option<PathBuf>,
    /// The cosignature's time in seconds since 1970 (tests; default: now).
    #[arg(long, hide = true)]
    time: Option<u64>,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The witness's private key file.
    #[arg(long, env = "MAMORI_WITNESS_KEY")]
    key_file: PathBuf,
    /// The witness's state directory.
    #[arg(long, env = "MAMORI_WITNESS_STATE")]
    state: PathBuf,
    /// The logs witnessed (each organization's origin); may be given more than once.
    #[arg(long = "origin", required = true)]
    origins: Vec<String>,
    /// The logs' public key(s).
    #[arg(long = "log-key", required = true)]
    log_keys: Vec<String>,
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: std::net::SocketAddr,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Rotate the signing key: the old key introduces a new one of the same name for every
    /// organization's log, the rotation is recorded signed by the new key, and the old key
    /// file is kept beside it as `<file>.retired-<key id>`. Stop the server first.
    Rotate {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(command: WitnessCommand) -> Result<()> {
    match command {
        WitnessCommand::Add { db, org, name, key } => {
            let store = db.open(false).await?;
            let org = org.resolve(&store).await?;
            let w = store.add_witness(org.id, &name, &key, &Actor::system("cli")).await?;
            println!("立会人「{}」を登録しました（公開鍵 {}）。", w.name, w.public_key);
            println!("この立会人の連署は GET/POST /ledger/witness/… または `mamori ledger witness import` で受け付けます。");
            Ok(())
        }
        WitnessCommand::List { db, org } => {
            let store = db.open_read_only().await?;
            let org = org.resolve(&store).await?;
            for w in store.witnesses(org.id).await? {
                match w.latest {
                    Some((size, at, _)) => println!("{}\t{}\t件数 {size}（連署 {at}）", w.name, w.public_key),
                    None => println!("{}\t{}\tまだ連署していません", w.name, w.public_key),
                }
            }
            Ok(())
        }
        WitnessCommand::Keygen { name, key_file } => {
            let key = WitnessKey::generate(&name)?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&key_file)
                .with_context(|| format!("{} を作成できません（すでにある鍵は上書きしません）", key_file.display()))?;
            file.write_all(key.to_text().as_bytes())?;
            file.sync_all()?;
            println!("{}", key.public().text());
            eprintln!(
                "立会人の署名鍵を {} に作成しました。上の公開鍵を台帳の管理者に渡し、`mamori ledger witness add` で登録してもらってください。",
                key_file.display()
            );
            Ok(())
        }
        WitnessCommand::Cosign(args) => cosign(args).await,
        WitnessCommand::Serve(args) => serve(args).await,
        WitnessCommand::Status { state, origin } => {
            match read_state(&state, &origin)? {
                Some(latest) => {
                    println!("件数 {}", latest.size);
                    print!("{}", latest.checkpoint);
                }
                None => println!("件数 0（まだ連署していません）"),
            }
            Ok(())
        }
        WitnessCommand::Import { db, org, file } => {
            let store = db.open(false).await?;
            let org = org.resolve(&store).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("{} を読めません", file.display()))?;
            let mut stored = 0;
            let mut last_error = None;
            for line in mamori_ledger::cosignature::signature_lines(&text) {
                match store.add_cosignature(org.id, &text, line, &Actor::system("cli")).await {
                    Ok((name, size)) => {
                        stored += 1;
                        println!("立会人「{name}」の連署（件数 {size}）を保存しました。");
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            if stored == 0 {
                bail!(
                    "保存できる連署がありませんでした: {}",
                    last_error.map(|e| e.to_string()).unwrap_or_else(|| "連署の行がありません".into())
                );
            }
            Ok(())
        }
    }
}

fn state_file(dir: &Path, origin: &str) -> PathBuf {
    let safe: String = origin.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    dir.join(format!("{safe}.json"))
}

fn read_state(dir: &Path, origin: &str) -> Result<Option<Latest>> {
    let path = state_file(dir, origin);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("{} を読めません", path.display()))?;
    Ok(Some(serde_json::from_str(&text).with_context(|| format!("{} の形式が正しくありません", path.display()))?))
}

/// Writes the state through a temporary file and a rename, so that a crash leaves the old
/// state or the new one, never half of either.
fn write_state(dir: &Path, origin: &str, latest: &Latest) -> Result<()> {
    let path = state_file(dir, origin);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(latest)?).with_context(|| format!("{} を書けません", tmp.display()))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("{} を更新できません", path.display()))?;
    Ok(())
}

fn org_code(origin: &str) -> &str {
    origin.rsplit('/').next().unwrap_or(origin)
}

async fn cosign(args: CosignArgs) -> Result<()> {
    let key_text =
        std::fs::read_to_string(&args.key_file).with_context(|| format!("立会人の鍵 {} を読めません", args.key_file.display()))?;
    let key = WitnessKey::from_text(&key_text)?;
    let mut log_keys = Vec::new();
    for k in &args.log_keys {
        log_keys.push(VerifyingKey::parse(k).map_err(|e| anyhow::anyhow!("--log-key {k}: {e}"))?);
    }
    let chain = KeyChain::any_of(log_keys);
    std::fs::create_dir_all(&args.state).with_context(|| format!("{} を作成できません", args.state.display()))?;
    let latest = read_state(&args.state, &args.origin)?;
    let from = latest.as_ref().map_or(0, |l| l.size);
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let base = args.server.as_deref().map(|s| s.trim_end_matches('/').to_owned());
    let request_text = match (&base, &args.checkpoint_file) {
        (Some(base), _) => {
            let url = format!("{base}/ledger/witness/checkpoint?org={}&from={from}", org_code(&args.origin));
            let response = http.get(&url).send().await.with_context(|| format!("{url} に接続できません"))?;
            let status = response.status();
            let body = response.text().await?;
            if !status.is_success() {
                bail!("サーバーが {status} を返しました: {}", body.trim());
            }
            body
        }
        (None, Some(file)) => std::fs::read_to_string(file).with_context(|| format!("{} を読めません", file.display()))?,
        (None, None) => bail!("--server URL か --checkpoint-file FILE を指定してください"),
    };
    let request = AddCheckpoint::parse(&request_text)?;
    let now = match args.time {
        Some(t) => t,
        None => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs(),
    };
    match decide(&args.state, &args.origin, &chain, latest.as_ref(), &request, &request_text, &key, now)? {
        Ok((kept, line)) => {
            let cosigned = with_lines(&request.checkpoint, std::slice::from_ref(&line));
            print!("{line}");
            eprintln!("件数 {} のチェックポイントに連署しました（前回 件数 {from}）。", kept.size);
            if let Some(out) = &args.output {
                std::fs::write(out, &cosigned).with_context(|| format!("{} を書けません", out.display()))?;
                eprintln!("連署付きのチェックポイントを {} に書きました（サーバー側で `mamori ledger witness import`）。", out.display());
            }
            if let Some(base) = &base {
                let url = format!("{base}/ledger/witness/cosignature?org={}", org_code(&args.origin));
                let response = http.post(&url).body(cosigned).send().await.with_context(|| format!("{url} に送れません"))?;
                let status = response.status();
                let body = response.text().await?;
                if !status.is_success() {
                    bail!("連署は作りましたが、サーバーが受け付けませんでした（{status}）: {}", body.trim());
                }
                eprintln!("サーバーに連署を送りました: {}", body.trim());
            }
            Ok(())
        }
        Err(refusal) => bail!("連署しません: {refusal}"),
    }
}

/// The witness's decision on one request, with its consequences on disk: the new state
/// when it cosigns; both checkpoints and the request in `evidence/` when it refuses one as
/// evidence of two histories.
#[allow(clippy::too_many_arguments)]
fn decide(
    state: &Path,
    origin: &str,
    chain: &KeyChain,
    latest: Option<&Latest>,
    request: &AddCheckpoint,
    request_text: &str,
    key: &WitnessKey,
    now: u64,
) -> Result<std::result::Result<(Latest, String), mamori_ledger::witness::Refusal>> {
    match add_checkpoint(origin, chain, latest, request, key, now) {
        Ok((kept, line)) => {
            write_state(state, origin, &kept)?;
            Ok(Ok((kept, line)))
        }
        Err(refusal) => {
            if let Some((kept, shown)) = refusal.evidence() {
                let dir = state.join("evidence");
                std::fs::create_dir_all(&dir)?;
                // Two refusals in one second must not overwrite each other's evidence.
                let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
                let stamp = format!("{now}-{nanos:09}-{}", org_code(origin));
                std::fs::write(dir.join(format!("{stamp}-kept.txt")), kept)?;
                std::fs::write(dir.join(format!("{stamp}-shown.txt")), shown)?;
                std::fs::write(dir.join(format!("{stamp}-request.txt")), request_text)?;
                tracing::error!(origin, refusal = %refusal, "kept both checkpoints as evidence in {}", dir.display());
                eprintln!("証拠として両方のチェックポイントを {} に保存しました。", dir.display());
            }
            Ok(Err(refusal))
        }
    }
}

/// The witness's endpoint: `POST /add-checkpoint` with tlog-witness's body; 200 with the
/// cosignature line, 409 with the size held (`text/x.tlog.size`), or the refusal's status
/// and reason. One request at a time, so the state file is never raced.
async fn serve(args: ServeArgs) -> Result<()> {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let key_text =
        std::fs::read_to_string(&args.key_file).with_context(|| format!("立会人の鍵 {} を読めません", args.key_file.display()))?;
    let key = WitnessKey::from_text(&key_text)?;
    let mut log_keys = Vec::new();
    for k in &args.log_keys {
        log_keys.push(VerifyingKey::parse(k).map_err(|e| anyhow::anyhow!("--log-key {k}: {e}"))?);
    }
    std::fs::create_dir_all(&args.state).with_context(|| format!("{} を作成できません", args.state.display()))?;
    struct Witness {
        key: WitnessKey,
        chain: KeyChain,
        state: PathBuf,
        origins: Vec<String>,
    }
    let witness = std::sync::Arc::new(tokio::sync::Mutex::new(Witness {
        key,
        chain: KeyChain::any_of(log_keys),
        state: args.state,
        origins: args.origins,
    }));
    let handler = move |body: String| {
        let witness = witness.clone();
        async move {
            let w = witness.lock().await;
            let text =
                |status: StatusCode, kind: &'static str, body: String| (status, [(header::CONTENT_TYPE, kind)], body).into_response();
            let request = match AddCheckpoint::parse(&body) {
                Ok(r) => r,
                Err(e) => return text(StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", format!("{e}\n")),
            };
            let Some(origin) = request.checkpoint.lines().next().filter(|o| w.origins.iter().any(|x| x == o)).map(str::to_owned) else {
                return text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "この立会人はそのログを見ていません\n".into());
            };
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let decided = read_state(&w.state, &origin)
                .and_then(|latest| decide(&w.state, &origin, &w.chain, latest.as_ref(), &request, &body, &w.key, now));
            match decided {
                Ok(Ok((kept, line))) => {
                    tracing::info!(origin, size = kept.size, "cosigned");
                    text(StatusCode::OK, "text/plain; charset=utf-8", line)
                }
                Ok(Err(mamori_ledger::witness::Refusal::Conflict { known, .. })) => {
                    text(StatusCode::CONFLICT, "text/x.tlog.size", format!("{known}\n"))
                }
                Ok(Err(refusal)) => text(
                    StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST),
                    "text/plain; charset=utf-8",
                    format!("{refusal}\n"),
                ),
                Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8", format!("{e:#}\n")),
            }
        }
    };
    let app = axum::Router::new().route("/add-checkpoint", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    println!("http://{}/add-checkpoint で立会人として待ち受けています（Ctrl+C で終了）", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")?;
    Ok(())
}

pub async fn run_key(command: KeyCommand) -> Result<()> {
    match command {
        KeyCommand::Rotate { db } => {
            let store = db.open(false).await?;
            let halts = store.check_ledger_at_startup().await?;
            if let Some((org, h)) = halts.first() {
                bail!("団体 id {org} の台帳が署名済みの記録と一致しないため、鍵を引き継げません: {}", h.reason);
            }
            let old = store.ledger_key().context("署名鍵がありません")?.clone();
            let new = mamori_store::LedgerKey::from_text(&mamori_store::LedgerKey::generate(old.name())?.to_text())?;
            let key_path = db.key_path();
            let new_path = key_path.with_extension("key.new");
            // The new key is on disk before anything is signed with it.
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&new_path).with_context(|| {
                format!(
                    "{} を作成できません（前回の引き継ぎが途中で終わっていれば、その鍵を確かめてから消してください）",
                    new_path.display()
                )
            })?;
            file.write_all(new.to_text().as_bytes())?;
            file.sync_all()?;
            let orgs = store.organizations().await?;
            let mut intros = Vec::new();
            for org in &orgs {
                intros.push((org.id, store.introduce_key(org.id, &old, &new).await?));
            }
            store.close().await;
            let store = mamori_store::Store::open(
                &db.url(),
                mamori_store::OpenOptions { ledger_key: Some(std::sync::Arc::new(new.clone())), ..Default::default() },
            )
            .await?;
            for (org_id, intro) in &intros {
                store.record_key_rotation(*org_id, intro, &Actor::system("cli")).await?;
            }
            store.close().await;
            let retired = key_path.with_extension(format!("key.retired-{:08x}", old.verifying_key().id()));
            std::fs::rename(&key_path, &retired).with_context(|| format!("{} を退避できません", key_path.display()))?;
            std::fs::rename(&new_path, &key_path).with_context(|| format!("{} を置けません", key_path.display()))?;
            println!("署名鍵を引き継ぎました。新しい公開鍵: {}", new.verifying_key().text());
            println!("古い鍵は {} に移しました（検証には公開鍵だけで足ります。安全な場所に移すか破棄してください）。", retired.display());
            println!("検証する人は最初の公開鍵のまま検証できます（引き継ぎの記録をたどります）。立会人には新しい公開鍵を --log-key に加えてもらってください。");
            Ok(())
        }
    }
}
