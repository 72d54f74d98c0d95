-- Incidents (情報セキュリティインシデント): the report, its routing to the people the level
-- table names, CSIRT's triage, the tasks it gives out, the external reports filed, and who
-- is away (for routing to deputies). Every change is also a change event in the ledger.
CREATE TABLE incidents (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    -- draft → reported → triaged (CSIRT assessed it) → closed
    status                  TEXT NOT NULL,
    reporter_person_id      INTEGER NOT NULL REFERENCES people(id),
    reporter_user_id        INTEGER NOT NULL REFERENCES users(id),
    -- Where it happened; routing starts from this department.
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    -- internal, or external (a resident or contractor told a staff member)
    source                  TEXT NOT NULL DEFAULT 'internal',
    external_reporter       TEXT NOT NULL DEFAULT '',
    title                   TEXT NOT NULL DEFAULT '',
    occurred_at             TEXT,
    discovered_at           TEXT,
    location                TEXT NOT NULL DEFAULT '',
    assets                  TEXT NOT NULL DEFAULT '',
    -- unknown, yes, no
    personal_info           TEXT NOT NULL DEFAULT 'unknown',
    level                   INTEGER,
    details                 TEXT NOT NULL DEFAULT '',
    reported_at             TEXT,
    -- The day the organization became aware: external deadlines count from it.
    aware_on                TEXT,
    -- CSIRT's assessment (5.3(3)①): NULL until assessed.
    is_incident             INTEGER,
    triage_reason           TEXT NOT NULL DEFAULT '',
    triaged_by_person_id    INTEGER REFERENCES people(id),
    triaged_at              TEXT,
    -- The facts that decide the external reports, as JSON.
    facts                   TEXT NOT NULL DEFAULT '{}',
    cause                   TEXT NOT NULL DEFAULT '',
    impact                  TEXT NOT NULL DEFAULT '',
    response                TEXT NOT NULL DEFAULT '',
    recurrence_prevention   TEXT NOT NULL DEFAULT '',
    closed_at               TEXT,
    profile_version_id      INTEGER REFERENCES profile_versions(id),
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX incidents_org ON incidents (org_id, id);

-- Who was told, in which capacity, and whether they acknowledged.
CREATE TABLE incident_notices (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    incident_id         INTEGER NOT NULL REFERENCES incidents(id),
    person_id           INTEGER NOT NULL REFERENCES people(id),
    role                TEXT NOT NULL,
    department_id       INTEGER REFERENCES departments(id),
    as_deputy           INTEGER NOT NULL DEFAULT 0,
    -- level, contact_point, escalation
    reason              TEXT NOT NULL,
    escalated_from      INTEGER REFERENCES incident_notices(id),
    created_at          TEXT NOT NULL,
    -- Unacknowledged by then, the notice escalates.
    acknowledge_by      TEXT NOT NULL,
    acknowledged_at     TEXT,
    escalated_at        TEXT,
    -- pending, sent, failed, no_address, off (no mail server configured)
    mail_status         TEXT NOT NULL DEFAULT 'pending',
    mail_error          TEXT NOT NULL DEFAULT '',
    mailed_at           TEXT
);
CREATE INDEX incident_notices_incident ON incident_notices (incident_id, id);
CREATE INDEX incident_notices_person ON incident_notices (org_id, person_id, acknowledged_at);
CREATE INDEX incident_notices_due ON incident_notices (acknowledged_at, escalated_at, acknowledge_by);

-- Instructions and their completion: containment and recovery (5.3(3)③), checks of other
-- systems for the same problem, the CISO's instructions and recurrence prevention (5.3(3)⑤).
CREATE TABLE incident_tasks (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    incident_id             INTEGER NOT NULL REFERENCES incidents(id),
    kind                    TEXT NOT NULL,
    assignee_person_id      INTEGER NOT NULL REFERENCES people(id),
    system_id               INTEGER REFERENCES systems(id),
    description             TEXT NOT NULL,
    due_on                  TEXT,
    status                  TEXT NOT NULL DEFAULT 'open',
    result                  TEXT NOT NULL DEFAULT '',
    done_at                 TEXT,
    created_by_person_id    INTEGER NOT NULL REFERENCES people(id),
    created_at              TEXT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, id);
CREATE INDEX incident_tasks_assignee ON incident_tasks (org_id, assignee_person_id, status);

-- External reports filed (the obligations themselves are computed from the facts and the
-- profile; this records that one was met).
CREATE TABLE incident_external_filings (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations(id),
    incident_id         INTEGER NOT NULL REFERENCES incidents(id),
    report_id           TEXT NOT NULL,
    filed_on            TEXT NOT NULL,
    filed_by_person_id  INTEGER NOT NULL REFERENCES people(id),
    note                TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    UNIQUE (incident_id, report_id)
);

-- Absences (休暇・出張 …): while a holder is away, notices go to the deputy.
CREATE TABLE absences (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX absences_org ON absences (org_id, ends_on);

-- Files attached to a report; the SHA-256 is also in the change record.
CREATE TABLE incident_attachments (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    incident_id             INTEGER NOT NULL REFERENCES incidents(id),
    file_name               TEXT NOT NULL,
    content_type            TEXT NOT NULL,
    size                    INTEGER NOT NULL,
    sha256                  TEXT NOT NULL,
    content                 BLOB NOT NULL,
    uploaded_by_person_id   INTEGER NOT NULL REFERENCES people(id),
    created_at              TEXT NOT NULL
);
CREATE INDEX incident_attachments_incident ON incident_attachments (incident_id, id);

-- Deadline reminders of external reports sent, one per report and day.
CREATE TABLE incident_reminders (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    report_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (incident_id, report_id, day)
);
