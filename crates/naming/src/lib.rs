//! Rails' naming rules, exactly: ActiveSupport's default English inflections and the names
//! ActiveRecord derives for join tables and their columns.
//!
//! Pure Rust with no PostgreSQL dependency; the extension wraps these functions. Fidelity is
//! checked against vectors produced by running real Rails (`crates/naming/tests/vectors/*.tsv`).

#![forbid(unsafe_code)]

mod english;
mod inflections;
mod tables;

use std::sync::{LazyLock, OnceLock};

pub use inflections::{CompiledInflections, Inflections};
pub use tables::{
    camelize, classify, foreign_key, join_table_name, tableize, underscore, NameError,
};

/// What the loops over input call now and then (every 64 KiB of a long name): the extension
/// sets PostgreSQL's interrupt check, so that a cancel or `statement_timeout` stops a call on a
/// huge argument. Unset, nothing is called.
static INTERRUPT_CHECK: OnceLock<fn()> = OnceLock::new();

/// Sets the function the loops over input call now and then (once per process; later calls
/// are ignored).
pub fn set_interrupt_check(check: fn()) {
    let _ = INTERRUPT_CHECK.set(check);
}

/// Gives the interrupt check a chance to run.
pub(crate) fn interrupt_point() {
    if let Some(check) = INTERRUPT_CHECK.get() {
        check();
    }
}

/// How many bytes of input the loops handle between interrupt points.
pub(crate) const INTERRUPT_STRIDE: usize = 64 << 10;

/// The default English rules, compiled once per process on first use.
static ENGLISH: LazyLock<CompiledInflections> = LazyLock::new(|| {
    Inflections::english()
        .compile()
        .expect("the built-in English rules are valid regular expressions")
});

/// The compiled default English rule set.
pub fn english() -> &'static CompiledInflections {
    &ENGLISH
}

/// `ActiveSupport::Inflector.pluralize(word)` with the default English rules.
///
/// ```
/// assert_eq!(habtm_naming::pluralize("person"), "people");
/// assert_eq!(habtm_naming::pluralize("octopus"), "octopi");
/// ```
pub fn pluralize(word: &str) -> String {
    ENGLISH.pluralize(word)
}

/// `ActiveSupport::Inflector.singularize(word)` with the default English rules.
///
/// ```
/// assert_eq!(habtm_naming::singularize("statuses"), "status");
/// assert_eq!(habtm_naming::singularize("PEOPLE"), "Person");
/// ```
pub fn singularize(word: &str) -> String {
    ENGLISH.singularize(word)
}
