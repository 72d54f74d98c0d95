//! `mamori ledger …` against real databases, and every tamper the ledger must catch.
//!
//! The attacker here has full SQL access: append-only triggers are dropped or disabled
//! first, as someone with the database owner's password could. Each tamper is made,
//! caught by `mamori ledger verify` with a message naming the index or checkpoint, and
//! undone, and the ledger verifies again — so each detection is the tamper's, not a
//! leftover of the one before.

use mamori_store::testing::TestDb;
use mamori_store::{Actor, Backend, NewEvent};
use sqlx::Row;

use crate::support::{mamori, Run};

fn run_with(db: &TestDb, args: &[&str]) -> Run {
    let mut full: Vec<&str> = args.to_vec();
    let key = db.key_path.display().to_string();
    full.extend(["--database-url", db.url.as_str(), "--ledger-key", key.as_str()]);
    let output = mamori(&full).output().expect("run mamori");
    Run {
        command: format!("mamori {}", full.join(" ")),
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[track_caller]
fn verify_fails_with(db: &TestDb, extra: &[&str], needles: &[&str]) {
    let mut args = vec!["ledger", "verify"];
    args.extend_from_slice(extra);
    let r = run_with(db, &args);
    r.assert_failure();
    for n in needles {
        r.assert_stdout_contains(n);
    }
}

#[track_caller]
fn verify_passes(db: &TestDb) {
    run_with(db, &["ledger", "verify"]).assert_success().assert_stdout_contains("検証に成功しました");
}

async fn exec(db: &TestDb, sql: &str) {
    sqlx::raw_sql(sql).execute(db.store.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// What an attacker with the owner's rights does first.
async fn disable_guards(db: &TestDb) {
    match db.store.backend() {
        Backend::Sqlite => {
            for t in [
                "events_no_update",
                "events_no_delete",
                "ledger_hashes_no_update",
                "ledger_hashes_no_delete",
                "ledger_checkpoints_no_update",
                "ledger_checkpoints_no_delete",
            ] {
                exec(db, &format!("DROP TRIGGER {t}")).await;
            }
        }
        Backend::Postgres => {
            for t in ["events", "ledger_hashes", "ledger_checkpoints"] {
                exec(db, &format!("ALTER TABLE {t} DISABLE TRIGGER USER")).await;
            }
        }
    }
}

async fn text_of(db: &TestDb, sql: &str) -> String {
    sqlx::query(sql).fetch_one(db.store.pool()).await.unwrap().try_get::<String, _>(0).unwrap()
}

async fn ledger_suite(db: TestDb) {
    let store = &db.store;
    let admin = Actor { user_id: None, label: "admin".into(), role: "system_admin".into(), request_id: String::new() };
    let org = store.create_organization("shime", "志免町", &admin).await.unwrap();
    let dept = store.create_department(org.id, "100", "総務課", None, "section", &admin).await.unwrap();
    let person = store
        .create_person(
            org.id,
            &mamori_store::org::NewPerson {
                staff_no: "0001".into(),
                name: "山田 花子".into(),
                kana: String::new(),
                email: String::new(),
                department_id: dept.id,
                post_id: None,
                employment: "regular".into(),
            },
            &admin,
        )
        .await
        .unwrap();
    // Writers arriving together share batches: checkpoints at several sizes.
    let mut handles = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let actor = Actor { label: format!("staff{}", i % 5), ..admin.clone() };
        handles.push(tokio::spawn(async move {
            let w = store.begin_write(org.id).await.unwrap();
            w.commit(&actor, NewEvent::new("asset.note", "asset", i, serde_json::json!({"note": format!("メモ {i}")}))).await.unwrap()
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let size = store.ledger_status(org.id).await.unwrap().size;
    assert_eq!(size, 43);

    // A good ledger verifies; the checkpoint prints small.
    verify_passes(&db);
    let cp = run_with(&db, &["ledger", "checkpoint"]);
    cp.assert_success();
    assert!(cp.stdout.starts_with(&format!("{}/shime\n43\n", db.key.name())), "{}", cp.stdout);
    assert!(cp.stdout.len() < 300);
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("anchor-43.txt");
    std::fs::write(&anchor, &cp.stdout).unwrap();
    let anchor = anchor.display().to_string();
    let status = store.ledger_status(org.id).await.unwrap();
    assert_eq!(status.last_anchor.as_ref().map(|a| a.1), Some(43), "taking the checkpoint was recorded as an anchor");
    verify_passes(&db);
    run_with(&db, &["ledger", "verify", "--anchor", &anchor]).assert_success();

    // Proofs.
    run_with(&db, &["ledger", "prove", "--index", "7"]).assert_success().assert_stdout_contains("検証できました");
    run_with(&db, &["ledger", "prove", "--from", "5", "--to", "40"]).assert_success().assert_stdout_contains("検証できました");
    run_with(&db, &["ledger", "prove", "--index", "999"]).assert_failure();

    // Personal data: the name is kept apart from the ledger and can be purged.
    let person_event = sqlx::query("SELECT seq, payload FROM events WHERE org_id = $1 AND action = 'person.create'")
        .bind(org.id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    let payload: String = person_event.try_get("payload").unwrap();
    assert!(!payload.contains("山田"), "the payload holds a commitment, not the name: {payload}");
    assert!(payload.contains(mamori_ledger::PERSONAL_KEY));
    let seq: i64 = person_event.try_get("seq").unwrap();
    assert_eq!(store.personal_data(org.id, seq).await.unwrap(), vec![("name".to_owned(), Some("山田 花子".to_owned()))]);
    // Editing the kept cleartext is caught against its commitment.
    let edited = "UPDATE event_personal SET value = '山田 太郎' WHERE field = 'name'";
    match store.backend() {
        Backend::Sqlite => exec(&db, "DROP TRIGGER event_personal_purge_only").await,
        Backend::Postgres => exec(&db, "ALTER TABLE event_personal DISABLE TRIGGER USER").await,
    }
    exec(&db, edited).await;
    verify_fails_with(&db, &[], &[&format!("[index {}]", seq - 1), "個人情報"]);
    exec(&db, "UPDATE event_personal SET value = '山田 花子' WHERE field = 'name'").await;
    verify_passes(&db);
    let target = format!("person:{}", person.id);
    run_with(&db, &["ledger", "purge-personal", "--target", &target]).assert_success().assert_stdout_contains("1 項目");
    assert_eq!(store.personal_data(org.id, seq).await.unwrap(), vec![("name".to_owned(), None)]);
    verify_passes(&db);

    // The offline bundle verifies with no database, and a flipped byte in it does not.
    let bundle = dir.path().join("ledger.jsonl");
    let bundle_s = bundle.display().to_string();
    run_with(&db, &["ledger", "export", "--output", &bundle_s]).assert_success();
    let vkey = run_with(&db, &["ledger", "public-key"]).stdout.trim().to_owned();
    assert_eq!(vkey, db.key.verifying_key().text());
    let offline = |path: &str| {
        let output = mamori(&["ledger", "verify", "--bundle", path, "--public-key", &vkey]).output().unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (ok, out) = offline(&bundle_s);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&bundle).unwrap();
    let tampered = text.replacen("メモ 3", "メモ 8", 1);
    assert_ne!(tampered, text);
    let bad_bundle = dir.path().join("tampered.jsonl");
    std::fs::write(&bad_bundle, tampered).unwrap();
    let (ok, out) = offline(&bad_bundle.display().to_string());
    assert!(!ok && out.contains("payload"), "{out}");

    disable_guards(&db).await;

    // 1. A byte flipped in a leaf.
    let actor10 = text_of(&db, "SELECT actor FROM events WHERE seq = 10").await;
    exec(&db, &format!("UPDATE events SET actor = '{}X' WHERE seq = 10", &actor10[..actor10.len() - 1])).await;
    verify_fails_with(&db, &[], &["[index 9]"]);
    exec(&db, &format!("UPDATE events SET actor = '{actor10}' WHERE seq = 10")).await;
    verify_passes(&db);

    // 2. A stored intermediate hash edited (level 1, node 4: leaves 8 and 9).
    let idx = tlog_index(1, 4);
    let original: Vec<u8> =
        sqlx::query("SELECT hash FROM ledger_hashes WHERE idx = $1").bind(idx).fetch_one(store.pool()).await.unwrap().get(0);
    let mut edited = original.clone();
    edited[0] ^= 0x80;
    sqlx::query("UPDATE ledger_hashes SET hash = $1 WHERE idx = $2").bind(edited).bind(idx).execute(store.pool()).await.unwrap();
    verify_fails_with(&db, &[], &[&format!("[中間ハッシュ {idx}")]);
    sqlx::query("UPDATE ledger_hashes SET hash = $1 WHERE idx = $2").bind(original).bind(idx).execute(store.pool()).await.unwrap();
    verify_passes(&db);

    // 3. A middle row deleted.
    exec(&db, "CREATE TABLE saved AS SELECT * FROM events WHERE seq = 20").await;
    exec(&db, "DELETE FROM events WHERE seq = 20").await;
    verify_fails_with(&db, &[], &["[index 19] 記録が欠落"]);
    exec(&db, "INSERT INTO events SELECT * FROM saved").await;
    exec(&db, "DROP TABLE saved").await;
    verify_passes(&db);

    // 4. Two rows swapped (their contents; the numbers stay in place).
    let swap = "UPDATE events SET target_id = (SELECT target_id FROM saved WHERE saved.seq = 23 - events.seq),
                payload = (SELECT payload FROM saved WHERE saved.seq = 23 - events.seq) WHERE seq IN (11, 12)";
    exec(&db, "CREATE TABLE saved AS SELECT seq, target_id, payload FROM events WHERE seq IN (11, 12)").await;
    exec(&db, swap).await;
    verify_fails_with(&db, &[], &["[index 10]", "[index 11]"]);
    exec(&db, "UPDATE events SET target_id = (SELECT target_id FROM saved WHERE saved.seq = events.seq), payload = (SELECT payload FROM saved WHERE saved.seq = events.seq) WHERE seq IN (11, 12)").await;
    exec(&db, "DROP TABLE saved").await;
    verify_passes(&db);

    // 5. A forged signature, 6. a checkpoint signed only by an unknown key,
    // 7. malformed checkpoint text — each in place of a stored checkpoint.
    let (cp_id, cp_note): (i64, String) = {
        let r = sqlx::query("SELECT id, note FROM ledger_checkpoints WHERE size = 43").fetch_one(store.pool()).await.unwrap();
        (r.get(0), r.get(1))
    };
    let (body, sig) = cp_note.rsplit_once(' ').unwrap();
    let sig_first = sig.as_bytes()[8] as char;
    let forged = format!("{body} {}{}{}", &sig[..8], if sig_first == 'A' { 'B' } else { 'A' }, &sig[9..]);
    let stranger = mamori_ledger::LedgerKey::generate(db.key.name()).unwrap();
    let root = mamori_ledger::Hash(
        <[u8; 32]>::try_from(
            &sqlx::query("SELECT root FROM ledger_checkpoints WHERE id = $1")
                .bind(cp_id)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get::<Vec<u8>, _>(0)[..],
        )
        .unwrap(),
    );
    let unknown = stranger.sign(&format!("{}/shime", db.key.name()), 43, root).text;
    let root_line = cp_note.lines().nth(2).unwrap().to_owned();
    let last = root_line.as_bytes()[42] as char;
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let twin = alphabet.as_bytes()[alphabet.find(last).unwrap() ^ 1] as char;
    let cases: Vec<(String, &str)> = vec![
        (forged, "署名が正しくありません"),
        (unknown, "既知の鍵で署名されていません"),
        (cp_note.replacen("\n43\n", "\n043\n", 1), "0 で始まって"),
        (cp_note.replacen(&root_line, &format!("{}{twin}=", &root_line[..42]), 1), "正規の base64"),
        (cp_note.replacen("shime\n", "shime\u{1b}\n", 1), "制御文字"),
    ];
    for (note, needle) in cases {
        sqlx::query("UPDATE ledger_checkpoints SET note = $1 WHERE id = $2").bind(&note).bind(cp_id).execute(store.pool()).await.unwrap();
        verify_fails_with(&db, &[], &[&format!("チェックポイント #{cp_id}"), needle]);
    }
    sqlx::query("UPDATE ledger_checkpoints SET note = $1 WHERE id = $2").bind(&cp_note).bind(cp_id).execute(store.pool()).await.unwrap();
    verify_passes(&db);

    // 8. A fork re-signed with the real key: a second checkpoint of size 43 with another
    // root, and an anchor of another size inconsistent with the log.
    let origin = format!("{}/shime", db.key.name());
    let fork = db.key.sign(&origin, 43, mamori_ledger::leaf_hash(b"another history"));
    let fork_file = dir.path().join("fork.txt");
    std::fs::write(&fork_file, &fork.text).unwrap();
    verify_fails_with(&db, &["--anchor", &fork_file.display().to_string()], &["分岐"]);
    let wrong = db.key.sign(&origin, 30, mamori_ledger::leaf_hash(b"another history"));
    let wrong_file = dir.path().join("wrong-30.txt");
    std::fs::write(&wrong_file, &wrong.text).unwrap();
    verify_fails_with(&db, &["--anchor", &wrong_file.display().to_string()], &["wrong-30.txt", "一致しません"]);

    // 10. A backdated event slipped in outside the numbering, and a checkpoint row whose
    // root column (what pages and proofs use) disagrees with its signed note.
    exec(&db, "INSERT INTO events (org_id, seq, at, clock_synced, actor, role, action, target_kind, target_id, payload, request_id)
               SELECT org_id, 0, '2020-01-01T09:00:00.000+09:00', 1, 'ghost', '', 'asset.note', 'asset', '1', '{}', '' FROM events WHERE seq = 1").await;
    verify_fails_with(&db, &[], &["番号が 1 未満"]);
    exec(&db, "DELETE FROM events WHERE seq = 0").await;
    verify_passes(&db);
    let root_before: Vec<u8> =
        sqlx::query("SELECT root FROM ledger_checkpoints WHERE id = $1").bind(cp_id).fetch_one(store.pool()).await.unwrap().get(0);
    sqlx::query("UPDATE ledger_checkpoints SET root = $1 WHERE id = $2")
        .bind(vec![7u8; 32])
        .bind(cp_id)
        .execute(store.pool())
        .await
        .unwrap();
    verify_fails_with(&db, &[], &[&format!("チェックポイント #{cp_id}"), "列が署名"]);
    sqlx::query("UPDATE ledger_checkpoints SET root = $1 WHERE id = $2").bind(root_before).bind(cp_id).execute(store.pool()).await.unwrap();
    verify_passes(&db);

    // 9. The tail truncated, consistently: events, hashes and checkpoints beyond 40 gone,
    // the counters wound back. Only the anchor printed earlier shows it.
    let keep_hashes = tlog_count(40);
    exec(&db, "DELETE FROM events WHERE seq > 40").await;
    exec(&db, &format!("DELETE FROM ledger_hashes WHERE idx >= {keep_hashes}")).await;
    exec(&db, "DELETE FROM ledger_checkpoints WHERE size > 40").await;
    exec(&db, "UPDATE organizations SET event_seq = 40, ledger_size = 40").await;
    let last_size: i64 = sqlx::query("SELECT MAX(size) FROM ledger_checkpoints").fetch_one(store.pool()).await.unwrap().get(0);
    assert!(last_size <= 40);
    verify_passes(&db);
    verify_fails_with(&db, &["--anchor", &anchor], &["anchor-43.txt", "切り詰め"]);

    db.finish().await;
}

/// `stored_hash_index` of Go's tlog, written out for the test.
fn tlog_index(level: u32, n: i64) -> i64 {
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0;
    while n > 0 {
        i += n;
        n >>= 1;
    }
    i + level as i64
}

/// How many stored hashes a tree of `n` leaves has.
fn tlog_count(n: i64) -> i64 {
    let mut count = tlog_index(0, n - 1) + 1;
    let mut i = n - 1;
    while i & 1 != 0 {
        count += 1;
        i >>= 1;
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_commands_and_tampering_on_sqlite() {
    ledger_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_commands_and_tampering_on_postgres() {
    ledger_suite(TestDb::postgres().await).await;
}

#[test]
fn a_key_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.key");
    let (_key, created) = mamori_store::keyfile::load(&path, true).unwrap();
    assert!(created);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = mamori_store::keyfile::load(&path, false).unwrap_err().to_string();
    assert!(err.contains("chmod 600"), "{err}");
}
