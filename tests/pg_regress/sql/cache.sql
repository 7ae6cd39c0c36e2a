-- Each backend reads an association from the catalog once and keeps it (see
-- src/catalog/cache.rs). Whatever could change it is seen by the next call, in this session and in
-- others: a different search_path, renamed schemas, tables and types, catalog rows written
-- directly. Every call below would fail, or act on the wrong names, with a stale association.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_cache;
\c habtm_cache
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;
CREATE SCHEMA app;
CREATE DOMAIN app.tag AS text CHECK (VALUE ~ '^[a-z-]+$');
CREATE TABLE app.users (id app.tag PRIMARY KEY);
CREATE TABLE app.groups (id app.tag PRIMARY KEY);
INSERT INTO app.users VALUES ('bob'), ('kevin');
INSERT INTO app.groups VALUES ('group-red'), ('group-green'), ('group-blue');
SELECT habtm.create_join_table('app.users', 'app.groups');

-- First used under a search_path that finds the tables without their schema...
SET search_path = app, public;
SELECT habtm.add('users', 'groups', 'bob', '{group-red}') AS added;
-- ...then under one that does not: the association kept from that call still names them.
RESET search_path;
SELECT habtm.add('app.users', 'groups', 'kevin', '{group-red,group-green}') AS added;
SELECT habtm.ids('app.users', 'groups', 'kevin') AS kevin;

-- Renames in this session: the schema, the key type, a table, the join table.
ALTER SCHEMA app RENAME TO crm;
SELECT habtm.add('crm.users', 'groups', 'bob', '{group-green}') AS added_after_schema_rename;
ALTER DOMAIN crm.tag RENAME TO label;
SELECT habtm.remove('crm.users', 'groups', 'bob', '{group-green}') AS removed_after_type_rename;
ALTER TABLE crm.groups RENAME TO teams;
SELECT habtm.collection('crm.users', 'groups', 'kevin') AS after_table_rename;
ALTER TABLE crm.groups_users RENAME TO memberships;
SELECT habtm.replace('crm.users', 'groups', 'bob', '{group-blue}') AS replaced_after_join_table_rename;
SELECT * FROM crm.memberships ORDER BY 1, 2;

-- The catalog written directly (its owner may): the new relation name is seen, the old one is gone.
UPDATE habtm.join_tables SET a_relation = 'teams' WHERE join_table = 'crm.memberships'::regclass;
SELECT habtm.count('crm.users', 'teams', 'kevin') AS kevin_teams;
SELECT habtm.count('crm.users', 'groups', 'kevin');
\echo :LAST_ERROR_SQLSTATE
-- A rolled-back change is forgotten too.
BEGIN;
UPDATE habtm.join_tables SET a_relation = 'squads' WHERE join_table = 'crm.memberships'::regclass;
SELECT habtm.count('crm.users', 'squads', 'kevin') AS kevin_squads_in_transaction;
ROLLBACK;
SELECT habtm.count('crm.users', 'squads', 'kevin');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.count('crm.users', 'teams', 'kevin') AS kevin_teams_after_rollback;

-- Another session changes things while this one keeps the association; this one sees each
-- change at its next call.
CREATE EXTENSION dblink;
SELECT dblink_connect('other', pg_catalog.format('host=%s port=%s dbname=%s',
    pg_catalog.split_part(pg_catalog.current_setting('unix_socket_directories'), ',', 1),
    pg_catalog.current_setting('port'), pg_catalog.current_database()));
SELECT habtm.ids('crm.users', 'teams', 'kevin') AS kevin;
SELECT dblink_exec('other', 'ALTER SCHEMA crm RENAME TO sales');
SELECT habtm.add('sales.users', 'teams', 'kevin', '{group-blue}') AS added_after_other_session_renamed;
SELECT dblink_exec('other', $$UPDATE habtm.join_tables SET a_relation = 'clubs'$$);
SELECT habtm.ids('sales.users', 'clubs', 'kevin') AS kevin_clubs;
SELECT habtm.ids('sales.users', 'teams', 'kevin');
\echo :LAST_ERROR_SQLSTATE
SELECT dblink_exec('other', $$DO 'BEGIN PERFORM habtm.drop_join_table(''sales.memberships''); END'$$);
SELECT habtm.ids('sales.users', 'clubs', 'kevin');
\echo :LAST_ERROR_SQLSTATE
-- The id-array triggers keep their associations the same way: a schema renamed between two
-- writes, in this session, then in another.
CREATE SCHEMA dyn;
CREATE TABLE dyn.users (id text PRIMARY KEY);
CREATE TABLE dyn.groups (id text PRIMARY KEY);
INSERT INTO dyn.users VALUES ('bob'), ('kevin');
INSERT INTO dyn.groups VALUES ('group-red'), ('group-green');
SELECT habtm.create_join_table('dyn.users', 'dyn.groups');
SELECT habtm.denormalize('dyn.groups_users', 'group_ids', 'user_ids', writes => 'links');
INSERT INTO dyn.groups_users VALUES ('bob', 'group-red');
ALTER SCHEMA dyn RENAME TO dynomite;
INSERT INTO dynomite.groups_users VALUES ('kevin', 'group-red');
UPDATE dynomite.users SET group_ids = '{group-green,group-red}' WHERE id = 'bob';
SELECT dblink_exec('other', 'ALTER SCHEMA dynomite RENAME TO dyn');
DELETE FROM dyn.groups_users WHERE user_id = 'kevin';
SELECT * FROM dyn.users ORDER BY id;
SELECT * FROM dyn.groups ORDER BY id;
SELECT count(*) AS wrong_arrays FROM habtm.check();
SELECT dblink_disconnect('other');

-- A key type's own = is named with its schema: renamed, the next call names the new one.
CREATE SCHEMA ci;
CREATE EXTENSION citext SCHEMA ci;
CREATE TABLE posts (id int PRIMARY KEY);
CREATE TABLE tags (name ci.citext PRIMARY KEY);
INSERT INTO posts VALUES (1);
INSERT INTO tags VALUES ('Red'), ('Blue');
SELECT habtm.create_join_table('posts', 'tags');
SELECT habtm.add('posts', 'tags', 1, '{red,blue}') AS added;
SELECT habtm.remove('posts', 'tags', 1, '{RED}') AS removed;
ALTER SCHEMA ci RENAME TO case_insensitive;
SELECT habtm.remove('posts', 'tags', 1, '{BLUE}') AS removed_after_rename;
SELECT habtm.count('posts', 'tags', 1) AS left_over;

\c :regress_db
DROP DATABASE habtm_cache;
