//! `verify_ledger` reads the whole ledger on connections of its own: the SQLite file opened
//! directly (`ledger/sqlite_read.rs`), or on PostgreSQL the events by binary COPY and a
//! digest of each span of stored hashes, on two connections in one snapshot
//! (`ledger/pg_read.rs`). Whatever the database holds, the report must be exactly what the
//! read through sqlx reports: the same problems, naming the same indexes, on a clean ledger
//! and after each tampering — including values the direct read cannot vouch for, where it
//! hands over to sqlx. On PostgreSQL any change to an event or a stored hash makes a
//! span's digest differ, and the direct read hands over too.

use mamori_store::testing::TestDb;
use mamori_store::{Actor, NewEvent};

async fn exec(db: &TestDb, sql: &str) {
    sqlx::raw_sql(sql).execute(db.store.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Both reads, compared; returns the report, or the error both failed with.
async fn both(db: &TestDb, org_id: i64, case: &str) -> Result<mamori_ledger::Report, String> {
    let key = db.key.verifying_key();
    let (direct, sqlx) = match (db.store.verify_ledger(org_id, key, &[]).await, db.store.verify_ledger_through_sqlx(org_id, key, &[]).await)
    {
        (Ok(direct), Ok(sqlx)) => (direct, sqlx),
        (Err(direct), Err(sqlx)) => {
            assert_eq!(direct.to_string(), sqlx.to_string(), "{case}: errors differ");
            return Err(direct.to_string());
        }
        (direct, sqlx) => panic!("{case}: direct read {direct:?}, sqlx read {sqlx:?}"),
    };
    assert_eq!(direct.problems, sqlx.problems, "{case}: problems differ");
    assert_eq!(direct.warnings, sqlx.warnings, "{case}: warnings differ");
    assert_eq!(
        (direct.entries, direct.stored_hashes, direct.checkpoints, direct.problem_count, direct.root),
        (sqlx.entries, sqlx.stored_hashes, sqlx.checkpoints, sqlx.problem_count, sqlx.root),
        "{case}: counts differ"
    );
    Ok(direct)
}

/// A ledger of 12,801 entries: more than two spans of events (5,000) and of stored hashes
/// (10,000), written by 32 concurrent writers.
async fn populated(db: &TestDb) -> i64 {
    let actor = Actor::system("test");
    let org = db.store.create_organization("paths", "検証町", &actor).await.unwrap();
    let writers: Vec<_> = (0..32)
        .map(|w| {
            let store = db.store.clone();
            let actor = actor.clone();
            tokio::spawn(async move {
                for i in 0..400 {
                    store
                        .record_event(
                            org.id,
                            &actor,
                            NewEvent::new("test.append", "test", w * 1000 + i, serde_json::json!({"w": w, "i": i, "s": "総務\t\"課\"\\"})),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let before = db.store.direct_reads();
    let clean = both(db, org.id, "clean").await.unwrap();
    assert!(clean.ok(), "{:?}", clean.problems);
    assert_eq!(clean.entries, 12_801);
    assert_eq!(db.store.direct_reads(), before + 1, "the clean ledger was not read directly");
    org.id
}

/// Each `(case, tamper, undo, needle, direct)` made in turn: detected, with a problem containing
/// `needle` (when not empty), and the same on both reads; `direct` says whether the direct
/// read could vouch for what it read (otherwise it handed over to sqlx).
async fn tampered_alike(db: &TestDb, org_id: i64, cases: &[(&str, &str, &str, &str, bool)]) {
    for (case, tamper, undo, needle, direct) in cases {
        exec(db, tamper).await;
        let before = db.store.direct_reads();
        let report = match both(db, org_id, case).await {
            Ok(report) => report,
            // A value of the wrong type fails the verification as an error, on both reads.
            Err(e) => {
                assert!((case.contains("BLOB") && e.contains("actor")) || *case == "a column of another type", "{case}: {e}");
                exec(db, undo).await;
                continue;
            }
        };
        assert_eq!(db.store.direct_reads() - before, u64::from(*direct), "{case}: which read ran");
        if !needle.is_empty() {
            assert!(report.problems.iter().any(|p| p.contains(needle)), "{case}: no problem names {needle}: {:?}", report.problems);
        }
        assert!(!report.ok() || *case == "a column of another type", "{case}: not detected");
        if !undo.is_empty() {
            exec(db, undo).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_read_reports_what_the_sqlx_read_reports() {
    let db = TestDb::sqlite().await;
    let org_id = populated(&db).await;

    for t in ["events_no_update", "events_no_delete", "ledger_hashes_no_update", "ledger_hashes_no_delete"] {
        exec(&db, &format!("DROP TRIGGER {t}")).await;
    }
    let cases: &[(&str, &str, &str, &str, bool)] = &[
        (
            "a changed actor",
            "UPDATE events SET actor = actor || 'X' WHERE seq = 6001",
            "UPDATE events SET actor = substr(actor, 1, length(actor) - 1) WHERE seq = 6001",
            "[index 6000]",
            true,
        ),
        (
            "a text stored as a BLOB",
            "UPDATE events SET actor = CAST(actor AS BLOB) WHERE seq = 12000",
            "UPDATE events SET actor = CAST(actor AS TEXT) WHERE seq = 12000",
            "",
            false,
        ),
        (
            "an edited stored hash",
            "UPDATE ledger_hashes SET hash = zeroblob(32) WHERE idx = 15000",
            "",
            "[中間ハッシュ 15000（",
            true,
        ),
        (
            "a stored hash of 31 bytes",
            "PRAGMA ignore_check_constraints = ON; UPDATE ledger_hashes SET hash = zeroblob(31) WHERE idx = 21000; PRAGMA ignore_check_constraints = OFF",
            // Back to 32 bytes (still not the right ones), so that the direct read can vouch again.
            "UPDATE ledger_hashes SET hash = zeroblob(32) WHERE idx = 21000",
            "[中間ハッシュ 21000]",
            false,
        ),
        ("a row beyond the ledger", "INSERT INTO events (org_id, seq, at, actor, action, target_kind, target_id, payload) SELECT org_id, 99999, at, actor, action, target_kind, target_id, payload FROM events WHERE seq = 3", "DELETE FROM events WHERE seq = 99999", "", false),
        ("a deleted middle row", "DELETE FROM events WHERE seq = 5001", "", "[index 5000]", true),
    ];
    tampered_alike(&db, org_id, cases).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_read_reports_what_the_sqlx_read_reports_on_postgres() {
    let db = TestDb::postgres().await;
    let org_id = populated(&db).await;

    exec(&db, "ALTER TABLE events DISABLE TRIGGER USER; ALTER TABLE ledger_hashes DISABLE TRIGGER USER; ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER").await;
    let cases: &[(&str, &str, &str, &str, bool)] = &[
        (
            "a changed actor",
            "UPDATE events SET actor = actor || 'X' WHERE seq = 6001",
            "UPDATE events SET actor = left(actor, -1) WHERE seq = 6001",
            "[index 6000]",
            false,
        ),
        (
            "a changed payload",
            "UPDATE events SET payload = replace(payload, '総務', '総合') WHERE seq = 7001",
            "UPDATE events SET payload = replace(payload, '総合', '総務') WHERE seq = 7001",
            "[index 7000]",
            false,
        ),
        (
            "a user id where there was none",
            "UPDATE events SET actor_user_id = 1 WHERE seq = 11001",
            "UPDATE events SET actor_user_id = NULL WHERE seq = 11001",
            "[index 11000]",
            false,
        ),
        (
            "a column of another type",
            "ALTER TABLE events ALTER COLUMN clock_synced TYPE integer",
            "ALTER TABLE events ALTER COLUMN clock_synced TYPE bigint",
            "",
            false,
        ),
        (
            "an edited stored hash",
            "CREATE TABLE saved AS SELECT * FROM ledger_hashes WHERE idx = 15000;
             UPDATE ledger_hashes SET hash = decode(repeat('00', 32), 'hex') WHERE idx = 15000",
            "UPDATE ledger_hashes h SET hash = s.hash FROM saved s WHERE h.org_id = s.org_id AND h.idx = s.idx; DROP TABLE saved",
            "[中間ハッシュ 15000（",
            false,
        ),
        (
            "a stored hash of 31 bytes",
            "CREATE TABLE saved AS SELECT * FROM ledger_hashes WHERE idx = 21000;
             ALTER TABLE ledger_hashes DROP CONSTRAINT ledger_hashes_hash_check;
             UPDATE ledger_hashes SET hash = decode(repeat('00', 31), 'hex') WHERE idx = 21000",
            "UPDATE ledger_hashes h SET hash = s.hash FROM saved s WHERE h.org_id = s.org_id AND h.idx = s.idx; DROP TABLE saved;
             ALTER TABLE ledger_hashes ADD CONSTRAINT ledger_hashes_hash_check CHECK (length(hash) = 32)",
            "[中間ハッシュ 21000]",
            false,
        ),
        (
            "a row beyond the ledger",
            "INSERT INTO events (org_id, seq, at, actor, action, target_kind, target_id, payload) SELECT org_id, 99999, at, actor, action, target_kind, target_id, payload FROM events WHERE seq = 3",
            "DELETE FROM events WHERE seq = 99999",
            "",
            false,
        ),
        (
            // The events and stored hashes are intact: the direct read vouches for them, and
            // the checkpoint's problem is found on the verifying side as on the sqlx read.
            "a checkpoint's root column edited",
            "UPDATE ledger_checkpoints SET root = decode(translate(encode(root, 'hex'), '0123456789abcdef', '123456789abcdef0'), 'hex') WHERE id = (SELECT id FROM ledger_checkpoints WHERE size <= 9000 ORDER BY size DESC LIMIT 1)",
            "UPDATE ledger_checkpoints SET root = decode(translate(encode(root, 'hex'), '123456789abcdef0', '0123456789abcdef'), 'hex') WHERE id = (SELECT id FROM ledger_checkpoints WHERE size <= 9000 ORDER BY size DESC LIMIT 1)",
            "列が署名",
            true,
        ),
        (
            // Without the unique key, one index's row moved onto the next: in index order the
            // hashes still read as before, so the direct read cannot vouch for a span's digest.
            "a stored hash moved onto the next index",
            "CREATE TABLE moved AS SELECT org_id, idx, hash FROM ledger_hashes WHERE idx = 3000;
             ALTER TABLE ledger_hashes DROP CONSTRAINT ledger_hashes_pkey;
             UPDATE ledger_hashes SET idx = 3001 WHERE idx = 3000",
            "UPDATE ledger_hashes h SET idx = 3000 FROM moved m WHERE h.org_id = m.org_id AND h.idx = 3001 AND h.hash = m.hash;
             DROP TABLE moved;
             ALTER TABLE ledger_hashes ADD PRIMARY KEY (org_id, idx)",
            "保存されていません",
            false,
        ),
        (
            "a deleted middle row",
            "CREATE TABLE deleted AS SELECT * FROM events WHERE seq = 5001; DELETE FROM events WHERE seq = 5001",
            "INSERT INTO events SELECT * FROM deleted; DROP TABLE deleted",
            "[index 5000]",
            false,
        ),
    ];
    tampered_alike(&db, org_id, cases).await;
    // Every case undone, the direct read vouches for the ledger again, and it verifies.
    let before = db.store.direct_reads();
    let report = both(&db, org_id, "undone").await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(db.store.direct_reads(), before + 1, "the ledger undone was not read directly");
    db.finish().await;
}
