-- Reports: each dossier's tally (how it counts, kept so that a change can be retracted), the
-- per-unit, per-procedure buckets of counts by day, by month and in all (period 0), and the
-- indexes that judge open dossiers at the present moment.

ALTER TABLE dossiers ADD COLUMN overdue_at TIMESTAMP;
ALTER TABLE dossiers ADD COLUMN processing_seconds BIGINT;
UPDATE dossiers SET overdue_at = due_at
    WHERE due_at IS NOT NULL AND (paused_at IS NULL OR paused_at > due_at OR supplement_requests > 1);

CREATE INDEX dossiers_open_overdue_idx ON dossiers (processing_unit_id, overdue_at)
    WHERE finished_at IS NULL AND received_at IS NOT NULL;
CREATE INDEX dossiers_awaiting_idx ON dossiers (receiving_unit_id, reception_due_at)
    WHERE received_at IS NULL AND finished_at IS NULL;

CREATE TABLE dossier_tallies (
    dossier_id BYTEA PRIMARY KEY REFERENCES dossiers (id),
    receiving_unit_id BYTEA NOT NULL,
    processing_unit_id BYTEA NOT NULL,
    procedure_id BYTEA NOT NULL,
    online BOOLEAN NOT NULL,
    submitted_on INTEGER,
    reception_late_on INTEGER,
    received_on INTEGER,
    refused_on INTEGER,
    finished_on INTEGER,
    left_on INTEGER,
    timeliness TEXT,
    overdue_on INTEGER,
    processing_seconds BIGINT NOT NULL,
    reused BOOLEAN NOT NULL,
    digitized BOOLEAN NOT NULL,
    results_issued INTEGER NOT NULL,
    results_on INTEGER,
    with_fee BOOLEAN NOT NULL,
    paid_online BOOLEAN NOT NULL,
    discount_vnd BIGINT NOT NULL,
    rating TEXT,
    rated_on INTEGER
);

CREATE TABLE report_buckets (
    unit_id BYTEA NOT NULL,
    procedure_id BYTEA NOT NULL,
    period INTEGER NOT NULL,
    intake_online BIGINT NOT NULL,
    intake_desk BIGINT NOT NULL,
    refused BIGINT NOT NULL,
    awaiting_started BIGINT NOT NULL,
    awaiting_ended BIGINT NOT NULL,
    awaiting_late_started BIGINT NOT NULL,
    awaiting_late_ended BIGINT NOT NULL,
    received_online BIGINT NOT NULL,
    received_desk BIGINT NOT NULL,
    finished_early BIGINT NOT NULL,
    finished_on_time BIGINT NOT NULL,
    finished_late BIGINT NOT NULL,
    overdue_started BIGINT NOT NULL,
    overdue_ended BIGINT NOT NULL,
    processing_seconds BIGINT NOT NULL,
    reused BIGINT NOT NULL,
    digitized BIGINT NOT NULL,
    results_issued BIGINT NOT NULL,
    with_fee BIGINT NOT NULL,
    paid_online BIGINT NOT NULL,
    discount_vnd BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    normal BIGINT NOT NULL,
    dissatisfied BIGINT NOT NULL,
    PRIMARY KEY (unit_id, period, procedure_id)
);
CREATE INDEX report_buckets_procedure_period_idx ON report_buckets (procedure_id, period);

-- Unit reports read the buckets of all procedures (procedure id zero) by period range: an
-- index that covers them answers from the index alone.
CREATE INDEX report_buckets_units_idx ON report_buckets (period, unit_id)
    INCLUDE (intake_online, intake_desk, refused, awaiting_started, awaiting_ended, awaiting_late_started, awaiting_late_ended, received_online, received_desk, finished_early, finished_on_time, finished_late, overdue_started, overdue_ended, processing_seconds, reused, digitized, results_issued, with_fee, paid_online, discount_vnd, satisfied, normal, dissatisfied)
    WHERE procedure_id = '\x00000000000000000000000000000000'::bytea;

-- Buckets and tallies are updated in place on every change: leave room in each page so that
-- updates stay on it (HOT, no index maintenance), and vacuum them often.
ALTER TABLE report_buckets SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE dossier_tallies SET (fillfactor = 80);
