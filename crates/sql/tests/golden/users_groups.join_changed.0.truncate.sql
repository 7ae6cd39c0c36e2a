WITH locked AS (
                 SELECT s.id AS k FROM app."User" s
                  WHERE pg_catalog.cardinality(s.group_ids) OPERATOR(pg_catalog.>) 0
                  ORDER BY s.id FOR NO KEY UPDATE OF s),
             done AS (
                 UPDATE app."User" s SET group_ids = CAST('{}' AS pg_catalog._text) FROM locked l
                  WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1)
             SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
