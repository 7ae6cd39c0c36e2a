WITH delta AS (SELECT t.user_id AS k, CAST(pg_catalog.array_agg(t."group id") AS pg_catalog._text) AS rem, CAST(NULL AS pg_catalog._text) AS add
               FROM habtm_old t GROUP BY t.user_id), locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN app."User" s ON s.id OPERATOR(pg_catalog.=) d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE app."User" s SET group_ids = habtm.array_apply(s.group_ids COLLATE pg_catalog."C", l.rem, l.add)
               FROM locked l WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1)
         SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
