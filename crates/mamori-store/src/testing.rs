//! Throwaway databases for tests: a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database created on the server named by `MAMORI_TEST_POSTGRES_URL` (default:
//! the local server at 127.0.0.1:5432) and dropped afterwards. A test that asks for
//! PostgreSQL fails when the server cannot be reached; it never skips.

use sqlx::{Connection, Executor};

use std::sync::Arc;

use crate::{LedgerKey, OpenOptions, Store};

pub const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestDb {
    pub store: Store,
    pub url: String,
    /// The checkpoint signing key the store writes with; its key file is `key_path`.
    pub key: Arc<LedgerKey>,
    pub key_path: std::path::PathBuf,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(true).await
    }

    /// A SQLite database; without `migrate`, empty (for tests of the migrations themselves).
    pub async fn sqlite_with(migrate: bool) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = crate::sqlite_url_in(dir.path());
        let key_path = crate::keyfile::default_path(dir.path());
        let key = Arc::new(crate::keyfile::load(&key_path, true).expect("ledger key").0);
        let store = Store::open(&url, OpenOptions { create: true, ledger_key: Some(key.clone()), ..Default::default() })
            .await
            .expect("open SQLite");
        if migrate {
            store.migrate().await.expect("migrate SQLite");
        }
        Self { store, url, key, key_path, _dir: Some(dir), pg_drop: None }
    }

    pub async fn postgres() -> Self {
        Self::postgres_with(true).await
    }

    /// A fresh PostgreSQL database; without `migrate`, empty.
    pub async fn postgres_with(migrate: bool) -> Self {
        let admin = std::env::var("MAMORI_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_owned());
        let name = format!("mamori_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is required for this test and could not be reached at {admin}: {e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
        conn.close().await.ok();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        let dir = tempfile::tempdir().expect("temporary directory");
        let key_path = crate::keyfile::default_path(dir.path());
        let key = Arc::new(crate::keyfile::load(&key_path, true).expect("ledger key").0);
        let store = Store::open(&url, OpenOptions { ledger_key: Some(key.clone()), ..Default::default() }).await.expect("open PostgreSQL");
        if migrate {
            store.migrate().await.expect("migrate PostgreSQL");
        }
        Self { store, url, key, key_path, _dir: Some(dir), pg_drop: Some((admin, name)) }
    }

    /// Closes the pool and drops a PostgreSQL database. Call at the end of a test.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.pg_drop {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}

/// Makes a change inside an open write, so that a test can then make the commit fail.
pub async fn insert_department_in(w: &mut crate::WriteTx, code: &str, name: &str) -> crate::Result<i64> {
    let org_id = w.org_id;
    crate::org::insert_department(w.conn(), org_id, code, name, None, "section").await
}
