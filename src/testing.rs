//! Helpers shared by the `#[pg_test]`s.

use pgrx::prelude::*;

/// The SQLSTATE a statement fails with, or `00000` when it succeeds.
pub fn sqlstate_of(statement: &str) -> String {
    Spi::run(
        "CREATE OR REPLACE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
         BEGIN EXECUTE q; RETURN '00000'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$",
    )
    .expect("helper created");
    Spi::get_one_with_args::<String>("SELECT pg_temp.sqlstate_of($1)", &[statement.into()])
        .expect("helper runs")
        .expect("a SQLSTATE")
}
