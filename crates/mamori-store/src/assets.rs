//! The information asset register (情報資産台帳) and its classification history.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::dialect::TextSearch;
use crate::{flag, now_text, Actor, NewEvent, Result, Store, StoreError};

/// An asset's classes. `None` on an axis means "not decided yet" (要判断).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Classes {
    pub confidentiality: Option<String>,
    pub integrity: Option<String>,
    pub availability: Option<String>,
}

impl Classes {
    pub fn is_undecided(&self) -> bool {
        self.confidentiality.is_none() || self.integrity.is_none() || self.availability.is_none()
    }

    /// (axis id, level id) pairs for the decided axes.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut v = Vec::new();
        if let Some(c) = &self.confidentiality {
            v.push(("confidentiality", c.as_str()));
        }
        if let Some(i) = &self.integrity {
            v.push(("integrity", i.as_str()));
        }
        if let Some(a) = &self.availability {
            v.push(("availability", a.as_str()));
        }
        v
    }
}

/// The fields of an asset a person edits.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AssetFields {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub department_id: i64,
    /// `information`, `document`, `system_document`, `equipment` …
    pub kind: String,
    /// `electronic`, `paper`, `removable_media`
    pub medium: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub zone: Option<String>,
    #[serde(default)]
    pub system_id: Option<i64>,
    #[serde(default)]
    pub personal_info: bool,
    #[serde(default)]
    pub specific_personal_info: bool,
    #[serde(default)]
    pub retention: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Asset {
    pub id: i64,
    pub org_id: i64,
    #[serde(flatten)]
    pub fields: AssetFields,
    #[serde(flatten)]
    pub classes: Classes,
    pub origin_asset_id: Option<i64>,
    pub department_name: String,
    pub system_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClassificationChange {
    pub classes: Classes,
    pub reason: String,
    pub changed_by: Option<i64>,
    pub changed_at: String,
    pub event_seq: i64,
}

/// What to list. `visible_departments` is the access limit computed by the caller: `None`
/// means the whole organization.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub visible_departments: Option<Vec<i64>>,
    pub department_id: Option<i64>,
    pub confidentiality: Option<String>,
    pub integrity: Option<String>,
    pub availability: Option<String>,
    pub zone: Option<String>,
    pub system_id: Option<i64>,
    pub personal_info: Option<bool>,
    pub specific_personal_info: Option<bool>,
    pub undecided: bool,
    pub text: Option<String>,
    /// Keyset pagination: only assets with an id below this one.
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Matches above which a term searched within one department is found sooner by scanning
/// the department than through the index (see `Backend::asset_text_search`).
const FREQUENT_TERM: i64 = 20_000;

const ASSET_COLUMNS: &str = "a.*, d.name AS department_name, s.name AS system_name";

fn asset(r: &AnyRow) -> Result<Asset> {
    Ok(Asset {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        fields: AssetFields {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            department_id: r.try_get("department_id")?,
            kind: r.try_get("kind")?,
            medium: r.try_get("medium")?,
            location: r.try_get("location")?,
            zone: r.try_get("zone")?,
            system_id: r.try_get("system_id")?,
            personal_info: flag(r, "personal_info")?,
            specific_personal_info: flag(r, "specific_personal_info")?,
            retention: r.try_get("retention")?,
        },
        classes: Classes {
            confidentiality: r.try_get("confidentiality")?,
            integrity: r.try_get("integrity")?,
            availability: r.try_get("availability")?,
        },
        origin_asset_id: r.try_get("origin_asset_id")?,
        department_name: r.try_get("department_name")?,
        system_name: r.try_get("system_name")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A query under construction: SQL text and the values bound to its `$N` placeholders.
enum Bind {
    Int(i64),
    Text(String),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_all(mut q: AnyQuery<'_>, binds: Vec<Bind>) -> AnyQuery<'_> {
    for b in binds {
        q = match b {
            Bind::Int(i) => q.bind(i),
            Bind::Text(t) => q.bind(t),
        };
    }
    q
}

impl Store {
    pub async fn create_asset(
        &self,
        org_id: i64,
        fields: &AssetFields,
        classes: &Classes,
        origin: Option<i64>,
        actor: &Actor,
    ) -> Result<Asset> {
        let mut w = self.begin_write(org_id).await?;
        let id = insert_asset(w.conn(), org_id, fields, classes, origin).await?;
        self.backend.index_asset_text(w.conn(), id, &fields.name, &fields.description, false).await?;
        let seq = w.seq;
        insert_classification(w.conn(), org_id, id, classes, "登録時の分類", actor.user_id, seq).await?;
        w.commit(
            actor,
            NewEvent::new(
                "asset.create",
                "asset",
                id,
                serde_json::json!({"fields": fields, "classes": classes, "origin_asset_id": origin}),
            ),
        )
        .await?;
        self.asset(org_id, id).await
    }

    /// Bulk insert for the demo and the benchmark: many assets, one transaction, one event.
    pub async fn create_assets_bulk(&self, org_id: i64, items: &[(AssetFields, Classes)], actor: &Actor) -> Result<usize> {
        let mut w = self.begin_write(org_id).await?;
        for (fields, classes) in items {
            let id = insert_asset(w.conn(), org_id, fields, classes, None).await?;
            self.backend.index_asset_text(w.conn(), id, &fields.name, &fields.description, false).await?;
            let seq = w.seq;
            insert_classification(w.conn(), org_id, id, classes, "一括登録", actor.user_id, seq).await?;
        }
        w.commit(actor, NewEvent::new("asset.bulk_create", "organization", org_id, serde_json::json!({"count": items.len()}))).await?;
        Ok(items.len())
    }

    /// Copies an asset: the copy records its origin and inherits its classes (対策基準2(2)①(ウ)).
    pub async fn copy_asset(&self, org_id: i64, origin_id: i64, name: &str, location: &str, actor: &Actor) -> Result<Asset> {
        let origin = self.asset(org_id, origin_id).await?;
        let mut fields = origin.fields.clone();
        fields.name = name.to_owned();
        fields.location = location.to_owned();
        self.create_asset(org_id, &fields, &origin.classes, Some(origin_id), actor).await
    }

    pub async fn update_asset(&self, org_id: i64, id: i64, fields: &AssetFields, actor: &Actor) -> Result<Asset> {
        let before = self.asset(org_id, id).await?;
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query(
            "UPDATE assets SET name = $1, description = $2, department_id = $3, kind = $4, medium = $5, location = $6, zone = $7,
             system_id = $8, personal_info = $9, specific_personal_info = $10, retention = $11, updated_at = $12
             WHERE org_id = $13 AND id = $14",
        )
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(fields.department_id)
        .bind(&fields.kind)
        .bind(&fields.medium)
        .bind(&fields.location)
        .bind(&fields.zone)
        .bind(fields.system_id)
        .bind(i64::from(fields.personal_info))
        .bind(i64::from(fields.specific_personal_info))
        .bind(&fields.retention)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("asset"));
        }
        self.backend.index_asset_text(w.conn(), id, &fields.name, &fields.description, true).await?;
        w.commit(actor, NewEvent::new("asset.update", "asset", id, serde_json::json!({"before": before.fields, "after": fields}))).await?;
        self.asset(org_id, id).await
    }

    /// Changes an asset's classes, keeping the history.
    pub async fn reclassify_asset(&self, org_id: i64, id: i64, classes: &Classes, reason: &str, actor: &Actor) -> Result<Asset> {
        let before = self.asset(org_id, id).await?;
        let mut w = self.begin_write(org_id).await?;
        sqlx::query(
            "UPDATE assets SET confidentiality = $1, integrity = $2, availability = $3, updated_at = $4 WHERE org_id = $5 AND id = $6",
        )
        .bind(&classes.confidentiality)
        .bind(&classes.integrity)
        .bind(&classes.availability)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?;
        let seq = w.seq;
        insert_classification(w.conn(), org_id, id, classes, reason, actor.user_id, seq).await?;
        w.commit(
            actor,
            NewEvent::new(
                "asset.reclassify",
                "asset",
                id,
                serde_json::json!({"before": before.classes, "after": classes, "reason": reason}),
            ),
        )
        .await?;
        self.asset(org_id, id).await
    }

    pub async fn asset(&self, org_id: i64, id: i64) -> Result<Asset> {
        let r = sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM assets a JOIN departments d ON d.id = a.department_id LEFT JOIN systems s ON s.id = a.system_id
             WHERE a.org_id = $1 AND a.id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("asset"))?;
        asset(&r)
    }

    pub async fn classification_history(&self, org_id: i64, asset_id: i64) -> Result<Vec<ClassificationChange>> {
        let rows = sqlx::query("SELECT * FROM asset_classifications WHERE org_id = $1 AND asset_id = $2 ORDER BY id DESC")
            .bind(org_id)
            .bind(asset_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ClassificationChange {
                    classes: Classes {
                        confidentiality: r.try_get("confidentiality")?,
                        integrity: r.try_get("integrity")?,
                        availability: r.try_get("availability")?,
                    },
                    reason: r.try_get("reason")?,
                    changed_by: r.try_get("changed_by")?,
                    changed_at: r.try_get("changed_at")?,
                    event_seq: r.try_get("event_seq")?,
                })
            })
            .collect()
    }

    /// Lists assets, newest first, one page at a time.
    pub async fn assets(&self, org_id: i64, f: &AssetFilter) -> Result<Vec<Asset>> {
        if f.visible_departments.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let (sql, binds) = self.asset_query(org_id, f).await?;
        let rows = bind_all(sqlx::query(&sql), binds).fetch_all(&self.pool).await?;
        rows.iter().map(asset).collect()
    }

    /// The database's plan for the query [`Store::assets`] runs for this filter, one line per
    /// step (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`). For benchmarks and tuning.
    pub async fn explain_assets(&self, org_id: i64, f: &AssetFilter) -> Result<Vec<String>> {
        let (sql, binds) = self.asset_query(org_id, f).await?;
        let (explain, column) = match self.backend {
            crate::Backend::Sqlite => (format!("EXPLAIN QUERY PLAN {sql}"), 3),
            crate::Backend::Postgres => (format!("EXPLAIN {sql}"), 0),
        };
        let rows = bind_all(sqlx::query(&explain), binds).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(r.try_get::<String, _>(column)?)).collect()
    }

    /// Builds the SQL and its values for a page of assets.
    async fn asset_query(&self, org_id: i64, f: &AssetFilter) -> Result<(String, Vec<Bind>)> {
        let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let one_department = f.department_id.is_some() || f.visible_departments.as_ref().is_some_and(|v| v.len() == 1);
        let frequent = match text {
            Some(t) if one_department => self.is_frequent_term(t).await?,
            _ => false,
        };
        let search = text.map(|t| self.backend.asset_text_search(t, frequent));
        // The column that orders the page: the full-text table's rowid when it drives.
        let (from, order) = match &search {
            Some(TextSearch::IndexDriven { .. }) => ("assets_search f JOIN assets a ON a.id = f.rowid", "f.rowid"),
            _ => ("assets a", "a.id"),
        };
        let mut sql = format!(
            "SELECT {ASSET_COLUMNS} FROM {from} JOIN departments d ON d.id = a.department_id LEFT JOIN systems s ON s.id = a.system_id WHERE a.org_id = $1"
        );
        let mut binds = vec![Bind::Int(org_id)];
        let next = |sql: &mut String, cond: &str, b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            sql.push_str(&cond.replace("$?", &format!("${}", binds.len())));
        };
        if let Some(visible) = &f.visible_departments {
            // Department ids are integers from the database, never user text.
            let list = visible.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            sql.push_str(&format!(" AND a.department_id IN ({list})"));
        }
        if let Some(d) = f.department_id {
            next(&mut sql, " AND a.department_id = $?", Bind::Int(d), &mut binds);
        }
        for (col, v) in [("confidentiality", &f.confidentiality), ("integrity", &f.integrity), ("availability", &f.availability)] {
            if let Some(v) = v {
                next(&mut sql, &format!(" AND a.{col} = $?"), Bind::Text(v.clone()), &mut binds);
            }
        }
        if let Some(z) = &f.zone {
            next(&mut sql, " AND a.zone = $?", Bind::Text(z.clone()), &mut binds);
        }
        if let Some(s) = f.system_id {
            next(&mut sql, " AND a.system_id = $?", Bind::Int(s), &mut binds);
        }
        if let Some(p) = f.personal_info {
            next(&mut sql, " AND a.personal_info = $?", Bind::Int(i64::from(p)), &mut binds);
        }
        if let Some(p) = f.specific_personal_info {
            next(&mut sql, " AND a.specific_personal_info = $?", Bind::Int(i64::from(p)), &mut binds);
        }
        if f.undecided {
            sql.push_str(" AND (a.confidentiality IS NULL OR a.integrity IS NULL OR a.availability IS NULL)");
        }
        match search {
            Some(TextSearch::IndexDriven { value }) => next(&mut sql, " AND assets_search MATCH $?", Bind::Text(value), &mut binds),
            Some(TextSearch::Condition { template, value }) => next(&mut sql, &format!(" AND {template}"), Bind::Text(value), &mut binds),
            None => {}
        }
        if let Some(b) = f.before_id {
            next(&mut sql, &format!(" AND {order} < $?"), Bind::Int(b), &mut binds);
        }
        next(&mut sql, &format!(" ORDER BY {order} DESC LIMIT $?"), Bind::Int(f.limit.clamp(1, 500)), &mut binds);
        Ok((sql, binds))
    }

    /// Whether a search term matches at least [`FREQUENT_TERM`] assets (SQLite only), read
    /// from the bigram index without touching the asset rows.
    async fn is_frequent_term(&self, text: &str) -> Result<bool> {
        let Some(phrase) = crate::search::bigram_phrase(text) else { return Ok(false) };
        if self.backend != crate::Backend::Sqlite {
            return Ok(false);
        }
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM (SELECT 1 FROM assets_search WHERE assets_search MATCH $1 LIMIT $2)")
            .bind(phrase)
            .bind(FREQUENT_TERM)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n >= FREQUENT_TERM)
    }

    pub async fn asset_count(&self, org_id: i64) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM assets WHERE org_id = $1").bind(org_id).fetch_one(&self.pool).await?.try_get(0)?)
    }
}

async fn insert_asset(conn: &mut sqlx::AnyConnection, org_id: i64, f: &AssetFields, c: &Classes, origin: Option<i64>) -> Result<i64> {
    let now = now_text();
    Ok(sqlx::query(
        "INSERT INTO assets (org_id, name, description, department_id, kind, medium, location, zone, system_id, confidentiality, integrity,
         availability, personal_info, specific_personal_info, retention, origin_asset_id, created_at, updated_at)
         SELECT $1, $2, $3, d.id, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17
         FROM departments d WHERE d.id = $4 AND d.org_id = $1 RETURNING id",
    )
    .bind(org_id)
    .bind(&f.name)
    .bind(&f.description)
    .bind(f.department_id)
    .bind(&f.kind)
    .bind(&f.medium)
    .bind(&f.location)
    .bind(&f.zone)
    .bind(f.system_id)
    .bind(&c.confidentiality)
    .bind(&c.integrity)
    .bind(&c.availability)
    .bind(i64::from(f.personal_info))
    .bind(i64::from(f.specific_personal_info))
    .bind(&f.retention)
    .bind(origin)
    .bind(now)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("department"))?
    .try_get(0)?)
}

async fn insert_classification(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    asset_id: i64,
    c: &Classes,
    reason: &str,
    by: Option<i64>,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO asset_classifications (org_id, asset_id, confidentiality, integrity, availability, reason, changed_by, changed_at, event_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(org_id)
    .bind(asset_id)
    .bind(&c.confidentiality)
    .bind(&c.integrity)
    .bind(&c.availability)
    .bind(reason)
    .bind(by)
    .bind(now_text())
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}
