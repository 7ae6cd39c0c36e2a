-- One pgbench transaction against a denormalised association (developers.project_ids,
-- projects.developer_ids): one single-statement write of any kind. Run by arrays.sh.
-- Developers 11..200 and projects 1..100 are never deleted, so no write refers to a missing row;
-- rows created here (ids from sequences, >= 1,000,000) are the ones deleted and renamed.
\set d random(11, 200)
\set e random(11, 200)
\set p random(1, 100)
\set a random(1, 96)
\set b random(1, 96)
\set op random(1, 12)
\if :op = 1
SELECT habtm.add('developers', 'projects', :d, ARRAY[:a, :b]);
\elif :op = 2
SELECT habtm.remove('developers', 'projects', :d, ARRAY[:b, :a]);
\elif :op = 3
SELECT habtm.replace('developers', 'projects', :d, ARRAY(SELECT generate_series(least(:a, :b), least(:a, :b) + 4)));
\elif :op = 4
SELECT habtm.add('projects', 'developers', :p, ARRAY[:d, :e]);
\elif :op = 5
UPDATE developers SET project_ids = ARRAY[:a, :b, :a] WHERE id = :d;
\elif :op = 6
UPDATE projects SET developer_ids = developer_ids[1:3] || ARRAY[:d, :e]::bigint[] WHERE id = :p;
\elif :op = 7
INSERT INTO developers (id, project_ids) VALUES (nextval('new_developers'), ARRAY[:a, :b]);
\elif :op = 8
DELETE FROM developers WHERE id = (SELECT min(id) FROM developers WHERE id >= 1000000);
\elif :op = 9
INSERT INTO projects (id, developer_ids) VALUES (nextval('new_projects'), ARRAY[:d, :e]::bigint[]);
\elif :op = 10
DELETE FROM projects WHERE id = (SELECT min(id) FROM projects WHERE id >= 1000000);
\elif :op = 11
UPDATE projects SET id = -id WHERE id = (SELECT max(id) FROM projects WHERE id >= 1000000);
\else
INSERT INTO developers_projects VALUES (:d, least(:a, :b)), (:d, greatest(:a, :b)) ON CONFLICT DO NOTHING;
\endif
