-- The association catalog: one row per registered join table, one view row per direction.

CREATE TABLE join_tables (
    join_table regclass PRIMARY KEY,
    a          regclass NOT NULL,
    b          regclass NOT NULL,
    a_column   name NOT NULL,   -- the join table's column that references a
    b_column   name NOT NULL,
    a_key      name NOT NULL,   -- a's primary-key column
    b_key      name NOT NULL,
    a_relation text NOT NULL,   -- the association's name seen from a (Rails: developer.projects)
    b_relation text NOT NULL,
    a_array    name,            -- denormalised id arrays on a and b (NULL unless denormalised)
    b_array    name,
    -- who may write each array (NULL without one): 'reject' keeps it a read-only mirror,
    -- 'links' makes a write of it a write of the association
    a_array_writes text CHECK (a_array_writes IN ('reject', 'links')),
    b_array_writes text CHECK (b_array_writes IN ('reject', 'links')),
    CHECK (a_column <> b_column),
    CHECK (a <> b OR a_relation <> b_relation)
);
CREATE UNIQUE INDEX join_tables_a_relation ON join_tables (a, a_relation);
CREATE UNIQUE INDEX join_tables_b_relation ON join_tables (b, b_relation);

COMMENT ON TABLE join_tables IS
'habtm''s catalog: one row per registered join table (written by create_join_table and adopt; kept by pg_dump)';

-- pg_dump keeps the rows (regclass values are dumped as qualified names and resolved again on
-- restore, after the tables exist).
SELECT pg_catalog.pg_extension_config_dump('join_tables', '');

-- Who may write a row (the privilege model; README "Security model"). A catalog row lets
-- habtm's functions and triggers act on three tables, so writing one needs what PostgreSQL
-- needs for the foreign keys the row stands for:
--   * membership in the role that owns the join table (its foreign keys are created on it),
--   * the REFERENCES privilege on the key column of each side (owners have it),
--   * for an id array on a side, membership in the role that owns that side (habtm adds a
--     column and triggers there, which only the owner may).
-- The three relations must be permanent ordinary tables (a view's rules, a foreign table's
-- wrapper or a partition's bypassed triggers would run or lose code habtm did not write),
-- the named columns must exist, and (owner, relation) must name one association in either
-- direction. Everyone may read the catalog; a row may be changed or deleted only by a member
-- of its join table's owner (the policies); every new row version is checked by the trigger
-- below, superusers' too, so a row that breaks these rules never exists.
ALTER TABLE join_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON join_tables FOR SELECT USING (true);
CREATE POLICY owner_writes ON join_tables FOR ALL
    USING (pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) join_table), 'USAGE'))
    WITH CHECK (pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) join_table), 'USAGE'));
GRANT SELECT, INSERT, UPDATE, DELETE ON join_tables TO PUBLIC;

-- Runs as the caller (privileges are the caller's), with a pinned search_path.
CREATE FUNCTION join_tables_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    side record;
    other pg_catalog.regclass;
BEGIN
    -- Serialises catalog writes (the same lock habtm's DDL functions take), so two sessions
    -- cannot both find a relation name free.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('habtm.join_tables'));
    -- A write mode belongs to an array. A row written without one (a 0.1 dump restored, an
    -- array set by hand) keeps 0.1's behaviour, as ALTER EXTENSION UPDATE does.
    IF NEW.a_array IS NULL THEN
        NEW.a_array_writes := NULL;
    ELSIF NEW.a_array_writes IS NULL THEN
        NEW.a_array_writes := 'links';
    END IF;
    IF NEW.b_array IS NULL THEN
        NEW.b_array_writes := NULL;
    ELSIF NEW.b_array_writes IS NULL THEN
        NEW.b_array_writes := 'links';
    END IF;
    IF NOT pg_catalog.pg_has_role(COALESCE((SELECT c.relowner FROM pg_catalog.pg_class c
                                             WHERE c.oid OPERATOR(pg_catalog.=) NEW.join_table), 0), 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table % to register it as a join table', NEW.join_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOR side IN
        SELECT * FROM (VALUES ('join_table', NEW.join_table, NULL::pg_catalog.name, NULL::pg_catalog.name),
                              ('a', NEW.a, NEW.a_key, NEW.a_array),
                              ('b', NEW.b, NEW.b_key, NEW.b_array)) v(what, rel, key, arr)
    LOOP
        PERFORM FROM pg_catalog.pg_class c
          WHERE c.oid OPERATOR(pg_catalog.=) side.rel AND c.relkind OPERATOR(pg_catalog.=) 'r'
            AND c.relpersistence OPERATOR(pg_catalog.<>) 't' AND NOT c.relispartition;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'habtm.join_tables.%: % is not a permanent ordinary table', side.what, side.rel
                USING ERRCODE = 'wrong_object_type',
                      HINT = 'Views, foreign tables, partitioned tables, partitions and temporary tables cannot take part in an association.';
        END IF;
        IF side.key IS NOT NULL THEN
            IF NOT pg_catalog.has_column_privilege(side.rel, side.key, 'REFERENCES') THEN
                RAISE EXCEPTION 'permission denied to reference %.% in an association', side.rel, side.key
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = 'Registering an association needs what its foreign key needs: the REFERENCES privilege on the key.';
            END IF;
        END IF;
        IF side.arr IS NOT NULL THEN
            IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                            WHERE c.oid OPERATOR(pg_catalog.=) side.rel), 'USAGE') THEN
                RAISE EXCEPTION 'must be owner of table % to keep an id array on it', side.rel
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END IF;
    END LOOP;
    FOR side IN
        SELECT * FROM (VALUES (NEW.join_table, NEW.a_column), (NEW.join_table, NEW.b_column),
                              (NEW.a, NEW.a_key), (NEW.b, NEW.b_key),
                              (NEW.a, NEW.a_array), (NEW.b, NEW.b_array)) v(rel, col)
         WHERE v.col IS NOT NULL
    LOOP
        IF NOT @extschema@.column_exists(side.rel, side.col) THEN
            RAISE EXCEPTION 'column % of % does not exist', side.col, side.rel
                USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    -- (owner, relation) names one association, whichever direction it is stored in.
    SELECT j.join_table INTO other FROM @extschema@.join_tables j
     WHERE j.join_table OPERATOR(pg_catalog.<>) NEW.join_table
       AND ((j.a OPERATOR(pg_catalog.=) NEW.a AND j.a_relation OPERATOR(pg_catalog.=) NEW.a_relation)
         OR (j.b OPERATOR(pg_catalog.=) NEW.a AND j.b_relation OPERATOR(pg_catalog.=) NEW.a_relation)
         OR (j.a OPERATOR(pg_catalog.=) NEW.b AND j.a_relation OPERATOR(pg_catalog.=) NEW.b_relation)
         OR (j.b OPERATOR(pg_catalog.=) NEW.b AND j.b_relation OPERATOR(pg_catalog.=) NEW.b_relation))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'an association named % or % already exists on % or %', NEW.a_relation, NEW.b_relation, NEW.a, NEW.b
            USING ERRCODE = 'duplicate_object', DETAIL = pg_catalog.format('It is stored with join table %s.', other);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION join_tables_guard() FROM PUBLIC;
CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON join_tables
    FOR EACH ROW EXECUTE FUNCTION join_tables_guard();

-- One row per direction of each association: ('developers', 'projects') is Rails'
-- developer.projects.
CREATE VIEW associations AS
    SELECT a AS owner, a_relation AS relation, b AS target, join_table,
           a_column AS owner_column, b_column AS target_column, a_key AS owner_key,
           b_key AS target_key, a_array AS owner_array, b_array AS target_array,
           a_array_writes AS owner_array_writes, b_array_writes AS target_array_writes
      FROM join_tables
    UNION ALL
    SELECT b, b_relation, a, join_table, b_column, a_column, b_key, a_key, b_array, a_array,
           b_array_writes, a_array_writes
      FROM join_tables;
GRANT SELECT ON associations TO PUBLIC;

COMMENT ON VIEW associations IS
'Every association, one row per direction: (owner, relation) addresses it, as in habtm.add(owner, relation, ...)';

-- Dropping a join table, or one of its two tables (DROP ... CASCADE removes the foreign key),
-- by hand removes its catalog row; dropping an id array column by hand stops its maintenance. SECURITY DEFINER because the dropped table's owner can no
-- longer be looked up by the row-level policy once the table is gone; it deletes only rows of
-- relations this very statement dropped. search_path pinned.
CREATE FUNCTION forget_dropped_tables() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    touched pg_catalog.oid[];
    more pg_catalog.oid[];
    t pg_catalog.oid;
BEGIN
    WITH gone AS (
        DELETE FROM @extschema@.join_tables j
         USING pg_catalog.pg_event_trigger_dropped_objects() d
         WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.objsubid OPERATOR(pg_catalog.=) 0
           AND d.objid OPERATOR(pg_catalog.=) ANY (ARRAY[j.join_table::pg_catalog.oid, j.a::pg_catalog.oid, j.b::pg_catalog.oid])
        RETURNING ARRAY[j.join_table::pg_catalog.oid, j.a::pg_catalog.oid, j.b::pg_catalog.oid] AS tables)
    SELECT pg_catalog.array_agg(u) INTO touched FROM gone, pg_catalog.unnest(gone.tables) u;
    WITH kept AS (
        UPDATE @extschema@.join_tables j
           SET a_array = CASE WHEN d.objid OPERATOR(pg_catalog.=) j.a::pg_catalog.oid
                               AND d.address_names[3] OPERATOR(pg_catalog.=) j.a_array THEN NULL ELSE j.a_array END,
               b_array = CASE WHEN d.objid OPERATOR(pg_catalog.=) j.b::pg_catalog.oid
                               AND d.address_names[3] OPERATOR(pg_catalog.=) j.b_array THEN NULL ELSE j.b_array END
          FROM pg_catalog.pg_event_trigger_dropped_objects() d
         WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
           AND d.objsubid OPERATOR(pg_catalog.<>) 0
           AND ((d.objid OPERATOR(pg_catalog.=) j.a::pg_catalog.oid AND d.address_names[3] OPERATOR(pg_catalog.=) j.a_array)
             OR (d.objid OPERATOR(pg_catalog.=) j.b::pg_catalog.oid AND d.address_names[3] OPERATOR(pg_catalog.=) j.b_array))
        RETURNING ARRAY[j.join_table::pg_catalog.oid, j.a::pg_catalog.oid, j.b::pg_catalog.oid] AS tables)
    SELECT pg_catalog.array_agg(u) INTO more FROM kept, pg_catalog.unnest(kept.tables) u;
    -- The triggers of the tables that remain follow the catalog: a column dropped with CASCADE
    -- takes the side triggers that name it, which the table's other associations share too.
    FOR t IN SELECT DISTINCT u FROM pg_catalog.unnest(touched OPERATOR(pg_catalog.||) more) u
              WHERE EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) u)
              ORDER BY u
    LOOP
        PERFORM @extschema@.reinstall_triggers(t::pg_catalog.regclass);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION forget_dropped_tables() FROM PUBLIC;

CREATE EVENT TRIGGER habtm_forget_dropped_tables ON sql_drop
    EXECUTE FUNCTION forget_dropped_tables();

-- A column the catalog names (a join column, a key, an id array), renamed by hand, keeps its
-- association under its new name: the catalog stores names (pg_dump restores them), so it
-- follows ALTER TABLE ... RENAME COLUMN. SECURITY DEFINER for the reason given above (the
-- renaming role may own a side but not the join table whose row names it); it rewrites only
-- names that no longer exist on the very table this statement renamed a column of.
CREATE FUNCTION follow_renamed_columns() RETURNS event_trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    renamed pg_catalog.name;
BEGIN
    FOR r IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() c
              WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                AND c.objsubid OPERATOR(pg_catalog.>) 0
    LOOP
        SELECT a.attname INTO renamed FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) r.objid AND a.attnum OPERATOR(pg_catalog.=) r.objsubid
           AND NOT a.attisdropped;
        CONTINUE WHEN renamed IS NULL;
        UPDATE @extschema@.join_tables j SET
            a_column = CASE WHEN j.join_table::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid
                             AND NOT @extschema@.column_exists(j.join_table, j.a_column) THEN renamed ELSE j.a_column END,
            b_column = CASE WHEN j.join_table::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid
                             AND NOT @extschema@.column_exists(j.join_table, j.b_column) THEN renamed ELSE j.b_column END,
            a_key = CASE WHEN j.a::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid
                          AND NOT @extschema@.column_exists(j.a, j.a_key) THEN renamed ELSE j.a_key END,
            b_key = CASE WHEN j.b::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid
                          AND NOT @extschema@.column_exists(j.b, j.b_key) THEN renamed ELSE j.b_key END,
            a_array = CASE WHEN j.a::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid AND j.a_array IS NOT NULL
                            AND NOT @extschema@.column_exists(j.a, j.a_array) THEN renamed ELSE j.a_array END,
            b_array = CASE WHEN j.b::pg_catalog.oid OPERATOR(pg_catalog.=) r.objid AND j.b_array IS NOT NULL
                            AND NOT @extschema@.column_exists(j.b, j.b_array) THEN renamed ELSE j.b_array END
         WHERE r.objid OPERATOR(pg_catalog.=) ANY (ARRAY[j.join_table::pg_catalog.oid, j.a::pg_catalog.oid, j.b::pg_catalog.oid])
           AND (NOT @extschema@.column_exists(j.join_table, j.a_column)
             OR NOT @extschema@.column_exists(j.join_table, j.b_column)
             OR NOT @extschema@.column_exists(j.a, j.a_key)
             OR NOT @extschema@.column_exists(j.b, j.b_key)
             OR (j.a_array IS NOT NULL AND NOT @extschema@.column_exists(j.a, j.a_array))
             OR (j.b_array IS NOT NULL AND NOT @extschema@.column_exists(j.b, j.b_array)));
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION follow_renamed_columns() FROM PUBLIC;

CREATE FUNCTION column_exists(rel pg_catalog.regclass, col pg_catalog.name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col
                      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)
$$;
-- (executable by everyone: the guard runs as the caller, and pg_attribute is readable by all)

CREATE EVENT TRIGGER habtm_follow_renamed_columns ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION follow_renamed_columns();
