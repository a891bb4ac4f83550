-- Documents: the personal document store (digitized components, electronic results, historical
-- results), the units' signing keys, results attached to dossiers, and digitization plans.

CREATE TABLE documents (
    id BLOB PRIMARY KEY,
    owner_national_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    issuing_unit_id BLOB REFERENCES units (id),
    issued_on DATE NOT NULL,
    valid_until DATE,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    code TEXT UNIQUE,
    result_number TEXT,
    procedure_id BLOB REFERENCES procedures (id),
    source_dossier_id BLOB REFERENCES dossiers (id),
    source_component_id BLOB REFERENCES procedure_components (id),
    signature TEXT,
    signing_key_id BLOB,
    digitized_by BLOB REFERENCES accounts (id),
    digitized_at TIMESTAMP NOT NULL
);
CREATE INDEX documents_owner_idx ON documents (owner_national_id, id);
CREATE INDEX documents_unit_kind_idx ON documents (issuing_unit_id, kind, issued_on);
CREATE INDEX documents_source_idx ON documents (source_dossier_id);

CREATE TABLE unit_signing_keys (
    id BLOB PRIMARY KEY,
    unit_id BLOB NOT NULL UNIQUE REFERENCES units (id),
    public_key TEXT NOT NULL,
    secret_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE dossier_results (
    dossier_id BLOB PRIMARY KEY REFERENCES dossiers (id),
    file_id BLOB NOT NULL REFERENCES files (id),
    attached_by BLOB NOT NULL REFERENCES accounts (id),
    attached_at TIMESTAMP NOT NULL,
    document_id BLOB REFERENCES documents (id)
);

CREATE TABLE digitization_plans (
    unit_id BLOB NOT NULL REFERENCES units (id),
    period TEXT NOT NULL,
    planned BIGINT NOT NULL,
    PRIMARY KEY (unit_id, period)
);

ALTER TABLE dossier_components ADD COLUMN document_id BLOB REFERENCES documents (id);
