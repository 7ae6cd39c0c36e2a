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

-- Everyone may read the catalog; a row may be written only by a member of the role that owns its
-- join table (superusers bypass this). habtm's functions run as the caller, so this is what lets
-- an ordinary role register the join tables it creates, and nothing else.
ALTER TABLE join_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON join_tables FOR SELECT USING (true);
CREATE POLICY owner_writes ON join_tables FOR ALL
    USING (pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = join_table), 'USAGE'))
    WITH CHECK (pg_catalog.pg_has_role(
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = join_table), 'USAGE'));
GRANT SELECT, INSERT, UPDATE, DELETE ON join_tables TO PUBLIC;

-- One row per direction of each association: ('developers', 'projects') is Rails'
-- developer.projects.
CREATE VIEW associations AS
    SELECT a AS owner, a_relation AS relation, b AS target, join_table,
           a_column AS owner_column, b_column AS target_column, a_key AS owner_key,
           b_key AS target_key, a_array AS owner_array, b_array AS target_array
      FROM join_tables
    UNION ALL
    SELECT b, b_relation, a, join_table, b_column, a_column, b_key, a_key, b_array, a_array
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
BEGIN
    DELETE FROM @extschema@.join_tables j
     USING pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.objsubid = 0
       AND d.objid OPERATOR(pg_catalog.=) ANY (ARRAY[j.join_table::pg_catalog.oid, j.a::pg_catalog.oid, j.b::pg_catalog.oid]);
    UPDATE @extschema@.join_tables j
       SET a_array = CASE WHEN d.objid OPERATOR(pg_catalog.=) j.a::pg_catalog.oid
                           AND d.address_names[3] OPERATOR(pg_catalog.=) j.a_array THEN NULL ELSE j.a_array END,
           b_array = CASE WHEN d.objid OPERATOR(pg_catalog.=) j.b::pg_catalog.oid
                           AND d.address_names[3] OPERATOR(pg_catalog.=) j.b_array THEN NULL ELSE j.b_array END
      FROM pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.objsubid OPERATOR(pg_catalog.<>) 0
       AND ((d.objid OPERATOR(pg_catalog.=) j.a::pg_catalog.oid AND d.address_names[3] OPERATOR(pg_catalog.=) j.a_array)
         OR (d.objid OPERATOR(pg_catalog.=) j.b::pg_catalog.oid AND d.address_names[3] OPERATOR(pg_catalog.=) j.b_array));
END
$$;
REVOKE ALL ON FUNCTION forget_dropped_tables() FROM PUBLIC;

CREATE EVENT TRIGGER habtm_forget_dropped_tables ON sql_drop
    EXECUTE FUNCTION forget_dropped_tables();
