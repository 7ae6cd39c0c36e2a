-- Rails' naming rules through SQL.
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION habtm;

-- The examples of the API.
SELECT habtm.join_table_name('developers', 'projects') AS developers_projects,
       habtm.join_table_name('projects', 'developers') AS either_order,
       habtm.join_table_name('papers', 'paper_boxes') AS rails_caveat_1,
       habtm.join_table_name('catalog_categories', 'catalog_products') AS rails_caveat_2;
SELECT w AS word, habtm.singularize(w) AS singular, habtm.pluralize(w) AS plural
  FROM unnest(ARRAY['people', 'person', 'statuses', 'equipment', 'octopus', 'octopi', 'mice',
                    'Axes', 'PEOPLE', 'office equipment', 'office_equipment', 'goldfish',
                    'human', 'cookies', 'viruses', 'news', 'databases', 'quizzes', 'wives',
                    'halves', 'analyses', 'matrices', 'oxen', 'zombies']) WITH ORDINALITY AS t(w, i)
 ORDER BY i;
SELECT t AS "table", habtm.foreign_key(t) AS column_name
  FROM unnest(ARRAY['people', 'line_items', 'music.artists', 'Users', 'app.public.people',
                    'statuses', 'data', 'sheep', 'music.', 'a..b']) WITH ORDINALITY AS u(t, i)
 ORDER BY i;
SELECT c AS class_name, habtm.tableize(c) AS tableized
  FROM unnest(ARRAY['SuperProject', 'LineItem', 'Person', 'HTMLParser', 'OAuthToken',
                    'Admin::User', 'fancyCategory', 'ham_and_egg']) WITH ORDINALITY AS u(c, i)
 ORDER BY i;
SELECT t AS table_name, habtm.classify(t) AS classified
  FROM unnest(ARRAY['super_projects', 'people', 'posts', 'public.line_items', 'admin/users',
                    'ham_and_eggs', 'calculus', 'statuses']) WITH ORDINALITY AS u(t, i)
 ORDER BY i;

-- Byte order, not the database collation: upper case sorts before lower case, and a prefix
-- shared up to "." is written once (Rails 7.1+; Rails 6.1 collapsed "_" prefixes only).
SELECT habtm.join_table_name('users', 'Roles') AS upper_first,
       habtm.join_table_name('übers', 'users') AS non_ascii_last,
       habtm.join_table_name('music.artists', 'music.records') AS shared_schema,
       habtm.join_table_name('sales.orders', 'public.products') AS other_schemas,
       habtm.join_table_name('a.users', 'b.users') AS same_table_two_schemas,
       habtm.join_table_name('users', 'users') AS self_join;

-- NULL in, NULL out (STRICT).
SELECT habtm.singularize(NULL) AS s, habtm.pluralize(NULL) AS p, habtm.foreign_key(NULL) AS f,
       habtm.tableize(NULL) AS t, habtm.classify(NULL) AS c,
       habtm.join_table_name(NULL, 'a') AS j1, habtm.join_table_name('a', NULL) AS j2;

-- Rails' answers for odd input; never a crash.
SELECT habtm.singularize('') AS empty_s, habtm.pluralize('') AS empty_p,
       habtm.join_table_name('', '') AS empty_join, habtm.classify('') AS empty_c,
       habtm.pluralize(' ') AS space, habtm.pluralize('x y') AS x_y,
       habtm.pluralize('it''s') AS quote, habtm.pluralize('Robert''); DROP TABLE students;--') AS bobby,
       habtm.pluralize('Fuß') AS eszett, habtm.pluralize('ﬁsh') AS ligature,
       habtm.singularize(E'people\nperson') AS newline;
SELECT length(habtm.pluralize(repeat('a', 70))) AS long_plural,
       octet_length(habtm.join_table_name(repeat('é', 40), repeat('ü', 40))) AS long_join_bytes;

-- A name with no table part: 22023, with Rails' reason.
SELECT habtm.foreign_key('');
\echo :LAST_ERROR_SQLSTATE
SELECT habtm.foreign_key('...');
\echo :LAST_ERROR_SQLSTATE

-- Declared properties, and every function documented.
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel,
       pg_get_function_arguments(p.oid) AS args, pg_get_function_result(p.oid) AS result,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS has_comment
  FROM pg_proc p WHERE p.pronamespace = 'habtm'::regnamespace
   AND p.proname IN ('join_table_name', 'singularize', 'pluralize', 'foreign_key', 'tableize', 'classify')
 ORDER BY p.proname COLLATE "C";

-- Independent of search_path, and usable by an ordinary role.
SET search_path = '';
SELECT habtm.singularize('people') AS empty_search_path;
RESET search_path;
CREATE ROLE habtm_naming_user LOGIN;
SET ROLE habtm_naming_user;
SELECT habtm.pluralize('person') AS as_ordinary_role, habtm.join_table_name('b_x', 'b_y') AS join_as_role;
RESET ROLE;
DROP ROLE habtm_naming_user;

-- DROP EXTENSION removes every object. The schema named in the control file was created by
-- CREATE EXTENSION and is not an extension member (PostgreSQL cannot make it one), so it stays,
-- empty, and a later CREATE EXTENSION reuses it.
DROP EXTENSION habtm;
SELECT n.nspname, (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid) AS relations,
       (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid) AS functions
  FROM pg_namespace n WHERE n.nspname = 'habtm';
CREATE EXTENSION habtm;
SELECT habtm.singularize('people') AS recreated;
DROP EXTENSION habtm;
DROP SCHEMA habtm;
