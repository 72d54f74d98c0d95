//! Training and drills (研修・訓練). Whoever the profile lets plan them plans each fiscal
//! year's sessions by audience and records attendance (ticked on the page or imported from
//! the sign-in sheet's CSV); each 管理者 sees and records their department; everyone sees what
//! they owe. The roll-up by department is what goes upward to the CISO and, once a year, to
//! the committee (the annual report).

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use mamori_policy::yearly::{wareki_date, Audience, FiscalYear};
use mamori_store::training::{Attendance, NewSession, Session};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::routes::yearly::{standings, today, year_nav, Standing, YearQuery};
use crate::views::fmt::{date_ja, employment_label};
use crate::views::layout::{csrf_field, page};
use crate::views::per;
use crate::AppState;
use mamori_policy::workflow::{Reach, Step, WorkflowRole};

pub fn kind_label(k: &str) -> &'static str {
    match k {
        "training" => "研修",
        "drill" => "訓練（緊急時対応）",
        _ => "その他",
    }
}

pub fn audience_label(access: &Access, code: &str) -> String {
    match Audience::parse(code) {
        Some(Audience::AllStaff) => "全職員等".into(),
        Some(Audience::NewStaff) => "新規採用職員等".into(),
        Some(Audience::Role(r)) => access.profile.role(&r).map(|x| x.name.clone()).unwrap_or(r),
        None => code.to_owned(),
    }
}

/// The departments whose staff this person records and reads, as far as the profile's rule
/// for recording attendance reaches: `None` for all.
fn departments_in_charge(access: &Access) -> Option<Vec<i64>> {
    access.reach(Step::TrainingAttendance).departments()
}

/// A training gap in words, citing the profile's clauses.
pub fn describe_gap(access: &Access, g: &mamori_policy::yearly::Gap) -> String {
    g.describe_ja(access.workflow.clause(Step::TrainingYearly), access.workflow.clause(Step::TrainingOnJoining))
}

fn in_charge_of(access: &Access, department_id: i64) -> bool {
    departments_in_charge(access).is_none_or(|d| d.contains(&department_id))
}

fn gap_list(access: &Access, s: &Standing) -> Markup {
    html! {
        @if s.gaps.is_empty() { span.ok { "受講済み" } } @else {
            @for g in &s.gaps { span class=(if g.overdue() { "error" } else { "" }) { (describe_gap(access, g)) } br; }
        }
    }
}

fn members_table(access: &Access, rows: &[&Standing], year: FiscalYear) -> Markup {
    html! {
        table.report id="training-members" {
            thead { tr { th { "職員番号" } th { "氏名" } th { "所属" } th { "任用" } th { "最後の受講" } th { (year.label_ja()) } } }
            tbody { @for s in rows {
                tr data-person=(s.member.id) class=(if s.out_of_compliance() { "overdue" } else { "" }) {
                    td { (s.member.staff_no) }
                    td { (s.member.name) }
                    td { (access.department_name(s.member.department_id)) }
                    td { (employment_label(&s.member.employment)) }
                    td { (s.last_attended.map(wareki_date).unwrap_or_else(|| "—".into())) }
                    td { (gap_list(access, s)) }
                }
            } }
        }
    }
}

/// The roll-up by department: staff, trained this year, out of compliance.
pub fn rollup<'a>(standings: impl IntoIterator<Item = &'a Standing>, year: FiscalYear) -> Vec<(i64, usize, usize, usize)> {
    let mut by: std::collections::BTreeMap<i64, (usize, usize, usize)> = std::collections::BTreeMap::new();
    for s in standings {
        let e = by.entry(s.member.department_id).or_default();
        e.0 += 1;
        if s.trained_in(year) {
            e.1 += 1;
        }
        if s.out_of_compliance() {
            e.2 += 1;
        }
    }
    by.into_iter().map(|(d, (n, t, o))| (d, n, t, o)).collect()
}

async fn list_page(state: &AppState, access: &Access, q: &YearQuery, error: Option<&str>, code: StatusCode) -> Result<Response, AppError> {
    let year = q.year();
    let day = q.as_of();
    let sessions = state.store.training_sessions(access.org_id(), year).await?;
    let all = standings(state, access.org_id(), day).await?;
    let mine = access.person.as_ref().and_then(|p| all.iter().find(|s| s.member.id == p.id));
    let charge = departments_in_charge(access);
    let visible: Vec<&Standing> = all.iter().filter(|s| charge.as_ref().is_none_or(|d| d.contains(&s.member.department_id))).collect();
    let organizer = access.may(Step::TrainingPlan);
    let appointees: Vec<&Standing> = visible.iter().copied().filter(|s| s.member.employment == "fiscal_year").collect();
    let body = html! {
        @if let Some(e) = error.or(q.error.as_deref()) { p.error role="alert" id="error" { (e) } }
        (year_nav("/training", year))
        p.small {
            "職員等は毎年度最低1回、情報セキュリティ研修を受講します" (per(&access.cite(Step::TrainingYearly))) "。"
            "新規採用の職員等は採用後30日以内に新規採用者向けの研修を受講します" (per(&access.cite(Step::TrainingOnJoining))) "。"
            "前年度に受講しなかった人は、受講するまで未達として表示されます。"
        }
        @if let Some(me) = mine {
            h2 { "あなたの受講状況" }
            div #my-training { (gap_list(access, me)) }
        }
        h2 { "研修・訓練の計画と実施" }
        @if sessions.is_empty() { p #sessions { "この年度の研修・訓練はまだ計画されていません。" } } @else {
            table #sessions {
                thead { tr { th { "実施日" } th { "種別" } th { "対象" } th { "件名" } th { "出席者" } } }
                tbody { @for s in &sessions { tr {
                    td { (date_ja(&s.held_on)) @if s.held_on > today().to_string() { " " span.small { "（予定）" } } }
                    td { (kind_label(&s.kind)) }
                    td { (audience_label(access, &s.audience)) }
                    td { a href={"/training/" (s.id)} { (s.title) } }
                    td { (s.attendees) " 人" }
                } } }
            }
        }
        @if organizer {
            h3 { "研修・訓練を計画する" }
            form.stack method="post" action="/training" id="session-form" {
                (csrf_field(&access.session.csrf_token))
                label { "種別" select name="kind" { option value="training" { "研修" } option value="drill" { "訓練（緊急時対応訓練）" } } }
                p.small { "訓練: " (access.cite(Step::TrainingDrill).text) (per(&access.cite(Step::TrainingDrill))) }
                label { "対象" select name="audience" {
                    option value="all_staff" { "全職員等" }
                    option value="new_staff" { "新規採用職員等" }
                    @for r in &access.profile.roles { option value={"role:" (r.id.as_str())} { (r.name) } }
                } }
                label { "件名" input type="text" name="title" maxlength="200" required; }
                label { "実施日" input type="date" name="held_on" required; }
                label { "場所・方法" input type="text" name="place" maxlength="200"; }
                button type="submit" { "計画に追加" }
            }
        }
        @if charge.as_ref().is_none_or(|d| !d.is_empty()) {
            h2 { "課局等ごとの受講状況（" (wareki_date(day)) "現在）" }
            table.report #training-rollup {
                thead { tr { th { "課局等" } th { "職員等" } th { "今年度受講済み" } th { "未達（期限超過）" } } }
                tbody { @for (d, n, t, o) in rollup(visible.iter().copied(), year) {
                    tr data-department=(d) { td { (access.department_name(d)) } td { (n) } td { (t) } td class=(if o > 0 { "error" } else { "" }) { (o) } }
                } }
            }
            h3 { "職員等の受講状況" }
            (members_table(access, &visible, year))
        }
        (reports_section(state, access, year, &all).await?)
        @if organizer {
            h3 { "新規採用職員等の採用日" }
            form.inline method="post" action="/training/joined" id="joined-form" {
                (csrf_field(&access.session.csrf_token))
                select name="person_id" required { option value="" { "（職員）" } @for s in &visible { option value=(s.member.id) { (s.member.name) "（" (s.member.staff_no) "）" } } }
                input type="date" name="date" required;
                button type="submit" { "採用日を記録" }
            }
        }
        @if !appointees.is_empty() {
            h3 { "会計年度任用職員の同意" }
            p.small { "会計年度任用職員は任用のたびに情報セキュリティポリシーの遵守に同意します。同意書を受け取った日を記録します。" }
            form.inline method="post" action="/training/consents" id="consent-form" {
                (csrf_field(&access.session.csrf_token))
                select name="person_id" required { option value="" { "（職員）" } @for s in &appointees { option value=(s.member.id) { (s.member.name) "（" (s.member.staff_no) "）" } } }
                input type="date" name="date" required;
                button type="submit" { "同意を記録" }
            }
        }
    };
    Ok((code, page("研修・訓練", Some(access), body)).into_response())
}

/// The departments a 管理者 reports for: those they hold a role for directly (not as a
/// deputy) that the profile's rule for reporting upward names.
fn reporting_departments(access: &Access) -> Vec<i64> {
    if !access.may(Step::TrainingReportToDirector) || matches!(access.reach(Step::TrainingReportToDirector), Reach::Everywhere) {
        return Vec::new();
    }
    let rule = access.workflow.rule(Step::TrainingReportToDirector);
    let mut d: Vec<i64> =
        access.roles.iter().filter(|r| rule.roles.contains(&r.role) && !r.is_deputy).filter_map(|r| r.department_id).collect();
    d.sort_unstable();
    d.dedup();
    d
}

/// Staff, trained this year, out of compliance — of the departments given (with their
/// subtrees), or of everyone.
fn figures(access: &Access, all: &[Standing], year: FiscalYear, department: Option<i64>) -> (usize, usize, usize) {
    let scope: Option<Vec<i64>> = department.map(|d| {
        let mut out = vec![d];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(access.departments.iter().filter(|x| x.parent_id == Some(parent)).map(|x| x.id));
            i += 1;
        }
        out
    });
    let mine: Vec<&Standing> = all.iter().filter(|s| scope.as_ref().is_none_or(|d| d.contains(&s.member.department_id))).collect();
    (mine.len(), mine.iter().filter(|s| s.trained_in(year)).count(), mine.iter().filter(|s| s.out_of_compliance()).count())
}

/// 研修実施状況の報告: the 管理者 to the 統括 (5.2(2)⑤), the 統括 to the CISO (⑥); each sees
/// what was reported to them.
async fn reports_section(state: &AppState, access: &Access, year: FiscalYear, all: &[Standing]) -> Result<Markup, AppError> {
    let mine = reporting_departments(access);
    // The 統括's level receives the departments' reports and reports to the CISO; the
    // CISO's level receives that. Stored as the jobs (`security_director`, `ciso`), which
    // do not change with a profile's names.
    let director = access.may(Step::TrainingReportToCiso);
    let ciso = access.acts_as(WorkflowRole::Ciso);
    if mine.is_empty() && !director && !ciso {
        return Ok(html! {});
    }
    let reports = state.store.training_reports(access.org_id(), year).await?;
    let received: Vec<_> = reports
        .iter()
        .filter(|(_, p)| (director && p["to"] == WorkflowRole::SecurityDirector.id()) || (ciso && p["to"] == WorkflowRole::Ciso.id()))
        .collect();
    Ok(html! {
        h2 { "研修実施状況の報告" }
        @for d in &mine {
            @let (n, t, o) = figures(access, all, year, Some(*d));
            form.inline method="post" action="/training/report" {
                (csrf_field(&access.session.csrf_token))
                input type="hidden" name="department_id" value=(d);
                span { (access.department_name(*d)) ": 職員等 " (n) " 人、今年度受講済み " (t) " 人、未達 " (o) " 人 " }
                button type="submit" { "統括情報セキュリティ責任者へ報告" }
                " " (per(&access.cite(Step::TrainingReportToDirector)))
            }
        }
        @if director {
            @let (n, t, o) = figures(access, all, year, None);
            form.inline method="post" action="/training/report" id="report-to-ciso" {
                (csrf_field(&access.session.csrf_token))
                span { "全体: 職員等 " (n) " 人、今年度受講済み " (t) " 人、未達 " (o) " 人 " }
                button type="submit" { "CISO へ報告" }
                " " (per(&access.cite(Step::TrainingReportToCiso)))
            }
        }
        @if !received.is_empty() {
            table #training-reports {
                thead { tr { th { "報告日時" } th { "報告者" } th { "範囲" } th { "職員等" } th { "受講済み" } th { "未達" } } }
                tbody { @for (e, p) in &received { tr {
                    td { (crate::views::fmt::wareki_time(&e.at)) }
                    td { (e.actor) }
                    td { @match p["department_id"].as_i64() { Some(d) => { (access.department_name(d)) }, None => { "全体" } } }
                    td { (p["figures"]["staff"]) } td { (p["figures"]["trained"]) } td { (p["figures"]["out_of_compliance"]) }
                } } }
            }
        }
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub department_id: String,
}

async fn report(state: &AppState, access: &Access, f: &ReportForm) -> Result<String, AppError> {
    let year = FiscalYear::of(today());
    let department = f.department_id.trim().parse::<i64>().ok();
    let to = match department {
        Some(d) if reporting_departments(access).contains(&d) => WorkflowRole::SecurityDirector.id(),
        Some(d) => {
            return Err(access.require_in(Step::TrainingReportToDirector, d).err().unwrap_or_else(|| {
                AppError::BadRequest("報告できるのは、その課局等の役割を自身で持つ人です（代理では報告できません）".into())
            }))
        }
        None => {
            access.require(Step::TrainingReportToCiso)?;
            WorkflowRole::Ciso.id()
        }
    };
    let all = standings(state, access.org_id(), today()).await?;
    let (n, t, o) = figures(access, &all, year, department);
    let figures = serde_json::json!({"staff": n, "trained": t, "out_of_compliance": o});
    state.store.report_training_status(access.org_id(), year, department, to, figures, &access.actor()).await?;
    Ok("/training".into())
}

pub async fn report_status(State(state): State<AppState>, access: Access, Form(f): Form<ReportForm>) -> Result<Response, AppError> {
    let r = report(&state, &access, &f).await;
    on_list(&state, &access, r).await
}

pub async fn list(State(state): State<AppState>, access: Access, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    list_page(&state, &access, &q, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub place: String,
}

async fn on_list(state: &AppState, access: &Access, r: Result<String, AppError>) -> Result<Response, AppError> {
    match r {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) if e.is_shown_on_form() => list_page(state, access, &YearQuery::default(), Some(&e.message_ja()), e.status()).await,
        Err(e) => Err(e),
    }
}

async fn plan(state: &AppState, access: &Access, f: &SessionForm) -> Result<String, AppError> {
    access.require(Step::TrainingPlan)?;
    let mut problems = Vec::new();
    let held_on = crate::routes::parse_date("実施日", &f.held_on, &mut problems);
    if held_on.is_none() && problems.is_empty() {
        problems.push("実施日を入力してください".into());
    }
    if f.place.chars().count() > 200 {
        problems.push("場所・方法は200字以内で入力してください".into());
    }
    if !problems.is_empty() {
        return Err(AppError::BadRequest(problems.join("。")));
    }
    let held_on = NaiveDate::parse_from_str(&held_on.unwrap_or_default(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest("実施日が読めません".into()))?;
    let s = NewSession { kind: f.kind.clone(), audience: f.audience.clone(), title: f.title.clone(), held_on, place: f.place.clone() };
    let created = state.store.create_training_session(access.org_id(), &s, access.person.as_ref().map(|p| p.id), &access.actor()).await?;
    Ok(format!("/training/{}", created.id))
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<SessionForm>) -> Result<Response, AppError> {
    let r = plan(&state, &access, &f).await;
    on_list(&state, &access, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PersonDateForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub person_id: String,
    #[serde(default)]
    pub date: String,
}

fn person_and_date(f: &PersonDateForm) -> Result<(i64, NaiveDate), AppError> {
    let person = f.person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("職員を選んでください".into()))?;
    let mut problems = Vec::new();
    let date = crate::routes::parse_date("日付", &f.date, &mut problems).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    match date {
        Some(d) => Ok((person, d)),
        None if problems.is_empty() => Err(AppError::BadRequest("日付を入力してください".into())),
        None => Err(AppError::BadRequest(problems.join("。"))),
    }
}

async fn joined(state: &AppState, access: &Access, f: &PersonDateForm) -> Result<String, AppError> {
    access.require(Step::TrainingPlan)?;
    let (person, date) = person_and_date(f)?;
    state.store.set_joined_on(access.org_id(), person, date, &access.actor()).await?;
    Ok("/training".into())
}

pub async fn record_joined(State(state): State<AppState>, access: Access, Form(f): Form<PersonDateForm>) -> Result<Response, AppError> {
    let r = joined(&state, &access, &f).await;
    on_list(&state, &access, r).await
}

async fn consent(state: &AppState, access: &Access, f: &PersonDateForm) -> Result<String, AppError> {
    let (person, date) = person_and_date(f)?;
    let p = state.store.person(access.org_id(), person).await?;
    if !in_charge_of(access, p.department_id) {
        return Err(AppError::BadRequest(
            "同意を記録できるのは、その職員の所属の情報セキュリティ管理者と統括情報セキュリティ責任者です".into(),
        ));
    }
    if date > today() {
        return Err(AppError::BadRequest("同意の日付が未来です".into()));
    }
    state.store.record_consent(access.org_id(), person, date, access.person.as_ref().map(|p| p.id), &access.actor()).await?;
    Ok("/training".into())
}

pub async fn record_consent(State(state): State<AppState>, access: Access, Form(f): Form<PersonDateForm>) -> Result<Response, AppError> {
    let r = consent(&state, &access, &f).await;
    on_list(&state, &access, r).await
}

// ---------------------------------------------------------------------------------------
// One session

async fn session_page(
    state: &AppState,
    access: &Access,
    id: i64,
    error: Option<&str>,
    notice: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let s: Session = state.store.training_session(access.org_id(), id).await?;
    let attendees = state.store.training_attendees(access.org_id(), id).await?;
    let charge = departments_in_charge(access);
    let held = s.held_on <= today().to_string();
    let people: Vec<_> = if held && charge.as_ref().is_none_or(|d| !d.is_empty()) {
        state
            .store
            .staff_members(access.org_id())
            .await?
            .into_iter()
            .filter(|m| charge.as_ref().is_none_or(|d| d.contains(&m.department_id)))
            .filter(|m| !attendees.iter().any(|a| a.person_id == m.id))
            .collect()
    } else {
        Vec::new()
    };
    let organizer = access.may(Step::TrainingPlan);
    let visible_attendees: Vec<_> = attendees.iter().filter(|a| charge.as_ref().is_none_or(|d| d.contains(&a.department_id))).collect();
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        @if let Some(n) = notice { p.notice id="notice" { (n) } }
        dl.facts {
            dt { "年度" } dd { (FiscalYear(s.fiscal_year).label_ja()) }
            dt { "種別" } dd { (kind_label(&s.kind)) }
            dt { "対象" } dd { (audience_label(access, &s.audience)) }
            dt { "実施日" } dd { (date_ja(&s.held_on)) @if !held { "（予定）" } }
            dt { "場所・方法" } dd { (s.place) }
            dt { "出席者" } dd #attendee-count { (s.attendees) " 人" }
            @if !s.result.is_empty() { dt { "結果・記録" } dd #session-result { (s.result) } }
        }
        h2 { "出席者" }
        @if visible_attendees.is_empty() { p #attendees { "記録はありません。" } } @else {
            table #attendees { thead { tr { th { "氏名" } th { "所属" } th { "記録方法" } } }
                tbody { @for a in &visible_attendees { tr { td { (a.name) } td { (access.department_name(a.department_id)) } td { (if a.source == "csv" { "CSV取込" } else { "画面" }) } } } } }
        }
        @if !held {
            p.small { "実施日の後に出席を記録できます。" }
        } @else if !people.is_empty() {
            h3 { "出席を記録する" }
            form method="post" action={"/training/" (s.id) "/attendance"} id="attendance-form" {
                (csrf_field(&access.session.csrf_token))
                ul.checks { @for m in &people {
                    li { label { input type="checkbox" name="person_id" value=(m.id); " " (m.name) "（" (access.department_name(m.department_id)) "、" (m.staff_no) "）" } }
                } }
                button type="submit" { "チェックした人を出席として記録" }
            }
        }
        @if held && organizer {
            h3 { "出席者一覧（CSV）を取り込む" }
            p.small { "1行目を見出し（職員番号,氏名）にした CSV（UTF-8 または Shift_JIS）。一件でも登録のない職員番号や氏名の食い違いがあれば、何も記録しません。" }
            form method="post" enctype="multipart/form-data" action={"/training/" (s.id) "/import?csrf=" (access.session.csrf_token)} id="attendance-import" {
                input type="file" name="file" accept=".csv,text/csv" required;
                button type="submit" { "取り込む" }
            }
        }
        @if held && organizer {
            h3 { @if s.kind == "drill" { "訓練の結果" } @else { "実施の記録" } }
            form.stack method="post" action={"/training/" (s.id) "/result"} id="result-form" {
                (csrf_field(&access.session.csrf_token))
                textarea name="result" rows="4" maxlength="4000" required { (s.result) }
                button type="submit" { "記録する" }
            }
        }
        p { a href={"/training?fy=" (s.fiscal_year)} { "研修・訓練の一覧へ" } }
    };
    Ok((code, page(&format!("{}: {}", kind_label(&s.kind), s.title), Some(access), body)).into_response())
}

pub async fn show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    session_page(&state, &access, id, None, None, StatusCode::OK).await
}

async fn on_session(state: &AppState, access: &Access, id: i64, r: Result<Option<String>, AppError>) -> Result<Response, AppError> {
    match r {
        Ok(None) => Ok(Redirect::to(&format!("/training/{id}")).into_response()),
        Ok(Some(notice)) => session_page(state, access, id, None, Some(&notice), StatusCode::OK).await,
        Err(e) if e.is_shown_on_form() => session_page(state, access, id, Some(&e.message_ja()), None, e.status()).await,
        Err(e) => Err(e),
    }
}

async fn attend(state: &AppState, access: &Access, id: i64, body: &str) -> Result<Option<String>, AppError> {
    let mut ids = Vec::new();
    for (k, v) in form_urlencoded_pairs(body) {
        if k == "person_id" {
            ids.push(v.trim().parse::<i64>().map_err(|_| AppError::BadRequest(format!("職員「{v}」が読めません")))?);
        }
    }
    if ids.is_empty() {
        return Err(AppError::BadRequest("出席した人にチェックを付けてください".into()));
    }
    access.require(Step::TrainingAttendance)?;
    for p in &ids {
        let person = state.store.person(access.org_id(), *p).await?;
        if !in_charge_of(access, person.department_id) {
            return Err(AppError::BadRequest(format!("{} さんは所管の課局等の職員ではありません", person.name)));
        }
    }
    let batch = Attendance { person_ids: &ids, source: "ui", today: today(), recorded_by: access.person.as_ref().map(|p| p.id) };
    let n = state.store.record_attendance(access.org_id(), id, &batch, &access.actor()).await?;
    Ok(Some(format!("{n} 人の出席を記録しました。")))
}

/// The pairs of a urlencoded body, keeping repeated keys (checkbox lists).
fn form_urlencoded_pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body).unwrap_or_default()
}

pub async fn attendance(State(state): State<AppState>, access: Access, Path(id): Path<i64>, body: String) -> Result<Response, AppError> {
    let r = attend(&state, &access, id, &body).await;
    on_session(&state, &access, id, r).await
}

async fn import_csv(state: &AppState, access: &Access, id: i64, mut multipart: Multipart) -> Result<Option<String>, AppError> {
    access.require(Step::TrainingPlan)?;
    let upload = crate::routes::read_upload(&mut multipart).await?;
    let Some(file) = upload.file else { return Err(AppError::BadRequest("CSV ファイルを選んでください".into())) };
    let rows = mamori_csv::parse_attendance_csv(&file.content)
        .map_err(|p| AppError::BadRequest(format!("取り込みませんでした。{}", p.join(" / "))))?;
    let staff = state.store.staff_members(access.org_id()).await?;
    let mut ids = Vec::new();
    let mut problems = Vec::new();
    for r in &rows {
        match staff.iter().find(|m| m.staff_no == r.staff_no) {
            None => problems.push(format!("{}行目: 職員番号「{}」の職員は登録されていません", r.line, r.staff_no)),
            Some(m) if !r.name.is_empty() && squeeze(&r.name) != squeeze(&m.name) => {
                problems.push(format!("{}行目: 職員番号「{}」は {} さんです（CSV では「{}」）", r.line, r.staff_no, m.name, r.name))
            }
            Some(m) => ids.push(m.id),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::BadRequest(format!("取り込みませんでした。{}", problems.join(" / "))));
    }
    let batch = Attendance { person_ids: &ids, source: "csv", today: today(), recorded_by: access.person.as_ref().map(|p| p.id) };
    let n = state.store.record_attendance(access.org_id(), id, &batch, &access.actor()).await?;
    Ok(Some(format!("{} 行を読み、{n} 人の出席を新たに記録しました（記録済みの人はそのままです）。", rows.len())))
}

/// A name without spaces (full- or half-width), for comparing a list with the register.
fn squeeze(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

pub async fn import(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let r = import_csv(&state, &access, id, multipart).await;
    on_session(&state, &access, id, r).await
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionResultForm {
    #[serde(default)]
    pub result: String,
}

async fn result(state: &AppState, access: &Access, id: i64, f: &SessionResultForm) -> Result<Option<String>, AppError> {
    access.require(Step::TrainingPlan)?;
    let s = state.store.training_session(access.org_id(), id).await?;
    if s.held_on > today().to_string() {
        return Err(AppError::BadRequest("実施日の後に結果を記録してください".into()));
    }
    state.store.set_session_result(access.org_id(), id, &f.result, &access.actor()).await?;
    Ok(None)
}

pub async fn record_result(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<SessionResultForm>,
) -> Result<Response, AppError> {
    let r = result(&state, &access, id, &f).await;
    on_session(&state, &access, id, r).await
}
