-- Writes before ALTER EXTENSION UPDATE, after the new release's files are installed: a
-- database still on the last release keeps working with its own library.
SELECT extversion AS version_in_use FROM pg_extension WHERE extname = 'habtm' \gset
SELECT habtm.add('developers', 'projects', 50, ARRAY[1, 2]) AS added_before_update;
INSERT INTO "Dyno ""mite""".groups_users (user_id, group_id) VALUES ('ann', 'group-blue');
SELECT count(*) AS drift_before_update FROM habtm.check();
