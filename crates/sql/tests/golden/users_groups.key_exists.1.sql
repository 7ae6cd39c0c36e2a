SELECT EXISTS (SELECT FROM public.groups s WHERE s."group id" OPERATOR(pg_catalog.=) $1)
