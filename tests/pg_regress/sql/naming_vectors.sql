-- Every row of the naming vectors made by real Rails must match through SQL.
-- psql reads the files relative to its working directory: scripts/test.sh runs pg_regress from
-- the repository root. CSV with a tab delimiter and a quote character that never occurs, so
-- quotes and backslashes in words are data; FORCE_NOT_NULL, because Rails' answer can be the
-- empty string ('s' singularizes to '') and CSV would read that as NULL.
CREATE EXTENSION habtm;

CREATE TABLE inflections (word text, singular text, plural text);
\copy inflections FROM 'crates/naming/tests/vectors/inflections.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER, QUOTE E'\x01', FORCE_NOT_NULL (word, singular, plural))
CREATE TABLE join_tables (a text, b text, join_table text, a_column text, b_column text);
\copy join_tables FROM 'crates/naming/tests/vectors/join_tables.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER, QUOTE E'\x01', FORCE_NOT_NULL (a, b, join_table, a_column, b_column))
CREATE TABLE classify_tableize (input text, classified text, tableized text);
\copy classify_tableize FROM 'crates/naming/tests/vectors/classify_tableize.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER, QUOTE E'\x01', FORCE_NOT_NULL (input, classified, tableized))

-- Row counts (the files' lines less their header) and mismatches per function: all zero.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE habtm.singularize(word) IS DISTINCT FROM singular) AS singularize_mismatches,
       count(*) FILTER (WHERE habtm.pluralize(word) IS DISTINCT FROM plural) AS pluralize_mismatches
  FROM inflections;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE habtm.join_table_name(a, b) IS DISTINCT FROM join_table) AS join_table_name_mismatches,
       count(*) FILTER (WHERE habtm.foreign_key(a) IS DISTINCT FROM a_column
                           OR habtm.foreign_key(b) IS DISTINCT FROM b_column) AS foreign_key_mismatches
  FROM join_tables;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE habtm.classify(input) IS DISTINCT FROM classified) AS classify_mismatches,
       count(*) FILTER (WHERE habtm.tableize(input) IS DISTINCT FROM tableized) AS tableize_mismatches
  FROM classify_tableize;

-- The first mismatches, if any, to make a failure readable (no rows when all is well).
SELECT * FROM (
SELECT 'singularize' AS fn, word AS input, singular AS rails, habtm.singularize(word) AS habtm
   FROM inflections WHERE habtm.singularize(word) IS DISTINCT FROM singular
 UNION ALL
 SELECT 'pluralize', word, plural, habtm.pluralize(word)
   FROM inflections WHERE habtm.pluralize(word) IS DISTINCT FROM plural
 UNION ALL
 SELECT 'join_table_name', a || ' + ' || b, join_table, habtm.join_table_name(a, b)
   FROM join_tables WHERE habtm.join_table_name(a, b) IS DISTINCT FROM join_table
 UNION ALL
 SELECT 'classify', input, classified, habtm.classify(input)
   FROM classify_tableize WHERE habtm.classify(input) IS DISTINCT FROM classified
 UNION ALL
 SELECT 'tableize', input, tableized, habtm.tableize(input)
   FROM classify_tableize WHERE habtm.tableize(input) IS DISTINCT FROM tableized
) AS mismatches
ORDER BY fn, input COLLATE "C" LIMIT 20;

DROP TABLE inflections, join_tables, classify_tableize;
DROP EXTENSION habtm;
