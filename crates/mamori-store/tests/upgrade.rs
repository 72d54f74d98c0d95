//! A database written before the ledger existed upgrades in place: the migration adds the
//! ledger, and the first write afterwards makes every earlier event a leaf, in order.

use mamori_store::testing::TestDb;
use mamori_store::{Actor, Backend, NewEvent};

async fn upgrade(db: TestDb) {
    let store = &db.store;
    // Only the foundation migration, as the first release shipped it.
    let dir = tempfile::tempdir().unwrap();
    let folder = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let name = "20261122000001_foundation.sql";
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(folder).join(name);
    std::fs::copy(&source, dir.path().join(name)).unwrap();
    sqlx::migrate::Migrator::new(dir.path()).await.unwrap().run(store.pool()).await.unwrap();
    // What the first release wrote: an organization and three events.
    sqlx::raw_sql(
        "INSERT INTO organizations (id, code, name, event_seq, created_at) VALUES (1, 'old', '旧町', 3, '2026-11-01T09:00:00.000+09:00');
         INSERT INTO events (org_id, seq, at, clock_synced, actor, role, action, target_kind, target_id, payload, request_id)
         VALUES (1, 1, '2026-11-01T09:00:00.000+09:00', 1, 'cli', '', 'organization.create', 'organization', '1', '{\"code\":\"old\"}', ''),
                (1, 2, '2026-11-01T09:01:00.000+09:00', 1, 'cli', '', 'department.create', 'department', '1', '{}', ''),
                (1, 3, '2026-11-01T09:02:00.000+09:00', 1, 'admin', 'admin', 'asset.create', 'asset', '1', '{\"name\":\"住民票\"}', '');",
    )
    .execute(store.pool())
    .await
    .unwrap();

    store.migrate().await.unwrap();
    let before = store.ledger_status(1).await.unwrap();
    assert_eq!((before.size, before.checkpoints), (0, 0), "the old events are not in a ledger yet");

    let w = store.begin_write(1).await.unwrap();
    let seq = w.commit(&Actor::system("test"), NewEvent::new("asset.note", "asset", 1, serde_json::json!({}))).await.unwrap();
    assert_eq!(seq, 4);
    let after = store.ledger_status(1).await.unwrap();
    assert_eq!(after.size, 4);
    assert_eq!(after.latest.as_ref().unwrap().size, 4);
    let report = store.verify_ledger(1, db.key.verifying_key(), &[]).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 4);
    let old = store.events(1, Some(("asset", "1")), 10).await.unwrap();
    assert!(old.iter().any(|e| e.action == "asset.create" && e.result == "ok"), "old events read with the new column's default");
    db.finish().await;
}

#[tokio::test]
async fn a_foundation_database_upgrades_on_sqlite() {
    upgrade(TestDb::sqlite_with(false).await).await;
}

#[tokio::test]
async fn a_foundation_database_upgrades_on_postgres() {
    upgrade(TestDb::postgres_with(false).await).await;
}
