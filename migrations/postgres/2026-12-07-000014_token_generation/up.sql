-- Each account's tokens carry the generation they were issued in; logging out (or a new
-- password) moves it on, and tokens of an earlier generation are refused.
ALTER TABLE accounts ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
