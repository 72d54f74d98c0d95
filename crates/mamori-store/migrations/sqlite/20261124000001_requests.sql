-- Requests (申請) decided by the decision engine and approved by people, and the records
-- they produce (持出・持込記録 with the return of what was taken out, 廃棄記録, the register of
-- approved cloud services with their managers).
CREATE TABLE requests (
    id                       INTEGER PRIMARY KEY,
    org_id                   INTEGER NOT NULL REFERENCES organizations(id),
    action                   TEXT NOT NULL,
    form                     TEXT NOT NULL DEFAULT '',
    applicant_person_id      INTEGER NOT NULL REFERENCES people(id),
    applicant_user_id        INTEGER NOT NULL REFERENCES users(id),
    department_id            INTEGER NOT NULL REFERENCES departments(id),
    asset_id                 INTEGER REFERENCES assets(id),
    subject                  TEXT NOT NULL DEFAULT '',
    purpose                  TEXT NOT NULL DEFAULT '',
    destination              TEXT NOT NULL DEFAULT '',
    starts_on                TEXT,
    due_on                   TEXT,
    input                    TEXT NOT NULL,
    decision                 TEXT NOT NULL,
    outcome                  TEXT NOT NULL,
    approver_role            TEXT,
    approver_department_id   INTEGER REFERENCES departments(id),
    status                   TEXT NOT NULL,
    decided_by_person_id     INTEGER REFERENCES people(id),
    decided_as_deputy        INTEGER NOT NULL DEFAULT 0,
    decided_at               TEXT,
    decision_comment         TEXT NOT NULL DEFAULT '',
    override_justification   TEXT,
    -- The step that closes a request: the return of what was taken out, the disposal done, or
    -- the system change carried out.
    completed_on             TEXT,
    completed_by_person_id   INTEGER REFERENCES people(id),
    completion_note          TEXT NOT NULL DEFAULT '',
    -- The second person who checked the work, where two-person work is required (6.1(4)③).
    checked_by_person_id     INTEGER REFERENCES people(id),
    -- The クラウドサービス管理者 named when a cloud service is approved (対策基準8.3(5)②).
    service_manager_person_id INTEGER REFERENCES people(id),
    profile_version_id       INTEGER REFERENCES profile_versions(id),
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);
CREATE INDEX requests_org ON requests (org_id, id);
CREATE INDEX requests_applicant ON requests (org_id, applicant_person_id, id);
CREATE INDEX requests_pending ON requests (org_id, status, approver_role, approver_department_id);

-- Service credentials for machine clients (a mail gateway, a file server) that ask the
-- decision API. Only the SHA-256 of the token is kept; the token is shown once.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    scope       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);
