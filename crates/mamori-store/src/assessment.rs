//! Self-assessment (自己点検, 対策基準9.2): one campaign per fiscal year, generated from the
//! active profile's checklist (`mamori_policy::yearly::checklist`); items assigned to
//! departments and roles; answers with comments, improvement measures and evidence files.

use mamori_policy::yearly::{FiscalYear, ANSWERS};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{now_text, Actor, NewEvent, Result, Store, StoreError};

/// One item to generate.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub clause: String,
    pub chapter: String,
    pub text: String,
    pub force: String,
    pub role: String,
    pub department_id: Option<i64>,
}

/// A fiscal year's campaign to generate: its items and who asked.
#[derive(Debug, Clone, Copy)]
pub struct NewCampaign<'a> {
    pub year: FiscalYear,
    pub profile_version_id: i64,
    pub due_on: chrono::NaiveDate,
    pub items: &'a [NewItem],
    pub person_id: Option<i64>,
}

/// An answer to an item.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub answer: String,
    pub comment: String,
    pub measure: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub fiscal_year: i32,
    pub profile_version_id: i64,
    pub due_on: String,
    pub created_at: String,
    pub items: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i64,
    pub campaign_id: i64,
    pub seq: i64,
    pub clause: String,
    pub chapter: String,
    pub clause_text: String,
    pub force: String,
    pub role: String,
    pub department_id: Option<i64>,
    pub answer: Option<String>,
    pub comment: String,
    pub measure: String,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<String>,
}

fn campaign(r: &AnyRow) -> Result<Campaign> {
    Ok(Campaign {
        id: r.try_get("id")?,
        fiscal_year: i32::try_from(r.try_get::<i64, _>("fiscal_year")?).unwrap_or_default(),
        profile_version_id: r.try_get("profile_version_id")?,
        due_on: r.try_get("due_on")?,
        created_at: r.try_get("created_at")?,
        items: r.try_get("items")?,
    })
}

fn item(r: &AnyRow) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        seq: r.try_get("seq")?,
        clause: r.try_get("clause")?,
        chapter: r.try_get("chapter")?,
        clause_text: r.try_get("clause_text")?,
        force: r.try_get("force")?,
        role: r.try_get("role")?,
        department_id: r.try_get("department_id")?,
        answer: r.try_get("answer")?,
        comment: r.try_get("comment")?,
        measure: r.try_get("measure")?,
        answered_by_name: r.try_get("answered_by_name")?,
        answered_at: r.try_get("answered_at")?,
    })
}

const CAMPAIGN_SELECT: &str =
    "SELECT c.*, (SELECT COUNT(*) FROM assessment_items i WHERE i.campaign_id = c.id) AS items FROM assessment_campaigns c";
const ITEM_SELECT: &str =
    "SELECT i.*, p.name AS answered_by_name FROM assessment_items i LEFT JOIN people p ON p.id = i.answered_by_person_id";

/// Rows per multi-row INSERT when generating a campaign (9 parameters each).
const BATCH: usize = 100;

impl Store {
    /// Generates the fiscal year's campaign with its items, in one transaction. A year has
    /// one campaign.
    pub async fn create_campaign(&self, org_id: i64, c: &NewCampaign<'_>, actor: &Actor) -> Result<Campaign> {
        let NewCampaign { year, profile_version_id, due_on, items, person_id } = *c;
        if items.is_empty() {
            return Err(StoreError::Invalid("有効なポリシーに点検の対象となる条項（義務・禁止）がありません".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO assessment_campaigns (org_id, fiscal_year, profile_version_id, due_on, created_by_person_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org_id)
        .bind(i64::from(year.0))
        .bind(profile_version_id)
        .bind(due_on.to_string())
        .bind(person_id)
        .bind(now_text())
        .fetch_one(w.conn())
        .await
        .map_err(|e| StoreError::from(e).on_unique(&format!("{}の自己点検はすでに作成されています", year.label_ja())))?
        .try_get(0)?;
        for (chunk_no, chunk) in items.chunks(BATCH).enumerate() {
            let mut sql = String::from(
                "INSERT INTO assessment_items (org_id, campaign_id, seq, clause, chapter, clause_text, force, role, department_id) VALUES ",
            );
            for k in 0..chunk.len() {
                let b = k * 9;
                if k > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${},${},${},${},${},${},${},${},${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9
                ));
            }
            let mut q = sqlx::query(&sql);
            for (k, it) in chunk.iter().enumerate() {
                let seq = (chunk_no * BATCH + k) as i64;
                q = q
                    .bind(org_id)
                    .bind(id)
                    .bind(seq)
                    .bind(&it.clause)
                    .bind(&it.chapter)
                    .bind(&it.text)
                    .bind(&it.force)
                    .bind(&it.role)
                    .bind(it.department_id);
            }
            q.execute(w.conn()).await?;
        }
        let departments: std::collections::BTreeSet<i64> = items.iter().filter_map(|i| i.department_id).collect();
        w.commit(
            actor,
            NewEvent::new(
                "assessment.create",
                "assessment_campaign",
                id,
                serde_json::json!({"fiscal_year": year.0, "profile_version_id": profile_version_id, "due_on": due_on.to_string(), "items": items.len(), "departments": departments}),
            ),
        )
        .await?;
        self.campaign_by_id(org_id, id).await
    }

    pub async fn campaign_by_id(&self, org_id: i64, id: i64) -> Result<Campaign> {
        self.one_by_id(CAMPAIGN_SELECT, "c", org_id, id, "assessment campaign", campaign).await
    }

    pub async fn campaign(&self, org_id: i64, year: FiscalYear) -> Result<Option<Campaign>> {
        let row = sqlx::query(&format!("{CAMPAIGN_SELECT} WHERE c.org_id = $1 AND c.fiscal_year = $2"))
            .bind(org_id)
            .bind(i64::from(year.0))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(campaign).transpose()
    }

    /// Every item of a campaign, in checklist order then department.
    pub async fn assessment_items(&self, org_id: i64, campaign_id: i64) -> Result<Vec<Item>> {
        let rows = sqlx::query(&format!("{ITEM_SELECT} WHERE i.org_id = $1 AND i.campaign_id = $2 ORDER BY i.seq"))
            .bind(org_id)
            .bind(campaign_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(item).collect()
    }

    pub async fn assessment_item(&self, org_id: i64, id: i64) -> Result<Item> {
        self.one_by_id(ITEM_SELECT, "i", org_id, id, "assessment item", item).await
    }

    /// Answers an item (or changes the answer; every answer is in the change record). A
    /// 一部実施 or 未実施 answer needs its improvement measure (改善策, 9.2(2)).
    pub async fn answer_item(&self, org_id: i64, id: i64, a: &Answer, person_id: i64, actor: &Actor) -> Result<Item> {
        let (answer, comment, measure) = (a.answer.trim(), a.comment.as_str(), a.measure.as_str());
        if !ANSWERS.iter().any(|(c, _)| *c == answer) {
            return Err(StoreError::Invalid("回答は 実施・一部実施・未実施・該当なし から選んでください".into()));
        }
        if matches!(answer, "partly" | "not_done") && measure.trim().is_empty() {
            return Err(StoreError::Invalid("一部実施・未実施の項目には改善策を記入してください".into()));
        }
        if answer == "not_applicable" && comment.trim().is_empty() {
            return Err(StoreError::Invalid("該当なしとする理由を所見に記入してください".into()));
        }
        if comment.chars().count() > 2000 || measure.chars().count() > 2000 {
            return Err(StoreError::Invalid("所見と改善策は各2000字以内で入力してください".into()));
        }
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE assessment_items SET answer = $1, comment = $2, measure = $3, answered_by_person_id = $4, answered_at = $5 WHERE org_id = $6 AND id = $7",
        )
        .bind(answer)
        .bind(comment.trim())
        .bind(measure.trim())
        .bind(person_id)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::NotFound("assessment item"));
        }
        w.commit(
            actor,
            NewEvent::new(
                "assessment.answer",
                "assessment_item",
                id,
                serde_json::json!({"answer": answer, "comment": comment.trim(), "measure": measure.trim()}),
            )
            .with_result(answer),
        )
        .await?;
        self.assessment_item(org_id, id).await
    }
}
