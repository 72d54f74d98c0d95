//! `mamori user …`: an administrator locked out of the web UI recovers from the server's
//! own machine, and every recovery is in the ledger.

use mamori_store::testing::TestDb;
use mamori_store::users::LockoutSchedule;
use mamori_store::Actor;

use crate::support::run_with;

async fn a_locked_administrator_recovers_with_the_cli(db: TestDb) {
    let store = &db.store;
    let actor = Actor::system("test");
    let text = mamori_policy::bundled::bundled("shime").unwrap();
    let profile = mamori_policy::parse_profile("shime.toml", text).unwrap();
    let org = store.create_organization("testtown", &profile.organization.name, &actor).await.unwrap();
    store.activate_profile(org.id, "shime.toml", text, &profile, &actor).await.unwrap();
    let hash = mamori_server::auth::hash_password("Kanri-Sekkyoku-2026!").unwrap();
    let admin = store.create_user(org.id, None, "admin", "システム管理者", &hash, true, &actor).await.unwrap();
    // Someone typed wrong passwords until the administrator was locked out for the longest
    // delay, and the account was also locked by hand.
    let now = chrono::Utc::now();
    for _ in 0..12 {
        let u = store.user(admin.id).await.unwrap();
        store.record_login_failure(&u, &LockoutSchedule::default(), "password", now).await.unwrap();
    }
    sqlx::query("UPDATE users SET locked = 1 WHERE id = $1").bind(admin.id).execute(store.pool()).await.unwrap();
    assert!(store.user(admin.id).await.unwrap().refused_at(now + chrono::Duration::minutes(30)));

    let unknown = run_with(&db, &["user", "unlock", "--org", "testtown", "--login", "nobody"]);
    unknown.assert_failure().assert_stderr_contains("nobody");
    let run = run_with(&db, &["user", "unlock", "--org", "testtown", "--login", "admin"]);
    run.assert_success().assert_stdout_contains("ロックを解除しました");
    let u = store.user(admin.id).await.unwrap();
    assert!(!u.refused_at(chrono::Utc::now()), "{run}");
    assert_eq!((u.locked, u.failed_attempts, u.locked_until), (false, 0, None));

    let run = run_with(&db, &["user", "reset-password", "--org", "testtown", "--login", "admin"]);
    run.assert_success();
    let password = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("admin の仮パスワード: "))
        .unwrap_or_else(|| panic!("no temporary password printed\n{run}"))
        .trim()
        .to_owned();
    let u = store.user(admin.id).await.unwrap();
    assert!(mamori_server::auth::verify_password(&password, &u.password_hash), "{run}");
    assert!(u.must_change_password, "a temporary password must be changed at the next sign-in");

    let events = store.events(org.id, None, 100).await.unwrap();
    let unlock = events.iter().find(|e| e.action == "user.unlock").expect("the unlock is recorded");
    assert_eq!(unlock.actor, "cli");
    assert!(unlock.payload.contains("\"was_locked\":true"), "{}", unlock.payload);
    assert!(events.iter().any(|e| e.action == "user.password" && e.actor == "cli"));
    let verify = run_with(&db, &["ledger", "verify", "--org", "testtown"]);
    verify.assert_success();
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_administrator_recovers_with_the_cli_on_sqlite() {
    a_locked_administrator_recovers_with_the_cli(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_administrator_recovers_with_the_cli_on_postgres() {
    a_locked_administrator_recovers_with_the_cli(TestDb::postgres().await).await;
}
