-- pg_dump and restore into a fresh database keep the join tables, their rows and the catalog,
-- and id arrays with their triggers (dumped after the rows, so the restore does not fire them).
-- (scripts/test.sh puts the server's own pg_dump first on PATH; pg_regress exports PGHOST etc.)
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_dump_source;
CREATE DATABASE habtm_dump_target;
\c habtm_dump_source
CREATE EXTENSION habtm;
CREATE SCHEMA "Shop";
CREATE TABLE "Shop".orders (id uuid PRIMARY KEY);
CREATE TABLE "Shop".products (sku text PRIMARY KEY);
CREATE TABLE users (id int PRIMARY KEY);
SELECT habtm.create_join_table('"Shop".orders', '"Shop".products');
SELECT habtm.create_join_table('users', 'users', table_name => 'follows', a_column => 'follower_id',
                               b_column => 'followed_id', a_relation => 'following', b_relation => 'followers');
INSERT INTO "Shop".orders VALUES ('00000000-0000-0000-0000-000000000001');
INSERT INTO "Shop".products VALUES ('apple'), ('pear');
INSERT INTO "Shop".orders_products VALUES ('00000000-0000-0000-0000-000000000001', 'apple'),
                                          ('00000000-0000-0000-0000-000000000001', 'pear');
INSERT INTO users VALUES (1), (2);
INSERT INTO follows VALUES (1, 2);
SELECT habtm.denormalize('"Shop".orders_products');
SELECT habtm.denormalize('"Shop".orders_products', a_array => 'product_ids', writes => 'links');
SELECT habtm.denormalize('follows');   -- read-only arrays on users, which sorts after habtm's catalog
\! pg_dump --no-owner habtm_dump_source | psql -X -q -v ON_ERROR_STOP=1 -d habtm_dump_target > /dev/null && echo restored
\c habtm_dump_target
SELECT owner, relation, target, join_table, owner_column, target_column
  FROM habtm.associations ORDER BY join_table::text COLLATE "C", relation COLLATE "C";
SELECT * FROM "Shop".orders_products ORDER BY 2;
SELECT * FROM follows;
SELECT owner, relation, owner_array, owner_array_writes FROM habtm.associations WHERE owner_array IS NOT NULL ORDER BY 1::text;
-- the modes came along: one array may be written, the other refuses
UPDATE "Shop".orders SET product_ids = '{apple}';
UPDATE "Shop".products SET order_ids = '{}' WHERE sku = 'apple';
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM "Shop".orders_products ORDER BY 2;
SELECT * FROM "Shop".orders;
SELECT * FROM "Shop".products ORDER BY sku;
-- Still keyed and cascading after the restore, the arrays still maintained, and the catalog
-- still follows drops.
INSERT INTO "Shop".products VALUES ('fig');
INSERT INTO "Shop".orders_products VALUES ('00000000-0000-0000-0000-000000000001', 'fig');
DELETE FROM "Shop".products WHERE sku = 'pear';
SELECT count(*) AS links_left FROM "Shop".orders_products;
SELECT * FROM "Shop".orders;
SELECT * FROM "Shop".products ORDER BY sku;
SELECT count(*) AS problems FROM habtm.check();
SELECT habtm.drop_join_table('follows');
SELECT count(*) AS registered FROM habtm.join_tables;
-- A data-only restore into a database that has the schema (triggers on, as pg_dump
-- --data-only without --disable-triggers writes it): the side tables' rows come before the join
-- table's; in one transaction the arrays they carry are checked at its end, against the links
-- loaded by then, and every row arrives.
\c :regress_db
CREATE DATABASE habtm_dump_data;
\! pg_dump --schema-only --no-owner habtm_dump_source | psql -X -q -v ON_ERROR_STOP=1 -d habtm_dump_data > /dev/null 2>&1 && echo schema
\! pg_dump --data-only --no-owner habtm_dump_source | psql -X -q -1 -v ON_ERROR_STOP=1 -d habtm_dump_data > /dev/null && echo data
\c habtm_dump_data
SELECT (SELECT count(*) FROM "Shop".orders) AS orders, (SELECT count(*) FROM "Shop".products) AS products,
       (SELECT count(*) FROM "Shop".orders_products) AS links, (SELECT count(*) FROM habtm.join_tables) AS registered;
SELECT * FROM "Shop".products ORDER BY sku;
SELECT * FROM users ORDER BY id;
SELECT count(*) AS problems FROM habtm.check();
\c :regress_db
DROP DATABASE habtm_dump_data;
DROP DATABASE habtm_dump_source;
DROP DATABASE habtm_dump_target;
