-- Witnesses, their cosignatures and key rotations (SQLite).

-- Witnesses an administrator registered (`mamori ledger witness add NAME KEY`): parties
-- outside the server whose cosignatures the server accepts and stores. Never removed:
-- a cosignature stays checkable by the key that made it.
CREATE TABLE ledger_witnesses (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    -- The witness's public key, C2SP vkey text with the cosignature/v1 algorithm byte.
    public_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, public_key)
);

-- One witness's cosignature of one of the log's checkpoints: the checkpoint as the
-- witness was shown it and the cosignature line, which the verifier checks again.
CREATE TABLE ledger_cosignatures (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations(id),
    witness_id   INTEGER NOT NULL REFERENCES ledger_witnesses(id),
    size         INTEGER NOT NULL,
    checkpoint   TEXT NOT NULL,
    line         TEXT NOT NULL,
    -- The cosignature's own time (seconds since 1970), as the witness signed it.
    cosigned_at  INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (org_id, witness_id, size, line)
);
CREATE INDEX ledger_cosignatures_size ON ledger_cosignatures (org_id, size);

-- Key rotations: the old key's introduction of the new one, signed by both.
CREATE TABLE ledger_key_introductions (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations(id),
    size        INTEGER NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TRIGGER ledger_witnesses_no_update BEFORE UPDATE ON ledger_witnesses BEGIN
    SELECT RAISE(ABORT, 'witnesses are append-only');
END;
CREATE TRIGGER ledger_witnesses_no_delete BEFORE DELETE ON ledger_witnesses BEGIN
    SELECT RAISE(ABORT, 'witnesses are append-only');
END;
CREATE TRIGGER ledger_cosignatures_no_update BEFORE UPDATE ON ledger_cosignatures BEGIN
    SELECT RAISE(ABORT, 'cosignatures are append-only');
END;
CREATE TRIGGER ledger_cosignatures_no_delete BEFORE DELETE ON ledger_cosignatures BEGIN
    SELECT RAISE(ABORT, 'cosignatures are append-only');
END;
CREATE TRIGGER ledger_key_introductions_no_update BEFORE UPDATE ON ledger_key_introductions BEGIN
    SELECT RAISE(ABORT, 'key introductions are append-only');
END;
CREATE TRIGGER ledger_key_introductions_no_delete BEFORE DELETE ON ledger_key_introductions BEGIN
    SELECT RAISE(ABORT, 'key introductions are append-only');
END;
