//! The 緊急時対応計画: the contact network from the current role assignments, what to
//! report, the first measures and the external reports; and absences, so that the deputy
//! is told.

use super::*;

/// The 緊急時対応計画 (the profile's `emergency_plan`): the contact network from the current role
/// assignments, what to report, the first measures and the external reports.
pub async fn emergency_plan(State(state): State<AppState>, access: Access) -> Result<Response, AppError> {
    let org = state.store.organization(access.org_id()).await?;
    let p = &access.profile;
    let assignments = state.store.role_assignments(access.org_id()).await?;
    let people: std::collections::HashMap<i64, mamori_store::org::Person> =
        state.store.people(access.org_id(), None, 100_000, 0).await?.into_iter().map(|x| (x.id, x)).collect();
    let absent = state.store.absences(access.org_id(), &today().to_string(), true).await?;
    // The roles a report can reach: the level table's, the contact point, and whom they
    // report to or are deputised by, transitively.
    let mut routed: Vec<String> = p.incident_levels.iter().flat_map(|l| l.report_to.iter().map(|r| r.get_ref().to_string())).collect();
    if let Some(ir) = &p.incident_response {
        routed.extend(ir.contact_point.iter().map(|r| r.get_ref().to_string()));
    }
    let mut k = 0;
    while k < routed.len() {
        if let Some(role) = p.role(&routed[k]) {
            for next in [&role.reports_to, &role.deputy].into_iter().flatten() {
                if !routed.iter().any(|x| x == next.get_ref().as_str()) {
                    routed.push(next.get_ref().to_string());
                }
            }
        }
        k += 1;
    }
    let body = html! {
        p.small { "現在の役割の割当てから自動で作成しています（" (wareki_date(today())) "時点）。割当てを変えると、この計画も変わります。" }
        h2 { "1. 関係者の連絡先（緊急連絡網）" }
        table.report id="contact-network" {
            thead { tr { th { "役割" } th { "課局等" } th { "氏名" } th { "連絡先" } th { "代理" } } }
            tbody {
                @for role in &p.roles {
                    @let holders: Vec<&mamori_store::org::RoleAssignment> = assignments.iter().filter(|a| a.role == role.id.as_str()).collect();
                    @if routed.iter().any(|r| r == role.id.as_str()) {
                        @for a in &holders { tr {
                            td { (role.name) }
                            td { @if role.scope == RoleScope::Department { (a.department_id.map(|d| access.department_name(d)).unwrap_or_default()) } }
                            td { (a.person_name) }
                            td { (people.get(&a.person_id).map(|x| x.email.clone()).unwrap_or_default()) }
                            td { @if a.is_deputy { "代理" } @else if let Some(d) = &role.deputy { "不在時: " (role_name(p, d.get_ref().as_str())) } }
                        } }
                    }
                }
            }
        }
        @if !absent.is_empty() {
            p id="absences" { "不在（この期間は代理に通知します）: " @for a in &absent { (a.person_name) "（" (a.starts_on) "〜" (a.ends_on) @if !a.note.is_empty() { "、" (a.note) } "） " } }
        }
        @if let Some(me) = &access.person {
            form.inline.noprint method="post" action="/absences" id="absence-form" {
                (csrf_field(&access.session.csrf_token))
                @if access.may(Step::AbsenceRegister) {
                    label { "職員"
                        select name="person_id" {
                            @for x in people.values().filter(|x| x.active) { option value=(x.id) selected[x.id == me.id] { (x.name) "（" (x.staff_no) "）" } }
                        }
                    }
                } @else { input type="hidden" name="person_id" value=(me.id); }
                label { "不在の開始日" input type="date" name="starts_on" required; }
                label { "終了日" input type="date" name="ends_on" required; }
                label { "理由（任意）" input type="text" name="note" maxlength="100"; }
                button type="submit" { "不在を登録" }
            }
        }
        h2 { "2. 報告先（被害・影響のレベル別）" }
        table.report id="level-table" {
            thead { tr { th { "レベル" } th { "判断基準" } th { "報告先" } } }
            tbody { @for l in &p.incident_levels { tr {
                td { (l.name) } td { (l.criteria) }
                td { @for (k, r) in l.report_to.iter().enumerate() { @if k > 0 { "、" } (role_name(p, r.get_ref().as_str())) } }
            } } }
        }
        @if let Some(ir) = &p.incident_response {
            p { "すべての報告は統一的な窓口（"
                @for (k, r) in ir.contact_point.iter().enumerate() { @if k > 0 { "、" } (role_name(p, r.get_ref().as_str())) }
                "）にも届きます。" (ir.acknowledge_within_minutes.get_ref()) "分以内に確認されない通知は、上位の役割に通知します（" (cite_clause(&ir.clause.get_ref().to_string())) "）。" }
        }
        h2 { "3. 報告すべき事項" }
        ul { li { "何が起きたか、いつ（発生・発見の日時）、どこで" } li { "対象の情報資産・情報システム" } li { "個人情報・特定個人情報が含まれるか、本人の数" } li { "被害・影響の範囲（課内・全庁・住民や企業）" } li { "すでに行った措置" } }
        h2 { "4. 発生した事案への対応措置（初動）" }
        ol {
            li { "被害の拡大を防ぐ: 感染・不正アクセスが疑われる端末はネットワークから切り離す（電源は切らない）。" }
            li { "証拠を保全する: 画面・ログ・媒体をそのまま残し、操作を記録する" (per(&access.cite(Step::IncidentEvidence))) "。" }
            li { "上の報告先と統一的な窓口に直ちに報告し、" (access.workflow.who_ja(Step::IncidentDirect)) "の指示に従う" (per(&access.cite(Step::IncidentDirect))) "。" }
        }
        h2 { "5. 外部への報告（事実に応じて）" }
        table.report id="external-table" {
            thead { tr { th { "報告先" } th { "種類" } th { "期限" } th { "根拠" } } }
            tbody { @for r in &p.external_reports { tr {
                td { (r.addressee) } td { (r.kind) } td { (r.deadline_note) } td { @if let Some(l) = &r.law { (l) " " } (cite_clause(&r.clause.get_ref().to_string())) }
            } } }
        }
        h2 { "6. 再発防止措置の策定" }
        p {
            (access.workflow.who_ja(Step::IncidentRecord)) "が原因を究明して再発防止策を検討し" (per(&access.cite(Step::IncidentRecord))) "、"
            (access.workflow.who_ja(Step::IncidentInstruct)) "が必要な措置を指示する" (per(&access.cite(Step::IncidentInstruct))) "。mamori では各報告の「指示・対策」で完了まで追跡します。"
        }
        p.small { "根拠: " (cite(&access.cite(Step::EmergencyPlan))) "（緊急時対応計画に盛り込むべき内容）。" }
    };
    Ok(print_shell("緊急時対応計画", &org.name, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct AbsenceForm {
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub person_id: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub note: String,
}

/// Records an absence: one's own, or anyone's by an administrator.
pub async fn add_absence(State(state): State<AppState>, access: Access, Form(f): Form<AbsenceForm>) -> Result<Response, AppError> {
    let me = person_of(&access, "不在を登録")?;
    let person_id = f.person_id.trim().parse::<i64>().map_err(|_| AppError::BadRequest("職員を選んでください".into()))?;
    if person_id != me.id {
        access.require(Step::AbsenceRegister)?;
    }
    let mut problems = Vec::new();
    let starts = parse_date("不在の開始日", &f.starts_on, &mut problems);
    let ends = parse_date("終了日", &f.ends_on, &mut problems);
    let (Some(starts), Some(ends)) = (starts, ends) else {
        if problems.is_empty() {
            problems.push("不在の開始日と終了日を入力してください".into());
        }
        return Err(AppError::BadRequest(problems.join(" ")));
    };
    if f.note.chars().count() > 100 {
        return Err(AppError::BadRequest("理由は100字以内で入力してください".into()));
    }
    state.store.add_absence(access.org_id(), person_id, &starts, &ends, &f.note, &access.actor()).await?;
    Ok(Redirect::to("/emergency-plan").into_response())
}
