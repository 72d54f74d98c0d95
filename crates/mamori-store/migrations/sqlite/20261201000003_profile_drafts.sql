-- Draft profiles made by the policy compiler from an organization's own document: the text
-- it read, the draft (edited by a person), its review and acceptance, and the profile version
-- it became.
CREATE TABLE profile_drafts (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    source_name             TEXT NOT NULL,
    source_text             TEXT NOT NULL,
    draft_text              TEXT NOT NULL,
    -- draft → accepted → activated
    status                  TEXT NOT NULL,
    created_by_user_id      INTEGER REFERENCES users(id),
    accepted_by_user_id     INTEGER REFERENCES users(id),
    accepted_at             TEXT,
    activated_version_id    INTEGER REFERENCES profile_versions(id),
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX profile_drafts_org ON profile_drafts (org_id, id);
