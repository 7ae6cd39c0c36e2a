UPDATE public.people s SET person_ids = habtm.array_apply(s.person_ids, $2, $3)
          WHERE s.id OPERATOR(pg_catalog.=) $1
