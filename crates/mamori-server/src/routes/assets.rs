//! The information asset register (情報資産台帳): list, search, register, edit, reclassify,
//! copy, and each asset's handling restrictions with their clauses.

use crate::views::per;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_policy::workflow::Step;
use mamori_policy::{Profile, RestrictionSource};
use mamori_store::assets::{Asset, AssetFields, AssetFilter, Classes};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::{action_label, kind_label, medium_label, wareki_time, KINDS, MEDIA};
use crate::views::layout::{csrf_field, page};
use crate::AppState;

pub const AXES: [(&str, &str); 3] = [("confidentiality", "機密性"), ("integrity", "完全性"), ("availability", "可用性")];

/// An asset as a form or a JSON body gives it: every field as text, checked by
/// [`AssetInput::validate`] against the profile and the person's access.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct AssetInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub department_id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub medium: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default, deserialize_with = "crate::routes::api::number_or_text")]
    pub system_id: String,
    #[serde(default)]
    pub confidentiality: String,
    #[serde(default)]
    pub integrity: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub personal_info: Option<String>,
    #[serde(default, deserialize_with = "crate::routes::api::flag")]
    pub specific_personal_info: Option<String>,
    #[serde(default)]
    pub retention: String,
}

impl AssetInput {
    fn from_asset(a: &Asset) -> Self {
        Self {
            name: a.fields.name.clone(),
            description: a.fields.description.clone(),
            department_id: a.fields.department_id.to_string(),
            kind: a.fields.kind.clone(),
            medium: a.fields.medium.clone(),
            location: a.fields.location.clone(),
            zone: a.fields.zone.clone().unwrap_or_default(),
            system_id: a.fields.system_id.map(|s| s.to_string()).unwrap_or_default(),
            confidentiality: a.classes.confidentiality.clone().unwrap_or_default(),
            integrity: a.classes.integrity.clone().unwrap_or_default(),
            availability: a.classes.availability.clone().unwrap_or_default(),
            personal_info: a.fields.personal_info.then(|| "on".into()),
            specific_personal_info: a.fields.specific_personal_info.then(|| "on".into()),
            retention: a.fields.retention.clone(),
        }
    }

    /// Checks every field; returns all problems in Japanese, or the values to store.
    pub fn validate(&self, access: &Access) -> Result<(AssetFields, Classes), Vec<String>> {
        let mut problems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            problems.push("名称を入力してください。".to_owned());
        } else if name.chars().count() > 200 {
            problems.push("名称は200文字以内にしてください。".to_owned());
        }
        let department_id = match self.department_id.trim().parse::<i64>() {
            Ok(id) if access.departments.iter().any(|d| d.id == id) => {
                if !access.can_register_in(id) {
                    problems.push("この所属の情報資産を登録・変更する権限がありません。".to_owned());
                }
                id
            }
            _ => {
                problems.push("所管課を選んでください。".to_owned());
                0
            }
        };
        if !KINDS.contains(&self.kind.as_str()) {
            problems.push("種類を選んでください。".to_owned());
        }
        if !MEDIA.contains(&self.medium.as_str()) {
            problems.push("媒体を選んでください（電子データ、紙、電磁的記録媒体）。".to_owned());
        }
        let zone = zone_input(access, &self.zone, &mut problems);
        let system_id = match self.system_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    problems.push("関連システムの指定が正しくありません。".to_owned());
                    None
                }
            },
        };
        let mut classes = Classes::default();
        for ((axis, label), value, slot) in [
            (AXES[0], &self.confidentiality, &mut classes.confidentiality),
            (AXES[1], &self.integrity, &mut classes.integrity),
            (AXES[2], &self.availability, &mut classes.availability),
        ] {
            let v = value.trim();
            if v.is_empty() {
                continue; // 要判断
            }
            match access.profile.axis(axis) {
                Some(a) if a.level(v).is_some() => *slot = Some(v.to_owned()),
                _ => problems.push(format!("{label}の区分「{v}」はこの団体のポリシーにありません。")),
            }
        }
        let fields = AssetFields {
            name: name.to_owned(),
            description: self.description.trim().to_owned(),
            department_id,
            kind: self.kind.clone(),
            medium: self.medium.clone(),
            location: self.location.trim().to_owned(),
            zone,
            system_id,
            personal_info: self.personal_info.is_some() || self.specific_personal_info.is_some(),
            specific_personal_info: self.specific_personal_info.is_some(),
            retention: self.retention.trim().to_owned(),
        };
        if problems.is_empty() {
            Ok((fields, classes))
        } else {
            Err(problems)
        }
    }
}

/// A zone chosen on a form: empty is none; anything else must be a zone of the profile.
pub(crate) fn zone_input(access: &Access, raw: &str, problems: &mut Vec<String>) -> Option<String> {
    match raw.trim() {
        "" => None,
        z if access.profile.zone(z).is_some() => Some(z.to_owned()),
        z => {
            problems.push(format!("領域「{z}」はこの団体のポリシーにありません。"));
            None
        }
    }
}

pub fn class_badges(profile: &Profile, c: &Classes) -> Markup {
    html! {
        @for ((axis, label), v) in AXES.iter().zip([&c.confidentiality, &c.integrity, &c.availability]) {
            @match v {
                Some(level) => {
                    @let name = profile.axis(axis).and_then(|a| a.level(level)).map(|l| l.name.clone()).unwrap_or_else(|| format!("{label}{level}"));
                    span class={ "badge c" (level) } title=(name) { (label) (level) } " "
                }
                None => { span.badge.undecided { (label) "要判断" } " " }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub department_id: String,
    #[serde(default)]
    pub confidentiality: String,
    #[serde(default)]
    pub integrity: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub system_id: String,
    #[serde(default)]
    pub personal_info: String,
    #[serde(default)]
    pub specific_personal_info: String,
    #[serde(default)]
    pub undecided: String,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub limit: String,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl ListQuery {
    pub fn filter(&self, access: &Access) -> AssetFilter {
        AssetFilter {
            visible_departments: access.visible_departments(),
            department_id: self.department_id.trim().parse().ok(),
            confidentiality: non_empty(&self.confidentiality),
            integrity: non_empty(&self.integrity),
            availability: non_empty(&self.availability),
            zone: non_empty(&self.zone),
            system_id: self.system_id.trim().parse().ok(),
            personal_info: non_empty(&self.personal_info).map(|_| true),
            specific_personal_info: non_empty(&self.specific_personal_info).map(|_| true),
            undecided: !self.undecided.trim().is_empty(),
            text: non_empty(&self.q),
            before_id: self.before.trim().parse().ok(),
            limit: self.limit.trim().parse().unwrap_or(50),
        }
    }
}

pub async fn list(State(state): State<AppState>, access: Access, Query(q): Query<ListQuery>) -> Result<impl IntoResponse, AppError> {
    let filter = q.filter(&access);
    let assets = state.store.assets(access.org_id(), &filter).await?;
    let visible = access.visible_departments();
    let departments: Vec<_> = access.departments.iter().filter(|d| visible.as_ref().is_none_or(|v| v.contains(&d.id))).collect();
    let profile = &access.profile;
    let next_page = (assets.len() as i64 == filter.limit.clamp(1, 500)).then(|| assets.last().map(|a| a.id)).flatten();
    let next_query = next_page.map(|before| {
        let mut params: Vec<(&str, String)> = vec![
            ("q", q.q.clone()),
            ("department_id", q.department_id.clone()),
            ("confidentiality", q.confidentiality.clone()),
            ("integrity", q.integrity.clone()),
            ("availability", q.availability.clone()),
            ("zone", q.zone.clone()),
            ("system_id", q.system_id.clone()),
            ("personal_info", q.personal_info.clone()),
            ("specific_personal_info", q.specific_personal_info.clone()),
            ("undecided", q.undecided.clone()),
        ];
        params.retain(|(_, v)| !v.is_empty());
        params.push(("before", before.to_string()));
        serde_urlencoded::to_string(&params).unwrap_or_default()
    });
    Ok(page(
        "情報資産台帳",
        Some(&access),
        html! {
            form.inline.noprint method="get" action="/assets" {
                label { "検索" input type="text" name="q" value=(q.q) placeholder="名称・説明"; }
                label { "所管課" select name="department_id" {
                    option value="" { "すべて" }
                    @for d in &departments { option value=(d.id) selected[q.department_id == d.id.to_string()] { (d.name) } }
                } }
                @for (axis, label) in AXES {
                    @let current = match axis { "confidentiality" => &q.confidentiality, "integrity" => &q.integrity, _ => &q.availability };
                    label { (label) select name=(axis) {
                        option value="" { "すべて" }
                        @if let Some(a) = profile.axis(axis) {
                            @for l in a.levels_by_rank() { option value=(l.id.get_ref()) selected[current == l.id.get_ref()] { (l.id.get_ref()) } }
                        }
                    } }
                }
                label { "領域" select name="zone" {
                    option value="" { "すべて" }
                    @for z in &profile.zones { option value=(z.id) selected[q.zone == z.id.as_str()] { (z.name) } }
                } }
                label { "個人情報" input type="checkbox" name="personal_info" value="1" checked[!q.personal_info.is_empty()]; }
                label { "特定個人情報" input type="checkbox" name="specific_personal_info" value="1" checked[!q.specific_personal_info.is_empty()]; }
                label { "要判断のみ" input type="checkbox" name="undecided" value="1" checked[!q.undecided.is_empty()]; }
                button type="submit" { "絞り込む" }
            }
            p.noprint { a.button href="/assets/new" { "情報資産を登録する" } }
            table #assets {
                thead { tr { th { "名称" } th { "所管課" } th { "分類" } th { "媒体" } th { "領域" } th { "個人情報" } } }
                tbody {
                    @for a in &assets {
                        tr {
                            td { a href={ "/assets/" (a.id) } { (a.fields.name) } }
                            td { (a.department_name) }
                            td { (class_badges(profile, &a.classes)) }
                            td { (medium_label(&a.fields.medium)) }
                            td { (a.fields.zone.as_deref().and_then(|z| profile.zone(z)).map(|z| z.name.as_str()).unwrap_or("—")) }
                            td { @if a.fields.specific_personal_info { "特定個人情報" } @else if a.fields.personal_info { "あり" } @else { "—" } }
                        }
                    }
                }
            }
            @if assets.is_empty() { p { "該当する情報資産はありません。" } }
            @if let Some(nq) = next_query { p.noprint { a href={ "/assets?" (nq) } { "次のページ" } } }
        },
    ))
}

fn asset_form(access: &Access, action: &str, input: &AssetInput, problems: &[String], systems: &[mamori_store::systems::System]) -> Markup {
    let profile = &access.profile;
    let departments: Vec<_> = access.departments.iter().filter(|d| access.can_register_in(d.id)).collect();
    html! {
        @if !problems.is_empty() {
            div.error role="alert" { p { "入力内容を確認してください。登録・変更はまだ行われていません。" } ul { @for p in problems { li { (p) } } } }
        }
        form.stack method="post" action=(action) {
            (csrf_field(&access.session.csrf_token))
            label for="name" { "名称" }
            input #name type="text" name="name" value=(input.name) required maxlength="200";
            label for="description" { "説明" }
            textarea #description name="description" rows="3" { (input.description) }
            label for="department_id" { "所管課（情報セキュリティ管理者はこの課の管理者）" }
            select #department_id name="department_id" required {
                option value="" { "選んでください" }
                @for d in &departments { option value=(d.id) selected[input.department_id == d.id.to_string()] { (d.name) } }
            }
            label for="kind" { "種類" }
            select #kind name="kind" { @for k in KINDS { option value=(k) selected[input.kind == *k] { (kind_label(k)) } } }
            label for="medium" { "媒体" }
            select #medium name="medium" { @for m in MEDIA { option value=(m) selected[input.medium == *m] { (medium_label(m)) } } }
            label for="location" { "保管場所" }
            input #location type="text" name="location" value=(input.location);
            label for="zone" { "領域" }
            select #zone name="zone" {
                option value="" { "—" }
                @for z in &profile.zones { option value=(z.id) selected[input.zone == z.id.as_str()] { (z.name) } }
            }
            label for="system_id" { "関連する情報システム" }
            select #system_id name="system_id" {
                option value="" { "—" }
                @for s in systems { option value=(s.id) selected[input.system_id == s.id.to_string()] { (s.fields.name) } }
            }
            @for (axis, label) in AXES {
                @let current = match axis { "confidentiality" => &input.confidentiality, "integrity" => &input.integrity, _ => &input.availability };
                label for=(axis) { (label) }
                select id=(axis) name=(axis) {
                    option value="" { "要判断（分類が不明）" }
                    @if let Some(a) = profile.axis(axis) {
                        @for l in a.levels_by_rank() { option value=(l.id.get_ref()) selected[current == l.id.get_ref()] { (l.name) } }
                    }
                }
            }
            label { input type="checkbox" name="personal_info" value="on" checked[input.personal_info.is_some()]; " 個人情報を含む" }
            label { input type="checkbox" name="specific_personal_info" value="on" checked[input.specific_personal_info.is_some()]; " 特定個人情報（マイナンバー）を含む" }
            label for="retention" { "保存期間" }
            input #retention type="text" name="retention" value=(input.retention) placeholder="例: 5年";
            p { button type="submit" { "保存する" } }
        }
    }
}

pub async fn new_form(State(state): State<AppState>, access: Access) -> Result<impl IntoResponse, AppError> {
    let systems = state.store.systems(access.org_id(), None, None).await?;
    let input = AssetInput {
        department_id: access.person.as_ref().map(|p| p.department_id.to_string()).unwrap_or_default(),
        kind: "information".into(),
        medium: "electronic".into(),
        ..Default::default()
    };
    Ok(page("情報資産の登録", Some(&access), asset_form(&access, "/assets", &input, &[], &systems)))
}

pub async fn create(State(state): State<AppState>, access: Access, Form(input): Form<AssetInput>) -> Result<Response, AppError> {
    match input.validate(&access) {
        Ok((fields, classes)) => {
            check_system(&state, &access, fields.system_id).await?;
            let asset = state.store.create_asset(access.org_id(), &fields, &classes, None, &access.actor()).await?;
            Ok(Redirect::to(&format!("/assets/{}", asset.id)).into_response())
        }
        Err(problems) => {
            let systems = state.store.systems(access.org_id(), None, None).await?;
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                page("情報資産の登録", Some(&access), asset_form(&access, "/assets", &input, &problems, &systems)),
            )
                .into_response())
        }
    }
}

pub(crate) async fn check_system(state: &AppState, access: &Access, system_id: Option<i64>) -> Result<(), AppError> {
    if let Some(id) = system_id {
        state.store.system(access.org_id(), id).await.map_err(|_| AppError::BadRequest("関連システムが見つかりません".into()))?;
    }
    Ok(())
}

/// Loads an asset the person may see; one they may not see is reported as not found, so
/// that its existence is not revealed.
pub(crate) async fn visible_asset(state: &AppState, access: &Access, id: i64) -> Result<Asset, AppError> {
    let asset = state.store.asset(access.org_id(), id).await?;
    if !access.can_see_department(asset.fields.department_id) {
        return Err(AppError::NotFound);
    }
    Ok(asset)
}

/// Loads an asset the person may edit: visible to them (else 404) and in a department they
/// manage (else 403).
async fn managed_asset(state: &AppState, access: &Access, id: i64) -> Result<Asset, AppError> {
    let asset = visible_asset(state, access, id).await?;
    if !access.can_manage_department(asset.fields.department_id) {
        return Err(AppError::Forbidden);
    }
    Ok(asset)
}

pub fn restrictions_table(profile: &Profile, classes: &Classes) -> Markup {
    let applied = profile.restrictions_for(&classes.pairs());
    html! {
        @if applied.is_empty() {
            p { "この分類に定められた取扱制限はありません。" }
        } @else {
            table #restrictions {
                thead { tr { th { "分類" } th { "取扱制限" } th { "行為" } th { "根拠条項" } th { "出典" } } }
                tbody {
                    @for r in &applied {
                        tr {
                            td.nowrap { (r.axis_name) (r.level) }
                            td { (r.text) }
                            td.nowrap { @match &r.source {
                                RestrictionSource::LevelTable => { "分類表" }
                                RestrictionSource::Rule { action, min_level, approver } => {
                                    (action.label_ja()) "（" (min_level) "以上）"
                                    @if let Some(a) = approver {
                                        br; "許可: " (profile.role(a).map(|r| r.name.as_str()).unwrap_or(a))
                                    }
                                }
                            } }
                            td.clause { a href={ "/policy/clauses#" (r.clause) } title=(profile.clause(&r.clause).map(|c| c.text.as_str()).unwrap_or("")) { (r.clause) } }
                            td.nowrap { (r.provenance.label_ja()) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn show(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<impl IntoResponse, AppError> {
    let asset = visible_asset(&state, &access, id).await?;
    let profile = &access.profile;
    let history = state.store.classification_history(access.org_id(), id).await?;
    let events = state.store.events(access.org_id(), Some(("asset", &id.to_string())), 50).await?;
    let can_manage = access.can_manage_department(asset.fields.department_id);
    let managers = mamori_policy::workflow::roles_doing(&access.profile, mamori_policy::workflow::WorkflowRole::SecurityManager);
    let manager_names: Vec<String> = state
        .store
        .role_assignments(access.org_id())
        .await?
        .into_iter()
        .filter(|r| managers.contains(&r.role) && r.department_id == Some(asset.fields.department_id))
        .map(|r| r.person_name)
        .collect();
    let origin = match asset.origin_asset_id {
        Some(o) => visible_asset(&state, &access, o).await.ok(),
        None => None,
    };
    Ok(page(
        &asset.fields.name.clone(),
        Some(&access),
        html! {
            dl.facts #asset {
                dt { "分類" } dd #classes { (class_badges(profile, &asset.classes)) }
                dt { "所管課" } dd { (asset.department_name) }
                dt { "情報セキュリティ管理者" } dd { @if manager_names.is_empty() { "（未割当）" } @else { (manager_names.join("、")) } }
                dt { "種類・媒体" } dd { (kind_label(&asset.fields.kind)) "・" (medium_label(&asset.fields.medium)) }
                dt { "保管場所" } dd { (asset.fields.location) }
                dt { "領域" } dd { (asset.fields.zone.as_deref().and_then(|z| profile.zone(z)).map(|z| z.name.as_str()).unwrap_or("—")) }
                dt { "関連システム" } dd { @if let (Some(sid), Some(n)) = (asset.fields.system_id, &asset.system_name) { a href={ "/systems/" (sid) } { (n) } } @else { "—" } }
                dt { "個人情報" } dd { @if asset.fields.specific_personal_info { "特定個人情報を含む" } @else if asset.fields.personal_info { "含む" } @else { "含まない" } }
                dt { "保存期間" } dd { (asset.fields.retention) }
                dt { "説明" } dd { (asset.fields.description) }
                @if let Some(o) = &origin { dt { "複製元" } dd { a href={ "/assets/" (o.id) } { (o.fields.name) } } }
                dt { "更新" } dd { (wareki_time(&asset.updated_at)) }
            }
            @if asset.classes.is_undecided() {
                p.warn { "分類が決まっていない軸があります。" (access.cite(Step::ClassificationUnclear).text) (per(&access.cite(Step::ClassificationUnclear))) }
            }
            h2 { "取扱制限" }
            (restrictions_table(profile, &asset.classes))
            @if can_manage {
                p.noprint { a.button href={ "/assets/" (id) "/edit" } { "編集する" } }
                h2.noprint { "分類の変更" }
                form.inline.noprint method="post" action={ "/assets/" (id) "/reclassify" } {
                    (csrf_field(&access.session.csrf_token))
                    @for (axis, label) in AXES {
                        @let current = match axis { "confidentiality" => &asset.classes.confidentiality, "integrity" => &asset.classes.integrity, _ => &asset.classes.availability };
                        label { (label) select name=(axis) {
                            option value="" { "要判断" }
                            @if let Some(a) = profile.axis(axis) {
                                @for l in a.levels_by_rank() { option value=(l.id.get_ref()) selected[current.as_deref() == Some(l.id.get_ref().as_str())] { (l.id.get_ref()) } }
                            }
                        } }
                    }
                    label { "理由" input type="text" name="reason" required; }
                    button type="submit" { "分類を変更する" }
                }
            }
            @if access.can_register_in(asset.fields.department_id) {
                h2.noprint { "複製の登録" }
                p.small.noprint { "複製した情報資産も元と同じ分類で管理します" (per(&access.cite(Step::ClassificationCopies))) "。" }
                form.inline.noprint method="post" action={ "/assets/" (id) "/copy" } {
                    (csrf_field(&access.session.csrf_token))
                    label { "名称" input type="text" name="name" value={ (asset.fields.name) "（複製）" } required; }
                    label { "保管場所" input type="text" name="location"; }
                    button type="submit" { "複製を登録する" }
                }
            }
            h2 { "分類の履歴" }
            table #history {
                thead { tr { th { "日時" } th { "分類" } th { "理由" } } }
                tbody { @for h in &history { tr { td { (wareki_time(&h.changed_at)) } td { (class_badges(profile, &h.classes)) } td { (h.reason) } } } }
            }
            h2 { "変更記録" }
            table {
                thead { tr { th { "番号" } th { "日時" } th { "操作" } th { "実行者" } } }
                tbody { @for e in &events { tr { td { (e.seq) } td { (wareki_time(&e.at)) } td { (action_label(&e.action)) } td { (e.actor) } } } }
            }
        },
    ))
}

pub async fn edit_form(State(state): State<AppState>, access: Access, Path(id): Path<i64>) -> Result<impl IntoResponse, AppError> {
    let asset = managed_asset(&state, &access, id).await?;
    let systems = state.store.systems(access.org_id(), None, None).await?;
    Ok(page("情報資産の編集", Some(&access), asset_form(&access, &format!("/assets/{id}"), &AssetInput::from_asset(&asset), &[], &systems)))
}

pub async fn update(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(input): Form<AssetInput>,
) -> Result<Response, AppError> {
    let asset = managed_asset(&state, &access, id).await?;
    match input.validate(&access) {
        Ok((fields, classes)) => {
            check_system(&state, &access, fields.system_id).await?;
            if !access.can_manage_department(fields.department_id) {
                return Err(AppError::Forbidden);
            }
            state.store.update_asset(access.org_id(), id, &fields, &access.actor()).await?;
            if classes != asset.classes {
                state.store.reclassify_asset(access.org_id(), id, &classes, "編集画面での変更", &access.actor()).await?;
            }
            Ok(Redirect::to(&format!("/assets/{id}")).into_response())
        }
        Err(problems) => {
            let systems = state.store.systems(access.org_id(), None, None).await?;
            Ok((
                axum::http::StatusCode::BAD_REQUEST,
                page("情報資産の編集", Some(&access), asset_form(&access, &format!("/assets/{id}"), &input, &problems, &systems)),
            )
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct ReclassifyForm {
    #[serde(default)]
    confidentiality: String,
    #[serde(default)]
    integrity: String,
    #[serde(default)]
    availability: String,
    #[serde(default)]
    reason: String,
}

pub async fn reclassify(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<ReclassifyForm>,
) -> Result<Response, AppError> {
    let asset = managed_asset(&state, &access, id).await?;
    if f.reason.trim().is_empty() {
        return Err(AppError::BadRequest("分類を変更する理由を入力してください".into()));
    }
    let input = AssetInput {
        confidentiality: f.confidentiality,
        integrity: f.integrity,
        availability: f.availability,
        ..AssetInput::from_asset(&asset)
    };
    let (_, classes) = input.validate(&access).map_err(|p| AppError::BadRequest(p.join(" ")))?;
    state.store.reclassify_asset(access.org_id(), id, &classes, f.reason.trim(), &access.actor()).await?;
    Ok(Redirect::to(&format!("/assets/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct CopyForm {
    name: String,
    #[serde(default)]
    location: String,
}

pub async fn copy(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<i64>,
    Form(f): Form<CopyForm>,
) -> Result<Response, AppError> {
    let asset = visible_asset(&state, &access, id).await?;
    if !access.can_register_in(asset.fields.department_id) {
        return Err(AppError::Forbidden);
    }
    if f.name.trim().is_empty() {
        return Err(AppError::BadRequest("複製の名称を入力してください".into()));
    }
    let copy = state.store.copy_asset(access.org_id(), id, f.name.trim(), f.location.trim(), &access.actor()).await?;
    Ok(Redirect::to(&format!("/assets/{}", copy.id)).into_response())
}
