-- habtm.check and habtm.repair: every kind of drift found, named and repaired; and the
-- set helpers the triggers use for the canonical form (sorted, no duplicates, no NULL).
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_check_repair;
\c habtm_arrays_check_repair
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Set-up: Rails' example, bigint developers and int projects, with arrays kept
-- (developers 1, 3, 5, 6, 9; projects 2, 4, 5, 7, 8; links 1-2 3-2 5-2 5-5 5-8 6-7 9-2).
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (3, 'cy'), (5, 'eve'), (6, 'fay'), (9, 'dee');
INSERT INTO projects VALUES (2, 'borealis'), (4, 'draco'), (5, 'eridanus'), (7, 'apollo'), (8, 'fornax');
SELECT habtm.create_join_table('developers', 'projects');
SELECT habtm.denormalize('developers_projects', writes => 'links');
INSERT INTO developers_projects VALUES (1, 2), (3, 2), (5, 2), (5, 5), (5, 8), (6, 7), (9, 2);

-- A compact picture of everything: each side's arrays and the links.
CREATE VIEW state AS
SELECT (SELECT string_agg(id || ':' || project_ids::text, ' ' ORDER BY id) FROM developers) AS developers,
       (SELECT string_agg(id || ':' || developer_ids::text, ' ' ORDER BY id) FROM projects) AS projects,
       (SELECT string_agg(developer_id || '-' || project_id, ' ' ORDER BY developer_id, project_id)
          FROM developers_projects) AS links,
       (SELECT count(*) FROM habtm.check()) AS problems;
SELECT * FROM state;

-- habtm.check and habtm.repair. Drift can only be made by going around the triggers
-- (session_replication_role = replica skips them, as logical replication's apply does).
SET session_replication_role = replica;
UPDATE developers SET project_ids = '{8,2}' WHERE id = 1;      -- unsorted, and 2 is not linked
UPDATE developers SET project_ids = '{}' WHERE id = 3;         -- missing
UPDATE projects SET developer_ids = '{1,5,5,6}' WHERE id = 8;  -- duplicated, 1 is not linked
UPDATE developers SET project_ids = '{2,2}' WHERE id = 9;        -- duplicated
DELETE FROM developers_projects WHERE (developer_id, project_id) = (5, 5);
RESET session_replication_role;
SELECT joined_by, table_name, key, array_column, problem, expected, actual FROM habtm.check()
 ORDER BY table_name::text, key;
SELECT habtm.repair() AS repaired;
SELECT * FROM habtm.check('developers_projects');
SELECT * FROM state;

-- The set helpers the triggers use, callable on their own.
SELECT habtm.array_canonical('{3,1,1,2}'::bigint[]) AS canonical,
       habtm.array_canonical(ARRAY['kevin', 'bob', 'bob'] COLLATE "C") AS text_ids,
       habtm.array_apply('{1,3,5}'::int[], '{3}', '{4,0}') AS applied,
       habtm.array_apply('{1,3}'::int[], NULL, NULL) AS unchanged;
SELECT habtm.array_canonical('{1,NULL}'::int[]);
SELECT habtm.array_canonical('{{1},{2}}'::int[]);
SELECT habtm.array_canonical(ARRAY['<a/>'::xml]);

\c :regress_db
DROP DATABASE habtm_arrays_check_repair;
