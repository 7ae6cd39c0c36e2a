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
