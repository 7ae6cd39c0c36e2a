-- Who may write an id array: writes => 'reject' (the default) keeps the arrays
-- read-only mirrors, so an ORM's save() that writes every column never unlinks; 'links' makes a
-- write of an array a write of the association.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_array_writes;
\c habtm_array_writes
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION habtm;

CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (2, 'ben');
INSERT INTO projects VALUES (1, 'apollo'), (2, 'borealis'), (3, 'cygnus');
SELECT habtm.create_join_table('developers', 'projects');
INSERT INTO developers_projects VALUES (1, 3), (1, 1);
SELECT habtm.denormalize('developers_projects');
SELECT owner, owner_array, owner_array_writes, target_array, target_array_writes
  FROM habtm.associations ORDER BY owner::text;
-- The triggers a read-only array needs: no lock for array writes, no join-table sync.
SELECT tgrelid::regclass AS "table", tgname FROM pg_trigger
 WHERE tgrelid IN ('developers'::regclass, 'projects'::regclass) AND NOT tgisinternal ORDER BY 1, 2;

-- An ORM's save(): every column, the arrays as loaded. The same set, in any order and with
-- repeats, is no change.
UPDATE developers SET name = 'Ann', project_ids = '{3,1,1}' WHERE id = 1;
SELECT id, name, project_ids FROM developers ORDER BY id;
INSERT INTO developers VALUES (3, 'cy');           -- the column default, '{}'
INSERT INTO developers VALUES (4, 'dee', '{}');
-- A stale instance (loaded before a link was added) writes its old array back: an error that
-- names the column and the functions to use; nothing changes.
SELECT habtm.add('developers', 'projects', 1, ARRAY[2]) AS added_meanwhile;
UPDATE developers SET name = 'stale', project_ids = '{1,3}' WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
-- A row inserted with ids must hold exactly the links the join table has when its transaction
-- commits: alone it cannot (an error at COMMIT) ...
INSERT INTO developers VALUES (5, 'eve', '{1}');
\echo :LAST_ERROR_SQLSTATE
-- ... with its links in the same transaction (a data-only restore in one transaction), it does.
BEGIN;
INSERT INTO developers VALUES (5, 'eve', '{3,1,3}');
INSERT INTO developers_projects VALUES (5, 1), (5, 3);
COMMIT;
SELECT id, name, project_ids FROM developers WHERE id = 5;
BEGIN;
INSERT INTO developers VALUES (7, 'gus', '{1,2}');
INSERT INTO developers_projects VALUES (7, 1);
COMMIT;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM developers WHERE id = 5;
UPDATE projects SET developer_ids = '{}' WHERE id = 3;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO developers VALUES (6, 'fay') ON CONFLICT (id) DO NOTHING;
INSERT INTO developers VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET project_ids = '{}';
\echo :LAST_ERROR_SQLSTATE
SELECT id, name, project_ids FROM developers ORDER BY id;
SELECT * FROM developers_projects ORDER BY 1, 2;
-- The links themselves change through the functions and the join table, as before.
SELECT habtm.remove('developers', 'projects', 1, ARRAY[3]) AS removed;
DELETE FROM projects WHERE id = 1;
SELECT id, project_ids FROM developers ORDER BY id;
SELECT id, developer_ids FROM projects ORDER BY id;
SELECT count(*) AS drift FROM habtm.check();

-- 'links' on one side only: denormalize again names the side; the other keeps its mode.
SELECT habtm.denormalize('developers_projects', a_array => 'project_ids', writes => 'links');
SELECT owner, owner_array_writes FROM habtm.associations ORDER BY owner::text;
UPDATE developers SET project_ids = '{3,2,3}' WHERE id = 2;
SELECT * FROM developers_projects ORDER BY 1, 2;
SELECT id, developer_ids FROM projects ORDER BY id;
UPDATE projects SET developer_ids = '{1}' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
-- both sides named by neither argument: both change, names kept
SELECT habtm.denormalize('developers_projects', writes => 'reject');
SELECT owner, owner_array, owner_array_writes FROM habtm.associations ORDER BY owner::text;
UPDATE developers SET project_ids = '{}' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.denormalize('developers_projects', writes => 'sometimes');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.denormalize('developers_projects', writes => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS drift FROM habtm.check();

-- A renamed array column keeps its association (and its mode); so does a renamed join column.
ALTER TABLE developers RENAME COLUMN project_ids TO projects_ids;
ALTER TABLE developers_projects RENAME COLUMN project_id TO project;
SELECT owner, owner_column, target_column, owner_array, owner_array_writes FROM habtm.associations ORDER BY owner::text;
SELECT habtm.add('developers', 'projects', 3, ARRAY[2]) AS added;
UPDATE developers SET projects_ids = '{9}' WHERE id = 2;
\echo :LAST_ERROR_SQLSTATE
SELECT id, projects_ids FROM developers ORDER BY id;
SELECT count(*) AS drift FROM habtm.check();

-- A self-association with read-only arrays: a habtm.create through it, and a self-linked row's
-- key change (two cascades whose triggers fire after both) keep the arrays exact.
CREATE TABLE people (id int PRIMARY KEY);
INSERT INTO people VALUES (1), (2), (3);
SELECT habtm.create_join_table('people', 'people', 'friendships', 'person_id', 'friend_id', 'friends', 'friend_of');
INSERT INTO friendships VALUES (2, 2), (2, 3), (1, 2);
SELECT habtm.denormalize('friendships');
SELECT habtm.create('people', 'friends', 3, '{"id": 9}') AS created;
UPDATE people SET id = 20 WHERE id = 2;
SELECT * FROM people ORDER BY id;
SELECT * FROM friendships ORDER BY 1, 2;
SELECT count(*) AS drift FROM habtm.check();

-- normalize forgets the modes with the arrays.
SELECT habtm.normalize('developers_projects');
SELECT owner_array, owner_array_writes FROM habtm.associations ORDER BY owner::text;

\c :regress_db
DROP DATABASE habtm_array_writes;
