-- Id arrays under privileges and row-level security: an array habtm cannot update is
-- an error, never a silent skip; so is a BEFORE trigger that skips the update.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_privileges;
\c habtm_arrays_privileges
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Set-up: Rails' example, bigint developers and int projects, with arrays kept
-- (developers 1, 3, 5, 6, 9; projects 2, 4, 5, 7, 8; links 1-2 3-2 5-2 5-8 6-7 9-2).
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (3, 'cy'), (5, 'eve'), (6, 'fay'), (9, 'dee');
INSERT INTO projects VALUES (2, 'borealis'), (4, 'draco'), (5, 'eridanus'), (7, 'apollo'), (8, 'fornax');
SELECT habtm.create_join_table('developers', 'projects');
SELECT habtm.denormalize('developers_projects', writes => 'links');
INSERT INTO developers_projects VALUES (1, 2), (3, 2), (5, 2), (5, 8), (6, 7), (9, 2);

-- A compact picture of everything: each side's arrays and the links.
CREATE VIEW state AS
SELECT (SELECT string_agg(id || ':' || project_ids::text, ' ' ORDER BY id) FROM developers) AS developers,
       (SELECT string_agg(id || ':' || developer_ids::text, ' ' ORDER BY id) FROM projects) AS projects,
       (SELECT string_agg(developer_id || '-' || project_id, ' ' ORDER BY developer_id, project_id)
          FROM developers_projects) AS links,
       (SELECT count(*) FROM habtm.check()) AS problems;
SELECT * FROM state;

-- Privileges and row-level security: an array habtm cannot update is an error, never a silent skip.
CREATE ROLE habtm_arrays_user;
GRANT USAGE ON SCHEMA public TO habtm_arrays_user;
GRANT SELECT, INSERT, DELETE ON developers_projects TO habtm_arrays_user;
GRANT SELECT ON developers, projects TO habtm_arrays_user;
SET ROLE habtm_arrays_user;
INSERT INTO developers_projects VALUES (3, 5);                 -- no UPDATE privilege on developers
RESET ROLE;
GRANT UPDATE ON developers, projects TO habtm_arrays_user;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON projects USING (true);
SET ROLE habtm_arrays_user;
INSERT INTO developers_projects VALUES (3, 5);                 -- row-level security on projects
RESET ROLE;
ALTER TABLE projects DISABLE ROW LEVEL SECURITY;
SET ROLE habtm_arrays_user;
INSERT INTO developers_projects VALUES (3, 5);                 -- allowed now
RESET ROLE;
SELECT * FROM state;
-- A BEFORE trigger that skips rows would leave arrays stale: an error instead.
CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER skip_row BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION skip_row();
INSERT INTO developers_projects VALUES (3, 4);                 -- one project: one-row UPDATE
INSERT INTO developers_projects VALUES (3, 4), (5, 7);         -- two: the set-based statement
DROP TRIGGER skip_row ON projects;
SELECT * FROM state;

-- A self-association's join-table UPDATE gives the keys it touches their arrays from the join
-- table itself: under a policy that hides links from the writer (here the tables' owner, the
-- policy forced on it), that is an error, not arrays that lose the hidden links. repair() and
-- check() refuse the same way.
GRANT CREATE ON SCHEMA public TO habtm_arrays_user;
SET ROLE habtm_arrays_user;
CREATE TABLE people (id int PRIMARY KEY);
INSERT INTO people SELECT generate_series(1, 4);
CREATE TABLE follows (
    person_id int NOT NULL REFERENCES people ON UPDATE CASCADE ON DELETE CASCADE,
    followed_id int NOT NULL REFERENCES people ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (person_id, followed_id));
SELECT habtm.adopt('follows', 'people', 'people', 'person_id', 'followed_id', 'following', 'followers');
INSERT INTO follows VALUES (1, 2), (1, 3), (4, 1);
SELECT habtm.denormalize('follows', 'following_ids', 'follower_ids');
ALTER TABLE follows ENABLE ROW LEVEL SECURITY;
ALTER TABLE follows FORCE ROW LEVEL SECURITY;
CREATE POLICY hide_three ON follows FOR SELECT USING (followed_id <> 3);
CREATE POLICY update_any ON follows FOR UPDATE USING (true);
UPDATE follows SET person_id = 1 WHERE person_id = 4;          -- row-level security on follows
SELECT habtm.repair('follows');                                -- refused too
SELECT count(*) FROM habtm.check('follows');                   -- and check, which would see drift
ALTER TABLE follows NO FORCE ROW LEVEL SECURITY;
RESET ROLE;
SELECT id, following_ids, follower_ids FROM people ORDER BY id;
SELECT count(*) AS wrong_arrays FROM habtm.check('follows');
DROP TABLE follows, people;
REVOKE CREATE ON SCHEMA public FROM habtm_arrays_user;

\c :regress_db
DROP DATABASE habtm_arrays_privileges;
DROP ROLE habtm_arrays_user;
