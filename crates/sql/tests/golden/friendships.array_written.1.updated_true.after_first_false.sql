WITH want AS (
                 SELECT n.id AS k, u.id FROM habtm_new n
                 CROSS JOIN LATERAL pg_catalog.unnest(n.person_ids) AS u(id)),
n AS (SELECT n.id AS k FROM habtm_new n),
             gone AS (
                 SELECT j.friend_id AS k, j.person_id AS id FROM public.friendships j JOIN n ON j.friend_id OPERATOR(pg_catalog.=) n.k
                  WHERE NOT EXISTS (SELECT FROM want w WHERE w.k OPERATOR(pg_catalog.=) j.friend_id AND w.id OPERATOR(pg_catalog.=) j.person_id)),
             missing AS (
                 SELECT w.k, w.id FROM want w
                  WHERE NOT EXISTS (SELECT FROM public.friendships j WHERE j.friend_id OPERATOR(pg_catalog.=) w.k AND j.person_id OPERATOR(pg_catalog.=) w.id)),
             del AS (
                 DELETE FROM public.friendships j USING gone g WHERE j.friend_id OPERATOR(pg_catalog.=) g.k AND j.person_id OPERATOR(pg_catalog.=) g.id RETURNING 1),
ins AS (
             INSERT INTO public.friendships (friend_id, person_id) SELECT m.k, m.id FROM missing m ORDER BY m.k, m.id
             RETURNING 1),
delta AS (
                 SELECT x.k, CAST(pg_catalog.array_agg(x.v) FILTER (WHERE x.old) AS pg_catalog._int4) AS rem,
                        CAST(pg_catalog.array_agg(x.v) FILTER (WHERE NOT x.old) AS pg_catalog._int4) AS add
                   FROM (SELECT g.id AS k, g.k AS v, true AS old FROM gone g
                         UNION ALL
                         SELECT m.id, m.k, false FROM missing m) x
                  GROUP BY x.k),
locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN public.people s ON s.id OPERATOR(pg_catalog.=) d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE public.people s SET friend_ids = habtm.array_apply(s.friend_ids, l.rem, l.add)
               FROM locked l WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1) SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM del), (SELECT pg_catalog.count(*) FROM missing), (SELECT pg_catalog.count(*) FROM ins), (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
