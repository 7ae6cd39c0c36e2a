SELECT s.id AS k, s.friend_ids AS actual,
                COALESCE(g.ids, CAST('{}' AS pg_catalog._int4)) AS expected
           FROM public.people s
           LEFT JOIN (SELECT t.person_id AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t.friend_id) AS pg_catalog._int4)) AS ids
                        FROM public.friendships t GROUP BY t.person_id) g ON g.k OPERATOR(pg_catalog.=) s.id
