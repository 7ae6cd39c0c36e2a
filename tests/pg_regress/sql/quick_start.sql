-- The README's quick start, statement for statement: the results its comments show.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_quick_start;
\c habtm_quick_start
\set SHOW_CONTEXT never

CREATE EXTENSION habtm;
CREATE TABLE developers (id bigint PRIMARY KEY, name text);
CREATE TABLE projects (id bigint PRIMARY KEY, title text);
INSERT INTO developers VALUES (1, 'David'), (2, 'Jamis');
INSERT INTO projects VALUES (1, 'Rails'), (2, 'Basecamp'), (3, 'Capistrano');

SELECT habtm.create_join_table('developers', 'projects');  -- developers_projects, Rails' name
SELECT habtm.add('developers', 'projects', 1, ARRAY[1, 2]);  -- 2 links made
SELECT habtm.add('projects', 'developers', 3, ARRAY[1, 2]);  -- 2, from the other side
SELECT habtm.ids('developers', 'projects', 1);               -- [1, 2, 3]
SELECT habtm.collection('developers', 'projects', 1,
                        '{"where": {"title": {"like": "%a%"}}, "order": "title"}');
-- {"id": 2, "title": "Basecamp"}, {"id": 3, "title": "Capistrano"}, {"id": 1, "title": "Rails"}

SELECT habtm.denormalize('developers_projects');  -- id arrays on both sides, kept by triggers
SELECT id, project_ids FROM developers ORDER BY id;  -- 1 | {1,2,3}   2 | {3}
SELECT habtm.remove('developers', 'projects', 1, ARRAY[2]);
SELECT id, developer_ids FROM projects ORDER BY id;  -- 1 | {1}   2 | {}   3 | {1,2}

\c :regress_db
DROP DATABASE habtm_quick_start;
