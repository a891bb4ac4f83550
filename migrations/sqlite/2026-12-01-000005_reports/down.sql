DROP TABLE report_buckets;
DROP TABLE dossier_tallies;
DROP INDEX dossiers_awaiting_idx;
DROP INDEX dossiers_open_overdue_idx;
ALTER TABLE dossiers DROP COLUMN processing_seconds;
ALTER TABLE dossiers DROP COLUMN overdue_at;
