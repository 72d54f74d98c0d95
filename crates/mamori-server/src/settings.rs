//! Server settings. The CLI fills them from defaults, flags and `MAMORI_*` variables.

use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Consecutive failed sign-ins (password or second factor) from which an account is
    /// closed for a while (対策基準6.2(4) ログイン試行回数の制限).
    pub lockout_limit: i64,
    /// How long the first lockout lasts; each further failure doubles it.
    pub lockout_first: Duration,
    /// The longest lockout.
    pub lockout_longest: Duration,
    /// Failed sign-ins from one client address within `login_throttle_window` after which
    /// sign-ins from that address are refused before any password is checked. Counted in
    /// this process's memory (see ARCHITECTURE "Decisions").
    pub login_throttle_max: usize,
    pub login_throttle_window: Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed. From any other peer the header
    /// is ignored and the connection's address is the client's.
    pub trusted_proxies: Vec<IpAddr>,
    /// A session unused for this long ends (6.2(4) アクセスタイムアウト).
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however much it is used.
    pub session_lifetime: Duration,
    /// Send cookies with `Secure`: on whenever mamori is reached over HTTPS.
    pub secure_cookies: bool,
    /// Minimum password length (5.4(3)③ パスワードは十分な長さとし).
    pub min_password_length: usize,
    /// The issuer name shown in authenticator apps.
    pub totp_issuer: String,
    /// Where incident notices are mailed from; `None` keeps notices in the app only.
    pub mail: Option<MailSettings>,
    /// The ledger's witnesses, anchor mail and key warnings.
    pub ledger: LedgerSettings,
}

impl Settings {
    /// The lockout after failed sign-ins, as the store applies it.
    pub fn lockout_schedule(&self) -> mamori_store::users::LockoutSchedule {
        mamori_store::users::LockoutSchedule {
            after_failures: self.lockout_limit,
            first: self.lockout_first,
            longest: self.lockout_longest,
        }
    }
}

/// What the server knows about the ledger beyond the database.
#[derive(Debug, Clone)]
pub struct LedgerSettings {
    /// A registered witness that has not cosigned for longer than this raises an alarm.
    pub witness_max_age: Duration,
    /// Addresses the latest checkpoint is mailed to once a day (the auditors' anchor).
    pub anchor_mail_to: Vec<String>,
    /// Warnings about where the signing key is kept, found at start-up.
    pub key_warnings: Vec<String>,
    /// Witnesses the server pushes its latest checkpoint to (tlog-witness add-checkpoint at
    /// `<url>/add-checkpoint`), e.g. `http://kansa.town.lg.jp:8081`.
    pub witness_urls: Vec<String>,
    /// How often each of them is pushed the latest checkpoint.
    pub witness_push_every: Duration,
}

impl Default for LedgerSettings {
    fn default() -> Self {
        Self {
            witness_max_age: Duration::from_secs(24 * 3600),
            anchor_mail_to: Vec::new(),
            key_warnings: Vec::new(),
            witness_urls: Vec::new(),
            witness_push_every: Duration::from_secs(3600),
        }
    }
}

/// A URL with its password (if any) replaced by `***`, for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// Outgoing mail for notices (インシデントの通知).
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:port` (plain, for a relay on the local network), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://host` — lettre's URL form.
    pub smtp_url: String,
    /// The sender, e.g. `mamori <mamori@town.example.lg.jp>`.
    pub from: String,
    /// The address people open mamori at, for the link in a notice (`https://mamori.town.lg.jp`).
    pub base_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lockout_limit: 5,
            lockout_first: Duration::from_secs(60),
            lockout_longest: Duration::from_secs(3600),
            login_throttle_max: 20,
            login_throttle_window: Duration::from_secs(600),
            trusted_proxies: Vec::new(),
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            min_password_length: 12,
            totp_issuer: "mamori".to_owned(),
            mail: None,
            ledger: LedgerSettings::default(),
        }
    }
}

/// The URL's password never reaches a log through `{:?}`.
impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(redact_url("smtps://mamori:s3cret@mail.town.lg.jp:465"), "smtps://mamori:***@mail.town.lg.jp:465");
        assert_eq!(redact_url("smtp://relay:25?tls=required"), "smtp://relay:25?tls=required");
        assert_eq!(redact_url("smtp://u:p@h/x?tls=required"), "smtp://u:***@h/x?tls=required");
        let m = MailSettings { smtp_url: "smtps://a:b@c".into(), from: "x@y".into(), base_url: String::new() };
        assert!(!format!("{m:?}").contains(":b@"));
    }
}
