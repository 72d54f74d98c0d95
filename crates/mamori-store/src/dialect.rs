//! The SQL that differs between backends, and nothing else.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The `(column, type)` of every column of the PostgreSQL table named `$1`, types as
/// `format_type` writes them (`bigint`, `text`, `bytea`).
pub(crate) const PG_COLUMN_TYPES: &str = "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped";

impl Backend {
    /// How many rows of `params_per_row` parameters one multi-row INSERT should carry.
    /// sqlx binds SQLite's `$N` parameters by name, and SQLite finds each name by a linear
    /// scan of the statement's parameter list, so binding costs the square of the parameter
    /// count: a 2,800-parameter statement spent more time binding than inserting. PostgreSQL
    /// binds by position and gains from fewer round trips.
    pub(crate) fn rows_per_insert(self, params_per_row: usize) -> usize {
        let params = match self {
            Backend::Sqlite => 120,
            Backend::Postgres => 3_000,
        };
        (params / params_per_row.max(1)).max(1)
    }

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
    pub(crate) async fn index_asset_text(
        self,
        conn: &mut sqlx::AnyConnection,
        id: i64,
        name: &str,
        description: &str,
        replace: bool,
    ) -> Result<(), sqlx::Error> {
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
            Backend::Sqlite => {
                &["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 10000"]
            }
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
        let scan =
            || TextSearch::Condition { template: "(instr(a.name, $?) > 0 OR instr(a.description, $?) > 0)", value: query.to_owned() };
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

    /// Reads the events with `$2 < seq <= $3` of organization `$1` as one row: the events
    /// packed into one text, how many there are, the largest `seq`, and whether the packed
    /// text holds exactly what reading the rows one by one would (1) or not (0).
    ///
    /// SQLite packs a JSON array of arrays, which keeps integers, text and NULL apart. A
    /// BLOB would be read as JSONB or refused, so any value of another storage class than
    /// the column's makes the answer 0: BLOB and TEXT sort above INTEGER, and BLOB above
    /// TEXT, so the storage class of each column's `max` tells. PostgreSQL packs the rows'
    /// text form, `(1,2,"a ""b""",,…)` (see [`Backend::event_column_types`] for why 1).
    pub(crate) fn packed_events(self) -> (PackedEvents, &'static str) {
        match self {
            Backend::Sqlite => (
                PackedEvents::Json,
                "SELECT json_group_array(json_array(org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result)),
                        count(*), max(seq),
                        typeof(max(org_id)) = 'integer' AND typeof(max(seq)) = 'integer' AND typeof(max(at)) = 'text'
                        AND typeof(max(clock_synced)) = 'integer' AND typeof(max(actor_user_id)) IN ('integer', 'null')
                        AND typeof(max(actor)) = 'text' AND typeof(max(role)) = 'text' AND typeof(max(action)) = 'text'
                        AND typeof(max(target_kind)) = 'text' AND typeof(max(target_id)) = 'text' AND typeof(max(payload)) = 'text'
                        AND typeof(max(request_id)) = 'text' AND typeof(max(profile_version_id)) IN ('integer', 'null')
                        AND typeof(max(result)) = 'text'
                 FROM events WHERE org_id = $1 AND seq > $2 AND seq <= $3",
            ),
            Backend::Postgres => (
                PackedEvents::Record,
                "SELECT string_agg(ROW(org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result)::text, ''),
                        count(*), max(seq), CAST(1 AS BIGINT)
                 FROM events WHERE org_id = $1 AND seq > $2 AND seq <= $3",
            ),
        }
    }

    /// The `(column, type)` of the events table, where the packed text's form depends on
    /// the types: PostgreSQL's row text does not say whether `5` was a number or a string,
    /// so it is used only when the columns have the types the migrations gave them. Takes
    /// the table's name as `$1` ([`PG_COLUMN_TYPES`]).
    pub(crate) fn event_column_types(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PG_COLUMN_TYPES),
        }
    }

    /// Reads the stored hashes with `$2 <= idx < $3` of organization `$1` as one row: the
    /// hashes concatenated, their indexes as decimal text joined by commas (in the same
    /// order), how many there are, and whether every one is a 32-byte binary value (1) or not
    /// (0) — then the rows must be read one by one, which says which is not.
    pub(crate) fn packed_hashes(self) -> &'static str {
        match self {
            Backend::Sqlite => {
                "SELECT CAST(group_concat(hash, '') AS BLOB), group_concat(idx), count(*),
                        typeof(max(idx)) = 'integer' AND typeof(min(hash)) = 'blob' AND sum(length(hash) = 32) = count(*)
                 FROM ledger_hashes WHERE org_id = $1 AND idx >= $2 AND idx < $3"
            }
            Backend::Postgres => {
                "SELECT string_agg(hash, ''::bytea), string_agg(idx::text, ','), count(*),
                        CAST(CASE WHEN bool_and(coalesce(length(hash) = 32, false)) THEN 1 ELSE 0 END AS BIGINT)
                 FROM ledger_hashes WHERE org_id = $1 AND idx >= $2 AND idx < $3"
            }
        }
    }
}

/// How [`Backend::packed_events`] packs the events: the leaf columns of each, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PackedEvents {
    /// `[[org_id, seq, "at", …], …]`.
    Json,
    /// `(org_id,seq,at,…)(…)…`: PostgreSQL's text form of a row, one after another.
    Record,
}

/// A text search plan: a condition on the asset row, or the SQLite full-text table joined
/// in front of the asset table (`assets_search f`), matched with the value.
pub(crate) enum TextSearch {
    IndexDriven { value: String },
    Condition { template: &'static str, value: String },
}
