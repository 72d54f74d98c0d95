//! The whole-ledger read on SQLite, through a connection of its own.
//!
//! sqlx runs SQLite on a worker thread and copies every value of every row into its own
//! types before the caller sees it; over a whole ledger that costs several times what
//! verifying the rows does. Here the database file is opened read-only with `rusqlite` (the
//! same SQLite library sqlx links), on a blocking thread, and each row's values are copied
//! once into one text arena per span, checked as UTF-8 once per span ([`super::read::ArenaEvents`]).
//!
//! Events and stored hashes are read on two connections, each on a thread of its own, while
//! a third verifies: reading is what limits the speed.
//!
//! The read is bounded by what the verifying snapshot saw: events `1..=event_seq` and the
//! stored hashes a tree of that many leaves has. Both are append-only, so a second snapshot
//! holds the same rows below those bounds; the caller checks in its own snapshot that
//! nothing lies beyond them. A value this read cannot vouch for (another storage class than
//! the column's, a hash that is not 32 bytes) stops it, and the caller verifies through
//! sqlx instead, which reports the problem as it always has.

use std::path::Path;

use mamori_ledger::Hash;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use super::read::{ArenaEvents, ArenaRow, Events, Hashes, ReadOutcome, Stopped, StoredHashes, EVENTS_SPAN, HASHES_SPAN};
use crate::{Result, StoreError};

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Ledger(format!("データベースを読み出せません: {e}"))
}

fn open(path: &Path) -> Result<Connection> {
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(sqlite_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sqlite_error)?;
    // A single pass over the whole file: mapped pages cost no read call and no copy.
    conn.execute_batch("PRAGMA mmap_size = 17179869184").map_err(sqlite_error)?;
    // One read transaction, so that every span comes from one snapshot.
    conn.execute_batch("BEGIN").map_err(sqlite_error)?;
    Ok(conn)
}

/// Reads events `1..=event_seq` of organization `org_id` from the file at `path`, in spans
/// of [`EVENTS_SPAN`] sequence numbers.
pub(super) fn read_events(path: &Path, org_id: i64, event_seq: i64, tx: &mpsc::Sender<Events>) -> ReadOutcome {
    let conn = open(path)?;
    let mut events = conn
        .prepare(
            "SELECT org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result
             FROM events WHERE org_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq",
        )
        .map_err(sqlite_error)?;
    let mut after = 0i64;
    while after < event_seq {
        let up_to = after.saturating_add(EVENTS_SPAN).min(event_seq);
        let mut text: Vec<u8> = Vec::with_capacity(EVENTS_SPAN as usize * 256);
        let mut arena_rows = Vec::with_capacity(EVENTS_SPAN as usize);
        let mut rows = events.query((org_id, after, up_to)).map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let Some(r) = arena_row(row, &mut text) else {
                return Ok(Err(Stopped::CannotVouch));
            };
            arena_rows.push(r);
        }
        drop(rows);
        let Some(arena) = ArenaEvents::new(text, arena_rows) else {
            return Ok(Err(Stopped::CannotVouch));
        };
        after = up_to;
        if arena.rows.is_empty() {
            continue;
        }
        if tx.blocking_send(arena.into_events()).is_err() {
            return Ok(Err(Stopped::Closed));
        }
    }
    Ok(Ok(()))
}

/// Reads the stored hashes with `idx < below` of organization `org_id` from the file at
/// `path`, in spans of [`HASHES_SPAN`] indexes.
pub(super) fn read_hashes(path: &Path, org_id: i64, below: i64, tx: &mpsc::Sender<StoredHashes>) -> ReadOutcome {
    let conn = open(path)?;
    let mut hashes = conn
        .prepare("SELECT idx, hash FROM ledger_hashes WHERE org_id = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx")
        .map_err(sqlite_error)?;
    let mut from = 0i64;
    while from < below {
        let to = from.saturating_add(HASHES_SPAN).min(below);
        let mut items = Vec::with_capacity((to - from) as usize);
        let mut rows = hashes.query((org_id, from, to)).map_err(sqlite_error)?;
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let (Ok(ValueRef::Integer(idx)), Ok(ValueRef::Blob(hash))) = (row.get_ref(0), row.get_ref(1)) else {
                return Ok(Err(Stopped::CannotVouch));
            };
            let Ok(hash) = <[u8; 32]>::try_from(hash) else {
                return Ok(Err(Stopped::CannotVouch));
            };
            items.push((idx, Some(Hash(hash))));
        }
        drop(rows);
        from = to;
        if tx.blocking_send(StoredHashes::Items(Hashes { items, covered: to })).is_err() {
            return Ok(Err(Stopped::Closed));
        }
    }
    Ok(Ok(()))
}

/// Copies one event row into the arena, or `None` when a value is not of its column's
/// storage class. The caller checks that the texts are UTF-8.
fn arena_row(row: &rusqlite::Row<'_>, text: &mut Vec<u8>) -> Option<ArenaRow> {
    let int = |i: usize| match row.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Some(v),
        _ => None,
    };
    let nullable = |i: usize| match row.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Some(Some(v)),
        Ok(ValueRef::Null) => Some(None),
        _ => None,
    };
    let span = |i: usize, text: &mut Vec<u8>| match row.get_ref(i) {
        Ok(ValueRef::Text(bytes)) => {
            let start = u32::try_from(text.len()).ok()?;
            text.extend_from_slice(bytes);
            Some((start, u32::try_from(text.len()).ok()?))
        }
        _ => None,
    };
    Some(ArenaRow {
        org_id: int(0)?,
        seq: int(1)?,
        clock_synced: int(3)?,
        actor_user_id: nullable(4)?,
        profile_version_id: nullable(12)?,
        at: span(2, text)?,
        actor: span(5, text)?,
        role: span(6, text)?,
        action: span(7, text)?,
        target_kind: span(8, text)?,
        target_id: span(9, text)?,
        payload: span(10, text)?,
        request_id: span(11, text)?,
        result: span(13, text)?,
    })
}
