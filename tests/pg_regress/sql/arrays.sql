-- Denormalised id arrays: API §4. Every write path keeps them equal to the join table.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays;
\c habtm_arrays
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Rails' example, bigint developers and int projects, with some links before denormalize.
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, 'ann'), (2, 'ben'), (3, 'cy'), (4, 'dee');
INSERT INTO projects VALUES (1, 'apollo'), (2, 'borealis'), (3, 'cygnus'), (4, 'draco'), (5, 'eridanus');
SELECT habtm.create_join_table('developers', 'projects');
INSERT INTO developers_projects VALUES (1, 3), (1, 1), (2, 1);

-- denormalize: Rails' names by default (developers.project_ids, projects.developer_ids),
-- NOT NULL DEFAULT '{}', filled in one pass.
SELECT habtm.denormalize('developers_projects', writes => 'links');
SELECT attrelid::regclass AS "table", attname, format_type(atttypid, atttypmod), attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS "default"
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
 WHERE attrelid IN ('developers'::regclass, 'projects'::regclass) AND attname LIKE '%\_ids'
 ORDER BY 1, 2;
SELECT owner, relation, owner_array, target_array FROM habtm.associations ORDER BY 1::text, 2;

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
-- The §3 functions are join-table writes too.
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

-- Deletes of side rows: the foreign-key cascade removes the links and the other side follows.
DELETE FROM projects WHERE id = 3;
SELECT * FROM state;
DELETE FROM developers WHERE id = 2;
SELECT * FROM state;
-- Primary-key updates cascade (ON UPDATE CASCADE) and the arrays follow.
UPDATE projects SET id = 7 WHERE id = 1;
UPDATE developers SET id = 9 WHERE id = 4;
SELECT * FROM state;

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

-- A self-association with arrays on both sides: users following users.
CREATE TABLE people (id int PRIMARY KEY, name text);
INSERT INTO people SELECT i, 'p' || i FROM generate_series(1, 4) i;
SELECT habtm.create_join_table('people', 'people', table_name => 'follows', a_column => 'follower_id',
       b_column => 'followed_id', a_relation => 'following', b_relation => 'followers');
SELECT habtm.denormalize('follows', writes => 'links');
INSERT INTO follows VALUES (1, 2), (2, 1), (3, 1), (1, 4);
UPDATE people SET following_ids = '{1,2}' WHERE id = 4;
SELECT id, following_ids, follower_ids FROM people ORDER BY id;
DELETE FROM people WHERE id = 1;
SELECT id, following_ids, follower_ids FROM people ORDER BY id;
SELECT * FROM habtm.check('follows');
-- A write that names rows of the same statement: a self-link, two rows naming each other, both
-- arrays written at once (each of these lost a link in 0.1). Where the two arrays of one
-- statement disagree about a link, following_ids (a's) wins.
INSERT INTO people VALUES (5, 'p5'), (6, 'p6');
UPDATE people SET following_ids = '{5}' WHERE id = 5;
UPDATE people SET following_ids = CASE id WHEN 2 THEN '{3,6}'::int[] ELSE '{2}' END WHERE id IN (2, 6);
UPDATE people SET following_ids = '{3}', follower_ids = '{3}' WHERE id IN (3, 4);
SELECT * FROM follows ORDER BY 1, 2;
SELECT id, following_ids, follower_ids FROM people ORDER BY id;
SELECT * FROM habtm.check('follows');
INSERT INTO people VALUES (7, 'p7', '{7}', '{7}');
SELECT id, following_ids, follower_ids FROM people WHERE id = 7;
SELECT * FROM habtm.check('follows');
-- A self-linked row's key changes: both foreign keys cascade, and its own id in its arrays
-- follows (it failed with 23503, or left the old id behind).
UPDATE people SET id = 70 WHERE id = 7;
SELECT * FROM follows WHERE 70 IN (follower_id, followed_id);
SELECT id, following_ids, follower_ids FROM people WHERE id = 70;
UPDATE people SET id = 7 WHERE id = 70;
SELECT id, following_ids, follower_ids FROM people WHERE id = 7;
SELECT * FROM habtm.check('follows');

-- Dropping one id array column with CASCADE (it takes the side triggers that name it) leaves
-- the table's other associations maintained: the catalog forgets that array and the triggers
-- are re-created for the others.
CREATE TABLE skills (id int PRIMARY KEY);
INSERT INTO skills VALUES (1), (2);
SELECT habtm.create_join_table('people', 'skills');
SELECT habtm.denormalize('people_skills', writes => 'links');
ALTER TABLE people DROP COLUMN following_ids CASCADE;
SELECT owner, relation, owner_array FROM habtm.associations WHERE owner = 'people'::regclass ORDER BY 2;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'people'::regclass AND NOT tgisinternal ORDER BY 1;
UPDATE people SET skill_ids = '{2,1}' WHERE id = 2;
INSERT INTO people_skills VALUES (3, 2);
SELECT id, skill_ids, follower_ids FROM people ORDER BY id;
SELECT id, person_ids FROM skills ORDER BY id;
SELECT count(*) AS drift FROM habtm.check();

-- One side only: a_array named, b side left without an array.
CREATE TABLE tags (id int PRIMARY KEY);
CREATE TABLE posts (id int PRIMARY KEY);
SELECT habtm.create_join_table('posts', 'tags');
INSERT INTO posts VALUES (1), (2); INSERT INTO tags VALUES (10), (20);
SELECT habtm.denormalize('posts_tags', a_array => 'tag_ids', writes => 'links');
INSERT INTO posts_tags VALUES (1, 20), (1, 10), (2, 10);
DELETE FROM tags WHERE id = 10;
SELECT * FROM posts ORDER BY id;
SELECT attname FROM pg_attribute WHERE attrelid = 'tags'::regclass AND attname LIKE '%\_ids';
-- TRUNCATE … CASCADE of the other side truncates the join table too: the arrays empty.
TRUNCATE tags CASCADE;
SELECT * FROM posts ORDER BY id;
INSERT INTO tags VALUES (10), (20);
INSERT INTO posts_tags VALUES (1, 20);

-- Bad calls: each an error, nothing created.
SELECT habtm.denormalize(NULL);
SELECT habtm.denormalize('writes');                              -- not a join table
SELECT habtm.denormalize('posts_tags', a_array => 'other_ids');  -- already kept in tag_ids
SELECT habtm.denormalize('posts_tags', b_array => repeat('x', 64));
ALTER TABLE tags ADD COLUMN post_ids text[];
SELECT habtm.denormalize('posts_tags', b_array => 'post_ids');   -- wrong type for int keys
SELECT attname FROM pg_attribute WHERE attrelid = 'tags'::regclass AND attname LIKE '%\_ids';
SELECT tgname FROM pg_trigger WHERE tgrelid = 'tags'::regclass AND NOT tgisinternal ORDER BY 1;
SELECT habtm.normalize(NULL);
SELECT habtm.normalize('writes');
SELECT * FROM habtm.check('writes');
SELECT habtm.repair('writes');

-- The set helpers the triggers use, callable on their own.
SELECT habtm.array_canonical('{3,1,1,2}'::bigint[]) AS canonical,
       habtm.array_canonical(ARRAY['kevin', 'bob', 'bob'] COLLATE "C") AS text_ids,
       habtm.array_apply('{1,3,5}'::int[], '{3}', '{4,0}') AS applied,
       habtm.array_apply('{1,3}'::int[], NULL, NULL) AS unchanged;
SELECT habtm.array_canonical('{1,NULL}'::int[]);
SELECT habtm.array_canonical('{{1},{2}}'::int[]);
SELECT habtm.array_canonical(ARRAY['<a/>'::xml]);

-- normalize: habtm's triggers removed (a user's own, whatever its name, stays), columns kept
-- (and from then on no longer maintained) …
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER habtm_users_own AFTER INSERT ON posts FOR EACH STATEMENT EXECUTE FUNCTION noop();
SELECT habtm.normalize('posts_tags');
SELECT tgname FROM pg_trigger WHERE tgrelid IN ('posts'::regclass, 'posts_tags'::regclass)
   AND NOT tgisinternal;
INSERT INTO posts_tags VALUES (2, 20);
SELECT * FROM posts ORDER BY id;
SELECT * FROM habtm.check('posts_tags');
-- … or dropped when asked.
SELECT habtm.denormalize('posts_tags', a_array => 'tag_ids', writes => 'links');
SELECT * FROM posts ORDER BY id;
SELECT habtm.normalize('posts_tags', drop_columns => true);
SELECT attname FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attnum > 0 AND NOT attisdropped;

-- Dynomite's example with text ids: users bob and kevin, groups group-red and group-green, in a
-- schema with a hostile name, called with an empty search_path.
CREATE SCHEMA "Dyno ""mite""";
CREATE TABLE "Dyno ""mite""".users (id text PRIMARY KEY);
CREATE TABLE "Dyno ""mite""".groups (id text PRIMARY KEY);
INSERT INTO "Dyno ""mite""".users VALUES ('bob'), ('kevin');
INSERT INTO "Dyno ""mite""".groups VALUES ('group-red'), ('group-green'), ('group-blue');
SELECT habtm.create_join_table('"Dyno ""mite""".users', '"Dyno ""mite""".groups');
SET search_path = '';
SELECT habtm.denormalize('"Dyno ""mite""".groups_users', a_array => 'group ids', b_array => 'user_ids', writes => 'links');
SELECT habtm.add('"Dyno ""mite""".users', 'groups', 'bob', ARRAY['group-red', 'group-green']);
SELECT habtm.add('"Dyno ""mite""".users', 'groups', 'kevin', ARRAY['group-red']);
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT id, user_ids FROM "Dyno ""mite""".groups ORDER BY id;
-- destroy bob's groups: the rows go, and kevin's array no longer holds group-red.
SELECT habtm.destroy('"Dyno ""mite""".users', 'groups', 'bob') AS destroyed;
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT id, user_ids FROM "Dyno ""mite""".groups ORDER BY id;
UPDATE "Dyno ""mite""".groups SET user_ids = '{kevin,bob}' WHERE id = 'group-blue';
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT count(*) AS problems FROM habtm.check();
RESET search_path;

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

-- uuid keys (values passed by reference): the one-key path and the set-based one agree.
CREATE TABLE devices (id uuid PRIMARY KEY);
CREATE TABLE sensors (id uuid PRIMARY KEY);
INSERT INTO devices VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b');
INSERT INTO sensors SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid FROM generate_series(1, 3) i;
SELECT habtm.create_join_table('devices', 'sensors');
SELECT habtm.denormalize('devices_sensors', writes => 'links');
INSERT INTO devices_sensors VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000003'),
                                   ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000001');
INSERT INTO devices_sensors VALUES ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-000000000001'),
                                   ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000002');
UPDATE devices_sensors SET sensor_id = '00000000-0000-0000-0000-000000000002'
 WHERE device_id = '00000000-0000-0000-0000-00000000000b';
DELETE FROM devices_sensors WHERE sensor_id = '00000000-0000-0000-0000-000000000001';
SELECT right(id::text, 1) AS device, sensor_ids FROM devices ORDER BY id;
SELECT right(id::text, 1) AS sensor, device_ids FROM sensors ORDER BY id;
SELECT count(*) AS problems FROM habtm.check('devices_sensors');

-- Dropping the join table removes its triggers from the joined tables.
DROP VIEW state;
SELECT habtm.drop_join_table('developers_projects');
SELECT tgrelid::regclass, tgname FROM pg_trigger
 WHERE tgrelid IN ('developers'::regclass, 'projects'::regclass) AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;

\c :regress_db
DROP DATABASE habtm_arrays;
DROP ROLE habtm_arrays_user;
