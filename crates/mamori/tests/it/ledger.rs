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

use crate::support::{mamori, run_plain, run_with, run_with_key};

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
    let checkpoints_before = store.ledger_status(org.id).await.unwrap().checkpoints;
    let cp = run_with(&db, &["ledger", "checkpoint"]);
    cp.assert_success();
    assert!(cp.stdout.starts_with(&format!("{}/shime\n43\n", db.key.name())), "{}", cp.stdout);
    assert!(cp.stdout.len() < 300);
    let dir = tempfile::tempdir().unwrap();
    let anchor = dir.path().join("anchor-43.txt");
    std::fs::write(&anchor, &cp.stdout).unwrap();
    let anchor = anchor.display().to_string();
    let status = store.ledger_status(org.id).await.unwrap();
    assert_eq!(
        (status.size, status.checkpoints, status.last_anchor),
        (43, checkpoints_before, None),
        "printing a checkpoint writes and signs nothing"
    );
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

    // 9. The tail truncated, consistently, back to a signed size: events, hashes and
    // checkpoints beyond it gone, the counters wound back. Only the anchor printed earlier
    // shows it. (Truncated anywhere else, the entries past the last checkpoint kept are an
    // unsigned tail, which verify reports by itself.)
    let cut: i64 = sqlx::query("SELECT MAX(size) FROM ledger_checkpoints WHERE size <= 40").fetch_one(store.pool()).await.unwrap().get(0);
    let keep_hashes = tlog_count(cut);
    exec(&db, &format!("DELETE FROM events WHERE seq > {cut}")).await;
    exec(&db, &format!("DELETE FROM ledger_hashes WHERE idx >= {keep_hashes}")).await;
    exec(&db, &format!("DELETE FROM ledger_checkpoints WHERE size > {cut}")).await;
    exec(&db, &format!("UPDATE organizations SET event_seq = {cut}, ledger_size = {cut}")).await;
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

/// A `mamori` command with no database arguments (a witness's commands).
async fn notes(store: &mamori_store::Store, org_id: i64, from: usize, n: usize) {
    for i in from..from + n {
        let w = store.begin_write(org_id).await.unwrap();
        w.commit(&Actor::system("test"), NewEvent::new("asset.note", "asset", i, serde_json::json!({"note": format!("メモ {i}")})))
            .await
            .unwrap();
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(db.store.pool()).await.unwrap().get::<i64, _>(0)
}

/// What an attacker who can write the database but holds no key does after editing the
/// events: recomputes every stored hash from them, so that the stored tree agrees with the
/// records (the leaf as `mamori_ledger::Leaf` defines it).
async fn forge_hashes(db: &TestDb, org_id: i64) {
    let rows = sqlx::query(
        "SELECT org_id, seq, at, clock_synced, actor_user_id, actor, role, action, target_kind, target_id, payload, request_id, profile_version_id, result
         FROM events WHERE org_id = $1 ORDER BY seq",
    )
    .bind(org_id)
    .fetch_all(db.store.pool())
    .await
    .unwrap();
    let mut frontier = mamori_ledger::Frontier::new();
    let mut stored = Vec::new();
    for r in &rows {
        let payload: String = r.get("payload");
        let leaf = mamori_ledger::Leaf {
            action: r.get("action"),
            actor: r.get("actor"),
            actor_user_id: r.get("actor_user_id"),
            at: r.get("at"),
            clock_synced: r.get::<i64, _>("clock_synced") != 0,
            org_id: r.get("org_id"),
            payload_sha256: mamori_ledger::sha256_hex(payload.as_bytes()),
            profile_version_id: r.get("profile_version_id"),
            request_id: r.get("request_id"),
            result: r.get("result"),
            role: r.get("role"),
            seq: r.get::<i64, _>("seq") as u64,
            target_id: r.get("target_id"),
            target_kind: r.get("target_kind"),
            v: mamori_ledger::leaf::LEAF_VERSION,
        };
        frontier.append(leaf.hash(), &mut stored);
    }
    exec(db, &format!("DELETE FROM ledger_hashes WHERE org_id = {org_id}")).await;
    for (idx, hash) in stored {
        sqlx::query("INSERT INTO ledger_hashes (org_id, idx, hash) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(idx as i64)
            .bind(hash.0.to_vec())
            .execute(db.store.pool())
            .await
            .unwrap();
    }
}

/// The attacks of issue 20, by someone who can write the database but holds no key: an
/// edited tail after the last checkpoint with the stored hashes recomputed, a forged entry
/// appended, and an older checkpoint table restored. Each is an unsigned tail that verify
/// names by its range, with or without an anchor and in an exported bundle; the writer —
/// the running one with its own frontier and a new process alike — refuses to sign it.
async fn unsigned_tail_suite(db: TestDb) {
    let store = &db.store;
    let org = store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
    notes(store, org.id, 0, 20).await;
    assert_eq!(store.ledger_status(org.id).await.unwrap().size, 21);
    let dir = tempfile::tempdir().unwrap();
    let cp = run_with(&db, &["ledger", "checkpoint"]);
    cp.assert_success();
    let anchor = dir.path().join("anchor-21.txt");
    std::fs::write(&anchor, &cp.stdout).unwrap();
    let anchor = anchor.display().to_string();
    exec(&db, "CREATE TABLE checkpoints_at_21 AS SELECT * FROM ledger_checkpoints").await;
    notes(store, org.id, 20, 17).await;
    assert_eq!(store.ledger_status(org.id).await.unwrap().size, 38);
    verify_passes(&db);
    run_with(&db, &["ledger", "verify", "--anchor", &anchor]).assert_success();
    exec(&db, "CREATE TABLE checkpoints_all AS SELECT * FROM ledger_checkpoints").await;
    disable_guards(&db).await;
    let restore_checkpoints = "DELETE FROM ledger_checkpoints; INSERT INTO ledger_checkpoints SELECT * FROM checkpoints_all";
    let witness_key = mamori_ledger::cosignature::WitnessKey::generate("kansa.example/w1").unwrap();
    let witness_public = witness_key.public().text().to_owned();

    // An older checkpoint table restored: everything after 21 is unsigned.
    exec(&db, "DELETE FROM ledger_checkpoints; INSERT INTO ledger_checkpoints SELECT * FROM checkpoints_at_21").await;
    verify_fails_with(&db, &[], &["署名されていない記録 index 21–37"]);
    verify_fails_with(&db, &["--anchor", &anchor], &["署名されていない記録 index 21–37"]);
    // The running writer holds the frontier of its own appends (38): it halts, and stays
    // halted; a new process finds the tail at start-up and refuses as well.
    let checkpoints = count(&db, "SELECT COUNT(*) FROM ledger_checkpoints").await;
    match store.begin_write(org.id).await {
        Err(mamori_store::StoreError::LedgerHalted(why)) => assert!(why.contains("署名されていない記録"), "{why}"),
        Err(e) => panic!("the writer should halt, not fail with {e}"),
        Ok(_) => panic!("the writer must refuse to sign a tail it did not write"),
    }
    assert!(store.ledger_halt(org.id).is_some());
    run_with(&db, &["ledger", "witness", "add", "監査委員", &witness_public]).assert_failure().assert_stderr_contains("書き込みを停止");
    // Printing the checkpoint signs nothing either: it prints the latest signed one (21).
    let printed = run_with(&db, &["ledger", "checkpoint"]);
    printed.assert_success();
    assert!(printed.stdout.starts_with(&format!("{}/shime\n21\n", db.key.name())), "{}", printed.stdout);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ledger_checkpoints").await, checkpoints, "nothing was signed");
    exec(&db, restore_checkpoints).await;
    verify_passes(&db);

    // An edited tail after the last checkpoint: the checkpoints after 21 removed, one
    // payload edited and every stored hash recomputed, so that the stored tree agrees.
    let original: String = text_of(&db, "SELECT payload FROM events WHERE seq = 30").await;
    exec(&db, "DELETE FROM ledger_checkpoints WHERE size > 21").await;
    sqlx::query("UPDATE events SET payload = $1 WHERE seq = 30").bind(r#"{"note":"改ざんしたメモ"}"#).execute(store.pool()).await.unwrap();
    forge_hashes(&db, org.id).await;
    verify_fails_with(&db, &[], &["署名されていない記録 index 21–37"]);
    verify_fails_with(&db, &["--anchor", &anchor], &["署名されていない記録 index 21–37"]);
    let bundle = dir.path().join("tail.jsonl").display().to_string();
    run_with(&db, &["ledger", "export", "--output", &bundle]).assert_success();
    let vkey = db.key.verifying_key().text().to_owned();
    run_plain(&["ledger", "verify", "--bundle", &bundle, "--public-key", &vkey])
        .assert_failure()
        .assert_stdout_contains("署名されていない記録 index 21–37");
    // A new writer process refuses to sign over it.
    run_with(&db, &["ledger", "witness", "add", "監査委員", &witness_public]).assert_failure().assert_stderr_contains("書き込みを停止");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ledger_checkpoints WHERE size > 21").await, 0, "nothing was signed");
    sqlx::query("UPDATE events SET payload = $1 WHERE seq = 30").bind(&original).execute(store.pool()).await.unwrap();
    forge_hashes(&db, org.id).await;
    exec(&db, restore_checkpoints).await;
    verify_passes(&db);

    // A forged extra entry appended, hashes and counters made to agree.
    exec(&db, "INSERT INTO events (org_id, seq, at, clock_synced, actor, role, action, target_kind, target_id, payload, request_id, result)
               SELECT org_id, 39, at, clock_synced, 'admin', '', 'asset.note', 'asset', '99', '{\"note\":\"偽の記録\"}', '', 'ok' FROM events WHERE seq = 38").await;
    exec(&db, "UPDATE organizations SET event_seq = 39, ledger_size = 39").await;
    forge_hashes(&db, org.id).await;
    verify_fails_with(&db, &[], &["署名されていない記録 index 38–38"]);
    run_with(&db, &["ledger", "witness", "add", "監査委員", &witness_public]).assert_failure().assert_stderr_contains("書き込みを停止");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM ledger_checkpoints WHERE size > 38").await, 0, "nothing was signed");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_tail_fails_verify_and_no_writer_signs_it_on_sqlite() {
    unsigned_tail_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_tail_fails_verify_and_no_writer_signs_it_on_postgres() {
    unsigned_tail_suite(TestDb::postgres().await).await;
}

/// `mamori serve` on the test database; returns its base URL and the guard that stops it.
fn serve(db: &TestDb, log_dir: &std::path::Path) -> (String, crate::support::ChildGuard) {
    serve_with(db, log_dir, &[])
}

fn serve_with(db: &TestDb, log_dir: &std::path::Path, extra: &[&str]) -> (String, crate::support::ChildGuard) {
    let key = db.key_path.display().to_string();
    let mut args = vec!["serve", "--database-url", &db.url, "--ledger-key", &key, "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    spawn_listening(&args, log_dir, "serve.log", "mamori serve")
}

/// Runs `mamori ARGS` and waits for the line that says where it listens: its URL.
fn spawn_listening(args: &[&str], log_dir: &std::path::Path, log: &str, name: &'static str) -> (String, crate::support::ChildGuard) {
    use std::io::BufRead;
    let log = log_dir.join(log);
    let mut child = mamori(args)
        .env("MAMORI_LOG", "info,sqlx=warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = crate::support::ChildGuard::new(name, child, log);
    let mut lines = std::io::BufReader::new(stdout).lines();
    while let Some(Ok(line)) = lines.next() {
        if let (Some(rest), true) = (line.strip_prefix("http://"), line.contains("待ち受けています")) {
            // Keep draining stdout so that the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return (format!("http://{}", rest.split('/').next().unwrap()), guard);
        }
    }
    panic!("{name} did not start:\n{}", guard.log_text());
}

/// Witnesses: a key of their own, registered by the administrator; cosigning through a
/// file (an LGWAN town) and over HTTP; verify with `--witness` and `--min-witnesses`
/// passing on the honest ledger and failing once it is rolled back; the witness refusing a
/// fork, an inconsistent checkpoint and the rolled-back log, and keeping the evidence.
async fn witness_suite(db: TestDb) {
    let store = &db.store;
    let org = store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
    notes(store, org.id, 0, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (wkey, state) = (path("witness.key"), path("witness-state"));
    let keygen = run_plain(&["ledger", "witness", "keygen", "--name", "kansa.shime.example/w1", "--key-file", &wkey]);
    keygen.assert_success();
    let witness = keygen.stdout.trim().to_owned();
    assert!(witness.starts_with("kansa.shime.example/w1+"), "{keygen}");
    run_with(&db, &["ledger", "witness", "add", "監査委員", &witness]).assert_success();
    // Required before any cosignature: verify fails.
    verify_fails_with(&db, &["--witness", &witness], &["[立会人]"]);

    let origin = format!("{}/shime", db.key.name());
    let log_key = db.key.verifying_key().text().to_owned();
    let cosign = |extra: &[&str]| {
        let mut args =
            vec!["ledger", "witness", "cosign", "--key-file", &wkey, "--state", &state, "--origin", &origin, "--log-key", &log_key];
        args.extend_from_slice(extra);
        run_plain(&args)
    };
    // Through files, cosigned as of two days ago.
    let two_days_ago = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 2 * 86400).to_string();
    run_with(&db, &["ledger", "export-checkpoint", "--from", "0", "--output", &path("request-1.txt")]).assert_success();
    cosign(&["--checkpoint-file", &path("request-1.txt"), "--output", &path("cosigned-1.txt"), "--time", &two_days_ago])
        .assert_success()
        .assert_stdout_contains("— kansa.shime.example/w1 ");
    run_with(&db, &["ledger", "witness", "import", &path("cosigned-1.txt")]).assert_success().assert_stdout_contains("保存しました");
    let after_import = store.ledger_status(org.id).await.unwrap().size;
    // Two days old: not recent enough by default, enough with a longer allowance.
    verify_fails_with(&db, &["--witness", &witness, "--min-witnesses", "1"], &["[立会人]", "48 時間前"]);
    run_with(&db, &["ledger", "verify", "--witness", &witness, "--max-witness-age-hours", "72"]).assert_success();

    // More work, then over HTTP against the running server, now.
    notes(store, org.id, 10, 7).await;
    let (base, _server) = serve(&db, dir.path());
    cosign(&["--server", &base]).assert_success();
    let status = store.ledger_status(org.id).await.unwrap();
    let (witnessed, _, _) = status.witnessed.expect("the cosignature was stored");
    assert!(witnessed > after_import, "{witnessed} > {after_import}");
    run_with(&db, &["ledger", "verify", "--witness", &witness, "--min-witnesses", "1"])
        .assert_success()
        .assert_stdout_contains(&format!("立会人が連署した最新のチェックポイント: 件数 {witnessed}"));
    // Two witnesses required, one registered: fails.
    let other = mamori_ledger::cosignature::WitnessKey::generate("iinkai.example/w2").unwrap();
    verify_fails_with(&db, &["--witness", &witness, "--witness", other.public().text(), "--min-witnesses", "2"], &["[立会人]"]);

    // The witness refuses a fork: another checkpoint of the size it cosigned, signed with
    // the log's real key.
    let kept: mamori_ledger::witness::Latest = serde_json::from_str(
        &std::fs::read_to_string(
            std::fs::read_dir(&state)
                .unwrap()
                .find_map(|e| {
                    let p = e.unwrap().path();
                    (p.extension().is_some_and(|x| x == "json")).then_some(p)
                })
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(kept.size, witnessed);
    let fork = db.key.sign(&origin, kept.size, mamori_ledger::leaf_hash(b"another history")).text;
    std::fs::write(path("fork.txt"), format!("old {}\n\n{fork}", kept.size)).unwrap();
    cosign(&["--checkpoint-file", &path("fork.txt")]).assert_failure().assert_stderr_contains("分岐");
    // … and an inconsistent one: larger, with a proof that does not lead to it.
    let request = store.witness_request(org.id, kept.size).await.unwrap();
    let bigger = db.key.sign(&origin, kept.size + 3, mamori_ledger::leaf_hash(b"another history")).text;
    let inconsistent = mamori_ledger::witness::AddCheckpoint { old_size: kept.size, proof: request.proof.clone(), checkpoint: bigger };
    std::fs::write(path("inconsistent.txt"), inconsistent.to_text()).unwrap();
    cosign(&["--checkpoint-file", &path("inconsistent.txt")]).assert_failure().assert_stderr_contains("一貫性がありません");
    let evidence: Vec<String> = std::fs::read_dir(dir.path().join("witness-state/evidence"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        evidence.iter().filter(|n| n.ends_with("-kept.txt")).count() >= 2 && evidence.iter().any(|n| n.ends_with("-shown.txt")),
        "{evidence:?}"
    );
    let state_after = std::fs::read_to_string(dir.path().join("witness-state").join(format!("{}.json", origin.replace('/', "_")))).unwrap();
    assert!(state_after.contains(&format!("\"size\": {}", kept.size)), "a refusal leaves the witness's state as it was: {state_after}");

    // Rolled back to the state after the first cosignature (as a backup restored would
    // be): the only cosignature left is two days old, and the witness refuses the log.
    disable_guards(&db).await;
    match db.store.backend() {
        Backend::Sqlite => exec(&db, "DROP TRIGGER ledger_cosignatures_no_delete").await,
        Backend::Postgres => exec(&db, "ALTER TABLE ledger_cosignatures DISABLE TRIGGER USER").await,
    }
    exec(&db, &format!("DELETE FROM events WHERE seq > {after_import}")).await;
    exec(&db, &format!("DELETE FROM ledger_hashes WHERE idx >= {}", tlog_count(after_import as i64))).await;
    exec(&db, &format!("DELETE FROM ledger_checkpoints WHERE size > {after_import}")).await;
    exec(&db, &format!("DELETE FROM ledger_cosignatures WHERE size > {after_import}")).await;
    exec(&db, &format!("UPDATE organizations SET event_seq = {after_import}, ledger_size = {after_import}")).await;
    verify_passes(&db);
    verify_fails_with(&db, &["--witness", &witness, "--min-witnesses", "1"], &["[立会人]"]);
    run_with(&db, &["ledger", "export-checkpoint", "--from", "0", "--output", &path("rolled-back.txt")]).assert_success();
    cosign(&["--checkpoint-file", &path("rolled-back.txt")]).assert_failure().assert_stderr_contains("巻き戻し");
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_cosign_refuse_forks_and_verify_requires_them_on_sqlite() {
    witness_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_cosign_refuse_forks_and_verify_requires_them_on_postgres() {
    witness_suite(TestDb::postgres().await).await;
}

/// `mamori ledger key rotate`: verify follows the introduction from the first key (an
/// auditor's pin, a bundle) and from the new key file alike; the retired key no longer
/// writes; a key nobody introduced is refused for verifying, for signing and for serving.
async fn rotation_suite(db: TestDb) {
    let store = &db.store;
    let org = store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
    notes(store, org.id, 0, 6).await;
    let old_public = db.key.verifying_key().text().to_owned();
    let rotated = run_with(&db, &["ledger", "key", "rotate"]);
    rotated.assert_success().assert_stdout_contains("新しい公開鍵");
    let new_key = mamori_store::keyfile::load(&db.key_path, false).unwrap().0;
    assert_ne!(new_key.verifying_key().text(), old_public);
    assert_eq!(new_key.name(), db.key.name(), "the name, and so the origin, stays");
    // The in-process writer still holds the retired key: it halts rather than sign.
    assert!(matches!(store.begin_write(org.id).await, Err(mamori_store::StoreError::LedgerHalted(_))));
    let witness = mamori_ledger::cosignature::WitnessKey::generate("kansa.example/w1").unwrap();
    run_with(&db, &["ledger", "witness", "add", "監査委員", witness.public().text()]).assert_success();
    verify_passes(&db);
    run_with(&db, &["ledger", "verify", "--public-key", &old_public]).assert_success();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("rotated.jsonl").display().to_string();
    run_with(&db, &["ledger", "export", "--output", &bundle]).assert_success();
    run_plain(&["ledger", "verify", "--bundle", &bundle, "--public-key", &old_public])
        .assert_success()
        .assert_stdout_contains("検証に成功しました");

    // A key with no introduction: refused as the key to verify with, refused to write.
    let stranger = mamori_ledger::LedgerKey::generate(db.key.name()).unwrap();
    verify_fails_with(&db, &["--public-key", stranger.verifying_key().text()], &["連鎖にありません"]);
    let stranger_file = dir.path().join("stranger.key");
    std::fs::write(&stranger_file, stranger.to_text()).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stranger_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let other_witness = mamori_ledger::cosignature::WitnessKey::generate("kansa.example/w2").unwrap();
    run_with_key(&db, &stranger_file, &["ledger", "witness", "add", "委員", other_witness.public().text()])
        .assert_failure()
        .assert_stderr_contains("検証できません");
    // … and a checkpoint it signed, in place of the latest, is named.
    disable_guards(&db).await;
    let (id, size): (i64, i64) = {
        let r = sqlx::query("SELECT id, size FROM ledger_checkpoints ORDER BY size DESC LIMIT 1").fetch_one(store.pool()).await.unwrap();
        (r.get(0), r.get(1))
    };
    let root = store.tree_root(org.id, size as u64).await.unwrap();
    let forged = stranger.sign(&format!("{}/shime", db.key.name()), size as u64, root).text;
    sqlx::query("UPDATE ledger_checkpoints SET note = $1 WHERE id = $2").bind(&forged).bind(id).execute(store.pool()).await.unwrap();
    verify_fails_with(&db, &[], &[&format!("チェックポイント #{id}"), "既知の鍵"]);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_is_followed_and_an_unintroduced_key_refused_on_sqlite() {
    rotation_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_is_followed_and_an_unintroduced_key_refused_on_postgres() {
    rotation_suite(TestDb::postgres().await).await;
}

/// The server pushes its latest checkpoint to a witness on a schedule (`--witness-url`):
/// the witness (`mamori ledger witness serve`) checks it and answers with its cosignature,
/// which the server stores; the witness refuses a fork pushed to it with 409 and keeps both
/// checkpoints.
async fn push_suite(db: TestDb) {
    let store = &db.store;
    let org = store.create_organization("shime", "志免町", &Actor::system("test")).await.unwrap();
    notes(store, org.id, 0, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (wkey, state) = (path("witness.key"), path("witness-state"));
    let witness =
        run_plain(&["ledger", "witness", "keygen", "--name", "kansa.shime.example/w1", "--key-file", &wkey]).stdout.trim().to_owned();
    run_with(&db, &["ledger", "witness", "add", "監査委員", &witness]).assert_success();
    let origin = format!("{}/shime", db.key.name());
    let log_key = db.key.verifying_key().text().to_owned();
    let (witness_url, _witness) = spawn_listening(
        &[
            "ledger",
            "witness",
            "serve",
            "--key-file",
            &wkey,
            "--state",
            &state,
            "--origin",
            &origin,
            "--log-key",
            &log_key,
            "--listen",
            "127.0.0.1:0",
        ],
        dir.path(),
        "witness.log",
        "mamori ledger witness serve",
    );
    let witness_base = witness_url.clone();
    // The notifier's first round runs at start-up and pushes.
    let (_base, _server) = serve_with(&db, dir.path(), &["--witness-url", &witness_base, "--witness-push-minutes", "60"]);
    let mut witnessed = None;
    for _ in 0..150 {
        witnessed = store.ledger_status(org.id).await.unwrap().witnessed;
        if witnessed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (size, _, _) = witnessed.expect("the server pushed its checkpoint and stored the witness's cosignature");
    run_with(&db, &["ledger", "verify", "--witness", &witness, "--min-witnesses", "1"])
        .assert_success()
        .assert_stdout_contains(&format!("立会人が連署した最新のチェックポイント: 件数 {size}"));
    // A fork pushed to the witness: 409 and the evidence kept.
    let fork = db.key.sign(&origin, size, mamori_ledger::leaf_hash(b"another history")).text;
    let answer =
        reqwest::Client::new().post(format!("{witness_url}/add-checkpoint")).body(format!("old {size}\n\n{fork}")).send().await.unwrap();
    assert_eq!(answer.status(), 409);
    assert!(answer.text().await.unwrap().contains("分岐"));
    assert!(std::fs::read_dir(dir.path().join("witness-state/evidence")).unwrap().count() >= 2);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_pushes_checkpoints_to_a_witness_on_sqlite() {
    push_suite(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_pushes_checkpoints_to_a_witness_on_postgres() {
    push_suite(TestDb::postgres().await).await;
}
