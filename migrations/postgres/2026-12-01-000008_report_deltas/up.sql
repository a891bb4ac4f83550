-- What changes add to the report buckets, appended by every write and merged into
-- report_buckets in the background (store::reports::merge); reports sum both. An append
-- touches no index, where an update of an all-procedures bucket rewrote its covering index.
-- No key and no index: rows are only appended, scanned whole and deleted.
CREATE TABLE report_deltas (
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
    dissatisfied BIGINT NOT NULL
);
-- The merge vacuums it after each run, which gives its emptied pages back (reports scan it
-- whole); autovacuum, which waits a minute between looks, is there only as a fallback.
ALTER TABLE report_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
