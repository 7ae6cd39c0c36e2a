-- The data of the upgrade test: real associations made with the API both releases share.
-- :writes is ", writes => 'links'" in both databases (the last release's and a fresh one), so
-- that they hold the same arrays.
CREATE TABLE developers (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
INSERT INTO developers SELECT g, 'dev ' || g FROM generate_series(1, 50) g;
INSERT INTO projects SELECT g, 'project ' || g FROM generate_series(1, 20) g;
SELECT habtm.create_join_table('developers', 'projects');
INSERT INTO developers_projects SELECT d, p FROM generate_series(1, 50) d, generate_series(1, 20) p
 WHERE (d * 7 + p * 3) % 5 = 0;
SELECT habtm.denormalize('developers_projects' :writes);

-- text keys, one side's array only, in a schema with a hostile name
CREATE SCHEMA "Dyno ""mite""";
CREATE TABLE "Dyno ""mite""".users (id text PRIMARY KEY);
CREATE TABLE "Dyno ""mite""".groups (id text PRIMARY KEY);
INSERT INTO "Dyno ""mite""".users VALUES ('bob'), ('kevin'), ('ann');
INSERT INTO "Dyno ""mite""".groups VALUES ('group-red'), ('group-green'), ('group-blue');
SELECT habtm.create_join_table('"Dyno ""mite""".users', '"Dyno ""mite""".groups');
SELECT habtm.add('"Dyno ""mite""".users', 'groups', 'bob', ARRAY['group-red', 'group-green']);
SELECT habtm.add('"Dyno ""mite""".users', 'groups', 'kevin', ARRAY['group-red']);
SELECT habtm.denormalize('"Dyno ""mite""".groups_users', a_array => 'group ids' :writes);

-- a self-association with both arrays
CREATE TABLE people (id int PRIMARY KEY);
INSERT INTO people SELECT generate_series(1, 10);
SELECT habtm.create_join_table('people', 'people', table_name => 'friendships',
                               a_column => 'person_id', b_column => 'friend_id',
                               a_relation => 'friends', b_relation => 'friended_by');
SELECT habtm.add('people', 'friends', 1, ARRAY[2, 3, 1]), habtm.add('people', 'friends', 2, ARRAY[1]);
SELECT habtm.denormalize('friendships', 'friend_ids', 'friended_by_ids' :writes);

-- an adopted join table, without arrays
CREATE TABLE assemblies (id int PRIMARY KEY);
CREATE TABLE parts (id int PRIMARY KEY);
CREATE TABLE assemblies_parts (assembly_id int NOT NULL REFERENCES assemblies,
                               part_id int NOT NULL REFERENCES parts,
                               PRIMARY KEY (assembly_id, part_id));
INSERT INTO assemblies VALUES (1), (2);
INSERT INTO parts VALUES (10), (20);
INSERT INTO assemblies_parts VALUES (1, 10), (1, 20), (2, 20);
SELECT habtm.adopt('assemblies_parts');
