WITH delta AS (SELECT u.k, CAST(pg_catalog.array_agg(u.id) FILTER (WHERE u.old) AS pg_catalog._text) AS rem,
                    CAST(pg_catalog.array_agg(u.id) FILTER (WHERE NOT u.old) AS pg_catalog._text) AS add
               FROM (SELECT t.user_id AS k, t."group id" AS id, true AS old FROM habtm_old t
                     UNION ALL
                     SELECT t.user_id, t."group id", false FROM habtm_new t) u
              GROUP BY u.k), locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN app."User" s ON s.id OPERATOR(pg_catalog.=) d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE app."User" s SET group_ids = habtm.array_apply(s.group_ids COLLATE pg_catalog."C", l.rem, l.add)
               FROM locked l WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1)
         SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
