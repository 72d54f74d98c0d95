//! 作業記録・監査証跡: the change record searched, each entry with its ledger index and
//! whether a signed checkpoint covers it; and the ledger page with the public key, the
//! checkpoints and taking an anchor.

use crate::views::per;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Form;
use mamori_policy::workflow::Step;
use mamori_store::ledger::EventFilter;
use maud::html;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::{action_label, wareki_time};
use crate::views::layout::{csrf_field, page};
use crate::AppState;

#[derive(Debug, Default, serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target_kind: String,
    #[serde(default)]
    target_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before: Option<i64>,
}

fn valid_date(s: &str) -> bool {
    s.is_empty() || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

pub async fn list(State(state): State<AppState>, access: Access, Query(q): Query<SearchQuery>) -> Result<impl IntoResponse, AppError> {
    reads_trail(&state, &access).await?;
    if !valid_date(&q.from) || !valid_date(&q.to) {
        return Err(AppError::BadRequest("日付は YYYY-MM-DD の形で指定してください（例 2026-11-22）".into()));
    }
    let filter = EventFilter {
        actor: Some(q.actor.trim().to_owned()),
        action: Some(q.action.trim().to_owned()),
        target_kind: Some(q.target_kind.trim().to_owned()),
        target_id: Some(q.target_id.trim().to_owned()),
        from: Some(q.from.clone()),
        to: Some(q.to.clone()),
        before_seq: q.before,
        limit: 200,
    };
    let events = state.store.search_events(access.org_id(), &filter).await?;
    let status = state.store.ledger_status(access.org_id()).await?;
    let covered = status.latest.as_ref().map(|c| c.size).unwrap_or(0);
    // The previous (older) event of each row, to flag time going backwards. The row after
    // the last one shown is fetched so that the last row is checked too.
    let mut older_at: Vec<Option<String>> = events.iter().skip(1).map(|e| Some(e.at.clone())).collect();
    if let Some(last) = events.last() {
        let prev =
            state.store.search_events(access.org_id(), &EventFilter { before_seq: Some(last.seq), limit: 1, ..Default::default() }).await?;
        older_at.push(prev.first().filter(|p| p.seq == last.seq - 1).map(|p| p.at.clone()));
    }
    let next_page = events.last().filter(|_| events.len() == 200).map(|e| e.seq);
    Ok(page(
        "作業記録・監査証跡",
        Some(&access),
        html! {
            p {
                "すべての変更は、変更と同じトランザクションで改ざん検知可能な台帳（RFC 6962 Merkle 木）に記録され、署名付きチェックポイントで確定します"
                (per(&access.cite(Step::SystemChangeRecord))) "。台帳の状態と検証方法は " a href="/ledger" { "台帳" } " を参照してください。"
            }
            form.search method="get" action="/events" {
                label { "実行者 " input type="text" name="actor" value=(q.actor) placeholder="ログイン名"; }
                label { "操作 " input type="text" name="action" value=(q.action) placeholder="asset.* など"; }
                label { "対象の種類 " input type="text" name="target_kind" value=(q.target_kind) placeholder="asset"; }
                label { "対象ID " input type="text" name="target_id" value=(q.target_id); }
                label { "期間 " input type="date" name="from" value=(q.from); " 〜 " input type="date" name="to" value=(q.to); }
                button type="submit" { "検索" }
            }
            @if events.is_empty() {
                p #no-events { "該当する記録はありません。" }
            } @else {
                table #events {
                    thead { tr { th { "索引" } th { "日時" } th { "実行者" } th { "役割" } th { "操作" } th { "対象" } th { "結果" } th { "署名" } th { "時刻" } } }
                    tbody { @for (e, older) in events.iter().zip(&older_at) {
                        @let backwards = older.as_ref().is_some_and(|o| time_before(&e.at, o));
                        tr.anomaly[!e.clock_synced || backwards] data-index=(e.index()) {
                            td { (e.index()) }
                            td { (wareki_time(&e.at)) }
                            td { (e.actor) }
                            td { (e.role) }
                            td { (action_label(&e.action)) }
                            td { (e.target_kind) " " (e.target_id) }
                            td { (e.result) }
                            td { @if e.index() < covered { span.signed { "署名済" } } @else { span.unsigned { "未署名" } } }
                            td {
                                @if !e.clock_synced { span.flag { "⚠ 時刻同期未確認" } }
                                @if backwards { " " span.flag { "⚠ 時刻の逆行" } }
                                @if e.clock_synced && !backwards { "正常" }
                            }
                        }
                    } }
                }
                @if let Some(before) = next_page {
                    p { a href={ "/events?actor=" (q.actor) "&action=" (q.action) "&target_kind=" (q.target_kind) "&target_id=" (q.target_id) "&from=" (q.from) "&to=" (q.to) "&before=" (before) } { "さらに古い記録" } }
                }
            }
        },
    ))
}

fn time_before(a: &str, b: &str) -> bool {
    match (chrono::DateTime::parse_from_rfc3339(a), chrono::DateTime::parse_from_rfc3339(b)) {
        (Ok(a), Ok(b)) => a < b,
        _ => false,
    }
}

/// What is wrong with the ledger right now, for `/ledger` and the dashboards of the CISO
/// and the 統括: the writer halted, entries no signed checkpoint covers, witnesses that
/// have not cosigned for longer than the configured time. Each line is an alarm.
pub(crate) async fn ledger_alarms(state: &AppState, org_id: i64) -> Result<Vec<String>, AppError> {
    let mut alarms = Vec::new();
    if let Some(halt) = state.store.ledger_halt(org_id) {
        alarms.push(format!(
            "台帳の書き込みを停止しています（{}から）: {}。閲覧はできますが、変更は受け付けません。",
            wareki_time(&halt.at),
            halt.reason
        ));
    }
    let status = state.store.ledger_status(org_id).await?;
    if let Some((first, last)) = status.unsigned {
        alarms.push(format!(
            "署名されていない記録 index {first}–{last}（{} 件）があります。サーバーは変更と同じトランザクションで署名するため、これはサーバーの外で記録が追加されたか、チェックポイントが削除されたことを示します。「mamori ledger verify」で確認してください。",
            last - first + 1
        ));
    }
    let max_age = state.settings.ledger.witness_max_age;
    let hours = max_age.as_secs() / 3600;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    for w in state.store.witnesses(org_id).await? {
        match &w.latest {
            Some((size, at, _)) if now.saturating_sub(*at) > max_age.as_secs() => alarms.push(format!(
                "立会人「{}」が {} 時間以上連署していません（最後の連署は件数 {size}、{} 時間前。許容 {hours} 時間）。",
                w.name,
                hours,
                now.saturating_sub(*at) / 3600
            )),
            None if registered_for(&w.created_at) > max_age => {
                alarms.push(format!("立会人「{}」は登録から {hours} 時間以上たっても一度も連署していません。", w.name))
            }
            _ => {}
        }
    }
    Ok(alarms)
}

/// How long ago `at` (a stored time) was.
fn registered_for(at: &str) -> std::time::Duration {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .and_then(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).to_std().ok())
        .unwrap_or_default()
}

fn unix_time_text(secs: u64) -> String {
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|t| wareki_time(&t.with_timezone(&mamori_store::jst()).to_rfc3339()))
        .unwrap_or_else(|| secs.to_string())
}

pub async fn ledger(State(state): State<AppState>, access: Access) -> Result<impl IntoResponse, AppError> {
    reads_trail(&state, &access).await?;
    let status = state.store.ledger_status(access.org_id()).await?;
    let checkpoints = state.store.checkpoints(access.org_id(), 20).await?;
    let public_key = state.store.ledger_key().map(|k| k.verifying_key().text().to_owned());
    let alarms = ledger_alarms(&state, access.org_id()).await?;
    let witnesses = state.store.witnesses(access.org_id()).await?;
    let org = state.store.organization(access.org_id()).await?;
    Ok(page(
        "台帳（改ざん検知）",
        Some(&access),
        html! {
            @if !alarms.is_empty() {
                div.alarm #ledger-alarms {
                    h2 { "警告" }
                    ul { @for a in &alarms { li.error { (a) } } }
                }
            }
            @if !state.settings.ledger.key_warnings.is_empty() {
                div #key-warnings {
                    @for w in &state.settings.ledger.key_warnings { p.error { (w) } }
                }
            }
            dl.facts #ledger-status {
                dt { "記録件数" } dd #ledger-size { (status.size) }
                dt { "origin" } dd { code { (status.origin.clone().unwrap_or_else(|| "—".into())) } }
                dt { "公開鍵" } dd { code #public-key { (public_key.clone().unwrap_or_else(|| "（署名鍵が読み込まれていません）".into())) } }
                dt { "チェックポイント" } dd { (status.checkpoints) " 件" }
                dt { "最後のアンカー取得" } dd #last-anchor {
                    @match &status.last_anchor {
                        Some((at, size)) => { (wareki_time(at)) "（件数 " (size) "）" }
                        None => { "まだ取得していません" }
                    }
                }
                dt { "立会人の連署" } dd #witnessed {
                    @match &status.witnessed {
                        Some((size, at, _)) => { "件数 " (size) "（" (unix_time_text(*at)) "に連署）" }
                        None if status.witnesses == 0 => { "立会人が登録されていません（" code { "mamori ledger witness add" } "）" }
                        None => { "まだ連署されていません" }
                    }
                }
            }
            @if !witnesses.is_empty() {
                h2 { "立会人" }
                table #witnesses {
                    thead { tr { th { "名前" } th { "公開鍵" } th { "最後の連署" } } }
                    tbody { @for w in &witnesses {
                        tr {
                            td { (w.name) }
                            td { code { (w.public_key) } }
                            td { @match &w.latest {
                                Some((size, at, _)) => { "件数 " (size) "（" (unix_time_text(*at)) "）" }
                                None => { "—" }
                            } }
                        }
                    } }
                }
                p {
                    "立会人は " code { "mamori ledger witness cosign --server URL --origin " (status.origin.clone().unwrap_or_else(|| format!("…/{}", org.code))) " …" } " で最新のチェックポイントと一貫性証明を取得し、"
                    "検証してから連署を送ります（ネットワークで届かない場合は " code { "mamori ledger export-checkpoint" } " のファイルで受け渡します）。"
                }
            }
            @if let Some(latest) = &status.latest {
                h2 { "最新の署名付きチェックポイント" }
                pre #latest-checkpoint { (latest.note) }
                form method="post" action="/ledger/anchor" {
                    (csrf_field(&access.session.csrf_token))
                    p {
                        "チェックポイントを保存・印刷して mamori の外に保管すると（アンカー）、後で台帳が切り詰められたり書き換えられたりしても "
                        code { "mamori ledger verify --anchor ファイル" } " で検出できます。"
                    }
                    button type="submit" { "アンカーとして取得（ダウンロード）" }
                }
            }
            h2 { "検証のしかた" }
            p { "サーバーを信用しない検証者は、書き出した台帳を公開鍵とともに検証できます:" }
            pre { "mamori ledger export --output ledger.jsonl\nmamori ledger verify --bundle ledger.jsonl --public-key '" (public_key.unwrap_or_default()) "'" }
            h2 { "チェックポイント（新しい順）" }
            table #checkpoints {
                thead { tr { th { "件数" } th { "署名日時" } } }
                tbody { @for c in &checkpoints { tr { td { (c.size) } td { (wareki_time(&c.created_at)) } } } }
            }
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct AnchorForm {
    #[allow(dead_code)]
    csrf: String,
}

pub async fn take_anchor(
    State(state): State<AppState>,
    access: Access,
    Form(_form): Form<AnchorForm>,
) -> Result<impl IntoResponse, AppError> {
    reads_trail(&state, &access).await?;
    let latest = state
        .store
        .checkpoints(access.org_id(), 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::BadRequest("チェックポイントがまだありません".into()))?;
    state.store.record_anchor(access.org_id(), &latest, "web", &access.actor()).await?;
    let org = state.store.organization(access.org_id()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"checkpoint-{}-{}.txt\"", org.code, latest.size)),
        ],
        latest.note,
    ))
}

/// Who reads the 作業記録・監査証跡 and the ledger: the holders of the profile's
/// `audit_trail.read`, and the auditors of an audit that is under way (approved, not yet
/// reported) — the trail is their evidence.
pub(crate) async fn reads_trail(state: &AppState, access: &Access) -> Result<(), AppError> {
    if access.may(Step::AuditTrailRead) {
        return Ok(());
    }
    if let Some(me) = &access.person {
        for id in state.store.audits_of_auditor(access.org_id(), me.id).await? {
            if state.store.audit(access.org_id(), id).await?.status == mamori_policy::workflow::AuditStatus::Approved {
                return Ok(());
            }
        }
    }
    access.require(Step::AuditTrailRead)
}
