UPDATE public.groups s SET user_ids = habtm.array_apply(s.user_ids, $2, $3)
          WHERE s."group id" OPERATOR(pg_catalog.=) $1
