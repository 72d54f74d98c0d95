-- The tamper-evident ledger (SQLite). Every event is a leaf of the organization's RFC 6962
-- Merkle tree; the hashes of its complete subtrees and the signed checkpoints live here.

-- The outcome of the change or decision an event records; the leaf commits to it.
ALTER TABLE events ADD COLUMN result TEXT NOT NULL DEFAULT 'ok';

-- How many events the stored hashes cover. Equal to event_seq after every commit; smaller
-- only in a database written before the ledger existed, which catches up on its next write.
ALTER TABLE organizations ADD COLUMN ledger_size INTEGER NOT NULL DEFAULT 0;

-- The 作業記録 search by action, and the dashboard's "last anchor taken" (newest
-- `ledger.anchor`), without scanning the whole change record.
CREATE INDEX events_action ON events (org_id, action, seq);

-- Stored hashes in tlog order: idx = stored_hash_index(level, n).
CREATE TABLE ledger_hashes (
    org_id  INTEGER NOT NULL REFERENCES organizations(id),
    idx     INTEGER NOT NULL,
    hash    BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (org_id, idx)
) WITHOUT ROWID;

-- One signed checkpoint per committed batch (C2SP signed note text).
CREATE TABLE ledger_checkpoints (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    size        INTEGER NOT NULL,
    root        BLOB NOT NULL CHECK (length(root) = 32),
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, size)
);

-- Personal data named in an event's payload. The payload (and so the leaf) holds only
-- SHA-256(salt ‖ 0x00 ‖ value); the salt and value here can be purged (横手市 基本方針5②).
CREATE TABLE event_personal (
    org_id     INTEGER NOT NULL REFERENCES organizations(id),
    seq        INTEGER NOT NULL,
    field      TEXT NOT NULL,
    salt       TEXT,
    value      TEXT,
    purged_at  TEXT,
    PRIMARY KEY (org_id, seq, field)
);

CREATE TRIGGER ledger_hashes_no_update BEFORE UPDATE ON ledger_hashes BEGIN
    SELECT RAISE(ABORT, 'ledger hashes are append-only');
END;
CREATE TRIGGER ledger_hashes_no_delete BEFORE DELETE ON ledger_hashes BEGIN
    SELECT RAISE(ABORT, 'ledger hashes are append-only');
END;
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints BEGIN
    SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
-- Personal data may only be purged: salt and value set to NULL, nothing else changed.
CREATE TRIGGER event_personal_purge_only BEFORE UPDATE ON event_personal
WHEN NEW.org_id IS NOT OLD.org_id OR NEW.seq IS NOT OLD.seq OR NEW.field IS NOT OLD.field
     OR NEW.salt IS NOT NULL OR NEW.value IS NOT NULL OR NEW.purged_at IS NULL
BEGIN
    SELECT RAISE(ABORT, 'personal data can only be purged');
END;
CREATE TRIGGER event_personal_no_delete BEFORE DELETE ON event_personal BEGIN
    SELECT RAISE(ABORT, 'personal data rows are purged, not deleted');
END;
