//! Working with an association, addressed as `(owner regclass, relation text)`: Rails'
//! collection methods and LoopBack's relation methods.
//!
//! - `call.rs`: what every call shares — the association looked up, the arguments checked
//!   (key types, NULLs, the owner row), the owner's writer lock, statement templates.
//! - `writers.rs`: `add`, `remove`, `replace`, `clear`, `destroy`, `create`.
//! - `readers.rs`: `count`, `exists`, `find`, `ids`, `unassociated`, `collection` (with
//!   LoopBack's filter, compiled by the `habtm-filter` crate).
//!
//! Every call is set-based: the association (read from the catalog once per backend), at most a
//! few checks, and one statement for the whole id array, whatever its length (Rails fires one
//! INSERT per record). Ids arrive in their own types (arguments declared `"any"`, see
//! `polymorphic.rs`). Functions run as the caller and, unlike the DDL functions, with the caller's
//! `search_path`: their statements fire the user's own triggers, which must see the path they
//! were written for. The SQL generated here is qualified throughout (`pg_catalog.` functions,
//! `OPERATOR(pg_catalog.=)`, schema-qualified tables and types), so it means the same under any
//! path; keys are compared with their type's own `=` (`operators.rs`). Identifiers come quoted
//! from the catalog, values travel as `$n` parameters.

mod call;
mod filter;
mod readers;
mod writers;

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::testing::sqlstate_of;

    fn one<T: FromDatum + IntoDatum>(query: &str) -> T {
        Spi::get_one::<T>(query)
            .expect("query runs")
            .expect("a value")
    }

    fn setup() {
        Spi::run(
            "CREATE TABLE developers (id bigint PRIMARY KEY);
             CREATE TABLE projects (id uuid PRIMARY KEY, title text);
             INSERT INTO developers VALUES (1), (2);
             INSERT INTO projects SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'p' || i
               FROM generate_series(1, 5) i;
             SELECT habtm.create_join_table('developers', 'projects');",
        )
        .expect("setup");
    }

    #[pg_test]
    fn add_replace_remove_round_trip() {
        setup();
        let ids = "ARRAY(SELECT id FROM projects WHERE title IN ('p1', 'p2', 'p3'))";
        assert_eq!(
            one::<i64>(&format!(
                "SELECT habtm.add('developers', 'projects', 1, {ids})"
            )),
            3
        );
        assert_eq!(
            one::<i64>(&format!(
                "SELECT habtm.add('developers', 'projects', 1, {ids})"
            )),
            0
        );
        assert_eq!(one::<i64>("SELECT habtm.count('projects', 'developers', '00000000-0000-0000-0000-000000000001')"), 1);
        let replaced = one::<i64>(
            "SELECT habtm.replace('developers', 'projects', 1, ARRAY(SELECT id FROM projects WHERE title IN ('p3', 'p4')))",
        );
        assert_eq!(replaced, 3, "p1 and p2 removed, p4 added");
        assert_eq!(
            one::<String>("SELECT habtm.ids('developers', 'projects', 1)::text"),
            r#"["00000000-0000-0000-0000-000000000003", "00000000-0000-0000-0000-000000000004"]"#
        );
        assert_eq!(
            one::<i64>(
                "SELECT habtm.remove('developers', 'projects', 1, ARRAY(SELECT id FROM projects))"
            ),
            2
        );
        assert_eq!(
            one::<i64>("SELECT count(*) FROM projects"),
            5,
            "remove keeps the rows"
        );
    }

    #[pg_test]
    fn placeholders_in_names_are_left_alone() {
        // The statement templates are filled in one pass: a name that looks like a placeholder
        // stays a name.
        Spi::run(
            r#"CREATE TABLE "{oc}" (id int PRIMARY KEY);
               CREATE TABLE "{j}" (id int PRIMARY KEY);
               INSERT INTO "{oc}" VALUES (1); INSERT INTO "{j}" VALUES (1), (2);
               SELECT habtm.create_join_table('"{oc}"', '"{j}"', a_column => '{tc}', b_column => '{id}');"#,
        )
        .expect("setup");
        assert_eq!(
            one::<i64>(r#"SELECT habtm.add('"{oc}"', '{j}', 1, ARRAY[1, 2])"#),
            2
        );
        assert_eq!(
            one::<i64>(r#"SELECT habtm.replace('"{oc}"', '{j}', 1, ARRAY[2])"#),
            1
        );
        assert_eq!(
            one::<String>(r#"SELECT habtm.ids('"{oc}"', '{j}', 1)::text"#),
            "[2]"
        );
    }

    #[pg_test]
    fn bad_input_has_its_sqlstate_and_changes_nothing() {
        setup();
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projets', 1, ARRAY[]::uuid[])"),
            "42704"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projects', NULL::int, ARRAY[]::uuid[])"),
            "22004"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projects', 1, ARRAY[1, 2])"),
            "42804"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projects', 7, ARRAY[]::uuid[])"),
            "23503"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.destroy('developers', 'projects', 1, ARRAY[NULL]::uuid[])"),
            "22004"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.destroy('developers', 'projects', 1, ARRAY[1])"),
            "42804"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.count('developers', 'projects', 7)"),
            "P0002"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.collection('developers', 'projects', 1, '{\"where\": {\"nope\": 1}}')"),
            "42703"
        );
        assert_eq!(one::<i64>("SELECT count(*) FROM developers_projects"), 0);
    }
}
