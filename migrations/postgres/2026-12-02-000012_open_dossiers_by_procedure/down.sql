DROP INDEX dossiers_open_overdue_idx;
DROP INDEX dossiers_awaiting_idx;
CREATE INDEX dossiers_open_overdue_idx ON dossiers (processing_unit_id, overdue_at)
    WHERE finished_at IS NULL AND received_at IS NOT NULL;
CREATE INDEX dossiers_awaiting_idx ON dossiers (receiving_unit_id, reception_due_at)
    WHERE received_at IS NULL AND finished_at IS NULL;
