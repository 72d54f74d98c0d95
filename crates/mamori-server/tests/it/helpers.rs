//! `TestApp`: a server on port 0 over a fresh database, with typed requests.

use std::time::Duration;

use mamori_server::{auth, AppState, Settings};
use mamori_store::org::NewPerson;
use mamori_store::testing::TestDb;
use mamori_store::Actor;

pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct TestApp {
    pub base: String,
    /// The server's state, for calling into it directly (the notifier's rounds).
    pub state: AppState,
    pub db: Option<TestDb>,
    pub org_id: i64,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn sqlite(settings: Settings) -> Self {
        Self::start(TestDb::sqlite().await, settings, "shime").await
    }

    pub async fn postgres(settings: Settings) -> Self {
        Self::start(TestDb::postgres().await, settings, "shime").await
    }

    /// An organization on the bundled profile `profile` (shime, yokote, nakaniikawa, nansatsu).
    pub async fn with_profile(postgres: bool, profile: &str) -> Self {
        let db = if postgres { TestDb::postgres().await } else { TestDb::sqlite().await };
        Self::start(db, Settings::default(), profile).await
    }

    async fn start(db: TestDb, settings: Settings, profile_id: &str) -> Self {
        let store = db.store.clone();
        let actor = Actor::system("test");
        let text = mamori_policy::bundled::bundled(profile_id).unwrap();
        let file = format!("{profile_id}.toml");
        let profile = mamori_policy::parse_profile(&file, text).unwrap();
        let org = store.create_organization("testtown", &profile.organization.name, &actor).await.unwrap();
        store.activate_profile(org.id, &file, text, &profile, &actor).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(store, settings);
        let serving = state.clone();
        tokio::spawn(async move {
            mamori_server::serve(listener, serving, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self { base, state, db: Some(db), org_id: org.id, shutdown: Some(tx) }
    }

    pub fn store(&self) -> &mamori_store::Store {
        &self.db.as_ref().unwrap().store
    }

    pub async fn department(&self, code: &str, name: &str) -> i64 {
        self.store().create_department(self.org_id, code, name, None, "section", &Actor::system("test")).await.unwrap().id
    }

    /// A person in `department_id` with an account whose password is [`PASSWORD`] (not
    /// temporary), optionally holding a role for that department.
    pub async fn user(&self, login: &str, department_id: i64, role: Option<&str>) -> i64 {
        let actor = Actor::system("test");
        let person = self
            .store()
            .create_person(
                self.org_id,
                &NewPerson {
                    staff_no: format!("S-{login}"),
                    name: format!("{login} さん"),
                    kana: String::new(),
                    email: String::new(),
                    department_id,
                    post_id: None,
                    employment: "regular".into(),
                },
                &actor,
            )
            .await
            .unwrap();
        if let Some(role) = role {
            self.store().assign_role(self.org_id, role, person.id, Some(department_id), false, &actor).await.unwrap();
        }
        let hash = auth::hash_password(PASSWORD).unwrap();
        let user = self.store().create_user(self.org_id, Some(person.id), login, &person.name, &hash, false, &actor).await.unwrap();
        self.store().set_password(&user, &hash, false, &actor).await.unwrap();
        user.id
    }

    /// The person behind a user account.
    pub async fn person_of(&self, user_id: i64) -> i64 {
        sqlx::query_scalar("SELECT person_id FROM users WHERE id = $1").bind(user_id).fetch_one(self.store().pool()).await.unwrap()
    }

    /// The person behind the account `login`.
    pub async fn person_by_login(&self, login: &str) -> i64 {
        sqlx::query_scalar("SELECT person_id FROM users WHERE login = $1").bind(login).fetch_one(self.store().pool()).await.unwrap()
    }

    /// Gives the person behind the account `login` a mail address.
    pub async fn set_email(&self, login: &str, email: &str) {
        let person = self.person_by_login(login).await;
        sqlx::query("UPDATE people SET email = $1 WHERE id = $2").bind(email).bind(person).execute(self.store().pool()).await.unwrap();
    }

    /// A client signed in as an administrator of 総務課, through password and TOTP.
    pub async fn admin_client(&self) -> Client {
        const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let d = self.department("100", "総務課").await;
        let id = self.user("admin", d, None).await;
        sqlx::query("UPDATE users SET is_admin = 1, totp_enabled = 1, totp_secret = $1 WHERE id = $2")
            .bind(SECRET)
            .bind(id)
            .execute(self.store().pool())
            .await
            .unwrap();
        let c = self.client();
        c.login("admin", PASSWORD).await;
        let totp = auth::totp_for(SECRET, "mamori", "admin").unwrap();
        let p = c.submit("/login/totp", "/login/totp", &[("code", &totp.generate(auth::unix_now()))]).await;
        assert_eq!(p.url, "/", "the administrator is signed in");
        c
    }

    /// A client signed in, through password and TOTP, as a holder of a role that needs a
    /// second factor (the CISO, the 統括).
    pub async fn totp_client(&self, login: &str, department_id: i64, role: &str) -> Client {
        const SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";
        let id = self.user(login, department_id, Some(role)).await;
        sqlx::query("UPDATE users SET totp_enabled = 1, totp_secret = $1 WHERE id = $2")
            .bind(SECRET)
            .bind(id)
            .execute(self.store().pool())
            .await
            .unwrap();
        let c = self.client();
        c.login(login, PASSWORD).await;
        let totp = auth::totp_for(SECRET, "mamori", login).unwrap();
        let p = c.submit("/login/totp", "/login/totp", &[("code", &totp.generate(auth::unix_now()))]).await;
        assert_eq!(p.url, "/", "{login} is signed in");
        c
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::limited(5)).build().unwrap(),
        }
    }

    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(db) = self.db.take() {
            db.finish().await;
        }
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
}

/// The value of the first hidden `csrf` field on a page.
pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf field in:\n{html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

impl Client {
    pub async fn get(&self, path: &str) -> Page {
        let res = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        Page { status: res.status().as_u16(), url: res.url().path().to_owned(), body: res.text().await.unwrap() }
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self.http.post(format!("{}{path}", self.base)).form(form).send().await.unwrap();
        Page { status: res.status().as_u16(), url: res.url().path().to_owned(), body: res.text().await.unwrap() }
    }

    /// Posts a form with the CSRF token taken from `from` (a page with a form).
    pub async fn submit(&self, from: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let page = self.get(from).await;
        let token = csrf_in(&page.body);
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf", &token));
        self.post_form(path, &fields).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        let token = csrf_in(&page.body);
        self.post_form("/login", &[("login", login), ("password", password), ("csrf", &token)]).await
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value, csrf: Option<&str>) -> (u16, serde_json::Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Posts `body` as it is, typed as JSON.
    pub async fn post_raw(&self, path: &str, body: &str, csrf: &str) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-csrf-token", csrf)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(serde_json::Value::Null))
    }
}
