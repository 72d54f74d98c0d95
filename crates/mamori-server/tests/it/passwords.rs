//! The password rule as the form applies it: blank, invisible-only, repeated and common
//! passwords are refused with the reason in Japanese; a strong passphrase is accepted.

use mamori_server::Settings;

use crate::helpers::{TestApp, PASSWORD};

async fn weak_passwords_are_refused_with_a_reason(app: TestApp) {
    let d = app.department("200", "住民課").await;
    app.user("sato", d, None).await;
    let c = app.client();
    c.login("sato", PASSWORD).await;
    let form = c.get("/account/password").await;
    assert!(form.body.contains("推測されにくいもの"), "the form states the rule:\n{}", form.body);
    let zero_width = "\u{200B}".repeat(12);
    for (password, reason) in [
        ("            ", "空白や見えない文字だけのパスワードは使えません"),
        (zero_width.as_str(), "空白や見えない文字だけのパスワードは使えません"),
        ("aaaaaaaaaaaa", "推測されやすいため使えません"),
        ("password1234", "推測されやすいため使えません"),
        ("sato-violet-kettle-bridges", "ログインIDを含めないでください"),
        ("short words", "12文字以上"),
    ] {
        let p =
            c.submit("/account/password", "/account/password", &[("current", PASSWORD), ("new", password), ("confirm", password)]).await;
        assert_eq!(p.status, 400, "{password:?}");
        assert!(p.body.contains(reason), "{password:?} should be refused with {reason:?}:\n{}", p.body);
    }
    let user = app.store().user_by_login("sato").await.unwrap().unwrap();
    assert!(mamori_server::auth::verify_password(PASSWORD, &user.password_hash), "nothing was changed");
    let strong = "提灯と自転車と冬の湖と古い灯台";
    let p = c.submit("/account/password", "/account/password", &[("current", PASSWORD), ("new", strong), ("confirm", strong)]).await;
    assert_eq!(p.url, "/", "{}", p.body);
    assert!(app.client().login("sato", strong).await.url == "/", "the new passphrase signs in");
    app.finish().await;
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_reason_on_sqlite() {
    weak_passwords_are_refused_with_a_reason(TestApp::sqlite(Settings::default()).await).await;
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_reason_on_postgres() {
    weak_passwords_are_refused_with_a_reason(TestApp::postgres(Settings::default()).await).await;
}
