//! Reading an organization's whole ledger: its events and stored hashes, in order.
//!
//! Read a row at a time, sqlx's `Any` driver costs some microseconds per row, several
//! times what verifying the row costs. So the database packs a span of events into one
//! value ([`Backend::packed_events`]) and a span of stored hashes into another
//! ([`Backend::packed_hashes`]), and they are unpacked here. The packed value holds exactly
//! what the rows hold: where the database cannot vouch for that (a value of an unexpected
//! type, a hash that is not 32 bytes), that span is read row by row as before, so that
//! verification reports the same problems and fails on the same rows.
//!
//! [`feed_verifier`] reads the next span while the previous one is verified: the reading
//! stays on the async task that holds the snapshot, the verifying runs on a blocking thread.
//!
//! On a SQLite file, verification reads past sqlx altogether ([`feed_verifier_from_file`],
//! `sqlite_read.rs`) and comes back to [`feed_verifier`] only for what that read cannot
//! vouch for; the packed read serves PostgreSQL, in-memory SQLite and the bundle export.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use mamori_ledger::checkpoint::{CheckpointError, SignedCheckpoint};
use mamori_ledger::leaf::LeafView;
use mamori_ledger::{Hash, Leaf, Verifier};
use serde::Deserialize;
use sqlx::{AnyConnection, Row};
use tokio::sync::mpsc;

use super::EventLeafRow;
use crate::dialect::{Backend, PackedEvents};
use crate::{Result, StoreError};

/// Sequence numbers per events read.
pub(super) const EVENTS_SPAN: i64 = 5_000;
/// Stored-hash indexes per hashes read (about two per event).
pub(super) const HASHES_SPAN: i64 = 10_000;

/// The leaf columns in [`super::LEAF_COLUMNS`] order, with the PostgreSQL type each must
/// have for the packed read.
pub(super) const COLUMN_TYPES: [(&str, &str); 14] = [
    ("org_id", "bigint"),
    ("seq", "bigint"),
    ("at", "text"),
    ("clock_synced", "bigint"),
    ("actor_user_id", "bigint"),
    ("actor", "text"),
    ("role", "text"),
    ("action", "text"),
    ("target_kind", "text"),
    ("target_id", "text"),
    ("payload", "text"),
    ("request_id", "text"),
    ("profile_version_id", "bigint"),
    ("result", "text"),
];

/// Whether `types`, a table's `(column, type)`, has each of `expected`.
pub(super) fn has_columns(types: &[(String, String)], expected: &[(&str, &str)]) -> bool {
    expected.iter().all(|(column, ty)| types.iter().any(|(c, t)| c == column && t == ty))
}

fn unexpected(what: &str) -> StoreError {
    StoreError::Ledger(format!("記録の読み出し結果を解釈できません（{what}）"))
}

/// One event's leaf columns as unpacked, borrowing from the packed text where it can.
/// Deserialized from a JSON array in column order.
#[derive(Debug, Deserialize)]
pub(super) struct EventFields<'a> {
    org_id: i64,
    seq: i64,
    #[serde(borrow)]
    at: Cow<'a, str>,
    clock_synced: i64,
    actor_user_id: Option<i64>,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(borrow)]
    role: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow)]
    target_kind: Cow<'a, str>,
    #[serde(borrow)]
    target_id: Cow<'a, str>,
    #[serde(borrow)]
    payload: Cow<'a, str>,
    #[serde(borrow)]
    request_id: Cow<'a, str>,
    profile_version_id: Option<i64>,
    #[serde(borrow)]
    result: Cow<'a, str>,
}

impl EventFields<'_> {
    /// The leaf, with `payload_sha256` (the payload's hash, [`payload_hex`]). The same leaf
    /// as [`EventLeafRow::from_row`] makes of the row.
    fn view<'a>(&'a self, payload_sha256: &'a str) -> LeafView<'a> {
        LeafView {
            action: &self.action,
            actor: &self.actor,
            actor_user_id: self.actor_user_id,
            at: &self.at,
            clock_synced: self.clock_synced != 0,
            org_id: self.org_id,
            payload_sha256,
            profile_version_id: self.profile_version_id,
            request_id: &self.request_id,
            result: &self.result,
            role: &self.role,
            seq: self.seq.max(0) as u64,
            target_id: &self.target_id,
            target_kind: &self.target_kind,
            v: mamori_ledger::leaf::LEAF_VERSION,
        }
    }

    fn into_row(self) -> EventLeafRow {
        let hex = payload_hex(self.payload.as_bytes());
        let leaf = Leaf::from(self.view(std::str::from_utf8(&hex).expect("hex digits are ASCII")));
        EventLeafRow { leaf, payload: self.payload.into_owned() }
    }
}

/// The payload's SHA-256 in lowercase hex, as the leaf records it.
fn payload_hex(payload: &[u8]) -> [u8; 64] {
    use sha2::{Digest, Sha256};
    let mut hex = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(payload), &mut hex).expect("64 hex digits for 32 bytes");
    hex
}

/// A span of events as read.
pub(super) struct Events {
    body: EventsBody,
    /// The largest sequence number in the span.
    last_seq: i64,
}

enum EventsBody {
    Packed(PackedEvents, String),
    Rows(Vec<EventLeafRow>),
    Arena(ArenaEvents),
}

/// A span of events copied once from the database: every text value in one string, each
/// row's texts as byte ranges of it.
pub(super) struct ArenaEvents {
    pub(super) text: String,
    pub(super) rows: Vec<ArenaRow>,
    pub(super) last_seq: i64,
}

/// One event of an [`ArenaEvents`]: its numbers, and its texts as `(start, end)` in the arena.
pub(super) struct ArenaRow {
    pub(super) org_id: i64,
    pub(super) seq: i64,
    pub(super) clock_synced: i64,
    pub(super) actor_user_id: Option<i64>,
    pub(super) profile_version_id: Option<i64>,
    pub(super) at: (u32, u32),
    pub(super) actor: (u32, u32),
    pub(super) role: (u32, u32),
    pub(super) action: (u32, u32),
    pub(super) target_kind: (u32, u32),
    pub(super) target_id: (u32, u32),
    pub(super) payload: (u32, u32),
    pub(super) request_id: (u32, u32),
    pub(super) result: (u32, u32),
}

impl ArenaRow {
    /// The row's texts as `(start, end)` in the arena.
    pub(super) fn texts(&self) -> [(u32, u32); 9] {
        [self.at, self.actor, self.role, self.action, self.target_kind, self.target_id, self.payload, self.request_id, self.result]
    }
}

impl ArenaEvents {
    /// The arena of `rows`, whose texts are ranges of `text`; `None` unless `text` is UTF-8
    /// and every range's ends lie at character boundaries, which makes each text UTF-8 on
    /// its own: one check for the span instead of one per value.
    pub(super) fn new(text: Vec<u8>, rows: Vec<ArenaRow>) -> Option<Self> {
        let text = String::from_utf8(text).ok()?;
        let inside = |(a, b): (u32, u32)| a <= b && text.is_char_boundary(a as usize) && text.is_char_boundary(b as usize);
        if !rows.iter().all(|r| r.texts().into_iter().all(inside)) {
            return None;
        }
        let last_seq = rows.last().map_or(0, |r| r.seq);
        Some(Self { text, rows, last_seq })
    }

    pub(super) fn into_events(self) -> Events {
        let last_seq = self.last_seq;
        Events { body: EventsBody::Arena(self), last_seq }
    }

    fn fields<'a>(&'a self, r: &ArenaRow) -> EventFields<'a> {
        // The ranges are at character boundaries: `sqlite_read` checks them.
        let t = |(start, end): (u32, u32)| Cow::Borrowed(&self.text[start as usize..end as usize]);
        EventFields {
            org_id: r.org_id,
            seq: r.seq,
            at: t(r.at),
            clock_synced: r.clock_synced,
            actor_user_id: r.actor_user_id,
            actor: t(r.actor),
            role: t(r.role),
            action: t(r.action),
            target_kind: t(r.target_kind),
            target_id: t(r.target_id),
            payload: t(r.payload),
            request_id: t(r.request_id),
            profile_version_id: r.profile_version_id,
            result: t(r.result),
        }
    }
}

impl Events {
    /// Feeds every event's leaf to `v`, in sequence order.
    fn verify(&self, v: &mut Verifier) -> Result<()> {
        let mut entry = |e: &EventFields<'_>| {
            let hex = payload_hex(e.payload.as_bytes());
            let leaf = e.view(std::str::from_utf8(&hex).expect("hex digits are ASCII"));
            v.entry(leaf.seq.saturating_sub(1), &leaf, None);
        };
        match &self.body {
            EventsBody::Rows(rows) => rows.iter().for_each(|r| v.entry(r.leaf.seq.saturating_sub(1), &r.leaf.view(), None)),
            EventsBody::Arena(arena) => arena.rows.iter().for_each(|r| entry(&arena.fields(r))),
            EventsBody::Packed(form, text) => unpack_events(*form, text)?.iter().for_each(entry),
        }
        Ok(())
    }

    pub(super) fn into_rows(self) -> Result<Vec<EventLeafRow>> {
        match self.body {
            EventsBody::Rows(rows) => Ok(rows),
            EventsBody::Arena(arena) => Ok(arena.rows.iter().map(|r| arena.fields(r).into_row()).collect()),
            EventsBody::Packed(form, text) => Ok(unpack_events(form, &text)?.into_iter().map(EventFields::into_row).collect()),
        }
    }
}

/// The events of a packed text, in sequence order (as `ORDER BY seq` gives them).
fn unpack_events(form: PackedEvents, text: &str) -> Result<Vec<EventFields<'_>>> {
    let mut events = match form {
        PackedEvents::Json => serde_json::from_str::<Vec<EventFields<'_>>>(text).map_err(|e| unexpected(&e.to_string()))?,
        PackedEvents::Record => parse_records(text)?,
    };
    // An aggregate takes rows in the order the index gives them; should a plan ever give
    // another, the order is restored here.
    if !events.windows(2).all(|w| w[0].seq <= w[1].seq) {
        events.sort_by_key(|e| e.seq);
    }
    Ok(events)
}

/// PostgreSQL's text form of rows, one after another: `(f1,f2,…)`, each field empty for
/// NULL, bare, or in double quotes with `""` and `\x` standing for `"` and `x`.
fn parse_records(text: &str) -> Result<Vec<EventFields<'_>>> {
    let b = text.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < b.len() {
        if b[pos] != b'(' {
            return Err(unexpected("行の始まり"));
        }
        pos += 1;
        let mut fields: [Option<Cow<'_, str>>; 14] = Default::default();
        for (i, slot) in fields.iter_mut().enumerate() {
            *slot = record_field(text, &mut pos)?;
            let end = if i == 13 { b')' } else { b',' };
            if b.get(pos) != Some(&end) {
                return Err(unexpected("行の区切り"));
            }
            pos += 1;
        }
        let [org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result] =
            fields;
        out.push(EventFields {
            org_id: int(org_id)?,
            seq: int(seq)?,
            at: text_field(at)?,
            clock_synced: int(clock_synced)?,
            actor_user_id: actor_user_id.map(|v| int(Some(v))).transpose()?,
            actor: text_field(actor)?,
            role: text_field(role)?,
            action: text_field(action)?,
            target_kind: text_field(target_kind)?,
            target_id: text_field(target_id)?,
            payload: text_field(payload)?,
            request_id: text_field(request_id)?,
            profile_version_id: profile_version_id.map(|v| int(Some(v))).transpose()?,
            result: text_field(result)?,
        });
    }
    Ok(out)
}

/// One field of a row's text form, from `pos` up to (not including) the `,` or `)` after it.
fn record_field<'a>(text: &'a str, pos: &mut usize) -> Result<Option<Cow<'a, str>>> {
    let b = text.as_bytes();
    if b.get(*pos) != Some(&b'"') {
        let start = *pos;
        while *pos < b.len() && b[*pos] != b',' && b[*pos] != b')' {
            *pos += 1;
        }
        return Ok((*pos > start).then(|| Cow::Borrowed(&text[start..*pos])));
    }
    *pos += 1;
    let start = *pos;
    let mut owned: Option<String> = None;
    let mut from = start;
    loop {
        match b.get(*pos) {
            None => return Err(unexpected("引用符が閉じていません")),
            Some(b'"') if b.get(*pos + 1) == Some(&b'"') => {
                // `""` is one quote: keep the first.
                owned.get_or_insert_with(String::new).push_str(&text[from..=*pos]);
                *pos += 2;
                from = *pos;
            }
            Some(b'"') => break,
            Some(b'\\') => {
                owned.get_or_insert_with(String::new).push_str(&text[from..*pos]);
                *pos += 1;
                from = *pos;
                if *pos >= b.len() {
                    return Err(unexpected("引用符が閉じていません"));
                }
                // The escaped character is kept as it is; it starts at `from`, on a
                // character boundary, and the scan goes on after its first byte.
                *pos += 1;
            }
            Some(_) => *pos += 1,
        }
    }
    let value = match owned {
        Some(mut s) => {
            s.push_str(&text[from..*pos]);
            Cow::Owned(s)
        }
        None => Cow::Borrowed(&text[start..*pos]),
    };
    *pos += 1;
    Ok(Some(value))
}

fn int(v: Option<Cow<'_, str>>) -> Result<i64> {
    v.as_deref().and_then(|s| s.parse().ok()).ok_or_else(|| unexpected("整数の列"))
}

fn text_field(v: Option<Cow<'_, str>>) -> Result<Cow<'_, str>> {
    v.ok_or_else(|| unexpected("NULL の文字列の列"))
}

/// A span of stored hashes as read: `(idx, hash)` in index order, `None` for a stored value
/// that is not 32 bytes.
pub(super) struct Hashes {
    pub(super) items: Vec<(i64, Option<Hash>)>,
    /// Every stored hash with an index below this has been read.
    pub(super) covered: i64,
}

/// Reads an organization's events and stored hashes span by span, in one snapshot.
pub(super) struct Reader {
    backend: Backend,
    org_id: i64,
    packed_events: bool,
    /// Every event with `seq <= events_read` has been read.
    events_read: i64,
    events_done: bool,
    /// Every stored hash with `idx < hashes_read` has been read.
    hashes_read: i64,
}

impl Reader {
    /// Events are read from `seq` 1 and stored hashes from index 0; what lies below is not
    /// part of the ledger (and is counted apart).
    pub(super) async fn new(conn: &mut AnyConnection, backend: Backend, org_id: i64) -> Result<Self> {
        let packed_events = match backend.event_column_types() {
            None => true,
            Some(sql) => {
                let types: Vec<(String, String)> = sqlx::query_as(sql).bind("events").fetch_all(&mut *conn).await?;
                has_columns(&types, &COLUMN_TYPES)
            }
        };
        Ok(Self { backend, org_id, packed_events, events_read: 0, events_done: false, hashes_read: 0 })
    }

    /// The next span of events, in sequence order; `None` after the last.
    pub(super) async fn events(&mut self, conn: &mut AnyConnection) -> Result<Option<Events>> {
        loop {
            if self.events_done {
                return Ok(None);
            }
            let after = self.events_read;
            let up_to = after.saturating_add(EVENTS_SPAN);
            let events = match self.packed_events(conn, after, up_to).await {
                Some(events) => events,
                None => self.event_rows(conn, after, up_to).await?,
            };
            self.events_read = up_to;
            if up_to == i64::MAX {
                self.events_done = true;
            }
            if let Some(events) = events {
                return Ok(Some(events));
            }
            // Nothing in the span: skip to the next event, if there is one.
            let next: Option<i64> = sqlx::query_scalar("SELECT min(seq) FROM events WHERE org_id = $1 AND seq > $2")
                .bind(self.org_id)
                .bind(up_to)
                .fetch_one(&mut *conn)
                .await?;
            match next {
                Some(seq) => self.events_read = seq - 1,
                None => self.events_done = true,
            }
        }
    }

    /// The events with `after < seq <= up_to` packed, when the database vouches for the
    /// packing: `Some(None)` when there are none, `None` when they must be read row by row.
    async fn packed_events(&self, conn: &mut AnyConnection, after: i64, up_to: i64) -> Option<Option<Events>> {
        if !self.packed_events {
            return None;
        }
        let (form, sql) = self.backend.packed_events();
        // A failed packed read (SQLite refuses a BLOB it cannot read as JSON) is read
        // again row by row, which fails or reports as it always did.
        let row = sqlx::query(sql).bind(self.org_id).bind(after).bind(up_to).fetch_one(&mut *conn).await.ok()?;
        let count: i64 = row.try_get(1).ok()?;
        if count == 0 {
            return Some(None);
        }
        let exact: i64 = row.try_get(3).ok()?;
        if exact != 1 {
            return None;
        }
        let text: String = row.try_get(0).ok()?;
        let last_seq: i64 = row.try_get(2).ok()?;
        Some(Some(Events { body: EventsBody::Packed(form, text), last_seq }))
    }

    async fn event_rows(&self, conn: &mut AnyConnection, after: i64, up_to: i64) -> Result<Option<Events>> {
        let rows = super::event_rows(conn, self.org_id, after, up_to).await?;
        Ok(rows.last().map(|r| r.leaf.seq as i64).map(|last_seq| Events { body: EventsBody::Rows(rows), last_seq }))
    }

    /// The next span of stored hashes with an index below `below` (all when `None`);
    /// `None` once all of them have been read.
    pub(super) async fn hashes(&mut self, conn: &mut AnyConnection, below: Option<i64>) -> Result<Option<Hashes>> {
        let limit = below.unwrap_or(i64::MAX);
        while self.hashes_read < limit {
            let from = self.hashes_read;
            let to = from.saturating_add(HASHES_SPAN).min(limit);
            let items = match self.packed_hashes(conn, from, to).await? {
                Some(items) => items,
                None => self.hash_rows(conn, from, to).await?,
            };
            self.hashes_read = to;
            if !items.is_empty() {
                return Ok(Some(Hashes { items, covered: to }));
            }
            // Nothing in the span: skip to the next stored hash, if there is one below.
            let next: Option<i64> = sqlx::query_scalar("SELECT min(idx) FROM ledger_hashes WHERE org_id = $1 AND idx >= $2")
                .bind(self.org_id)
                .bind(to)
                .fetch_one(&mut *conn)
                .await?;
            self.hashes_read = next.map_or(limit, |idx| idx.min(limit));
        }
        Ok(None)
    }

    /// The stored hashes with `from <= idx < to` packed, `None` when they must be read
    /// row by row.
    async fn packed_hashes(&self, conn: &mut AnyConnection, from: i64, to: i64) -> Result<Option<Vec<(i64, Option<Hash>)>>> {
        let row = sqlx::query(self.backend.packed_hashes()).bind(self.org_id).bind(from).bind(to).fetch_one(&mut *conn).await?;
        let count: i64 = row.try_get(2)?;
        if count == 0 {
            return Ok(Some(Vec::new()));
        }
        let exact: i64 = row.try_get(3)?;
        let (Some(hashes), Some(indexes)) = (row.try_get::<Option<Vec<u8>>, _>(0)?, row.try_get::<Option<String>, _>(1)?) else {
            return Ok(None);
        };
        if exact != 1 || hashes.len() as i64 != 32 * count {
            return Ok(None);
        }
        let mut items = Vec::with_capacity(count as usize);
        for (idx, hash) in indexes.split(',').zip(hashes.chunks_exact(32)) {
            let Ok(idx) = idx.parse::<i64>() else { return Ok(None) };
            items.push((idx, Some(Hash(hash.try_into().expect("32-byte chunk")))));
        }
        if items.len() as i64 != count {
            return Ok(None);
        }
        if !items.windows(2).all(|w| w[0].0 <= w[1].0) {
            items.sort_by_key(|(idx, _)| *idx);
        }
        Ok(Some(items))
    }

    async fn hash_rows(&self, conn: &mut AnyConnection, from: i64, to: i64) -> Result<Vec<(i64, Option<Hash>)>> {
        let rows = sqlx::query("SELECT idx, hash FROM ledger_hashes WHERE org_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx")
            .bind(self.org_id)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|r| {
                let idx: i64 = r.try_get(0)?;
                let bytes: Vec<u8> = r.try_get(1)?;
                Ok((idx, <[u8; 32]>::try_from(bytes.as_slice()).ok().map(Hash)))
            })
            .collect()
    }
}

enum Span {
    Events(Events),
    Hashes(Hashes),
}

/// Feeds every event (`seq >= 1`) and stored hash (`idx >= 0`) of the organization to `v`,
/// in order: after each span of events, the stored hashes that span made comparable; and
/// `prepared`'s checkpoints, anchors and counts, announced before the first event and fed
/// after the last (see [`Verifier::announce_sizes`]). Reads the next span while `v` works
/// through the last.
pub(super) async fn feed_verifier(
    conn: &mut AnyConnection,
    backend: Backend,
    org_id: i64,
    mut v: Verifier,
    prepared: Arc<super::Prepared>,
) -> Result<Verifier> {
    let mut reader = Reader::new(conn, backend, org_id).await?;
    let (tx, rx) = mpsc::channel::<Span>(4);
    // The checkpoints' signatures are checked while the entries are read and verified; the
    // checkpoints are fed after them, compared with the roots kept at their sizes.
    let opening = {
        let prepared = prepared.clone();
        tokio::task::spawn_blocking(move || prepared.open())
    };
    let verifying = tokio::task::spawn_blocking(move || {
        prepared.announce(&mut v);
        (verify_spans(rx, v), prepared)
    });
    let read = async move {
        while let Some(events) = reader.events(conn).await? {
            // The stored hashes a tree of `last_seq` leaves has: all the verifier can ask
            // for after this span, as it has seen at most that many leaves.
            let leaves = u64::try_from(events.last_seq).unwrap_or(0).min(1 << 40);
            let below = stored_hash_count(leaves) as i64;
            if tx.send(Span::Events(events)).await.is_err() {
                return Ok(());
            }
            while let Some(hashes) = reader.hashes(conn, Some(below)).await? {
                if tx.send(Span::Hashes(hashes)).await.is_err() {
                    return Ok(());
                }
            }
            if tx.send(Span::Hashes(Hashes { items: Vec::new(), covered: reader.hashes_read })).await.is_err() {
                return Ok(());
            }
        }
        while let Some(hashes) = reader.hashes(conn, None).await? {
            if tx.send(Span::Hashes(hashes)).await.is_err() {
                return Ok(());
            }
        }
        Ok::<_, StoreError>(())
    }
    .await;
    let ((mut v, verified), prepared) = verifying.await.map_err(interrupted("検証"))?;
    let opened = opening.await.map_err(interrupted("検証"))?;
    verified?;
    read?;
    prepared.feed_opened(&mut v, opened);
    Ok(v)
}

/// What becomes of a task that did not finish: its panic goes on, anything else is the
/// error "`what`が中断されました".
pub(super) fn interrupted(what: &'static str) -> impl FnOnce(tokio::task::JoinError) -> StoreError {
    move |e| match e.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(e) => StoreError::Ledger(format!("{what}が中断されました: {e}")),
    }
}

/// Why a direct read ([`feed_verifier_from_file`], [`feed_verifier_from_postgres`]) stopped
/// before the end.
pub(super) enum Stopped {
    /// A value it cannot vouch for: verify through sqlx instead.
    CannotVouch,
    /// The verifying side went away.
    Closed,
}

/// What a direct read's reader ends with.
pub(super) type ReadOutcome = Result<std::result::Result<(), Stopped>>;

/// As [`feed_verifier`], reading events `1..=event_seq` and their stored hashes on
/// connections of their own to the SQLite file at `path` ([`super::sqlite_read`]). `None`
/// when that read met a value it cannot vouch for: the caller then verifies with
/// [`feed_verifier`] from the start.
pub(super) async fn feed_verifier_from_file(
    path: Arc<std::path::PathBuf>,
    org_id: i64,
    event_seq: i64,
    v: Verifier,
    prepared: Arc<super::Prepared>,
) -> Result<Option<Verifier>> {
    use super::sqlite_read::{read_events, read_hashes};
    let below = stored_hash_count(event_seq.max(0) as u64) as i64;
    feed_two_readers(v, prepared, move |events_tx, hashes_tx| {
        let events_path = path.clone();
        let events = tokio::task::spawn_blocking(move || read_events(&events_path, org_id, event_seq, &events_tx));
        let hashes = tokio::task::spawn_blocking(move || read_hashes(&path, org_id, below, &hashes_tx));
        (events, hashes)
    })
    .await
}

/// As [`feed_verifier_from_file`], on PostgreSQL: events and stored hashes read at once on
/// two connections of their own to `url`, in the exported snapshot `snapshot`
/// ([`super::pg_read`]).
pub(super) async fn feed_verifier_from_postgres(
    url: Arc<str>,
    snapshot: String,
    org_id: i64,
    event_seq: i64,
    v: Verifier,
    prepared: Arc<super::Prepared>,
) -> Result<Option<Verifier>> {
    use super::pg_read::{read_events, read_hashes};
    let below = stored_hash_count(event_seq.max(0) as u64) as i64;
    let snapshot: Arc<str> = snapshot.into();
    feed_two_readers(v, prepared, move |events_tx, hashes_tx| {
        let (events_url, events_snapshot) = (url.clone(), snapshot.clone());
        let events = tokio::spawn(async move { read_events(&events_url, &events_snapshot, org_id, event_seq, &events_tx).await });
        let hashes = tokio::spawn(async move { read_hashes(&url, &snapshot, org_id, below, &hashes_tx).await });
        (events, hashes)
    })
    .await
}

/// What a direct reader sends of the stored hashes.
pub(super) enum StoredHashes {
    /// The hashes themselves.
    Items(Hashes),
    /// The stored hashes with indexes `from..to`, as the database's digest of them
    /// ([`mamori_ledger::verify::stored_span_digest`]).
    Digest { from: i64, to: i64, digest: Hash },
}

impl StoredHashes {
    /// Every stored hash with an index below this has been sent.
    fn covered(&self) -> i64 {
        match self {
            Self::Items(h) => h.covered,
            Self::Digest { to, .. } => *to,
        }
    }
}

/// Runs the two readers `start` makes, one sending spans of events and one of stored
/// hashes, while a blocking thread verifies them ([`verify_two_streams`]) and another checks
/// the checkpoints' signatures, fed after the entries. `None` when a reader met a value it
/// cannot vouch for, or a span's digest was not the recomputed hashes': the caller then
/// verifies through sqlx from the start, which names what differs.
async fn feed_two_readers(
    mut v: Verifier,
    prepared: Arc<super::Prepared>,
    start: impl FnOnce(
        mpsc::Sender<Events>,
        mpsc::Sender<StoredHashes>,
    ) -> (tokio::task::JoinHandle<ReadOutcome>, tokio::task::JoinHandle<ReadOutcome>),
) -> Result<Option<Verifier>> {
    let (events_tx, events_rx) = mpsc::channel::<Events>(4);
    let (hashes_tx, hashes_rx) = mpsc::channel::<StoredHashes>(4);
    let opening = {
        let prepared = prepared.clone();
        tokio::task::spawn_blocking(move || prepared.open())
    };
    let verifying = tokio::task::spawn_blocking(move || {
        prepared.announce(&mut v);
        let verified = verify_two_streams(events_rx, hashes_rx, v);
        (verified, prepared)
    });
    let (events, hashes) = start(events_tx, hashes_tx);
    let events = events.await.map_err(interrupted("読み出し")).and_then(|read| read);
    let hashes = hashes.await.map_err(interrupted("読み出し")).and_then(|read| read);
    let ((mut v, verified), prepared) = verifying.await.map_err(interrupted("検証"))?;
    let opened = opening.await.map_err(interrupted("検証"))?;
    prepared.feed_opened(&mut v, opened);
    let (events, hashes) = (events?, hashes?);
    if matches!(events, Err(Stopped::CannotVouch)) || matches!(hashes, Err(Stopped::CannotVouch)) {
        return Ok(None);
    }
    // A reader finds the channel closed only when the verifying side stopped: on an error,
    // or on a digest that differs.
    if !verified? {
        return Ok(None);
    }
    Ok(Some(v))
}

/// The verifying side of [`feed_two_readers`]: events from one reader, stored hashes
/// from the other, fed in the order reading and verifying in turn would feed them. `false`
/// when a span's digest is not that of the recomputed hashes.
fn verify_two_streams(
    mut events: mpsc::Receiver<Events>,
    mut hashes: mpsc::Receiver<StoredHashes>,
    mut v: Verifier,
) -> (Verifier, Result<bool>) {
    let mut items: VecDeque<(i64, Option<Hash>)> = VecDeque::new();
    let mut digests: VecDeque<(i64, i64, Hash)> = VecDeque::new();
    let mut covered = 0i64;
    let mut hashes_open = true;
    let take = |h: StoredHashes, items: &mut VecDeque<_>, digests: &mut VecDeque<_>| match h {
        StoredHashes::Items(h) => items.extend(h.items),
        StoredHashes::Digest { from, to, digest } => digests.push_back((from, to, digest)),
    };
    // Feeds what is due below `due`: the hashes, and the spans that end there.
    let feed = |v: &mut Verifier, due: i64, items: &mut VecDeque<(i64, Option<Hash>)>, digests: &mut VecDeque<(i64, i64, Hash)>| {
        while items.front().is_some_and(|(idx, _)| *idx < due) {
            let (idx, hash) = items.pop_front().expect("checked");
            stored_hash(v, idx, hash);
        }
        while let Some(&(from, to, digest)) = digests.front().filter(|(_, to, _)| *to <= due) {
            if !v.stored_span(from.max(0) as u64, to.max(0) as u64, &digest) {
                return false;
            }
            digests.pop_front();
        }
        true
    };
    while let Some(span) = events.blocking_recv() {
        if let Err(e) = span.verify(&mut v) {
            return (v, Err(e));
        }
        let due = i64::try_from(v.stored_hashes_due()).unwrap_or(i64::MAX);
        while covered < due && hashes_open {
            match hashes.blocking_recv() {
                Some(h) => {
                    covered = h.covered();
                    take(h, &mut items, &mut digests);
                }
                None => hashes_open = false,
            }
        }
        if !feed(&mut v, due, &mut items, &mut digests) {
            return (v, Ok(false));
        }
    }
    while let Some(h) = hashes.blocking_recv() {
        take(h, &mut items, &mut digests);
    }
    let fed = feed(&mut v, i64::MAX, &mut items, &mut digests);
    (v, Ok(fed))
}

/// The verifying side of [`feed_verifier`]: the same calls in the same order as reading
/// and verifying in turn would make.
fn verify_spans(mut rx: mpsc::Receiver<Span>, mut v: Verifier) -> (Verifier, Result<()>) {
    let mut waiting: VecDeque<Events> = VecDeque::new();
    let mut hashes: VecDeque<(i64, Option<Hash>)> = VecDeque::new();
    let mut covered = 0i64;
    let mut open = true;
    let take = |hashes: &mut VecDeque<(i64, Option<Hash>)>, h: Hashes, covered: &mut i64| {
        hashes.extend(h.items);
        *covered = h.covered;
    };
    loop {
        let events = match waiting.pop_front() {
            Some(events) => events,
            None => match rx.blocking_recv() {
                Some(Span::Events(events)) => events,
                Some(Span::Hashes(h)) => {
                    take(&mut hashes, h, &mut covered);
                    continue;
                }
                None => break,
            },
        };
        if let Err(e) = events.verify(&mut v) {
            return (v, Err(e));
        }
        // Every stored hash the leaves so far produce, before the next span.
        let due = i64::try_from(v.stored_hashes_due()).unwrap_or(i64::MAX);
        while covered < due && open {
            match rx.blocking_recv() {
                Some(Span::Events(events)) => waiting.push_back(events),
                Some(Span::Hashes(h)) => take(&mut hashes, h, &mut covered),
                None => open = false,
            }
        }
        while hashes.front().is_some_and(|(idx, _)| *idx < due) {
            let (idx, hash) = hashes.pop_front().expect("checked");
            stored_hash(&mut v, idx, hash);
        }
    }
    for (idx, hash) in hashes {
        stored_hash(&mut v, idx, hash);
    }
    (v, Ok(()))
}

/// Opens each signed checkpoint as [`mamori_ledger::checkpoint::open`] (no origin
/// expected) would, checking their signatures in batches on as many threads as there are
/// processors, up to four.
pub(super) fn open_checkpoints(notes: &[&str], keys: &mamori_ledger::keys::KeyChain) -> Vec<Result<SignedCheckpoint, CheckpointError>> {
    keys.open_all(notes, mamori_ledger::checkpoint::signature_threads())
}

/// How many stored hashes a tree of `n` leaves has (tlog's `StoredHashCount`): those of
/// leaf `n - 1`, `stored_hash_index(0, n - 1)` onwards, are the last.
pub(super) fn stored_hash_count(n: u64) -> u64 {
    let Some(last) = n.checked_sub(1) else { return 0 };
    let mut index = 0;
    let mut m = last;
    while m > 0 {
        index += m;
        m >>= 1;
    }
    index + 1 + u64::from(last.trailing_ones())
}

fn stored_hash(v: &mut Verifier, idx: i64, hash: Option<Hash>) {
    match hash {
        Some(hash) => v.stored_hash(idx as u64, hash),
        None => v.problem(format!("[中間ハッシュ {idx}] 32バイトではありません")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_hash_count_is_what_appending_stores() {
        let mut frontier = mamori_ledger::Frontier::new();
        let mut stored = Vec::new();
        assert_eq!(stored_hash_count(0), 0);
        for n in 1..=300u64 {
            frontier.append(mamori_ledger::leaf_hash(&n.to_be_bytes()), &mut stored);
            assert_eq!(stored_hash_count(n), stored.len() as u64, "n = {n}");
        }
    }

    #[test]
    fn hex_matches_the_ledger_crate() {
        for data in [&b""[..], b"{}", "総務課".as_bytes()] {
            assert_eq!(std::str::from_utf8(&payload_hex(data)).unwrap(), mamori_ledger::sha256_hex(data));
        }
    }

    #[test]
    fn record_text_is_unquoted_exactly() {
        let text = r#"(1,2,"2026-11-22T09:00:00.000+09:00",1,,"a ""b"" \\c",,"",x,"(y)","{""k"":""v,w""}",,7,ok)"#;
        let e = parse_records(text).unwrap_err();
        // `role` and `request_id` are NOT NULL text: an empty field is NULL, not ''.
        assert!(e.to_string().contains("NULL"), "{e}");
        let text = r#"(1,2,"2026-11-22T09:00:00.000+09:00",1,,"a ""b"" \\c","","",x,"(y)","{""k"":""v,w""}","",7,ok)(3,-4,t,0,5,"総務 課",r,a,k,i,p,q,,"")"#;
        let events = parse_records(text).unwrap();
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!((e.org_id, e.seq, e.clock_synced, e.actor_user_id, e.profile_version_id), (1, 2, 1, None, Some(7)));
        assert_eq!(e.actor, r#"a "b" \c"#);
        assert_eq!((&*e.role, &*e.action, &*e.target_kind, &*e.target_id), ("", "", "x", "(y)"));
        assert_eq!(e.payload, r#"{"k":"v,w"}"#);
        assert_eq!(e.result, "ok");
        let e = &events[1];
        assert_eq!((e.org_id, e.seq, e.actor_user_id, e.profile_version_id), (3, -4, Some(5), None));
        assert_eq!((&*e.actor, &*e.result), ("総務 課", ""));
        assert!(parse_records("(1,2").is_err());
        assert!(parse_records(r#"(1,2,"x)"#).is_err());
    }

    #[test]
    fn json_rows_keep_types_apart() {
        let ok = r#"[[1,2,"t",1,null,"a\"\\","","act","k","i","{\"i\":1}","",3,"ok"]]"#;
        let events = unpack_events(PackedEvents::Json, ok).unwrap();
        assert_eq!(events[0].actor, "a\"\\");
        assert_eq!(events[0].payload, r#"{"i":1}"#);
        for bad in [
            r#"[[1,"2","t",1,null,"a","","act","k","i","p","",3,"ok"]]"#,
            r#"[[1,2.0,"t",1,null,"a","","act","k","i","p","",3,"ok"]]"#,
            r#"[[1,2,5,1,null,"a","","act","k","i","p","",3,"ok"]]"#,
            r#"[[1,2,"t",1,null,null,"","act","k","i","p","",3,"ok"]]"#,
            r#"[[1,2,"t",1,null,"a","","act","k","i","p","",3,"ok",1]]"#,
        ] {
            assert!(unpack_events(PackedEvents::Json, bad).is_err(), "{bad}");
        }
    }
}
