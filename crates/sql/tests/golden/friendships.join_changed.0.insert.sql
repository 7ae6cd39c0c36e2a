WITH delta AS (SELECT t.person_id AS k, CAST(NULL AS pg_catalog._int4) AS rem, CAST(pg_catalog.array_agg(t.friend_id) AS pg_catalog._int4) AS add
               FROM habtm_new t GROUP BY t.person_id), locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN public.people s ON s.id OPERATOR(pg_catalog.=) d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE public.people s SET friend_ids = habtm.array_apply(s.friend_ids, l.rem, l.add)
               FROM locked l WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1)
         SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
