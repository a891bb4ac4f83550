DROP TRIGGER dossier_events_no_update;
DROP TRIGGER dossier_events_no_delete;
ALTER TABLE dossier_events DROP COLUMN hash;
