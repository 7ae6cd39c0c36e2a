SELECT EXISTS (SELECT FROM app."User" s WHERE s.id OPERATOR(pg_catalog.=) $1)
