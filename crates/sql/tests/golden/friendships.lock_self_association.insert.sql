SELECT pg_catalog.count(*) FROM (
             SELECT 1 FROM public.people s WHERE s.id OPERATOR(pg_catalog.=) ANY (SELECT t.person_id FROM habtm_new t UNION SELECT t.friend_id FROM habtm_new t)
              ORDER BY s.id FOR NO KEY UPDATE OF s) x
