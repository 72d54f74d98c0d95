//! The policy compiler through the pages: upload 志免町's own document, see the draft beside
//! the text, edit it (an invalid edit is kept but cannot be accepted), accept it, and activate
//! it as a new profile version — on both backends. Bad uploads change nothing.

use mamori_server::Settings;

use crate::helpers::TestApp;

fn seed(prefix: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../mamori-compiler/tests/seeds");
    let entry = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the seed policies are in {}: {e}", dir.display()))
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no seed {prefix}_* in {}", dir.display()));
    std::fs::read_to_string(entry.path()).unwrap()
}

async fn drafts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM profile_drafts").fetch_one(app.store().pool()).await.unwrap()
}

async fn upload(c: &crate::helpers::Client, name: &str, bytes: Vec<u8>) -> (u16, String, String) {
    let page = c.get("/policy/drafts").await;
    let csrf = crate::helpers::csrf_in(&page.body);
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("text/plain").unwrap();
    let res = c
        .http
        .post(format!("{}/policy/drafts?csrf={csrf}", c.base))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.url().path().to_owned(), res.text().await.unwrap())
}

async fn compile_review_activate(app: TestApp) {
    let admin = app.admin_client().await;
    // Not UTF-8 (Shift_JIS 「規程」) and empty: refused with a message, nothing stored.
    let (status, _, body) = upload(&admin, "policy-sjis.txt", vec![0x8B, 0x4B, 0x92, 0xF6]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("UTF-8 のテキストとして読めません"), "{body}");
    let (status, _, body) = upload(&admin, "empty.txt", Vec::new()).await;
    assert_eq!(status, 400);
    assert!(body.contains("ファイルが空です"), "{body}");
    assert_eq!(drafts(&app).await, 0);

    // 志免町's document: the draft beside the text.
    let text = seed("004");
    let (status, path, body) = upload(&admin, "shime-policy.txt", text.clone().into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    let id: i64 = path
        .strip_prefix("/policy/drafts/")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("the upload opens the draft, not {path}"));
    let lines = text.lines().count();
    assert!(body.contains(&format!("id=\"L{lines}\"")), "every line of the document is shown with its anchor");
    for needle in ["最高情報セキュリティ責任者", "副町長", "統括情報セキュリティ責任者", "総務課長", "検証に通りました", "href=\"#L"]
    {
        assert!(body.contains(needle), "the draft page should show {needle:?}");
    }
    assert!(body.contains("id=\"gap-summary\""), "the gap report against the standard model is on the page");
    assert!(body.contains("id=\"accept\""), "a valid draft can be accepted");
    assert!(!body.contains("id=\"activate\""), "not activated before it is accepted");

    // Activating before accepting is refused.
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/activate"), &[]).await;
    assert_eq!(p.status, 409, "{}", p.body);
    let versions_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profile_versions").fetch_one(app.store().pool()).await.unwrap();
    let original = app.store().active_profile(app.org_id).await.unwrap().unwrap().content;

    // An invalid edit is kept (nothing is lost) but cannot be accepted.
    let draft: String =
        sqlx::query_scalar("SELECT draft_text FROM profile_drafts WHERE id = $1").bind(id).fetch_one(app.store().pool()).await.unwrap();
    let broken = draft.replacen("[profile]", "[profile", 1);
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}"), &[("text", &broken)]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("このままでは有効にできません") && !p.body.contains("id=\"accept\""), "{}", p.body);
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/accept"), &[]).await;
    assert_eq!(p.status, 400, "{}", p.body);

    // A good edit, accepted, activated: the new version is the active one, with the edit.
    let edited = draft.replacen("edition = \"", "edition = \"mamori取込 ", 1);
    assert_ne!(edited, draft, "the draft has an edition line to edit");
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}"), &[("text", &edited)]).await;
    assert!(p.body.contains("検証に通りました"), "{}", p.body);
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/accept"), &[]).await;
    assert!(p.body.contains("承認しました"), "{}", p.body);
    assert!(
        p.body.contains("id=\"activation-refused\"") && !p.body.contains("id=\"activate\""),
        "the author is not offered activation: {}",
        p.body
    );
    // Separation of duties: whoever uploaded or edited the draft cannot activate it alone.
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/activate"), &[]).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("別の権限者が確認して有効にしてください"), "{}", p.body);
    assert_eq!(app.store().active_profile(app.org_id).await.unwrap().unwrap().content, original, "nothing changed");
    // A second holder of `profile.activate` (志免町: the 統括) sees what the draft changes
    // against the active version, and confirms what it loses.
    let d = app.department("110", "情報政策係").await;
    let director = app.totp_client("tokatsu", d, "security_director").await;
    let page = director.get(&format!("/policy/drafts/{id}")).await;
    assert!(page.body.contains("id=\"review\"") && page.body.contains("id=\"family-diff\""), "{}", page.body);
    let needs_confirmation = page.body.contains("id=\"confirm\"");
    let confirm = page.body.split("name=\"confirm\" value=\"").nth(1).map(|r| r.split('"').next().unwrap().to_owned());
    assert_eq!(needs_confirmation, confirm.is_some());
    if let Some(token) = &confirm {
        // Without the confirmation the activation is refused and nothing changes.
        let p = director.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/activate"), &[]).await;
        assert_eq!(p.status, 400, "{}", p.body);
        assert!(p.body.contains("確認するチェックを付けてください"), "{}", p.body);
        // A confirmation of another review does not pass.
        let p = director.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/activate"), &[("confirm", "0000")]).await;
        assert_eq!(p.status, 400, "{}", p.body);
        assert_eq!(app.store().active_profile(app.org_id).await.unwrap().unwrap().content, original);
        let p = director
            .submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/activate"), &[("confirm", token.as_str())])
            .await;
        assert_eq!((p.status, p.url.as_str()), (200, "/policy/versions"), "{}", p.body);
    } else {
        let p = director.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}/activate"), &[]).await;
        assert_eq!((p.status, p.url.as_str()), (200, "/policy/versions"), "{}", p.body);
    }
    let p = director.get("/policy/versions?activated=1").await;
    assert!(p.body.contains("新しい版を有効にしました"), "{}", p.body);
    let active = app.store().active_profile(app.org_id).await.unwrap().unwrap();
    assert!(active.edition.starts_with("mamori取込 "), "the active version is the edited draft: {}", active.edition);
    assert_eq!(active.content, edited);
    let versions_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profile_versions").fetch_one(app.store().pool()).await.unwrap();
    assert_eq!(versions_after, versions_before + 1);
    // The draft is now read-only, and the activation names it in the change record.
    let p = admin.submit(&format!("/policy/drafts/{id}"), &format!("/policy/drafts/{id}"), &[("text", &draft)]).await;
    assert_eq!(p.status, 409, "{}", p.body);
    let event = app.store().events(app.org_id, Some(("profile_version", &active.id.to_string())), 5).await.unwrap().remove(0);
    assert!(event.payload.contains(&format!("\"from_draft\":{id}")), "{}", event.payload);
    assert!(event.payload.contains("\"authored_by_user_ids\":["), "both people are recorded: {}", event.payload);
    assert_eq!(event.actor, "tokatsu");

    // Going back: the first version's content becomes a new version, after its diff.
    let first: i64 =
        sqlx::query_scalar("SELECT id FROM profile_versions WHERE version_no = 1").fetch_one(app.store().pool()).await.unwrap();
    let page = director.get(&format!("/policy/versions/{first}/restore")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"review\""), "the diff is shown first: {}", page.body);
    let token = page.body.split("name=\"confirm\" value=\"").nth(1).map(|r| r.split('"').next().unwrap().to_owned());
    let form: Vec<(&str, &str)> = token.as_deref().map(|t| vec![("confirm", t)]).unwrap_or_default();
    let p = director.submit(&format!("/policy/versions/{first}/restore"), &format!("/policy/versions/{first}/restore"), &form).await;
    assert_eq!((p.status, p.url.as_str()), (200, "/policy/versions"), "{}", p.body);
    let restored = app.store().active_profile(app.org_id).await.unwrap().unwrap();
    assert_eq!(restored.content, original, "the earlier content is active again");
    assert_eq!(restored.version_no, active.version_no + 1, "as a new version");
    let before = mamori_policy::parse_profile("a", &original).unwrap();
    let after = mamori_policy::parse_profile("b", &restored.content).unwrap();
    assert!(mamori_engine::matrix::compare(&before, &after).unwrap().changes.is_empty());
    app.finish().await;
}

#[tokio::test]
async fn compile_review_activate_sqlite() {
    compile_review_activate(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn compile_review_activate_postgres() {
    compile_review_activate(TestApp::postgres(Settings::default()).await).await;
}
