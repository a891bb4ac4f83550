-- The history is hash-chained per dossier (each entry's hash covers the one before it) and
-- append-only: the database refuses to change or remove an entry.
ALTER TABLE dossier_events ADD COLUMN hash BYTEA NOT NULL DEFAULT '\x'::bytea;

CREATE FUNCTION dossier_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the history of a dossier is append-only';
END;
$$;

CREATE TRIGGER dossier_events_append_only BEFORE UPDATE OR DELETE ON dossier_events
  FOR EACH ROW EXECUTE FUNCTION dossier_events_append_only();
