//! The page shell: header and navigation. A link is shown exactly when the person may
//! use what it leads to (the same question the page itself asks).

use axum::response::Html;
use mamori_policy::workflow::Step;
use maud::{html, Markup, DOCTYPE};

use crate::auth::Access;

pub fn page(title: &str, access: Option<&Access>, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="ja" {
            (head(title))
            body {
                header.site {
                    a.brand href="/" { "mamori 守り" }
                    @if let Some(a) = access {
                        nav {
                            a href="/" { "ダッシュボード" }
                            a href="/assets" { "情報資産台帳" }
                            a href="/systems" { "情報システム台帳" }
                            a href="/requests" { "申請・承認" }
                            a href="/incidents" { "インシデント" }
                            @if a.may(Step::ViolationView) || a.may(Step::ViolationRecord) {
                                a href="/violations" { "違反時の対応" }
                            }
                            a href="/training" { "研修・訓練" }
                            a href="/assessment" { "自己点検" }
                            a href="/audits" { "監査" }
                            a href="/improvements" { "改善計画" }
                            @if a.may(Step::ReportsView) {
                                a href="/reports/annual" { "年次報告" }
                            }
                            a href="/policy" { "ポリシー" }
                            @if a.may(Step::StaffManage) || a.may(Step::RolesAssign) || a.may(Step::ProfileDraft) || a.may(Step::ProfileActivate) {
                                a href="/org" { "組織・職員" }
                            }
                            @if a.may(Step::AuditTrailRead) {
                                a href="/events" { "作業記録" }
                                a href="/ledger" { "台帳" }
                            }
                        }
                        div.me {
                            a href="/account" title="アカウント" { (a.user.display_name) }
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(a.session.csrf_token);
                                button type="submit" { "ログアウト" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    Html(markup.into_string())
}

/// The document head every page shares.
pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " — mamori" }
            link rel="stylesheet" href="/static/style.css";
        }
    }
}

/// A page for a half-signed-in person (second factor, password change): no navigation.
pub fn bare_page(title: &str, body: Markup) -> Html<String> {
    page(title, None, body)
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
