//! The whole-ledger read on PostgreSQL, through connections of its own.
//!
//! Through sqlx's `Any` driver the server packs each span of events into one text (see
//! `read.rs`), and events and stored hashes take turns on one connection: the server works
//! on one core while the verifier waits. Here two connections of their own, both in the
//! verifying transaction's snapshot (`pg_export_snapshot` / `SET TRANSACTION SNAPSHOT`),
//! read the events and the stored hashes at the same time, each with `COPY … TO STDOUT
//! (FORMAT binary)`: the server's cheapest form of its rows, which keeps NULL, integers
//! and text apart ([`crate::pg_copy`]).
//!
//! Both connections see exactly the rows the verifying snapshot sees; the read is still
//! bounded like the SQLite one (events `1..=event_seq`, the stored hashes a tree of that
//! many leaves has), and the caller checks that nothing lies beyond. Whatever this read
//! cannot vouch for — a column of another type than the migrations gave it, a NULL where
//! the leaf needs a value, a hash that is not 32 bytes, a connection that cannot be made —
//! stops it, and the caller verifies through sqlx instead, which reports as it always has.

use futures_util::StreamExt;
use mamori_ledger::Hash;
use sqlx::{Connection, Executor, PgConnection, Row};
use tokio::sync::mpsc;

use super::read::{read_joined, ArenaEvents, ArenaRow, Events, Hashes, ReadOutcome, Stopped, COLUMN_TYPES, EVENTS_SPAN, HASHES_SPAN};
use crate::pg_copy::{int8, Tuples};
use crate::Result;

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
    let rows = sqlx::query(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
         WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    let types: Vec<(String, String)> = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?;
    Ok(expected.iter().all(|(column, ty)| types.iter().any(|(c, t)| c == column && t == ty)))
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
            "COPY (SELECT {} FROM events WHERE org_id = {org_id} AND seq > {after} AND seq <= {up_to} ORDER BY seq) TO STDOUT (FORMAT binary)",
            super::LEAF_COLUMNS
        );
        let mut buf = Vec::with_capacity(EVENTS_SPAN as usize * 192);
        copy_out(&mut conn, &sql, &mut buf).await?;
        after = up_to;
        let next = tokio::task::spawn_blocking(move || events_arena(&buf));
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
    let Some(arena) = read_joined(parsing.await)? else {
        return Ok(Err(Stopped::CannotVouch));
    };
    if !arena.rows.is_empty() && tx.send(arena.into_events()).await.is_err() {
        return Ok(Err(Stopped::Closed));
    }
    Ok(Ok(()))
}

/// Reads the stored hashes with `idx < below` of organization `org_id` in spans of
/// [`HASHES_SPAN`] indexes, in the snapshot `snapshot`.
pub(super) async fn read_hashes(url: &str, snapshot: &str, org_id: i64, below: i64, tx: &mpsc::Sender<Hashes>) -> ReadOutcome {
    let Some(mut conn) = connect(url, snapshot).await else {
        return Ok(Err(Stopped::CannotVouch));
    };
    if !columns_are(&mut conn, "ledger_hashes", &HASH_COLUMN_TYPES).await? {
        return Ok(Err(Stopped::CannotVouch));
    }
    let mut buf = Vec::new();
    let mut from = 0i64;
    while from < below {
        let to = from.saturating_add(HASHES_SPAN).min(below);
        let sql = format!(
            "COPY (SELECT idx, hash FROM ledger_hashes WHERE org_id = {org_id} AND idx >= {from} AND idx < {to} ORDER BY idx) TO STDOUT (FORMAT binary)"
        );
        copy_out(&mut conn, &sql, &mut buf).await?;
        let Some(items) = hash_items(&buf) else {
            return Ok(Err(Stopped::CannotVouch));
        };
        from = to;
        if tx.send(Hashes { items, covered: to }).await.is_err() {
            return Ok(Err(Stopped::Closed));
        }
    }
    conn.close().await.ok();
    Ok(Ok(()))
}

/// The events of one binary COPY of [`super::LEAF_COLUMNS`], or `None` when a value is not
/// what its column holds (or the text is not well formed).
pub(super) fn events_arena(buf: &[u8]) -> Option<ArenaEvents> {
    let mut tuples = Tuples::new(buf).ok()?;
    let mut text = Vec::with_capacity(buf.len());
    let mut rows = Vec::new();
    while let Some(f) = tuples.next_tuple::<14>().ok()? {
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
            at: span(2)?,
            actor: span(5)?,
            role: span(6)?,
            action: span(7)?,
            target_kind: span(8)?,
            target_id: span(9)?,
            payload: span(10)?,
            request_id: span(11)?,
            result: span(13)?,
            org_id: int(0)?,
            seq: int(1)?,
            clock_synced: int(3)?,
            actor_user_id: nullable(4)?,
            profile_version_id: nullable(12)?,
        });
    }
    ArenaEvents::new(text, rows)
}

/// The `(idx, hash)` pairs of one binary COPY of `idx, hash`, or `None` when one is NULL or
/// not 32 bytes (or the text is not well formed).
pub(super) fn hash_items(buf: &[u8]) -> Option<Vec<(i64, Option<Hash>)>> {
    let mut tuples = Tuples::new(buf).ok()?;
    let mut items = Vec::with_capacity(HASHES_SPAN as usize);
    while let Some([idx, hash]) = tuples.next_tuple::<2>().ok()? {
        items.push((int8(idx?)?, Some(Hash(<[u8; 32]>::try_from(hash?).ok()?))));
    }
    Some(items)
}
