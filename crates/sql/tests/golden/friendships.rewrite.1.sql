WITH e AS (SELECT s.id AS k, s.person_ids AS actual,
                COALESCE(g.ids, CAST('{}' AS pg_catalog._int4)) AS expected
           FROM public.people s
           LEFT JOIN (SELECT t.friend_id AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t.person_id) AS pg_catalog._int4)) AS ids
                        FROM public.friendships t GROUP BY t.friend_id) g ON g.k OPERATOR(pg_catalog.=) s.id),
         done AS (
             UPDATE public.people s SET person_ids = e.expected FROM e
              WHERE s.id OPERATOR(pg_catalog.=) e.k AND (e.actual OPERATOR(pg_catalog.=) e.expected) IS NOT TRUE RETURNING 1)
         SELECT pg_catalog.count(*) FROM done
