SELECT pg_catalog.count(*) FROM (
             SELECT 1 FROM public.people s WHERE s.id OPERATOR(pg_catalog.=) ANY (SELECT s.id FROM public.people s WHERE pg_catalog.cardinality(s.friend_ids) OPERATOR(pg_catalog.>) 0 OR pg_catalog.cardinality(s.person_ids) OPERATOR(pg_catalog.>) 0)
              ORDER BY s.id FOR NO KEY UPDATE OF s) x
