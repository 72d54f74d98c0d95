//! Organization management for administrators: departments, posts, people, role
//! assignments, user accounts, and the staff-list CSV import and export.

use crate::views::per;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_policy::workflow::Step;
use mamori_store::org::{NewPerson, StaffRow};
use maud::html;
use serde::Deserialize;

use crate::auth::{self, Access};
use crate::error::AppError;
use crate::views::fmt::{employment_label, wareki_time};
use crate::views::layout::{csrf_field, page};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: String,
}

pub async fn overview(State(state): State<AppState>, access: Access, Query(n): Query<Notice>) -> Result<impl IntoResponse, AppError> {
    if !access.may(Step::RolesAssign) {
        access.require(Step::StaffManage)?;
    }
    let org_id = access.org_id();
    let roles = state.store.role_assignments(org_id).await?;
    let users = state.store.users(org_id).await?;
    let now = chrono::Utc::now();
    let people = state.store.people(org_id, None, 10_000, 0).await?;
    let posts = state.store.posts(org_id).await?;
    let profile = &access.profile;
    let managers = mamori_policy::workflow::roles_doing(profile, mamori_policy::workflow::WorkflowRole::SecurityManager);
    let depth = |mut id: Option<i64>| {
        let mut d = 0;
        while let Some(p) = id.and_then(|i| access.departments.iter().find(|x| x.id == i)).and_then(|x| x.parent_id) {
            d += 1;
            id = Some(p);
            if d > 20 {
                break;
            }
        }
        d
    };
    let csrf = &access.session.csrf_token;
    let holdings: Vec<mamori_policy::duties::Holding> = roles
        .iter()
        .map(|r| mamori_policy::duties::Holding {
            person_id: r.person_id,
            person_name: r.person_name.clone(),
            role: r.role.clone(),
            department_id: r.department_id,
            department_name: r.department_id.and_then(|d| access.departments.iter().find(|x| x.id == d)).map(|d| d.name.clone()),
            is_deputy: r.is_deputy,
        })
        .collect();
    let findings = mamori_policy::duties::analyse(profile, &holdings);
    Ok(page(
        "組織・職員",
        Some(&access),
        html! {
            @if !n.done.is_empty() { p.notice role="status" { (n.done) } }
            p { a href="/org/people" { "職員一覧" } " ・ " a href="/org/import" { "職員名簿の取込（CSV）" } " ・ " a href="/org/export.csv" { "職員名簿の書出し（CSV）" } }
            h2 { "課局等" }
            table #departments {
                thead { tr { th { "コード" } th { "名称" } th { "情報セキュリティ管理者" } } }
                tbody { @for d in access.departments.iter() {
                    tr {
                        td { (d.code) }
                        td { @for _ in 0..depth(Some(d.id)) { "　" } (d.name) }
                        td { (roles.iter().filter(|r| managers.contains(&r.role) && r.department_id == Some(d.id)).map(|r| r.person_name.as_str()).collect::<Vec<_>>().join("、")) }
                    }
                } }
            }
            form.inline method="post" action="/org/departments" {
                (csrf_field(csrf))
                label { "コード" input type="text" name="code" required; }
                label { "名称" input type="text" name="name" required; }
                label { "上位" select name="parent_id" { option value="" { "—" } @for d in access.departments.iter() { option value=(d.id) { (d.name) } } } }
                button type="submit" { "課局等を追加" }
            }
            h2 { "職" }
            p #posts { (posts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("、")) }
            form.inline method="post" action="/org/posts" {
                (csrf_field(csrf))
                label { "職名" input type="text" name="name" required; }
                label { "序列（大きいほど上位）" input type="number" name="rank" value="0"; }
                button type="submit" { "職を追加" }
            }
            h2 { "職務の分離の点検" }
            @if findings.is_empty() {
                p.small #duty-findings { "互いに牽制すべき役割の兼務や、代理のいない承認者は見つかりませんでした。" }
            } @else {
                ul #duty-findings { @for f in &findings { li { (f.text) "（" (f.clause) "）" } } }
            }
            h2 { "役割の割当て" }
            table #roles {
                thead { tr { th { "役割" } th { "職員" } th { "対象の課" } th { "代行" } th {} } }
                tbody { @for r in &roles { tr {
                    td { (profile.role(&r.role).map(|p| p.name.as_str()).unwrap_or(&r.role)) }
                    td { (r.person_name) }
                    td { @if let Some(d) = r.department_id { (access.department_name(d)) } }
                    td { @if r.is_deputy { "代行" } }
                    td { form method="post" action={ "/org/roles/" (r.id) "/remove" } { (csrf_field(csrf)) button type="submit" { "解除" } } }
                } } }
            }
            form.inline method="post" action="/org/roles" {
                (csrf_field(csrf))
                label { "役割" select name="role" { @for r in &profile.roles { option value=(r.id) { (r.name) } } } }
                label { "職員" select name="person_id" { @for p in &people { option value=(p.id) { (p.name) " (" (p.staff_no) ")" } } } }
                label { "対象の課" select name="department_id" { option value="" { "—（全庁）" } @for d in access.departments.iter() { option value=(d.id) { (d.name) } } } }
                label { "代行" input type="checkbox" name="deputy"; }
                button type="submit" { "割り当てる" }
            }
            h2 { "利用者アカウント" }
            table #users {
                thead { tr { th { "ログインID" } th { "氏名" } th { "管理者" } th { "二要素" } th { "状態" } th { "最終ログイン" } th {} } }
                tbody { @for u in &users { tr {
                    td { (u.login) } td { (u.display_name) }
                    td { @if u.is_admin { "○" } }
                    td { @if u.totp_enabled { "設定済" } @else { "未設定" } }
                    td { @if u.locked { strong { "ロック中" } } @else if u.locked_out_at(now) { strong { "一時ロック中" } } @else if u.must_change_password { "仮パスワード" } @else { "有効" } }
                    td { @if let Some(t) = &u.last_login_at { (wareki_time(t)) } }
                    td {
                        @if u.locked || u.locked_out_at(now) || u.failed_attempts > 0 { form method="post" action={ "/org/users/" (u.id) "/unlock" } { (csrf_field(csrf)) button type="submit" { "ロック解除" } } }
                        form method="post" action={ "/org/users/" (u.id) "/reset" } { (csrf_field(csrf)) button type="submit" { "仮パスワード発行" } }
                        form method="post" action={ "/org/users/" (u.id) "/sessions/end" } { (csrf_field(csrf)) button type="submit" { "全端末でログアウト" } }
                    }
                } } }
            }
            form.inline method="post" action="/org/users" {
                (csrf_field(csrf))
                label { "ログインID" input type="text" name="login" required pattern="[A-Za-z0-9._-]{3,64}"; }
                label { "職員" select name="person_id" { @for p in &people { option value=(p.id) { (p.name) " (" (p.staff_no) ")" } } } }
                label { "管理者" input type="checkbox" name="admin"; }
                button type="submit" { "アカウントを作成" }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct DepartmentForm {
    code: String,
    name: String,
    #[serde(default)]
    parent_id: String,
}

pub async fn create_department(State(state): State<AppState>, access: Access, Form(f): Form<DepartmentForm>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    if f.code.trim().is_empty() || f.name.trim().is_empty() {
        return Err(AppError::BadRequest("コードと名称を入力してください".into()));
    }
    let parent = f.parent_id.trim().parse::<i64>().ok();
    state.store.create_department(access.org_id(), f.code.trim(), f.name.trim(), parent, "section", &access.actor()).await?;
    Ok(done("課局等を追加しました。"))
}

#[derive(Deserialize)]
pub struct PostForm {
    name: String,
    #[serde(default)]
    rank: String,
}

pub async fn create_post(State(state): State<AppState>, access: Access, Form(f): Form<PostForm>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    let name = f.name.trim();
    if name.is_empty() {
        return Err(AppError::BadRequest("職名を入力してください".into()));
    }
    let rank = match f.rank.trim() {
        "" => 0,
        r => r.parse::<i64>().map_err(|_| AppError::BadRequest("序列は整数で入力してください".into()))?,
    };
    state.store.create_post(access.org_id(), name, rank, &access.actor()).await?;
    Ok(done("職を追加しました。"))
}

fn done(message: &str) -> Response {
    Redirect::to(&format!("/org?{}", serde_urlencoded::to_string([("done", message)]).unwrap_or_default())).into_response()
}

pub async fn people(State(state): State<AppState>, access: Access) -> Result<impl IntoResponse, AppError> {
    access.require(Step::StaffManage)?;
    let people = state.store.people(access.org_id(), None, 10_000, 0).await?;
    let posts = state.store.posts(access.org_id()).await?;
    let csrf = &access.session.csrf_token;
    Ok(page(
        "職員一覧",
        Some(&access),
        html! {
            form.inline method="post" action="/org/people" {
                (csrf_field(csrf))
                label { "職員番号" input type="text" name="staff_no" required; }
                label { "氏名" input type="text" name="name" required; }
                label { "メール" input type="email" name="email"; }
                label { "所属" select name="department_id" { @for d in access.departments.iter() { option value=(d.id) { (d.name) } } } }
                label { "職名" select name="post_id" { option value="" { "—" } @for p in &posts { option value=(p.id) { (p.name) } } } }
                label { "任用区分" select name="employment" { @for e in ["regular", "fiscal_year", "contractor"] { option value=(e) { (employment_label(e)) } } } }
                button type="submit" { "職員を追加" }
            }
            table #people {
                thead { tr { th { "職員番号" } th { "氏名" } th { "所属" } th { "職名" } th { "任用区分" } } }
                tbody { @for p in &people { tr {
                    td { (p.staff_no) } td { (p.name) } td { (access.department_name(p.department_id)) }
                    td { (p.post_id.and_then(|id| posts.iter().find(|x| x.id == id)).map(|x| x.name.as_str()).unwrap_or("")) }
                    td { (employment_label(&p.employment)) }
                } } }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct PersonForm {
    staff_no: String,
    name: String,
    #[serde(default)]
    email: String,
    department_id: i64,
    #[serde(default)]
    post_id: String,
    employment: String,
}

pub async fn create_person(State(state): State<AppState>, access: Access, Form(f): Form<PersonForm>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    if f.staff_no.trim().is_empty() || f.name.trim().is_empty() {
        return Err(AppError::BadRequest("職員番号と氏名を入力してください".into()));
    }
    if !["regular", "fiscal_year", "contractor"].contains(&f.employment.as_str()) {
        return Err(AppError::BadRequest("任用区分を選んでください".into()));
    }
    let person = NewPerson {
        staff_no: f.staff_no.trim().to_owned(),
        name: f.name.trim().to_owned(),
        kana: String::new(),
        email: f.email.trim().to_owned(),
        department_id: f.department_id,
        post_id: f.post_id.trim().parse().ok(),
        employment: f.employment,
    };
    state.store.create_person(access.org_id(), &person, &access.actor()).await?;
    Ok(Redirect::to("/org/people").into_response())
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
    person_id: i64,
    #[serde(default)]
    department_id: String,
    deputy: Option<String>,
}

pub async fn assign_role(State(state): State<AppState>, access: Access, Form(f): Form<RoleForm>) -> Result<Response, AppError> {
    access.require(Step::RolesAssign)?;
    let Some(role) = access.profile.role(&f.role) else {
        return Err(AppError::BadRequest(format!("役割「{}」はこの団体のポリシーにありません", f.role)));
    };
    let department_id = f.department_id.trim().parse::<i64>().ok();
    if role.scope == mamori_policy::RoleScope::Department && department_id.is_none() {
        return Err(AppError::BadRequest(format!("{}は課ごとの役割です。対象の課を選んでください", role.name)));
    }
    state.store.assign_role(access.org_id(), &f.role, f.person_id, department_id, f.deputy.is_some(), &access.actor()).await?;
    Ok(done("役割を割り当てました。"))
}

pub async fn remove_role(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    access.require(Step::RolesAssign)?;
    state.store.remove_role_assignment(access.org_id(), id, &access.actor()).await?;
    Ok(done("役割の割当てを解除しました。"))
}

#[derive(Deserialize)]
pub struct UserForm {
    login: String,
    person_id: i64,
    admin: Option<String>,
}

fn temporary_password_page(access: &Access, login: &str, password: &str) -> axum::response::Html<String> {
    page(
        "仮パスワード",
        Some(access),
        html! {
            p.warn { "次の仮パスワードを本人に安全な方法で渡してください。この画面を閉じると二度と表示されません。初回ログイン時に変更が求められます" (per(&access.cite(Step::InitialPassword))) "。" }
            dl.facts { dt { "ログインID" } dd #new-login { (login) } dt { "仮パスワード" } dd { pre.secret #temporary-password { (password) } } }
            p { a href="/org" { "組織・職員に戻る" } }
        },
    )
}

pub async fn create_user(State(state): State<AppState>, access: Access, Form(f): Form<UserForm>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    let login = f.login.trim();
    if login.len() < 3 || login.len() > 64 || !login.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
        return Err(AppError::BadRequest("ログインIDは英数字と . _ - で3〜64文字にしてください".into()));
    }
    let person = state.store.person(access.org_id(), f.person_id).await?;
    let password = auth::temporary_password();
    let hash = state.passwords.hash(&password).await?;
    state.store.create_user(access.org_id(), Some(person.id), login, &person.name, &hash, f.admin.is_some(), &access.actor()).await?;
    Ok(temporary_password_page(&access, login, &password).into_response())
}

pub async fn unlock_user(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    state.store.unlock_user(access.org_id(), id, &access.actor()).await?;
    Ok(done("ロックを解除しました。"))
}

pub async fn reset_password(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    let user = state.store.user(id).await?;
    if user.org_id != access.org_id() {
        return Err(AppError::NotFound);
    }
    let password = auth::temporary_password();
    let hash = state.passwords.hash(&password).await?;
    state.store.set_password(&user, &hash, true, &access.actor()).await?;
    Ok(temporary_password_page(&access, &user.login, &password).into_response())
}

/// Ends every session of an account (a lost device, a person who left, a suspicion).
pub async fn end_sessions(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    let ended = state.store.end_all_sessions(access.org_id(), id, &access.actor()).await?;
    Ok(done(&format!("すべての端末でログアウトさせました（{ended}件）。")))
}

pub async fn import_form(access: Access) -> Result<impl IntoResponse, AppError> {
    access.require(Step::StaffManage)?;
    Ok(import_page(&access, &[], None))
}

fn import_page(access: &Access, problems: &[String], summary: Option<&mamori_store::org::ImportSummary>) -> axum::response::Html<String> {
    page(
        "職員名簿の取込",
        Some(access),
        html! {
            @if !problems.is_empty() {
                div.error role="alert" #import-problems {
                    p { "ファイルに誤りがあるため、何も取り込んでいません。次の行を直してから、もう一度取り込んでください。" }
                    ul { @for p in problems { li { (p) } } }
                }
            }
            @if let Some(s) = summary {
                p.notice role="status" #import-summary { "取り込みました: 職員 新規" (s.people_created) "名・更新" (s.people_updated) "名、課局等 新規" (s.departments_created) "、職名 新規" (s.posts_created) "。" }
            }
            p { "Excelで作成した職員名簿（CSV。UTF-8またはShift_JIS）を取り込みます。1行目は見出し行で、必須の列は「職員番号」「氏名」「所属コード」「所属名」です。任意の列は「氏名カナ」「メール」「上位所属コード」「職名」「任用区分」です。1行でも誤りがあれば何も取り込みません。" }
            form.stack method="post" enctype="multipart/form-data" action={ "/org/import?csrf=" (access.session.csrf_token) } {
                label for="file" { "CSVファイル" }
                input #file type="file" name="file" accept=".csv,text/csv" required;
                p { button type="submit" { "取り込む" } }
            }
        },
    )
}

pub async fn import(State(state): State<AppState>, access: Access, mut multipart: Multipart) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    let mut bytes = None;
    let mut name = String::from("staff.csv");
    while let Some(field) = multipart.next_field().await.map_err(|e| AppError::BadRequest(e.body_text()))? {
        if field.name() == Some("file") {
            name = field.file_name().unwrap_or("staff.csv").to_owned();
            bytes = Some(field.bytes().await.map_err(|e| AppError::BadRequest(e.body_text()))?);
        }
    }
    let Some(bytes) = bytes else {
        return Ok(
            (axum::http::StatusCode::BAD_REQUEST, import_page(&access, &["ファイルを選んでください。".to_owned()], None)).into_response()
        );
    };
    let known: std::collections::HashSet<&str> = access.departments.iter().map(|d| d.code.as_str()).collect();
    let rows = match mamori_csv::parse_staff_csv_against(&bytes, &|code| known.contains(code)) {
        Ok(rows) => rows,
        Err(rejection) => {
            let problems: Vec<String> = rejection.problems.iter().map(|p| p.message_ja()).collect();
            return Ok((axum::http::StatusCode::BAD_REQUEST, import_page(&access, &problems, None)).into_response());
        }
    };
    match state.store.import_staff(access.org_id(), &rows, &name, &access.actor()).await {
        Ok(summary) => Ok(import_page(&access, &[], Some(&summary)).into_response()),
        Err(mamori_store::StoreError::Invalid(m)) | Err(mamori_store::StoreError::WrongState(m)) => Ok((
            axum::http::StatusCode::BAD_REQUEST,
            import_page(&access, &[format!("取り込めませんでした（{m}）。何も変更していません。")], None),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub async fn export(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    access.require(Step::StaffManage)?;
    let people = state.store.people(access.org_id(), None, 1_000_000, 0).await?;
    let posts = state.store.posts(access.org_id()).await?;
    let dept = |id: i64| access.departments.iter().find(|d| d.id == id);
    let rows: Vec<StaffRow> = people
        .iter()
        .map(|p| {
            let d = dept(p.department_id);
            StaffRow {
                staff_no: p.staff_no.clone(),
                name: p.name.clone(),
                kana: p.kana.clone(),
                email: p.email.clone(),
                department_code: d.map(|d| d.code.clone()).unwrap_or_default(),
                department_name: d.map(|d| d.name.clone()).unwrap_or_default(),
                parent_department_code: d.and_then(|d| d.parent_id).and_then(dept).map(|d| d.code.clone()).unwrap_or_default(),
                post: p.post_id.and_then(|id| posts.iter().find(|x| x.id == id)).map(|x| x.name.clone()).unwrap_or_default(),
                employment: p.employment.clone(),
            }
        })
        .collect();
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"staff.csv\"")],
        mamori_csv::write_staff_csv(&rows),
    )
        .into_response())
}
