//! The change record, for administrators.

use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;

use crate::auth::Access;
use crate::error::AppError;
use crate::views::fmt::{action_label, wareki_time};
use crate::views::layout::page;
use crate::AppState;

pub async fn list(State(state): State<AppState>, access: Access) -> Result<impl IntoResponse, AppError> {
    access.require_admin()?;
    let events = state.store.events(access.org_id(), None, 200).await?;
    Ok(page(
        "変更記録",
        Some(&access),
        html! {
            p { "すべての変更は、変更と同じトランザクションで記録されます。記録は追記のみで、変更・削除はできません。" }
            table #events {
                thead { tr { th { "番号" } th { "日時" } th { "実行者" } th { "役割" } th { "操作" } th { "対象" } th { "時刻同期" } } }
                tbody { @for e in &events { tr {
                    td { (e.seq) } td { (wareki_time(&e.at)) } td { (e.actor) } td { (e.role) } td { (action_label(&e.action)) }
                    td { (e.target_kind) " " (e.target_id) }
                    td { @if e.clock_synced { "同期" } @else { "未確認" } }
                } } }
            }
        },
    ))
}
