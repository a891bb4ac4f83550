DROP TRIGGER dossier_events_append_only ON dossier_events;
DROP FUNCTION dossier_events_append_only();
ALTER TABLE dossier_events DROP COLUMN hash;
