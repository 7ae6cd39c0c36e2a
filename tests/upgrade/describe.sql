-- What a database's habtm is, one line per fact, sorted: the extension's members and every
-- property a user can see (signatures, defaults, attributes, library and symbol, settings,
-- privileges, comments; catalog columns, constraints, policies, triggers; the view; event
-- triggers), then the catalog's rows and the triggers habtm installed on users' tables.
-- Run in the upgraded database and in a fresh one, the two outputs must be identical.
SET search_path = pg_catalog;
\pset tuples_only on
\pset format unaligned
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'habtm'),
members AS (
    SELECT d.classid, d.objid FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
    SELECT 'extension ' || e.extname || ' ' || e.extversion || ' schema ' || e.extnamespace::regnamespace
           || ' config ' || coalesce(e.extconfig::regclass[]::text, '-') || ' ' || coalesce(e.extcondition::text, '-')
      FROM pg_extension e WHERE e.extname = 'habtm'
    UNION ALL
    SELECT 'schema ' || n.nspname || ' acl ' || coalesce(n.nspacl::text, '-') || ' comment ' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')
      FROM pg_namespace n WHERE n.nspname = 'habtm'
    UNION ALL
    SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) FROM members m
    UNION ALL
    SELECT format('function %s (%s) returns %s | %s strict=%s definer=%s leakproof=%s parallel=%s cost=%s rows=%s config=%s | %s %s | acl %s | comment %s',
                  p.oid::regprocedure, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                  p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel, p.procost, p.prorows,
                  coalesce(p.proconfig::text, '-'), l.lanname,
                  CASE WHEN l.lanname = 'c' THEN p.probin || ' ' || p.prosrc ELSE 'body md5 ' || md5(p.prosrc) END,
                  coalesce(p.proacl::text, '-'), coalesce(obj_description(p.oid, 'pg_proc'), '-'))
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT format('relation %s kind %s acl %s rls %s comment %s', c.oid::regclass, c.relkind,
                  coalesce(c.relacl::text, '-'), c.relrowsecurity, coalesce(obj_description(c.oid, 'pg_class'), '-'))
      FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT format('column %s.%s %s %s notnull=%s default %s acl %s comment %s', a.attrelid::regclass, a.attnum,
                  quote_ident(a.attname), format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  coalesce(pg_get_expr(ad.adbin, ad.adrelid), '-'), coalesce(a.attacl::text, '-'),
                  coalesce(col_description(a.attrelid, a.attnum), '-'))
      FROM pg_attribute a JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = a.attrelid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s %s %s', co.conrelid::regclass, co.conname, pg_get_constraintdef(co.oid))
      FROM pg_constraint co JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = co.conrelid
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = i.indrelid
    UNION ALL
    SELECT format('policy %s %s %s permissive=%s roles=%s using %s check %s', po.polrelid::regclass, po.polname, po.polcmd,
                  po.polpermissive, po.polroles::regrole[], coalesce(pg_get_expr(po.polqual, po.polrelid), '-'),
                  coalesce(pg_get_expr(po.polwithcheck, po.polrelid), '-'))
      FROM pg_policy po JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = po.polrelid
    UNION ALL
    SELECT format('trigger %s', pg_get_triggerdef(t.oid))
      FROM pg_trigger t JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = t.tgrelid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('view %s %s', c.oid::regclass, pg_get_viewdef(c.oid))
      FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid WHERE c.relkind = 'v'
    UNION ALL
    SELECT format('event trigger %s on %s tags %s function %s enabled %s comment %s', ev.evtname, ev.evtevent,
                  coalesce(ev.evttags::text, '-'), ev.evtfoid::regprocedure, ev.evtenabled,
                  coalesce(obj_description(ev.oid, 'pg_event_trigger'), '-'))
      FROM pg_event_trigger ev JOIN members m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = ev.oid
    UNION ALL
    SELECT 'catalog row ' || (SELECT string_agg(format('%s=%s', key, value), ' ' ORDER BY key)
                                FROM jsonb_each_text(to_jsonb(j)))
      FROM habtm.join_tables j
    UNION ALL
    SELECT format('user trigger %s', pg_get_triggerdef(t.oid))
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE NOT t.tgisinternal AND c.relnamespace <> 'habtm'::regnamespace
) s(line)
ORDER BY line COLLATE "C";
