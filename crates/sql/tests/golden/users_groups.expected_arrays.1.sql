SELECT s."group id" AS k, s.user_ids AS actual,
                COALESCE(g.ids, CAST('{}' AS pg_catalog._int8)) AS expected
           FROM public.groups s
           LEFT JOIN (SELECT t."group id" AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t.user_id) AS pg_catalog._int8)) AS ids
                        FROM app.groups_users t GROUP BY t."group id") g ON g.k OPERATOR(pg_catalog.=) s."group id"
