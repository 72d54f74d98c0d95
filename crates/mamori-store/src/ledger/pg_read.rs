//! The whole-ledger read on PostgreSQL, through connections of its own.
//!
//! Through sqlx's `Any` driver the server packs each span of events into one text (see
//! `read.rs`), and events and stored hashes take turns on one connection: the server works
//! on one core while the verifier waits. Here two connections of their own, both in the
//! verifying transaction's snapshot (`pg_export_snapshot` / `SET TRANSACTION SNAPSHOT`),
//! read at the same time: one copies out the events with `COPY … TO STDOUT (FORMAT
//! binary)`, the server's cheapest form of its rows, which keeps NULL, integers and text
//! apart ([`crate::pg_copy`]); the other asks for a digest of each span of stored hashes,
//! which the verifier compares with the recomputed ones' (sending the hashes themselves
//! cost the server and the verifier about a fifth of the whole verification, measured in
//! ARCHITECTURE.md).
//!
//! Both connections see exactly the rows the verifying snapshot sees; the read is still
//! bounded like the SQLite one (events `1..=event_seq`, the stored hashes a tree of that
//! many leaves has), and the caller checks that nothing lies beyond. Whatever this read
//! cannot vouch for — a column of another type than the migrations gave it, a NULL where
//! the leaf needs a value, a span of stored hashes that is not one 32-byte hash per index,
//! a digest that differs, a connection that cannot be made — stops it, and the caller
//! verifies through sqlx instead, which reports as it always has and names each hash that
//! differs.

use futures_util::StreamExt;
use mamori_ledger::Hash;
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::mpsc;

use super::read::{
    has_columns, interrupted, ArenaEvents, ArenaRow, Events, ReadOutcome, Stopped, StoredHashes, COLUMN_TYPES, EVENTS_SPAN, HASHES_SPAN,
};
use crate::pg_copy::{int8, Tuples};
use crate::Result;

/// The leaf columns copied out, [`super::LEAF_COLUMNS`] but `org_id`: every row copied is
/// of the organization the query names, which [`events_arena`] puts in each leaf.
const COPIED_COLUMNS: &str =
    "seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result";

const HASH_COLUMN_TYPES: [(&str, &str); 3] = [("org_id", "bigint"), ("idx", "bigint"), ("hash", "bytea")];

/// A connection in the snapshot `snapshot`, read-only; `None` when it cannot be made (too
/// many connections, say): the caller then reads through its own connection.
async fn connect(url: &str, snapshot: &str) -> Option<PgConnection> {
    // The identifier comes from the server; it is put in the statement only as what it
    // always is, hex digits and dashes.
    if snapshot.is_empty() || !snapshot.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return None;
    }
    let attempt = async {
        let mut conn = PgConnection::connect(url).await?;
        // A span is a range of a unique index: walked in order by an index scan. Left to
        // itself the planner often takes a bitmap scan and sorts what it found, which
        // costs the server half as much again (measured in ARCHITECTURE.md). These
        // settings hold only for this connection, which runs nothing but the read.
        conn.execute("SET enable_bitmapscan = off").await?;
        conn.execute("SET enable_sort = off").await?;
        // Nor a parallel plan: the stored hashes' digest takes the rows in the order one
        // index scan gives them.
        conn.execute("SET max_parallel_workers_per_gather = 0").await?;
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
        conn.execute(format!("SET TRANSACTION SNAPSHOT '{snapshot}'").as_str()).await?;
        Ok::<_, sqlx::Error>(conn)
    };
    match attempt.await {
        Ok(conn) => Some(conn),
        Err(e) => {
            tracing::warn!(error = %e, "whole-ledger read: no connection of its own; reading through the pool's");
            None
        }
    }
}

/// Whether `table` has every column the binary read takes from it, of the type it expects.
async fn columns_are(conn: &mut PgConnection, table: &str, expected: &[(&str, &str)]) -> Result<bool> {
    let types: Vec<(String, String)> = sqlx::query_as(crate::dialect::PG_COLUMN_TYPES).bind(table).fetch_all(&mut *conn).await?;
    Ok(has_columns(&types, expected))
}

/// The whole output of one `COPY … TO STDOUT`, into `buf`.
async fn copy_out(conn: &mut PgConnection, sql: &str, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    let mut stream = conn.copy_out_raw(sql).await?;
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
    }
    Ok(())
}

/// Reads events `1..=event_seq` of organization `org_id` in spans of [`EVENTS_SPAN`]
/// sequence numbers, in the snapshot `snapshot`.
pub(super) async fn read_events(url: &str, snapshot: &str, org_id: i64, event_seq: i64, tx: &mpsc::Sender<Events>) -> ReadOutcome {
    let Some(mut conn) = connect(url, snapshot).await else {
        return Ok(Err(Stopped::CannotVouch));
    };
    if !columns_are(&mut conn, "events", &COLUMN_TYPES).await? {
        return Ok(Err(Stopped::CannotVouch));
    }
    // Each span is parsed on a blocking thread while the server copies out the next, and
    // the spans are sent in order.
    let mut parsing: Option<tokio::task::JoinHandle<Option<ArenaEvents>>> = None;
    let mut after = 0i64;
    while after < event_seq {
        let up_to = after.saturating_add(EVENTS_SPAN).min(event_seq);
        let sql = format!(
            "COPY (SELECT {COPIED_COLUMNS} FROM events WHERE org_id = {org_id} AND seq > {after} AND seq <= {up_to} ORDER BY seq) TO STDOUT (FORMAT binary)"
        );
        let mut buf = Vec::with_capacity(EVENTS_SPAN as usize * 192);
        copy_out(&mut conn, &sql, &mut buf).await?;
        after = up_to;
        let next = tokio::task::spawn_blocking(move || events_arena(&buf, org_id));
        if let Some(span) = parsing.replace(next) {
            if let Err(stopped) = send_parsed(span, tx).await? {
                return Ok(Err(stopped));
            }
        }
    }
    if let Some(span) = parsing {
        if let Err(stopped) = send_parsed(span, tx).await? {
            return Ok(Err(stopped));
        }
    }
    conn.close().await.ok();
    Ok(Ok(()))
}

/// Sends a span of events once parsed (none when it is empty).
async fn send_parsed(parsing: tokio::task::JoinHandle<Option<ArenaEvents>>, tx: &mpsc::Sender<Events>) -> ReadOutcome {
    let Some(arena) = parsing.await.map_err(interrupted("読み出し"))? else {
        return Ok(Err(Stopped::CannotVouch));
    };
    if !arena.rows.is_empty() && tx.send(arena.into_events()).await.is_err() {
        return Ok(Err(Stopped::Closed));
    }
    Ok(Ok(()))
}

/// Reads the stored hashes with `idx < below` of organization `org_id` in spans of
/// [`HASHES_SPAN`] indexes, in the snapshot `snapshot`: of each span the server sends only
/// its digest ([`mamori_ledger::verify::stored_span_digest`]), which the verifier compares
/// with that of the recomputed hashes.
///
/// The digest vouches for a span when the span has exactly `to - from` rows, each hash is
/// 32 bytes, and no index occurs twice (the table's unique key on `(org_id, idx)`, checked
/// in the catalog): then the rows are the indexes `from..to`, and the digest, taken in
/// index order, is that of their hashes. The rows reach the aggregate in the order of the
/// subquery's index scan; should a plan ever give another order, the digest differs and
/// the ledger is verified again through sqlx, row by row.
pub(super) async fn read_hashes(url: &str, snapshot: &str, org_id: i64, below: i64, tx: &mpsc::Sender<StoredHashes>) -> ReadOutcome {
    let Some(mut conn) = connect(url, snapshot).await else {
        return Ok(Err(Stopped::CannotVouch));
    };
    if !columns_are(&mut conn, "ledger_hashes", &HASH_COLUMN_TYPES).await? || !unique_on_org_and_idx(&mut conn).await? {
        return Ok(Err(Stopped::CannotVouch));
    }
    let mut from = 0i64;
    while from < below {
        let to = from.saturating_add(HASHES_SPAN).min(below);
        let (rows, all_32, digest): (i64, bool, Vec<u8>) = sqlx::query_as(
            "SELECT count(*), coalesce(bool_and(octet_length(hash) = 32), true), sha256(coalesce(string_agg(hash, ''::bytea), ''::bytea))
             FROM (SELECT hash FROM ledger_hashes WHERE org_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx) s",
        )
        .bind(org_id)
        .bind(from)
        .bind(to)
        .fetch_one(&mut conn)
        .await?;
        let Ok(digest) = <[u8; 32]>::try_from(digest) else {
            return Ok(Err(Stopped::CannotVouch));
        };
        if rows != to - from || !all_32 {
            return Ok(Err(Stopped::CannotVouch));
        }
        if tx.send(StoredHashes::Digest { from, to, digest: Hash(digest) }).await.is_err() {
            return Ok(Err(Stopped::Closed));
        }
        from = to;
    }
    conn.close().await.ok();
    Ok(Ok(()))
}

/// Whether `ledger_hashes` has a valid unique index on exactly `(org_id, idx)`, as the
/// migrations give it (its primary key): no index occurs twice in an organization.
async fn unique_on_org_and_idx(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_index i
             WHERE i.indrelid = 'ledger_hashes'::regclass AND i.indisunique AND i.indisvalid AND i.indimmediate
               AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnatts = 2
               AND ARRAY(SELECT a.attname::text FROM pg_attribute a
                         WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[]) ORDER BY a.attname) = ARRAY['idx', 'org_id'])",
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// The events of one binary COPY of [`COPIED_COLUMNS`] of organization `org_id`, or `None`
/// when a value is not what its column holds (or the text is not well formed).
pub(super) fn events_arena(buf: &[u8], org_id: i64) -> Option<ArenaEvents> {
    let mut tuples = Tuples::new(buf).ok()?;
    let mut text = Vec::with_capacity(buf.len());
    let mut rows = Vec::new();
    while let Some(f) = tuples.next_tuple::<13>().ok()? {
        let int = |i: usize| int8(f[i]?);
        let nullable = |i: usize| match f[i] {
            None => Some(None),
            Some(v) => int8(v).map(Some),
        };
        let mut span = |i: usize| {
            let bytes = f[i]?;
            let start = u32::try_from(text.len()).ok()?;
            text.extend_from_slice(bytes);
            Some((start, u32::try_from(text.len()).ok()?))
        };
        rows.push(ArenaRow {
            at: span(1)?,
            actor: span(4)?,
            role: span(5)?,
            action: span(6)?,
            target_kind: span(7)?,
            target_id: span(8)?,
            payload: span(9)?,
            request_id: span(10)?,
            result: span(12)?,
            org_id,
            seq: int(0)?,
            clock_synced: int(2)?,
            actor_user_id: nullable(3)?,
            profile_version_id: nullable(11)?,
        });
    }
    ArenaEvents::new(text, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copied_columns_are_the_leaf_columns_but_the_organization() {
        assert_eq!(format!("org_id, {COPIED_COLUMNS}"), super::super::LEAF_COLUMNS);
    }

    /// One row of [`COPIED_COLUMNS`] as binary COPY fields.
    fn row(seq: i64, actor: &str, actor_user_id: Option<i64>) -> Vec<Option<Vec<u8>>> {
        let int = |v: i64| Some(v.to_be_bytes().to_vec());
        let text = |v: &str| Some(v.as_bytes().to_vec());
        vec![
            int(seq),
            text("2026-12-03T09:00:00.000+09:00"),
            int(1),
            actor_user_id.and_then(int),
            text(actor),
            text("security_manager"),
            text("asset.update"),
            text("asset"),
            text(&seq.to_string()),
            text("{}"),
            text(""),
            None,
            text("ok"),
        ]
    }

    #[test]
    fn events_copied_out_become_rows_of_the_organization_read() {
        let arena = events_arena(&crate::pg_copy::encode(&[row(1, "総務 太郎", Some(3)), row(2, "system", None)]), 7).unwrap();
        assert_eq!(arena.rows.len(), 2);
        assert_eq!(arena.last_seq, 2);
        let r = &arena.rows[0];
        assert_eq!((r.org_id, r.seq, r.clock_synced, r.actor_user_id, r.profile_version_id), (7, 1, 1, Some(3), None));
        let text = |(a, b): (u32, u32)| &arena.text[a as usize..b as usize];
        assert_eq!(text(r.actor), "総務 太郎");
        assert_eq!(text(r.target_id), "1");
        assert_eq!(text(r.result), "ok");
        assert_eq!(arena.rows[1].actor_user_id, None);
        assert_eq!(text(arena.rows[1].actor), "system");
    }

    #[test]
    fn a_value_the_leaf_cannot_take_stops_the_read() {
        // NULL text, an integer of four bytes, a row of another width, text not UTF-8.
        let mut null_text = row(1, "a", None);
        null_text[4] = None;
        let mut short_int = row(1, "a", None);
        short_int[0] = Some(1i32.to_be_bytes().to_vec());
        let mut wide = row(1, "a", None);
        wide.push(None);
        let mut not_utf8 = row(1, "a", None);
        not_utf8[5] = Some(vec![0xe6, 0x97]);
        for (what, bad) in [("null text", null_text), ("short int", short_int), ("wide", wide), ("not UTF-8", not_utf8)] {
            assert!(events_arena(&crate::pg_copy::encode(&[row(1, "a", None), bad]), 7).is_none(), "{what}");
        }
    }
}
