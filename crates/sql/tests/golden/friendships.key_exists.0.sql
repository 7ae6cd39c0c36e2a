SELECT EXISTS (SELECT FROM public.people s WHERE s.id OPERATOR(pg_catalog.=) $1)
