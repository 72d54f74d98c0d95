//! The information system register (情報システム台帳, 対策基準2(2)①(イ), 6.3(7)①(ア)).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::assets::Classes;
use crate::{flag, now_text, Actor, NewEvent, Result, Store, StoreError};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SystemFields {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub zone: Option<String>,
    pub department_id: i64,
    #[serde(default)]
    pub manager_person_id: Option<i64>,
    #[serde(default)]
    pub operator_person_id: Option<i64>,
    #[serde(default)]
    pub requires_mfa: bool,
    #[serde(default)]
    pub backup: bool,
    #[serde(default)]
    pub redundancy: bool,
    #[serde(default)]
    pub log_retention_days: Option<i64>,
    /// Cloud services it depends on, one per line.
    #[serde(default)]
    pub cloud_services: String,
    /// Contractors it depends on, one per line.
    #[serde(default)]
    pub contractors: String,
    /// Related documents (仕様書, ネットワーク構成図 …), one per line.
    #[serde(default)]
    pub documents: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct System {
    pub id: i64,
    pub org_id: i64,
    #[serde(flatten)]
    pub fields: SystemFields,
    pub department_name: String,
    pub manager_name: Option<String>,
    pub operator_name: Option<String>,
    pub asset_count: i64,
    pub updated_at: String,
}

fn system(r: &AnyRow) -> Result<System> {
    Ok(System {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        fields: SystemFields {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            zone: r.try_get("zone")?,
            department_id: r.try_get("department_id")?,
            manager_person_id: r.try_get("manager_person_id")?,
            operator_person_id: r.try_get("operator_person_id")?,
            requires_mfa: flag(r, "requires_mfa")?,
            backup: flag(r, "backup")?,
            redundancy: flag(r, "redundancy")?,
            log_retention_days: r.try_get("log_retention_days")?,
            cloud_services: r.try_get("cloud_services")?,
            contractors: r.try_get("contractors")?,
            documents: r.try_get("documents")?,
        },
        department_name: r.try_get("department_name")?,
        manager_name: r.try_get("manager_name")?,
        operator_name: r.try_get("operator_name")?,
        asset_count: r.try_get("asset_count")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const SYSTEM_SELECT: &str = "SELECT s.*, d.name AS department_name, m.name AS manager_name, o.name AS operator_name,
    (SELECT COUNT(*) FROM assets a WHERE a.system_id = s.id) AS asset_count
    FROM systems s JOIN departments d ON d.id = s.department_id
    LEFT JOIN people m ON m.id = s.manager_person_id LEFT JOIN people o ON o.id = s.operator_person_id";

impl Store {
    pub async fn create_system(&self, org_id: i64, f: &SystemFields, actor: &Actor) -> Result<System> {
        let mut w = self.begin_write(org_id).await?;
        let now = now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO systems (org_id, name, description, zone, department_id, manager_person_id, operator_person_id, requires_mfa, backup,
             redundancy, log_retention_days, cloud_services, contractors, documents, created_at, updated_at)
             SELECT $1, $2, $3, $4, d.id, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15 FROM departments d WHERE d.id = $5 AND d.org_id = $1
             RETURNING id",
        )
        .bind(org_id)
        .bind(&f.name)
        .bind(&f.description)
        .bind(&f.zone)
        .bind(f.department_id)
        .bind(f.manager_person_id)
        .bind(f.operator_person_id)
        .bind(i64::from(f.requires_mfa))
        .bind(i64::from(f.backup))
        .bind(i64::from(f.redundancy))
        .bind(f.log_retention_days)
        .bind(&f.cloud_services)
        .bind(&f.contractors)
        .bind(&f.documents)
        .bind(now)
        .fetch_optional(w.conn())
        .await?
        .ok_or(StoreError::NotFound("department"))?
        .try_get(0)?;
        w.commit(actor, NewEvent::new("system.create", "system", id, serde_json::json!({"fields": f}))).await?;
        self.system(org_id, id).await
    }

    pub async fn update_system(&self, org_id: i64, id: i64, f: &SystemFields, actor: &Actor) -> Result<System> {
        let before = self.system(org_id, id).await?;
        let mut w = self.begin_write(org_id).await?;
        sqlx::query(
            "UPDATE systems SET name = $1, description = $2, zone = $3, department_id = $4, manager_person_id = $5, operator_person_id = $6,
             requires_mfa = $7, backup = $8, redundancy = $9, log_retention_days = $10, cloud_services = $11, contractors = $12,
             documents = $13, updated_at = $14 WHERE org_id = $15 AND id = $16",
        )
        .bind(&f.name)
        .bind(&f.description)
        .bind(&f.zone)
        .bind(f.department_id)
        .bind(f.manager_person_id)
        .bind(f.operator_person_id)
        .bind(i64::from(f.requires_mfa))
        .bind(i64::from(f.backup))
        .bind(i64::from(f.redundancy))
        .bind(f.log_retention_days)
        .bind(&f.cloud_services)
        .bind(&f.contractors)
        .bind(&f.documents)
        .bind(now_text())
        .bind(org_id)
        .bind(id)
        .execute(w.conn())
        .await?;
        w.commit(actor, NewEvent::new("system.update", "system", id, serde_json::json!({"before": before.fields, "after": f}))).await?;
        self.system(org_id, id).await
    }

    pub async fn system(&self, org_id: i64, id: i64) -> Result<System> {
        let r = sqlx::query(&format!("{SYSTEM_SELECT} WHERE s.org_id = $1 AND s.id = $2"))
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("system"))?;
        system(&r)
    }

    /// Systems, optionally only those whose name or description contains `text`.
    pub async fn systems(&self, org_id: i64, department_id: Option<i64>, text: Option<&str>) -> Result<Vec<System>> {
        let pattern = format!("%{}%", text.unwrap_or("").replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let rows = sqlx::query(&format!(
            "{SYSTEM_SELECT} WHERE s.org_id = $1 AND ($2 = 0 OR s.department_id = $2)
             AND (s.name LIKE $3 ESCAPE '\\' OR s.description LIKE $3 ESCAPE '\\') ORDER BY s.name LIMIT 500"
        ))
        .bind(org_id)
        .bind(department_id.unwrap_or(0))
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(system).collect()
    }

    /// The distinct classes of the assets a system holds, from which its highest classes
    /// follow (the caller ranks them with the profile).
    pub async fn system_asset_classes(&self, org_id: i64, system_id: i64) -> Result<Vec<Classes>> {
        let rows = sqlx::query("SELECT DISTINCT confidentiality, integrity, availability FROM assets WHERE org_id = $1 AND system_id = $2")
            .bind(org_id)
            .bind(system_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Classes {
                    confidentiality: r.try_get("confidentiality")?,
                    integrity: r.try_get("integrity")?,
                    availability: r.try_get("availability")?,
                })
            })
            .collect()
    }
}
