-- The history is hash-chained per dossier (each entry's hash covers the one before it) and
-- append-only: the database refuses to change or remove an entry.
ALTER TABLE dossier_events ADD COLUMN hash BLOB NOT NULL DEFAULT X'';

CREATE TRIGGER dossier_events_no_update BEFORE UPDATE ON dossier_events
BEGIN
  SELECT RAISE(ABORT, 'the history of a dossier is append-only');
END;

CREATE TRIGGER dossier_events_no_delete BEFORE DELETE ON dossier_events
BEGIN
  SELECT RAISE(ABORT, 'the history of a dossier is append-only');
END;
