SELECT EXISTS (SELECT FROM (SELECT s.id AS k, s.person_ids AS actual,
                COALESCE(g.ids, CAST('{}' AS pg_catalog._int4)) AS expected
           FROM public.people s
           LEFT JOIN (SELECT t.friend_id AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t.person_id) AS pg_catalog._int4)) AS ids
                        FROM public.friendships t GROUP BY t.friend_id) g ON g.k OPERATOR(pg_catalog.=) s.id) e WHERE e.k OPERATOR(pg_catalog.=) $1 AND (e.actual OPERATOR(pg_catalog.=) e.expected) IS NOT TRUE)
