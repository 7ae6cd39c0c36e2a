-- Id arrays follow the links that go without a DELETE of the join table: deletes of
-- side rows (the foreign-key cascade), primary-key updates (ON UPDATE CASCADE) and
-- TRUNCATE … CASCADE of a side.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_cascades;
\c habtm_arrays_cascades
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Set-up: Rails' example, bigint developers and int projects, with arrays kept.
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (2, 'ben'), (3, 'cy'), (4, 'dee');
INSERT INTO projects VALUES (1, 'apollo'), (2, 'borealis'), (3, 'cygnus'), (4, 'draco'), (5, 'eridanus');
SELECT habtm.create_join_table('developers', 'projects');
SELECT habtm.denormalize('developers_projects', writes => 'links');

-- A compact picture of everything: each side's arrays and the links.
CREATE VIEW state AS
SELECT (SELECT string_agg(id || ':' || project_ids::text, ' ' ORDER BY id) FROM developers) AS developers,
       (SELECT string_agg(id || ':' || developer_ids::text, ' ' ORDER BY id) FROM projects) AS projects,
       (SELECT string_agg(developer_id || '-' || project_id, ' ' ORDER BY developer_id, project_id)
          FROM developers_projects) AS links,
       (SELECT count(*) FROM habtm.check()) AS problems;
INSERT INTO developers_projects VALUES (1, 1), (1, 2), (2, 2), (3, 3), (4, 1), (4, 3);
SELECT * FROM state;

-- Deletes of side rows: the foreign-key cascade removes the links and the other side follows.
DELETE FROM projects WHERE id = 3;
SELECT * FROM state;
DELETE FROM developers WHERE id = 2;
SELECT * FROM state;
-- Primary-key updates cascade (ON UPDATE CASCADE) and the arrays follow.
UPDATE projects SET id = 7 WHERE id = 1;
UPDATE developers SET id = 9 WHERE id = 4;
SELECT * FROM state;

-- Set-up: one side only (arrays_denormalize shows these steps and their results): posts keep
-- tag_ids, tags keep no array; post 1 is linked to tag 20.
CREATE TABLE tags (id int PRIMARY KEY);
CREATE TABLE posts (id int PRIMARY KEY);
SELECT habtm.create_join_table('posts', 'tags');
INSERT INTO posts VALUES (1), (2); INSERT INTO tags VALUES (10), (20);
SELECT habtm.denormalize('posts_tags', a_array => 'tag_ids', writes => 'links');
INSERT INTO posts_tags VALUES (1, 20), (1, 10), (2, 10);
DELETE FROM tags WHERE id = 10;
SELECT * FROM posts ORDER BY id;
-- TRUNCATE … CASCADE of the other side truncates the join table too: the arrays empty.
TRUNCATE tags CASCADE;
SELECT * FROM posts ORDER BY id;
INSERT INTO tags VALUES (10), (20);
INSERT INTO posts_tags VALUES (1, 20);

\c :regress_db
DROP DATABASE habtm_arrays_cascades;
