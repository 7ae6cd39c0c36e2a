WITH delta AS (SELECT t."group id" AS k, CAST(NULL AS pg_catalog._int8) AS rem, CAST(pg_catalog.array_agg(t.user_id) AS pg_catalog._int8) AS add
               FROM habtm_new t GROUP BY t."group id"), locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN public.groups s ON s."group id" OPERATOR(pg_catalog.=) d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE public.groups s SET user_ids = habtm.array_apply(s.user_ids, l.rem, l.add)
               FROM locked l WHERE s."group id" OPERATOR(pg_catalog.=) l.k RETURNING 1)
         SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
