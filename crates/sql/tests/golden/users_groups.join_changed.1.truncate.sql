WITH locked AS (
                 SELECT s."group id" AS k FROM public.groups s
                  WHERE pg_catalog.cardinality(s.user_ids) OPERATOR(pg_catalog.>) 0
                  ORDER BY s."group id" FOR NO KEY UPDATE OF s),
             done AS (
                 UPDATE public.groups s SET user_ids = CAST('{}' AS pg_catalog._int8) FROM locked l
                  WHERE s."group id" OPERATOR(pg_catalog.=) l.k RETURNING 1)
             SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)
