//! What the yearly cycle's pages share: the fiscal year a page shows, who organizes the
//! cycle, everyone's training standing, and the reminders of what is due — shown on the
//! dashboard and mailed weekly by the notifier.

use std::collections::HashMap;

use std::sync::Arc;

use chrono::NaiveDate;
use mamori_policy::workflow::{CheckStatus, DepartmentTree, Reach, Step, Subject, Workflow};
use mamori_policy::yearly::{training_gaps, FiscalYear, Gap, Trainee, TrainingRule};
use mamori_store::org::Person;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::AppState;

pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&mamori_store::jst()).date_naive()
}

/// `?fy=2026`: the fiscal year a page shows; the current one when absent or unreadable.
#[derive(Debug, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub fy: Option<String>,
    /// `?as_of=YYYY-MM-DD`: the day to judge "overdue" by (基準日), e.g. the committee's
    /// meeting; today when absent.
    #[serde(default)]
    pub as_of: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

impl YearQuery {
    pub fn year(&self) -> FiscalYear {
        self.fy
            .as_deref()
            .and_then(|y| y.trim().parse::<i32>().ok())
            .filter(|y| (1989..=2200).contains(y))
            .map(FiscalYear)
            .unwrap_or_else(|| FiscalYear::of(today()))
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of.as_deref().and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()).unwrap_or_else(today)
    }
}

/// Links between a year's pages.
pub fn year_nav(path: &str, year: FiscalYear) -> Markup {
    html! {
        p.noprint.small.year-nav {
            a href={(path) "?fy=" (year.0 - 1)} { "← 前年度" }
            " " strong { (year.label_ja()) } " "
            a href={(path) "?fy=" (year.0 + 1)} { "翌年度 →" }
        }
    }
}

/// One staff member and what they owe on a day.
#[derive(Debug, Clone)]
pub struct Standing {
    pub member: Person,
    pub gaps: Vec<Gap>,
    /// The last training attended on or before the day.
    pub last_attended: Option<NaiveDate>,
}

impl Standing {
    pub fn out_of_compliance(&self) -> bool {
        self.gaps.iter().any(Gap::overdue)
    }

    pub fn trained_in(&self, year: FiscalYear) -> bool {
        self.last_attended.is_some_and(|d| year.contains(d))
    }
}

/// Every active staff member's standing on `day` (the training rule: every year, and on
/// joining).
pub async fn standings(state: &AppState, org_id: i64, day: NaiveDate) -> Result<Vec<Standing>, AppError> {
    let store = &state.store;
    let members = store.staff_members(org_id).await?;
    let from = FiscalYear::of(day).previous().first_day();
    let mut attended: HashMap<i64, Vec<mamori_policy::yearly::Attended>> = HashMap::new();
    for a in store.training_attendance_since(org_id, from).await? {
        attended.entry(a.person_id).or_default().push(a.attended);
    }
    let mut consents: HashMap<i64, Vec<FiscalYear>> = HashMap::new();
    for (p, y, _) in store.consents(org_id).await? {
        consents.entry(p).or_default().push(y);
    }
    let previous = FiscalYear::of(day).previous();
    let rule =
        TrainingRule { previous_year_recorded: !store.training_sessions(org_id, previous).await?.is_empty(), ..TrainingRule::default() };
    Ok(members
        .into_iter()
        .map(|m| {
            let trainee = Trainee {
                joined_on: m.joined_on.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                fiscal_year_appointee: m.employment == "fiscal_year",
                consents: consents.remove(&m.id).unwrap_or_default(),
            };
            let mine = attended.remove(&m.id).unwrap_or_default();
            let gaps = training_gaps(&trainee, &mine, day, rule);
            let last_attended = mine.iter().map(|a| a.on).filter(|d| *d <= day).max();
            Standing { member: m, gaps, last_attended }
        })
        .collect())
}

/// The organization's yearly-cycle facts that reminders are drawn from, read once.
pub struct YearData {
    pub today: NaiveDate,
    pub standings: Vec<Standing>,
    pub roles: Vec<mamori_store::org::RoleAssignment>,
    pub campaign: Option<(mamori_store::assessment::Campaign, Vec<mamori_store::assessment::Item>)>,
    pub plans: Vec<mamori_store::audits::Plan>,
    pub checks: Vec<mamori_store::audits::FindingCheck>,
    pub departments: HashMap<i64, String>,
    pub tree: DepartmentTree,
    /// The organization's workflow rules: who organizes, who answers for a department.
    pub workflow: Arc<Workflow>,
}

pub async fn year_data(state: &AppState, org_id: i64, today: NaiveDate) -> Result<YearData, AppError> {
    let store = &state.store;
    let campaign = match store.campaign(org_id, FiscalYear::of(today)).await? {
        Some(c) => {
            let items = store.assessment_items(org_id, c.id).await?;
            Some((c, items))
        }
        None => None,
    };
    let active = state.active(org_id).await?.ok_or_else(|| AppError::internal("the organization has no active profile"))?;
    let departments = store.departments(org_id).await?;
    Ok(YearData {
        today,
        standings: standings(state, org_id, today).await?,
        roles: store.role_assignments(org_id).await?,
        campaign,
        plans: store.plans(org_id, None).await?,
        checks: store.finding_checks(org_id, None).await?,
        tree: DepartmentTree::new(departments.iter().map(|d| (d.id, d.parent_id))),
        departments: departments.into_iter().map(|d| (d.id, d.name)).collect(),
        workflow: active.workflow,
    })
}

/// [`year_data`] for a page: read once per organization, change counter and day, and shared
/// until the organization's data changes (`seq`, read before the data: see
/// [`crate::AppState::org_data`]) or the day does.
pub async fn year_data_cached(state: &AppState, org_id: i64, seq: i64, today: NaiveDate) -> Result<Arc<YearData>, AppError> {
    if let Some((s, d, data)) = state.year_data.lock().ok().and_then(|m| m.get(&org_id).cloned()) {
        if s == seq && d == today {
            return Ok(data);
        }
    }
    let data = Arc::new(year_data(state, org_id, today).await?);
    if let Ok(mut m) = state.year_data.lock() {
        if m.get(&org_id).is_none_or(|(s, d, _)| (*s, *d) <= (seq, today)) {
            m.insert(org_id, (seq, today, data.clone()));
        }
    }
    Ok(data)
}

/// What one person is reminded of: their own training, and what they answer for as a
/// 管理者, as the responsible person of a plan, or as an organizer. One line each.
pub fn reminder_lines(data: &YearData, person_id: i64) -> Vec<String> {
    let roles: Vec<_> = data.roles.iter().filter(|r| r.person_id == person_id).collect();
    let holdings = crate::auth::holdings(&roles.iter().map(|r| (*r).clone()).collect::<Vec<_>>());
    let department_id = data.standings.iter().find(|s| s.member.id == person_id).map(|s| s.member.department_id);
    let subject = Subject { administrator: false, user_id: 0, person_id: Some(person_id), department_id, holdings: &holdings };
    let w = &data.workflow;
    // The departments whose training this person records and reports, by the profile's
    // rule; an organization-wide holder is an organizer instead.
    let managed: Vec<i64> = match w.reach(&subject, &data.tree, Step::TrainingReportToDirector) {
        Reach::Departments(d) => d.into_iter().collect(),
        Reach::Everywhere | Reach::Nowhere => Vec::new(),
    };
    let organizer = w.allows(&subject, &data.tree, Step::TrainingPlan, None);
    let answers: Vec<i64> = match w.reach(&subject, &data.tree, Step::AssessmentAnswer) {
        Reach::Departments(d) => d.into_iter().collect(),
        Reach::Everywhere | Reach::Nowhere => Vec::new(),
    };
    let name = |d: i64| data.departments.get(&d).cloned().unwrap_or_else(|| format!("課局 {d}"));
    let mut lines = Vec::new();
    if let Some(me) = data.standings.iter().find(|s| s.member.id == person_id) {
        lines.extend(me.gaps.iter().map(|g| g.describe_ja(w.clause(Step::TrainingYearly), w.clause(Step::TrainingOnJoining))));
    }
    for d in &managed {
        let out = data.standings.iter().filter(|s| s.member.department_id == *d && s.out_of_compliance()).count();
        if out > 0 {
            lines.push(format!(
                "{}で研修の受講義務を満たしていない職員等が {out} 人います（{}）",
                name(*d),
                w.clause(Step::TrainingReportToDirector)
            ));
        }
    }
    if organizer {
        let out = data.standings.iter().filter(|s| s.out_of_compliance()).count();
        if out > 0 {
            lines.push(format!("研修の受講義務を満たしていない職員等が全体で {out} 人います"));
        }
    }
    let year = FiscalYear::of(data.today);
    if let Some((c, items)) = &data.campaign {
        let role_ids: Vec<&str> = roles.iter().map(|r| r.role.as_str()).collect();
        let mine = items
            .iter()
            .filter(|i| i.answer.is_none())
            .filter(|i| match i.department_id {
                Some(d) => answers.contains(&d),
                None => role_ids.contains(&i.role.as_str()),
            })
            .count();
        if mine > 0 {
            lines.push(format!(
                "{}の自己点検で未回答の項目が {mine} 件あります（回答期限 {}）",
                year.label_ja(),
                crate::views::fmt::date_ja(&c.due_on)
            ));
        }
        if w.allows(&subject, &data.tree, Step::AssessmentViewAll, None) {
            let open = items.iter().filter(|i| i.answer.is_none()).count();
            if open > 0 {
                lines.push(format!("{}の自己点検の未回答は全体で {open} 件です", year.label_ja()));
            }
        }
    }
    let today_text = data.today.to_string();
    for p in data.plans.iter().filter(|p| p.overdue_on(&today_text)) {
        if p.responsible_person_id == person_id || w.allows(&subject, &data.tree, Step::ImprovementViewAll, None) {
            lines.push(format!(
                "改善計画 第{}号（{}）が期限 {} を過ぎています: {}",
                p.id,
                p.department_name,
                crate::views::fmt::date_ja(&p.due_on),
                p.description
            ));
        }
    }
    let pending = data
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Pending && w.allows(&subject, &data.tree, Step::ImprovementAnswerCheck, Some(c.department_id)))
        .count();
    if pending > 0 {
        lines.push(format!(
            "監査の指摘事項について、同種の課題の有無の確認が {pending} 件依頼されています（{}）",
            w.clause(Step::ImprovementAnswerCheck)
        ));
    }
    lines
}

/// The dashboard's card: what is due in the yearly cycle for the person signed in.
pub async fn dashboard_card(state: &AppState, access: &Access) -> Result<Markup, AppError> {
    let Some(me) = &access.person else { return Ok(html! {}) };
    let data = year_data_cached(state, access.org_id(), access.org_seq, today()).await?;
    let lines = reminder_lines(&data, me.id);
    Ok(html! {
        h2 { "研修・自己点検・監査" }
        div #yearly-card {
            @if lines.is_empty() {
                p { "期限の近いもの、期限を過ぎたものはありません。" }
            } @else {
                ul { @for l in &lines { li { (l) } } }
            }
            p.small {
                a href="/training" { "研修・訓練" } "　" a href="/assessment" { "自己点検" } "　" a href="/audits" { "監査" } "　" a href="/improvements" { "改善計画" }
                @if access.may(Step::ReportsView) { "　" a href="/reports/annual" { "年次報告" } }
            }
        }
    })
}
