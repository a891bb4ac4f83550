DROP TABLE procedure_units;
DROP TABLE procedure_steps;
DROP TABLE procedure_fees;
DROP TABLE procedure_components;
DROP TABLE procedures;
DROP TABLE calendar_days;
DROP TABLE accounts;
DROP TABLE units;
