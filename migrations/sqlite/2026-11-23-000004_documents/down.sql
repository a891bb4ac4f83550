ALTER TABLE dossier_components DROP COLUMN document_id;
DROP TABLE digitization_plans;
DROP TABLE dossier_results;
DROP TABLE unit_signing_keys;
DROP TABLE documents;
