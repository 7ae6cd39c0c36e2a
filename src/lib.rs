//! habtm: the many-to-many ("has and belongs to many") primitives that web frameworks keep
//! rebuilding in application code, as a PostgreSQL extension.
//!
//! The map:
//! - [`naming`]: Rails' naming rules as SQL functions (the rules themselves are the pure
//!   `habtm-naming` crate) and PostgreSQL's identifier limit.
//! - [`catalog`]: the association catalog — every statement on it, the one association model
//!   and the per-backend cache every other part reads it through.
//! - [`join_tables`]: `create_join_table`, `adopt`, `drop_join_table`.
//! - [`associations`]: `add`, `remove`, `replace`, … `collection`: an association worked with
//!   from one side.
//! - [`arrays`]: id arrays on the side tables, kept exact by triggers (their SQL is the pure
//!   `habtm-sql` crate).
//! - [`pg`]: the PostgreSQL edge — FFI declarations, argument and result types, kept plans,
//!   invalidation, PostgreSQL's own errors.
//! - [`error`]: every error a user can see, with its SQLSTATE.
//!
//! How the triggers, locks and caches work: `docs/design.md`.

mod arrays;
mod associations;
mod catalog;
mod error;
mod join_tables;
mod naming;
mod pg;
#[cfg(any(test, feature = "pg_test"))]
mod testing;
pgrx::pg_module_magic!();

/// Called once per backend when the library is loaded.
#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // pgrx appends a Rust backtrace to the DETAIL of errors it re-raises when the server's
    // environment asks for backtraces (RUST_BACKTRACE): internals in a user-facing message.
    // RUST_LIB_BACKTRACE=0 turns off only that capture (a panic's own report still follows
    // RUST_BACKTRACE); a value set by the operator is left alone.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: _PG_init runs once, in a single-threaded backend, before any habtm code
        // reads the environment.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    pg::invalidation::init();
    arrays::init();
}

// Schema privileges and the catalog first; COMMENT ON for every public object at the end.
pgrx::extension_sql_file!("../sql/grants.sql", name = "grants", bootstrap);
pgrx::extension_sql_file!(
    "../sql/catalog.sql",
    name = "catalog",
    requires = ["grants"]
);
pgrx::extension_sql_file!("../sql/comments.sql", name = "comments", finalize);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
