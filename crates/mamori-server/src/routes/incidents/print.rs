//! The policy's printable reports: インシデント等発生状況報告書 and 対応状況報告書.

use super::*;

pub(crate) fn print_shell(title: &str, org_name: &str, body: Markup) -> Response {
    let markup = html! {
        (maud::DOCTYPE)
        html lang="ja" {
            (head(title))
            body.print-page {
                p.noprint.small { a href="/" { "ダッシュボードへ戻る" } "　この頁はブラウザの印刷機能（Ctrl+P）で A4 に印刷できます。" }
                header.report-head { p.small { (org_name) } h1 { (title) } }
                (body)
            }
        }
    };
    axum::response::Html(markup.into_string()).into_response()
}

pub(super) fn report_rows(p: &Profile, i: &Incident) -> Markup {
    html! {
        tr { th { "報告番号" } td { "第" (i.id) "号" } }
        tr { th { "件名" } td { (i.title) } }
        tr { th { "被害・影響のレベル" } td { (level_name(p, i.level)) } }
        tr { th { "発生日時" } td { (time_or_blank(&i.occurred_at)) } }
        tr { th { "発見日時" } td { (time_or_blank(&i.discovered_at)) } }
        tr { th { "報告日時" } td { (time_or_blank(&i.reported_at)) } }
        tr { th { "報告者" } td { (i.reporter_name) "（" (i.department_name) "）" } }
        tr { th { "報告の経路" } td { @if i.source == "external" { "住民等外部から（" (i.external_reporter) "）" } @else { "職員が認知" } } }
        tr { th { "発生場所" } td { (i.location) } }
        tr { th { "対象の情報資産・システム" } td { (i.assets) } }
        tr { th { "個人情報" } td { (personal_label(&i.personal_info)) } }
        tr { th { "内容・経緯" } td.pre { (i.details) } }
    }
}

pub async fn occurrence_report(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (i, notices) = load(&state, &access, id).await?;
    if i.status == IncidentStatus::Draft {
        return Err(AppError::BadRequest("下書きの報告書は作成できません。先に報告を送信してください".into()));
    }
    let p = &access.profile;
    let org = state.store.organization(access.org_id()).await?;
    let facts = facts_of(&i);
    let body = html! {
        table.report id="occurrence-report" {
            (report_rows(p, &i))
            tr { th { "CSIRTの評価" } td { @match i.is_incident { Some(true) => { "インシデントである — " (i.triage_reason) }, Some(false) => { "インシデントではない — " (i.triage_reason) }, None => { "評価前" } } } }
            tr { th { "該当する事実" } td {
                @let on: Vec<&str> = FACTS.iter().filter(|(k, _)| facts_value(&facts, k)).map(|(_, l)| *l).collect();
                @if on.is_empty() { "—" } @else { (on.join("、")) }
                @if let Some(n) = facts.affected_people { "（本人の数 " (n) " 人）" }
            } }
            tr { th { "原因" } td.pre { (i.cause) } }
            tr { th { "被害・影響" } td.pre { (i.impact) } }
            tr { th { "対応（応急措置・復旧）" } td.pre { (i.response) } }
            tr { th { "再発防止策" } td.pre { (i.recurrence_prevention) } }
            tr { th { "報告先（通知）" } td { @for n in &notices { (n.person_name) "（" (role_name(p, &n.role)) @if n.as_deputy { "・代理" } "）" @if n.acknowledged_at.is_some() { " 確認済み" } br; } } }
        }
        p.small { "作成: " (wareki_date(today())) "。根拠: " (cite(&access.cite(Step::IncidentReportForms))) "（「インシデント等発生状況報告書」を用いて原因を究明）。mamori の作業記録（第" (i.id) "号の経過）から作成。" }
    };
    Ok(print_shell("インシデント等発生状況報告書", &org.name, body))
}

pub(super) fn facts_value(f: &Facts, k: &str) -> bool {
    match k {
        "personal_information" => f.personal_information,
        "sensitive_personal_information" => f.sensitive_personal_information,
        "financial_damage" => f.financial_damage,
        "unlawful_intent" => f.unlawful_intent,
        "specific_personal_information" => f.specific_personal_information,
        "suspected_crime" => f.suspected_crime,
        "residents_affected" => f.residents_affected,
        _ => false,
    }
}

pub async fn response_report(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (i, _) = load(&state, &access, id).await?;
    if i.status == IncidentStatus::Draft {
        return Err(AppError::BadRequest("下書きの報告書は作成できません。先に報告を送信してください".into()));
    }
    let p = &access.profile;
    let org = state.store.organization(access.org_id()).await?;
    let tasks = state.store.incident_tasks(access.org_id(), id).await?;
    let filings = state.store.external_filings(access.org_id(), id).await?;
    let due = due_reports(p, &i);
    let mut timeline = state.store.events(access.org_id(), Some(("incident", &id.to_string())), 500).await?;
    timeline.reverse();
    let body = html! {
        table.report id="response-report" {
            tr { th { "報告番号" } td { "第" (i.id) "号　" (i.title) } }
            tr { th { "レベル" } td { (level_name(p, i.level)) } }
            tr { th { "状態" } td { (i.status.label_ja()) @if let Some(c) = &i.closed_at { "（" (wareki_time(c)) "）" } } }
            tr { th { "原因" } td.pre { (i.cause) } }
            tr { th { "対応（応急措置・復旧）" } td.pre { (i.response) } }
            tr { th { "再発防止策" } td.pre { (i.recurrence_prevention) } }
        }
        h2 { "指示・対策" }
        table.report { thead { tr { th { "種類" } th { "担当" } th { "内容" } th { "結果" } } }
            tbody { @for t in &tasks { tr { td { (task_kind_label(&t.kind)) } td { (t.assignee_name) } td { (t.description) } td { @if t.status == TaskStatus::Done { (t.result) } @else { "未完了" } } } } } }
        h2 { "外部への報告" }
        table.report { thead { tr { th { "報告先" } th { "種類" } th { "期限" } th { "報告" } } }
            tbody { @for d in &due { tr { td { (d.addressee) } td { (d.kind) } td { (d.due_on.map(wareki_date).unwrap_or_else(|| "速やかに".into())) }
                td { @match filings.iter().find(|f| f.report_id == d.id) { Some(f) => { (f.filed_on) " " (f.filed_by_name) }, None => { "未報告" } } } } } } }
        h2 { "経過" }
        (timeline_table(&timeline))
        p.small { "作成: " (wareki_date(today())) "。根拠: " (cite(&access.cite(Step::IncidentReportForms))) "（対応を「インシデント等対応状況報告書」に記録し、保存）。" }
    };
    Ok(print_shell("インシデント等対応状況報告書", &org.name, body))
}
