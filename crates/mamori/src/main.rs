//! The `mamori` command: serve, demo, migrate, profile check/activate, backup.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use mamori_server::{AppState, Settings};
use mamori_store::{Actor, OpenOptions, Store};

mod ledger_cmd;
mod policy_cmd;
mod profile_cmd;
mod token_cmd;
mod user_cmd;
mod witness_cmd;

#[derive(Parser)]
#[command(name = "mamori", version, about = "mamori (守り) — 情報セキュリティポリシーを運用するシステム")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct DbArgs {
    /// Data directory; the SQLite database lives inside it (mamori.sqlite).
    #[arg(long, env = "MAMORI_DATA_DIR", default_value = "mamori-data")]
    data_dir: PathBuf,
    /// Database URL instead of the data directory: sqlite://PATH or postgres://…
    #[arg(long, env = "MAMORI_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The checkpoint signing key file (default: ledger.key in the data directory). Keep it
    /// outside the database and its backups; it is created on first start with mode 0600.
    #[arg(long, env = "MAMORI_LEDGER_KEY")]
    ledger_key: Option<PathBuf>,
}

impl DbArgs {
    pub(crate) fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| mamori_store::sqlite_url_in(&self.data_dir))
    }

    pub(crate) fn key_path(&self) -> PathBuf {
        self.ledger_key.clone().unwrap_or_else(|| mamori_store::keyfile::default_path(&self.data_dir))
    }

    /// The signing key; with `create`, made if missing. `None` when missing and not created.
    pub(crate) fn load_key(&self, create: bool) -> Result<Option<mamori_store::LedgerKey>> {
        let path = self.key_path();
        if !create && !path.exists() {
            return Ok(None);
        }
        let (key, created) = mamori_store::keyfile::load(&path, create)?;
        if created {
            eprintln!("台帳の署名鍵を作成しました: {}（公開鍵 {}）", path.display(), key.verifying_key().text());
            eprintln!("鍵ファイルはデータベースとは別に保管してください。公開鍵は検証のために控えておいてください。");
        }
        Ok(Some(key))
    }

    /// Opens the database for writing: with `create`, a new SQLite file; the signing key is
    /// created on first start, but never beside a database whose checkpoints another key
    /// signed.
    pub(crate) async fn open(&self, create: bool) -> Result<Store> {
        if self.database_url.is_none() && create {
            std::fs::create_dir_all(&self.data_dir).with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        }
        let url = self.url();
        let probe = Store::open(&url, OpenOptions { create, ..Default::default() })
            .await
            .with_context(|| format!("opening the database ({})", redact(&url)))?;
        probe.migrate().await.context("applying migrations")?;
        let existing = first_checkpoint(&probe).await?;
        let loaded = self.load_key(false)?;
        let fits = match &loaded {
            Some(key) => probe.key_fits(key).await?,
            None => Ok(()),
        };
        probe.close().await;
        let key = match (loaded, existing) {
            (Some(key), Some(_)) => {
                if let Err(why) = fits {
                    bail!(
                        "署名鍵 {} では、このデータベースの既存のチェックポイントを検証できません（{why}）。正しい鍵ファイルを --ledger-key で指定してください",
                        self.key_path().display()
                    );
                }
                key
            }
            (Some(key), None) => key,
            (None, Some(_)) => bail!(
                "署名鍵ファイル {} がありません。このデータベースにはすでに署名付きチェックポイントがあるため、新しい鍵は作りません。鍵ファイルを復元するか --ledger-key で指定してください",
                self.key_path().display()
            ),
            (None, None) => self.load_key(true)?.expect("created"),
        };
        let store = Store::open(&url, OpenOptions { create: false, ledger_key: Some(std::sync::Arc::new(key)), ..Default::default() })
            .await
            .with_context(|| format!("opening the database ({})", redact(&url)))?;
        Ok(store)
    }

    /// Opens an existing database without the signing key: it can read and verify, and
    /// every write is refused.
    pub(crate) async fn open_read_only(&self) -> Result<Store> {
        let url = self.url();
        let store = Store::open(&url, OpenOptions { create: false, ledger_key: None, ..Default::default() })
            .await
            .with_context(|| format!("opening the database ({})", redact(&url)))?;
        store.migrate().await.context("applying migrations")?;
        Ok(store)
    }

    /// Where the signing key is kept, as warnings: inside the data directory (or beside the
    /// SQLite file), or in a directory others may write to.
    pub(crate) fn key_warnings(&self) -> Vec<String> {
        use std::os::unix::fs::PermissionsExt;
        let mut out = Vec::new();
        let key = self.key_path();
        let Ok(key_abs) = key.canonicalize() else { return out };
        let mut homes: Vec<PathBuf> = Vec::new();
        if self.database_url.is_none() {
            homes.extend(self.data_dir.canonicalize().ok());
        } else if let Some(path) =
            self.database_url.as_deref().and_then(|u| u.strip_prefix("sqlite://").or_else(|| u.strip_prefix("sqlite:")))
        {
            let file = Path::new(path.split('?').next().unwrap_or(path));
            homes.extend(file.parent().and_then(|d| d.canonicalize().ok()));
        }
        if let Some(home) = homes.iter().find(|h| key_abs.starts_with(h)) {
            out.push(format!(
                "台帳の署名鍵 {} がデータの置き場所（{}）の中にあります。データベースを書き換えられる人が鍵も使えると、改ざんした記録に署名し直せます。\
                 鍵は別の利用者だけが読める別の場所に置き、--ledger-key（MAMORI_LEDGER_KEY）で指定してください。",
                key_abs.display(),
                home.display()
            ));
        }
        if let Some(dir) = key_abs.parent() {
            if let Ok(meta) = std::fs::metadata(dir) {
                let mode = meta.permissions().mode();
                if mode & 0o022 != 0 && mode & 0o1000 == 0 {
                    out.push(format!(
                        "台帳の署名鍵のディレクトリ {} は所有者以外も書き込めます（権限 {:o}）。鍵ファイルを差し替えられないよう、所有者だけが書き込めるようにしてください。",
                        dir.display(),
                        mode & 0o777
                    ));
                }
            }
        }
        out
    }

    /// Opens an existing database; the signing key is loaded if its file exists (reading
    /// and verifying need none).
    pub(crate) async fn open_existing(&self) -> Result<Store> {
        let url = self.url();
        let key = self.load_key(false)?.map(std::sync::Arc::new);
        let store = Store::open(&url, OpenOptions { create: false, ledger_key: key, ..Default::default() })
            .await
            .with_context(|| format!("opening the database ({})", redact(&url)))?;
        store.migrate().await.context("applying migrations")?;
        Ok(store)
    }

    /// The key to verify with: the one given, else the key file's public half.
    pub(crate) fn verifying_key(
        &self,
        store: &Store,
        pinned: Option<mamori_ledger::checkpoint::VerifyingKey>,
    ) -> Result<mamori_ledger::checkpoint::VerifyingKey> {
        if let Some(k) = pinned {
            return Ok(k);
        }
        match store.ledger_key() {
            Some(k) => Ok(k.verifying_key().clone()),
            None => bail!("署名鍵ファイル {} がありません。公開鍵を --public-key で指定してください", self.key_path().display()),
        }
    }
}

async fn first_checkpoint(store: &Store) -> Result<Option<String>> {
    for org in store.organizations().await? {
        if let Some(c) = store.checkpoints(org.id, 1).await?.into_iter().next() {
            return Ok(Some(c.note));
        }
    }
    Ok(None)
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[derive(Args, Clone)]
struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "MAMORI_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Consecutive failed sign-ins from which an account is closed for a while.
    #[arg(long, env = "MAMORI_LOCKOUT_LIMIT", default_value_t = 5)]
    lockout_limit: i64,
    /// Minutes the first lockout lasts; each further failure doubles it.
    #[arg(long, env = "MAMORI_LOCKOUT_MINUTES", default_value_t = 1)]
    lockout_minutes: u64,
    /// The longest lockout, in minutes.
    #[arg(long, env = "MAMORI_LOCKOUT_MAX_MINUTES", default_value_t = 60)]
    lockout_max_minutes: u64,
    /// Failed sign-ins from one client address, within --login-throttle-minutes, after which
    /// that address is refused (counted per server process).
    #[arg(long, env = "MAMORI_LOGIN_THROTTLE", default_value_t = 20)]
    login_throttle: usize,
    #[arg(long, env = "MAMORI_LOGIN_THROTTLE_MINUTES", default_value_t = 10)]
    login_throttle_minutes: u64,
    /// A reverse proxy whose X-Forwarded-For header names the client (IP address;
    /// comma-separated or repeated). Without it the header is ignored.
    #[arg(long = "trusted-proxy", env = "MAMORI_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Minutes of inactivity after which a session ends.
    #[arg(long, env = "MAMORI_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: u64,
    /// Hours after sign-in at which a session ends however much it is used.
    #[arg(long, env = "MAMORI_SESSION_LIFETIME_HOURS", default_value_t = 12)]
    session_lifetime_hours: u64,
    /// Mark cookies Secure (set when mamori is reached over HTTPS).
    #[arg(long, env = "MAMORI_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Mail server for incident notices: smtp://host:port (plain, local relay),
    /// smtp://host?tls=required (STARTTLS) or smtps://host. Without it, notices stay in the app.
    #[arg(long, env = "MAMORI_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of notices, e.g. "mamori <mamori@town.example.lg.jp>".
    #[arg(long, env = "MAMORI_MAIL_FROM", default_value = "mamori <mamori@localhost>")]
    mail_from: String,
    /// The address people open mamori at, for links in notices.
    #[arg(long, env = "MAMORI_BASE_URL")]
    base_url: Option<String>,
    /// Mail the latest checkpoint to these addresses once a day (the auditors' anchor);
    /// comma-separated. Needs --smtp-url.
    #[arg(long, env = "MAMORI_ANCHOR_MAIL_TO", value_delimiter = ',')]
    anchor_mail_to: Vec<String>,
    /// A registered witness that has not cosigned for this many hours raises an alarm.
    #[arg(long, env = "MAMORI_WITNESS_MAX_AGE_HOURS", default_value_t = 24)]
    witness_max_age_hours: u64,
    /// Push the latest checkpoint to this witness (`mamori ledger witness serve`), e.g.
    /// http://kansa.town.lg.jp:8081; comma-separated or repeated.
    #[arg(long = "witness-url", env = "MAMORI_WITNESS_URLS", value_delimiter = ',')]
    witness_urls: Vec<String>,
    /// Minutes between pushes to each witness.
    #[arg(long, env = "MAMORI_WITNESS_PUSH_MINUTES", default_value_t = 60)]
    witness_push_minutes: u64,
}

impl ServerArgs {
    fn settings(&self) -> Result<Settings> {
        if self.lockout_limit < 1 {
            bail!("--lockout-limit must be at least 1");
        }
        if self.lockout_minutes < 1 || self.lockout_max_minutes < self.lockout_minutes {
            bail!("--lockout-minutes must be at least 1 and at most --lockout-max-minutes");
        }
        if self.login_throttle < 1 || self.login_throttle_minutes < 1 {
            bail!("--login-throttle and --login-throttle-minutes must be at least 1");
        }
        if self.session_idle_minutes < 1 {
            bail!("--session-idle-minutes must be at least 1");
        }
        if self.session_lifetime_hours < 1 {
            bail!("--session-lifetime-hours must be at least 1");
        }
        let mail = match &self.smtp_url {
            Some(url) => {
                if !mamori_server::notify::is_mailbox(&self.mail_from) {
                    bail!("--mail-from {:?} is not a mail address (e.g. \"mamori <mamori@town.example.lg.jp>\")", self.mail_from);
                }
                let mail = mamori_server::MailSettings {
                    smtp_url: url.clone(),
                    from: self.mail_from.clone(),
                    base_url: self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.listen)),
                };
                if let Err(e) = mamori_server::notify::check_mail_settings(&mail) {
                    bail!("メールの設定が読めません: {e}");
                }
                Some(mail)
            }
            None => None,
        };
        let anchor_mail_to: Vec<String> = self.anchor_mail_to.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
        if !anchor_mail_to.is_empty() && mail.is_none() {
            bail!("--anchor-mail-to には --smtp-url（メールサーバー）が必要です");
        }
        for a in &anchor_mail_to {
            if !mamori_server::notify::is_mailbox(a) {
                bail!("--anchor-mail-to {a:?} is not a mail address");
            }
        }
        if self.witness_max_age_hours < 1 {
            bail!("--witness-max-age-hours must be at least 1");
        }
        Ok(Settings {
            lockout_limit: self.lockout_limit,
            lockout_first: Duration::from_secs(self.lockout_minutes * 60),
            lockout_longest: Duration::from_secs(self.lockout_max_minutes * 60),
            login_throttle_max: self.login_throttle,
            login_throttle_window: Duration::from_secs(self.login_throttle_minutes * 60),
            trusted_proxies: self.trusted_proxies.clone(),
            session_idle: Duration::from_secs(self.session_idle_minutes * 60),
            session_lifetime: Duration::from_secs(self.session_lifetime_hours * 3600),
            secure_cookies: self.secure_cookies,
            mail,
            ledger: mamori_server::LedgerSettings {
                witness_max_age: Duration::from_secs(self.witness_max_age_hours * 3600),
                anchor_mail_to,
                key_warnings: Vec::new(),
                witness_urls: self.witness_urls.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect(),
                witness_push_every: Duration::from_secs(self.witness_push_minutes.max(1) * 60),
            },
            ..Settings::default()
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        server: ServerArgs,
        /// Create the SQLite database if it does not exist.
        #[arg(long)]
        create: bool,
    },
    /// Prepare a demo data directory (a profile and a demo organization shaped by it:
    /// 志免町's by default) and serve it.
    Demo {
        /// Data directory (default: mamori-demo, or mamori-demo-ID with --profile ID).
        #[arg(long, env = "MAMORI_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// A bundled profile id (shime, yokote, nakaniikawa, nansatsu) or a profile file, such
        /// as one `mamori policy compile` wrote: the demo organization's departments, posts,
        /// people and role assignments follow its kind, bodies, roles and zones.
        #[arg(long, default_value = "shime")]
        profile: String,
        #[command(flatten)]
        server: ServerArgs,
        /// Only prepare the data directory.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        create: bool,
    },
    /// Profiles: check a file, activate it for an organization, or set up an organization.
    Profile {
        #[command(subcommand)]
        command: profile_cmd::ProfileCommand,
    },
    /// Organizations and their first administrator.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Back up the database (online SQLite backup; guidance for PostgreSQL).
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// Where to write the backup (SQLite).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The tamper-evident ledger: verify, checkpoint, prove, export.
    Ledger {
        #[command(subcommand)]
        command: ledger_cmd::LedgerCommand,
    },
    /// Accounts: open a locked account, issue a temporary password (when no administrator
    /// can sign in to do it).
    User {
        #[command(subcommand)]
        command: user_cmd::UserCommand,
    },
    /// Service tokens for machine clients of the decision API.
    Token {
        #[command(subcommand)]
        command: token_cmd::TokenCommand,
    },
    /// Policy documents: compile a policy text into a draft profile and a review report.
    Policy {
        #[command(subcommand)]
        command: policy_cmd::PolicyCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization with a bundled profile (or a profile file) and an administrator
    /// with a one-time password.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// Organization code (letters, digits, -).
        #[arg(long)]
        code: String,
        /// A bundled profile id (shime, yokote, nakaniikawa, nansatsu) or a path to a profile file.
        #[arg(long)]
        profile: String,
        /// Login of the first administrator.
        #[arg(long, default_value = "admin")]
        admin: String,
        #[arg(long)]
        create: bool,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("MAMORI_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { db, server, create } => {
            let store = db.open(create).await?;
            store.migrate().await.context("applying migrations")?;
            let warnings = db.key_warnings();
            serve(store, &server, None, warnings).await
        }
        Command::Demo { data_dir, profile, server, no_serve } => demo(data_dir, &profile, &server, no_serve).await,
        Command::Migrate { db, create } => {
            let store = db.open(create).await?;
            store.migrate().await.context("applying migrations")?;
            println!("マイグレーションを適用しました（{}）。", store.backend().name());
            Ok(())
        }
        Command::Profile { command } => profile_cmd::run(command).await,
        Command::Org { command: OrgCommand::Create { db, code, profile, admin, create } } => {
            let store = db.open(create).await?;
            store.migrate().await.context("applying migrations")?;
            let (file_name, text) = profile_source(&profile)?;
            let parsed = mamori_policy::parse_profile(&file_name, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (org_id, password) = create_org(&store, &code, &file_name, &text, &parsed, &admin).await?;
            println!("団体「{}」（code={code}, id={org_id}）を作成しました。", parsed.organization.name);
            println!("管理者 {admin} の仮パスワード: {password}");
            println!("初回ログイン時にパスワードの変更と二要素認証の設定が求められます。");
            Ok(())
        }
        Command::Backup { db, output } => backup(&db, output).await,
        Command::Ledger { command } => ledger_cmd::run(command).await,
        Command::Token { command } => token_cmd::run(command).await,
        Command::User { command } => user_cmd::run(command).await,
        Command::Policy { command } => policy_cmd::run(command),
    }
}

pub(crate) fn profile_source(arg: &str) -> Result<(String, String)> {
    if let Some(text) = mamori_policy::bundled::bundled(arg) {
        return Ok((format!("{arg}.toml"), text.to_owned()));
    }
    let path = Path::new(arg);
    let text = std::fs::read_to_string(path).with_context(|| format!("reading profile {}", path.display()))?;
    Ok((path.display().to_string(), text))
}

async fn create_org(
    store: &Store,
    code: &str,
    file_name: &str,
    text: &str,
    profile: &mamori_policy::Profile,
    admin_login: &str,
) -> Result<(i64, String)> {
    let actor = Actor::system("cli");
    let org = store.create_organization(code, &profile.organization.name, &actor).await.context("creating the organization")?;
    store.activate_profile(org.id, file_name, text, profile, &actor).await.context("activating the profile")?;
    let password = mamori_server::auth::temporary_password();
    let hash = mamori_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    store.create_user(org.id, None, admin_login, "システム管理者", &hash, true, &actor).await.context("creating the administrator")?;
    Ok((org.id, password))
}

async fn demo(data_dir: Option<PathBuf>, profile_arg: &str, server: &ServerArgs, no_serve: bool) -> Result<()> {
    let (file_name, text) = profile_source(profile_arg)?;
    let profile = mamori_policy::parse_profile(&file_name, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    // The organization's code is the profile's id, so a rerun finds it again.
    let code = profile.profile.id.to_string();
    let data_dir =
        data_dir.unwrap_or_else(|| PathBuf::from(if code == "shime" { "mamori-demo".to_owned() } else { format!("mamori-demo-{code}") }));
    let db = DbArgs { data_dir: data_dir.clone(), database_url: None, ledger_key: None };
    let fresh = !data_dir.join("mamori.sqlite").exists();
    let store = db.open(true).await?;
    store.migrate().await.context("applying migrations")?;
    let actor = Actor::system("demo");
    let mut credentials = Vec::new();
    let mut roles_line = Vec::new();
    let existing = store.organizations().await?;
    let org = match existing.iter().find(|o| o.code == code) {
        Some(org) if !fresh => {
            // A rerun: issue new one-time passwords rather than rebuilding the demo.
            for user in store.users(org.id).await? {
                let password = mamori_server::auth::temporary_password();
                let hash = mamori_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
                store.set_password(&user, &hash, true, &actor).await?;
                credentials.push((user.login.clone(), user.display_name.clone(), password));
            }
            org.clone()
        }
        _ => {
            // Logins are unique across the database, so a second demo organization beside
            // another would collide on "admin": one demo per data directory.
            if let Some(other) = existing.first() {
                bail!(
                    "{} には別の団体（{}、code={}）のデモがあります。--data-dir で別のディレクトリを指定してください",
                    data_dir.display(),
                    other.name,
                    other.code
                );
            }
            let scale = mamori_demo::DemoScale::for_profile(&profile);
            eprintln!(
                "デモデータを作成しています（{}、約{}件の情報資産、{}名の職員）…",
                profile.organization.name, scale.assets, scale.staff
            );
            let (org_id, password) = create_org(&store, &code, &file_name, &text, &profile, "admin").await?;
            credentials.push(("admin".to_owned(), "システム管理者".to_owned(), password));
            let summary = mamori_demo::populate(&store, org_id, &profile, &scale, 20261122, false).await?;
            for login in &summary.logins {
                let person = store.person(org_id, login.person_id).await?;
                let password = mamori_server::auth::temporary_password();
                let hash = mamori_server::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
                store.create_user(org_id, Some(login.person_id), &login.login, &person.name, &hash, false, &actor).await?;
                credentials.push((login.login.clone(), person.name.clone(), password));
                roles_line.push(format!("{}＝{}", login.login, login.what));
            }
            eprintln!(
                "作成しました: 課局等 {}、職員 {}、情報システム {}、情報資産 {}（うち要判断 {}）、役割の割当て {}",
                summary.departments, summary.people, summary.systems, summary.assets, summary.undecided_assets, summary.role_assignments
            );
            for u in &summary.unassigned_roles {
                println!("割り当てていない役割: {}（{}）— {}", u.name, u.role, u.reason);
            }
            for step in &summary.uncovered_steps {
                println!("注意: 「{}」（{}）を行える人がデモにいません（役割の割当てを確認してください）", step.label_ja(), step.id());
            }
            store.organization(org_id).await?
        }
    };
    println!("mamori デモ — {}（データ: {}）", org.name, data_dir.display());
    println!("一回限りのログイン情報（初回ログイン時にパスワード変更、管理者・CISO・統括は二要素認証の設定が必要です）:");
    for (login, name, password) in &credentials {
        println!("  {login:<12} {password}  {name}");
    }
    if !roles_line.is_empty() {
        println!("ログインの役割: {}", roles_line.join("、"));
    }
    if no_serve {
        println!("データディレクトリを準備しました。起動: mamori serve --data-dir {}", data_dir.display());
        return Ok(());
    }
    let warnings = db.key_warnings();
    serve(store, server, Some(&org.name), warnings).await
}

async fn serve(store: Store, server: &ServerArgs, banner: Option<&str>, key_warnings: Vec<String>) -> Result<()> {
    let mut settings = server.settings()?;
    for w in &key_warnings {
        tracing::warn!("{w}");
        eprintln!("警告: {w}");
    }
    settings.ledger.key_warnings = key_warnings;
    // The writer checks the stored tree against its latest signed checkpoint before it
    // signs anything; doing it now reports a mismatch at once (and mails it, below).
    for (org_id, halt) in store.check_ledger_at_startup().await.context("checking the ledger at start-up")? {
        tracing::error!(org_id, reason = %halt.reason, "the ledger does not match what this server signed; writes are refused");
        eprintln!("警告: 団体 id {org_id} の台帳が署名済みの記録と一致しないため、書き込みを停止しました: {}", halt.reason);
    }
    let listener = tokio::net::TcpListener::bind(server.listen).await.with_context(|| format!("listening on {}", server.listen))?;
    let addr = listener.local_addr()?;
    println!("http://{addr}/ で待ち受けています{}（Ctrl+C で終了）", banner.map(|b| format!("（{b}）")).unwrap_or_default());
    let state = AppState::new(store.clone(), settings);
    // Escalations of unacknowledged incident notices and their mail, every 30 seconds.
    let notifier = mamori_server::notify::spawn(state.clone());
    mamori_server::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving")?;
    notifier.abort();
    store.close().await;
    Ok(())
}

async fn backup(db: &DbArgs, output: Option<PathBuf>) -> Result<()> {
    let store = db.open_existing().await?;
    match store.backend() {
        mamori_store::Backend::Sqlite => {
            let output = output.unwrap_or_else(|| {
                let stamp = chrono_stamp();
                db.data_dir.join(format!("backup-{stamp}.sqlite"))
            });
            if output.exists() {
                bail!("{} already exists; choose another --output", output.display());
            }
            store.backup_sqlite_to(&output).await.context("writing the backup")?;
            println!("バックアップを作成しました: {}", output.display());
            Ok(())
        }
        mamori_store::Backend::Postgres => {
            println!("PostgreSQL のバックアップには pg_dump を使ってください。例:");
            println!("  pg_dump --format=custom --file=mamori-$(date +%Y%m%d).dump \"$MAMORI_DATABASE_URL\"");
            println!("復元は pg_restore --clean --dbname=… で行います。変更記録（events）も含めて丸ごと保存してください。");
            Ok(())
        }
    }
}

fn chrono_stamp() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    secs.to_string()
}
