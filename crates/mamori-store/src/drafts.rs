//! Draft profiles from the policy compiler: kept with the document they were read from,
//! edited and accepted by a person, then activated as a new profile version — the draft and
//! the version in one transaction.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::org::ProfileVersion;
use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

pub use mamori_policy::workflow::DraftStatus;

#[derive(Debug, Clone, Serialize)]
pub struct ProfileDraft {
    pub id: i64,
    pub source_name: String,
    #[serde(skip)]
    pub source_text: String,
    pub draft_text: String,
    pub status: DraftStatus,
    pub accepted_at: Option<String>,
    pub activated_version_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

fn draft(r: &AnyRow) -> Result<ProfileDraft> {
    Ok(ProfileDraft {
        id: r.try_get("id")?,
        source_name: r.try_get("source_name")?,
        source_text: r.try_get("source_text")?,
        draft_text: r.try_get("draft_text")?,
        status: crate::typed(r, "status")?,
        accepted_at: r.try_get("accepted_at")?,
        activated_version_id: r.try_get("activated_version_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    pub async fn create_profile_draft(
        &self,
        org_id: i64,
        source_name: &str,
        source_text: &str,
        draft_text: &str,
        actor: &Actor,
    ) -> Result<ProfileDraft> {
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO profile_drafts (org_id, source_name, source_text, draft_text, status, created_by_user_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6) RETURNING id",
        )
        .bind(org_id)
        .bind(source_name)
        .bind(source_text)
        .bind(draft_text)
        .bind(actor.user_id)
        .bind(&now)
        .fetch_one(w.conn())
        .await?
        .try_get(0)?;
        let digest = mamori_policy::profile_digest(source_text);
        w.commit(
            actor,
            NewEvent::new(
                "profile_draft.compile",
                "profile_draft",
                id,
                serde_json::json!({"source_name": source_name, "source_sha256": digest, "lines": source_text.lines().count()}),
            ),
        )
        .await?;
        self.profile_draft(org_id, id).await
    }

    pub async fn profile_draft(&self, org_id: i64, id: i64) -> Result<ProfileDraft> {
        let row = sqlx::query("SELECT * FROM profile_drafts WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("profile draft"))?;
        draft(&row)
    }

    pub async fn profile_drafts(&self, org_id: i64) -> Result<Vec<ProfileDraft>> {
        let rows = sqlx::query("SELECT * FROM profile_drafts WHERE org_id = $1 ORDER BY id DESC LIMIT 100")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(draft).collect()
    }

    /// Saves an edit. An accepted draft goes back to `draft`: what was accepted is not what is there now.
    pub async fn edit_profile_draft(&self, org_id: i64, id: i64, text: &str, actor: &Actor) -> Result<ProfileDraft> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE profile_drafts SET draft_text = $1, status = 'draft', accepted_by_user_id = NULL, accepted_at = NULL, updated_at = $2
             WHERE org_id = $3 AND id = $4 AND status <> 'activated'",
        )
        .bind(text)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!("下書き {id} は有効化済みのため編集できません。新しく取り込んでください")));
        }
        w.commit(
            actor,
            NewEvent::new("profile_draft.edit", "profile_draft", id, serde_json::json!({"sha256": mamori_policy::profile_digest(text)})),
        )
        .await?;
        self.profile_draft(org_id, id).await
    }

    /// Records that a person reviewed the draft as it is and accepts it. The caller has
    /// validated it.
    pub async fn accept_profile_draft(&self, org_id: i64, id: i64, actor: &Actor) -> Result<ProfileDraft> {
        let before = self.profile_draft(org_id, id).await?;
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let n = sqlx::query(
            "UPDATE profile_drafts SET status = 'accepted', accepted_by_user_id = $1, accepted_at = $2, updated_at = $2
             WHERE org_id = $3 AND id = $4 AND status = 'draft' AND draft_text = $5",
        )
        .bind(actor.user_id)
        .bind(&now)
        .bind(org_id)
        .bind(id)
        .bind(&before.draft_text)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::WrongState(format!(
                "下書き {id} は承認できる状態ではありません（承認済み・有効化済み、または同時に編集された）"
            )));
        }
        w.commit(
            actor,
            NewEvent::new(
                "profile_draft.accept",
                "profile_draft",
                id,
                serde_json::json!({"sha256": mamori_policy::profile_digest(&before.draft_text)}),
            ),
        )
        .await?;
        self.profile_draft(org_id, id).await
    }

    /// The accounts that uploaded or edited a draft, from the change record (which the
    /// server cannot rewrite): they may not activate it themselves.
    pub async fn profile_draft_authors(&self, org_id: i64, id: i64) -> Result<Vec<i64>> {
        let ids: Vec<Option<i64>> = sqlx::query_scalar(
            "SELECT DISTINCT actor_user_id FROM events
             WHERE org_id = $1 AND target_kind = 'profile_draft' AND target_id = $2 AND action IN ('profile_draft.compile', 'profile_draft.edit')",
        )
        .bind(org_id)
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().flatten().collect())
    }

    /// Activates an accepted draft as a new profile version: the version and the draft's
    /// status change in one transaction. `review` is what the activating person confirmed
    /// (the authors and the losses they were shown), kept in the change record.
    pub async fn activate_profile_draft(
        &self,
        org_id: i64,
        id: i64,
        profile: &mamori_policy::Profile,
        review: &crate::org::ActivationReview,
        actor: &Actor,
    ) -> Result<ProfileVersion> {
        let d = self.profile_draft(org_id, id).await?;
        if d.status != DraftStatus::Accepted {
            return Err(StoreError::WrongState("承認された下書きだけを有効にできます。内容を確認して「承認」してください".into()));
        }
        let file_name = if d.source_name.ends_with(".toml") {
            d.source_name.clone()
        } else {
            format!("{}.toml", d.source_name.rsplit_once('.').map(|(a, _)| a).unwrap_or(&d.source_name))
        };
        let how = crate::org::Activation { from_draft: Some(id), restored_from: None, review: Some(review) };
        self.activate_profile_reviewed(org_id, &file_name, &d.draft_text, profile, &how, actor).await
    }
}
