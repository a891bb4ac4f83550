-- Dossiers: uploaded files, the dossiers with their clock, components, append-only history,
-- ratings, the per-unit-and-day code counters and idempotency records.

CREATE TABLE files (
    id BLOB PRIMARY KEY,
    owner_id BLOB NOT NULL REFERENCES accounts (id),
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX files_sha256_idx ON files (sha256);
CREATE INDEX files_owner_idx ON files (owner_id, id);

CREATE TABLE dossier_code_counters (
    unit_id BLOB NOT NULL REFERENCES units (id),
    day TEXT NOT NULL,
    last_sequence INTEGER NOT NULL,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE dossiers (
    id BLOB PRIMARY KEY,
    code TEXT UNIQUE,
    procedure_id BLOB NOT NULL REFERENCES procedures (id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    receiving_unit_id BLOB NOT NULL REFERENCES units (id),
    processing_unit_id BLOB NOT NULL REFERENCES units (id),
    applicant_account_id BLOB REFERENCES accounts (id),
    applicant_national_id TEXT NOT NULL,
    applicant_full_name TEXT NOT NULL,
    applicant_phone TEXT,
    applicant_email TEXT,
    applicant_address TEXT,
    submitted_at TIMESTAMP,
    reception_due_at TIMESTAMP,
    received_at TIMESTAMP,
    due_at TIMESTAMP,
    apology_due_at TIMESTAMP,
    paused_at TIMESTAMP,
    paused_seconds BIGINT NOT NULL,
    supplement_requests INTEGER NOT NULL,
    resume_status TEXT,
    assigned_specialist_id BLOB REFERENCES accounts (id),
    draft_submitted BOOLEAN NOT NULL,
    step_index INTEGER NOT NULL,
    step_started_at TIMESTAMP,
    step_paused_base BIGINT NOT NULL,
    finished_at TIMESTAMP,
    version INTEGER NOT NULL,
    created_by BLOB NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX dossiers_applicant_idx ON dossiers (applicant_account_id, id);
CREATE INDEX dossiers_receiving_idx ON dossiers (receiving_unit_id, id);
CREATE INDEX dossiers_processing_idx ON dossiers (processing_unit_id, id);
CREATE INDEX dossiers_status_due_idx ON dossiers (status, due_at);
CREATE INDEX dossiers_national_id_idx ON dossiers (applicant_national_id);

CREATE TABLE dossier_components (
    dossier_id BLOB NOT NULL REFERENCES dossiers (id),
    component_id BLOB NOT NULL REFERENCES procedure_components (id),
    file_id BLOB REFERENCES files (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (dossier_id, component_id)
);

CREATE TABLE dossier_events (
    id BLOB PRIMARY KEY,
    dossier_id BLOB NOT NULL REFERENCES dossiers (id),
    seq INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_id BLOB REFERENCES accounts (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    details TEXT NOT NULL,
    step_name TEXT,
    step_due_at TIMESTAMP,
    step_timeliness TEXT,
    at TIMESTAMP NOT NULL,
    UNIQUE (dossier_id, seq)
);

CREATE TABLE dossier_ratings (
    dossier_id BLOB PRIMARY KEY REFERENCES dossiers (id),
    rating TEXT NOT NULL,
    comment TEXT,
    rated_at TIMESTAMP NOT NULL
);

CREATE TABLE idempotency_keys (
    account_id BLOB NOT NULL REFERENCES accounts (id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, key)
);
