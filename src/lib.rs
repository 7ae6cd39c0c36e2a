//! habtm: the many-to-many ("has and belongs to many") primitives that web frameworks keep
//! rebuilding in application code, as a PostgreSQL extension.
//!
//! The SQL surface is grouped by module; pure logic (Rails' naming rules) lives in the
//! `habtm-naming` crate and is wrapped here.

mod arrays;
mod catalog;
mod ddl;
mod error;
mod invalidation;
mod json;
mod naming;
mod operators;
mod ops;
mod pg_error;
mod plans;
mod polymorphic;
mod query;
mod raw;
mod regclass;
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
    invalidation::init();
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
