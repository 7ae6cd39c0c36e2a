-- Id arrays follow every write of the join table: INSERT (one key per side or many),
-- ON CONFLICT, UPDATE of either column, DELETE, COPY, the association functions, TRUNCATE; and
-- each side table is written by one statement per statement, none when no link changed.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_join_writes;
\c habtm_arrays_join_writes
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Set-up: Rails' example, bigint developers and int projects, with arrays kept
-- (arrays_denormalize shows these columns and this state).
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (2, 'ben'), (3, 'cy'), (4, 'dee');
INSERT INTO projects VALUES (1, 'apollo'), (2, 'borealis'), (3, 'cygnus'), (4, 'draco'), (5, 'eridanus');
SELECT habtm.create_join_table('developers', 'projects');
INSERT INTO developers_projects VALUES (1, 3), (1, 1), (2, 1);
SELECT habtm.denormalize('developers_projects', writes => 'links');

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

-- INSERT of join rows (one statement: each side's rows updated by one statement).
INSERT INTO developers_projects VALUES (2, 2), (3, 2), (2, 5);
SELECT * FROM state;
SELECT * FROM writes ORDER BY 1, 2; TRUNCATE writes;
-- Rows that share one key on a side (developer 4 here) update that side's row by a one-row
-- UPDATE instead of the set-based statement; still one statement per side.
INSERT INTO developers_projects VALUES (4, 1), (4, 5);
SELECT * FROM state;
DELETE FROM developers_projects WHERE developer_id = 4 AND project_id IN (1, 5);
SELECT * FROM state;
SELECT * FROM writes ORDER BY 1, 2; TRUNCATE writes;
-- A statement that writes no link does not write the side tables.
INSERT INTO developers_projects SELECT 1, 1 WHERE false;
DELETE FROM developers_projects WHERE developer_id = 99;
UPDATE developers_projects SET project_id = 1 WHERE false;
SELECT * FROM writes ORDER BY 1, 2; TRUNCATE writes;

-- ON CONFLICT DO NOTHING: skipped rows change nothing.
INSERT INTO developers_projects VALUES (2, 2), (4, 4) ON CONFLICT DO NOTHING;
SELECT * FROM state;
-- ON CONFLICT DO UPDATE moving a link.
INSERT INTO developers_projects VALUES (4, 4) ON CONFLICT (developer_id, project_id)
    DO UPDATE SET project_id = 3;
SELECT * FROM state;
-- UPDATE of join rows, both columns.
UPDATE developers_projects SET project_id = 4 WHERE developer_id = 4;
UPDATE developers_projects SET developer_id = 3 WHERE (developer_id, project_id) = (2, 5);
SELECT * FROM state;
-- DELETE of join rows.
DELETE FROM developers_projects WHERE project_id = 1;
SELECT * FROM state;
-- COPY into the join table.
COPY developers_projects FROM stdin;
1	1
4	5
\.
SELECT * FROM state;
-- The association functions are join-table writes too.
SELECT habtm.add('developers', 'projects', 4, ARRAY[1, 2]) AS added,
       habtm.remove('projects', 'developers', 5, ARRAY[3]) AS removed;
SELECT habtm.replace('developers', 'projects', 1, ARRAY[2, 5]) AS replaced;
SELECT * FROM state;
-- TRUNCATE of the join table empties every array.
TRUNCATE writes;
TRUNCATE developers_projects;
SELECT * FROM state;
INSERT INTO developers_projects VALUES (1, 1), (1, 2), (2, 2), (3, 3), (4, 1), (4, 3);
SELECT * FROM state;

\c :regress_db
DROP DATABASE habtm_arrays_join_writes;
