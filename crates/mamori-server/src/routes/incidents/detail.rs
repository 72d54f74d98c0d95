//! One report and the list: what was reported, who was told and has acknowledged, the
//! assessment, the external reports due, the tasks and the timeline from the change record.

use super::*;

pub(super) fn incident_table(profile: &Profile, rows: &[Incident]) -> Markup {
    html! {
        @if rows.is_empty() { p.small id="incidents" { "ありません。" } } @else {
            table id="incidents" {
                thead { tr { th { "番号" } th { "件名" } th { "レベル" } th { "状態" } th { "課局等" } th { "報告者" } th { "報告日時" } } }
                tbody { @for i in rows { tr {
                    td { (i.id) }
                    td { a href={"/incidents/" (i.id)} { @if i.title.is_empty() { "（件名なし）" } @else { (i.title) } } }
                    td { @if let Some(l) = i.level { (profile.incident_levels.iter().find(|x| i64::from(*x.level.get_ref()) == l).map(|x| x.name.clone()).unwrap_or_default()) } }
                    td { (i.status.label_ja()) }
                    td { (i.department_name) }
                    td { (i.reporter_name) }
                    td { (time_or_blank(&i.reported_at)) }
                } } }
            }
        }
    }
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    let rows = visible(&state, &access, false).await?;
    let mine = match &access.person {
        Some(p) => state.store.open_notices_for(access.org_id(), p.id).await?,
        None => Vec::new(),
    };
    let body = html! {
        p { a.button href="/incidents/new" id="report-new" { "インシデントを報告する" } " " a href="/emergency-plan" { "緊急時対応計画（連絡網）" } }
        @if !mine.is_empty() {
            h2 { "あなたの確認を待っている通知" }
            ul id="my-notices" { @for n in &mine { li { a href={"/incidents/" (n.incident_id)} { "第" (n.incident_id) "号 " (n.incident_title) } " — " (role_name(&access.profile, &n.role)) @if n.as_deputy { "（代理）" } " 確認期限 " (wareki_time(&n.acknowledge_by)) } } }
        }
        h2 { "報告の一覧" }
        (incident_table(&access.profile, &rows))
    };
    Ok(page("インシデント", Some(&access), body).into_response())
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    missing: String,
}

pub async fn show(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let body = detail(&state, &access, id, &q, None).await?;
    Ok(page(&format!("インシデント報告 第{id}号"), Some(&access), body).into_response())
}

pub(super) async fn detail(state: &AppState, access: &Access, id: i64, q: &ShowQuery, error: Option<&str>) -> Result<Markup, AppError> {
    let (i, notices) = load(state, access, id).await?;
    let org = access.org_id();
    let p = &access.profile;
    let me = access.person.as_ref().map(|x| x.id);
    let tasks = state.store.incident_tasks(org, id).await?;
    let filings = state.store.external_filings(org, id).await?;
    let attachments = state.store.incident_attachments(org, id).await?;
    let may_attach = i.status != IncidentStatus::Closed
        && (me == Some(i.reporter_person_id) || access.may(Step::IncidentRecord) || notices.iter().any(|n| Some(n.person_id) == me));
    let due = due_reports(p, &i);
    let mut timeline = state.store.events(org, Some(("incident", &id.to_string())), 500).await?;
    timeline.reverse();
    let mine_open = notices.iter().any(|n| Some(n.person_id) == me && n.acknowledged_at.is_none());
    let triages = access.may(Step::IncidentTriage);
    let records = access.may(Step::IncidentRecord);
    let files = access.may(Step::IncidentFileExternal);
    let directs = access.may(Step::IncidentDirect);
    let instructs = directs || access.may(Step::IncidentInstruct);
    let open = i.status == IncidentStatus::Reported || i.status == IncidentStatus::Triaged;
    let people = if instructs && open {
        state.store.people(org, None, 10_000, 0).await?.into_iter().filter(|x| x.active).collect()
    } else {
        Vec::new()
    };
    let systems = if instructs && open { state.store.systems(org, None, None).await? } else { Vec::new() };
    let unresolved = match (i.level, i.status) {
        (Some(l), s) if s != IncidentStatus::Draft && s != IncidentStatus::Closed => {
            let roles = incident::level_roles(p, l as u32).unwrap_or_default();
            let dir = notify::directory(state, org, &today().to_string()).await?;
            incident::route(p, &roles, i.department_id, &dir).unresolved
        }
        _ => Vec::new(),
    };
    let today = today();
    Ok(html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        @match q.saved.as_str() {
            "sent" => { p.notice id="saved" { "報告を送信しました。報告先に通知しました。" } }
            "draft" => { p.notice id="saved" { "下書きとして保存しました。まだ誰にも通知していません。" } }
            "incomplete" => { p.error id="saved" role="alert" { "下書きとして保存しました（まだ送信していません）。送信するには次を入力してください: " (q.missing) } }
            _ => {}
        }
        @if !unresolved.is_empty() {
            p.error role="alert" id="unresolved" { "報告先の役割に、いま通知できる人がいません: "
                @for (k, r) in unresolved.iter().enumerate() { @if k > 0 { "、" } (role_name(p, r)) } "。役割の割当てを確認し、電話等で直接報告してください。" }
        }
        dl.facts id="summary" {
            dt { "状態" } dd id="status" { (i.status.label_ja()) }
            dt { "件名" } dd id="title" { (i.title) }
            dt { "レベル" } dd id="level" { (level_name(p, i.level)) }
            dt { "課局等" } dd { (i.department_name) }
            dt { "報告者" } dd { (i.reporter_name) }
            dt { "報告の経路" } dd { @if i.source == "external" { "住民等外部から（報告者: " (i.external_reporter) "）" } @else { "職員が認知" } }
            dt { "発生日時" } dd { (time_or_blank(&i.occurred_at)) }
            dt { "発見日時" } dd { (time_or_blank(&i.discovered_at)) }
            dt { "報告日時" } dd { (time_or_blank(&i.reported_at)) }
            dt { "場所" } dd { (i.location) }
            dt { "対象の情報資産・システム" } dd { (i.assets) }
            dt { "個人情報" } dd { (personal_label(&i.personal_info)) }
            dt { "内容・経緯" } dd.pre { (i.details) }
        }
        @if i.status == IncidentStatus::Draft && me == Some(i.reporter_person_id) {
            h2 { "下書きの編集・送信" }
            (report_form(access, &format!("/incidents/{}", i.id), &ReportForm::from_incident(&i), &[]))
        }
        h2 { "添付ファイル" }
        @if attachments.is_empty() { p id="attachments" { "ありません。" } } @else {
            table id="attachments" {
                thead { tr { th { "ファイル" } th { "大きさ" } th { "SHA-256（作業記録に記録）" } th { "添付者" } th { "日時" } } }
                tbody { @for a in &attachments { tr {
                    td { a href={"/incidents/" (i.id) "/attachments/" (a.id)} { (a.file_name) } }
                    td { (a.size) " バイト" }
                    td.clause { (a.sha256.get(..16).unwrap_or(&a.sha256)) "…" }
                    td { (a.uploaded_by_name) }
                    td { (wareki_time(&a.created_at)) }
                } } }
            }
        }
        @if may_attach {
            form.inline.noprint method="post" enctype="multipart/form-data" action={"/incidents/" (i.id) "/attachments?csrf=" (access.session.csrf_token)} id="attach-form" {
                label { "ファイル（10MBまで。画面の写真、不審なメール、ログなど）" input type="file" name="file" required; }
                button type="submit" { "添付する" }
            }
        }
        @if i.status != IncidentStatus::Draft {
            p.noprint { a href={"/incidents/" (i.id) "/occurrence-report"} id="occurrence-report-link" { "インシデント等発生状況報告書（印刷用）" } " ・ "
                a href={"/incidents/" (i.id) "/response-report"} id="response-report-link" { "インシデント等対応状況報告書（印刷用）" } }
            h2 { "通知と確認" }
            @if mine_open {
                form method="post" action={"/incidents/" (i.id) "/acknowledge"} {
                    (csrf_field(&access.session.csrf_token))
                    button type="submit" id="acknowledge" { "確認しました（受領）" }
                }
            }
            table id="notices" {
                thead { tr { th { "通知先" } th { "役割" } th { "理由" } th { "通知" } th { "確認期限" } th { "確認" } th { "メール" } } }
                tbody { @for n in &notices { tr {
                    td { (n.person_name) }
                    td { (role_name(p, &n.role)) @if n.as_deputy { "（代理）" } }
                    td { (Reason::from_id(&n.reason).map(|r| r.label_ja()).unwrap_or("")) }
                    td { (wareki_time(&n.created_at)) }
                    td { (wareki_time(&n.acknowledge_by)) }
                    td { @match (&n.acknowledged_at, &n.escalated_at) {
                        (Some(a), _) => { "確認済み " (wareki_time(a)) }
                        (None, Some(_)) => { strong { "未確認（上位へ通知済み）" } }
                        (None, None) => { strong { "未確認" } }
                    } }
                    td { (mail_label(&n.mail_status)) }
                } } }
            }
            h2 { "CSIRTの評価" }
            @match i.is_incident {
                Some(yes) => {
                    p id="triage-result" { strong { @if yes { "情報セキュリティインシデントである" } @else { "情報セキュリティインシデントではない" } }
                        " — " (i.triage_reason) "（" (i.triaged_by_name.as_deref().unwrap_or("")) "、" (time_or_blank(&i.triaged_at)) "）" }
                }
                None => { p id="triage-result" { "まだ評価していません" (per(&access.cite(Step::IncidentTriage))) "。" } }
            }
            @if triages && open { (triage_form(access, &i)) }
            h2 { "外部への報告" }
            (external_table(access, &i, &due, &filings, files && open, today))
            h2 { "指示・対策" }
            (task_table(access, &i, &tasks, me, directs))
            @if instructs && open { (task_form(access, &i, &people, &systems)) }
            h2 { "原因・対応・再発防止策" }
            dl.facts id="findings" {
                dt { "原因" } dd { (i.cause) } dt { "被害・影響" } dd { (i.impact) } dt { "対応" } dd { (i.response) } dt { "再発防止策" } dd { (i.recurrence_prevention) }
            }
            @if records && open {
                form.stack method="post" action={"/incidents/" (i.id) "/findings"} id="findings-form" {
                    (csrf_field(&access.session.csrf_token))
                    label { "原因" textarea name="cause" rows="3" maxlength="5000" { (i.cause) } }
                    label { "被害・影響" textarea name="impact" rows="3" maxlength="5000" { (i.impact) } }
                    label { "対応（応急措置・復旧）" textarea name="response" rows="3" maxlength="5000" { (i.response) } }
                    label { "再発防止策" textarea name="recurrence_prevention" rows="3" maxlength="5000" { (i.recurrence_prevention) } }
                    button type="submit" id="save-findings" { "記録する" }
                }
            }
            @if access.may(Step::IncidentClose) && i.status == IncidentStatus::Triaged {
                    form method="post" action={"/incidents/" (i.id) "/close"} {
                        (csrf_field(&access.session.csrf_token))
                        button type="submit" id="close" { "対応完了にする" }
                    }
            }
        }
        h2 { "経過（作業記録から）" }
        (timeline_table(&timeline))
        p.noprint { a href="/incidents" { "インシデントの一覧へ" } }
    })
}

pub(super) fn mail_label(s: &str) -> &'static str {
    match s {
        "pending" => "送信待ち",
        "sent" => "送信済み",
        "failed" => "送信失敗",
        "no_address" => "アドレス未登録",
        _ => "—",
    }
}

pub(super) fn timeline_table(events: &[mamori_store::Event]) -> Markup {
    html! {
        table id="timeline" {
            thead { tr { th { "日時" } th { "記録番号" } th { "操作" } th { "実施者" } th { "結果" } } }
            tbody { @for e in events { @if e.action != "incident.mail" || e.result != "sent" { tr {
                td { (wareki_time(&e.at)) }
                td { (e.seq - 1) }
                td { (event_label(&e.action)) }
                td { (e.actor) }
                td { (e.result) }
            } } } }
        }
    }
}

pub(super) fn triage_form(access: &Access, i: &Incident) -> Markup {
    let facts = facts_of(i);
    let on = |k: &str| match k {
        "personal_information" => facts.personal_information || (i.is_incident.is_none() && i.personal_info == "yes"),
        "sensitive_personal_information" => facts.sensitive_personal_information,
        "financial_damage" => facts.financial_damage,
        "unlawful_intent" => facts.unlawful_intent,
        "specific_personal_information" => facts.specific_personal_information,
        "suspected_crime" => facts.suspected_crime,
        "residents_affected" => facts.residents_affected,
        _ => false,
    };
    html! {
        form.stack method="post" action={"/incidents/" (i.id) "/triage"} id="triage-form" {
            (csrf_field(&access.session.csrf_token))
            fieldset {
                legend { "情報セキュリティインシデントであるか" (per(&access.cite(Step::IncidentTriage))) }
                label.check { input type="radio" name="is_incident" value="yes" id="is-incident-yes" checked[i.is_incident == Some(true)]; " インシデントである" }
                label.check { input type="radio" name="is_incident" value="no" id="is-incident-no" checked[i.is_incident == Some(false)]; " インシデントではない" }
            }
            label { "判断の理由" input type="text" name="reason" id="triage-reason" value=(i.triage_reason) maxlength="1000"; }
            label { "レベル"
                select name="level" id="triage-level" {
                    @for l in &access.profile.incident_levels { option value=(l.level.get_ref()) selected[i.level == Some(i64::from(*l.level.get_ref()))] { (l.name) " — " (l.criteria) } }
                }
            }
            fieldset {
                legend { "外部への報告を決める事実" }
                @for (k, label) in FACTS { label.check { input type="checkbox" name=(k) id={"fact-" (k)} checked[on(k)]; " " (label) } }
                label { "本人の数（分かる範囲で）" input type="number" name="affected_people" id="affected_people" min="0" max="100000000" value=(facts.affected_people.map(|n| n.to_string()).unwrap_or_default()); }
                label { "事態を知った日（外部報告の期限の起算日）" input type="date" name="aware_on" id="aware_on" value=(i.aware_on.clone().unwrap_or_default()); }
            }
            button type="submit" id="triage" { "評価を記録する" }
        }
    }
}

pub(super) fn deadline_cell(due: &DueReport, filed: bool, today: NaiveDate) -> Markup {
    html! {
        @match due.due_on {
            Some(d) => {
                (wareki_date(d))
                @if !filed {
                    @let left = (d - today).num_days();
                    @if left < 0 { " " strong.error { "（" (-left) "日超過）" } } @else { "（あと" (left) "日）" }
                }
            }
            None => { "速やかに" }
        }
        br; span.small { (due.deadline_note) }
    }
}

pub(super) fn external_table(
    access: &Access,
    i: &Incident,
    due: &[DueReport],
    filings: &[mamori_store::incidents::Filing],
    may_file: bool,
    today: NaiveDate,
) -> Markup {
    html! {
        @if i.is_incident.is_none() {
            p id="external-reports" { "CSIRTの評価後に、記録された事実から必要な報告が決まります。" }
        } @else if due.is_empty() {
            p id="external-reports" { "記録された事実からは、外部への報告の義務はありません。" }
        } @else {
            table id="external-reports" {
                thead { tr { th { "報告先" } th { "種類" } th { "期限" } th { "根拠" } th { "担当" } th { "報告" } } }
                tbody { @for d in due {
                    @let filed = filings.iter().find(|f| f.report_id == d.id);
                    tr data-report=(d.id) {
                        td { (d.addressee) }
                        td { (d.kind) }
                        td { (deadline_cell(d, filed.is_some(), today)) }
                        td { @if let Some(l) = &d.law { (l) br; } (cite_clause(&d.clause)) }
                        td { (role_name(&access.profile, &d.responsible)) }
                        td {
                            @if let Some(f) = filed { "報告済み " (f.filed_on) "（" (f.filed_by_name) "）" (f.note) }
                            @else if may_file {
                                form method="post" action={"/incidents/" (i.id) "/external/" (d.id)} {
                                    (csrf_field(&access.session.csrf_token))
                                    input type="date" name="filed_on" value=(today.to_string()) aria-label="報告日";
                                    input type="text" name="note" placeholder="備考（報告方法・受付番号等）" maxlength="500";
                                    button type="submit" { "報告を記録" }
                                }
                            } @else { "未報告" }
                        }
                    }
                } }
            }
        }
    }
}

pub(super) fn task_table(access: &Access, i: &Incident, tasks: &[Task], me: Option<i64>, directs: bool) -> Markup {
    html! {
        @if tasks.is_empty() { p id="tasks" { "指示・対策はまだありません。" } } @else {
            table id="tasks" {
                thead { tr { th { "種類" } th { "担当" } th { "内容" } th { "期限" } th { "状態" } } }
                tbody { @for t in tasks { tr {
                    td { (task_kind_label(&t.kind)) @if let Some(s) = &t.system_name { "（" (s) "）" } }
                    td { (t.assignee_name) }
                    td { (t.description) br; span.small { "指示: " (t.created_by_name) } }
                    td { (t.due_on.as_deref().unwrap_or("")) }
                    td {
                        @if t.status == TaskStatus::Done { "完了 " (time_or_blank(&t.done_at)) br; (t.result) }
                        @else if Some(t.assignee_person_id) == me || directs {
                            form method="post" action={"/incidents/" (i.id) "/tasks/" (t.id) "/done"} {
                                (csrf_field(&access.session.csrf_token))
                                input type="text" name="result" placeholder="実施した内容" maxlength="2000" required;
                                button type="submit" { "完了を記録" }
                            }
                        } @else { "未完了" }
                    }
                } } }
            }
        }
    }
}

pub(super) fn task_form(
    access: &Access,
    i: &Incident,
    people: &[mamori_store::org::Person],
    systems: &[mamori_store::systems::System],
) -> Markup {
    let ciso_only = !access.may(Step::IncidentDirect);
    html! {
        form.stack method="post" action={"/incidents/" (i.id) "/tasks"} id="task-form" {
            (csrf_field(&access.session.csrf_token))
            label { "種類"
                select name="kind" id="task-kind" {
                    @for k in TASK_KINDS { @if !ciso_only || *k == "ciso_instruction" || *k == "recurrence_prevention" { option value=(k) { (task_kind_label(k)) } } }
                }
            }
            label { "担当者"
                select name="assignee_person_id" id="task-assignee" required {
                    option value="" { "（選んでください）" }
                    @for x in people { option value=(x.id) { (x.name) "（" (access.department_name(x.department_id)) "）" } }
                }
            }
            label { "対象の情報システム（他システムの確認の場合）"
                select name="system_id" id="task-system" {
                    option value="" { "—" }
                    @for s in systems { option value=(s.id) { (s.fields.name) } }
                }
            }
            label { "内容" input type="text" name="description" id="task-description" maxlength="2000"; }
            label { "期限" input type="date" name="due_on" id="task-due"; }
            button type="submit" id="add-task" { "指示する" }
        }
    }
}
