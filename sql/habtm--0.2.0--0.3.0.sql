-- habtm 0.2.0 -> 0.3.0 (ALTER EXTENSION habtm UPDATE TO '0.3.0').
-- Keeps every join table, catalog row, id array and trigger; see README "Upgrading".
-- The whole script is one transaction: if any step fails, nothing has changed.
\echo Use "ALTER EXTENSION habtm UPDATE TO '0.3.0'" to load this file. \quit

-- ## The library: 0.3.0's is habtm-0.3.0.so (0.2.0's stays for databases not yet updated).
-- Every C function is pointed at it; CREATE OR REPLACE keeps each one's OID, so the triggers on
-- users' tables keep calling the same trigger functions.
-- denormalize gained its fifth argument, gin.
DROP FUNCTION denormalize(regclass, text, text, text);

CREATE OR REPLACE FUNCTION "add"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.3.0', 'add_links_wrapper';

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
AS 'habtm-0.3.0', 'adopt_wrapper';

CREATE OR REPLACE FUNCTION "array_apply"(
	"ids" anyarray,
	"removed" anyarray,
	"added" anyarray
) RETURNS anyarray
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'array_apply_wrapper';

CREATE OR REPLACE FUNCTION "array_canonical"(
	"ids" anyarray
) RETURNS anyarray
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'array_canonical_wrapper';

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
AS 'habtm-0.3.0', 'check_wrapper';

CREATE OR REPLACE FUNCTION "classify"(
	"table_name" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'classify_wrapper';

CREATE OR REPLACE FUNCTION "clear"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.3.0', 'clear_links_wrapper';

CREATE OR REPLACE FUNCTION "collection"("owner" regclass, "relation" TEXT, "id" "any", "filter" jsonb DEFAULT '{}')
RETURNS SETOF jsonb
STABLE LANGUAGE c AS 'habtm-0.3.0', 'collection_rows_wrapper';

CREATE OR REPLACE FUNCTION "collection"("owner" regclass, "relation" TEXT, "id" "any", "filter" jsonb,
                             "result_type" anyelement)
RETURNS SETOF anyelement
STABLE LANGUAGE c AS 'habtm-0.3.0', 'collection_rows_typed_wrapper';

CREATE OR REPLACE FUNCTION "count"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any"
) RETURNS bigint
STABLE 
LANGUAGE c
AS 'habtm-0.3.0', 'count_links_wrapper';

CREATE OR REPLACE FUNCTION "create"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"attributes" jsonb
) RETURNS jsonb
VOLATILE 
LANGUAGE c
AS 'habtm-0.3.0', 'create_target_wrapper';

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
AS 'habtm-0.3.0', 'create_join_table_wrapper';

CREATE OR REPLACE FUNCTION "denormalize"(
	"join_table" regclass,
	"a_array" TEXT DEFAULT NULL,
	"b_array" TEXT DEFAULT NULL,
	"writes" TEXT DEFAULT 'reject',
	"gin" bool DEFAULT false
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.3.0', 'denormalize_wrapper';

CREATE OR REPLACE FUNCTION "destroy"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any" DEFAULT NULL
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.3.0', 'destroy_targets_wrapper';

CREATE OR REPLACE FUNCTION "drop_join_table"(
	"join_table" regclass
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.3.0', 'drop_join_table_wrapper';

CREATE OR REPLACE FUNCTION "exists"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"target" "any"
) RETURNS bool
STABLE 
LANGUAGE c
AS 'habtm-0.3.0', 'link_exists_wrapper';

CREATE OR REPLACE FUNCTION "find"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"target" "any"
) RETURNS jsonb
STABLE 
LANGUAGE c
AS 'habtm-0.3.0', 'find_target_wrapper';

CREATE OR REPLACE FUNCTION "find"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"target" "any",
	"result_type" anyelement
) RETURNS anyelement
STABLE 
LANGUAGE c
AS 'habtm-0.3.0', 'find_target_typed_wrapper';

CREATE OR REPLACE FUNCTION "foreign_key"(
	"table" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'foreign_key_wrapper';

CREATE OR REPLACE FUNCTION "ids"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any"
) RETURNS jsonb
STABLE 
LANGUAGE c
AS 'habtm-0.3.0', 'linked_ids_wrapper';

CREATE OR REPLACE FUNCTION "ids"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"result_type" anyarray
) RETURNS anyarray
STABLE 
LANGUAGE c
AS 'habtm-0.3.0', 'linked_ids_typed_wrapper';

CREATE OR REPLACE FUNCTION "join_table_name"(
	"a" TEXT,
	"b" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'join_table_name_wrapper';

CREATE OR REPLACE FUNCTION "normalize"(
	"join_table" regclass,
	"drop_columns" bool DEFAULT false
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.3.0', 'normalize_wrapper';

CREATE OR REPLACE FUNCTION "pluralize"(
	"word" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'pluralize_wrapper';

CREATE OR REPLACE FUNCTION "reinstall_triggers"(
	"table" regclass
) RETURNS void
VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'habtm-0.3.0', 'reinstall_triggers_wrapper';

CREATE OR REPLACE FUNCTION "remove"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.3.0', 'remove_links_wrapper';

CREATE OR REPLACE FUNCTION "repair"(
	"join_table" regclass DEFAULT NULL
) RETURNS bigint
VOLATILE
LANGUAGE c
AS 'habtm-0.3.0', 'repair_wrapper';

CREATE OR REPLACE FUNCTION "replace"(
	"owner" regclass,
	"relation" TEXT,
	"id" "any",
	"targets" "any"
) RETURNS bigint
VOLATILE 
LANGUAGE c
AS 'habtm-0.3.0', 'replace_links_wrapper';

CREATE OR REPLACE FUNCTION "singularize"(
	"word" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'singularize_wrapper';

CREATE OR REPLACE FUNCTION "tableize"(
	"class_name" TEXT
) RETURNS TEXT
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'habtm-0.3.0', 'tableize_wrapper';

CREATE OR REPLACE FUNCTION "unassociated"("owner" regclass, "relation" TEXT) RETURNS SETOF jsonb
STABLE LANGUAGE c AS 'habtm-0.3.0', 'unassociated_owners_wrapper';

CREATE OR REPLACE FUNCTION "unassociated"("owner" regclass, "relation" TEXT, "result_type" anyelement)
RETURNS SETOF anyelement
STABLE LANGUAGE c AS 'habtm-0.3.0', 'unassociated_owners_typed_wrapper';

CREATE OR REPLACE FUNCTION "catalog_changed"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'catalog_changed_wrapper';

CREATE OR REPLACE FUNCTION "join_lock"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'join_lock_wrapper';

CREATE OR REPLACE FUNCTION "join_sync"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'join_sync_wrapper';

CREATE OR REPLACE FUNCTION "side_canonical"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'side_canonical_wrapper';

CREATE OR REPLACE FUNCTION "side_insert_check"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'side_insert_check_wrapper';

CREATE OR REPLACE FUNCTION "side_lock"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'side_lock_wrapper';

CREATE OR REPLACE FUNCTION "side_sync"() RETURNS trigger LANGUAGE c AS 'habtm-0.3.0', 'side_sync_wrapper';

COMMENT ON FUNCTION denormalize(regclass, text, text, text, boolean) IS
'Keeps the linked ids in sorted array columns on the joined tables (default: both sides, Rails'' names such as developers.project_ids and projects.developer_ids; name one side to keep only that one): adds the columns (NOT NULL DEFAULT ''{}''), fills them in one pass and installs the triggers that keep them equal to the join table. writes => ''reject'' (the default) keeps them read-only mirrors (setting one to the ids it holds is a no-op, changing it an error); ''links'' makes a write of an array a write of its links. Called again, it changes the mode of the sides named (both when none is). gin => true also builds a GIN index on each array named (unless one exists), for WHERE project_ids @> ''{5}''';
