//! The committee's annual report (情報セキュリティ委員会への年次報告): training status
//! (5.2(2)⑦), self-assessment results (9.2(2)), audit findings and the progress of their
//! improvement plans (9.1(5)(7)), and the year's incidents, exceptions and violations — as a
//! printable page and as an Excel workbook, both from one set of figures.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mamori_policy::yearly::{wareki_date, FiscalYear};
use mamori_store::annual::YearCounts;
use mamori_store::audits::{severity_label, Audit, Finding, Plan, SEVERITIES};
use maud::html;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::auth::Access;
use crate::error::AppError;
use crate::routes::assessment::{tallies, Tally};
use crate::routes::audits::plan_status;
use crate::routes::training::rollup;
use crate::routes::yearly::{standings, today, year_nav, YearQuery};
use crate::views::per;
use crate::AppState;
use mamori_policy::workflow::Step;

/// Every figure of the report.
pub struct AnnualReport {
    pub year: FiscalYear,
    /// The day the training and overdue figures are judged on: today, or the year's last
    /// day for a past year.
    pub as_of: NaiveDate,
    pub org_name: String,
    pub training_sessions: usize,
    pub drills: Vec<(String, String, String)>,
    pub staff: usize,
    pub trained: usize,
    pub out_of_compliance: usize,
    /// (department, staff, trained, out of compliance)
    pub training_by_department: Vec<(String, usize, usize, usize)>,
    pub assessment: Option<Assessment>,
    pub audits: Vec<(Audit, usize)>,
    pub findings: Vec<Finding>,
    pub plans: Vec<Plan>,
    pub counts: YearCounts,
}

pub struct Assessment {
    pub total: Tally,
    pub by_department: Vec<(String, Tally)>,
    pub by_chapter: Vec<(String, Tally)>,
}

impl AnnualReport {
    pub fn plans_closed(&self) -> usize {
        self.plans.iter().filter(|p| p.status == mamori_policy::workflow::PlanStatus::Closed).count()
    }

    pub fn plans_overdue(&self) -> usize {
        let day = self.as_of.to_string();
        self.plans.iter().filter(|p| p.overdue_on(&day)).count()
    }

    pub fn findings_of(&self, severity: &str) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// The summary rows (label, value) the page and the workbook's first sheet share.
    pub fn summary(&self) -> Vec<(&'static str, String)> {
        let a = self.assessment.as_ref().map(|a| a.total).unwrap_or_default();
        vec![
            ("研修の実施回数", self.training_sessions.to_string()),
            ("緊急時対応訓練の実施回数", self.drills.len().to_string()),
            ("研修対象の職員等", self.staff.to_string()),
            ("今年度の受講者", self.trained.to_string()),
            ("受講義務の未達者", self.out_of_compliance.to_string()),
            ("自己点検の項目", a.total().to_string()),
            ("自己点検: 実施", a.done.to_string()),
            ("自己点検: 一部実施", a.partly.to_string()),
            ("自己点検: 未実施", a.not_done.to_string()),
            ("自己点検: 該当なし", a.not_applicable.to_string()),
            ("自己点検: 未回答", a.unanswered.to_string()),
            ("監査の件数", self.audits.len().to_string()),
            ("監査の指摘事項", self.findings.len().to_string()),
            ("改善計画", self.plans.len().to_string()),
            ("改善計画: 完了", self.plans_closed().to_string()),
            ("改善計画: 期限超過", self.plans_overdue().to_string()),
            ("インシデント報告", self.counts.incidents.to_string()),
            ("うちインシデントと判断", self.counts.incidents_confirmed.to_string()),
            ("例外措置の申請", self.counts.exceptions.to_string()),
            ("違反の記録", self.counts.violations.to_string()),
        ]
    }
}

pub async fn build(state: &AppState, access: &Access, year: FiscalYear) -> Result<AnnualReport, AppError> {
    let org = access.org_id();
    let store = &state.store;
    let as_of = today().min(year.last_day());
    let name = |id: i64| access.department_name(id);
    let all = standings(state, org, as_of).await?;
    let sessions = store.training_sessions(org, year).await?;
    let held: Vec<_> = sessions.iter().filter(|s| s.held_on.as_str() <= as_of.to_string().as_str()).collect();
    let assessment = match store.campaign(org, year).await? {
        Some(c) => {
            let items = store.assessment_items(org, c.id).await?;
            let mut total = Tally::default();
            for i in &items {
                total.add(i.answer.as_deref());
            }
            let (by_department, by_chapter) = tallies(&items);
            Some(Assessment {
                total,
                by_department: by_department
                    .into_iter()
                    .map(|(d, t)| (d.map(name).unwrap_or_else(|| "全庁（役割ごとの項目）".into()), t))
                    .collect(),
                by_chapter: by_chapter.into_iter().collect(),
            })
        }
        None => None,
    };
    let findings = store.findings(org, None, Some(year)).await?;
    let audits = store.audits(org, Some(year)).await?.into_iter().map(|a| {
        let n = findings.iter().filter(|f| f.audit_id == a.id).count();
        (a, n)
    });
    Ok(AnnualReport {
        year,
        as_of,
        org_name: store.organization(org).await?.name,
        training_sessions: held.iter().filter(|s| s.kind == "training").count(),
        drills: held.iter().filter(|s| s.kind == "drill").map(|s| (s.held_on.clone(), s.title.clone(), s.result.clone())).collect(),
        staff: all.len(),
        trained: all.iter().filter(|s| s.trained_in(year)).count(),
        out_of_compliance: all.iter().filter(|s| s.out_of_compliance()).count(),
        training_by_department: rollup(&all, year).into_iter().map(|(d, n, t, o)| (name(d), n, t, o)).collect(),
        assessment,
        audits: audits.collect(),
        findings,
        plans: store.plans(org, Some(year)).await?,
        counts: store.year_counts(org, year).await?,
    })
}

fn rate(t: &Tally) -> String {
    t.rate().map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
}

pub async fn page(State(state): State<AppState>, access: Access, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    access.require(Step::ReportsView)?;
    let year = q.year();
    let r = build(&state, &access, year).await?;
    let day = r.as_of.to_string();
    let body = html! {
        (year_nav("/reports/annual", year))
        p.noprint { a href={"/reports/annual.xlsx?fy=" (year.0)} id="xlsx-link" { "Excel でダウンロード" } }
        p { (year.label_ja()) "の情報セキュリティ対策の実施状況を報告します（" (wareki_date(r.as_of)) "現在）。" }
        h2 { "概要" }
        table.report #annual-summary { tbody { @for (k, v) in r.summary() { tr { th { (k) } td { (v) } } } } }
        h2 { "1 研修・訓練" (per(&access.cite(Step::TrainingReportToCiso))) }
        table.report #annual-training {
            thead { tr { th { "課局等" } th { "職員等" } th { "受講済み" } th { "未達" } } }
            tbody { @for (d, n, t, o) in &r.training_by_department { tr { td { (d) } td { (n) } td { (t) } td { (o) } } } }
        }
        @if !r.drills.is_empty() {
            h3 { "緊急時対応訓練" }
            ul { @for (on, title, result) in &r.drills { li { (crate::views::fmt::date_ja(on)) " " (title) @if !result.is_empty() { " — " (result) } } } }
        }
        h2 { "2 自己点検" (per(&access.cite(Step::AssessmentViewAll))) }
        @match &r.assessment {
            None => { p { "この年度の自己点検は実施されていません。" } }
            Some(a) => {
                table.report #annual-assessment {
                    (crate::routes::assessment::tally_head("課局等"))
                    tbody { @for (d, t) in &a.by_department { tr { td { (d) } td { (t.total()) } td { (t.done) } td { (t.partly) } td { (t.not_done) } td { (t.not_applicable) } td { (t.unanswered) } td { (rate(t)) } } } }
                }
                h3 { "章ごと" }
                table.report {
                    (crate::routes::assessment::tally_head("章"))
                    tbody { @for (c, t) in &a.by_chapter { tr { td { (c) } td { (t.total()) } td { (t.done) } td { (t.partly) } td { (t.not_done) } td { (t.not_applicable) } td { (t.unanswered) } td { (rate(t)) } } } }
                }
            }
        }
        h2 { "3 監査と改善計画" (per(&access.cite(Step::AuditView))) }
        @if r.audits.is_empty() { p { "この年度の監査はありません。" } } @else {
            ul { @for (a, n) in &r.audits { li { (a.title) "（" (crate::views::fmt::date_ja(&a.starts_on)) "〜" (crate::views::fmt::date_ja(&a.ends_on)) "、" (a.status.label_ja()) "、指摘 " (n) " 件）" } } }
        }
        p { "指摘事項: " @for (c, l) in SEVERITIES { (l) " " (r.findings_of(c)) " 件　" } }
        @if !r.plans.is_empty() {
            table.report #annual-plans {
                thead { tr { th { "番号" } th { "課局" } th { "内容" } th { "期限" } th { "状態" } } }
                tbody { (crate::routes::audits::plan_rows(&r.plans, &day)) }
            }
        }
        h2 { "4 インシデント・例外措置・違反" }
        table.report #annual-incidents {
            thead { tr { th { "レベル" } th { "件数" } } }
            tbody { @for (l, n) in &r.counts.incidents_by_level { tr { td { (level_text(*l)) } td { (n) } } } }
        }
        p { "例外措置の申請 " (r.counts.exceptions) " 件、違反の記録 " (r.counts.violations) " 件。" }
    };
    Ok(crate::routes::incidents::print_shell(&format!("{}　情報セキュリティ対策実施状況報告", year.label_ja()), &r.org_name, body))
}

fn level_text(l: Option<i64>) -> String {
    l.map(|l| format!("レベル{l}")).unwrap_or_else(|| "未判断".into())
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(format!("Excel の作成に失敗しました: {e}"))
}

fn header(sheet: &mut Worksheet, row: u32, cells: &[&str], bold: &Format) -> Result<(), AppError> {
    for (c, text) in cells.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *text, bold).map_err(xlsx_error)?;
    }
    Ok(())
}

fn tally_row(sheet: &mut Worksheet, row: u32, label: &str, t: &Tally) -> Result<(), AppError> {
    sheet.write_string(row, 0, label).map_err(xlsx_error)?;
    for (c, n) in [t.total(), t.done, t.partly, t.not_done, t.not_applicable, t.unanswered].into_iter().enumerate() {
        sheet.write_number(row, c as u16 + 1, n as f64).map_err(xlsx_error)?;
    }
    if let Some(r) = t.rate() {
        sheet.write_number(row, 7, (r * 10.0).round() / 10.0).map_err(xlsx_error)?;
    }
    Ok(())
}

/// The workbook: 概要, 研修, 自己点検, 自己点検（章別）, 監査・改善計画, インシデント等. Cells are
/// written as strings or numbers — never formulas — so text from the database cannot run.
pub fn workbook(r: &AnnualReport) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = format!("{} {} 情報セキュリティ対策実施状況報告（{}現在）", r.org_name, r.year.label_ja(), wareki_date(r.as_of));
    {
        let s = book.add_worksheet().set_name("概要").map_err(xlsx_error)?;
        s.write_string_with_format(0, 0, &title, &bold).map_err(xlsx_error)?;
        header(s, 2, &["項目", "値"], &bold)?;
        for (i, (k, v)) in r.summary().into_iter().enumerate() {
            let row = 3 + i as u32;
            s.write_string(row, 0, k).map_err(xlsx_error)?;
            match v.parse::<f64>() {
                Ok(n) => s.write_number(row, 1, n).map_err(xlsx_error)?,
                Err(_) => s.write_string(row, 1, &v).map_err(xlsx_error)?,
            };
        }
        s.set_column_width(0, 28).map_err(xlsx_error)?;
    }
    {
        let s = book.add_worksheet().set_name("研修").map_err(xlsx_error)?;
        header(s, 0, &["課局等", "職員等", "受講済み", "未達"], &bold)?;
        for (i, (d, n, t, o)) in r.training_by_department.iter().enumerate() {
            let row = 1 + i as u32;
            s.write_string(row, 0, d).map_err(xlsx_error)?;
            s.write_number(row, 1, *n as f64).map_err(xlsx_error)?;
            s.write_number(row, 2, *t as f64).map_err(xlsx_error)?;
            s.write_number(row, 3, *o as f64).map_err(xlsx_error)?;
        }
        s.set_column_width(0, 24).map_err(xlsx_error)?;
    }
    let cols = ["区分", "項目", "実施", "一部実施", "未実施", "該当なし", "未回答", "実施率(%)"];
    {
        let s = book.add_worksheet().set_name("自己点検").map_err(xlsx_error)?;
        header(s, 0, &cols, &bold)?;
        if let Some(a) = &r.assessment {
            for (i, (d, t)) in a.by_department.iter().enumerate() {
                tally_row(s, 1 + i as u32, d, t)?;
            }
        }
        s.set_column_width(0, 24).map_err(xlsx_error)?;
    }
    {
        let s = book.add_worksheet().set_name("自己点検（章別）").map_err(xlsx_error)?;
        header(s, 0, &cols, &bold)?;
        if let Some(a) = &r.assessment {
            for (i, (c, t)) in a.by_chapter.iter().enumerate() {
                tally_row(s, 1 + i as u32, c, t)?;
            }
        }
    }
    {
        let s = book.add_worksheet().set_name("監査・改善計画").map_err(xlsx_error)?;
        header(s, 0, &["指摘番号", "監査", "課局", "条項", "指摘", "重要度", "改善計画", "期限", "状態"], &bold)?;
        let day = r.as_of.to_string();
        for (i, f) in r.findings.iter().enumerate() {
            let row = 1 + i as u32;
            s.write_number(row, 0, f.id as f64).map_err(xlsx_error)?;
            s.write_string(row, 1, &f.audit_title).map_err(xlsx_error)?;
            s.write_string(row, 2, &f.department_name).map_err(xlsx_error)?;
            s.write_string(row, 3, &f.clause).map_err(xlsx_error)?;
            s.write_string(row, 4, &f.description).map_err(xlsx_error)?;
            s.write_string(row, 5, severity_label(&f.severity)).map_err(xlsx_error)?;
            if let Some(p) = r.plans.iter().find(|p| p.finding_id == Some(f.id)) {
                s.write_string(row, 6, &p.description).map_err(xlsx_error)?;
                s.write_string(row, 7, &p.due_on).map_err(xlsx_error)?;
                s.write_string(row, 8, plan_status(p, &day)).map_err(xlsx_error)?;
            }
        }
    }
    {
        let s = book.add_worksheet().set_name("インシデント等").map_err(xlsx_error)?;
        header(s, 0, &["区分", "件数"], &bold)?;
        let mut row = 1;
        for (l, n) in &r.counts.incidents_by_level {
            s.write_string(row, 0, format!("インシデント報告 {}", level_text(*l))).map_err(xlsx_error)?;
            s.write_number(row, 1, *n as f64).map_err(xlsx_error)?;
            row += 1;
        }
        for (label, n) in [("例外措置の申請", r.counts.exceptions), ("違反の記録", r.counts.violations)] {
            s.write_string(row, 0, label).map_err(xlsx_error)?;
            s.write_number(row, 1, n as f64).map_err(xlsx_error)?;
            row += 1;
        }
    }
    book.save_to_buffer().map_err(xlsx_error)
}

pub async fn xlsx(State(state): State<AppState>, access: Access, Query(q): Query<YearQuery>) -> Result<Response, AppError> {
    access.require(Step::ReportsView)?;
    let year = q.year();
    let r = build(&state, &access, year).await?;
    let bytes = workbook(&r)?;
    let name = format!("annual-report-{}.xlsx", year.0);
    let headers = [
        (axum::http::header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
        (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ];
    Ok((headers, bytes).into_response())
}
