-- The indexes that judge open dossiers at the present moment also hold each dossier's
-- procedure, so that a procedure report ending today counts the overdue and the late-awaiting
-- ones from the index alone: by procedure over every unit it read the rows of every such dossier
-- (140 ms, 11 s with the rows not in memory, at 10 million dossiers).
DROP INDEX dossiers_open_overdue_idx;
DROP INDEX dossiers_awaiting_idx;
CREATE INDEX dossiers_open_overdue_idx ON dossiers (processing_unit_id, overdue_at, procedure_id)
    WHERE finished_at IS NULL AND received_at IS NOT NULL;
CREATE INDEX dossiers_awaiting_idx ON dossiers (receiving_unit_id, reception_due_at, procedure_id)
    WHERE received_at IS NULL AND finished_at IS NULL;
