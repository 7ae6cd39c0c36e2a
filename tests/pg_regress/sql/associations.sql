-- Working with associations.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_associations;
\c habtm_associations
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Rails' example: developers and projects (bigint and int keys).
CREATE TABLE developers (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL, budget numeric, status text DEFAULT 'new');
INSERT INTO developers (name) VALUES ('ann'), ('ben'), ('cy');
INSERT INTO projects (id, title, budget, status) VALUES
    (1, 'apollo', 100, 'active'), (2, 'borealis', 250, 'active'), (3, 'cygnus', NULL, 'paused'),
    (4, 'draco', 40, 'active'), (5, 'eridanus', 900, 'done');
SELECT habtm.create_join_table('developers', 'projects');

-- add: links created; existing links and repeated ids are ignored; ids in their own types.
SELECT habtm.add('developers', 'projects', 1, ARRAY[3, 1, 2, 2]) AS added;
SELECT habtm.add('developers', 'projects', 1, ARRAY[1, 4]) AS added_again;
SELECT habtm.add('developers', 'projects', '2', '{1,5}') AS added_from_literals;
SELECT habtm.add('developers', 'projects', 3::bigint, ARRAY[5]::bigint[]) AS added_from_bigint;
SELECT habtm.add('developers', 'projects', 3, '{}'::int[]) AS added_nothing;
SELECT * FROM developers_projects ORDER BY 1, 2;

-- The readers, both directions.
SELECT habtm.count('developers', 'projects', 1) AS ann_projects,
       habtm.count('projects', 'developers', 1) AS apollo_developers,
       habtm.exists('developers', 'projects', 1, 4) AS ann_on_draco,
       habtm.exists('developers', 'projects', 2, 4) AS ben_on_draco,
       habtm.ids('developers', 'projects', 1) AS ann_ids,
       habtm.ids('projects', 'developers', 5) AS eridanus_ids,
       habtm.ids('developers', 'projects', 3::smallint) AS cy_ids;
SELECT habtm.find('developers', 'projects', 1, 2) AS found;
SELECT * FROM habtm.collection('developers', 'projects', 1);
INSERT INTO projects (id, title) VALUES (9, 'lonely');
SELECT * FROM habtm.unassociated('projects', 'developers');
SELECT * FROM habtm.unassociated('developers', 'projects');

-- collection with LoopBack's filter.
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"status": "active"}, "fields": ["id", "title"]}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"budget": {"gt": 50, "lte": 250}}, "fields": ["title", "budget"]}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"or": [{"id": {"inq": [1, 3]}}, {"title": {"like": "d%"}}]}, "fields": ["id"]}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"and": [{"status": {"neq": "paused"}}, {"id": {"nin": [1]}}]}, "fields": ["id"]}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"budget": null}, "fields": ["title"]}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"budget": {"between": [40, 100]}, "title": {"ilike": "A%"}}, "fields": ["title"]}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"order": ["status DESC", "budget"], "limit": 2, "skip": 1}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"order": "title DESC", "offset": 3, "fields": {"budget": false, "status": false}}');

-- The typed forms: a last argument NULL::<type> names the result's type, which must be the
-- type the rows (or ids) have. Rows come back as the table's own rows, ids as a typed array.
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"budget": {"gte": 100}}, "order": "budget DESC"}', NULL::projects);
SELECT p.title, p.budget * 2 AS doubled FROM habtm.collection('developers', 'projects', 1, '{}', NULL::projects) AS p
 WHERE p.status = 'active';
SELECT pg_typeof(p) AS row_type, count(*) FROM habtm.collection('developers', 'projects', 1, '{}', NULL::projects) AS p GROUP BY 1;
SELECT habtm.ids('developers', 'projects', 1, NULL::int[]) AS ann_ids,
       pg_typeof(habtm.ids('developers', 'projects', 1, NULL::int[])) AS ids_type,
       habtm.ids('projects', 'developers', 5, NULL::bigint[]) AS eridanus_ids,
       habtm.ids('projects', 'developers', 9, NULL::bigint[]) AS lonely_ids;
SELECT (habtm.find('developers', 'projects', 1, 2, NULL::projects)).*;
SELECT * FROM habtm.unassociated('projects', 'developers', NULL::projects);

-- remove unlinks, the rows stay; replace makes the set exactly the list, by difference.
SELECT habtm.remove('developers', 'projects', 1, ARRAY[2, 3, 99]) AS removed;
SELECT count(*) AS projects_still_there FROM projects;
SELECT habtm.replace('developers', 'projects', 1, ARRAY[4, 5, 5]) AS changed;
SELECT habtm.ids('developers', 'projects', 1) AS ann_after_replace;
SELECT habtm.replace('developers', 'projects', 1, ARRAY[4, 5]) AS unchanged;
SELECT habtm.clear('developers', 'projects', 2) AS cleared, habtm.ids('developers', 'projects', 2) AS ben_after_clear;

-- create: a new target row from attributes (defaults for the rest), linked, returned.
SELECT habtm.create('developers', 'projects', 1, '{"id": 6, "title": "fornax"}') AS created;
SELECT habtm.ids('developers', 'projects', 1) AS ann_after_create;
SELECT habtm.create('projects', 'developers', 6, '{"name": "dee"}') AS created_developer;

-- Set-based: one INSERT statement for 500 links, one DELETE and one INSERT for a replace.
-- (The user's trigger finds its table through the caller's search_path.)
CREATE TABLE statements (op text, n int);
CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO statements VALUES (TG_OP, 1); RETURN NULL; END $$;
CREATE TRIGGER count_statements AFTER INSERT OR DELETE ON developers_projects
    FOR EACH STATEMENT EXECUTE FUNCTION count_statement();
INSERT INTO projects SELECT i, 'bulk ' || i FROM generate_series(100, 599) i;
SELECT habtm.add('developers', 'projects', 3, ARRAY(SELECT generate_series(100, 599))) AS bulk_added;
SELECT habtm.replace('developers', 'projects', 3, ARRAY(SELECT generate_series(100, 199))) AS bulk_replaced;
SELECT op, count(*) AS statements FROM statements GROUP BY op ORDER BY op;
DROP TRIGGER count_statements ON developers_projects;

-- Dynomite's seeds: text ids. bob joins two groups, kevin one.
CREATE TABLE users (id text PRIMARY KEY);
CREATE TABLE groups (id text PRIMARY KEY, name text);
INSERT INTO users VALUES ('bob'), ('kevin');
INSERT INTO groups VALUES ('group-red', 'Red'), ('group-green', 'Green'), ('group-blue', 'Blue');
SELECT habtm.create_join_table('users', 'groups');
SELECT habtm.add('users', 'groups', 'bob', ARRAY['group-red', 'group-green']) AS bob_added,
       habtm.add('users', 'groups', 'kevin', '{group-red}') AS kevin_added;
SELECT habtm.ids('users', 'groups', 'bob') AS bob, habtm.ids('users', 'groups', 'kevin') AS kevin,
       habtm.ids('groups', 'users', 'group-red') AS red_members;
SELECT habtm.ids('users', 'groups', 'bob', NULL::text[]) AS bob_typed,
       g.name AS first_group_of_bob
  FROM habtm.collection('users', 'groups', 'bob', '{"limit": 1}', NULL::groups) AS g;
-- Typed rows of a table with a dropped column, in a LATERAL join and in a select list.
ALTER TABLE groups ADD COLUMN scratch int, ADD COLUMN colour text DEFAULT 'none';
ALTER TABLE groups DROP COLUMN scratch;
SELECT u.id AS user_id, g.* FROM users u,
       LATERAL habtm.collection('users', 'groups', u.id, '{"order": "name"}', NULL::groups) AS g;
SELECT (habtm.collection('users', 'groups', 'bob', '{}', NULL::groups)).colour,
       habtm.collection('users', 'groups', 'bob') AS as_jsonb;
-- destroy deletes bob's groups themselves: kevin's link to group-red goes with them.
SELECT habtm.destroy('users', 'groups', 'bob') AS destroyed;
SELECT id FROM groups ORDER BY id;
SELECT habtm.ids('users', 'groups', 'kevin') AS kevin_after_destroy;
-- remove without deleting rows; replace by an id list; destroy of some ids only.
SELECT habtm.add('users', 'groups', 'kevin', ARRAY['group-blue']) AS kevin_joins_blue;
SELECT habtm.remove('users', 'groups', 'kevin', ARRAY['group-blue']) AS kevin_leaves_blue;
SELECT id FROM groups ORDER BY id;
INSERT INTO groups VALUES ('group-red', 'Red again'), ('group-green', 'Green again');
SELECT habtm.replace('users', 'groups', 'bob', ARRAY['group-red', 'group-blue']) AS bob_replaced,
       habtm.ids('users', 'groups', 'bob') AS bob_now;
SELECT habtm.destroy('users', 'groups', 'bob', ARRAY['group-blue', 'group-green']) AS destroyed_some;
SELECT id FROM groups ORDER BY id;

-- uuid keys, and a self-association in both directions.
CREATE TABLE accounts (id uuid PRIMARY KEY);
INSERT INTO accounts VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b'),
                            ('00000000-0000-0000-0000-00000000000c');
SELECT habtm.create_join_table('accounts', 'accounts', table_name => 'follows', a_column => 'follower_id',
       b_column => 'followed_id', a_relation => 'following', b_relation => 'followers');
SELECT habtm.add('accounts', 'following', '00000000-0000-0000-0000-00000000000a',
                 ARRAY['00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000c']::uuid[]) AS follows;
SELECT habtm.ids('accounts', 'followers', '00000000-0000-0000-0000-00000000000c'::uuid) AS followers_of_c,
       habtm.count('accounts', 'following', '00000000-0000-0000-0000-00000000000a') AS a_follows;
SELECT habtm.ids('accounts', 'following', '00000000-0000-0000-0000-00000000000a', NULL::uuid[]) AS a_follows_typed;

-- Bad input: a clear error with its SQLSTATE, and nothing changed.
CREATE FUNCTION links() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s developer links, %s group links, %s projects',
                  (SELECT count(*) FROM developers_projects), (SELECT count(*) FROM groups_users),
                  (SELECT count(*) FROM projects))
$$;
SELECT links() AS before_errors;
SELECT habtm.add('nonexistent', 'projects', 1, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projcts', 1, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.count('groups', 'projects', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', NULL::int, ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, NULL::int[]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, ARRAY[1, NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, ARRAY[2, 77]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 42, ARRAY[2]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.count('developers', 'projects', 42);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, ARRAY[1.5]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, ARRAY['00000000-0000-0000-0000-00000000000a'::uuid]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, '{two}');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('developers', 'projects', 1, ARRAY[3000000000]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.add('users', 'groups', 1, ARRAY['group-red']);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.find('developers', 'projects', 1, 3);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create('developers', 'projects', 1, '{"id": 7, "colour": "red"}');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create('developers', 'projects', 1, '[1, 2]');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create('developers', 'projects', 1, '{"id": 1, "title": "duplicate"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"colour": "red"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"id": {"near": 3}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"id": 1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"limit": -1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"order": "title; DROP TABLE projects"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"title\"; DROP TABLE projects; --": 1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"id": {"inq": "1); DROP TABLE projects; --"}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"title": "x''); DROP TABLE projects; --"}}');
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"where": {"id": "1 OR 1=1"}}');
\echo :LAST_ERROR_SQLSTATE
-- typed forms: another type than the rows or ids have, fields, a NULL filter, an untyped NULL
SELECT * FROM habtm.collection('developers', 'projects', 1, '{}', NULL::developers);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.ids('developers', 'projects', 1, NULL::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.find('developers', 'projects', 1, 2, NULL::groups);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.unassociated('developers', 'projects', NULL::projects);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, '{"fields": ["title"]}', NULL::projects);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.collection('developers', 'projects', 1, NULL, NULL::projects);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM habtm.unassociated('developers', 'projects', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.find('developers', 'projects', 1, 3, NULL::projects);
\echo :LAST_ERROR_SQLSTATE
SELECT links() AS after_errors;

\c :regress_db
DROP DATABASE habtm_associations;
