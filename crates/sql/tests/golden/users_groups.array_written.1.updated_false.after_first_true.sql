WITH want AS (
                 SELECT n."group id" AS k, u.id FROM public.groups n
                 CROSS JOIN LATERAL pg_catalog.unnest(n.user_ids) AS u(id)
                  WHERE n."group id" OPERATOR(pg_catalog.=) ANY (SELECT w."group id" FROM habtm_new w)),
gone AS (SELECT w.k, w.id FROM want w WHERE false),
             missing AS (
                 SELECT w.k, w.id FROM want w
                  WHERE NOT EXISTS (SELECT FROM app.groups_users j WHERE j."group id" OPERATOR(pg_catalog.=) w.k AND j.user_id OPERATOR(pg_catalog.=) w.id)),
             del AS (SELECT 1 FROM gone),
ins AS (
             INSERT INTO app.groups_users ("group id", user_id) SELECT m.k, m.id FROM missing m ORDER BY m.k, m.id
             RETURNING 1),
delta AS (
                 SELECT x.k, CAST(pg_catalog.array_agg(x.v) FILTER (WHERE x.old) AS pg_catalog._text) AS rem,
                        CAST(pg_catalog.array_agg(x.v) FILTER (WHERE NOT x.old) AS pg_catalog._text) AS add
                   FROM (SELECT g.id AS k, g.k AS v, true AS old FROM gone g
                         UNION ALL
                         SELECT m.id, m.k, false FROM missing m) x
                  GROUP BY x.k),
locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN app."User" s ON s.id OPERATOR(pg_catalog.=) d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE app."User" s SET group_ids = habtm.array_apply(s.group_ids COLLATE pg_catalog."C", l.rem, l.add)
               FROM locked l WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1) SELECT (SELECT pg_catalog.count(*) FROM gone), (SELECT pg_catalog.count(*) FROM del), (SELECT pg_catalog.count(*) FROM missing), (SELECT pg_catalog.count(*) FROM ins), (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
