//! The browser acceptance test: headless Chromium drives the real `mamori serve`.
//!
//! An administrator signs in with the temporary password from `mamori org create`, sets up
//! TOTP and a new password, builds a tiny organization (two departments, two people, a
//! security manager, two accounts). Person A registers a 自治体機密性3B asset and sees its
//! handling restrictions with their clauses; person B, in another department, can find it
//! neither in the pages nor through the API. Person C, a staff member of A's department,
//! files a 持出 request for the asset; C cannot approve it; A approves it; the 持出・持込記録
//! lists it and its return is recorded.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::support::{create_org, start_chromedriver, start_server, workspace_root};

const WAIT: Duration = Duration::from_secs(10);

/// Panics with a message, the page's URL and its source.
macro_rules! fail {
    ($b:expr, $($arg:tt)*) => {{
        let context = $b.context().await;
        panic!("{}\n{}", format!($($arg)*), context)
    }};
}

struct Browser {
    c: Client,
    base: String,
}

impl Browser {
    /// The current URL and page source, for failure messages.
    async fn context(&self) -> String {
        let url = self.c.current_url().await.map(|u| u.to_string()).unwrap_or_else(|e| format!("(no URL: {e})"));
        let mut source = self.c.source().await.unwrap_or_else(|e| format!("(no source: {e})"));
        if source.len() > 30_000 {
            let mut cut = 30_000;
            while !source.is_char_boundary(cut) {
                cut -= 1;
            }
            source.truncate(cut);
            source.push_str("\n…(truncated)");
        }
        format!("--- browser at {url} ---\n{source}")
    }

    async fn goto(&self, path: &str) {
        if let Err(e) = self.c.goto(&format!("{}{path}", self.base)).await {
            fail!(self, "cannot open {path}: {e}");
        }
    }

    /// The path and query of the current page.
    async fn path(&self) -> String {
        match self.c.current_url().await {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            },
            Err(e) => fail!(self, "no current URL: {e}"),
        }
    }

    async fn wait_path(&self, expected: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if path.split('?').next() == Some(expected) {
                return;
            }
            if Instant::now() > deadline {
                fail!(self, "expected to arrive at {expected}, but the browser is at {path}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn find(&self, css: &str) -> Element {
        match self.c.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => fail!(self, "no element {css}: {e}"),
        }
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        match el.text().await {
            Ok(t) => t,
            Err(e) => fail!(self, "cannot read the text of {css}: {e}"),
        }
    }

    async fn expect_text(&self, css: &str, needle: &str) -> String {
        let text = self.text(css).await;
        if !text.contains(needle) {
            fail!(self, "{css} should contain {needle:?}; it reads:\n{text}");
        }
        text
    }

    async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        if let Err(e) = el.clear().await {
            fail!(self, "cannot clear {css}: {e}");
        }
        if let Err(e) = el.send_keys(value).await {
            fail!(self, "cannot type into {css}: {e}");
        }
        let typed = el.prop("value").await.ok().flatten().unwrap_or_default();
        if typed != value {
            fail!(self, "typed {value:?} into {css}, but it holds {typed:?}");
        }
    }

    async fn select_value(&self, css: &str, value: &str) {
        if let Err(e) = self.find(css).await.select_by_value(value).await {
            fail!(self, "cannot choose the value {value:?} in {css}: {e}");
        }
    }

    async fn select_label(&self, css: &str, label: &str) {
        if let Err(e) = self.find(css).await.select_by_label(label).await {
            fail!(self, "cannot choose {label:?} in {css}: {e}");
        }
    }

    /// Submits a form with its submit button and waits until the next page has loaded.
    async fn submit(&self, form: &str) {
        let old = self.find("html").await;
        let button = self.find(&format!("{form} button[type=submit]")).await;
        if let Err(e) = button.click().await {
            fail!(self, "cannot click the submit button of {form}: {e}");
        }
        let deadline = Instant::now() + WAIT;
        // The old document's element goes stale once the browser has navigated.
        while old.tag_name().await.is_ok() {
            if Instant::now() > deadline {
                fail!(self, "submitting {form} did not load a new page (a browser-side validation error?)");
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        loop {
            let state = self.c.execute("return document.readyState", vec![]).await.ok();
            if state.as_ref().and_then(Value::as_str) == Some("complete") {
                break;
            }
            if Instant::now() > deadline {
                fail!(self, "the page after submitting {form} did not finish loading");
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    async fn source(&self) -> String {
        match self.c.source().await {
            Ok(s) => s,
            Err(e) => fail!(self, "no page source: {e}"),
        }
    }

    async fn sign_in(&self, login: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.submit("form[action='/login']").await;
    }

    /// The forced password change after a temporary password; ends on the dashboard.
    async fn change_password(&self, current: &str, new: &str) {
        self.wait_path("/account/password").await;
        self.expect_text("main", "仮のパスワードでログインしました").await;
        self.fill("#current", current).await;
        self.fill("#new", new).await;
        self.fill("#confirm", new).await;
        self.submit("form[action='/account/password']").await;
        self.wait_path("/").await;
        self.expect_text("main", "パスワードを変更しました").await;
        self.find("#previous-login").await;
    }

    async fn sign_out(&self) {
        self.submit("form[action='/logout']").await;
        self.wait_path("/login").await;
        self.expect_text("main", "ログアウトしました").await;
    }

    /// The browser's session cookie, to call the API as the signed-in person.
    async fn session_cookie(&self) -> String {
        match self.c.get_named_cookie("mamori_session").await {
            Ok(c) => c.value().to_owned(),
            Err(e) => fail!(self, "no mamori_session cookie in the browser: {e}"),
        }
    }
}

async fn connect_browser(webdriver: &str, profile_dir: &Path) -> Client {
    const CHROMIUM: &str = "/usr/bin/chromium";
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the browser test needs Debian's chromium (apt-get install chromium chromium-driver)"
    );
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,1000".to_owned(),
        "--lang=ja".to_owned(),
        format!("--user-data-dir={}", profile_dir.display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), json!({"args": args, "binary": CHROMIUM}));
    let mut builder = ClientBuilder::rustls().expect("rustls connector");
    builder.capabilities(caps);
    match tokio::time::timeout(Duration::from_secs(30), builder.connect(webdriver)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => panic!("cannot start chromium through chromedriver at {webdriver}: {e}"),
        Err(_) => panic!("chromium did not start within 30 s"),
    }
}

fn current_totp(secret: &str, login: &str) -> String {
    let bytes =
        Secret::Encoded(secret.trim().to_owned()).to_bytes().unwrap_or_else(|e| panic!("the TOTP secret {secret:?} is not base32: {e:?}"));
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, Some("mamori".into()), login.into()).expect("a valid TOTP");
    totp.generate_current().expect("the clock is after 1970")
}

/// Signs in through the form with a plain HTTP client: GET /login for the double-submit
/// cookie, then POST it back in the `csrf` field.
async fn api_session(base: &str, login: &str, password: &str) -> reqwest::Client {
    let http = reqwest::Client::builder().cookie_store(true).timeout(WAIT).build().expect("HTTP client");
    let page = http.get(format!("{base}/login")).send().await.expect("GET /login");
    let csrf = page
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("mamori_login_csrf=").map(|rest| rest.split(';').next().unwrap_or_default().to_owned()))
        .unwrap_or_else(|| panic!("GET /login set no mamori_login_csrf cookie: {:?}", page.headers()));
    let res = http
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf.as_str()), ("login", login), ("password", password)])
        .send()
        .await
        .expect("POST /login");
    let (status, url) = (res.status(), res.url().clone());
    let body = res.text().await.unwrap_or_default();
    assert!(
        status.is_success() && url.path() == "/",
        "signing {login} in over HTTP should end on the dashboard; got {status} at {url}\n{body}"
    );
    assert!(body.contains("previous-login"), "the dashboard for {login} is missing #previous-login\n{body}");
    http
}

async fn get_json(http: &reqwest::Client, url: &str, cookie: Option<&str>) -> (u16, Value) {
    let mut req = http.get(url);
    if let Some(c) = cookie {
        req = req.header(reqwest::header::COOKIE, format!("mamori_session={c}"));
    }
    let res = req.send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url} ({status}) did not return JSON ({e}):\n{text}"));
    (status, json)
}

fn asset_ids(list: &Value) -> Vec<i64> {
    list["assets"].as_array().unwrap_or_else(|| panic!("no assets array in {list}")).iter().filter_map(|a| a["id"].as_i64()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acceptance_in_headless_chromium() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let admin_temp = create_org(&data);
    let server = start_server(&data, tmp.path());
    let (webdriver, _driver) = start_chromedriver(tmp.path()).await;
    let profile_dir = tmp.path().join("chromium-profile");
    std::fs::create_dir_all(&profile_dir).expect("chromium profile dir");
    let client = connect_browser(&webdriver, &profile_dir).await;
    let b = Browser { c: client.clone(), base: server.base.clone() };

    run_scenario(client, Duration::from_secs(180), async move { scenario(&b, &admin_temp, &data).await }).await;
    eprintln!("browser acceptance test took {:.1} s", started.elapsed().as_secs_f64());
    drop(server);
}

/// Runs a scenario as its own task so that the browser session is closed (and Chromium
/// exits) even when an assertion fails; the panic is re-raised afterwards.
async fn run_scenario(client: Client, limit: Duration, scenario: impl std::future::Future<Output = ()> + Send + 'static) {
    let task = tokio::spawn(scenario);
    let outcome = tokio::time::timeout(limit, task).await;
    let _ = client.close().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("the browser scenario did not finish: {e}"),
        Err(_) => panic!("the browser scenario took longer than {} s", limit.as_secs()),
    }
}

async fn scenario(b: &Browser, admin_temp: &str, data: &Path) {
    let base = b.base.clone();

    // 1. The administrator: temporary password → forced TOTP setup → forced password change.
    b.sign_in("admin", admin_temp).await;
    b.wait_path("/account/totp").await;
    let secret = b.text("pre#totp-secret").await;
    let mut admin_step = totp_step();
    b.fill("#code", &current_totp(&secret, "admin")).await;
    b.submit("form[action='/account/totp']").await;
    b.change_password(admin_temp, "Kanri-Sekkyoku-2026!").await;
    b.expect_text("#previous-login", "初めてのログイン").await;
    b.expect_text("#ledger-card", "件数").await;

    // The 作業記録 lists the changes so far, each covered by a signed checkpoint, and the
    // ledger page shows the public key and the checkpoint to take away as an anchor.
    b.goto("/events?action=user.*").await;
    b.expect_text("#events", "署名済").await;
    b.goto("/ledger").await;
    b.expect_text("#public-key", "mamori-").await;
    b.expect_text("#latest-checkpoint", "/testtown").await;
    screenshot(b, "browser-ledger.png").await;

    // The policy compiler in the UI: the administrator uploads 志免町's document and sees the
    // draft beside the text; a line link leads to the line.
    b.goto("/policy/drafts").await;
    let seed = workspace_root().join("crates/mamori-compiler/tests/seeds/004_e5ba308fd86ab30f.txt");
    b.find("#upload-form input[type=file]")
        .await
        .send_keys(&seed.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("cannot choose the file: {e}"));
    b.submit("#upload-form").await;
    b.expect_text("#draft-roles", "副町長").await;
    b.expect_text("#validation", "検証に通りました").await;
    b.expect_text("#source", "情報セキュリティ基本方針").await;
    screenshot(b, "browser-policy-draft.png").await;
    // The administrator accepts the draft but, having uploaded it, may not activate it.
    let draft_path = b.path().await;
    b.submit("form[action$='/accept']").await;
    b.expect_text("#activation-refused", "別の権限者が確認して有効にしてください").await;
    b.find("#family-diff").await;

    // 2. Two departments.
    for (code, name) in [("jumin", "住民課"), ("zeimu", "税務課")] {
        b.goto("/org").await;
        b.fill("form[action='/org/departments'] input[name=code]", code).await;
        b.fill("form[action='/org/departments'] input[name=name]", name).await;
        b.submit("form[action='/org/departments']").await;
        b.wait_path("/org").await;
        b.expect_text("p.notice", "課局等を追加しました").await;
        b.expect_text("#departments", name).await;
    }

    // 3. Two people, one in each.
    for (no, name, dept) in [("1001", "住民 花子", "住民課"), ("2001", "税務 太郎", "税務課"), ("1002", "住民 次郎", "住民課")]
    {
        b.goto("/org/people").await;
        b.fill("form[action='/org/people'] input[name=staff_no]", no).await;
        b.fill("form[action='/org/people'] input[name=name]", name).await;
        b.select_label("form[action='/org/people'] select[name=department_id]", dept).await;
        b.submit("form[action='/org/people']").await;
        b.wait_path("/org/people").await;
        b.expect_text("#people", name).await;
    }
    let people = b.text("#people").await;
    if !people.lines().any(|l| l.contains("住民 花子") && l.contains("住民課"))
        || !people.lines().any(|l| l.contains("税務 太郎") && l.contains("税務課"))
    {
        fail!(b, "each person should be in their own department:\n{people}");
    }

    // 4. A is the 情報セキュリティ管理者 of 住民課.
    b.goto("/org").await;
    b.select_value("form[action='/org/roles'] select[name=role]", "security_manager").await;
    b.select_label("form[action='/org/roles'] select[name=person_id]", "住民 花子 (1001)").await;
    b.select_label("form[action='/org/roles'] select[name=department_id]", "住民課").await;
    b.submit("form[action='/org/roles']").await;
    b.expect_text("p.notice", "役割を割り当てました").await;
    let roles = b.text("#roles").await;
    if !roles.lines().any(|l| l.contains("情報セキュリティ管理者") && l.contains("住民 花子") && l.contains("住民課")) {
        fail!(b, "the role table should show 住民 花子 as 情報セキュリティ管理者 of 住民課:\n{roles}");
    }

    // 5. Accounts for A and B; the page shows each temporary password once.
    let mut temps = Vec::new();
    for (login, person) in [("hanako", "住民 花子 (1001)"), ("taro", "税務 太郎 (2001)"), ("jiro", "住民 次郎 (1002)")] {
        b.goto("/org").await;
        b.fill("form[action='/org/users'] input[name=login]", login).await;
        b.select_label("form[action='/org/users'] select[name=person_id]", person).await;
        b.submit("form[action='/org/users']").await;
        b.expect_text("#new-login", login).await;
        let temp = b.text("#temporary-password").await.trim().to_owned();
        if temp.len() < 12 {
            fail!(b, "the temporary password for {login} looks wrong: {temp:?}");
        }
        temps.push(temp);
    }
    let (a_temp, b_temp, c_temp) = (temps[0].clone(), temps[1].clone(), temps[2].clone());

    // The 統括 (a second holder of `profile.activate`), to activate the administrator's draft.
    b.goto("/org/people").await;
    b.fill("form[action='/org/people'] input[name=staff_no]", "3001").await;
    b.fill("form[action='/org/people'] input[name=name]", "総務 統括").await;
    b.select_label("form[action='/org/people'] select[name=department_id]", "税務課").await;
    b.submit("form[action='/org/people']").await;
    b.goto("/org").await;
    b.select_value("form[action='/org/roles'] select[name=role]", "security_director").await;
    b.select_label("form[action='/org/roles'] select[name=person_id]", "総務 統括 (3001)").await;
    b.submit("form[action='/org/roles']").await;
    b.expect_text("p.notice", "役割を割り当てました").await;
    b.goto("/org").await;
    b.fill("form[action='/org/users'] input[name=login]", "tokatsu").await;
    b.select_label("form[action='/org/users'] select[name=person_id]", "総務 統括 (3001)").await;
    b.submit("form[action='/org/users']").await;
    let d_temp = b.text("#temporary-password").await.trim().to_owned();
    b.sign_out().await;
    guarded_activation(b, &draft_path, &d_temp).await;

    // 6. A: temporary password → password change (no TOTP for a 情報セキュリティ管理者).
    let a_password = "Hanami-Sakura-2026!";
    b.sign_in("hanako", &a_temp).await;
    b.change_password(&a_temp, a_password).await;
    b.expect_text("main", "情報セキュリティ管理者（住民課）").await;

    // 7. A registers a 3B asset in 住民課.
    let asset_name = "住民基本台帳システムの住民票データ";
    b.goto("/assets/new").await;
    b.fill("#name", asset_name).await;
    b.fill("#description", "受入テストで登録した情報資産").await;
    b.select_label("#department_id", "住民課").await;
    b.select_value("#confidentiality", "3B").await;
    b.select_value("#integrity", "2").await;
    b.select_value("#availability", "2").await;
    b.submit("form[action='/assets']").await;
    let path = b.path().await;
    let Some(asset_id) = path.strip_prefix("/assets/").and_then(|s| s.parse::<i64>().ok()) else {
        fail!(b, "registering the asset should open /assets/ID, not {path}");
    };
    b.expect_text("h1", asset_name).await;
    b.expect_text("#classes", "機密性3B").await;
    let restrictions = b.expect_text("#restrictions", "対策基準2(1)").await;
    for needle in ["暗号化", "対策基準2(2)"] {
        if !restrictions.contains(needle) {
            fail!(b, "#restrictions should contain {needle:?}:\n{restrictions}");
        }
    }
    let rule_rows = b.c.find_all(Locator::Css("#restrictions td.clause")).await.unwrap_or_default();
    let mut clauses = Vec::new();
    for td in &rule_rows {
        clauses.push(td.text().await.unwrap_or_default());
    }
    if !clauses.iter().any(|c| c.starts_with("対策基準2(2)")) || !clauses.iter().any(|c| c == "対策基準2(1)") {
        fail!(b, "the clause column should cite 対策基準2(1) and a 対策基準2(2) rule: {clauses:?}");
    }
    // The clause links lead to the clause catalogue.
    let link = b.find("#restrictions td.clause a").await;
    let href = link.attr("href").await.ok().flatten().unwrap_or_default();
    if !href.starts_with("/policy/clauses#") {
        fail!(b, "clause links should point into /policy/clauses, not {href:?}");
    }
    screenshot(b, "browser-asset.png").await;

    // A's register lists it.
    b.goto("/assets").await;
    b.expect_text("#assets", asset_name).await;
    b.sign_out().await;

    // 8. B, in 税務課, can neither list nor open it.
    let b_password = "Zeimu-Nouzei-2026!";
    b.sign_in("taro", &b_temp).await;
    b.change_password(&b_temp, b_password).await;
    b.goto("/assets").await;
    let list = b.text("#assets").await;
    let source = b.source().await;
    if list.contains(asset_name) || source.contains(&format!("/assets/{asset_id}\"")) {
        fail!(b, "B (税務課) must not see 住民課's asset in the register");
    }
    b.goto(&format!("/assets/{asset_id}")).await;
    b.expect_text("p.error", "見つかりません").await;
    if b.source().await.contains(asset_name) {
        fail!(b, "the not-found page must not reveal the asset");
    }

    // 9. The API with B's browser session: 404 for the asset, absent from the list.
    let cookie = b.session_cookie().await;
    let http = reqwest::Client::builder().timeout(WAIT).build().expect("HTTP client");
    let (status, me) = get_json(&http, &format!("{base}/api/v1/me"), Some(&cookie)).await;
    assert_eq!((status, me["user"]["login"].as_str()), (200, Some("taro")), "B's session cookie should work for the API: {me}");
    let (status, body) = get_json(&http, &format!("{base}/api/v1/assets/{asset_id}"), Some(&cookie)).await;
    assert_eq!(status, 404, "B must get 404 for 住民課's asset through the API: {body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    let (status, list) = get_json(&http, &format!("{base}/api/v1/assets"), Some(&cookie)).await;
    assert_eq!(status, 200, "{list}");
    assert!(!asset_ids(&list).contains(&asset_id), "B's API list must not contain asset {asset_id}: {list}");
    // The error page has no navigation; sign out from the dashboard.
    b.goto("/").await;
    b.sign_out().await;

    // 10. A, signed in over plain HTTP, sees it with its restrictions.
    let a_http = api_session(&base, "hanako", a_password).await;
    let (status, body) = get_json(&a_http, &format!("{base}/api/v1/assets/{asset_id}"), None).await;
    assert_eq!(status, 200, "A should read the asset through the API: {body}");
    assert_eq!(body["asset"]["id"], asset_id, "{body}");
    let restrictions = body["handling_restrictions"].as_array().unwrap_or_else(|| panic!("no handling_restrictions: {body}"));
    assert!(restrictions.iter().any(|r| r["clause"] == "対策基準2(1)" && r["level"] == "3B"), "{body}");
    assert!(
        restrictions.iter().any(|r| r["clause"].as_str().is_some_and(|c| c.starts_with("対策基準2(2)")) && r["source"] == "rule"),
        "{body}"
    );
    let (status, list) = get_json(&a_http, &format!("{base}/api/v1/assets"), None).await;
    assert_eq!(status, 200, "{list}");
    assert!(asset_ids(&list).contains(&asset_id), "A's API list should contain asset {asset_id}: {list}");

    take_out_request(b, asset_id, asset_name, &c_temp, a_password).await;
    b.sign_out().await;
    ledger_alarm(b, data, &secret, &mut admin_step).await;
}

/// Issue 20, last because it stops the server's writes: an entry slipped into the database
/// behind the server's back (no key needed for that) is an unsigned tail. `/ledger` raises
/// the alarm, the server refuses to write with the 503 page, and reading goes on.
async fn ledger_alarm(b: &Browser, data: &Path, admin_secret: &str, admin_step: &mut u64) {
    let url = format!("sqlite://{}", data.join("mamori.sqlite").display());
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(&url).await.expect("open the server's SQLite file");
    sqlx::raw_sql(
        "INSERT INTO events (org_id, seq, at, clock_synced, actor, role, action, target_kind, target_id, payload, request_id)
             SELECT id, event_seq + 1, '2026-12-03T10:00:00.000+09:00', 1, 'admin', '', 'asset.note', 'asset', '1', '{\"note\":\"後から足した記録\"}', ''
             FROM organizations WHERE code = 'testtown';
         UPDATE organizations SET event_seq = event_seq + 1, ledger_size = ledger_size + 1 WHERE code = 'testtown';",
    )
    .execute(&pool)
    .await
    .expect("slip an event in");
    pool.close().await;

    sign_in_with_totp(b, "admin", "Kanri-Sekkyoku-2026!", admin_secret, admin_step).await;
    b.goto("/ledger").await;
    let alarm = b.expect_text("#ledger-alarms", "署名されていない記録").await;
    if !alarm.contains("書き込みを停止") {
        fail!(b, "signing in met the tail, so the writer has halted and /ledger says so:\n{alarm}");
    }
    screenshot(b, "browser-ledger-alarm.png").await;
    // A write is refused with the 503 page; reading goes on.
    b.goto("/org").await;
    b.fill("form[action='/org/departments'] input[name=code]", "kaikei").await;
    b.fill("form[action='/org/departments'] input[name=name]", "会計課").await;
    b.submit("form[action='/org/departments']").await;
    b.expect_text("p.error", "変更の受付を停止しています").await;
    b.goto("/events").await;
    b.expect_text("#events", "未署名").await;
}

/// 11–13. C, a staff member of 住民課, files a 持出 request for the 3B asset; C cannot
/// approve it; A, the 課長 (情報セキュリティ管理者 of 住民課), approves it; the 持出・持込記録
/// lists it, and the return is recorded.
/// The 統括 sees what the administrator's draft changes, confirms the losses it names and
/// activates it; then goes back to the first version after its diff, and the decision matrix
/// of the restored version against the first equals it exactly.
async fn guarded_activation(b: &Browser, draft_path: &str, temp: &str) {
    b.sign_in("tokatsu", temp).await;
    b.wait_path("/account/totp").await;
    let secret = b.text("pre#totp-secret").await;
    b.fill("#code", &current_totp(&secret, "tokatsu")).await;
    b.submit("form[action='/account/totp']").await;
    b.change_password(temp, "Kakunin-Shounin-2026!").await;
    b.goto(draft_path).await;
    b.find("#review").await;
    b.expect_text("#decision-matrix", "判断").await;
    screenshot(b, "browser-profile-review.png").await;
    if let Ok(confirm) = b.c.find(fantoccini::Locator::Css("#confirm")).await {
        b.expect_text("#confirm-losses", "失われるもの").await;
        if let Err(e) = confirm.click().await {
            fail!(b, "cannot tick the confirmation: {e}");
        }
    }
    b.submit("#activate-form").await;
    b.wait_path("/policy/versions").await;
    b.expect_text("#notice", "新しい版を有効にしました").await;
    // Back to version 1: its diff first, then the restore.
    b.goto("/policy/versions").await;
    let link = b.find("#versions tr[data-version='1'] a").await;
    if let Err(e) = link.click().await {
        fail!(b, "cannot open the restore page of version 1: {e}");
    }
    b.find("#review").await;
    let restore_page = b.path().await;
    if let Ok(confirm) = b.c.find(fantoccini::Locator::Css("#confirm")).await {
        if let Err(e) = confirm.click().await {
            fail!(b, "cannot tick the confirmation: {e}");
        }
    }
    b.submit("#restore-form").await;
    b.expect_text("#notice", "以前の版の内容を、新しい版として有効にしました").await;
    // The first version against the active one now: not one sample decision differs.
    b.goto(&restore_page).await;
    b.expect_text("#decision-matrix", "すべての見本で判断は変わりません").await;
    b.expect_text("#no-difference", "違いはありません").await;
    b.sign_out().await;
}

async fn take_out_request(b: &Browser, asset_id: i64, asset_name: &str, c_temp: &str, a_password: &str) {
    let base = b.base.clone();
    b.sign_in("jiro", c_temp).await;
    b.change_password(c_temp, "Kawazoi-Sakura-2026!").await;
    b.goto(&format!("/requests/new?action=take_out&asset_id={asset_id}")).await;
    b.fill("input[name=destination]", "福岡県庁").await;
    b.fill("textarea[name=purpose]", "住民票データの照合").await;
    // Date inputs take their value in the page's locale when typed; set it as the form sends it.
    if let Err(e) = b.c.execute("document.querySelector('input[name=due_on]').value = '2026-12-01'", vec![]).await {
        fail!(b, "cannot set the return date: {e}");
    }
    // First without encryption: the rules refuse and say what is missing.
    b.submit("form[action='/requests']").await;
    let denied = b.expect_text("#denied", "対策基準2(1)").await;
    if !denied.contains("暗号化") {
        fail!(b, "the refusal should say encryption is missing:\n{denied}");
    }
    if let Err(e) = b.c.execute("document.querySelector('input[name=due_on]').value = '2026-12-01'", vec![]).await {
        fail!(b, "cannot set the return date: {e}");
    }
    b.find("input[name=encrypted]").await.click().await.unwrap_or_else(|e| panic!("cannot tick 暗号化: {e}"));
    b.submit("form[action='/requests']").await;
    let path = b.path().await;
    let Some(request_id) = path.strip_prefix("/requests/").and_then(|s| s.parse::<i64>().ok()) else {
        fail!(b, "filing the request should open /requests/ID, not {path}");
    };
    b.expect_text("h1", "情報資産持出・持込申請書").await;
    b.expect_text("#status", "承認待ち").await;
    b.expect_text("main", "対策基準5.1(1)③(ア)").await;
    if b.c.find(Locator::Css("#approve")).await.is_ok() {
        fail!(b, "the applicant must not be offered to approve their own request");
    }
    screenshot(b, "browser-request.png").await;
    // Nor can they approve it by posting the form themselves.
    let cookie = b.session_cookie().await;
    let http = reqwest::Client::builder().timeout(WAIT).build().expect("HTTP client");
    let (_, me) = get_json(&http, &format!("{base}/api/v1/me"), Some(&cookie)).await;
    let csrf = me["csrf_token"].as_str().unwrap_or_default().to_owned();
    let res = http
        .post(format!("{base}/requests/{request_id}/approve"))
        .header("cookie", format!("mamori_session={cookie}"))
        .form(&[("csrf", csrf.as_str()), ("comment", "自分で承認")])
        .send()
        .await
        .expect("POST approve");
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    assert!(status == 400 || status == 403, "the applicant's own approval must be refused, got {status}");
    assert!(body.contains("決裁できるのは") || body.contains("職務の分離"), "the refusal should say why: {body}");
    b.goto(&format!("/requests/{request_id}")).await;
    b.expect_text("#status", "承認待ち").await;
    b.sign_out().await;

    // A, the 課長, finds it waiting and approves it.
    b.sign_in("hanako", a_password).await;
    b.goto("/requests").await;
    b.expect_text("#to-decide", asset_name).await;
    b.goto(&format!("/requests/{request_id}")).await;
    b.fill(&format!("form[action='/requests/{request_id}/approve'] input[name=comment]"), "暗号化を確認しました").await;
    b.submit(&format!("form[action='/requests/{request_id}/approve']")).await;
    b.expect_text("#status", "承認済み").await;
    b.expect_text("#decided-by", "住民 花子").await;
    b.goto("/requests").await;
    let records = b.expect_text("#take-out-records", asset_name).await;
    if !records.contains("2026-12-01") || !records.contains("承認済み") {
        fail!(b, "the 持出・持込記録 should list the approved take-out with its return date:\n{records}");
    }
    // The return is recorded; the record shows it.
    b.goto(&format!("/requests/{request_id}")).await;
    b.fill(&format!("form[action='/requests/{request_id}/complete'] input[name=note]"), "媒体の返却を確認").await;
    b.submit(&format!("form[action='/requests/{request_id}/complete']")).await;
    b.expect_text("#status", "返却済み").await;
    b.expect_text("#completed", "住民 花子").await;
    b.goto("/requests").await;
    let records = b.expect_text("#take-out-records", "返却済み").await;
    if !records.contains(asset_name) {
        fail!(b, "the record should still list the returned take-out:\n{records}");
    }
    screenshot(b, "browser-take-out-records.png").await;
}

/// Saves the whole page to target/`name` for a person to look at.
async fn screenshot(b: &Browser, name: &str) {
    let height = b.c.execute("return document.documentElement.scrollHeight", vec![]).await.ok().and_then(|v| v.as_u64()).unwrap_or(1000);
    let _ = b.c.set_window_size(1280, u32::try_from(height.clamp(800, 6000)).unwrap_or(1000) + 120).await;
    let png = match b.c.screenshot().await {
        Ok(png) => png,
        Err(e) => fail!(b, "cannot take a screenshot: {e}"),
    };
    let _ = b.c.set_window_size(1280, 1000).await;
    let path = workspace_root().join("target").join(name);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("creating target/");
    }
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    eprintln!("screenshot: {}", path.display());
}

/// One-time credentials printed by `mamori demo --no-serve`: login → (password, name).
fn demo_credentials(run: &crate::support::Run) -> std::collections::HashMap<String, (String, String)> {
    let mut out = std::collections::HashMap::new();
    for line in run.stdout.lines().filter(|l| l.starts_with("  ")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() >= 3 && parts[1].len() >= 12 {
            out.insert(parts[0].to_owned(), (parts[1].to_owned(), parts[2..].join(" ")));
        }
    }
    out
}

/// A first sign-in with a temporary password: the second factor where the role requires
/// it, then the forced password change; ends on the dashboard.
/// Returns the TOTP secret when one was set up.
async fn first_sign_in(b: &Browser, login: &str, temp: &str, password: &str) -> Option<String> {
    b.sign_in(login, temp).await;
    let mut secret = None;
    if b.path().await.starts_with("/account/totp") {
        let s = b.text("pre#totp-secret").await;
        b.fill("#code", &current_totp(&s, login)).await;
        b.submit("form[action='/account/totp']").await;
        secret = Some(s);
    }
    b.change_password(temp, password).await;
    secret
}

fn totp_step() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() / 30).unwrap_or(0)
}

/// Signs in again with password and TOTP. A code is accepted once, so this waits for a
/// 30-second step after `last_step` (the step of the code used before).
async fn sign_in_with_totp(b: &Browser, login: &str, password: &str, secret: &str, last_step: &mut u64) {
    while totp_step() <= *last_step {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    b.sign_in(login, password).await;
    b.wait_path("/login/totp").await;
    let before = totp_step();
    b.fill("#code", &current_totp(secret, login)).await;
    *last_step = before.max(totp_step());
    b.submit("form[action='/login/totp']").await;
    b.wait_path("/").await;
}

/// The incident acceptance test on the demo town (志免町's profile): an ordinary staff member
/// of 住民課 reports a level-3 incident; the CISO and the 統括 see it on their dashboards;
/// CSIRT triages it; the インシデント等発生状況報告書 shows every field and prints to a clean
/// PDF through headless Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incident_in_headless_chromium() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let demo = crate::support::run(&["demo", "--data-dir", data.to_str().expect("UTF-8 path"), "--no-serve"]);
    demo.assert_success();
    let creds = demo_credentials(&demo);
    for login in ["jumin-staff", "ciso", "somu", "csirt"] {
        assert!(creds.contains_key(login), "the demo prints a one-time password for {login}\n{demo}");
    }
    let server = start_server(&data, tmp.path());
    let (webdriver, _driver) = start_chromedriver(tmp.path()).await;
    let profile_dir = tmp.path().join("chromium-profile");
    std::fs::create_dir_all(&profile_dir).expect("chromium profile dir");
    let client = connect_browser(&webdriver, &profile_dir).await;
    let b = Browser { c: client.clone(), base: server.base.clone() };
    run_scenario(client, Duration::from_secs(150), async move { incident_scenario(&b, &creds, &webdriver).await }).await;
    drop(server);
}

async fn incident_scenario(b: &Browser, creds: &std::collections::HashMap<String, (String, String)>, webdriver: &str) {
    let (staff_temp, staff_name) = &creds["jumin-staff"];
    let (ciso_temp, ciso_name) = &creds["ciso"];
    let (somu_temp, somu_name) = &creds["somu"];
    let (csirt_temp, _) = &creds["csirt"];
    let title = "窓口端末にランサムウェアの脅迫画面が表示された";

    // 1. An ordinary staff member of 住民課 reports a level-3 incident.
    first_sign_in(b, "jumin-staff", staff_temp, "Madoguchi-Jumin-2026!").await;
    b.goto("/incidents/new").await;
    b.fill("#title", title).await;
    b.select_value("#level", "3").await;
    if let Err(e) = b.c.execute("document.getElementById('occurred_at').value = '2026-12-01T08:45'", vec![]).await {
        fail!(b, "cannot set the time: {e}");
    }
    b.fill("#location", "住民課窓口 2番端末").await;
    b.fill("#assets", "住民記録システム端末（機密性3A）").await;
    b.select_value("#personal_info", "yes").await;
    b.fill("#details", "始業時に画面全体へ英語の脅迫文が表示され、共有フォルダのファイル名が変わっていた。LANケーブルを抜いた。").await;
    b.submit("#report-form").await;
    let path = b.path().await;
    let Some(id) = path.strip_prefix("/incidents/").and_then(|s| s.split('?').next()).and_then(|s| s.parse::<i64>().ok()) else {
        fail!(b, "sending the report should open /incidents/ID, not {path}");
    };
    b.expect_text("#saved", "報告を送信しました").await;
    let notices = b.text("#notices").await;
    for name in [ciso_name, somu_name] {
        if !notices.contains(name.as_str()) {
            fail!(b, "a level-3 report reaches the CISO and the 統括 ({name}):\n{notices}");
        }
    }
    if !notices.contains("CSIRT") {
        fail!(b, "every report reaches the CSIRT, the single point of contact:\n{notices}");
    }
    screenshot(b, "browser-incident-reported.png").await;
    b.sign_out().await;

    // 2. The CISO and the 統括 find it on their dashboards, and acknowledge it.
    for (login, temp, password) in [("ciso", ciso_temp, "Fukuchoshitsu-2026!"), ("somu", somu_temp, "Tokatsu-Sekinin-2026!")] {
        first_sign_in(b, login, temp, password).await;
        let card = b.expect_text("#incident-card", title).await;
        if !card.contains("確認を待っている通知") {
            fail!(b, "{login}'s dashboard should say a notice waits for acknowledgement:\n{card}");
        }
        b.goto(&format!("/incidents/{id}")).await;
        b.submit(&format!("form[action='/incidents/{id}/acknowledge']")).await;
        b.wait_path(&format!("/incidents/{id}")).await;
        if b.c.find(Locator::Css("#acknowledge")).await.is_ok() {
            fail!(b, "after acknowledging, {login} has nothing left to acknowledge");
        }
        b.goto("/").await;
        if b.c.find(Locator::Css("#dashboard-notices")).await.is_ok() {
            fail!(b, "{login}'s dashboard should no longer list the acknowledged notice");
        }
        b.expect_text("#dashboard-incidents", title).await;
        b.sign_out().await;
    }

    // 3. CSIRT triages it: an incident, level 3, personal information of 1,200 residents.
    first_sign_in(b, "csirt", csirt_temp, "Joho-Seisaku-Kakari-2026!").await;
    b.goto(&format!("/incidents/{id}")).await;
    b.find("#is-incident-yes").await.click().await.unwrap_or_else(|e| panic!("cannot choose インシデントである: {e}"));
    b.fill("#triage-reason", "ランサムウェアによる暗号化を確認。住民情報を含む共有フォルダに被害").await;
    b.select_value("#triage-level", "3").await;
    b.find("#fact-residents_affected").await.click().await.unwrap_or_else(|e| panic!("cannot tick 住民・企業に被害: {e}"));
    b.find("#fact-suspected_crime").await.click().await.unwrap_or_else(|e| panic!("cannot tick 犯罪の可能性: {e}"));
    b.fill("#affected_people", "1200").await;
    b.submit("#triage-form").await;
    b.expect_text("#triage-result", "情報セキュリティインシデントである").await;
    let external = b.text("#external-reports").await;
    for needle in ["個人情報保護委員会", "速報", "確報", "総務省", "警察", "報道機関", "個人情報保護法第68条"]
    {
        if !external.contains(needle) {
            fail!(b, "the external reports should include {needle:?}:\n{external}");
        }
    }
    b.fill("#findings-form textarea[name=cause]", "業務外サイトの閲覧による不正プログラムの感染（調査中）").await;
    b.fill("#findings-form textarea[name=impact]", "窓口端末1台、共有フォルダの一部").await;
    b.submit("#findings-form").await;
    b.expect_text("#findings", "不正プログラムの感染").await;
    screenshot(b, "browser-incident-triaged.png").await;

    // 4. The インシデント等発生状況報告書: every field, no navigation, and a clean A4 print.
    b.goto(&format!("/incidents/{id}/occurrence-report")).await;
    b.expect_text("h1", "インシデント等発生状況報告書").await;
    let report = b.text("#occurrence-report").await;
    for needle in [
        &format!("第{id}号"),
        title,
        "レベル3",
        "令和8年12月1日",
        "住民課窓口 2番端末",
        "住民記録システム端末",
        staff_name.as_str(),
        "含まれる",
        "LANケーブルを抜いた",
        "インシデントである",
        "住民・企業に被害・影響が及ぶ",
        "1200 人",
        "不正プログラムの感染",
        "窓口端末1台",
        ciso_name.as_str(),
    ] {
        if !report.contains(needle) {
            fail!(b, "the 発生状況報告書 should show {needle:?}:\n{report}");
        }
    }
    if b.c.find(Locator::Css("header.site")).await.is_ok() {
        fail!(b, "the printable report has no site navigation");
    }
    screenshot(b, "browser-incident-occurrence-report.png").await;
    let pdf = print_pdf(b, webdriver).await;
    assert!(pdf.starts_with(b"%PDF-"), "WebDriver print returns a PDF");
    let pages = count_pdf_pages(&pdf);
    assert!((1..=2).contains(&pages), "the 発生状況報告書 prints on one or two A4 pages, not {pages}");
    let path = workspace_root().join("target/browser-incident-occurrence-report.pdf");
    std::fs::write(&path, &pdf).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    eprintln!("pdf: {} ({} bytes, {pages} page(s))", path.display(), pdf.len());

    // 5. The emergency response plan is the current contact network.
    b.goto("/emergency-plan").await;
    let network = b.text("#contact-network").await;
    for needle in [ciso_name.as_str(), somu_name.as_str(), "CSIRT", "情報セキュリティ管理者"] {
        if !network.contains(needle) {
            fail!(b, "the 緊急連絡網 should list {needle:?}:\n{network}");
        }
    }
    b.expect_text("#level-table", "レベル3").await;
    screenshot(b, "browser-emergency-plan.png").await;
}

/// The current page printed by Chromium (WebDriver "Print Page"), A4 portrait.
async fn print_pdf(b: &Browser, webdriver: &str) -> Vec<u8> {
    use base64::Engine as _;
    let session = b.c.session_id().await.ok().flatten().unwrap_or_else(|| panic!("no WebDriver session id"));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("HTTP client");
    let res = http
        .post(format!("{webdriver}/session/{session}/print"))
        .json(&json!({"orientation": "portrait", "page": {"width": 21.0, "height": 29.7}, "background": true}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("WebDriver print: {e}"));
    let body: Value = res.json().await.unwrap_or_else(|e| panic!("WebDriver print answer: {e}"));
    let data = body["value"].as_str().unwrap_or_else(|| panic!("WebDriver print gave no PDF: {body}"));
    base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_else(|e| panic!("the PDF is not base64: {e}"))
}

/// Page objects in a PDF: `/Type /Page` not followed by `s` (that is `/Pages`).
fn count_pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    let mut n = 0;
    for pattern in ["/Type /Page", "/Type/Page"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(pattern) {
            let end = from + at + pattern.len();
            if !text[end..].starts_with('s') {
                n += 1;
            }
            from = end;
        }
    }
    n
}

impl Browser {
    /// Sets a field's value by script (date inputs take typed text by locale).
    async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; return e.value;";
        match self.c.execute(script, vec![json!(css), json!(value)]).await {
            Ok(v) if v.as_str() == Some(value) => {}
            other => fail!(self, "cannot set {css} to {value:?}: {other:?}"),
        }
    }

    /// Chooses the first option of a select whose label starts with `prefix`.
    async fn select_starting(&self, css: &str, prefix: &str) {
        self.find(css).await;
        let script = "const s = document.querySelector(arguments[0]); for (const o of s.options) { if (o.text.startsWith(arguments[1])) { s.value = o.value; return o.value; } } return null;";
        match self.c.execute(script, vec![json!(css), json!(prefix)]).await {
            Ok(Value::String(_)) => {}
            other => fail!(self, "no option starting with {prefix:?} in {css}: {other:?}"),
        }
    }

    /// The text of the table row (under `css`) whose first cell starts with `first`.
    async fn row_text(&self, css: &str, first: &str) -> String {
        self.find(css).await;
        let script = "for (const r of document.querySelectorAll(arguments[0] + ' tbody tr')) { if (r.cells[0] && r.cells[0].innerText.trim().startsWith(arguments[1])) return r.innerText; } return null;";
        match self.c.execute(script, vec![json!(css), json!(first)]).await {
            Ok(Value::String(s)) => s,
            other => fail!(self, "no row starting with {first:?} in {css}: {other:?}"),
        }
    }
}

/// The yearly cycle on the demo town: the 統括 generates the self-assessment from the
/// profile; 住民課's 管理者 answers items; the 統括 sees the roll-up; the CISO plans an audit,
/// the 統括 approves it and assigns an independent auditor (the 管理者 themself is refused);
/// the auditor records a finding; the 統括 turns it into an improvement plan, which shows as
/// overdue the day after its date; the annual report shows the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yearly_cycle_in_headless_chromium() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let demo = crate::support::run(&["demo", "--data-dir", data.to_str().expect("UTF-8 path"), "--no-serve"]);
    demo.assert_success();
    let creds = demo_credentials(&demo);
    let server = start_server(&data, tmp.path());
    let (webdriver, _driver) = start_chromedriver(tmp.path()).await;
    let profile_dir = tmp.path().join("chromium-profile");
    std::fs::create_dir_all(&profile_dir).expect("chromium profile dir");
    let client = connect_browser(&webdriver, &profile_dir).await;
    let b = Browser { c: client.clone(), base: server.base.clone() };
    run_scenario(client, Duration::from_secs(240), async move { yearly_scenario(&b, &creds).await }).await;
    drop(server);
}

async fn yearly_scenario(b: &Browser, creds: &std::collections::HashMap<String, (String, String)>) {
    let (somu_temp, _) = &creds["somu"];
    let (kacho_temp, kacho_name) = &creds["jumin-kacho"];
    let (ciso_temp, _) = &creds["ciso"];
    let (csirt_temp, csirt_name) = &creds["csirt"];
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("JST")).date_naive();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let year_end = {
        let y = if chrono::Datelike::month(&today) >= 4 { chrono::Datelike::year(&today) + 1 } else { chrono::Datelike::year(&today) };
        format!("{y}-03-31")
    };

    // 1. The 統括 generates this year's self-assessment from the active profile.
    let Some(somu_secret) = first_sign_in(b, "somu", somu_temp, "Tokatsu-Sekinin-2026!").await else {
        fail!(b, "the 統括 sets up a second factor")
    };
    let mut somu_step = totp_step();
    b.goto("/").await;
    b.expect_text("#yearly-card", "研修").await;
    b.goto("/assessment").await;
    b.expect_text("main", "の点検項目").await;
    b.set_value("#campaign-form input[name=due_on]", &day(45)).await;
    b.submit("#campaign-form").await;
    b.find("#assessment-by-department").await;
    b.sign_out().await;

    // 2. 住民課's 管理者 answers two of the department's items.
    first_sign_in(b, "jumin-kacho", kacho_temp, "Madoguchi-Kanrisha-2026!").await;
    b.goto("/").await;
    b.expect_text("#yearly-card", "自己点検で未回答の項目").await;
    b.goto("/assessment").await;
    b.expect_text("h2", "住民課").await;
    b.select_value("#assessment-items tbody tr:nth-child(1) select[name=answer]", "done").await;
    b.fill("#assessment-items tbody tr:nth-child(1) input[name=comment]", "課内会議で周知済み").await;
    b.submit("#assessment-items tbody tr:nth-child(1) form").await;
    b.select_value("#assessment-items tbody tr:nth-child(2) select[name=answer]", "not_done").await;
    b.fill("#assessment-items tbody tr:nth-child(2) input[name=measure]", "来月の課内研修で実施する").await;
    b.submit("#assessment-items tbody tr:nth-child(2) form").await;
    let first = b.text("#assessment-items tbody tr:nth-child(1)").await;
    let second = b.text("#assessment-items tbody tr:nth-child(2)").await;
    if !first.contains(kacho_name.as_str()) || !second.contains("未実施") {
        fail!(b, "the answers are shown with who answered:\n{first}\n{second}");
    }
    screenshot(b, "browser-assessment-answered.png").await;
    b.sign_out().await;

    // 3. The 統括 sees the roll-up: 住民課 has one 実施 and one 未実施.
    sign_in_with_totp(b, "somu", "Tokatsu-Sekinin-2026!", &somu_secret, &mut somu_step).await;
    b.goto("/assessment").await;
    let row = b.row_text("#assessment-by-department", "住民課").await;
    let cells: Vec<&str> = row.split('\t').map(str::trim).collect();
    if cells.len() < 8 || cells[2] != "1" || cells[3] != "0" || cells[4] != "1" {
        fail!(b, "住民課's roll-up should read 実施 1, 一部実施 0, 未実施 1: {cells:?}");
    }
    screenshot(b, "browser-assessment-rollup.png").await;
    b.sign_out().await;

    // 4. The CISO plans an audit; the 統括 approves it and assigns auditors.
    first_sign_in(b, "ciso", ciso_temp, "Fukuchoshitsu-2026!").await;
    b.goto("/audits").await;
    b.fill("#audit-form input[name=title]", "令和8年度 情報セキュリティ監査").await;
    b.fill("#audit-form input[name=scope]", "対策基準5,対策基準6").await;
    b.set_value("#audit-form input[name=starts_on]", &day(0)).await;
    b.set_value("#audit-form input[name=ends_on]", &year_end).await;
    b.submit("#audit-form").await;
    let path = b.path().await;
    let Some(audit) = path.strip_prefix("/audits/").and_then(|s| s.parse::<i64>().ok()) else {
        fail!(b, "planning should open /audits/ID, not {path}")
    };
    b.expect_text("#audit-status", "承認待ち").await;
    b.sign_out().await;
    sign_in_with_totp(b, "somu", "Tokatsu-Sekinin-2026!", &somu_secret, &mut somu_step).await;
    b.goto(&format!("/audits/{audit}")).await;
    b.submit("#approve-form").await;
    b.expect_text("#audit-status", "承認済み").await;
    // The 住民課長 cannot audit 住民課 without a recorded reason.
    b.select_starting("#assign-form select[name=auditor_person_id]", kacho_name).await;
    b.select_starting("#assign-form select[name=department_id]", "住民課").await;
    b.submit("#assign-form").await;
    b.expect_text("#error", "独立").await;
    b.select_starting("#assign-form select[name=auditor_person_id]", csirt_name).await;
    b.select_starting("#assign-form select[name=department_id]", "住民課").await;
    b.submit("#assign-form").await;
    let assigned = b.expect_text("#assignments", csirt_name).await;
    if assigned.contains(kacho_name.as_str()) {
        fail!(b, "the refused assignment must not be recorded:\n{assigned}");
    }
    b.sign_out().await;

    // 5. The auditor records a finding in 住民課.
    first_sign_in(b, "csirt", csirt_temp, "Joho-Seisaku-Kakari-2026!").await;
    b.goto(&format!("/audits/{audit}")).await;
    b.select_value("#finding-form select[name=clause]", "対策基準5.2(2)②").await;
    b.fill("#finding-form textarea[name=description]", "窓口の臨時職員に研修未受講者がいる").await;
    b.select_value("#finding-form select[name=severity]", "major").await;
    b.submit("#finding-form").await;
    b.expect_text("#findings", "研修未受講者").await;
    b.sign_out().await;

    // 6. The 統括 instructs an improvement plan; it is overdue the day after its date.
    sign_in_with_totp(b, "somu", "Tokatsu-Sekinin-2026!", &somu_secret, &mut somu_step).await;
    b.goto(&format!("/audits/{audit}")).await;
    b.fill("#findings form[action='/improvements'] input[name=description]", "未受講者への受講勧奨と受講確認").await;
    b.set_value("#findings form[action='/improvements'] input[name=due_on]", &day(7)).await;
    b.submit("#findings form[action='/improvements']").await;
    b.expect_text("#plan-status", "対応中").await;
    b.expect_text("#plan-facts", kacho_name).await;
    b.goto("/improvements").await;
    b.expect_text("#plans .plan-status", "対応中").await;
    b.goto(&format!("/improvements?as_of={}", day(8))).await;
    b.expect_text("#plans .plan-status", "期限超過").await;
    b.expect_text("#overdue-count", "期限を過ぎた改善計画が 1 件").await;
    screenshot(b, "browser-improvement-overdue.png").await;

    // 7. The annual report carries the year's figures.
    b.goto("/reports/annual").await;
    let summary = b.text("#annual-summary").await;
    let lines: Vec<String> = summary.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    for needle in ["自己点検: 実施 1", "自己点検: 未実施 1", "監査の指摘事項 1", "改善計画 1"] {
        if !lines.iter().any(|l| l == needle) {
            fail!(b, "the annual report should read {needle:?}:\n{summary}");
        }
    }
    screenshot(b, "browser-annual-report.png").await;
}
