-- Security: who may write the catalog (README "Security model"), and generated SQL that no
-- search_path can redirect.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_security;
\c habtm_security
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION habtm;
CREATE EXTENSION citext;

CREATE TABLE developers (id bigint PRIMARY KEY, scores int[] NOT NULL DEFAULT '{}');
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers VALUES (1, '{3,1}'), (2, '{}'), (3, '{}');
INSERT INTO projects VALUES (1, 'apollo'), (2, 'borealis'), (3, 'cygnus');
SELECT habtm.create_join_table('developers', 'projects');

-- ## The catalog: what a hostile table owner cannot register
CREATE ROLE habtm_mallory;
CREATE SCHEMA mal AUTHORIZATION habtm_mallory;
GRANT SELECT ON developers, projects TO habtm_mallory;
SET ROLE habtm_mallory;
CREATE TABLE mal.evil (project_id int, developer_id bigint);
CREATE FUNCTION mal.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    ALTER ROLE habtm_mallory SUPERUSER;
    RETURN NULL;
END $$;
CREATE TRIGGER escalate AFTER INSERT ON mal.evil FOR EACH STATEMENT EXECUTE FUNCTION mal.escalate();
-- The row of the issue: another role's tables as a and b, a relation name on them.
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'projects', 'developers', 'project_id', 'developer_id', 'id', 'id', 'developers', 'zz');
\echo :LAST_ERROR_SQLSTATE
-- Registering through the functions is refused the same way (PostgreSQL's own REFERENCES check).
SELECT habtm.adopt('mal.evil', 'projects', 'developers', 'project_id', 'developer_id', 'devs', 'zz');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- With REFERENCES granted (as a foreign key to these tables would need), an association may be
-- registered, but never an id array on a table the role does not own, nor a name already taken
-- in either direction.
GRANT REFERENCES ON developers, projects TO habtm_mallory;
SET ROLE habtm_mallory;
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'developers', 'projects', 'developer_id', 'project_id', 'id', 'id', 'mal_projects', 'mal_developers', 'scores', NULL);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'developers', 'projects', 'developer_id', 'project_id', 'id', 'id', 'mal_projects', 'developers');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'projects', 'developers', 'project_id', 'developer_id', 'id', 'id', 'mal_developers', 'projects');
\echo :LAST_ERROR_SQLSTATE
-- A view or a temporary table as the join table: refused.
CREATE VIEW mal.view_join AS SELECT * FROM mal.evil;
INSERT INTO habtm.join_tables VALUES
    ('mal.view_join', 'developers', 'projects', 'developer_id', 'project_id', 'id', 'id', 'v1', 'v2');
\echo :LAST_ERROR_SQLSTATE
CREATE TEMP TABLE temp_join (developer_id bigint, project_id int);
INSERT INTO habtm.join_tables VALUES
    ('temp_join', 'developers', 'projects', 'developer_id', 'project_id', 'id', 'id', 't1', 't2');
\echo :LAST_ERROR_SQLSTATE
-- A column that is not there.
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'developers', 'projects', 'developer', 'project_id', 'id', 'id', 'c1', 'c2');
\echo :LAST_ERROR_SQLSTATE
-- Another role's rows can be neither changed nor deleted.
WITH u AS (UPDATE habtm.join_tables SET a_relation = 'stolen' RETURNING 1) SELECT count(*) AS updated FROM u;
WITH d AS (DELETE FROM habtm.join_tables RETURNING 1) SELECT count(*) AS deleted FROM d;
-- What the role may do: register its own join table between tables it may reference.
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'developers', 'projects', 'developer_id', 'project_id', 'id', 'id', 'mal_projects', 'mal_developers');
-- ... and move it onto names or arrays it may not have: refused like an insert.
UPDATE habtm.join_tables SET a_relation = 'projects' WHERE join_table = 'mal.evil'::regclass;
\echo :LAST_ERROR_SQLSTATE
UPDATE habtm.join_tables SET a_array = 'scores' WHERE join_table = 'mal.evil'::regclass;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Superusers are checked too: one (owner, relation), one association.
INSERT INTO habtm.join_tables VALUES
    ('mal.evil', 'projects', 'developers', 'project_id', 'developer_id', 'id', 'id', 'developers', 'zz');
\echo :LAST_ERROR_SQLSTATE
-- A partitioned table takes no part in an association.
CREATE TABLE parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
SELECT habtm.create_join_table('parted', 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('parted_1', 'projects');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE parted_join (developer_id bigint, project_id int) PARTITION BY RANGE (developer_id);
SELECT habtm.adopt('parted_join', 'developers', 'projects');
\echo :LAST_ERROR_SQLSTATE
CREATE VIEW view_join AS SELECT 1::bigint AS developer_id, 1 AS project_id;
SELECT habtm.adopt('view_join', 'developers', 'projects');
\echo :LAST_ERROR_SQLSTATE
-- The superuser's own association still writes its own join table, and nobody became superuser.
SELECT habtm.add('projects', 'developers', 3, ARRAY[1]::bigint[]) AS added;
SELECT count(*) AS evil_rows FROM mal.evil;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'habtm_mallory';
SELECT owner, relation, join_table FROM habtm.associations ORDER BY join_table::text COLLATE "C", owner::text COLLATE "C";

-- ## check and repair act on each array as its table's owner (as VACUUM does)
-- mallory's own association with an id array, and a trigger that records who runs it
SET ROLE habtm_mallory;
CREATE TABLE mal.a (id int PRIMARY KEY);
CREATE TABLE mal.b (id int PRIMARY KEY);
CREATE TABLE mal.seen (who name);
INSERT INTO mal.a VALUES (1); INSERT INTO mal.b VALUES (1);
SELECT habtm.create_join_table('mal.a', 'mal.b');
SELECT habtm.denormalize('mal.a_b', a_array => 'b_ids');
CREATE FUNCTION mal.record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mal.seen VALUES (current_user);
    RETURN NULL;
END $$;
CREATE TRIGGER record AFTER UPDATE ON mal.a FOR EACH STATEMENT EXECUTE FUNCTION mal.record();
RESET ROLE;
-- drift made behind habtm's back, then repaired by a superuser over every table
SET session_replication_role = replica;
INSERT INTO mal.a_b VALUES (1, 1);
RESET session_replication_role;
SELECT count(*) AS drift FROM habtm.check();
SELECT habtm.repair() AS repaired;
SELECT who AS trigger_ran_as FROM mal.seen;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'habtm_mallory';
-- a role that owns none of the tables: named, refused; everything, skipped
CREATE ROLE habtm_nobody;
GRANT USAGE ON SCHEMA mal TO habtm_nobody;
SET ROLE habtm_nobody;
SELECT habtm.repair('mal.a_b');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.repair() AS repaired_nothing;
RESET ROLE;
REVOKE USAGE ON SCHEMA mal FROM habtm_nobody;
DROP ROLE habtm_nobody;

-- ## Row-level security on the target: every reader sees the same rows
CREATE TABLE docs_owner (id int PRIMARY KEY);
CREATE TABLE secrets (id int PRIMARY KEY, level int NOT NULL);
INSERT INTO docs_owner VALUES (1);
INSERT INTO secrets VALUES (1, 0), (2, 5), (3, 0);
SELECT habtm.create_join_table('docs_owner', 'secrets');
SELECT habtm.add('docs_owner', 'secrets', 1, ARRAY[1, 2, 3]) AS added;
ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
CREATE POLICY public_only ON secrets FOR SELECT USING (level OPERATOR(pg_catalog.=) 0);
CREATE ROLE habtm_reader;
GRANT SELECT ON docs_owner, secrets, docs_owner_secrets TO habtm_reader;
SET ROLE habtm_reader;
SELECT habtm.count('docs_owner', 'secrets', 1) AS count, habtm.ids('docs_owner', 'secrets', 1) AS ids,
       habtm.exists('docs_owner', 'secrets', 1, 2) AS sees_2, habtm.exists('docs_owner', 'secrets', 1, 3) AS sees_3;
SELECT habtm.collection('docs_owner', 'secrets', 1) AS collection;
SELECT habtm.find('docs_owner', 'secrets', 1, 2);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT habtm.count('docs_owner', 'secrets', 1) AS count_as_owner;

-- ## Keys compared with their own type's equality (citext)
CREATE TABLE users (name citext PRIMARY KEY);
CREATE TABLE groups (name citext PRIMARY KEY);
INSERT INTO users VALUES ('Ann'), ('Ben');
INSERT INTO groups VALUES ('Admins'), ('Staff');
SELECT habtm.create_join_table('users', 'groups');
SELECT habtm.denormalize('groups_users');
SELECT habtm.add('users', 'groups', 'ann', ARRAY['admins', 'STAFF']::citext[]) AS added;
SELECT habtm.count('users', 'groups', 'ANN') AS ann_groups, habtm.exists('groups', 'users', 'staff', 'aNN') AS staff_has_ann;
SELECT name, group_ids FROM users ORDER BY name;
SELECT name, user_ids FROM groups ORDER BY name;
SELECT habtm.collection('users', 'groups', 'ann', '{"where": {"name": "STAFF"}}') AS filtered;
SELECT habtm.remove('users', 'groups', 'Ann', ARRAY['ADMINS']::citext[]) AS removed;
SELECT name, user_ids FROM groups ORDER BY name;
SELECT count(*) AS drift FROM habtm.check();

-- ## Generated SQL and search_path
-- Traps: operators, functions, aggregates and types that shadow pg_catalog's for every type
-- habtm's statements use, in a schema the caller puts first. Any statement habtm generates that
-- resolved one of them through the path would fail with "trap fired".
CREATE SCHEMA trap;
CREATE FUNCTION trap.fire(what text) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'trap fired: %', what;
END $$;
DO $$
DECLARE
    t text;
    op text;
BEGIN
    FOREACH t IN ARRAY ARRAY['int2', 'int4', 'int8', 'text', 'uuid', 'oid', 'name', 'jsonb', 'numeric',
                             'citext', 'anyarray', 'anyelement', 'regclass', 'boolean']
    LOOP
        FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>=', '@>', '<@', '&&', '||', '-', '~~', '~~*']
        LOOP
            EXECUTE format('CREATE FUNCTION trap.%I(%s, %s) RETURNS boolean LANGUAGE sql AS %L',
                           'op_' || t || '_' || md5(op), t, t, format('SELECT trap.fire(%L)', op || ' on ' || t));
            EXECUTE format('CREATE OPERATOR trap.%s (FUNCTION = trap.%I, LEFTARG = %s, RIGHTARG = %s)',
                           op, 'op_' || t || '_' || md5(op), t, t);
        END LOOP;
    END LOOP;
    FOREACH t IN ARRAY ARRAY['text', 'name', 'jsonb', 'uuid', 'oid', 'regclass', 'regtype', 'numeric', 'citext']
    LOOP
        EXECUTE format('CREATE DOMAIN trap.%I AS pg_catalog.%I CHECK (trap.fire(%L))', t,
                       CASE t WHEN 'citext' THEN 'text' ELSE t END, 'type ' || t);
    END LOOP;
END $$;
CREATE FUNCTION trap.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS $$ SELECT NULL::anyelement WHERE trap.fire('unnest') $$;
CREATE FUNCTION trap.cardinality(anyarray) RETURNS int LANGUAGE sql AS $$ SELECT 0 WHERE trap.fire('cardinality') $$;
CREATE FUNCTION trap.array_position(anyarray, anyelement) RETURNS int LANGUAGE sql AS $$ SELECT 0 WHERE trap.fire('array_position') $$;
CREATE FUNCTION trap.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb WHERE trap.fire('to_jsonb') $$;
CREATE FUNCTION trap.quote_ident(text) RETURNS text LANGUAGE sql AS $$ SELECT '' WHERE trap.fire('quote_ident') $$;
CREATE FUNCTION trap.format_type(oid, int) RETURNS text LANGUAGE sql AS $$ SELECT '' WHERE trap.fire('format_type') $$;
CREATE FUNCTION trap.trap_sfunc(bigint, anyelement) RETURNS bigint LANGUAGE sql AS $$ SELECT 0::bigint WHERE trap.fire('aggregate') $$;
CREATE AGGREGATE trap.count(anyelement) (SFUNC = trap.trap_sfunc, STYPE = bigint);
CREATE AGGREGATE trap.array_agg(anyelement) (SFUNC = trap.trap_sfunc, STYPE = bigint);
CREATE AGGREGATE trap.jsonb_agg(anyelement) (SFUNC = trap.trap_sfunc, STYPE = bigint);
CREATE AGGREGATE trap.max(anyelement) (SFUNC = trap.trap_sfunc, STYPE = bigint);
CREATE AGGREGATE trap.min(anyelement) (SFUNC = trap.trap_sfunc, STYPE = bigint);

-- A self-association with arrays on both sides, for the trigger paths that lock in one pass.
CREATE TABLE people (id int PRIMARY KEY);
INSERT INTO people SELECT generate_series(1, 4);
SELECT habtm.create_join_table('people', 'people', 'friendships', 'person_id', 'friend_id', 'friends', 'friend_of');
SELECT habtm.denormalize('friendships', writes => 'links');
SELECT habtm.denormalize('developers_projects', writes => 'links');
CREATE TABLE tags (id text PRIMARY KEY, label text);
INSERT INTO tags VALUES ('t1', 'one'), ('t2', 'two');
SELECT habtm.create_join_table('projects', 'tags');
CREATE TABLE made_by_rails (person_id bigint, tag_id text);

-- (the statements written here qualify their own operators: only habtm's may meet a trap)
SET search_path = trap, pg_catalog, public;
-- every association function
SELECT habtm.add('developers', 'projects', 1, ARRAY[2, 3]) AS add;
SELECT habtm.remove('developers', 'projects', 1, ARRAY[3]) AS remove;
SELECT habtm.replace('developers', 'projects', 2, ARRAY[1, 2]) AS replace;
SELECT habtm.count('developers', 'projects', 2) AS count;
SELECT habtm.exists('developers', 'projects', 2, 1) AS exists;
SELECT habtm.find('developers', 'projects', 2, 1) AS find;
SELECT habtm.find('developers', 'projects', 2, 1, NULL::public.projects) AS find_typed;
SELECT habtm.ids('developers', 'projects', 2) AS ids;
SELECT habtm.ids('developers', 'projects', 2, NULL::int[]) AS ids_typed;
SELECT * FROM habtm.unassociated('developers', 'projects') AS u;
SELECT * FROM habtm.unassociated('developers', 'projects', NULL::public.developers) AS u;
SELECT habtm.collection('developers', 'projects', 2,
    '{"where": {"and": [{"id": {"gte": 1, "lte": 3, "neq": 5, "inq": [1, 2], "nin": [9]}},
                        {"id": {"between": [1, 2], "gt": 0, "lt": 9}},
                        {"title": {"like": "%o%", "ilike": "%O%", "nlike": "x", "nilike": "X"}},
                        {"or": [{"title": "apollo"}, {"title": "borealis"}]}]},
      "order": "title DESC", "limit": 5, "skip": 0, "fields": ["id", "title"]}') AS collection;
SELECT * FROM habtm.collection('developers', 'projects', 2, '{"where": {"title": {"neq": "x"}}}', NULL::public.projects);
SELECT habtm.create('developers', 'projects', 3, '{"id": 4, "title": "draco"}') AS created;
SELECT habtm.create('projects', 'tags', 4, '{"id": "t3"}') AS created_text_key;
SELECT habtm.destroy('developers', 'projects', 3, ARRAY[4]) AS destroyed;
SELECT habtm.clear('developers', 'projects', 1) AS cleared;
SELECT habtm.add('users', 'groups', 'ben', ARRAY['admins']::public.citext[]) AS citext_add;
SELECT habtm.collection('users', 'groups', 'BEN', '{"where": {"name": {"inq": ["ADMINS"]}}}') AS citext_filter;
-- every trigger path: join-table writes, direct array writes, key updates, cascades, TRUNCATE
INSERT INTO public.developers_projects VALUES (1, 1), (3, 1), (3, 2);
UPDATE public.developers_projects SET project_id = 3 WHERE developer_id OPERATOR(pg_catalog.=) 3 AND project_id OPERATOR(pg_catalog.=) 2;
DELETE FROM public.developers_projects WHERE developer_id OPERATOR(pg_catalog.=) 3;
COPY public.developers_projects FROM stdin;
3	3
\.
UPDATE public.developers SET project_ids = '{3,2,2}' WHERE id OPERATOR(pg_catalog.=) 1;
INSERT INTO public.developers (id, project_ids) VALUES (4, '{1}');
UPDATE public.projects SET id = 30 WHERE id OPERATOR(pg_catalog.=) 3;
DELETE FROM public.developers WHERE id OPERATOR(pg_catalog.=) 4;
INSERT INTO public.friendships VALUES (1, 2), (2, 3), (3, 1);
UPDATE public.friendships SET friend_id = 4 WHERE person_id OPERATOR(pg_catalog.=) 3;
DELETE FROM public.friendships WHERE person_id OPERATOR(pg_catalog.=) 1;
UPDATE public.people SET friend_ids = '{1,3}' WHERE id OPERATOR(pg_catalog.=) 4;
SELECT count(*) AS drift_before_truncate FROM habtm.check();
TRUNCATE public.friendships;
TRUNCATE public.developers_projects;
-- the array functions and the catalog functions
SELECT habtm.array_apply('{1,3}'::int[], '{3}', '{2}') AS applied, habtm.array_canonical('{3,1,1}'::int[]) AS canonical;
SELECT count(*) AS drift FROM habtm.check();
SELECT habtm.repair() AS repaired;
SELECT habtm.join_table_name('a', 'b'), habtm.singularize('people'), habtm.pluralize('person'),
       habtm.foreign_key('people'), habtm.tableize('LineItem'), habtm.classify('line_items');
SELECT habtm.normalize('friendships');
SELECT habtm.denormalize('friendships');
-- read-only arrays (the default mode): an ORM's save() writing them back as they are
UPDATE public.people SET friend_ids = friend_ids, friend_of_ids = friend_of_ids;
INSERT INTO public.people VALUES (5);
SELECT habtm.adopt('public.made_by_rails', 'public.people', 'public.tags');
SELECT habtm.create_join_table('public.people', 'public.developers', a_relation => 'devs', b_relation => 'people');
SELECT habtm.drop_join_table('public.projects_tags');
RESET search_path;
-- what the trigger paths left (TRUNCATE emptied both join tables)
SELECT id, project_ids FROM developers ORDER BY id;
SELECT id, developer_ids FROM projects ORDER BY id;
SELECT id, friend_ids, friend_of_ids FROM people ORDER BY id;
SELECT count(*) AS drift FROM habtm.check();

-- ## Hostile input: exact numbers, deep filters, mistyped operators
CREATE TABLE measures (id int PRIMARY KEY, big numeric);
SELECT habtm.create_join_table('developers', 'measures');
SELECT habtm.create('developers', 'measures', 1, '{"id": 1, "big": 1234567890123456789.0123456789}') AS exact;
SELECT habtm.create('developers', 'measures', 1, '{"id": 2, "big": 1234567890123456800}') AS rounded;
SELECT habtm.create('developers', 'measures', 1, '{"id": 3, "big": 1e400}')->>'id' AS huge;
SELECT habtm.collection('developers', 'measures', 1,
    '{"where": {"big": 1234567890123456789.0123456789}, "fields": ["id"]}') AS only_the_exact_one;
SELECT habtm.collection('developers', 'measures', 1, '{"where": {"id": 1e400}}');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create('developers', 'measures', 1, '{"id": 1e400}');
\echo :LAST_ERROR_SQLSTATE
-- 1,000 levels are read; 1,001 are 54001, as PostgreSQL's own limits are
SELECT count(*) AS deep_rows FROM habtm.collection('developers', 'measures', 1,
    ('{"where": ' || repeat('{"or": [', 499) || '{"id": 1}' || repeat(']}', 499) || '}')::jsonb);
SELECT habtm.collection('developers', 'measures', 1,
    ('{"where": ' || repeat('{"or": [', 500) || '{"id": 1}' || repeat(']}', 500) || '}')::jsonb);
\echo :LAST_ERROR_SQLSTATE
-- a key that is no operator is never a value to compare with
SELECT habtm.collection('developers', 'measures', 1, '{"where": {"big": {"ilike ": "x", "neq": 1}}}');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.collection('developers', 'measures', 1, '{"where": {"big": {}}}');
\echo :LAST_ERROR_SQLSTATE
-- a comparison the column's type does not have
CREATE TABLE docs (id int PRIMARY KEY, body json);
SELECT habtm.create_join_table('developers', 'docs');
SELECT habtm.collection('developers', 'docs', 1, '{"where": {"body": {"gt": 1}}}');
\echo :LAST_ERROR_SQLSTATE
-- keys with a length: char(3) and varchar(10) ids keep their modifier in the arrays
CREATE TABLE coded (code char(3) PRIMARY KEY);
CREATE TABLE labelled (label varchar(10) PRIMARY KEY);
INSERT INTO coded VALUES ('abc'), ('de');
INSERT INTO labelled VALUES ('first'), ('second');
SELECT habtm.create_join_table('coded', 'labelled');
SELECT habtm.denormalize('coded_labelled');
SELECT attrelid::regclass AS "table", attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid IN ('coded'::regclass, 'labelled'::regclass) AND attnum > 0 ORDER BY 1, 2;
SELECT habtm.add('coded', 'labelled', 'abc', ARRAY['first', 'second']::varchar[]) AS added;
SELECT habtm.add('labelled', 'coded', 'first', ARRAY['de']::bpchar[]) AS added;
SELECT * FROM coded ORDER BY 1;
SELECT * FROM labelled ORDER BY 1;
SELECT count(*) AS drift FROM habtm.check();
-- codes that say what is wrong: a two-dimensional targets array, an owner OID that names nothing
SELECT habtm.add('developers', 'measures', 1, ARRAY[[1, 2], [3, 4]]);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.count(4294967000::oid::regclass, 'measures', 1);
\echo :LAST_ERROR_SQLSTATE
-- PostgreSQL's own errors pass through whole: the fields a plain INSERT reports
DO $$
DECLARE st text; sch text; tbl text; con text; det text;
BEGIN
    PERFORM habtm.add('developers', 'measures', 1, ARRAY[99]);
EXCEPTION WHEN foreign_key_violation THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, sch = SCHEMA_NAME, tbl = TABLE_NAME,
                            con = CONSTRAINT_NAME, det = PG_EXCEPTION_DETAIL;
    RAISE NOTICE 'caught %: %.% constraint % (%)', st, sch, tbl, con, det;
END $$;
-- linear naming: two megabytes of separators
SELECT length(habtm.join_table_name(repeat('a_', 1000000), repeat('a_', 1000000) || 'b')) AS long_name;

\c :regress_db
DROP DATABASE habtm_security;
DROP ROLE habtm_mallory;
DROP ROLE habtm_reader;
