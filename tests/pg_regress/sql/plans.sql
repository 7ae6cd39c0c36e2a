-- Plans that survive skewed statistics. A join table analyzed when two owners held all its links
-- says that any owner holds half of them: a generic plan for `owner_column = $1` is then a
-- sequential scan, and a kept plan forced generic made every call for every other owner scan the
-- whole table (80-180x the bare statement). The calls below must reach one-link owners through
-- the indexes, whatever the statistics say: the join table's own scan counters for the current
-- transaction show which way each went (pg_stat_get_xact_*_scan, no timing).
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_plans;
\c habtm_plans
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;
CREATE TABLE users (id bigint PRIMARY KEY) WITH (autovacuum_enabled = off);
CREATE TABLE tags (id int PRIMARY KEY) WITH (autovacuum_enabled = off);
INSERT INTO users SELECT generate_series(1, 300);
INSERT INTO tags SELECT generate_series(1, 5001);
SELECT habtm.create_join_table('tags', 'users');
ALTER TABLE tags_users SET (autovacuum_enabled = off);
-- two big owners, analyzed; then 200 owners of one link each, not analyzed
INSERT INTO tags_users SELECT t, u FROM generate_series(1, 2) u, generate_series(1, 5000) t;
ANALYZE tags_users;
INSERT INTO tags_users SELECT 1, u FROM generate_series(101, 300) u;

-- Each function called 20 times (past PostgreSQL's five custom plans before it may go generic)
-- on one-link owners, in one transaction: no sequential scan of the join table. (The counters
-- also hold this session's scans not yet reported, such as the foreign keys' validation: the
-- calls' own are the difference.)
BEGIN;
SELECT seq_scan AS seq_before, idx_scan AS idx_before
  FROM pg_stat_xact_user_tables WHERE relid = 'tags_users'::regclass \gset
SELECT sum(habtm.count('users', 'tags', u)) AS counted FROM generate_series(101, 120) u;
SELECT bool_and(habtm.exists('users', 'tags', u, 1)) AS exist FROM generate_series(101, 120) u;
SELECT count(*) AS ids FROM generate_series(101, 120) u, jsonb_array_elements(habtm.ids('users', 'tags', u));
SELECT count(*) AS rows FROM generate_series(101, 120) u, habtm.collection('users', 'tags', u);
SELECT sum(habtm.add('users', 'tags', u, ARRAY[5001])) AS added FROM generate_series(101, 120) u;
SELECT sum(habtm.remove('users', 'tags', u, ARRAY[5001])) AS removed FROM generate_series(101, 120) u;
SELECT sum(habtm.remove('users', 'tags', u, ARRAY[1, 5001])) AS removed FROM generate_series(101, 120) u;
SELECT sum(habtm.clear('users', 'tags', u)) AS cleared FROM generate_series(121, 140) u;
SELECT sum(habtm.replace('users', 'tags', u, ARRAY[1, 5001])) AS replaced FROM generate_series(141, 160) u;
SELECT sum(habtm.replace('users', 'tags', u, ARRAY[2])) AS replaced FROM generate_series(161, 180) u;
SELECT seq_scan - :seq_before AS sequential_scans, idx_scan - :idx_before > 0 AS through_indexes
  FROM pg_stat_xact_user_tables WHERE relid = 'tags_users'::regclass;
ROLLBACK;

\c :regress_db
DROP DATABASE habtm_plans;
