//! The information system register (情報システム台帳).

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_store::assets::{AssetFilter, Classes};
use mamori_store::systems::{System, SystemFields};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::routes::assets::{class_badges, restrictions_table, zone_input, AXES};
use crate::views::fmt::{action_label, wareki_time};
use crate::views::layout::{csrf_field, page};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct SystemInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    manager_person_id: String,
    #[serde(default)]
    operator_person_id: String,
    requires_mfa: Option<String>,
    backup: Option<String>,
    redundancy: Option<String>,
    #[serde(default)]
    log_retention_days: String,
    #[serde(default)]
    cloud_services: String,
    #[serde(default)]
    contractors: String,
    #[serde(default)]
    documents: String,
}

impl SystemInput {
    fn from_system(s: &System) -> Self {
        let f = &s.fields;
        Self {
            name: f.name.clone(),
            description: f.description.clone(),
            zone: f.zone.clone().unwrap_or_default(),
            department_id: f.department_id.to_string(),
            manager_person_id: f.manager_person_id.map(|i| i.to_string()).unwrap_or_default(),
            operator_person_id: f.operator_person_id.map(|i| i.to_string()).unwrap_or_default(),
            requires_mfa: f.requires_mfa.then(|| "on".into()),
            backup: f.backup.then(|| "on".into()),
            redundancy: f.redundancy.then(|| "on".into()),
            log_retention_days: f.log_retention_days.map(|d| d.to_string()).unwrap_or_default(),
            cloud_services: f.cloud_services.clone(),
            contractors: f.contractors.clone(),
            documents: f.documents.clone(),
        }
    }

    fn validate(&self, access: &Access) -> Result<SystemFields, Vec<String>> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push("システム名を入力してください。".to_owned());
        }
        let department_id = self.department_id.trim().parse::<i64>().ok().filter(|id| access.departments.iter().any(|d| d.id == *id));
        if department_id.is_none() {
            problems.push("担当課を選んでください。".to_owned());
        }
        if let Some(d) = department_id {
            if !access.can_manage_department(d) {
                problems.push("この課の情報システムを登録・変更する権限がありません。".to_owned());
            }
        }
        let zone = zone_input(access, &self.zone, &mut problems);
        let person = |s: &str, label: &str, problems: &mut Vec<String>| match s.trim() {
            "" => None,
            v => v.parse::<i64>().ok().or_else(|| {
                problems.push(format!("{label}の指定が正しくありません。"));
                None
            }),
        };
        let manager = person(&self.manager_person_id, "情報システム管理者", &mut problems);
        let operator = person(&self.operator_person_id, "情報システム担当者", &mut problems);
        let log_retention_days = match self.log_retention_days.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(d) if (0..=36500).contains(&d) => Some(d),
                _ => {
                    problems.push("ログ保存日数は0以上の日数で入力してください。".to_owned());
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SystemFields {
            name: self.name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            zone,
            department_id: department_id.unwrap_or_default(),
            manager_person_id: manager,
            operator_person_id: operator,
            requires_mfa: self.requires_mfa.is_some(),
            backup: self.backup.is_some(),
            redundancy: self.redundancy.is_some(),
            log_retention_days,
            cloud_services: self.cloud_services.trim().to_owned(),
            contractors: self.contractors.trim().to_owned(),
            documents: self.documents.trim().to_owned(),
        })
    }
}

async fn check_people(state: &AppState, access: &Access, f: &SystemFields) -> Result<(), AppError> {
    for id in [f.manager_person_id, f.operator_person_id].into_iter().flatten() {
        state.store.person(access.org_id(), id).await.map_err(|_| AppError::BadRequest("指定された職員が見つかりません".into()))?;
    }
    Ok(())
}

fn system_form(access: &Access, action: &str, input: &SystemInput, problems: &[String], people: &[mamori_store::org::Person]) -> Markup {
    let departments: Vec<_> = access.departments.iter().filter(|d| access.can_manage_department(d.id)).collect();
    html! {
        @if !problems.is_empty() {
            div.error role="alert" { p { "入力内容を確認してください。登録・変更はまだ行われていません。" } ul { @for p in problems { li { (p) } } } }
        }
        form.stack method="post" action=(action) {
            (csrf_field(&access.session.csrf_token))
            label for="name" { "システム名" }
            input #name type="text" name="name" value=(input.name) required;
            label for="description" { "概要" }
            textarea #description name="description" rows="3" { (input.description) }
            label for="department_id" { "担当課" }
            select #department_id name="department_id" {
                option value="" { "選んでください" }
                @for d in &departments { option value=(d.id) selected[input.department_id == d.id.to_string()] { (d.name) } }
            }
            label for="zone" { "領域" }
            select #zone name="zone" {
                option value="" { "—" }
                @for z in &access.profile.zones { option value=(z.id) selected[input.zone == z.id.as_str()] { (z.name) } }
            }
            label for="manager_person_id" { "情報システム管理者" }
            select #manager_person_id name="manager_person_id" {
                option value="" { "—" }
                @for p in people { option value=(p.id) selected[input.manager_person_id == p.id.to_string()] { (p.name) " (" (p.staff_no) ")" } }
            }
            label for="operator_person_id" { "情報システム担当者" }
            select #operator_person_id name="operator_person_id" {
                option value="" { "—" }
                @for p in people { option value=(p.id) selected[input.operator_person_id == p.id.to_string()] { (p.name) " (" (p.staff_no) ")" } }
            }
            h2 { "セキュリティ要件" }
            label { input type="checkbox" name="requires_mfa" checked[input.requires_mfa.is_some()]; " 多要素認証" }
            label { input type="checkbox" name="backup" checked[input.backup.is_some()]; " バックアップ" }
            label { input type="checkbox" name="redundancy" checked[input.redundancy.is_some()]; " 冗長化" }
            label for="log_retention_days" { "ログ保存日数" }
            input #log_retention_days type="number" name="log_retention_days" min="0" value=(input.log_retention_days);
            label for="cloud_services" { "利用するクラウドサービス（1行に1つ）" }
            textarea #cloud_services name="cloud_services" rows="2" { (input.cloud_services) }
            label for="contractors" { "委託事業者（1行に1つ）" }
            textarea #contractors name="contractors" rows="2" { (input.contractors) }
            label for="documents" { "関連文書（仕様書、ネットワーク構成図など。1行に1つ）" }
            textarea #documents name="documents" rows="2" { (input.documents) }
            p { button type="submit" { "保存する" } }
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

fn visible(access: &Access, s: &System) -> bool {
    access.can_see_department(s.fields.department_id)
}

pub async fn list(State(state): State<AppState>, access: Access, Query(q): Query<ListQuery>) -> Result<impl IntoResponse, AppError> {
    let systems: Vec<System> =
        state.store.systems(access.org_id(), None, Some(q.q.trim())).await?.into_iter().filter(|s| visible(&access, s)).collect();
    Ok(page(
        "情報システム台帳",
        Some(&access),
        html! {
            form.inline.noprint method="get" action="/systems" {
                label { "検索" input type="text" name="q" value=(q.q); }
                button type="submit" { "検索" }
            }
            @if access.managed_departments().is_none_or(|d| !d.is_empty()) { p.noprint { a.button href="/systems/new" { "情報システムを登録する" } } }
            table #systems {
                thead { tr { th { "システム名" } th { "担当課" } th { "領域" } th { "情報システム管理者" } th { "多要素認証" } th { "バックアップ" } th { "資産数" } } }
                tbody { @for s in &systems { tr {
                    td { a href={ "/systems/" (s.id) } { (s.fields.name) } }
                    td { (s.department_name) }
                    td { (s.fields.zone.as_deref().and_then(|z| access.profile.zone(z)).map(|z| z.name.as_str()).unwrap_or("—")) }
                    td { (s.manager_name.as_deref().unwrap_or("—")) }
                    td { @if s.fields.requires_mfa { "あり" } @else { "なし" } }
                    td { @if s.fields.backup { "あり" } @else { "なし" } }
                    td { (s.asset_count) }
                } } }
            }
        },
    ))
}

pub async fn new_form(State(state): State<AppState>, access: Access) -> Result<impl IntoResponse, AppError> {
    let people = state.store.people(access.org_id(), None, 5000, 0).await?;
    Ok(page("情報システムの登録", Some(&access), system_form(&access, "/systems", &SystemInput::default(), &[], &people)))
}

pub async fn create(State(state): State<AppState>, access: Access, Form(input): Form<SystemInput>) -> Result<Response, AppError> {
    match input.validate(&access) {
        Ok(fields) => {
            check_people(&state, &access, &fields).await?;
            let s = state.store.create_system(access.org_id(), &fields, &access.actor()).await?;
            Ok(Redirect::to(&format!("/systems/{}", s.id)).into_response())
        }
        Err(problems) => {
            let people = state.store.people(access.org_id(), None, 5000, 0).await?;
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                page("情報システムの登録", Some(&access), system_form(&access, "/systems", &input, &problems, &people)),
            )
                .into_response())
        }
    }
}

/// A system's highest class on each axis follows from the assets it holds.
fn highest_classes(access: &Access, held: &[Classes]) -> Classes {
    let mut out = Classes::default();
    for c in held {
        for ((axis, _), (slot, v)) in AXES.iter().zip([
            (&mut out.confidentiality, &c.confidentiality),
            (&mut out.integrity, &c.integrity),
            (&mut out.availability, &c.availability),
        ]) {
            if let (Some(v), Some(a)) = (v, access.profile.axis(axis)) {
                *slot = Some(match slot.as_deref() {
                    Some(cur) => a.stricter(cur, v).to_owned(),
                    None => v.clone(),
                });
            }
        }
    }
    out
}

pub async fn show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<impl IntoResponse, AppError> {
    let s = state.store.system(access.org_id(), id).await?;
    if !visible(&access, &s) {
        return Err(AppError::NotFound);
    }
    let held = state.store.system_asset_classes(access.org_id(), id).await?;
    let highest = highest_classes(&access, &held);
    let assets = state
        .store
        .assets(
            access.org_id(),
            &AssetFilter { visible_departments: access.visible_departments(), system_id: Some(id), limit: 100, ..Default::default() },
        )
        .await?;
    let events = state.store.events(access.org_id(), Some(("system", &id.to_string())), 50).await?;
    let f = &s.fields;
    let lines = |t: &str| t.lines().map(str::to_owned).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>();
    Ok(page(
        &f.name.clone(),
        Some(&access),
        html! {
            dl.facts #system {
                dt { "担当課" } dd { (s.department_name) }
                dt { "領域" } dd { (f.zone.as_deref().and_then(|z| access.profile.zone(z)).map(|z| z.name.as_str()).unwrap_or("—")) }
                dt { "情報システム管理者" } dd { (s.manager_name.as_deref().unwrap_or("—")) }
                dt { "情報システム担当者" } dd { (s.operator_name.as_deref().unwrap_or("—")) }
                dt { "最高分類（保有資産から）" } dd #highest { (class_badges(&access.profile, &highest)) }
                dt { "多要素認証" } dd { @if f.requires_mfa { "あり" } @else { "なし" } }
                dt { "バックアップ" } dd { @if f.backup { "あり" } @else { "なし" } }
                dt { "冗長化" } dd { @if f.redundancy { "あり" } @else { "なし" } }
                dt { "ログ保存" } dd { @if let Some(d) = f.log_retention_days { (d) "日" } @else { "—" } }
                dt { "クラウドサービス" } dd { (lines(&f.cloud_services).join("、")) }
                dt { "委託事業者" } dd { (lines(&f.contractors).join("、")) }
                dt { "関連文書" } dd { (lines(&f.documents).join("、")) }
                dt { "概要" } dd { (f.description) }
                dt { "更新" } dd { (wareki_time(&s.updated_at)) }
            }
            @if f.zone.as_deref().and_then(|z| access.profile.zone(z)).is_some_and(|z| z.requires_mfa) && !f.requires_mfa {
                p.warn { "この領域の端末・システムには多要素認証が必要です。" }
            }
            @if access.can_manage_department(f.department_id) { p.noprint { a.button href={ "/systems/" (id) "/edit" } { "編集する" } } }
            h2 { "最高分類に応じた取扱制限" }
            (restrictions_table(&access.profile, &highest))
            h2 { "保有する情報資産" }
            ul { @for a in &assets { li { a href={ "/assets/" (a.id) } { (a.fields.name) } " " (class_badges(&access.profile, &a.classes)) } } }
            h2 { "変更記録" }
            table { tbody { @for e in &events { tr { td { (e.seq) } td { (wareki_time(&e.at)) } td { (action_label(&e.action)) } td { (e.actor) } } } } }
        },
    ))
}

pub async fn edit_form(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<impl IntoResponse, AppError> {
    let s = state.store.system(access.org_id(), id).await?;
    if !visible(&access, &s) {
        return Err(AppError::NotFound);
    }
    if !access.can_manage_department(s.fields.department_id) {
        return Err(AppError::Forbidden);
    }
    let people = state.store.people(access.org_id(), None, 5000, 0).await?;
    Ok(page(
        "情報システムの編集",
        Some(&access),
        system_form(&access, &format!("/systems/{id}"), &SystemInput::from_system(&s), &[], &people),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(input): Form<SystemInput>,
) -> Result<Response, AppError> {
    let s = state.store.system(access.org_id(), id).await?;
    if !visible(&access, &s) {
        return Err(AppError::NotFound);
    }
    if !access.can_manage_department(s.fields.department_id) {
        return Err(AppError::Forbidden);
    }
    match input.validate(&access) {
        Ok(fields) => {
            check_people(&state, &access, &fields).await?;
            state.store.update_system(access.org_id(), id, &fields, &access.actor()).await?;
            Ok(Redirect::to(&format!("/systems/{id}")).into_response())
        }
        Err(problems) => {
            let people = state.store.people(access.org_id(), None, 5000, 0).await?;
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                page("情報システムの編集", Some(&access), system_form(&access, &format!("/systems/{id}"), &input, &problems, &people)),
            )
                .into_response())
        }
    }
}
