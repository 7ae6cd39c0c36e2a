SELECT s.id AS k, s.group_ids AS actual,
                COALESCE(g.ids, CAST('{}' AS pg_catalog._text)) AS expected
           FROM app."User" s
           LEFT JOIN (SELECT t.user_id AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t."group id") AS pg_catalog._text) COLLATE pg_catalog."C") AS ids
                        FROM app.groups_users t GROUP BY t.user_id) g ON g.k OPERATOR(pg_catalog.=) s.id
