//! Rails' naming rules. Thin wrappers over the `habtm-naming` crate; all
//! `IMMUTABLE STRICT PARALLEL SAFE` (NULL in, NULL out), no SPI. The rules are compiled once per
//! backend, on first use.

use pgrx::prelude::*;

use crate::error::HabtmError;

/// ActiveRecord's `derive_join_table_name` (Rails 7.1+).
#[pg_extern(immutable, strict, parallel_safe)]
fn join_table_name(a: &str, b: &str) -> String {
    habtm_naming::join_table_name(a, b)
}

/// ActiveSupport's `singularize` with the default English inflections.
#[pg_extern(immutable, strict, parallel_safe)]
fn singularize(word: &str) -> String {
    habtm_naming::singularize(word)
}

/// ActiveSupport's `pluralize` with the default English inflections.
#[pg_extern(immutable, strict, parallel_safe)]
fn pluralize(word: &str) -> String {
    habtm_naming::pluralize(word)
}

/// The column Rails' `create_join_table` makes for a table.
#[pg_extern(immutable, strict, parallel_safe)]
fn foreign_key(table: &str) -> String {
    habtm_naming::foreign_key(table).unwrap_or_else(|error| {
        HabtmError::InvalidName {
            function: "habtm.foreign_key",
            argument: "table",
            error,
        }
        .raise()
    })
}

/// ActiveSupport's `tableize`.
#[pg_extern(immutable, strict, parallel_safe)]
fn tableize(class_name: &str) -> String {
    habtm_naming::tableize(class_name)
}

/// ActiveSupport's `classify`.
#[pg_extern(immutable, strict, parallel_safe)]
fn classify(table_name: &str) -> String {
    habtm_naming::classify(table_name)
}

/// A name to be created: not empty, at most 63 bytes (PostgreSQL would truncate it silently).
pub fn check_identifier(argument: &'static str, name: &str) -> crate::error::Result<()> {
    use habtm_sql::identifier::{check, Problem};
    match check(name) {
        Ok(()) => Ok(()),
        Err(Problem::Empty) => Err(HabtmError::EmptyName { argument }),
        Err(Problem::TooLong) => Err(HabtmError::NameTooLong {
            argument,
            name: name.to_owned(),
        }),
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    #[pg_test]
    fn naming_functions_through_sql() {
        let cases = [
            (
                "join_table_name('projects', 'developers')",
                "developers_projects",
            ),
            (
                "join_table_name('papers', 'paper_boxes')",
                "paper_boxes_papers",
            ),
            ("singularize('people')", "person"),
            ("pluralize('octopus')", "octopi"),
            ("foreign_key('music.artists')", "artist_id"),
            ("tableize('SuperProject')", "super_projects"),
            ("classify('super_projects')", "SuperProject"),
        ];
        for (call, expected) in cases {
            assert_eq!(
                text(&format!("SELECT habtm.{call}")).as_deref(),
                Some(expected),
                "{call}"
            );
        }
    }

    #[pg_test]
    fn null_in_null_out() {
        for f in [
            "singularize",
            "pluralize",
            "foreign_key",
            "tableize",
            "classify",
        ] {
            assert_eq!(text(&format!("SELECT habtm.{f}(NULL)")), None, "{f}(NULL)");
        }
        assert_eq!(text("SELECT habtm.join_table_name(NULL, 'x')"), None);
        assert_eq!(text("SELECT habtm.join_table_name('x', NULL)"), None);
    }

    #[pg_test]
    fn declared_immutable_strict_parallel_safe() {
        let bad = Spi::get_one::<i64>(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'habtm'
                AND p.proname IN ('join_table_name','singularize','pluralize','foreign_key','tableize','classify')
                AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's')",
        );
        assert_eq!(bad, Ok(Some(0)));
        let commented = Spi::get_one::<i64>(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'habtm' AND obj_description(p.oid, 'pg_proc') IS NOT NULL
                AND p.proname IN ('join_table_name','singularize','pluralize','foreign_key','tableize','classify')",
        );
        assert_eq!(commented, Ok(Some(6)));
    }

    #[pg_test(error = "table '...' has no table part")]
    fn foreign_key_without_a_table_part_is_an_error() {
        text("SELECT habtm.foreign_key('...')");
    }

    #[pg_test]
    fn foreign_key_error_has_sqlstate_22023() {
        for name in ["", ".", "..."] {
            let q = format!("SELECT habtm.foreign_key('{name}')");
            assert_eq!(
                crate::testing::sqlstate_of(&q),
                "22023",
                "foreign_key({name:?})"
            );
        }
        assert_eq!(
            crate::testing::sqlstate_of("SELECT habtm.foreign_key('a.')"),
            "00000"
        );
    }
}
