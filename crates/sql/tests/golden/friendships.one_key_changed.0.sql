UPDATE public.people s SET friend_ids = habtm.array_apply(s.friend_ids, $2, $3)
          WHERE s.id OPERATOR(pg_catalog.=) $1
