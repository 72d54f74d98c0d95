//! Self-assessment (自己点検). The 統括 (whoever the profile's `assessment.create` names) generates the fiscal year's campaign
//! from the active profile's checklist — every mandatory and prohibited clause, with its
//! responsible role. Duties of a department-scoped role and of every 職員等 become one item
//! per department, answered by its 情報セキュリティ管理者; the others one item answered by the
//! role's holders. Answers carry comments, improvement measures and evidence files; the 統括
//! sees the roll-up by department and by chapter.

use std::collections::BTreeMap;

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use mamori_policy::yearly::{answer_label, checklist, Answerer, FiscalYear, ANSWERS, STAFF};
use mamori_store::assessment::{Answer, Item, NewCampaign, NewItem};
use mamori_store::audits::NewEvidence;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::routes::person_of;
use crate::routes::yearly::{today, year_nav};
use crate::views::fmt::{date_ja, wareki_time};
use crate::views::layout::{csrf_field, page};
use crate::views::{cite_clause, per};
use crate::AppState;
use mamori_policy::workflow::{Reach, Step};

#[derive(Debug, Default, Deserialize)]
pub struct AssessmentQuery {
    #[serde(default)]
    pub fy: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub open: Option<String>,
}

impl AssessmentQuery {
    fn year(&self) -> FiscalYear {
        crate::routes::yearly::YearQuery { fy: self.fy.clone(), ..Default::default() }.year()
    }
}

pub fn role_label(access: &Access, role: &str) -> String {
    if role == STAFF {
        return "職員等".into();
    }
    access.profile.role(role).map(|r| r.name.clone()).unwrap_or_else(|| role.to_owned())
}

/// The departments that answer department items: one per unit of a 情報セキュリティ管理者's
/// responsibility — a department with a 管理者 whose parent is not held by the same person
/// (a 課長 answers for the 課, not again for each of its 係). Every department when no
/// 管理者 is assigned yet.
async fn assessed_departments(state: &AppState, access: &Access) -> Result<Vec<i64>, AppError> {
    let org_id = access.org_id();
    let answerers = &access.workflow.rule(Step::AssessmentAnswer).roles;
    let departments = state.store.departments(org_id).await?;
    let parent: std::collections::HashMap<i64, Option<i64>> = departments.iter().map(|d| (d.id, d.parent_id)).collect();
    let held: std::collections::HashSet<(i64, i64)> = state
        .store
        .role_assignments(org_id)
        .await?
        .into_iter()
        .filter(|a| answerers.contains(&a.role) && !a.is_deputy)
        .filter_map(|a| a.department_id.map(|d| (a.person_id, d)))
        .collect();
    let mut units: Vec<i64> = held
        .iter()
        .filter(|(person, d)| !parent.get(d).copied().flatten().is_some_and(|p| held.contains(&(*person, p))))
        .map(|(_, d)| *d)
        .collect();
    units.sort_unstable();
    units.dedup();
    if units.is_empty() {
        return Ok(departments.into_iter().map(|d| d.id).collect());
    }
    Ok(units)
}

/// The items a campaign is made of: the checklist, fanned out over departments.
pub fn items_for(profile: &mamori_policy::Profile, departments: &[i64]) -> Vec<NewItem> {
    let mut out = Vec::new();
    for e in checklist(profile) {
        let force = match e.force {
            mamori_policy::Force::Prohibited => "prohibited",
            _ => "mandatory",
        };
        let item = |department_id| NewItem {
            clause: e.clause.clone(),
            chapter: e.chapter.clone(),
            text: e.text.clone(),
            force: force.into(),
            role: e.role.clone(),
            department_id,
        };
        match e.answerer {
            Answerer::Organization => out.push(item(None)),
            Answerer::Department => out.extend(departments.iter().map(|d| item(Some(*d)))),
        }
    }
    out
}

/// Whether this person answers the item: the department's 管理者 (the profile's
/// `assessment.answer`) for department items, a holder of the item's role for the others,
/// and whoever runs the assessment (`assessment.create`) for all.
pub fn may_answer(access: &Access, item: &Item) -> bool {
    if access.may(Step::AssessmentCreate) {
        return true;
    }
    match item.department_id {
        Some(d) => access.may_in(Step::AssessmentAnswer, d),
        None => access.holds(&item.role),
    }
}

/// Who reads every item: those who run or receive the assessment.
fn reads_all(access: &Access) -> bool {
    access.may(Step::AssessmentCreate) || access.may(Step::AssessmentViewAll)
}

/// Counts of answers: 実施, 一部実施, 未実施, 該当なし, 未回答.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub done: usize,
    pub partly: usize,
    pub not_done: usize,
    pub not_applicable: usize,
    pub unanswered: usize,
}

impl Tally {
    pub fn add(&mut self, answer: Option<&str>) {
        match answer {
            Some("done") => self.done += 1,
            Some("partly") => self.partly += 1,
            Some("not_done") => self.not_done += 1,
            Some("not_applicable") => self.not_applicable += 1,
            _ => self.unanswered += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.done + self.partly + self.not_done + self.not_applicable + self.unanswered
    }

    /// 実施率: done over the applicable answered items, in percent.
    pub fn rate(&self) -> Option<f64> {
        let base = self.done + self.partly + self.not_done;
        (base > 0).then(|| (self.done as f64 + self.partly as f64 * 0.5) * 100.0 / base as f64)
    }
}

/// Tallies by department (`None`: the organization's items) and by chapter.
pub fn tallies(items: &[Item]) -> (BTreeMap<Option<i64>, Tally>, BTreeMap<String, Tally>) {
    let mut by_department: BTreeMap<Option<i64>, Tally> = BTreeMap::new();
    let mut by_chapter: BTreeMap<String, Tally> = BTreeMap::new();
    for i in items {
        by_department.entry(i.department_id).or_default().add(i.answer.as_deref());
        by_chapter.entry(i.chapter.clone()).or_default().add(i.answer.as_deref());
    }
    (by_department, by_chapter)
}

fn tally_cells(t: &Tally) -> Markup {
    html! {
        td { (t.total()) } td { (t.done) } td { (t.partly) } td { (t.not_done) } td { (t.not_applicable) }
        td class=(if t.unanswered > 0 { "error" } else { "" }) { (t.unanswered) }
        td { (t.rate().map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())) }
    }
}

pub fn tally_head(first: &str) -> Markup {
    html! { thead { tr { th { (first) } th { "項目" } th { "実施" } th { "一部実施" } th { "未実施" } th { "該当なし" } th { "未回答" } th { "実施率" } } } }
}

fn item_row(access: &Access, i: &Item, back: &str) -> Markup {
    let answerable = may_answer(access, i);
    html! {
        tr id={"item-" (i.id)} data-clause=(i.clause) class=(if i.answer.is_none() { "unanswered" } else { "" }) {
            td { (cite_clause(&i.clause)) br; span.small { (if i.force == "prohibited" { "禁止" } else { "義務" }) "・" (role_label(access, &i.role)) } }
            td.small { (i.clause_text) }
            td {
                @if answerable {
                    form method="post" action={"/assessment/items/" (i.id) "?back=" (back)} {
                        (csrf_field(&access.session.csrf_token))
                        select name="answer" required {
                            option value="" { "（回答）" }
                            @for (code, label) in ANSWERS { option value=(code) selected[i.answer.as_deref() == Some(*code)] { (label) } }
                        }
                        input type="text" name="comment" placeholder="所見・根拠" maxlength="2000" value=(i.comment);
                        input type="text" name="measure" placeholder="改善策（一部実施・未実施のとき）" maxlength="2000" value=(i.measure);
                        button type="submit" { "回答" }
                    }
                } @else {
                    (answer_label(i.answer.as_deref().unwrap_or(""))) @if !i.comment.is_empty() { br; span.small { (i.comment) } }
                }
                @if let Some(at) = &i.answered_at { span.small { (answer_label(i.answer.as_deref().unwrap_or(""))) "・" (i.answered_by_name.as_deref().unwrap_or("")) " " (wareki_time(at)) } }
                " " a.small href={"/assessment/items/" (i.id)} { "証跡" }
            }
        }
    }
}

async fn assessment_page(
    state: &AppState,
    access: &Access,
    q: &AssessmentQuery,
    error: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let year = q.year();
    let campaign = state.store.campaign(access.org_id(), year).await?;
    let organizer = access.may(Step::AssessmentCreate);
    let body = match &campaign {
        None => {
            let departments = assessed_departments(state, access).await?;
            let planned = items_for(&access.profile, &departments);
            let clauses = checklist(&access.profile).len();
            html! {
                (year_nav("/assessment", year))
                p #no-campaign { (year.label_ja()) "の自己点検はまだ作成されていません。" }
                @if organizer {
                    p { "有効なポリシー（" (access.profile.profile.edition) "）の義務・禁止の条項 " (clauses) " 件から、課局等 " (departments.len()) " の点検項目 " (planned.len()) " 件を作成します。" }
                    form.inline method="post" action="/assessment" id="campaign-form" {
                        (csrf_field(&access.session.csrf_token))
                        input type="hidden" name="fy" value=(year.0);
                        label { "回答期限 " input type="date" name="due_on" required; }
                        button type="submit" { "自己点検を作成する" }
                    }
                }
            }
        }
        Some(c) => {
            let items = state.store.assessment_items(access.org_id(), c.id).await?;
            let (by_department, by_chapter) = tallies(&items);
            let asked: Option<i64> = q.department.as_deref().and_then(|d| d.parse().ok());
            let open_only = q.open.is_some();
            // What this page lists: one department's items (organizer's choice or the
            // 管理者's own), then the organization items this person answers.
            // The departments with items that this 管理者 answers, for the links between them.
            let answering: Vec<i64> = match access.reach(Step::AssessmentAnswer) {
                Reach::Departments(m) => {
                    let with_items: std::collections::BTreeSet<i64> = items.iter().filter_map(|i| i.department_id).collect();
                    m.iter().copied().filter(|d| with_items.contains(d)).collect()
                }
                Reach::Everywhere | Reach::Nowhere => Vec::new(),
            };
            let own_departments: Vec<i64> = match asked {
                Some(d) if organizer || answering.contains(&d) => vec![d],
                None => answering.first().copied().into_iter().collect(),
                _ => Vec::new(),
            };
            let department = asked.or_else(|| own_departments.first().copied());
            let listed: Vec<&Item> = items
                .iter()
                .filter(|i| match i.department_id {
                    Some(d) => own_departments.contains(&d),
                    None => asked.is_none() && (access.holds(&i.role) || organizer),
                })
                .filter(|i| !open_only || i.answer.is_none())
                .collect();
            let back = match department {
                Some(d) => format!("d{d}"),
                None => "all".into(),
            };
            html! {
                (year_nav("/assessment", year))
                dl.facts #campaign {
                    dt { "点検項目" } dd { (c.items) " 件" }
                    dt { "回答期限" } dd { (date_ja(&c.due_on)) }
                    dt { "作成" } dd { (wareki_time(&c.created_at)) }
                }
                @if organizer {
                    h2 { "課局等ごとの結果" }
                    table.report #assessment-by-department {
                        (tally_head("課局等"))
                        tbody { @for (d, t) in &by_department {
                            tr data-department=(d.map(|x| x.to_string()).unwrap_or_else(|| "org".into())) {
                                td { @match d { Some(d) => { a href={"/assessment?fy=" (year.0) "&department=" (d)} { (access.department_name(*d)) } }, None => { "全庁（役割ごとの項目）" } } }
                                (tally_cells(t))
                            }
                        } }
                    }
                    h2 { "章ごとの結果" }
                    table.report #assessment-by-chapter {
                        (tally_head("章"))
                        tbody { @for (ch, t) in &by_chapter { tr { td { (ch) } (tally_cells(t)) } } }
                    }
                }
                @if answering.len() > 1 {
                    p.small #department-links { "回答する課局等: " @for d in &answering { a href={"/assessment?fy=" (year.0) "&department=" (d)} { (access.department_name(*d)) } " " } }
                }
                h2 {
                    @match department { Some(d) => { (access.department_name(d)) "の点検項目" }, None => { "あなたが回答する点検項目" } }
                }
                p.small {
                    a href={"/assessment?fy=" (year.0) (department.map(|d| format!("&department={d}")).unwrap_or_default()) "&open=1"} { "未回答だけを表示" }
                    "　一部実施・未実施には改善策を記入します" (per(&access.cite(Step::AssessmentImprovement))) "。"
                }
                @if listed.is_empty() { p #assessment-items { "表示する項目はありません。" } } @else {
                    table #assessment-items {
                        thead { tr { th { "条項・責任者" } th { "内容" } th { "回答" } } }
                        tbody { @for i in &listed { (item_row(access, i, &back)) } }
                    }
                }
            }
        }
    };
    let body = html! { @if let Some(e) = error { p.error role="alert" id="error" { (e) } } (body) };
    Ok((code, page("自己点検", Some(access), body)).into_response())
}

pub async fn show(State(state): State<AppState>, access: Access, Query(q): Query<AssessmentQuery>) -> Result<Response, AppError> {
    assessment_page(&state, &access, &q, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    pub fy: String,
    #[serde(default)]
    pub due_on: String,
}

async fn generate(state: &AppState, access: &Access, f: &CampaignForm) -> Result<FiscalYear, AppError> {
    access.require(Step::AssessmentCreate)?;
    let year =
        f.fy.trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (1989..=2200).contains(y))
            .map(FiscalYear)
            .ok_or_else(|| AppError::BadRequest("年度が読めません".into()))?;
    let mut problems = Vec::new();
    let due = crate::routes::parse_date("回答期限", &f.due_on, &mut problems).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    let Some(due) = due else {
        return Err(AppError::BadRequest(if problems.is_empty() {
            "回答期限を入力してください".into()
        } else {
            problems.join("。")
        }));
    };
    if due < today() {
        return Err(AppError::BadRequest("回答期限が過去の日付です".into()));
    }
    let departments = assessed_departments(state, access).await?;
    let items = items_for(&access.profile, &departments);
    let campaign = NewCampaign {
        year,
        profile_version_id: access.profile_version_id,
        due_on: due,
        items: &items,
        person_id: access.person.as_ref().map(|p| p.id),
    };
    state.store.create_campaign(access.org_id(), &campaign, &access.actor()).await?;
    Ok(year)
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<CampaignForm>) -> Result<Response, AppError> {
    match generate(&state, &access, &f).await {
        Ok(year) => Ok(Redirect::to(&format!("/assessment?fy={}", year.0)).into_response()),
        Err(e) if e.is_shown_on_form() => {
            let q = AssessmentQuery { fy: Some(f.fy.clone()), ..Default::default() };
            assessment_page(&state, &access, &q, Some(&e.message_ja()), e.status()).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub measure: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct BackQuery {
    #[serde(default)]
    pub back: Option<String>,
}

fn back_to(item: &Item, year: i32, back: Option<&str>) -> String {
    let department = match back {
        Some(b) if b.starts_with('d') => b[1..].parse::<i64>().ok().map(|d| format!("&department={d}")).unwrap_or_default(),
        _ => String::new(),
    };
    format!("/assessment?fy={year}{department}#item-{}", item.id)
}

pub async fn answer(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Query(b): Query<BackQuery>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let item = state.store.assessment_item(access.org_id(), id).await?;
    let c = state.store.campaign_by_id(access.org_id(), item.campaign_id).await?;
    let r = async {
        if !may_answer(&access, &item) {
            return Err(match item.department_id {
                Some(d) => access.require_in(Step::AssessmentAnswer, d).err().unwrap_or(AppError::Forbidden),
                None => AppError::Denied(mamori_policy::workflow::Denial {
                    step: Some(Step::AssessmentAnswer),
                    clause: item.clause.clone(),
                    provenance: mamori_policy::Provenance::Document,
                    reason: format!("この項目に回答するのは{}です", role_label(&access, &item.role)),
                }),
            });
        }
        let me = person_of(&access, "自己点検に回答")?;
        let answer = Answer { answer: f.answer.clone(), comment: f.comment.clone(), measure: f.measure.clone() };
        state.store.answer_item(access.org_id(), id, &answer, me.id, &access.actor()).await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&back_to(&item, c.fiscal_year, b.back.as_deref())).into_response()),
        Err(e) if e.is_shown_on_form() => item_page(&state, &access, id, Some(&e.message_ja()), e.status()).await,
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------
// One item, with its evidence

async fn item_page(state: &AppState, access: &Access, id: i64, error: Option<&str>, code: StatusCode) -> Result<Response, AppError> {
    let item = state.store.assessment_item(access.org_id(), id).await?;
    if !(may_answer(access, &item) || reads_all(access)) {
        return Err(AppError::NotFound);
    }
    let c = state.store.campaign_by_id(access.org_id(), item.campaign_id).await?;
    let evidence = state.store.evidence(access.org_id(), "assessment_item", id).await?;
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        dl.facts {
            dt { "年度" } dd { (FiscalYear(c.fiscal_year).label_ja()) }
            dt { "条項" } dd { (cite_clause(&item.clause)) }
            dt { "責任者" } dd { (role_label(access, &item.role)) }
            @if let Some(d) = item.department_id { dt { "課局等" } dd { (access.department_name(d)) } }
            dt { "内容" } dd { (item.clause_text) }
            dt { "回答" } dd #item-answer { (answer_label(item.answer.as_deref().unwrap_or(""))) }
            dt { "所見" } dd { (item.comment) }
            dt { "改善策" } dd { (item.measure) }
        }
        table { thead { tr { th { "回答する" } } } tbody { (item_row(access, &item, &item.department_id.map(|d| format!("d{d}")).unwrap_or_else(|| "all".into()))) } }
        h2 { "証跡" }
        @if evidence.is_empty() { p #evidence { "ありません。" } } @else {
            ul #evidence { @for e in &evidence { li { a href={"/evidence/" (e.id)} { (e.file_name) } " (" (e.size) " バイト、SHA-256 " code { (e.sha256.get(..16).unwrap_or(&e.sha256)) } "…、" (e.uploaded_by_name) " " (wareki_time(&e.created_at)) ")" } } }
        }
        @if may_answer(access, &item) {
            form.inline method="post" enctype="multipart/form-data" action={"/assessment/items/" (id) "/evidence?csrf=" (access.session.csrf_token)} id="evidence-form" {
                input type="file" name="file" required;
                button type="submit" { "証跡を添付" }
            }
        }
        p { a href={(back_to(&item, c.fiscal_year, item.department_id.map(|d| format!("d{d}")).as_deref()))} { "点検項目の一覧へ" } }
    };
    Ok((code, page(&format!("自己点検: {}", item.clause), Some(access), body)).into_response())
}

pub async fn item(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    item_page(&state, &access, id, None, StatusCode::OK).await
}

pub async fn add_evidence(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let item = state.store.assessment_item(access.org_id(), id).await?;
    let r = async {
        if !may_answer(&access, &item) {
            return Err(AppError::BadRequest("証跡を添付できるのは、この項目に回答する人です".into()));
        }
        let me = person_of(&access, "証跡を添付")?;
        let upload = crate::routes::read_upload(&mut multipart).await?;
        let Some(f) = upload.file else { return Err(AppError::BadRequest("添付するファイルを選んでください".into())) };
        let e = NewEvidence {
            owner_kind: "assessment_item",
            owner_id: id,
            file_name: &f.file_name,
            content_type: &f.content_type,
            content: &f.content,
            person_id: me.id,
        };
        state.store.add_evidence(access.org_id(), &e, &access.actor()).await?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/assessment/items/{id}")).into_response()),
        Err(e) if e.is_shown_on_form() => item_page(&state, &access, id, Some(&e.message_ja()), e.status()).await,
        Err(e) => Err(e),
    }
}

/// Downloads an evidence file: for an item's answerers and readers, or an audit's people.
pub async fn evidence_file(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (e, content) = state.store.evidence_content(access.org_id(), id).await?;
    let allowed = match e.owner_kind.as_str() {
        "assessment_item" => {
            let item = state.store.assessment_item(access.org_id(), e.owner_id).await?;
            may_answer(&access, &item) || reads_all(&access)
        }
        "audit" => crate::routes::audits::reads_audit(&state, &access, e.owner_id).await?,
        _ => false,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    Ok(crate::routes::download(&e.file_name, &e.sha256, content))
}
