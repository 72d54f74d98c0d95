//! Organizations, profile versions, departments, posts, people and role assignments.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{flag, now_text, Actor, NewEvent, Result, Store, StoreError};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Organization {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfileVersion {
    pub id: i64,
    pub org_id: i64,
    pub version_no: i64,
    pub file_name: String,
    pub profile_id: String,
    pub edition: String,
    pub digest: String,
    pub activated_at: String,
    pub is_active: bool,
    #[serde(skip)]
    pub content: String,
}

/// What the person activating a version was shown and confirmed, for the change record.
#[derive(Debug, Clone, Default)]
pub struct ActivationReview {
    /// The accounts that uploaded or edited the draft (not the activating one).
    pub authors: Vec<i64>,
    /// The losses named in the confirmation, in Japanese.
    pub confirmed_losses: Vec<String>,
    /// How many sample decisions change.
    pub changed_decisions: usize,
}

/// How a version comes to be activated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Activation<'a> {
    pub from_draft: Option<i64>,
    pub restored_from: Option<i64>,
    pub review: Option<&'a ActivationReview>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Department {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub kind: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Post {
    pub id: i64,
    pub name: String,
    pub rank: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Person {
    pub id: i64,
    pub org_id: i64,
    pub staff_no: String,
    pub name: String,
    pub kana: String,
    pub email: String,
    pub department_id: i64,
    pub post_id: Option<i64>,
    pub employment: String,
    pub active: bool,
    /// The day the person joined (新規採用), when recorded: starts the training rule on joining.
    pub joined_on: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RoleAssignment {
    pub id: i64,
    pub role: String,
    pub person_id: i64,
    pub person_name: String,
    pub department_id: Option<i64>,
    pub is_deputy: bool,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub staff_no: String,
    pub name: String,
    pub kana: String,
    pub email: String,
    pub department_id: i64,
    pub post_id: Option<i64>,
    pub employment: String,
}

/// One row of a staff list to import: departments and posts by name, created as needed.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub staff_no: String,
    pub name: String,
    pub kana: String,
    pub email: String,
    pub department_code: String,
    pub department_name: String,
    pub parent_department_code: String,
    pub post: String,
    pub employment: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub departments_created: usize,
    pub posts_created: usize,
    pub people_created: usize,
    pub people_updated: usize,
}

fn department(r: &AnyRow) -> Result<Department> {
    Ok(Department {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        kind: r.try_get("kind")?,
    })
}

pub(crate) fn person(r: &AnyRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        staff_no: r.try_get("staff_no")?,
        name: r.try_get("name")?,
        kana: r.try_get("kana")?,
        email: r.try_get("email")?,
        department_id: r.try_get("department_id")?,
        post_id: r.try_get("post_id")?,
        employment: r.try_get("employment")?,
        active: flag(r, "active")?,
        joined_on: r.try_get("joined_on")?,
    })
}

fn profile_version(r: &AnyRow) -> Result<ProfileVersion> {
    Ok(ProfileVersion {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        version_no: r.try_get("version_no")?,
        file_name: r.try_get("file_name")?,
        profile_id: r.try_get("profile_id")?,
        edition: r.try_get("edition")?,
        digest: r.try_get("digest")?,
        activated_at: r.try_get("activated_at")?,
        is_active: flag(r, "is_active")?,
        content: r.try_get("content")?,
    })
}

impl Store {
    /// Creates an organization. Its first change record is its own creation.
    pub async fn create_organization(&self, code: &str, name: &str, actor: &Actor) -> Result<Organization> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query("INSERT INTO organizations (code, name, event_seq, created_at) VALUES ($1, $2, 0, $3) RETURNING id")
            .bind(code)
            .bind(name)
            .bind(now_text())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::from(e).on_unique("organization code"))?
            .try_get(0)?;
        tx.commit().await?;
        let w = self.begin_write(id).await?;
        w.commit(actor, NewEvent::new("organization.create", "organization", id, serde_json::json!({"code": code, "name": name}))).await?;
        Ok(Organization { id, code: code.to_owned(), name: name.to_owned() })
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>> {
        let rows = sqlx::query("SELECT id, code, name FROM organizations ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(Organization { id: r.try_get("id")?, code: r.try_get("code")?, name: r.try_get("name")? })).collect()
    }

    pub async fn organization(&self, id: i64) -> Result<Organization> {
        let r = sqlx::query("SELECT id, code, name FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("organization"))?;
        Ok(Organization { id: r.try_get("id")?, code: r.try_get("code")?, name: r.try_get("name")? })
    }

    /// Stores a profile version and makes it the active one. The caller has validated the
    /// text; this only records it. Every version ever activated stays.
    pub async fn activate_profile(
        &self,
        org_id: i64,
        file_name: &str,
        text: &str,
        profile: &mamori_policy::Profile,
        actor: &Actor,
    ) -> Result<ProfileVersion> {
        self.activate_profile_reviewed(org_id, file_name, text, profile, &Activation::default(), actor).await
    }

    /// Makes an earlier version's content the active profile again, as a new version (every
    /// version stays as it was). The caller showed the diff and has the confirmation.
    pub async fn restore_profile_version(
        &self,
        org_id: i64,
        version_id: i64,
        profile: &mamori_policy::Profile,
        review: &ActivationReview,
        actor: &Actor,
    ) -> Result<ProfileVersion> {
        let old = self.profile_version(org_id, version_id).await?;
        if old.is_active {
            return Err(StoreError::WrongState(format!("第{}版は現在有効な版です", old.version_no)));
        }
        let how = Activation { from_draft: None, restored_from: Some(old.version_no), review: Some(review) };
        self.activate_profile_reviewed(org_id, &old.file_name, &old.content, profile, &how, actor).await
    }

    /// Activation, optionally of an accepted draft (marked activated in the same transaction)
    /// or as the restoring of an earlier version.
    pub async fn activate_profile_reviewed(
        &self,
        org_id: i64,
        file_name: &str,
        text: &str,
        profile: &mamori_policy::Profile,
        how: &Activation<'_>,
        actor: &Actor,
    ) -> Result<ProfileVersion> {
        let from_draft = how.from_draft;
        let mut w = self.begin_write(org_id).await?;
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(version_no), 0) + 1 FROM profile_versions WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(w.conn())
            .await?
            .try_get(0)?;
        sqlx::query("UPDATE profile_versions SET is_active = 0 WHERE org_id = $1 AND is_active = 1").bind(org_id).execute(w.conn()).await?;
        let digest = mamori_policy::profile_digest(text);
        let now = now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO profile_versions (org_id, version_no, file_name, profile_id, edition, content, digest, activated_at, activated_by, is_active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) RETURNING id",
        )
        .bind(org_id)
        .bind(next)
        .bind(file_name)
        .bind(profile.profile.id.as_str())
        .bind(&profile.profile.edition)
        .bind(text)
        .bind(&digest)
        .bind(&now)
        .bind(actor.user_id)
        .fetch_one(w.conn())
        .await?
        .try_get(0)?;
        if let Some(draft) = from_draft {
            let n = sqlx::query(
                "UPDATE profile_drafts SET status = 'activated', activated_version_id = $1, updated_at = $2 WHERE org_id = $3 AND id = $4 AND status = 'accepted' AND draft_text = $5",
            )
            .bind(id)
            .bind(&now)
            .bind(org_id)
            .bind(draft)
            .bind(text)
            .execute(w.conn())
            .await?
            .rows_affected();
            if n != 1 {
                return Err(StoreError::WrongState(format!("下書き {draft} は承認された内容から変わったか、有効化済みです")));
            }
        }
        w.refresh_profile_version().await?;
        let action = if how.restored_from.is_some() { "profile.restore" } else { "profile.activate" };
        w.commit(
            actor,
            NewEvent::new(
                action,
                "profile_version",
                id,
                serde_json::json!({
                    "version_no": next, "file_name": file_name, "digest": digest, "edition": profile.profile.edition,
                    "from_draft": from_draft, "restored_from_version": how.restored_from,
                    "authored_by_user_ids": how.review.map(|r| r.authors.clone()),
                    "confirmed_losses": how.review.map(|r| r.confirmed_losses.clone()),
                    "changed_decisions": how.review.map(|r| r.changed_decisions),
                }),
            ),
        )
        .await?;
        self.profile_version(org_id, id).await
    }

    pub async fn profile_version(&self, org_id: i64, id: i64) -> Result<ProfileVersion> {
        let r = sqlx::query("SELECT * FROM profile_versions WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("profile version"))?;
        profile_version(&r)
    }

    /// Which version is active: the id alone, so that a per-request check reads no text.
    /// The organization's change counter and its active profile version, in one read; `None`
    /// when there is no such organization. The counter (`event_seq`) is raised in the same
    /// transaction as every committed change (see `writer.rs`), by this process or another,
    /// so data read after it and cached under it is current for as long as it stays the same.
    pub async fn change_state(&self, org_id: i64) -> Result<Option<(i64, Option<i64>)>> {
        sqlx::query(
            "SELECT o.event_seq, (SELECT p.id FROM profile_versions p WHERE p.org_id = o.id AND p.is_active = 1) FROM organizations o WHERE o.id = $1",
        )
        .bind(org_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Option<i64>, _>(1)?)))
        .transpose()
    }

    pub async fn active_profile_id(&self, org_id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query("SELECT id FROM profile_versions WHERE org_id = $1 AND is_active = 1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?)
    }

    pub async fn active_profile(&self, org_id: i64) -> Result<Option<ProfileVersion>> {
        sqlx::query("SELECT * FROM profile_versions WHERE org_id = $1 AND is_active = 1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(profile_version)
            .transpose()
    }

    pub async fn profile_versions(&self, org_id: i64) -> Result<Vec<ProfileVersion>> {
        let rows = sqlx::query("SELECT * FROM profile_versions WHERE org_id = $1 ORDER BY version_no DESC")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(profile_version).collect()
    }

    pub async fn create_department(
        &self,
        org_id: i64,
        code: &str,
        name: &str,
        parent_id: Option<i64>,
        kind: &str,
        actor: &Actor,
    ) -> Result<Department> {
        let mut w = self.begin_write(org_id).await?;
        if let Some(p) = parent_id {
            self.department_in(w.conn(), org_id, p).await?;
        }
        let id = insert_department(w.conn(), org_id, code, name, parent_id, kind).await?;
        w.commit(
            actor,
            NewEvent::new("department.create", "department", id, serde_json::json!({"code": code, "name": name, "parent_id": parent_id})),
        )
        .await?;
        self.department(org_id, id).await
    }

    async fn department_in(&self, conn: &mut sqlx::AnyConnection, org_id: i64, id: i64) -> Result<Department> {
        let r = sqlx::query("SELECT * FROM departments WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(conn)
            .await?
            .ok_or(StoreError::NotFound("department"))?;
        department(&r)
    }

    pub async fn department(&self, org_id: i64, id: i64) -> Result<Department> {
        let mut conn = self.pool.acquire().await?;
        self.department_in(&mut conn, org_id, id).await
    }

    pub async fn departments(&self, org_id: i64) -> Result<Vec<Department>> {
        let rows = sqlx::query("SELECT * FROM departments WHERE org_id = $1 ORDER BY code").bind(org_id).fetch_all(&self.pool).await?;
        rows.iter().map(department).collect()
    }

    pub async fn create_post(&self, org_id: i64, name: &str, rank: i64, actor: &Actor) -> Result<Post> {
        let mut w = self.begin_write(org_id).await?;
        let id = insert_post(w.conn(), org_id, name, rank).await?;
        w.commit(actor, NewEvent::new("post.create", "post", id, serde_json::json!({"name": name, "rank": rank}))).await?;
        Ok(Post { id, name: name.to_owned(), rank })
    }

    pub async fn posts(&self, org_id: i64) -> Result<Vec<Post>> {
        let rows = sqlx::query("SELECT id, name, rank FROM posts WHERE org_id = $1 ORDER BY rank DESC, name")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(Post { id: r.try_get("id")?, name: r.try_get("name")?, rank: r.try_get("rank")? })).collect()
    }

    pub async fn create_person(&self, org_id: i64, p: &NewPerson, actor: &Actor) -> Result<Person> {
        let mut w = self.begin_write(org_id).await?;
        self.department_in(w.conn(), org_id, p.department_id).await?;
        let id = insert_person(w.conn(), org_id, p).await?;
        w.commit(
            actor,
            NewEvent::new(
                "person.create",
                "person",
                id,
                serde_json::json!({"staff_no": p.staff_no, "department_id": p.department_id, "post_id": p.post_id, "employment": p.employment}),
            )
            .with_personal("name", &p.name),
        )
        .await?;
        self.person(org_id, id).await
    }

    pub async fn person(&self, org_id: i64, id: i64) -> Result<Person> {
        let r = sqlx::query("SELECT * FROM people WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("person"))?;
        person(&r)
    }

    pub async fn people(&self, org_id: i64, department_id: Option<i64>, limit: i64, offset: i64) -> Result<Vec<Person>> {
        let rows =
            sqlx::query("SELECT * FROM people WHERE org_id = $1 AND ($2 = 0 OR department_id = $2) ORDER BY staff_no LIMIT $3 OFFSET $4")
                .bind(org_id)
                .bind(department_id.unwrap_or(0))
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(person).collect()
    }

    pub async fn assign_role(
        &self,
        org_id: i64,
        role: &str,
        person_id: i64,
        department_id: Option<i64>,
        is_deputy: bool,
        actor: &Actor,
    ) -> Result<i64> {
        let mut w = self.begin_write(org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO role_assignments (org_id, role, person_id, department_id, is_deputy, created_at)
             SELECT $1, $2, p.id, $4, $5, $6 FROM people p WHERE p.id = $3 AND p.org_id = $1 RETURNING id",
        )
        .bind(org_id)
        .bind(role)
        .bind(person_id)
        .bind(department_id)
        .bind(i64::from(is_deputy))
        .bind(now_text())
        .fetch_optional(w.conn())
        .await?
        .ok_or(StoreError::NotFound("person"))?
        .try_get(0)?;
        w.commit(
            actor,
            NewEvent::new(
                "role.assign",
                "role_assignment",
                id,
                serde_json::json!({"role": role, "person_id": person_id, "department_id": department_id, "deputy": is_deputy}),
            ),
        )
        .await?;
        Ok(id)
    }

    pub async fn remove_role_assignment(&self, org_id: i64, id: i64, actor: &Actor) -> Result<()> {
        let mut w = self.begin_write(org_id).await?;
        let n = sqlx::query("DELETE FROM role_assignments WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .execute(w.conn())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("role assignment"));
        }
        w.commit(actor, NewEvent::new("role.unassign", "role_assignment", id, serde_json::json!({}))).await?;
        Ok(())
    }

    pub async fn role_assignments(&self, org_id: i64) -> Result<Vec<RoleAssignment>> {
        let rows = sqlx::query(
            "SELECT r.id, r.role, r.person_id, p.name AS person_name, r.department_id, r.is_deputy
             FROM role_assignments r JOIN people p ON p.id = r.person_id WHERE r.org_id = $1 ORDER BY r.role, r.department_id, r.id",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(role_assignment).collect()
    }

    pub async fn roles_of_person(&self, person_id: i64) -> Result<Vec<RoleAssignment>> {
        let rows = sqlx::query(
            "SELECT r.id, r.role, r.person_id, p.name AS person_name, r.department_id, r.is_deputy
             FROM role_assignments r JOIN people p ON p.id = r.person_id WHERE r.person_id = $1 ORDER BY r.role",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(role_assignment).collect()
    }

    /// Imports a staff list in one transaction: all rows or none. Departments and posts
    /// named in the rows are created when missing; people are matched by staff number.
    pub async fn import_staff(&self, org_id: i64, rows: &[StaffRow], source: &str, actor: &Actor) -> Result<ImportSummary> {
        let mut w = self.begin_write(org_id).await?;
        let mut summary = ImportSummary::default();
        // Departments first, each after its parent, whatever the order of the rows.
        let mut pending: Vec<&StaffRow> = rows.iter().collect();
        while !pending.is_empty() {
            let mut waiting = Vec::new();
            for row in pending.iter().copied() {
                if department_id_by_code(w.conn(), org_id, &row.department_code).await?.is_some() {
                    continue;
                }
                let parent_id = if row.parent_department_code.is_empty() {
                    None
                } else {
                    match department_id_by_code(w.conn(), org_id, &row.parent_department_code).await? {
                        Some(id) => Some(id),
                        None => {
                            waiting.push(row);
                            continue;
                        }
                    }
                };
                insert_department(w.conn(), org_id, &row.department_code, &row.department_name, parent_id, "section").await?;
                summary.departments_created += 1;
            }
            if waiting.len() == pending.len() {
                let row = waiting[0];
                return Err(StoreError::Invalid(format!(
                    "職員番号「{}」の上位所属コード「{}」の所属がありません",
                    row.staff_no, row.parent_department_code
                )));
            }
            pending = waiting;
        }
        for row in rows {
            let department_id = department_id_by_code(w.conn(), org_id, &row.department_code)
                .await?
                .ok_or_else(|| StoreError::Invalid(format!("所属コード「{}」の所属がありません", row.department_code)))?;
            if !row.parent_department_code.is_empty()
                && department_id_by_code(w.conn(), org_id, &row.parent_department_code).await?.is_none()
            {
                return Err(StoreError::Invalid(format!(
                    "職員番号「{}」の上位所属コード「{}」の所属がありません",
                    row.staff_no, row.parent_department_code
                )));
            }
            let post_id = if row.post.is_empty() {
                None
            } else {
                let found: Option<i64> = sqlx::query("SELECT id FROM posts WHERE org_id = $1 AND name = $2")
                    .bind(org_id)
                    .bind(&row.post)
                    .fetch_optional(w.conn())
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
                Some(match found {
                    Some(id) => id,
                    None => {
                        summary.posts_created += 1;
                        insert_post(w.conn(), org_id, &row.post, 0).await?
                    }
                })
            };
            let existing: Option<i64> = sqlx::query("SELECT id FROM people WHERE org_id = $1 AND staff_no = $2")
                .bind(org_id)
                .bind(&row.staff_no)
                .fetch_optional(w.conn())
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            let p = NewPerson {
                staff_no: row.staff_no.clone(),
                name: row.name.clone(),
                kana: row.kana.clone(),
                email: row.email.clone(),
                department_id,
                post_id,
                employment: row.employment.clone(),
            };
            match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE people SET name = $1, kana = $2, email = $3, department_id = $4, post_id = $5, employment = $6 WHERE id = $7",
                    )
                    .bind(&p.name)
                    .bind(&p.kana)
                    .bind(&p.email)
                    .bind(p.department_id)
                    .bind(p.post_id)
                    .bind(&p.employment)
                    .bind(id)
                    .execute(w.conn())
                    .await?;
                    summary.people_updated += 1;
                }
                None => {
                    insert_person(w.conn(), org_id, &p).await?;
                    summary.people_created += 1;
                }
            }
        }
        w.commit(
            actor,
            NewEvent::new(
                "staff.import",
                "organization",
                org_id,
                serde_json::json!({"source": source, "rows": rows.len(), "summary": summary}),
            ),
        )
        .await?;
        Ok(summary)
    }
}

fn role_assignment(r: &AnyRow) -> Result<RoleAssignment> {
    Ok(RoleAssignment {
        id: r.try_get("id")?,
        role: r.try_get("role")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        department_id: r.try_get("department_id")?,
        is_deputy: flag(r, "is_deputy")?,
    })
}

async fn department_id_by_code(conn: &mut sqlx::AnyConnection, org_id: i64, code: &str) -> Result<Option<i64>> {
    sqlx::query("SELECT id FROM departments WHERE org_id = $1 AND code = $2")
        .bind(org_id)
        .bind(code)
        .fetch_optional(conn)
        .await?
        .map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
}

pub(crate) async fn insert_department(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    code: &str,
    name: &str,
    parent_id: Option<i64>,
    kind: &str,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO departments (org_id, code, name, parent_id, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(code)
    .bind(name)
    .bind(parent_id)
    .bind(kind)
    .bind(now_text())
    .fetch_one(conn)
    .await
    .map_err(|e| StoreError::from(e).on_unique("department code"))?
    .try_get(0)?)
}

pub(crate) async fn insert_post(conn: &mut sqlx::AnyConnection, org_id: i64, name: &str, rank: i64) -> Result<i64> {
    Ok(sqlx::query("INSERT INTO posts (org_id, name, rank) VALUES ($1, $2, $3) RETURNING id")
        .bind(org_id)
        .bind(name)
        .bind(rank)
        .fetch_one(conn)
        .await
        .map_err(|e| StoreError::from(e).on_unique("post name"))?
        .try_get(0)?)
}

pub(crate) async fn insert_person(conn: &mut sqlx::AnyConnection, org_id: i64, p: &NewPerson) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO people (org_id, staff_no, name, kana, email, department_id, post_id, employment, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9) RETURNING id",
    )
    .bind(org_id)
    .bind(&p.staff_no)
    .bind(&p.name)
    .bind(&p.kana)
    .bind(&p.email)
    .bind(p.department_id)
    .bind(p.post_id)
    .bind(&p.employment)
    .bind(now_text())
    .fetch_one(conn)
    .await
    .map_err(|e| StoreError::from(e).on_unique("staff number"))?
    .try_get(0)?)
}
