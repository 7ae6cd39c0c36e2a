-- habtm 0.1.0 -> 0.2.0 (ALTER EXTENSION habtm UPDATE TO '0.2.0').
-- Keeps every join table, catalog row, id array and trigger; see README "Upgrading".
-- The whole script is one transaction: if any step fails, nothing has changed.
\echo Use "ALTER EXTENSION habtm UPDATE TO '0.2.0'" to load this file. \quit

-- ## The catalog: a write mode per id array (shared/API.md §4a)
ALTER TABLE join_tables
    ADD COLUMN a_array_writes text CHECK (a_array_writes IN ('reject', 'links')),
    ADD COLUMN b_array_writes text CHECK (b_array_writes IN ('reject', 'links'));

-- Operators qualified, so no search_path can redirect the policy's comparisons.
ALTER POLICY owner_writes ON join_tables
    USING (pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) join_table), 'USAGE'))
    WITH CHECK (pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) join_table), 'USAGE'));

-- ## The library: 0.2.0's is habtm-0.2.0.so (0.1.0's, habtm.so, stays for databases not yet
-- updated). Every C function is pointed at it; CREATE OR REPLACE keeps each one's OID, so the
-- triggers on users' tables keep calling the same trigger functions.
-- denormalize gained its fourth argument, writes.
DROP FUNCTION denormalize(regclass, text, text);

CREATE OR REPLACE FUNCTION "add"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.2.0', 'add_links_wrapper';

CREATE OR REPLACE FUNCTION "adopt"(
	"join_table" regclass,
	"a" regclass DEFAULT NULL,
	"b" regclass DEFAULT NULL,
	"a_column" TEXT DEFAULT NULL,
	"b_column" TEXT DEFAULT NULL,
	"a_relation" TEXT DEFAULT NULL,
	"b_relation" TEXT DEFAULT NULL
) RETURNS regclass
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.2.0', 'adopt_wrapper';

CREATE OR REPLACE FUNCTION "array_apply"(
	"ids" anyarray,
	"removed" anyarray,
	"added" anyarray
) RETURNS anyarray
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'array_apply_wrapper';

CREATE OR REPLACE FUNCTION "array_canonical"(
	"ids" anyarray
) RETURNS anyarray
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'array_canonical_wrapper';

CREATE OR REPLACE FUNCTION "check"(
	"join_table" regclass DEFAULT NULL
) RETURNS TABLE (
	"joined_by" regclass,
	"table_name" regclass,
	"key" TEXT,
	"array_column" TEXT,
	"problem" TEXT,
	"expected" TEXT,
	"actual" TEXT
)
STABLE
LANGUAGE c
AS 'habtm-0.2.0', 'check_wrapper';

CREATE OR REPLACE FUNCTION "classify"(
	"table_name" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'classify_wrapper';

CREATE OR REPLACE FUNCTION "clear"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.2.0', 'clear_links_wrapper';

CREATE OR REPLACE FUNCTION "collection"("owner" regclass, "relation" TEXT, "id" "any", "filter" jsonb DEFAULT '{}')
RETURNS SETOF jsonb
STABLE LANGUAGE c AS 'habtm-0.2.0', 'collection_rows_wrapper';

CREATE OR REPLACE FUNCTION "collection"("owner" regclass, "relation" TEXT, "id" "any", "filter" jsonb,
                             "result_type" anyelement)
RETURNS SETOF anyelement
STABLE LANGUAGE c AS 'habtm-0.2.0', 'collection_rows_typed_wrapper';

CREATE OR REPLACE FUNCTION "count"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any"
) RETURNS bigint
STABLE 
LANGUAGE c
AS 'habtm-0.2.0', 'count_links_wrapper';

CREATE OR REPLACE FUNCTION "create"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"attributes" jsonb
) RETURNS jsonb
VOLATILE 
LANGUAGE c
AS 'habtm-0.2.0', 'create_target_wrapper';

CREATE OR REPLACE FUNCTION "create_join_table"(
	"a" regclass,
	"b" regclass,
	"table_name" TEXT DEFAULT NULL,
	"a_column" TEXT DEFAULT NULL,
	"b_column" TEXT DEFAULT NULL,
	"a_relation" TEXT DEFAULT NULL,
	"b_relation" TEXT DEFAULT NULL,
	"if_not_exists" bool DEFAULT false
) RETURNS regclass
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.2.0', 'create_join_table_wrapper';

CREATE OR REPLACE FUNCTION "denormalize"(
	"join_table" regclass,
	"a_array" TEXT DEFAULT NULL,
	"b_array" TEXT DEFAULT NULL,
	"writes" TEXT DEFAULT 'reject'
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.2.0', 'denormalize_wrapper';

CREATE OR REPLACE FUNCTION "destroy"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any" DEFAULT NULL
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.2.0', 'destroy_targets_wrapper';

CREATE OR REPLACE FUNCTION "drop_join_table"(
	"join_table" regclass
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.2.0', 'drop_join_table_wrapper';

CREATE OR REPLACE FUNCTION "exists"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"target" "any"
) RETURNS bool
STABLE 
LANGUAGE c
AS 'habtm-0.2.0', 'link_exists_wrapper';

CREATE OR REPLACE FUNCTION "find"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"target" "any"
) RETURNS jsonb
STABLE 
LANGUAGE c
AS 'habtm-0.2.0', 'find_target_wrapper';

CREATE OR REPLACE FUNCTION "find"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"target" "any",
	"result_type" anyelement
) RETURNS anyelement
STABLE 
LANGUAGE c
AS 'habtm-0.2.0', 'find_target_typed_wrapper';

CREATE OR REPLACE FUNCTION "foreign_key"(
	"table" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'foreign_key_wrapper';

CREATE OR REPLACE FUNCTION "ids"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any"
) RETURNS jsonb
STABLE 
LANGUAGE c
AS 'habtm-0.2.0', 'linked_ids_wrapper';

CREATE OR REPLACE FUNCTION "ids"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"result_type" anyarray
) RETURNS anyarray
STABLE 
LANGUAGE c
AS 'habtm-0.2.0', 'linked_ids_typed_wrapper';

CREATE OR REPLACE FUNCTION "join_table_name"(
	"a" TEXT,
	"b" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'join_table_name_wrapper';

CREATE OR REPLACE FUNCTION "normalize"(
	"join_table" regclass,
	"drop_columns" bool DEFAULT false
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.2.0', 'normalize_wrapper';

CREATE OR REPLACE FUNCTION "pluralize"(
	"word" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'pluralize_wrapper';

CREATE OR REPLACE FUNCTION "reinstall_triggers"(
	"table" regclass
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.2.0', 'reinstall_triggers_wrapper';

CREATE OR REPLACE FUNCTION "remove"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.2.0', 'remove_links_wrapper';

CREATE OR REPLACE FUNCTION "repair"(
	"join_table" regclass DEFAULT NULL
) RETURNS bigint
VOLATILE
LANGUAGE c
AS 'habtm-0.2.0', 'repair_wrapper';

CREATE OR REPLACE FUNCTION "replace"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.2.0', 'replace_links_wrapper';

CREATE OR REPLACE FUNCTION "singularize"(
	"word" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'singularize_wrapper';

CREATE OR REPLACE FUNCTION "tableize"(
	"class_name" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.2.0', 'tableize_wrapper';

CREATE OR REPLACE FUNCTION "unassociated"("owner" regclass, "relation" TEXT) RETURNS SETOF jsonb
STABLE LANGUAGE c AS 'habtm-0.2.0', 'unassociated_owners_wrapper';

CREATE OR REPLACE FUNCTION "unassociated"("owner" regclass, "relation" TEXT, "result_type" anyelement)
RETURNS SETOF anyelement
STABLE LANGUAGE c AS 'habtm-0.2.0', 'unassociated_owners_typed_wrapper';

CREATE OR REPLACE FUNCTION "catalog_changed"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'catalog_changed_wrapper';

CREATE OR REPLACE FUNCTION "join_lock"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'join_lock_wrapper';

CREATE OR REPLACE FUNCTION "join_sync"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'join_sync_wrapper';

CREATE OR REPLACE FUNCTION "side_canonical"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'side_canonical_wrapper';

CREATE OR REPLACE FUNCTION "side_insert_check"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'side_insert_check_wrapper';

CREATE OR REPLACE FUNCTION "side_lock"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'side_lock_wrapper';

CREATE OR REPLACE FUNCTION "side_sync"() RETURNS trigger LANGUAGE c AS 'habtm-0.2.0', 'side_sync_wrapper';

-- ## The guard: every new catalog row version is checked (README "Security model")
CREATE FUNCTION column_exists(rel pg_catalog.regclass, col pg_catalog.name) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attname OPERATOR(pg_catalog.=) col
                      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped)
$$;
-- (executable by everyone: the guard runs as the caller, and pg_attribute is readable by all)

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

-- ## The view shows the write modes
CREATE OR REPLACE VIEW associations AS
    SELECT a AS owner, a_relation AS relation, b AS target, join_table,
           a_column AS owner_column, b_column AS target_column, a_key AS owner_key,
           b_key AS target_key, a_array AS owner_array, b_array AS target_array,
           a_array_writes AS owner_array_writes, b_array_writes AS target_array_writes
      FROM join_tables
    UNION ALL
    SELECT b, b_relation, a, join_table, b_column, a_column, b_key, a_key, b_array, a_array,
           b_array_writes, a_array_writes
      FROM join_tables;

-- ## Event triggers: a dropped column or table re-creates the triggers of the tables that
-- remain; a renamed column keeps its association
CREATE OR REPLACE FUNCTION forget_dropped_tables() RETURNS event_trigger
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

-- (executable by everyone: the guard runs as the caller, and pg_attribute is readable by all)

CREATE EVENT TRIGGER habtm_follow_renamed_columns ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION follow_renamed_columns();

-- ## Comments, as 0.2.0 has them
-- Descriptions of the public functions (\df+ and \dd show them).

COMMENT ON FUNCTION join_table_name(text, text) IS
'Rails 7.1+ join table name for two table names: sorted by bytes, joined with _, a shared leading prefix ending in _ or . written once (papers, paper_boxes -> paper_boxes_papers)';

COMMENT ON FUNCTION singularize(text) IS
'ActiveSupport''s singularize with the default English inflections (people -> person, statuses -> status, equipment -> equipment)';

COMMENT ON FUNCTION pluralize(text) IS
'ActiveSupport''s pluralize with the default English inflections (person -> people, octopus -> octopi)';

COMMENT ON FUNCTION foreign_key(text) IS
'Column name Rails'' create_join_table gives a table: schema part dropped, singularized, _id appended, case kept (music.artists -> artist_id)';

COMMENT ON FUNCTION tableize(text) IS
'ActiveSupport''s tableize: class name to table name (SuperProject -> super_projects, Admin::User -> admin/users)';

COMMENT ON FUNCTION classify(text) IS
'ActiveSupport''s classify: table name to class name, schema prefix dropped (super_projects -> SuperProject)';

COMMENT ON FUNCTION create_join_table(regclass, regclass, text, text, text, text, text, boolean) IS
'Creates the join table Rails'' create_join_table names for a and b (in a''s schema unless table_name has one), with NOT NULL columns typed like the primary keys, foreign keys ON DELETE/UPDATE CASCADE, PRIMARY KEY (a_column, b_column), an index on (b_column, a_column), and registers both directions';

COMMENT ON FUNCTION adopt(regclass, regclass, regclass, text, text, text, text) IS
'Registers an existing join table (a Rails-made one has no keys): reports NULL ids, orphans and duplicate pairs and changes nothing if there are any, otherwise adds the missing NOT NULLs, pair key, foreign keys and index';

COMMENT ON FUNCTION drop_join_table(regclass) IS
'Drops a registered join table and its catalog rows';

COMMENT ON FUNCTION join_tables_guard() IS
'Trigger on habtm.join_tables: a row may name only permanent ordinary tables, needs ownership of the join table, REFERENCES on both keys, ownership of a side for its id array, existing columns, and a relation name free in both directions';

COMMENT ON FUNCTION follow_renamed_columns() IS
'Event trigger: a renamed column that the catalog names (a join column, a key, an id array) keeps its association under its new name';

COMMENT ON FUNCTION reinstall_triggers(regclass) IS
'Internal (the catalog''s sql_drop event trigger): re-creates habtm''s triggers on a table from the catalog as it is now';
REVOKE ALL ON FUNCTION reinstall_triggers(regclass) FROM PUBLIC;

COMMENT ON FUNCTION column_exists(regclass, name) IS
'Internal (the catalog''s guard and event trigger): whether the table has a live column of this name';

COMMENT ON FUNCTION forget_dropped_tables() IS
'Event trigger: removes the catalog rows of join tables, or of their tables, dropped by hand';

COMMENT ON FUNCTION add(regclass, text, "any", "any") IS
'Links owner row id to each of targets in one statement; existing links and repeated ids are ignored; returns the links created (Rails <<, LoopBack add)';
COMMENT ON FUNCTION remove(regclass, text, "any", "any") IS
'Unlinks owner row id from each of targets; the rows stay; returns the links removed (Rails delete, LoopBack remove)';
COMMENT ON FUNCTION "replace"(regclass, text, "any", "any") IS
'Makes the targets of owner row id exactly targets, by difference, in one statement; returns links added plus removed (Rails collection= / ids=)';
COMMENT ON FUNCTION clear(regclass, text, "any") IS
'Unlinks every target of owner row id; returns the links removed (Rails clear)';
COMMENT ON FUNCTION destroy(regclass, text, "any", "any") IS
'Deletes the associated target rows (all, or those of targets) with a real DELETE, so their triggers and cascades run; returns the rows deleted';
COMMENT ON FUNCTION "create"(regclass, text, "any", jsonb) IS
'Inserts one target row from attributes (column defaults for the rest), links it to owner row id, returns the new row as jsonb';
COMMENT ON FUNCTION "count"(regclass, text, "any") IS
'The number of targets linked to owner row id (Rails size)';
COMMENT ON FUNCTION "exists"(regclass, text, "any", "any") IS
'Whether target is linked to owner row id (Rails exists?(id))';
COMMENT ON FUNCTION find(regclass, text, "any", "any") IS
'The associated target row as jsonb; SQLSTATE P0002 when it is not associated (Rails find(id), LoopBack findById)';
COMMENT ON FUNCTION find(regclass, text, "any", "any", anyelement) IS
'find returning the target table''s own row type, named by result_type (NULL::projects); SQLSTATE 42804 for another type';
COMMENT ON FUNCTION ids(regclass, text, "any") IS
'The ids linked to owner row id, ascending, as a jsonb array (Rails collection_singular_ids)';
COMMENT ON FUNCTION ids(regclass, text, "any", anyarray) IS
'The ids linked to owner row id, ascending, as an array of the target key''s type, named by result_type (NULL::bigint[]); SQLSTATE 42804 for another type';
COMMENT ON FUNCTION unassociated(regclass, text) IS
'The owner rows without any link in this association, as jsonb, by key';
COMMENT ON FUNCTION unassociated(regclass, text, anyelement) IS
'unassociated returning the owner table''s own row type, named by result_type (NULL::developers)';
COMMENT ON FUNCTION collection(regclass, text, "any", jsonb) IS
'The associated target rows as jsonb, filtered with LoopBack''s filter: where (equality, neq, gt, gte, lt, lte, inq, nin, between, like, ilike, and, or), order, limit, skip/offset, fields';
COMMENT ON FUNCTION collection(regclass, text, "any", jsonb, anyelement) IS
'collection returning the target table''s own row type, named by result_type (NULL::projects); the filter as for jsonb rows, except fields (select the columns instead)';

-- §4 id arrays
COMMENT ON FUNCTION denormalize(regclass, text, text, text) IS
'Keeps the linked ids in sorted array columns on the joined tables (default: both sides, Rails'' names such as developers.project_ids and projects.developer_ids; name one side to keep only that one): adds the columns (NOT NULL DEFAULT ''{}''), fills them in one pass and installs the triggers that keep them equal to the join table. writes => ''reject'' (the default) keeps them read-only mirrors (setting one to the ids it holds is a no-op, changing it an error); ''links'' makes a write of an array a write of its links. Called again, it changes the mode of the sides named (both when none is)';
COMMENT ON FUNCTION "normalize"(regclass, boolean) IS
'Stops maintaining a join table''s id arrays: removes the triggers; the columns stay unless drop_columns';
COMMENT ON FUNCTION "check"(regclass) IS
'Every id array that differs from the join table (of one join table, or of all on tables the caller owns): which table and key, what is wrong, expected and actual; empty when all agree. Each array is read as its table''s owner in a security-restricted operation';
COMMENT ON FUNCTION repair(regclass) IS
'Rewrites the id arrays that check reports from the join table, each as its table''s owner in a security-restricted operation; returns how many rows it rewrote';
COMMENT ON FUNCTION array_canonical(anyarray) IS
'The ids sorted ascending (the type''s default order, the argument''s collation) without duplicates, as the id arrays are stored; NULL elements are an error';
COMMENT ON FUNCTION array_apply(anyarray, anyarray, anyarray) IS
'(ids - removed) + added as a sorted set (the triggers'' merge step; linear on sorted input); NULL removed or added counts as empty';
COMMENT ON FUNCTION join_lock() IS
'Trigger (installed by denormalize on join tables): takes the association''s advisory lock, shared for writes, exclusive for TRUNCATE';
COMMENT ON FUNCTION join_sync() IS
'Trigger (installed by denormalize on join tables): updates the id arrays of both sides from the statement''s transition tables';
COMMENT ON FUNCTION side_lock() IS
'Trigger (installed by denormalize on joined tables): takes the association''s advisory lock exclusively before deletes, truncations and writes of keys or of id arrays kept with writes => ''links''';
COMMENT ON FUNCTION side_canonical() IS
'Trigger (installed by denormalize on joined tables): stores written id arrays sorted and without duplicates (writes => ''links''), or keeps a read-only one as it was and refuses a change (writes => ''reject''); NULL elements are an error';
COMMENT ON FUNCTION side_insert_check() IS
'Constraint trigger (deferred; installed by denormalize on tables with read-only arrays): a row inserted with ids must hold exactly the join table''s links when the transaction commits';
COMMENT ON FUNCTION side_sync() IS
'Trigger (installed by denormalize on joined tables with an array kept with writes => ''links''): makes the join table follow written id arrays';
COMMENT ON FUNCTION catalog_changed() IS
'Trigger on habtm.join_tables: tells every backend (at commit) that the catalog changed, so none keeps using an association it has cached';

-- ## The data
-- An id array kept by 0.1.0 let writes of it change the links: 'links' keeps that behaviour
-- (denormalize(..., writes => 'reject') makes one a read-only mirror). Writing the rows also
-- passes each through the guard: an association 0.1.0 accepted that 0.2.0 refuses (a
-- partitioned or temporary table, say) stops the update here, with the guard's error, and
-- nothing changes; drop or fix that association, then update again.
UPDATE join_tables
   SET a_array_writes = CASE WHEN a_array IS NOT NULL THEN 'links' END,
       b_array_writes = CASE WHEN b_array IS NOT NULL THEN 'links' END;

-- Every table of an association gets 0.2.0's triggers, as denormalize would install them now
-- (one table at a time, in OID order, so two updates in one cluster lock alike).
SELECT reinstall_triggers(t.rel::pg_catalog.regclass)
  FROM (SELECT DISTINCT u AS rel
          FROM join_tables j, pg_catalog.unnest(ARRAY[j.join_table::pg_catalog.oid, j.a::pg_catalog.oid, j.b::pg_catalog.oid]) u) t
 ORDER BY t.rel;
