WITH locked AS (
                 SELECT s.id AS k FROM public.people s
                  WHERE pg_catalog.cardinality(s.person_ids) OPERATOR(pg_catalog.>) 0
                  ORDER BY s.id FOR NO KEY UPDATE OF s),
             done AS (
                 UPDATE public.people s SET person_ids = CAST('{}' AS pg_catalog._int4) FROM locked l
                  WHERE s.id OPERATOR(pg_catalog.=) l.k RETURNING 1)
             SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
