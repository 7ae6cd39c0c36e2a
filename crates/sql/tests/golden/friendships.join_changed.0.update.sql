WITH keys AS (SELECT t.person_id AS k FROM habtm_old t UNION SELECT t.person_id FROM habtm_new t),
             locked AS (
                 SELECT s.id AS k FROM public.people s WHERE s.id OPERATOR(pg_catalog.=) ANY (SELECT keys.k FROM keys)
                  ORDER BY s.id FOR NO KEY UPDATE OF s),
             done AS (
                 UPDATE public.people s SET friend_ids = COALESCE(
                        (SELECT habtm.array_canonical(CAST(pg_catalog.array_agg(j.friend_id) AS pg_catalog._int4))
                           FROM public.friendships j WHERE j.person_id OPERATOR(pg_catalog.=) s.id), CAST('{}' AS pg_catalog._int4))
                   FROM locked l WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1)
             SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
