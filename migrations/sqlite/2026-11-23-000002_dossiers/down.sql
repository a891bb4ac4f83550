DROP TABLE idempotency_keys;
DROP TABLE dossier_ratings;
DROP TABLE dossier_events;
DROP TABLE dossier_components;
DROP TABLE dossiers;
DROP TABLE dossier_code_counters;
DROP TABLE files;
