-- habtm demonstration: run by scripts/demo.sh against a throwaway cluster.
\pset footer off
\pset null '(null)'

CREATE EXTENSION habtm;
SELECT extname, extversion, extnamespace::regnamespace AS schema FROM pg_extension WHERE extname = 'habtm';

-- A schema of real tables, the way a Rails application (or anyone) would have them.
CREATE TABLE developers (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id bigserial PRIMARY KEY, title text NOT NULL);
CREATE TABLE people (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE categories (id int PRIMARY KEY);
CREATE TABLE catalog_categories (id int PRIMARY KEY);
CREATE TABLE catalog_products (id int PRIMARY KEY);
CREATE TABLE papers (id int PRIMARY KEY);
CREATE TABLE paper_boxes (id int PRIMARY KEY);
CREATE SCHEMA music;
CREATE TABLE music.artists (id uuid PRIMARY KEY);
CREATE TABLE music.albums (id uuid PRIMARY KEY);
CREATE TABLE "Users" (id int PRIMARY KEY);
CREATE TABLE "Roles" (id int PRIMARY KEY);

-- 1. For every pair of tables, the join table Rails' has_and_belongs_to_many expects and the
--    columns create_join_table gives it (Rails 7.1+ rules, byte-order sorting).
WITH t AS (
    SELECT c.oid::regclass AS tbl, c.relname::text AS name, n.nspname::text AS schema
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname IN ('public', 'music')
)
SELECT a.tbl AS a, b.tbl AS b,
       habtm.join_table_name(a.name, b.name) AS join_table,
       habtm.foreign_key(a.name) AS a_column,
       habtm.foreign_key(b.name) AS b_column
  FROM t a JOIN t b ON a.schema = b.schema AND a.name COLLATE "C" < b.name COLLATE "C"
 WHERE (a.name, b.name) IN (('developers', 'projects'), ('catalog_categories', 'categories'),
                            ('catalog_categories', 'catalog_products'), ('paper_boxes', 'papers'),
                            ('albums', 'artists'), ('Roles', 'Users'), ('developers', 'people'))
 ORDER BY habtm.join_table_name(a.name, b.name) COLLATE "C";

-- 2. Schema-qualified names: Rails keeps a shared "schema." prefix once (7.1+); 6.1 did not.
SELECT habtm.join_table_name('music.artists', 'music.albums') AS same_schema,
       habtm.join_table_name('sales.orders', 'public.products') AS different_schemas,
       habtm.foreign_key('music.artists') AS column_for_music_artists;

-- 3. Model names for every table, and back (ActiveSupport's classify and tableize).
SELECT c.oid::regclass AS "table", habtm.classify(c.relname) AS model,
       habtm.tableize(habtm.classify(c.relname)) AS tableized_again
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname IN ('public', 'music')
 ORDER BY c.oid::regclass::text COLLATE "C";

-- 4. The inflector, quirks included: these are Rails' answers, not dictionary English.
SELECT word, habtm.singularize(word) AS singular, habtm.pluralize(word) AS plural
  FROM unnest(ARRAY['person', 'people', 'octopus', 'status', 'equipment', 'mouse', 'matrix',
                    'Axis', 'PEOPLE', 'human', 'cookies', 'viruses', 'office_equipment',
                    'Fuß']) AS word;

-- 5. STRICT: NULL in, NULL out. Rails ignores trailing dots; a name with no table part at all
--    has no Rails answer and is an error (SQLSTATE 22023, invalid_parameter_value).
SELECT habtm.singularize(NULL) AS singularize_null, habtm.join_table_name('a', NULL) AS join_null,
       habtm.foreign_key('music.artists.') AS trailing_dot;
\set VERBOSITY verbose
\set ON_ERROR_STOP off
SELECT habtm.foreign_key('music..') AS trailing_dots_too;
SELECT habtm.foreign_key('..');

\set ON_ERROR_STOP on
\set VERBOSITY default

-- 6. Join tables, named as Rails names them, with the keys Rails leaves out.
SELECT habtm.create_join_table('developers', 'projects');
\d developers_projects
SELECT habtm.create_join_table('music.artists', 'music.albums');
-- A self-association names both columns and both directions.
SELECT habtm.create_join_table('people', 'people', table_name => 'friendships',
       a_column => 'person_id', b_column => 'friend_id', a_relation => 'friends', b_relation => 'friend_of');

-- 7. A join table made by Rails' create_join_table (no key, no index, no foreign key) is adopted
--    once its rows are clean.
CREATE TABLE catalog_categories_products (catalog_category_id bigint NOT NULL, catalog_product_id bigint NOT NULL);
INSERT INTO catalog_categories VALUES (1), (2);
INSERT INTO catalog_products VALUES (10);
INSERT INTO catalog_categories_products VALUES (1, 10), (1, 10), (3, 10);
\set ON_ERROR_STOP off
SELECT habtm.adopt('catalog_categories_products', 'catalog_categories', 'catalog_products');
\set ON_ERROR_STOP on
DELETE FROM catalog_categories_products WHERE catalog_category_id = 3;
DELETE FROM catalog_categories_products WHERE ctid <> (SELECT min(ctid) FROM catalog_categories_products);
SELECT habtm.adopt('catalog_categories_products', 'catalog_categories', 'catalog_products');

-- 8. The catalog: one row per direction, addressed as (owner, relation).
SELECT owner, relation, target, join_table, owner_column, target_column
  FROM habtm.associations ORDER BY owner::text COLLATE "C", relation COLLATE "C";

-- 9. Dropping a table by hand keeps the catalog honest.
DROP TABLE music.albums CASCADE;
SELECT count(*) AS music_associations FROM habtm.associations WHERE join_table::text LIKE 'music.%';
SELECT habtm.drop_join_table('friendships');
SELECT owner, relation FROM habtm.associations ORDER BY owner::text COLLATE "C", relation COLLATE "C";

-- 10. Working with an association: Dynomite's seeds, text ids.
CREATE TABLE users (id text PRIMARY KEY);
CREATE TABLE groups (id text PRIMARY KEY, name text);
INSERT INTO users VALUES ('bob'), ('kevin');
INSERT INTO groups VALUES ('group-red', 'Red'), ('group-green', 'Green'), ('group-blue', 'Blue');
SELECT habtm.create_join_table('users', 'groups');
SELECT habtm.add('users', 'groups', 'bob', ARRAY['group-red', 'group-green']) AS bob_added,
       habtm.add('users', 'groups', 'kevin', '{group-red}') AS kevin_added;
SELECT habtm.ids('users', 'groups', 'bob') AS bob, habtm.ids('groups', 'users', 'group-red') AS red_members;
SELECT * FROM habtm.collection('users', 'groups', 'bob', '{"where": {"name": {"like": "G%"}}, "fields": ["id", "name"]}');
-- The typed forms: rows of groups to join and filter, ids as text[].
SELECT u.id AS user_id, g.name AS group_name, habtm.ids('users', 'groups', u.id, NULL::text[]) AS all_ids
  FROM users u, LATERAL habtm.collection('users', 'groups', u.id, '{"order": "name"}', NULL::groups) AS g;
-- destroy deletes bob's groups themselves: kevin's link to group-red goes with them.
SELECT habtm.destroy('users', 'groups', 'bob') AS destroyed;
SELECT habtm.ids('users', 'groups', 'kevin') AS kevin_after_destroy, (SELECT array_agg(id ORDER BY id) FROM groups) AS groups_left;
SELECT habtm.replace('users', 'groups', 'kevin', ARRAY['group-blue']) AS replaced,
       habtm.create('users', 'groups', 'bob', '{"id": "group-new", "name": "New"}') AS created;
SELECT * FROM habtm.unassociated('groups', 'users');
-- Rails' developer.projects with integer ids, a typo, and a wrong type.
INSERT INTO developers (name) VALUES ('ann');
INSERT INTO projects (title) VALUES ('apollo'), ('borealis');
SELECT habtm.replace('developers', 'projects', 1, '{1,2}') AS replaced, habtm.count('developers', 'projects', 1) AS projects;
\set ON_ERROR_STOP off
SELECT habtm.add('developers', 'projets', 1, ARRAY[1]);
SELECT habtm.add('developers', 'projects', 1, ARRAY[1.5]);

-- 11. Id arrays on both sides (Dynomite's users.group_ids / groups.user_ids), kept exact by
--     triggers. Rails' names by default; filled from the join table in one pass. By default
--     (writes => 'reject') they are read-only mirrors of the links.
\set ON_ERROR_STOP on
INSERT INTO groups VALUES ('group-red', 'Red again');
SELECT habtm.denormalize('groups_users');
SELECT id, group_ids FROM users ORDER BY id;
SELECT id, user_ids FROM groups ORDER BY id;
-- Any write to the join table, by habtm or by hand, keeps both sides exact.
SELECT habtm.add('users', 'groups', 'bob', ARRAY['group-blue', 'group-red']) AS bob_added;
INSERT INTO groups_users VALUES ('kevin', 'group-new');
SELECT id, group_ids FROM users ORDER BY id;
SELECT id, user_ids FROM groups ORDER BY id;
-- An ORM's save() writes every column: setting an array to the ids it holds (in any order) is
-- a no-op; a stale copy written back would unlink, so it is an error and nothing changes.
UPDATE users SET group_ids = group_ids WHERE id = 'bob';
\set ON_ERROR_STOP off
UPDATE users SET group_ids = '{group-blue}' WHERE id = 'bob';
\set ON_ERROR_STOP on
SELECT id, group_ids FROM users WHERE id = 'bob';
-- With writes => 'links' (denormalize called again changes the mode), writing an array is
-- writing the association: the join table and the groups follow, the array is stored sorted
-- and without duplicates.
SELECT habtm.denormalize('groups_users', writes => 'links');
SELECT owner, owner_array, owner_array_writes FROM habtm.associations WHERE join_table = 'groups_users'::regclass ORDER BY 1;
UPDATE users SET group_ids = '{group-red,group-blue,group-blue}' WHERE id = 'kevin';
SELECT * FROM groups_users ORDER BY 1, 2;
SELECT id, group_ids FROM users ORDER BY id;
SELECT id, user_ids FROM groups ORDER BY id;
-- Deleting a group (the foreign-key cascade) and renaming a user (ON UPDATE CASCADE).
DELETE FROM groups WHERE id = 'group-blue';
UPDATE users SET id = 'robert' WHERE id = 'bob';
SELECT id, group_ids FROM users ORDER BY id;
SELECT id, user_ids FROM groups ORDER BY id;
-- An unknown id is a foreign-key error, and nothing changes.
\set ON_ERROR_STOP off
UPDATE users SET group_ids = '{group-purple}' WHERE id = 'kevin';
\set ON_ERROR_STOP on
SELECT id, group_ids FROM users ORDER BY id;
-- check() lists every array that differs from the join table: none.
SELECT count(*) AS problems FROM habtm.check();
