-- Every kind of write after the update, then every id array checked against its join table,
-- by habtm.check() and by a plain query. Run in the upgraded and in a fresh database: the two
-- outputs must be identical, and any drift stops the test.
\pset null '(null)'
SELECT habtm.add('developers', 'projects', 1, ARRAY[1, 2, 3]) AS added;
SELECT habtm.remove('developers', 'projects', 2, (SELECT array_agg(project_id) FROM developers_projects WHERE developer_id = 2)) AS removed;
SELECT habtm.replace('developers', 'projects', 3, ARRAY[4, 5, 6]) AS replaced;
INSERT INTO developers_projects VALUES (6, 20), (7, 20) ON CONFLICT DO NOTHING;
INSERT INTO developers_projects VALUES (8, 19) ON CONFLICT (developer_id, project_id) DO UPDATE SET project_id = 19;
DELETE FROM developers_projects WHERE project_id = 5 AND developer_id < 20;
UPDATE developers SET id = 1000 WHERE id = 4;
UPDATE projects SET id = 100 WHERE id = 9;
DELETE FROM projects WHERE id = 7;
DELETE FROM developers WHERE id = 11;
UPDATE developers SET project_ids = '{1,2}' WHERE id = 10;       -- 'links': the links follow
INSERT INTO developers VALUES (51, 'new', '{3,4}');
COPY developers_projects FROM stdin;
12	1
13	2
\.
UPDATE "Dyno ""mite""".users SET "group ids" = '{group-blue,group-green}' WHERE id = 'kevin';
SELECT habtm.add('people', 'friends', 3, ARRAY[4, 5, 3]) AS friends_added;
DELETE FROM people WHERE id = 1;
UPDATE people SET friend_ids = '{7,8}' WHERE id = 6;
TRUNCATE assemblies_parts;
SELECT habtm.add('assemblies', 'parts', 2, ARRAY[10]) AS parts_added;

SELECT id, project_ids FROM developers WHERE id IN (1, 2, 3, 10, 51, 1000) ORDER BY id;
SELECT id, developer_ids FROM projects WHERE id IN (4, 13, 20, 100) ORDER BY id;
SELECT id, "group ids" FROM "Dyno ""mite""".users ORDER BY id;
SELECT id, friend_ids, friended_by_ids FROM people ORDER BY id;
SELECT count(*) AS drift FROM habtm.check();
-- The same, without habtm: each array equals the sorted ids its join table holds.
SELECT
  (SELECT count(*) FROM developers d WHERE d.project_ids IS DISTINCT FROM
     coalesce((SELECT array_agg(project_id ORDER BY project_id) FROM developers_projects WHERE developer_id = d.id), '{}'))
+ (SELECT count(*) FROM projects p WHERE p.developer_ids IS DISTINCT FROM
     coalesce((SELECT array_agg(developer_id ORDER BY developer_id) FROM developers_projects WHERE project_id = p.id), '{}'))
+ (SELECT count(*) FROM "Dyno ""mite""".users u WHERE u."group ids" IS DISTINCT FROM
     coalesce((SELECT array_agg(group_id ORDER BY group_id) FROM "Dyno ""mite""".groups_users WHERE user_id = u.id), '{}'))
+ (SELECT count(*) FROM people p WHERE p.friend_ids IS DISTINCT FROM
     coalesce((SELECT array_agg(friend_id ORDER BY friend_id) FROM friendships WHERE person_id = p.id), '{}')
     OR p.friended_by_ids IS DISTINCT FROM
     coalesce((SELECT array_agg(person_id ORDER BY person_id) FROM friendships WHERE friend_id = p.id), '{}'))
  AS drift_by_hand \gset
\echo drift_by_hand :drift_by_hand
SELECT (SELECT count(*) FROM habtm.check()) + :drift_by_hand = 0 AS exact \gset
\if :exact
\else
\warn 'the id arrays drifted'
SELECT 1/0 AS arrays_drifted;
\endif
