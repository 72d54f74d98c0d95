//! The policy compiler in the UI: upload the organization's own policy document; see the
//! draft profile beside the text, each item linked to its lines and every unused line
//! flagged; edit the draft, accept it, and activate it as a new profile version.
//!
//! Activation is guarded: the page shows what the new version changes against the active
//! one (rule families and the decision matrix); a change that removes a whole rule family
//! or changes decisions needs an explicit confirmation naming the loss; and whoever uploaded
//! or edited the draft cannot activate it — a second holder of the profile's
//! `profile.activate` must (兼務の禁止). Both are in the change record.

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_compiler::{Compilation, LineUse};
use mamori_store::drafts::ProfileDraft;
use maud::{html, Markup};
use serde::Deserialize;

use mamori_engine::review::{review, Review};
use mamori_policy::workflow::{self as wf, DraftStatus, Step};

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::wareki_time;
use crate::views::layout::{csrf_field, page};
use crate::views::review::{confirmation_fields, review_view};
use crate::AppState;

/// The largest document accepted (a policy is some hundred kilobytes of text).
const MAX_DOCUMENT: usize = 2 * 1024 * 1024;

fn list_page(access: &Access, drafts: &[ProfileDraft], error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        p { "団体の情報セキュリティポリシー（基本方針・対策基準のテキストまたは Markdown。PDF からのコピーで構いません）を取り込むと、条項ツリー・役割と充て職・領域・実施機関・義務の文・インシデントのレベル表を読み取り、プロファイルの下書きを作ります。原文と並べて確認・編集し、承認してから有効にします。" }
        form.stack method="post" enctype="multipart/form-data" action={"/policy/drafts?csrf=" (access.session.csrf_token)} id="upload-form" {
            label { "ポリシー文書（UTF-8 のテキスト・Markdown、2MBまで）" input type="file" name="file" accept=".txt,.md,text/plain,text/markdown" required; }
            button type="submit" { "取り込んで下書きを作る" }
        }
        h2 { "下書き" }
        @if drafts.is_empty() { p id="drafts" { "ありません。" } } @else {
            table id="drafts" {
                thead { tr { th { "番号" } th { "文書" } th { "状態" } th { "作成" } th { "更新" } } }
                tbody { @for d in drafts { tr {
                    td { (d.id) } td { a href={"/policy/drafts/" (d.id)} { (d.source_name) } } td { (d.status.label_ja()) }
                    td { (wareki_time(&d.created_at)) } td { (wareki_time(&d.updated_at)) }
                } } }
            }
        }
    }
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    access.require(Step::ProfileDraft)?;
    let drafts = state.store.profile_drafts(access.org_id()).await?;
    Ok(page("ポリシー文書からプロファイルを作る", Some(&access), list_page(&access, &drafts, None)).into_response())
}

/// Reads the uploaded document as text: UTF-8 with or without a BOM.
fn document_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Err("ファイルが空です".into());
    }
    if bytes.len() > MAX_DOCUMENT {
        return Err(format!("ファイルが大きすぎます（{}バイト、2MBまで）", bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "UTF-8 のテキストとして読めません（{}バイト目）。Shift_JIS などの場合は UTF-8 で保存し直してから取り込んでください",
            e.valid_up_to() + 1
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        return Err("テキストではないファイルのようです（NUL 文字を含む）。.txt か .md を選んでください".into());
    }
    Ok(text.to_owned())
}

pub async fn upload(State(state): State<AppState>, access: Access, mut multipart: Multipart) -> Result<Response, AppError> {
    access.require(Step::ProfileDraft)?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) =
        multipart.next_field().await.map_err(|e| AppError::BadRequest(format!("アップロードを読めません（{}）", e.body_text())))?
    {
        if field.name() == Some("file") {
            let name = field
                .file_name()
                .unwrap_or("policy.txt")
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("policy.txt")
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect::<String>();
            let bytes = field.bytes().await.map_err(|e| AppError::BadRequest(format!("アップロードを読めません（{}）", e.body_text())))?;
            file = Some((if name.trim().is_empty() { "policy.txt".into() } else { name }, bytes.to_vec()));
        }
    }
    let refuse = |state: AppState, access: Access, message: String| async move {
        let drafts = state.store.profile_drafts(access.org_id()).await?;
        Ok::<Response, AppError>(
            (
                StatusCode::BAD_REQUEST,
                page("ポリシー文書からプロファイルを作る", Some(&access), list_page(&access, &drafts, Some(&message))),
            )
                .into_response(),
        )
    };
    let Some((name, bytes)) = file else {
        return refuse(state, access, "取り込むファイルを選んでください".into()).await;
    };
    let text = match document_text(&bytes) {
        Ok(t) => t,
        Err(m) => return refuse(state, access, format!("{name}: {m}")).await,
    };
    let compiled = mamori_compiler::compile(&name, &text);
    let draft = state.store.create_profile_draft(access.org_id(), &name, &text, &compiled.draft_toml(), &access.actor()).await?;
    Ok(Redirect::to(&format!("/policy/drafts/{}", draft.id)).into_response())
}

/// The document with each line marked by what it went into.
fn source_view(c: &Compilation, text: &str) -> Markup {
    let uses = c.line_uses();
    html! {
        div.source id="source" {
            @for (i, line) in text.lines().enumerate() {
                @let n = i + 1;
                @let u = uses.get(i).map(Vec::as_slice).unwrap_or(&[]);
                @let (class, note) = match u.first() {
                    None | Some(LineUse::Blank) => ("blank", String::new()),
                    Some(LineUse::Clause(id)) => ("used", id.clone()),
                    Some(LineUse::DocumentTitle(p)) => ("used", format!("文書「{p}」")),
                    Some(LineUse::Metadata) => ("used", "文書情報".to_owned()),
                    Some(LineUse::Note) => ("used", "注記".to_owned()),
                    Some(LineUse::Unrecognized(reason)) => ("unused", format!("未使用: {reason}")),
                };
                div class={"line " (class)} id={"L" (n)} {
                    span.ln { (n) }
                    span.text { (line) }
                    @if !note.is_empty() { span.use { (note) } }
                }
            }
        }
    }
}

fn line_link(n: usize) -> Markup {
    html! { a href={"#L" (n)} { (n) "行" } }
}

fn items_view(c: &Compilation) -> Markup {
    let checklist = c.checklist();
    html! {
        div.items id="items" {
            p id="summary" {
                "条項 " (c.catalogue().count()) " 件（義務・禁止 " (checklist.len()) " 件）、役割 " (c.roles.len()) " 件、領域 " (c.zones.len())
                " 件、実施機関 " (c.bodies.len()) " 件、定義 " (c.definitions.len()) " 件、インシデントのレベル " (c.incident_levels.len())
                " 件、使われなかった行 " (c.unrecognized.len()) " 行、警告 " (c.warnings.len()) " 件"
            }
            h3 { "役割と充て職" }
            table id="draft-roles" { tbody { @for r in &c.roles { tr { td { (r.name) } td { (r.posts.join("、")) } td.clause { (r.clause) } td { (line_link(r.line)) } } } } }
            h3 { "領域" }
            table id="draft-zones" { tbody { @for z in &c.zones { tr { td { (z.name) } td.clause { (z.clause) } td { (line_link(z.line)) } } } } }
            h3 { "実施機関" }
            table id="draft-bodies" { tbody { @for b in &c.bodies { tr { td { (b.name) } td.clause { (b.clause) } td { (line_link(b.line)) } } } } }
            @if !c.incident_levels.is_empty() {
                h3 { "インシデントのレベル" }
                table id="draft-levels" { tbody { @for l in &c.incident_levels { tr { td { (l.name) } td { (l.criteria) } td { (l.report_to.join("、")) } td { (line_link(l.line)) } } } } }
            }
            h3 { "使われなかった行" }
            @if c.unrecognized.is_empty() { p { "ありません。すべての行がいずれかの項目に入りました。" } } @else {
                ul id="draft-unused" { @for u in &c.unrecognized { li { (line_link(u.line)) " " (u.reason) "：" (u.text) } } }
            }
            @if !c.warnings.is_empty() {
                h3 { "警告" }
                ul id="draft-warnings" { @for w in &c.warnings { li { (line_link(w.line)) " " (w.message) } } }
            }
            (gaps_view(c))
            h3 { "義務・禁止の条項（自己点検の項目になります）" }
            table id="draft-duties" {
                thead { tr { th { "条項" } th { "種類" } th { "担当" } th { "行" } } }
                tbody { @for k in c.catalogue().filter(|k| matches!(k.force, mamori_policy::Force::Mandatory | mamori_policy::Force::Prohibited)) { tr {
                    td.clause { (k.id) } td { (k.force.label_ja()) } td { (k.role.as_deref().unwrap_or("")) } td { (line_link(k.line)) }
                } } }
            }
        }
    }
}

/// What the text lacks against the standard model and where it says otherwise; the rules
/// the draft takes from the model cite the text's clause where one corresponds.
fn gaps_view(c: &Compilation) -> Markup {
    use mamori_compiler::gaps::Gap;
    let gaps = c.gaps();
    let missing: Vec<&Gap> = gaps.iter().filter(|g| matches!(g, Gap::Missing { .. })).collect();
    let differing: Vec<&Gap> = gaps.iter().filter(|g| !matches!(g, Gap::Missing { .. })).collect();
    html! {
        h3 { "標準対策基準との差（ギャップ）" }
        p id="gap-summary" {
            "標準対策基準の義務・禁止のうち本文に対応する条項がないもの " (missing.len()) " 件、本文の定めが標準と異なるもの " (differing.len())
            " 件。下書きの規則は、対応する本文の条項があればそれを根拠に、なければ標準対策基準を根拠（provenance = \"standard\"）にしています。"
        }
        @if !differing.is_empty() {
            ul id="draft-differences" { @for g in &differing { li {
                @match g {
                    Gap::Force { model, clause, model_force, body_force } => {
                        span.clause { (clause) } "：" (body_force.label_ja()) "（標準 " span.clause { (model) } "：" (model_force.label_ja()) "）"
                    }
                    Gap::Quantity { model, clause, model_values, body_values } => {
                        span.clause { (clause) } "：" (body_values.join("・")) "（標準 " span.clause { (model) } "：" (model_values.join("・")) "）"
                    }
                    Gap::Missing { .. } => {}
                }
            } } }
        }
        @if !missing.is_empty() {
            details id="draft-gaps" {
                summary { "本文に定めのない標準の義務・禁止（" (missing.len()) " 件）" }
                ul { @for g in &missing { @if let Gap::Missing { model, text, .. } = g { li { span.clause { (model) } " " (text) } } } }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: String,
}

async fn show_page(
    state: &AppState,
    access: &Access,
    id: i64,
    notice: Option<&str>,
    error: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
    if !access.may(Step::ProfileActivate) {
        access.require(Step::ProfileDraft)?;
    }
    let d = state.store.profile_draft(access.org_id(), id).await?;
    let c = mamori_compiler::compile(&d.source_name, &d.source_text);
    let parsed = mamori_policy::parse_profile("draft.toml", &d.draft_text);
    let problems: Vec<String> = match &parsed {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    };
    // Before activation: what it changes, and who may activate it.
    let pending = match (&parsed, d.status) {
        (Ok(p), DraftStatus::Accepted) => Some(activation_review(state, access, &d, p).await?),
        _ => None,
    };
    let body = html! {
        @if let Some(n) = notice { p.notice role="status" id="notice" { (n) } }
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        dl.facts {
            dt { "文書" } dd { (d.source_name) "（" (d.source_text.lines().count()) " 行）" }
            dt { "状態" } dd id="draft-status" { (d.status.label_ja()) @if let Some(v) = d.activated_version_id { "（プロファイルの版 id " (v) "）" } }
        }
        div.side-by-side {
            section { h2 { "原文" } (source_view(&c, &d.source_text)) }
            section { h2 { "読み取った内容" } (items_view(&c)) }
        }
        h2 { "プロファイルの下書き（TOML）" }
        @if problems.is_empty() {
            p.notice id="validation" { "検証に通りました。" }
        } @else {
            div.error role="alert" id="validation" { p { "このままでは有効にできません:" } ul { @for p in &problems { li { code { (p) } } } } }
        }
        @if d.status != DraftStatus::Activated {
            form.stack method="post" action={"/policy/drafts/" (d.id)} id="edit-form" {
                (csrf_field(&access.session.csrf_token))
                label for="draft_text" { "内容（編集して保存すると、承認はやり直しになります）" }
                textarea #draft_text name="text" rows="24" { (d.draft_text) }
                p { button type="submit" id="save-draft" { "保存して検証する" } }
            }
            @if problems.is_empty() && d.status == DraftStatus::Draft {
                form method="post" action={"/policy/drafts/" (d.id) "/accept"} {
                    (csrf_field(&access.session.csrf_token))
                    button type="submit" id="accept" { "内容を確認し、承認する" }
                }
            }
            @if let Some((r, may)) = &pending {
                (review_view(r))
                @match may {
                    Ok(()) => {
                        form method="post" action={"/policy/drafts/" (d.id) "/activate"} id="activate-form" {
                            (csrf_field(&access.session.csrf_token))
                            p.warn { "有効にすると、この団体の判断・報告先・台帳の分類はこの版に従います。過去の版はすべて保存され、いつでも戻せます。" }
                            (confirmation_fields(r))
                            button type="submit" id="activate" { "新しい版として有効にする" }
                        }
                    }
                    Err(e) => { p.warn id="activation-refused" { (e.message_ja()) } }
                }
            }
        } @else {
            pre.secret { (d.draft_text) }
        }
        p { a href="/policy/drafts" { "下書きの一覧へ" } " ・ " a href="/policy/versions" { "プロファイルの版" } }
    };
    Ok((code, page(&format!("プロファイルの下書き 第{id}号"), Some(access), body)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let notice = match q.saved.as_str() {
        "edited" => Some("保存しました。"),
        "accepted" => Some("承認しました。有効にできます。"),
        _ => None,
    };
    show_page(&state, &access, id, notice, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    text: String,
}

pub async fn edit(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<EditForm>,
) -> Result<Response, AppError> {
    access.require(Step::ProfileDraft)?;
    if f.text.len() > MAX_DOCUMENT {
        return show_page(&state, &access, id, None, Some("下書きが大きすぎます（2MBまで）"), StatusCode::BAD_REQUEST).await;
    }
    match state.store.edit_profile_draft(access.org_id(), id, &f.text, &access.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("/policy/drafts/{id}?saved=edited")).into_response()),
        Err(mamori_store::StoreError::WrongState(m)) => show_page(&state, &access, id, None, Some(&m), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn accept(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    access.require(Step::ProfileDraft)?;
    let d = state.store.profile_draft(access.org_id(), id).await?;
    if mamori_policy::parse_profile("draft.toml", &d.draft_text).is_err() {
        return show_page(
            &state,
            &access,
            id,
            None,
            Some("検証に通らない下書きは承認できません。誤りを直して保存してください"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match state.store.accept_profile_draft(access.org_id(), id, &access.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("/policy/drafts/{id}?saved=accepted")).into_response()),
        Err(mamori_store::StoreError::WrongState(m)) => show_page(&state, &access, id, None, Some(&m), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

/// The review of a draft against the active version, and whether this person may activate
/// it (the refusal, with its clause, when not).
async fn activation_review(
    state: &AppState,
    access: &Access,
    d: &ProfileDraft,
    p: &mamori_policy::Profile,
) -> Result<(Review, Result<(), AppError>), AppError> {
    let r = review(Some(&access.profile), p).map_err(AppError::internal)?;
    let authors = state.store.profile_draft_authors(access.org_id(), d.id).await?;
    let status = d.status;
    let may = wf::activate_draft(&access.workflow, &access.subject(), &access.tree, d.id, status, &authors).map_err(AppError::from);
    Ok((r, may))
}

#[derive(Deserialize, Default)]
pub struct ActivateForm {
    /// The confirmation token of the review the person saw, when it named losses.
    #[serde(default)]
    confirm: String,
}

/// Refused unless a review that loses something carries the person's confirmation of
/// exactly that review.
pub(crate) fn check_confirmation(r: &Review, given: &str) -> Result<(), AppError> {
    if r.needs_confirmation() && given != r.confirmation_token() {
        return Err(AppError::BadRequest(format!(
            "この変更で失われるもの（{}）を確認するチェックを付けてください。画面を開いた後に内容が変わった場合は、もう一度確認してください",
            r.losses.join("、")
        )));
    }
    Ok(())
}

pub async fn activate(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ActivateForm>,
) -> Result<Response, AppError> {
    access.require(Step::ProfileActivate)?;
    let d = state.store.profile_draft(access.org_id(), id).await?;
    let profile = match mamori_policy::parse_profile("draft.toml", &d.draft_text) {
        Ok(p) => p,
        Err(_) => {
            return show_page(&state, &access, id, None, Some("検証に通らない下書きは有効にできません"), StatusCode::BAD_REQUEST).await
        }
    };
    let (r, may) = activation_review(&state, &access, &d, &profile).await?;
    let outcome = async {
        may?;
        check_confirmation(&r, f.confirm.trim())?;
        let record = mamori_store::org::ActivationReview {
            authors: state.store.profile_draft_authors(access.org_id(), id).await?,
            confirmed_losses: r.losses.clone(),
            changed_decisions: r.matrix.changes.len(),
        };
        state.store.activate_profile_draft(access.org_id(), id, &profile, &record, &access.actor()).await?;
        Ok::<(), AppError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(Redirect::to("/policy/versions?activated=1").into_response()),
        Err(e) if e.is_shown_on_form() => show_page(&state, &access, id, None, Some(&e.message_ja()), e.status()).await,
        Err(e) => Err(e),
    }
}
