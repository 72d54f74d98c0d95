//! The SQL that differs between backends, and nothing else.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// Statements run on every new connection.
    pub(crate) fn session_setup(self) -> &'static [&'static str] {
        match self {
            // WAL lets readers work while one writer commits; FULL makes a commit durable
            // before the caller hears of it.
            Backend::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = FULL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 10000",
            ],
            Backend::Postgres => &["SET synchronous_commit = on", "SET TIME ZONE 'Asia/Tokyo'"],
        }
    }

    /// A condition selecting assets whose name or description contains the text bound at
    /// `$n`, and the value to bind for it.
    pub(crate) fn asset_text_match(self, n: usize, query: &str) -> (String, String) {
        match self {
            Backend::Sqlite if query.chars().count() >= 3 => (
                format!("a.id IN (SELECT rowid FROM assets_search WHERE assets_search MATCH ${n})"),
                // A quoted FTS5 string is matched as a phrase: here a plain substring.
                format!("\"{}\"", query.replace('"', "\"\"")),
            ),
            // The trigram index cannot answer fewer than three characters; scan instead.
            Backend::Sqlite => (
                format!("(instr(a.name, ${n}) > 0 OR instr(a.description, ${n}) > 0)"),
                query.to_owned(),
            ),
            Backend::Postgres => (
                format!("(a.name || ' ' || a.description) LIKE ${n}"),
                format!("%{}%", query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")),
            ),
        }
    }
}
