-- Fees: discount policies with their scope, each dossier's frozen fee breakdown, and payments.

CREATE TABLE fee_policies (
    id BYTEA PRIMARY KEY,
    name TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    channel TEXT,
    effect TEXT NOT NULL,
    amount BIGINT NOT NULL,
    stacking BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE fee_policy_targets (
    policy_id BYTEA NOT NULL REFERENCES fee_policies (id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (policy_id, kind, value)
);

CREATE TABLE dossier_fees (
    dossier_id BYTEA NOT NULL REFERENCES dossiers (id),
    position INTEGER NOT NULL,
    fee_item_id BYTEA NOT NULL REFERENCES procedure_fees (id),
    name TEXT NOT NULL,
    base_amount BIGINT NOT NULL,
    charged_amount BIGINT NOT NULL,
    policies TEXT NOT NULL,
    PRIMARY KEY (dossier_id, position)
);

CREATE TABLE dossier_payments (
    id BYTEA PRIMARY KEY,
    dossier_id BYTEA NOT NULL REFERENCES dossiers (id),
    amount BIGINT NOT NULL,
    method TEXT NOT NULL,
    receipt_number TEXT,
    transaction_id TEXT UNIQUE,
    paid_at TIMESTAMP NOT NULL,
    recorded_by BYTEA REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dossier_payments_dossier_idx ON dossier_payments (dossier_id);
