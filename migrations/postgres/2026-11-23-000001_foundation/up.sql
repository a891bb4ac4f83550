-- Foundation: units, accounts, the working calendar and the procedure catalogue.
-- Ids are UUIDv7 stored as 16 bytes; instants are UTC timestamps; money is BIGINT VND.

CREATE TABLE units (
    id BYTEA PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id BYTEA REFERENCES units (id),
    level TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX units_parent_idx ON units (parent_id);
CREATE INDEX units_path_idx ON units (path);

CREATE TABLE accounts (
    id BYTEA PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id BYTEA REFERENCES units (id),
    national_id TEXT UNIQUE,
    phone TEXT,
    email TEXT,
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX accounts_unit_idx ON accounts (unit_id);

CREATE TABLE calendar_days (
    day DATE PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year);

CREATE TABLE procedures (
    id BYTEA PRIMARY KEY,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    is_latest BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    search_text TEXT NOT NULL,
    field TEXT NOT NULL,
    field_key TEXT NOT NULL,
    level TEXT NOT NULL,
    processing_amount INTEGER NOT NULL,
    processing_unit TEXT NOT NULL,
    online_service TEXT NOT NULL,
    online_payment BOOLEAN NOT NULL,
    legal_basis TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (code, version)
);
CREATE INDEX procedures_latest_idx ON procedures (is_latest, id);

CREATE TABLE procedure_components (
    id BYTEA PRIMARY KEY,
    procedure_id BYTEA NOT NULL REFERENCES procedures (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    mandatory BOOLEAN NOT NULL,
    digitized_copy_accepted BOOLEAN NOT NULL
);
CREATE INDEX procedure_components_procedure_idx ON procedure_components (procedure_id, position);

CREATE TABLE procedure_fees (
    id BYTEA PRIMARY KEY,
    procedure_id BYTEA NOT NULL REFERENCES procedures (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX procedure_fees_procedure_idx ON procedure_fees (procedure_id, position);

CREATE TABLE procedure_steps (
    procedure_id BYTEA NOT NULL REFERENCES procedures (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    share INTEGER NOT NULL,
    PRIMARY KEY (procedure_id, position)
);

CREATE TABLE procedure_units (
    procedure_id BYTEA NOT NULL REFERENCES procedures (id),
    unit_id BYTEA NOT NULL REFERENCES units (id),
    PRIMARY KEY (procedure_id, unit_id)
);
CREATE INDEX procedure_units_unit_idx ON procedure_units (unit_id);
