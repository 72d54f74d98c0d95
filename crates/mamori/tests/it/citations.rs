//! Every clause mamori shows comes from the organization's own profile. For each bundled
//! profile: build its demo town (`mamori demo --profile ID`), sign in as a holder of every one
//! of its roles (and as the administrator and a staff member), visit every page and API answer
//! that person can reach by following links, and check each citation shown — every
//! `data-clause` attribute, every `"clause"` of a JSON answer, and every clause-like text
//! (`対策基準5.3(3)①`, `基本方針4`, `標準対策基準…`) — against that profile's clause catalogue
//! (its own clauses, and the standard model's for standard measures).

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::path::Path;

use mamori_policy::Profile;
use mamori_store::{Actor, OpenOptions, Store};
use serde_json::Value;

use crate::support::{run, start_server};

const PASSWORD: &str = "Citation-Crawl-2026!";
const SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";
/// Pages visited per signed-in person, at most.
const PAGES_PER_PERSON: usize = 90;
/// Pages of one shape (`/assets/N`) visited per person.
const PER_SHAPE: usize = 2;

/// Everything in the profile that a citation may name.
fn catalogue(p: &Profile) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = p.clauses.iter().map(|c| c.id.get_ref().to_string()).collect();
    out.extend(mamori_policy::standard::clauses().iter().map(|c| c.id.clone()));
    out
}

/// Clause-like texts: a document prefix this profile uses (or the standard model's, or any
/// other document name a policy has), then a number. A match is accepted when it is a clause
/// of the catalogue or the start of one (a sentence may cite `対策基準5.1` for the section).
fn clause_like(text: &str, prefixes: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in prefixes {
        let mut from = 0;
        while let Some(at) = text[from..].find(prefix.as_str()) {
            let start = from + at;
            from = start + prefix.len();
            // `対策基準` inside `標準対策基準` is the standard prefix's, matched on its own.
            if prefix != "標準対策基準" && text[..start].ends_with("標準") {
                continue;
            }
            let rest = &text[start + prefix.len()..];
            let body: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_digit()
                        || matches!(c, '.' | '(' | ')' | '第' | '条' | '項' | '号')
                        || ('①'..='⑳').contains(c)
                        || ('ア'..='ン').contains(c)
                })
                .collect();
            let body = body.trim_end_matches(['.', '(']).to_owned();
            if body.starts_with(|c: char| c.is_ascii_digit() || c == '第') {
                out.push(format!("{prefix}{body}"));
            }
        }
    }
    out.sort();
    out
}

fn accepted(cat: &BTreeSet<String>, cited: &str) -> bool {
    if cat.contains(cited) {
        return true;
    }
    // A shortened form: the cited id is a clause's ancestor or starts one (`対策基準5.1`).
    let trimmed = cited.trim_end_matches(|c: char| !c.is_ascii_digit() && !('①'..='⑳').contains(&c) && c != ')');
    cat.iter().any(|c| c.starts_with(trimmed) && c.len() > trimmed.len())
}

/// Where the links of a page lead, same origin, GET only.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        if href.starts_with('/') && !href.starts_with("//") {
            out.push(href.split('#').next().unwrap_or("").to_owned());
        }
    }
    out
}

/// `/assets/123?x=1` → `/assets/N`: pages of one shape.
fn shape(path: &str) -> String {
    let p = path.split('?').next().unwrap_or("");
    p.split('/').map(|s| if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) { "N" } else { s }).collect::<Vec<_>>().join("/")
}

/// Downloads and state-changing links are not pages to read.
fn skipped(path: &str) -> bool {
    [".xlsx", ".csv", "/attachments/", "/evidence/", "/logout", "/static/", "/ledger/anchor", "/healthz"].iter().any(|s| path.contains(s))
}

fn json_clauses(v: &Value, out: &mut Vec<String>, texts: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "clause" || k == "clauses" {
                    match x {
                        Value::String(s) => out.push(s.clone()),
                        Value::Array(a) => out.extend(a.iter().filter_map(|c| c.as_str().map(str::to_owned))),
                        _ => {}
                    }
                }
                json_clauses(x, out, texts);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| json_clauses(x, out, texts)),
        Value::String(s) => texts.push(s.clone()),
        _ => {}
    }
}

struct Findings {
    pages: usize,
    citations: usize,
    bad: BTreeMap<String, BTreeSet<String>>,
}

async fn sign_in(base: &str, login: &str) -> reqwest::Client {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = http.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let res = http.post(format!("{base}/login")).form(&[("login", login), ("password", PASSWORD), ("csrf", &csrf)]).send().await.unwrap();
    let url = res.url().path().to_owned();
    let body = res.text().await.unwrap();
    if url == "/login/totp" {
        let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
        let totp = totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            30,
            totp_rs::Secret::Encoded(SECRET.into()).to_bytes().unwrap(),
            Some("mamori".into()),
            login.into(),
        )
        .unwrap();
        let res = http
            .post(format!("{base}/login/totp"))
            .form(&[("code", totp.generate_current().unwrap()), ("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.url().path(), "/", "{login} signs in with the second factor");
    } else {
        assert_eq!(url, "/", "{login} signs in: {body}");
    }
    http
}

async fn crawl(base: &str, login: &str, cat: &BTreeSet<String>, prefixes: &[String], f: &mut Findings) {
    let http = sign_in(base, login).await;
    let mut queue: VecDeque<String> = VecDeque::from(vec!["/".to_owned()]);
    // The JSON answers a person reads.
    for api in ["/api/v1/me", "/api/v1/assets", "/api/v1/requests", "/api/v1/incidents", "/api/v1/actions", "/api/v1/openapi.json"] {
        queue.push_back(api.to_owned());
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut visited = 0;
    while let Some(path) = queue.pop_front() {
        if visited >= PAGES_PER_PERSON || !seen.insert(path.clone()) || skipped(&path) {
            continue;
        }
        let n = shapes.entry(shape(&path)).or_insert(0);
        if *n >= PER_SHAPE {
            continue;
        }
        *n += 1;
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = res.status().as_u16();
        let json = res.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|t| t.contains("json"));
        let body = res.text().await.unwrap();
        assert!(status < 500, "{login} {path}: {status}\n{body}");
        visited += 1;
        f.pages += 1;
        let mut cited: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        if json {
            if let Ok(v) = serde_json::from_str::<Value>(&body) {
                json_clauses(&v, &mut cited, &mut texts);
            }
        } else {
            for part in body.split("data-clause=\"").skip(1) {
                cited.push(part.split('"').next().unwrap_or("").to_owned());
            }
            texts.push(body.clone());
            for l in links(&body) {
                if !seen.contains(&l) {
                    queue.push_back(l);
                }
            }
        }
        for t in &texts {
            cited.extend(clause_like(t, prefixes));
        }
        for c in cited {
            f.citations += 1;
            if !accepted(cat, &c) {
                f.bad.entry(c).or_default().insert(format!("{login} {path}"));
            }
        }
    }
}

/// Accounts with a known password (and a known second factor) for a holder of every role,
/// the administrator and a staff member without a role.
async fn accounts(data: &Path, p: &Profile) -> Vec<String> {
    let key = mamori_store::keyfile::load(&data.join("ledger.key"), false).expect("the demo's ledger key").0;
    let url = mamori_store::sqlite_url_in(data);
    let store = Store::open(&url, OpenOptions { create: false, ledger_key: Some(std::sync::Arc::new(key)), ..Default::default() })
        .await
        .expect("opening the demo database");
    let org = store.organizations().await.unwrap().into_iter().next().expect("the demo organization");
    let hash = mamori_server::auth::hash_password(PASSWORD).unwrap();
    let actor = Actor::system("test");
    let users = store.users(org.id).await.unwrap();
    let assignments = store.role_assignments(org.id).await.unwrap();
    let mut logins = Vec::new();
    let person_login = |person: i64| -> Option<String> { users.iter().find(|u| u.person_id == Some(person)).map(|u| u.login.clone()) };
    for role in &p.roles {
        let Some(a) = assignments.iter().find(|a| a.role == role.id.as_str() && !a.is_deputy) else { continue };
        let login = match person_login(a.person_id) {
            Some(l) => l,
            None => {
                let login = format!("crawl-{}", role.id);
                store.create_user(org.id, Some(a.person_id), &login, &login, &hash, false, &actor).await.unwrap();
                login
            }
        };
        logins.push(login);
    }
    let with_role: HashSet<i64> = assignments.iter().map(|a| a.person_id).collect();
    let staff =
        store.people(org.id, None, 1000, 0).await.unwrap().into_iter().find(|x| !with_role.contains(&x.id)).expect("a staff member");
    match person_login(staff.id) {
        Some(l) => logins.push(l),
        None => {
            store.create_user(org.id, Some(staff.id), "crawl-staff", "crawl-staff", &hash, false, &actor).await.unwrap();
            logins.push("crawl-staff".into());
        }
    }
    logins.push("admin".into());
    logins.sort();
    logins.dedup();
    for login in &logins {
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0, totp_enabled = 1, totp_secret = $2, failed_attempts = 0, locked = 0 WHERE login = $3",
        )
        .bind(&hash)
        .bind(SECRET)
        .bind(login)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.close().await;
    logins
}

async fn citations_of(profile_id: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let demo = run(&["demo", "--profile", profile_id, "--no-serve", "--data-dir", data.to_str().unwrap()]);
    demo.assert_success();
    let text = mamori_policy::bundled::bundled(profile_id).unwrap();
    let p = mamori_policy::parse_profile(profile_id, text).unwrap();
    let cat = catalogue(&p);
    let mut prefixes: Vec<String> = p.documents.iter().map(|d| d.prefix.clone()).collect();
    prefixes.extend(["標準対策基準", "対策基準", "基本方針"].map(String::from));
    prefixes.sort();
    prefixes.dedup();
    let logins = accounts(&data, &p).await;
    let server = start_server(&data, tmp.path());
    let mut f = Findings { pages: 0, citations: 0, bad: BTreeMap::new() };
    for login in &logins {
        crawl(&server.base, login, &cat, &prefixes, &mut f).await;
    }
    eprintln!("{profile_id}: {} people, {} pages, {} citations checked", logins.len(), f.pages, f.citations);
    assert!(f.pages > logins.len() * 10, "{profile_id}: the crawl reached too few pages ({})", f.pages);
    assert!(f.citations > 100, "{profile_id}: too few citations to mean anything ({})", f.citations);
    assert!(
        f.bad.is_empty(),
        "{profile_id}: citations that are not clauses of the profile:\n{}",
        f.bad
            .iter()
            .map(|(c, w)| format!("  {c}  ← {}", w.iter().take(3).cloned().collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_citation_is_a_clause_of_the_active_profile() {
    for id in ["shime", "yokote", "nakaniikawa", "nansatsu"] {
        citations_of(id).await;
    }
}

#[test]
fn clause_like_texts_are_found() {
    let prefixes: Vec<String> = ["標準対策基準", "対策基準", "基本方針"].map(String::from).to_vec();
    let found = clause_like("根拠: 対策基準5.3(3)①、標準対策基準7.4(3)。基本方針4に定める。対策基準は", &prefixes);
    assert_eq!(found, ["基本方針4", "対策基準5.3(3)①", "標準対策基準7.4(3)"].map(String::from).to_vec(), "{found:?}");
    let cat: BTreeSet<String> = ["対策基準5.3(3)①", "対策基準5.1(1)③(ア)"].map(String::from).into();
    assert!(accepted(&cat, "対策基準5.3(3)①"));
    assert!(accepted(&cat, "対策基準5.1"), "a section above a clause");
    assert!(!accepted(&cat, "対策基準9.9"));
}
