WITH e AS (SELECT s.id AS k, s.group_ids AS actual,
                COALESCE(g.ids, CAST('{}' AS pg_catalog._text)) AS expected
           FROM app."User" s
           LEFT JOIN (SELECT t.user_id AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t."group id") AS pg_catalog._text) COLLATE pg_catalog."C") AS ids
                        FROM app.groups_users t GROUP BY t.user_id) g ON g.k OPERATOR(pg_catalog.=) s.id),
         done AS (
             UPDATE app."User" s SET group_ids = e.expected FROM e
              WHERE s.id OPERATOR(pg_catalog.=) e.k AND (e.actual OPERATOR(pg_catalog.=) e.expected) IS NOT TRUE RETURNING 1)
         SELECT pg_catalog.count(*) FROM done
