//! LoopBack's filter for `habtm.collection`, parsed into a typed structure and compiled to SQL
//! text.
//!
//! ```json
//! {"where": {"and": [{"status": "active"}, {"budget": {"gte": 100}}]},
//!  "order": ["title DESC"], "limit": 10, "skip": 20, "fields": ["id", "title"]}
//! ```
//!
//! `where` takes equality (`{"col": value}`, `null` meaning IS NULL), `neq`, `gt`, `gte`, `lt`,
//! `lte`, `inq`, `nin`, `between`, `like`, `nlike`, `ilike`, `nilike`, and `and`/`or` lists;
//! several keys in one object are ANDed. `order` is `"col"`, `"col ASC"`, `"col DESC"` or a
//! list of them; `limit`, `skip` (or `offset`) are non-negative integers; `fields` is a list of
//! columns or an object of `column: true|false`. Columns are checked against the target table
//! and quoted; every value is a parameter, cast to its column's type. Rows are always ordered,
//! last by the target's key, so pages are stable.
//!
//! Pure Rust: what only PostgreSQL knows (which columns exist, how an identifier is quoted, a
//! column's type and its operators) comes from the caller's [`Target`]. Parsing recurses once
//! per nesting level of `and`/`or`: the caller bounds the depth of the document.

#![forbid(unsafe_code)]

mod compile;
mod parse;
mod quote;

pub use compile::Compiled;
pub use parse::Filter;
pub use quote::quote_literal;

/// The comparisons the filter language needs of a column's type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The table a filter reads, as the compiler needs to know it. Column names are passed as the
/// filter spells them, and only names for which [`Target::has_column`] said yes.
pub trait Target {
    /// What a failed operator lookup returns.
    type Error;

    /// Whether the table has a column of this name.
    fn has_column(&self, name: &str) -> bool;

    /// The name as an SQL identifier (PostgreSQL's `quote_identifier`).
    fn quote_identifier(&self, name: &str) -> String;

    /// The column's type as generated SQL writes it in a `CAST` (schema-qualified).
    fn type_sql(&self, column: &str) -> &str;

    /// The SQL operator (`OPERATOR(pg_catalog.=)`) comparing two values of the column's type
    /// as `cmp` does; a type without one is the caller's error.
    fn operator(&self, column: &str, cmp: Cmp) -> Result<String, Self::Error>;
}

/// Why a filter cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The filter's shape is wrong; `reason` reads after the word "filter".
    #[error("filter {reason}")]
    Malformed { reason: String },
    /// A column the target does not have.
    #[error("column {column:?} does not exist")]
    UnknownColumn { column: String },
    /// A key in an operator object that is no LoopBack operator.
    #[error("unknown filter operator {operator:?}")]
    UnknownOperator { operator: String },
}
