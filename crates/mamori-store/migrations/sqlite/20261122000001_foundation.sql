-- Foundation schema (SQLite). The PostgreSQL twin has the same name under ../postgres.
-- Every row belongs to an organization. Times are RFC 3339 text with the +09:00 offset.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- The last change-record sequence number handed out; bumped first in every write
    -- transaction, which also takes the write lock before anything is read.
    event_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

CREATE TABLE profile_versions (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations(id),
    version_no    INTEGER NOT NULL,
    file_name     TEXT NOT NULL,
    profile_id    TEXT NOT NULL,
    edition       TEXT NOT NULL,
    content       TEXT NOT NULL,
    digest        TEXT NOT NULL,
    activated_at  TEXT NOT NULL,
    activated_by  INTEGER,
    is_active     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, version_no)
);
CREATE UNIQUE INDEX profile_versions_one_active ON profile_versions (org_id) WHERE is_active = 1;

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES departments(id),
    kind        TEXT NOT NULL DEFAULT 'section',
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX departments_parent ON departments (org_id, parent_id);

CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    rank        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, name)
);

CREATE TABLE people (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    staff_no       TEXT NOT NULL,
    name           TEXT NOT NULL,
    kana           TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    department_id  INTEGER NOT NULL REFERENCES departments(id),
    post_id        INTEGER REFERENCES posts(id),
    employment     TEXT NOT NULL DEFAULT 'regular',
    active         INTEGER NOT NULL DEFAULT 1,
    joined_on      TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (org_id, staff_no)
);
CREATE INDEX people_department ON people (org_id, department_id);

CREATE TABLE role_assignments (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations(id),
    role           TEXT NOT NULL,
    person_id      INTEGER NOT NULL REFERENCES people(id),
    department_id  INTEGER REFERENCES departments(id),
    system_id      INTEGER,
    is_deputy      INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);
CREATE INDEX role_assignments_person ON role_assignments (person_id);
CREATE INDEX role_assignments_role ON role_assignments (org_id, role);

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    org_id                INTEGER NOT NULL REFERENCES organizations(id),
    person_id             INTEGER REFERENCES people(id),
    login                 TEXT NOT NULL UNIQUE,
    display_name          TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    must_change_password  INTEGER NOT NULL DEFAULT 1,
    totp_secret           TEXT,
    totp_enabled          INTEGER NOT NULL DEFAULT 0,
    totp_last_step        INTEGER NOT NULL DEFAULT 0,
    is_admin              INTEGER NOT NULL DEFAULT 0,
    failed_attempts       INTEGER NOT NULL DEFAULT 0,
    locked                INTEGER NOT NULL DEFAULT 0,
    last_login_at         TEXT,
    previous_login_at     TEXT,
    created_at            TEXT NOT NULL
);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    csrf_token    TEXT NOT NULL,
    mfa_passed    INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    ended         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE systems (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    zone                TEXT,
    department_id       INTEGER NOT NULL REFERENCES departments(id),
    manager_person_id   INTEGER REFERENCES people(id),
    operator_person_id  INTEGER REFERENCES people(id),
    requires_mfa        INTEGER NOT NULL DEFAULT 0,
    backup              INTEGER NOT NULL DEFAULT 0,
    redundancy          INTEGER NOT NULL DEFAULT 0,
    log_retention_days  INTEGER,
    cloud_services      TEXT NOT NULL DEFAULT '',
    contractors         TEXT NOT NULL DEFAULT '',
    documents           TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX systems_department ON systems (org_id, department_id);

CREATE TABLE assets (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    kind                    TEXT NOT NULL,
    medium                  TEXT NOT NULL,
    location                TEXT NOT NULL DEFAULT '',
    zone                    TEXT,
    system_id               INTEGER REFERENCES systems(id),
    confidentiality         TEXT,
    integrity               TEXT,
    availability            TEXT,
    personal_info           INTEGER NOT NULL DEFAULT 0,
    specific_personal_info  INTEGER NOT NULL DEFAULT 0,
    retention               TEXT NOT NULL DEFAULT '',
    origin_asset_id         INTEGER REFERENCES assets(id),
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX assets_org ON assets (org_id, id);
CREATE INDEX assets_department ON assets (org_id, department_id, id);
CREATE INDEX assets_confidentiality ON assets (org_id, confidentiality, id);
CREATE INDEX assets_system ON assets (system_id);

-- Substring search over name and description. Japanese has no spaces between words, so
-- mamori indexes every pair of adjacent characters (a bigram) as one token, written in hex
-- so that any tokenizer keeps it whole; a search for "課税台帳" is the phrase of its
-- bigrams 課税 税台 台帳. The store writes these rows with every insert and update of an
-- asset (see search.rs): SQL triggers cannot split text into bigrams.
CREATE VIRTUAL TABLE assets_search USING fts5 (name, description, content='', contentless_delete=1, tokenize='ascii');

CREATE TABLE asset_classifications (
    id               INTEGER PRIMARY KEY,
    org_id           INTEGER NOT NULL REFERENCES organizations(id),
    asset_id         INTEGER NOT NULL REFERENCES assets(id),
    confidentiality  TEXT,
    integrity        TEXT,
    availability     TEXT,
    reason           TEXT NOT NULL DEFAULT '',
    changed_by       INTEGER,
    changed_at       TEXT NOT NULL,
    event_seq        INTEGER NOT NULL
);
CREATE INDEX asset_classifications_asset ON asset_classifications (asset_id, id);

-- The change record: one row per change, written in the same transaction as the change.
CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    seq                 INTEGER NOT NULL,
    at                  TEXT NOT NULL,
    clock_synced        INTEGER NOT NULL DEFAULT 0,
    actor_user_id       INTEGER,
    actor               TEXT NOT NULL,
    role                TEXT NOT NULL DEFAULT '',
    action              TEXT NOT NULL CHECK (action <> ''),
    target_kind         TEXT NOT NULL,
    target_id           TEXT NOT NULL,
    payload             TEXT NOT NULL,
    request_id          TEXT NOT NULL DEFAULT '',
    profile_version_id  INTEGER,
    UNIQUE (org_id, seq)
);
CREATE INDEX events_target ON events (org_id, target_kind, target_id);

-- The change record is append-only.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
