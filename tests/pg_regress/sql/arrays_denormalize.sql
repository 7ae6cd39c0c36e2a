-- Turning id arrays on and off: denormalize's defaults, one side only, its errors,
-- normalize (columns kept or dropped), and drop_join_table taking the triggers with it.
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_denormalize;
\c habtm_arrays_denormalize
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
-- (set-up: tag 10 back; arrays_cascades truncates tags here and inserts both again)
INSERT INTO tags VALUES (10);
-- (set-up: a table that is not a join table)
CREATE TABLE writes (tbl text, op text, n int, PRIMARY KEY (tbl, op));

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

-- gin => true: a GIN index on each array it names (PostgreSQL names it), built once however
-- often it is asked for; it serves @> (every one of these ids) and && (any of them), as the
-- join table would through a GROUP BY.
SELECT habtm.denormalize('developers_projects', gin => true);
SELECT habtm.denormalize('developers_projects', gin => true);
SELECT habtm.denormalize('developers_projects', b_array => 'developer_ids', gin => true);
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) AS definition
  FROM pg_index WHERE indrelid IN ('developers'::regclass, 'projects'::regclass)
   AND NOT indisprimary ORDER BY 1::text;
-- (called again without writes, the sides named take the default, 'reject', as ever)
SELECT owner, relation, owner_array_writes, target_array_writes FROM habtm.associations
 WHERE join_table = 'developers_projects'::regclass;
INSERT INTO developers_projects VALUES (3, 1), (3, 3), (4, 4);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM projects WHERE developer_ids @> '{1,3}';
SELECT id AS with_both FROM projects WHERE developer_ids @> '{1,3}' ORDER BY id;
SELECT project_id FROM developers_projects WHERE developer_id IN (1, 3)
 GROUP BY project_id HAVING count(*) = 2 ORDER BY 1;
SELECT id FROM developers WHERE project_ids && '{4,5}' ORDER BY id;
RESET enable_seqscan;
SELECT habtm.denormalize('developers_projects', gin => NULL);
-- gin => false leaves existing indexes as they are.
SELECT habtm.denormalize('developers_projects', gin => false);
SELECT count(*) AS gin_indexes FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_am am ON am.oid = c.relam
 WHERE am.amname = 'gin' AND i.indrelid IN ('developers'::regclass, 'projects'::regclass);

-- Dropping the join table removes its triggers from the joined tables.
DROP VIEW state;
SELECT habtm.drop_join_table('developers_projects');
SELECT tgrelid::regclass, tgname FROM pg_trigger
 WHERE tgrelid IN ('developers'::regclass, 'projects'::regclass) AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;

\c :regress_db
DROP DATABASE habtm_arrays_denormalize;
