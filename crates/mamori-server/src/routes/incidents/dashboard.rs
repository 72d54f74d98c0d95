//! What the dashboard shows of incidents: notices to acknowledge, deadlines, tasks.

use super::*;

pub struct Reminders {
    pub notices: Vec<Notice>,
    pub open: Vec<Incident>,
    pub tasks: Vec<Task>,
    /// (incident, report) with a deadline, not yet filed, due within a week or overdue.
    pub deadlines: Vec<(Incident, DueReport)>,
}

pub async fn reminders(state: &AppState, access: &Access) -> Result<Reminders, AppError> {
    let org = access.org_id();
    let (notices, tasks) = match &access.person {
        Some(p) => (state.store.open_notices_for(org, p.id).await?, state.store.open_tasks_for(org, p.id).await?),
        None => (Vec::new(), Vec::new()),
    };
    let open: Vec<Incident> = visible(state, access, true).await?.into_iter().filter(|i| i.status != IncidentStatus::Draft).collect();
    let mut deadlines = Vec::new();
    let soon = today() + chrono::Days::new(7);
    for i in open.iter().filter(|i| i.is_incident == Some(true)) {
        let filed: HashSet<String> = state.store.external_filings(org, i.id).await?.into_iter().map(|f| f.report_id).collect();
        for d in due_reports(&access.profile, i) {
            if d.due_on.is_some_and(|x| x <= soon) && !filed.contains(&d.id) {
                deadlines.push((i.clone(), d));
            }
        }
    }
    deadlines.sort_by_key(|(_, d)| d.due_on);
    Ok(Reminders { notices, open, tasks, deadlines })
}

pub fn dashboard_card(access: &Access, r: &Reminders) -> Markup {
    let today = today();
    html! {
        h2 { "インシデント" }
        div id="incident-card" {
            p { a.button href="/incidents/new" { "インシデントを報告する" } " " a href="/emergency-plan" { "緊急時対応計画" } }
            @if !r.notices.is_empty() {
                p.error role="alert" { "確認を待っている通知が " (r.notices.len()) " 件あります:" }
                ul id="dashboard-notices" { @for n in &r.notices { li {
                    a href={"/incidents/" (n.incident_id)} { "第" (n.incident_id) "号 " (n.incident_title) }
                    " — " (role_name(&access.profile, &n.role)) @if n.as_deputy { "（代理）" } "、" (level_name(&access.profile, n.incident_level))
                } } }
            }
            @if !r.deadlines.is_empty() {
                p.error { "期限が近い・過ぎた外部への報告:" }
                ul id="dashboard-deadlines" { @for (i, d) in &r.deadlines { li {
                    a href={"/incidents/" (i.id)} { "第" (i.id) "号" } " " (d.addressee) "への" (d.kind) " — 期限 " (deadline_cell(d, false, today))
                } } }
            }
            @if !r.tasks.is_empty() {
                p { "あなたへの指示（未完了）:" }
                ul id="dashboard-tasks" { @for t in &r.tasks { li { a href={"/incidents/" (t.incident_id)} { "第" (t.incident_id) "号 " } (task_kind_label(&t.kind)) " — " (t.description) } } }
            }
            @if access.may(Step::IncidentViewAll) || !access.reach(Step::RegistersManage).is_nowhere() {
                @if r.open.is_empty() { p { "対応中のインシデントはありません。" } } @else {
                    p { "対応中の報告 " (r.open.len()) " 件:" }
                    ul id="dashboard-incidents" { @for i in r.open.iter().take(10) { li {
                        a href={"/incidents/" (i.id)} { "第" (i.id) "号 " (i.title) } " — " (level_name(&access.profile, i.level)) "、" (i.status.label_ja())
                    } } }
                }
            }
        }
    }
}
