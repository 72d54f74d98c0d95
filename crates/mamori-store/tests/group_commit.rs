//! Group commit: concurrent writers share batches; one writer's failure undoes only its
//! own change; the sequence stays gap-free and the ledger verifies.

use mamori_store::testing::{insert_department_in, TestDb};
use mamori_store::{Actor, NewEvent};

async fn concurrent(db: TestDb) {
    let store = db.store.clone();
    let actor = Actor::system("test");
    let org = store.create_organization("gc", "共同町", &actor).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = store.clone();
        let actor = actor.clone();
        tasks.push(tokio::spawn(async move {
            if i % 4 == 3 && i % 6 != 5 && i % 10 != 7 {
                // An event with no change of its own joins the same batches.
                let code = format!("E{i}");
                let event = NewEvent::new("auth.login", "user", i, serde_json::json!({})).with_personal("name", &format!("職員{i}"));
                return store.record_event(org.id, &actor, event).await.map(|seq| Some((code, seq)));
            }
            let mut w = store.begin_write(org.id).await?;
            // Every sixth writer collides with the first one's department code and fails
            // inside its own part of the batch; one in ten is dropped without committing.
            let code = if i % 6 == 5 { "D0".to_owned() } else { format!("D{i}") };
            insert_department_in(&mut w, &code, &format!("課{i}")).await?;
            if i % 10 == 7 {
                drop(w);
                return Ok(None);
            }
            w.commit(&actor, NewEvent::new("department.create", "department", &code, serde_json::json!({"code": code})))
                .await
                .map(|seq| Some((code, seq)))
        }));
    }
    let mut committed = Vec::new();
    let mut failed = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(Some((code, seq))) => committed.push((i, code, seq)),
            Ok(None) => {}
            Err(_) => failed += 1,
        }
    }
    assert!(failed >= 9, "the colliding writers failed ({failed})");
    let d0 = committed.iter().filter(|(_, code, _)| code == "D0").count();
    assert_eq!(d0, 1, "exactly one writer of D0 committed");
    // What was acknowledged is there; what failed or was dropped is not.
    let departments = store.departments(org.id).await.unwrap();
    let recorded = committed.iter().filter(|(_, code, _)| code.starts_with('E')).count();
    assert!(recorded >= 5, "record_event writers committed ({recorded})");
    for (_, code, _) in committed.iter().filter(|(_, code, _)| code.starts_with('D')) {
        assert!(departments.iter().any(|d| &d.code == code), "committed department {code} is kept");
    }
    assert!(departments.iter().all(|d| d.code != "D7" && d.code != "D17"), "dropped writes left nothing");
    assert_eq!(departments.len(), committed.len() - recorded);
    assert!(committed.iter().all(|(i, _, _)| i % 10 != 7));
    let mut seqs: Vec<i64> = committed.iter().map(|(_, _, s)| *s).collect();
    seqs.sort();
    assert_eq!(seqs, (2..2 + committed.len() as i64).collect::<Vec<_>>(), "sequence numbers are gap-free after the creation event");
    let status = store.ledger_status(org.id).await.unwrap();
    assert_eq!(status.size, 1 + committed.len() as u64);
    assert!(status.checkpoints < status.size, "writers shared batches: {} checkpoints for {} entries", status.checkpoints, status.size);
    let report = store.verify_ledger(org.id, db.key.verifying_key(), &[]).await.unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    // A write after all that still works and extends the same tree.
    let w = store.begin_write(org.id).await.unwrap();
    let seq = w.commit(&actor, NewEvent::new("asset.note", "asset", 1, serde_json::json!({}))).await.unwrap();
    assert_eq!(seq as u64, status.size + 1);
    assert!(store.verify_ledger(org.id, db.key.verifying_key(), &[]).await.unwrap().ok());
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_sqlite() {
    concurrent(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_postgres() {
    concurrent(TestDb::postgres().await).await;
}
