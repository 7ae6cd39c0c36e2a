-- A write of an id array column is a write of the association (writes => 'links'):
-- UPDATE in either direction, INSERT with ids, ON CONFLICT DO UPDATE; a write that changes no
-- link writes none; bad arrays are errors that change nothing.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_column_writes;
\c habtm_arrays_column_writes
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Set-up: Rails' example, bigint developers and int projects, with arrays kept and written
-- through (developers 1, 3, 9; projects 2, 4, 5, 7; links 1-2 1-7 9-7).
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (3, 'cy'), (9, 'dee');
INSERT INTO projects VALUES (2, 'borealis'), (4, 'draco'), (5, 'eridanus'), (7, 'apollo');
SELECT habtm.create_join_table('developers', 'projects');
SELECT habtm.denormalize('developers_projects', writes => 'links');
INSERT INTO developers_projects VALUES (1, 2), (1, 7), (9, 7);

-- A compact picture of everything: each side's arrays and the links.
CREATE VIEW state AS
SELECT (SELECT string_agg(id || ':' || project_ids::text, ' ' ORDER BY id) FROM developers) AS developers,
       (SELECT string_agg(id || ':' || developer_ids::text, ' ' ORDER BY id) FROM projects) AS projects,
       (SELECT string_agg(developer_id || '-' || project_id, ' ' ORDER BY developer_id, project_id)
          FROM developers_projects) AS links,
       (SELECT count(*) FROM habtm.check()) AS problems;
SELECT * FROM state;

-- Statement triggers of the user's own count how often each table is written per statement.
CREATE TABLE writes (tbl text, op text, n int, PRIMARY KEY (tbl, op));
CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO writes VALUES (TG_TABLE_NAME, TG_OP, 1)
        ON CONFLICT (tbl, op) DO UPDATE SET n = writes.n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER count_write AFTER INSERT OR UPDATE OR DELETE ON developers FOR EACH STATEMENT EXECUTE FUNCTION count_write();
CREATE TRIGGER count_write AFTER INSERT OR UPDATE OR DELETE ON projects FOR EACH STATEMENT EXECUTE FUNCTION count_write();
CREATE TRIGGER count_write AFTER INSERT OR UPDATE OR DELETE ON developers_projects FOR EACH STATEMENT EXECUTE FUNCTION count_write();

-- A write to an array column is a write to the association: links 5, keeps 7, unlinks 2,
-- stores {5,7}, the projects follow. Each table is written by one statement per event.
TRUNCATE writes;
UPDATE developers SET project_ids = '{5,7,7}' WHERE id = 1;
SELECT * FROM state;
SELECT * FROM writes ORDER BY 1, 2;
DROP TRIGGER count_write ON developers;
DROP TRIGGER count_write ON projects;
DROP TRIGGER count_write ON developers_projects;
-- The other direction, several rows in one statement.
UPDATE projects SET developer_ids = CASE id WHEN 2 THEN '{9,3,1}'::bigint[] ELSE '{}' END;
SELECT * FROM state;
-- Writing the array it already has changes nothing; writing only other columns does not touch links.
UPDATE developers SET project_ids = project_ids, name = upper(name);
UPDATE developers SET name = lower(name);
SELECT * FROM state;
-- An INSERT of a row with a non-empty array links it; with '{}' (the default) nothing.
INSERT INTO developers VALUES (5, 'eve', '{2,5,2}'), (6, 'fay', DEFAULT);
INSERT INTO projects (id, title, developer_ids) VALUES (8, 'fornax', '{5,6}');
SELECT * FROM state;
-- INSERT … ON CONFLICT DO UPDATE of an array.
INSERT INTO developers VALUES (6, 'fay', '{7}') ON CONFLICT (id) DO UPDATE SET project_ids = excluded.project_ids;
SELECT * FROM state;

-- Bad array writes: an error, and nothing changes.
UPDATE developers SET project_ids = '{1,99}' WHERE id = 1;   -- unknown ids (projects 1, 99)
UPDATE developers SET project_ids = '{2,NULL}' WHERE id = 1;
UPDATE developers SET project_ids = NULL WHERE id = 1;
UPDATE developers SET project_ids = '{{2},{5}}' WHERE id = 1;
INSERT INTO developers VALUES (10, 'gil', '{42}');
SELECT * FROM state;

\c :regress_db
DROP DATABASE habtm_arrays_column_writes;
