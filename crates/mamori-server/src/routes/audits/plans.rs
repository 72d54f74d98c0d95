//! The year's audits and drawing up an audit plan.

use super::*;

// The list of audits

pub(super) async fn list_page(
    state: &AppState,
    access: &Access,
    q: &YearQuery,
    error: Option<&str>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let year = q.year();
    let mut audits = state.store.audits(access.org_id(), Some(year)).await?;
    if !access.may(Step::AuditView) {
        let mine = match &access.person {
            Some(p) => state.store.audits_of_auditor(access.org_id(), p.id).await?,
            None => Vec::new(),
        };
        audits.retain(|a| mine.contains(&a.id));
    }
    let body = html! {
        @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
        (year_nav("/audits", year))
        p.small { "ネットワーク及び情報システム等の情報セキュリティ対策状況について、毎年度、被監査課局から独立した者に監査を行わせます" (per(&access.cite(Step::AuditPlan))) "。" }
        @if audits.is_empty() { p #audits { "この年度の監査はありません。" } } @else {
            table #audits {
                thead { tr { th { "監査" } th { "期間" } th { "範囲" } th { "状態" } } }
                tbody { @for a in &audits { tr {
                    td { a href={"/audits/" (a.id)} { (a.title) } }
                    td { (date_ja(&a.starts_on)) " 〜 " (date_ja(&a.ends_on)) }
                    td { (if a.scope.is_empty() { "全章" } else { &a.scope }) }
                    td { (a.status.label_ja()) }
                } } }
            }
        }
        @if access.may(Step::AuditPlan) {
            h2 { "監査実施計画を立てる" }
            form.stack method="post" action="/audits" id="audit-form" {
                (csrf_field(&access.session.csrf_token))
                input type="hidden" name="fy" value=(year.0);
                label { "名称" input type="text" name="title" maxlength="200" required; }
                label { "範囲（章をカンマ区切りで。例: " (chapters_example(access)) "。空欄なら全章）" input type="text" name="scope" maxlength="1000"; }
                label { "開始日" input type="date" name="starts_on" required; }
                label { "終了日" input type="date" name="ends_on" required; }
                button type="submit" { "計画を作成（承認を依頼）" }
            }
        }
    };
    Ok((code, page("監査", Some(access), body)).into_response())
}

pub async fn list(State(state): State<AppState>, access: Access, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    list_page(&state, &access, &q, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    pub fy: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
}

pub async fn create(State(state): State<AppState>, access: Access, Form(f): Form<AuditForm>) -> Result<Response, AppError> {
    let r = async {
        access.require(Step::AuditPlan)?;
        let mut problems = Vec::new();
        let starts = parse_day("開始日", &f.starts_on, &mut problems);
        let ends = parse_day("終了日", &f.ends_on, &mut problems);
        let (Some(starts_on), Some(ends_on)) = (starts, ends) else { return Err(AppError::BadRequest(problems.join("。"))) };
        let year = f.fy.trim().parse::<i32>().map(FiscalYear).unwrap_or_else(|_| FiscalYear::of(starts_on));
        let a = NewAudit { fiscal_year: year, title: f.title.clone(), scope: f.scope.clone(), starts_on, ends_on };
        Ok(state.store.create_audit(access.org_id(), &a, access.person.as_ref().map(|p| p.id), &access.actor()).await?)
    }
    .await;
    match r {
        Ok(a) => Ok(Redirect::to(&format!("/audits/{}", a.id)).into_response()),
        Err(e) if e.is_shown_on_form() => {
            list_page(
                &state,
                &access,
                &YearQuery { fy: Some(f.fy.clone()), ..Default::default() },
                Some(&e.message_ja()),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
