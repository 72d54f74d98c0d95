-- Policy violations (違反時の対応, 対策基準7.6(2)): recorded, corrected, or followed by the
-- suspension of the person's rights in mamori.
CREATE TABLE violations (
    id                      INTEGER PRIMARY KEY,
    org_id                  INTEGER NOT NULL REFERENCES organizations(id),
    person_id               INTEGER NOT NULL REFERENCES people(id),
    department_id           INTEGER NOT NULL REFERENCES departments(id),
    found_by_person_id      INTEGER NOT NULL REFERENCES people(id),
    found_as                TEXT NOT NULL,
    description             TEXT NOT NULL,
    clause                  TEXT NOT NULL DEFAULT '',
    -- open, corrected, suspended
    status                  TEXT NOT NULL,
    resolution              TEXT NOT NULL DEFAULT '',
    resolved_by_person_id   INTEGER REFERENCES people(id),
    resolved_at             TEXT,
    created_at              TEXT NOT NULL
);
CREATE INDEX violations_org ON violations (org_id, department_id, status);
