DROP TABLE dossier_payments;
DROP TABLE dossier_fees;
DROP TABLE fee_policy_targets;
DROP TABLE fee_policies;
