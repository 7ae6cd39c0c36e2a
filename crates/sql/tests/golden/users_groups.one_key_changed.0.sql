UPDATE app."User" s SET group_ids = habtm.array_apply(s.group_ids COLLATE pg_catalog."C", $2, $3)
          WHERE s.id OPERATOR(pg_catalog.=) $1
