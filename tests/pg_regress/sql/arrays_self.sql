-- A self-association with id arrays on both sides: people following people, writes
-- that name rows of the same statement, a self-linked row's key change, and dropping one of a
-- table's id array columns.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_self;
\c habtm_arrays_self
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

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

\c :regress_db
DROP DATABASE habtm_arrays_self;
