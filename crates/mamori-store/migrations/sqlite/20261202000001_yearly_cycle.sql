-- The yearly cycle (対策基準5.2, 9.1, 9.2): training and drills, consents of 会計年度任用職員,
-- self-assessment campaigns, audits with findings, improvement plans and their progress.

-- A training session or a drill (緊急時対応訓練). Planned when its date is ahead.
CREATE TABLE training_sessions (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    fiscal_year             INTEGER NOT NULL,
    -- training, drill
    kind                    TEXT NOT NULL,
    -- all_staff, new_staff, role:<id>
    audience                TEXT NOT NULL,
    title                   TEXT NOT NULL,
    held_on                 TEXT NOT NULL,
    place                   TEXT NOT NULL DEFAULT '',
    -- What a drill found (訓練の結果); notes of a session.
    result                  TEXT NOT NULL DEFAULT '',
    created_by_person_id    INTEGER REFERENCES people(id),
    created_at              TEXT NOT NULL
);
CREATE INDEX training_sessions_year ON training_sessions (org_id, fiscal_year);

CREATE TABLE training_attendance (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    session_id              INTEGER NOT NULL REFERENCES training_sessions(id),
    person_id               INTEGER NOT NULL REFERENCES people(id),
    -- ui, csv
    source                  TEXT NOT NULL,
    recorded_by_person_id   INTEGER REFERENCES people(id),
    recorded_at             TEXT NOT NULL,
    UNIQUE (session_id, person_id)
);
CREATE INDEX training_attendance_person ON training_attendance (org_id, person_id);

-- A 会計年度任用職員's consent to the policy, once per fiscal year of appointment.
CREATE TABLE policy_consents (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    person_id               INTEGER NOT NULL REFERENCES people(id),
    fiscal_year             INTEGER NOT NULL,
    consented_on            TEXT NOT NULL,
    profile_version_id      INTEGER,
    recorded_by_person_id   INTEGER REFERENCES people(id),
    recorded_at             TEXT NOT NULL,
    UNIQUE (person_id, fiscal_year)
);

CREATE TABLE assessment_campaigns (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    fiscal_year             INTEGER NOT NULL,
    profile_version_id      INTEGER NOT NULL REFERENCES profile_versions(id),
    due_on                  TEXT NOT NULL,
    created_by_person_id    INTEGER REFERENCES people(id),
    created_at              TEXT NOT NULL,
    UNIQUE (org_id, fiscal_year)
);

-- One item per checked clause, per department where departments answer it.
CREATE TABLE assessment_items (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    campaign_id             INTEGER NOT NULL REFERENCES assessment_campaigns(id),
    seq                     INTEGER NOT NULL,
    clause                  TEXT NOT NULL,
    chapter                 TEXT NOT NULL,
    clause_text             TEXT NOT NULL,
    force                   TEXT NOT NULL,
    role                    TEXT NOT NULL,
    department_id           INTEGER REFERENCES departments(id),
    -- NULL until answered: done, partly, not_done, not_applicable
    answer                  TEXT,
    comment                 TEXT NOT NULL DEFAULT '',
    -- The improvement measure for partly / not_done (改善策).
    measure                 TEXT NOT NULL DEFAULT '',
    answered_by_person_id   INTEGER REFERENCES people(id),
    answered_at             TEXT
);
CREATE INDEX assessment_items_campaign ON assessment_items (campaign_id, department_id, seq);

-- Evidence files of self-assessment items and audits; the SHA-256 is in the change record.
CREATE TABLE evidence_files (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    -- assessment_item, audit
    owner_kind              TEXT NOT NULL,
    owner_id                INTEGER NOT NULL,
    file_name               TEXT NOT NULL,
    content_type            TEXT NOT NULL,
    size                    INTEGER NOT NULL,
    sha256                  TEXT NOT NULL,
    content                 BLOB NOT NULL,
    uploaded_by_person_id   INTEGER NOT NULL REFERENCES people(id),
    created_at              TEXT NOT NULL
);
CREATE INDEX evidence_files_owner ON evidence_files (org_id, owner_kind, owner_id);

CREATE TABLE audits (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    fiscal_year             INTEGER NOT NULL,
    title                   TEXT NOT NULL,
    -- The chapters audited, comma-separated (対策基準5,対策基準6); empty for all.
    scope                   TEXT NOT NULL DEFAULT '',
    starts_on               TEXT NOT NULL,
    ends_on                 TEXT NOT NULL,
    -- planned, approved, reported
    status                  TEXT NOT NULL,
    approved_by_person_id   INTEGER REFERENCES people(id),
    approved_as             TEXT,
    approved_at             TEXT,
    report                  TEXT NOT NULL DEFAULT '',
    created_by_person_id    INTEGER REFERENCES people(id),
    created_at              TEXT NOT NULL
);
CREATE INDEX audits_year ON audits (org_id, fiscal_year);

-- Who audits which department; a conflict with the auditor's own department is allowed only
-- with a recorded reason.
CREATE TABLE audit_assignments (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    audit_id                INTEGER NOT NULL REFERENCES audits(id),
    auditor_person_id       INTEGER NOT NULL REFERENCES people(id),
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    conflict                TEXT NOT NULL DEFAULT '',
    override_reason         TEXT NOT NULL DEFAULT '',
    assigned_by_person_id   INTEGER REFERENCES people(id),
    assigned_at             TEXT NOT NULL,
    UNIQUE (audit_id, auditor_person_id, department_id)
);

CREATE TABLE audit_findings (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    audit_id                INTEGER NOT NULL REFERENCES audits(id),
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    clause                  TEXT NOT NULL DEFAULT '',
    description             TEXT NOT NULL,
    -- major, minor, observation
    severity                TEXT NOT NULL,
    recorded_by_person_id   INTEGER NOT NULL REFERENCES people(id),
    recorded_at             TEXT NOT NULL
);
CREATE INDEX audit_findings_audit ON audit_findings (audit_id);

-- "The same issue elsewhere?" (9.1(7)②): another department's 管理者 checks.
CREATE TABLE finding_checks (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    finding_id              INTEGER NOT NULL REFERENCES audit_findings(id),
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    -- pending, found, not_found
    status                  TEXT NOT NULL,
    note                    TEXT NOT NULL DEFAULT '',
    answered_by_person_id   INTEGER REFERENCES people(id),
    answered_at             TEXT,
    created_at              TEXT NOT NULL,
    UNIQUE (finding_id, department_id)
);

CREATE TABLE improvement_plans (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    fiscal_year             INTEGER NOT NULL,
    finding_id              INTEGER REFERENCES audit_findings(id),
    assessment_item_id      INTEGER REFERENCES assessment_items(id),
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    responsible_person_id   INTEGER NOT NULL REFERENCES people(id),
    description             TEXT NOT NULL,
    due_on                  TEXT NOT NULL,
    -- open, closed
    status                  TEXT NOT NULL,
    closing_note            TEXT NOT NULL DEFAULT '',
    closed_by_person_id     INTEGER REFERENCES people(id),
    closed_at               TEXT,
    created_by_person_id    INTEGER REFERENCES people(id),
    created_at              TEXT NOT NULL
);
CREATE INDEX improvement_plans_org ON improvement_plans (org_id, status, due_on);

CREATE TABLE improvement_progress (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    plan_id                 INTEGER NOT NULL REFERENCES improvement_plans(id),
    note                    TEXT NOT NULL,
    reported_by_person_id   INTEGER NOT NULL REFERENCES people(id),
    reported_at             TEXT NOT NULL
);
CREATE INDEX improvement_progress_plan ON improvement_progress (plan_id, id);

-- Reminder digests mailed, one per person and week.
CREATE TABLE yearly_reminders (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    week_of     TEXT NOT NULL,
    sent_at     TEXT NOT NULL,
    UNIQUE (person_id, week_of)
);
