-- CREATE EXTENSION makes the schema named in the control file without any privilege for other
-- roles. Every habtm function runs with the caller's rights (SECURITY INVOKER), so letting every
-- role see the schema gives nobody more than PostgreSQL's own privileges already allow.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
