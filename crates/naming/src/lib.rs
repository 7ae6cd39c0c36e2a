//! Rails' naming rules, exactly: ActiveSupport's default English inflections and the names
//! ActiveRecord derives for join tables and their columns.
//!
//! Pure Rust with no PostgreSQL dependency; the extension wraps these functions. Fidelity is
//! checked against vectors produced by running real Rails (`tests/vectors/*.tsv`).

mod english;
mod inflections;
mod tables;

use std::sync::LazyLock;

pub use inflections::{CompiledInflections, Inflections};
pub use tables::{
    camelize, classify, foreign_key, join_table_name, tableize, underscore, NameError,
};

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
