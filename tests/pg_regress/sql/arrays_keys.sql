-- Id arrays of keys other than integers: text ids in a schema with a hostile name,
-- called with an empty search_path; uuid ids (values passed by reference).
\set SHOW_CONTEXT never
\set regress_db :DBNAME
CREATE DATABASE habtm_arrays_keys;
\c habtm_arrays_keys
\set SHOW_CONTEXT never
CREATE EXTENSION habtm;

-- Dynomite's example with text ids: users bob and kevin, groups group-red and group-green, in a
-- schema with a hostile name, called with an empty search_path.
CREATE SCHEMA "Dyno ""mite""";
CREATE TABLE "Dyno ""mite""".users (id text PRIMARY KEY);
CREATE TABLE "Dyno ""mite""".groups (id text PRIMARY KEY);
INSERT INTO "Dyno ""mite""".users VALUES ('bob'), ('kevin');
INSERT INTO "Dyno ""mite""".groups VALUES ('group-red'), ('group-green'), ('group-blue');
SELECT habtm.create_join_table('"Dyno ""mite""".users', '"Dyno ""mite""".groups');
SET search_path = '';
SELECT habtm.denormalize('"Dyno ""mite""".groups_users', a_array => 'group ids', b_array => 'user_ids', writes => 'links');
SELECT habtm.add('"Dyno ""mite""".users', 'groups', 'bob', ARRAY['group-red', 'group-green']);
SELECT habtm.add('"Dyno ""mite""".users', 'groups', 'kevin', ARRAY['group-red']);
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT id, user_ids FROM "Dyno ""mite""".groups ORDER BY id;
-- destroy bob's groups: the rows go, and kevin's array no longer holds group-red.
SELECT habtm.destroy('"Dyno ""mite""".users', 'groups', 'bob') AS destroyed;
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT id, user_ids FROM "Dyno ""mite""".groups ORDER BY id;
UPDATE "Dyno ""mite""".groups SET user_ids = '{kevin,bob}' WHERE id = 'group-blue';
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT count(*) AS problems FROM habtm.check();
RESET search_path;

-- uuid keys (values passed by reference): the one-key path and the set-based one agree.
CREATE TABLE devices (id uuid PRIMARY KEY);
CREATE TABLE sensors (id uuid PRIMARY KEY);
INSERT INTO devices VALUES ('00000000-0000-0000-0000-00000000000a'), ('00000000-0000-0000-0000-00000000000b');
INSERT INTO sensors SELECT ('00000000-0000-0000-0000-00000000000' || i)::uuid FROM generate_series(1, 3) i;
SELECT habtm.create_join_table('devices', 'sensors');
SELECT habtm.denormalize('devices_sensors', writes => 'links');
INSERT INTO devices_sensors VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000003'),
                                   ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000001');
INSERT INTO devices_sensors VALUES ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-000000000001'),
                                   ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000002');
UPDATE devices_sensors SET sensor_id = '00000000-0000-0000-0000-000000000002'
 WHERE device_id = '00000000-0000-0000-0000-00000000000b';
DELETE FROM devices_sensors WHERE sensor_id = '00000000-0000-0000-0000-000000000001';
SELECT right(id::text, 1) AS device, sensor_ids FROM devices ORDER BY id;
SELECT right(id::text, 1) AS sensor, device_ids FROM sensors ORDER BY id;
SELECT count(*) AS problems FROM habtm.check('devices_sensors');

\c :regress_db
DROP DATABASE habtm_arrays_keys;
