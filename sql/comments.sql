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

COMMENT ON FUNCTION forget_dropped_tables() IS
'Event trigger: removes the catalog rows of join tables, or of their tables, dropped by hand';
