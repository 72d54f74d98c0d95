//! The requests page: what waits for this person, their own requests, and the registers that
//! are views of the requests (持出・持込記録, 廃棄記録, 作業記録, 承認済みクラウドサービス,
//! 例外措置台帳).

use super::*;

pub(super) fn request_table(rows: &[Request], id: &str, today: &str, record_columns: bool) -> Markup {
    html! {
        @if rows.is_empty() {
            p.small id=(id) { "ありません。" }
        } @else {
            table id=(id) {
                thead { tr {
                    th { "番号" } th { "種類" } th { "対象" } th { "申請者" } th { "所属" } th { "状態" }
                    @if record_columns { th { "返却予定日" } th { "返却日" } th { "承認者" } }
                } }
                tbody {
                    @for r in rows {
                        tr.overdue[r.overdue(today)] {
                            td { a href={"/requests/" (r.id)} { (r.id) } }
                            td { (r.action.label_ja()) }
                            td { (r.subject) }
                            td { (r.applicant_name) }
                            td { (r.department_name) }
                            td { (r.status.label_ja()) @if r.overdue(today) { " " strong { "（返却期限超過）" } } }
                            @if record_columns {
                                td { (r.due_on.as_deref().unwrap_or("")) }
                                td { (r.completed_on.as_deref().unwrap_or("")) }
                                td { (r.decided_by_name.as_deref().unwrap_or("")) @if r.decided_as_deputy { "（代理）" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whose register of exceptions this is: the CISO's, read by whoever the profile's
/// `exceptions.view` names.
pub(super) fn reads_exception_register(access: &Access) -> bool {
    access.may(Step::ExceptionsView)
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    let org = access.org_id();
    let today = today();
    let mine = match &access.person {
        Some(p) => state.store.requests(org, &RequestFilter { applicant_person_id: Some(p.id), limit: 200, ..Default::default() }).await?,
        None => Vec::new(),
    };
    let mut to_decide: Vec<Request> = Vec::new();
    for a in &access.roles {
        let rows = state
            .store
            .requests(org, &RequestFilter { approver: Some((a.role.clone(), a.department_id)), limit: 200, ..Default::default() })
            .await?;
        for r in rows {
            if !to_decide.iter().any(|x| x.id == r.id) {
                to_decide.push(r);
            }
        }
    }
    let mut records = Vec::new();
    let keeps_records = !access.reach(Step::RegistersManage).is_nowhere() || access.may(Step::RegistersViewAll);
    if keeps_records {
        for action in ["take_out", "bring_in"] {
            let rows = state
                .store
                .requests(
                    org,
                    &RequestFilter {
                        action: Some(action.into()),
                        department_ids: access.visible_departments(),
                        limit: 500,
                        ..Default::default()
                    },
                )
                .await?;
            records.extend(rows.into_iter().filter(|r| r.status != RequestStatus::Pending && r.status != RequestStatus::Refused));
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.id));
    }
    let closed = |rows: Vec<Request>, keep: &[RequestStatus]| rows.into_iter().filter(|r| keep.contains(&r.status)).collect::<Vec<_>>();
    let disposals = closed(
        state
            .store
            .requests(
                org,
                &RequestFilter {
                    action: Some("dispose".into()),
                    department_ids: access.visible_departments(),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?,
        &[RequestStatus::Disposed],
    );
    let clouds = closed(
        state
            .store
            .requests(
                org,
                &RequestFilter {
                    action: Some("use_cloud_service".into()),
                    department_ids: access.visible_departments(),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?,
        &[RequestStatus::Approved, RequestStatus::Permitted],
    );
    let works = closed(
        state
            .store
            .requests(
                org,
                &RequestFilter {
                    action: Some("change_system".into()),
                    department_ids: access.visible_departments(),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?,
        &[RequestStatus::Done],
    );
    let register = if reads_exception_register(&access) {
        let mut rows = state.store.requests(org, &RequestFilter { overrides_only: true, limit: 500, ..Default::default() }).await?;
        rows.extend(
            state
                .store
                .requests(org, &RequestFilter { action: Some("exception".into()), limit: 500, ..Default::default() })
                .await?
                .into_iter()
                .filter(|r| r.status != RequestStatus::Refused),
        );
        rows.sort_by_key(|r| std::cmp::Reverse(r.id));
        rows.dedup_by_key(|r| r.id);
        Some(rows)
    } else {
        None
    };
    let body = html! {
        p { a.button href="/requests/new" { "申請を作成する" } }
        h2 { "承認待ち（あなたが決裁するもの）" }
        (request_table(&to_decide, "to-decide", &today, false))
        h2 { "自分の申請" }
        (request_table(&mine, "mine", &today, false))
        @if !records.is_empty() || keeps_records {
            h2 { "情報資産持出・持込記録" }
            p.small { (access.cite(Step::TakeOutRecord).text) (per(&access.cite(Step::TakeOutRecord))) }
            (request_table(&records, "take-out-records", &today, true))
        }
        h2 { "廃棄記録" }
        p.small { "廃棄等の処理の日時、担当者及び処理内容" (per(&access.cite(Step::DisposalRecord))) "。" }
        @if disposals.is_empty() { p.small #disposal-records { "ありません。" } } @else {
            table #disposal-records {
                thead { tr { th { "番号" } th { "対象" } th { "所属" } th { "廃棄日" } th { "担当者" } th { "処理方法" } th { "許可者" } } }
                tbody { @for r in &disposals { tr {
                    td { a href={"/requests/" (r.id)} { (r.id) } }
                    td { (r.subject) } td { (r.department_name) }
                    td { (r.completed_on.as_deref().unwrap_or("")) } td { (r.completed_by_name.as_deref().unwrap_or("")) } td { (r.completion_note) }
                    td { (r.decided_by_name.as_deref().unwrap_or("")) }
                } } }
            }
        }
        h2 { "システム作業記録" }
        p.small { "システム変更等の作業は2名以上で行い、互いに確認する" (per(&access.cite(Step::SystemChangeTwoPerson))) "。" }
        @if works.is_empty() { p.small #work-records { "ありません。" } } @else {
            table #work-records {
                thead { tr { th { "番号" } th { "作業" } th { "作業日" } th { "作業者" } th { "確認者" } th { "作業内容" } } }
                tbody { @for r in &works { tr {
                    td { a href={"/requests/" (r.id)} { (r.id) } }
                    td { (r.subject) } td { (r.completed_on.as_deref().unwrap_or("")) }
                    td { (r.completed_by_name.as_deref().unwrap_or("")) } td { (r.checked_by_name.as_deref().unwrap_or("")) } td { (r.completion_note) }
                } } }
            }
        }
        h2 { "承認済みクラウドサービス" }
        p.small { "承認したクラウドサービスの記録とクラウドサービス管理者" (per(&access.cite(Step::CloudRegister))) "。" }
        @if clouds.is_empty() { p.small #cloud-register { "ありません。" } } @else {
            table #cloud-register {
                thead { tr { th { "番号" } th { "サービス" } th { "事業者・提供元" } th { "取り扱う情報" } th { "クラウドサービス管理者" } th { "承認者" } th { "承認日時" } } }
                tbody { @for r in &clouds { tr {
                    td { a href={"/requests/" (r.id)} { (r.id) } }
                    td { (r.subject) } td { (r.destination) }
                    td { "機密性" (r.input["object"]["classes"]["confidentiality"].as_str().unwrap_or("未分類")) }
                    td { (r.service_manager_name.as_deref().unwrap_or("")) }
                    td { (r.decided_by_name.as_deref().unwrap_or("")) }
                    td { (wareki_time(r.decided_at.as_deref().unwrap_or(&r.created_at))) }
                } } }
            }
        }
        @if let Some(rows) = &register {
            h2 { "例外措置台帳（職務の分離の例外を含む）" }
            p.small { (access.cite(Step::ExceptionsView).text) (per(&access.cite(Step::ExceptionsView))) }
            @if rows.is_empty() {
                p.small id="exception-register" { "ありません。" }
            } @else {
                table id="exception-register" {
                    thead { tr { th { "番号" } th { "種類" } th { "対象" } th { "申請者" } th { "決裁者" } th { "理由" } th { "日時" } } }
                    tbody { @for r in rows { tr {
                        td { a href={"/requests/" (r.id)} { (r.id) } }
                        td { (r.action.label_ja()) @if r.override_justification.is_some() { "（本人承認）" } }
                        td { (r.subject) }
                        td { (r.applicant_name) }
                        td { (r.decided_by_name.as_deref().unwrap_or("")) }
                        td { (r.override_justification.as_deref().unwrap_or(&r.purpose)) }
                        td { (wareki_time(r.decided_at.as_deref().unwrap_or(&r.created_at))) }
                    } } }
                }
            }
        }
    };
    Ok(page("申請・承認", Some(&access), body).into_response())
}

/// What is waiting for this person: requests to decide, and take-outs past their return
/// date (their own, and in the departments they manage).
pub struct Reminders {
    pub to_decide: Vec<Request>,
    pub overdue: Vec<Request>,
}

pub async fn reminders(state: &AppState, access: &Access) -> Result<Reminders, AppError> {
    let org = access.org_id();
    let mut to_decide: Vec<Request> = Vec::new();
    for a in &access.roles {
        for r in state
            .store
            .requests(org, &RequestFilter { approver: Some((a.role.clone(), a.department_id)), limit: 50, ..Default::default() })
            .await?
        {
            if !to_decide.iter().any(|x| x.id == r.id) {
                to_decide.push(r);
            }
        }
    }
    let today = today();
    let mut overdue = Vec::new();
    for st in [RequestStatus::Approved, RequestStatus::Permitted] {
        let mine = access.person.as_ref().map(|p| p.id);
        let managed = access.managed_departments();
        let filter = RequestFilter { action: Some("take_out".into()), status: Some(st), limit: 500, ..Default::default() };
        for r in state.store.requests(org, &filter).await? {
            let concerns = Some(r.applicant_person_id) == mine || managed.as_ref().is_none_or(|d| d.contains(&r.department_id));
            if r.overdue(&today) && concerns && can_see(access, &r) {
                overdue.push(r);
            }
        }
    }
    Ok(Reminders { to_decide, overdue })
}
