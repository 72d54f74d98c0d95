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

    /// Keeps the SQLite search index in step with an asset's name and description.
    pub(crate) async fn index_asset_text(self, conn: &mut sqlx::AnyConnection, id: i64, name: &str, description: &str, replace: bool) -> Result<(), sqlx::Error> {
        if self != Backend::Sqlite {
            // PostgreSQL's trigram index is maintained by the database itself.
            return Ok(());
        }
        if replace {
            sqlx::query("DELETE FROM assets_search WHERE rowid = $1").bind(id).execute(&mut *conn).await?;
        }
        sqlx::query("INSERT INTO assets_search (rowid, name, description) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(crate::search::bigram_document(name))
            .bind(crate::search::bigram_document(description))
            .execute(&mut *conn)
            .await?;
        Ok(())
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

    /// How to find assets whose name or description contains `query`.
    ///
    /// Measured on SQLite with 1,000,000 assets (benches/asset_register.rs): letting the
    /// bigram index drive the query in id order costs at most one lookup per match, so it
    /// answers in milliseconds for any term, except a frequent term searched within one
    /// department, where scanning that department's rows in id order finds a page sooner.
    /// `frequent_in_one_department` is that case, found by the caller's probe of the index.
    /// One character cannot use the bigram index and is always a scan.
    pub(crate) fn asset_text_search(self, query: &str, frequent_in_one_department: bool) -> TextSearch {
        let scan = || TextSearch::Condition {
            template: "(instr(a.name, $?) > 0 OR instr(a.description, $?) > 0)",
            value: query.to_owned(),
        };
        match self {
            Backend::Sqlite if frequent_in_one_department => scan(),
            Backend::Sqlite => match crate::search::bigram_phrase(query) {
                Some(value) => TextSearch::IndexDriven { value },
                None => scan(),
            },
            Backend::Postgres => TextSearch::Condition {
                // Served by the pg_trgm GIN index on the same expression.
                template: "(a.name || ' ' || a.description) LIKE $?",
                value: format!("%{}%", query.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")),
            },
        }
    }
}

/// A text search plan: a condition on the asset row, or the SQLite full-text table joined
/// in front of the asset table (`assets_search f`), matched with the value.
pub(crate) enum TextSearch {
    IndexDriven { value: String },
    Condition { template: &'static str, value: String },
}
