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
COMMENT ON FUNCTION denormalize(regclass, text, text, text, boolean) IS
'Keeps the linked ids in sorted array columns on the joined tables (default: both sides, Rails'' names such as developers.project_ids and projects.developer_ids; name one side to keep only that one): adds the columns (NOT NULL DEFAULT ''{}''), fills them in one pass and installs the triggers that keep them equal to the join table. writes => ''reject'' (the default) keeps them read-only mirrors (setting one to the ids it holds is a no-op, changing it an error); ''links'' makes a write of an array a write of its links. Called again, it changes the mode of the sides named (both when none is). gin => true also builds a GIN index on each array named (unless one exists), for WHERE project_ids @> ''{5}''';
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
