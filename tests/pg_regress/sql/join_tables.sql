-- Join tables and the association catalog.
\set SHOW_CONTEXT never
-- A database of its own, so that no other test's objects show.
\set regress_db :DBNAME
CREATE DATABASE habtm_join_tables;
\c habtm_join_tables
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION habtm;

-- What a join table looks like: its columns, keys and indexes, in a stable text form.
-- describe(table): its columns, keys and indexes as stable text (scripts/test.sh runs from the
-- repository root).
\i tests/pg_regress/describe.psql
-- How many join tables are registered and how many relations exist: unchanged after each error.
CREATE FUNCTION state() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s registered, %s relations', (SELECT count(*) FROM habtm.join_tables),
                  (SELECT count(*) FROM pg_class WHERE relnamespace NOT IN ('pg_catalog'::regnamespace,
                   'information_schema'::regnamespace, 'pg_toast'::regnamespace)))
$$;

-- Rails' has_and_belongs_to_many :projects expects developers_projects(developer_id, project_id).
CREATE TABLE developers (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id bigserial PRIMARY KEY, title text NOT NULL);
SELECT habtm.create_join_table('developers', 'projects');
SELECT * FROM describe('developers_projects');
SELECT * FROM habtm.associations ORDER BY owner::text COLLATE "C";
SELECT habtm.create_join_table('projects', 'developers', if_not_exists => true) AS same_table_either_order;

-- Every key type is copied exactly: int, bigint, uuid, text, varchar(n), numeric(p,s), a
-- collation, a domain.
CREATE DOMAIN sku AS text CHECK (VALUE <> '');
CREATE TABLE k_int (id int PRIMARY KEY);
CREATE TABLE k_uuid (id uuid PRIMARY KEY);
CREATE TABLE k_text (code text COLLATE "C" PRIMARY KEY);
CREATE TABLE k_varchar (code varchar(20) PRIMARY KEY);
CREATE TABLE k_numeric (n numeric(12, 2) PRIMARY KEY);
CREATE TABLE k_domain (s sku PRIMARY KEY);
SELECT habtm.create_join_table('k_int', 'k_uuid');
SELECT * FROM describe('k_int_uuid'); -- Rails writes the shared prefix k_ once
SELECT habtm.create_join_table('k_text', 'k_varchar');
SELECT * FROM describe('k_text_varchar');
SELECT habtm.create_join_table('k_numeric', 'k_domain');
SELECT * FROM describe('k_domain_numeric');
-- The keys work as keys: cascades on delete and on key update.
INSERT INTO k_text VALUES ('a'), ('b');
INSERT INTO k_varchar VALUES ('x');
INSERT INTO k_text_varchar VALUES ('a', 'x'), ('b', 'x');
UPDATE k_text SET code = 'c' WHERE code = 'a';
DELETE FROM k_text WHERE code = 'b';
SELECT * FROM k_text_varchar;
INSERT INTO k_text_varchar VALUES ('nope', 'x');

-- Rails' caveats in the default names, and case kept (Rails quotes names).
CREATE TABLE papers (id int PRIMARY KEY);
CREATE TABLE paper_boxes (id int PRIMARY KEY);
CREATE TABLE catalog_categories (id int PRIMARY KEY);
CREATE TABLE catalog_products (id int PRIMARY KEY);
CREATE TABLE "Users" (id int PRIMARY KEY);
CREATE TABLE "Roles" (id int PRIMARY KEY);
SELECT habtm.create_join_table('papers', 'paper_boxes');
SELECT habtm.create_join_table('catalog_categories', 'catalog_products');
SELECT habtm.create_join_table('"Users"', '"Roles"');
SELECT * FROM describe('"Roles_Users"');

-- Schemas: the join table goes to a's schema, or to the schema named in table_name; quoted
-- mixed-case names with spaces work.
CREATE SCHEMA "Music Store";
CREATE TABLE "Music Store"."Artists" (id int PRIMARY KEY);
CREATE TABLE "Music Store".albums (id int PRIMARY KEY);
CREATE TABLE public.labels (id int PRIMARY KEY);
SELECT habtm.create_join_table('"Music Store"."Artists"', '"Music Store".albums');
SELECT * FROM describe('"Music Store"."Artists_albums"');
SELECT habtm.create_join_table('labels', '"Music Store"."Artists"', table_name => 'Music Store.signings');
SELECT owner, relation, target, join_table FROM habtm.associations
 WHERE join_table::text LIKE '"Music Store".%' ORDER BY owner::text COLLATE "C", relation COLLATE "C";

-- Hostile names are names: created exactly as written, nothing injected.
CREATE TABLE students (id int PRIMARY KEY);
SELECT habtm.create_join_table('students', 'projects',
        table_name => 'Robert''); DROP TABLE students;--',
        a_column => 'a "quoted" col', b_column => 'b;col');
SELECT * FROM describe('"Robert''); DROP TABLE students;--"');
SELECT to_regclass('students') IS NOT NULL AS students_still_there;

-- Self-associations need distinct column and relation names; the error says what to pass.
CREATE TABLE people (id int PRIMARY KEY);
SELECT habtm.create_join_table('people', 'people');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('people', 'people', a_column => 'person_id', b_column => 'friend_id');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('people', 'people', table_name => 'friendships',
        a_column => 'person_id', b_column => 'friend_id', a_relation => 'friends', b_relation => 'friend_of');
SELECT * FROM describe('friendships');
SELECT relation, owner_column, target_column FROM habtm.associations
 WHERE join_table = 'friendships'::regclass ORDER BY relation COLLATE "C";

-- Bad input: a clear error with its SQLSTATE, and nothing created.
SELECT state() AS before_errors;
CREATE TABLE no_key (id int);
CREATE TABLE two_keys (x int, y int, PRIMARY KEY (x, y));
CREATE VIEW a_view AS SELECT 1 AS id;
CREATE TEMP TABLE temp_side (id int PRIMARY KEY);
SELECT state() AS before_errors;
SELECT habtm.create_join_table('no_key', 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('projects', 'two_keys');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('a_view', 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('temp_side', 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', table_name => repeat('x', 64));
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', a_column => repeat('é', 32));
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', table_name => '');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', table_name => 'students');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', table_name => 'dp2');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', table_name => 'dp2', a_relation => 'assignments', b_column => 'developer_id');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', table_name => 'nowhere.dp');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table(NULL, 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('developers', 'projects', if_not_exists => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table(1::oid::regclass, 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.create_join_table('nonexistent', 'projects');
\echo :LAST_ERROR_SQLSTATE
SELECT state() AS after_errors;
-- Temporary tables on both sides are refused too: they vanish at the end of the session
-- without telling the catalog.
CREATE TEMP TABLE temp_other (id int PRIMARY KEY);
SELECT habtm.create_join_table('temp_side', 'temp_other');
\echo :LAST_ERROR_SQLSTATE

-- An empty search_path changes nothing.
SET search_path = '';
CREATE TABLE public.tags (id int PRIMARY KEY);
SELECT habtm.create_join_table('public.projects', 'public.tags');
RESET search_path;
SELECT * FROM describe('projects_tags');

-- An ordinary role: PostgreSQL's own privileges decide, and it may register only its own tables.
CREATE ROLE habtm_user;
CREATE SCHEMA owned_by_user AUTHORIZATION habtm_user;
SET ROLE habtm_user;
CREATE TABLE owned_by_user.books (id int PRIMARY KEY);
CREATE TABLE owned_by_user.authors (id int PRIMARY KEY);
SELECT habtm.create_join_table('owned_by_user.books', 'owned_by_user.authors');
SELECT habtm.create_join_table('owned_by_user.books', 'public.projects');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS rows_seen FROM habtm.join_tables;
WITH d AS (DELETE FROM habtm.join_tables WHERE join_table = 'developers_projects'::regclass RETURNING 1)
SELECT count(*) AS deleted_others_rows FROM d;
INSERT INTO habtm.join_tables VALUES ('developers_projects', 'developers', 'projects', 'x', 'y', 'id', 'id', 'r1', 'r2');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.drop_join_table('developers_projects');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT owner, relation FROM habtm.associations WHERE owner::text LIKE 'owned_by_user.%' ORDER BY owner::text COLLATE "C";

-- Dropping by hand leaves no dead catalog rows: a join table, or one of its sides.
DROP TABLE "Roles_Users";
DROP TABLE papers CASCADE;
SELECT count(*) AS dead_rows FROM habtm.join_tables
 WHERE join_table::text ~ '^[0-9]+$' OR a::text ~ '^[0-9]+$' OR b::text ~ '^[0-9]+$';
SELECT join_table FROM habtm.join_tables WHERE join_table::text IN ('"Roles_Users"', 'paper_boxes_papers');
-- Renames are followed (regclass).
ALTER TABLE projects_tags RENAME TO project_tags;
SELECT owner, relation, join_table FROM habtm.associations WHERE join_table = 'project_tags'::regclass ORDER BY owner::text COLLATE "C";

-- drop_join_table: the table and its catalog rows; an unregistered table is refused.
SELECT habtm.drop_join_table('project_tags');
SELECT to_regclass('project_tags') AS dropped, count(*) AS rows_left
  FROM habtm.join_tables WHERE join_table::text = 'project_tags';
SELECT habtm.drop_join_table('students');
\echo :LAST_ERROR_SQLSTATE
SELECT to_regclass('students') IS NOT NULL AS students_still_there;

-- Declared properties: DDL is volatile and pins its search_path; only the event-trigger function
-- is SECURITY DEFINER; every function is documented.
SELECT proname, provolatile, prosecdef, proconfig FROM pg_proc
 WHERE pronamespace = 'habtm'::regnamespace
   AND proname IN ('create_join_table', 'adopt', 'drop_join_table', 'forget_dropped_tables')
 ORDER BY proname COLLATE "C";
SELECT count(*) AS undocumented FROM pg_proc
 WHERE pronamespace = 'habtm'::regnamespace AND obj_description(oid, 'pg_proc') IS NULL;

\c :regress_db
DROP DATABASE habtm_join_tables;
DROP ROLE habtm_user;
