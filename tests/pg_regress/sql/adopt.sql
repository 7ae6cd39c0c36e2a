-- habtm.adopt: registering join tables made elsewhere.
\set SHOW_CONTEXT never
-- A database of its own, so that no other test's objects show.
\set regress_db :DBNAME
CREATE DATABASE habtm_adopt;
\c habtm_adopt
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;
-- describe(table): its columns, keys and indexes as stable text (scripts/test.sh runs from the
-- repository root).
\i tests/pg_regress/describe.psql

-- What Rails' create_join_table :assemblies, :parts makes: two bigint columns, NOT NULL, no
-- key, no index, no foreign key.
CREATE TABLE assemblies (id bigserial PRIMARY KEY);
CREATE TABLE parts (id bigserial PRIMARY KEY);
INSERT INTO assemblies SELECT FROM generate_series(1, 3);
INSERT INTO parts SELECT FROM generate_series(1, 3);
CREATE TABLE assemblies_parts (assembly_id bigint NOT NULL, part_id bigint NOT NULL);
INSERT INTO assemblies_parts VALUES (1, 1), (1, 2), (2, 1), (2, 1), (9, 1), (3, 7);

-- Orphans and duplicate pairs block it; nothing changes.
SELECT habtm.adopt('assemblies_parts', 'assemblies', 'parts');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM assemblies_parts WHERE assembly_id = 9 OR part_id = 7;
SELECT habtm.adopt('assemblies_parts', 'assemblies', 'parts');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM describe('assemblies_parts');
SELECT count(*) AS registered FROM habtm.join_tables;

-- Without blocking rows: the missing pair key, foreign keys and index are added.
DELETE FROM assemblies_parts WHERE ctid = (SELECT max(ctid) FROM assemblies_parts WHERE assembly_id = 2);
SELECT habtm.adopt('assemblies_parts', 'assemblies', 'parts');
SELECT * FROM describe('assemblies_parts');
SELECT owner, relation, target, owner_column, target_column FROM habtm.associations ORDER BY owner::text COLLATE "C";
SELECT habtm.adopt('assemblies_parts', 'assemblies', 'parts');
\echo :LAST_ERROR_SQLSTATE

-- NULL ids block it too (a hand-made table without NOT NULL).
CREATE TABLE tags (id int PRIMARY KEY);
CREATE TABLE parts_tags (part_id bigint, tag_id int);
INSERT INTO tags VALUES (1);
INSERT INTO parts_tags VALUES (1, 1), (NULL, 1);
SELECT habtm.adopt('parts_tags', 'parts', 'tags');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM parts_tags WHERE part_id IS NULL;
SELECT habtm.adopt('parts_tags', 'parts', 'tags', a_relation => 'labels', b_relation => 'labelled');
SELECT * FROM describe('parts_tags');

-- A table with its own id key and foreign keys already: the sides come from the foreign keys,
-- a unique pair constraint is added beside the existing primary key.
CREATE TABLE memberships (id serial PRIMARY KEY,
                          member int NOT NULL REFERENCES tags ON DELETE CASCADE,
                          club int NOT NULL REFERENCES tags ON DELETE CASCADE);
SELECT habtm.adopt('memberships', a_relation => 'clubs', b_relation => 'members');
SELECT * FROM describe('memberships');
SELECT relation, owner_column, target_column FROM habtm.associations
 WHERE join_table = 'memberships'::regclass ORDER BY relation COLLATE "C";

-- Bad input.
CREATE TABLE loose (x int, y int);
SELECT habtm.adopt('loose');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.adopt('loose', 'parts', 'tags');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.adopt('loose', 'parts', 'tags', a_column => 'x', b_column => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.adopt(NULL);
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE temp_links (part_id bigint, tag_id int);
SELECT habtm.adopt('temp_links', 'parts', 'tags');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM describe('loose');
SELECT count(*) AS registered FROM habtm.join_tables;

-- Keys compare as their own type does, as the foreign key will: citext ids that differ only in
-- case are no orphans.
CREATE EXTENSION citext;
CREATE TABLE labels (name citext PRIMARY KEY);
CREATE TABLE notes (id int PRIMARY KEY);
INSERT INTO labels VALUES ('red'), ('blue');
INSERT INTO notes VALUES (1);
CREATE TABLE labels_notes (label_id citext, note_id int);
INSERT INTO labels_notes VALUES ('RED', 1), ('Blue', 1);
SELECT habtm.adopt('labels_notes', 'labels', 'notes');
SELECT habtm.ids('notes', 'labels', 1) AS labels;

\c :regress_db
DROP DATABASE habtm_adopt;
