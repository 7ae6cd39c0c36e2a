//! habtm's SQL text, without PostgreSQL: what can be decided about an identifier before it
//! reaches the server ([`identifier`]), and the set-based statements the id-array triggers,
//! `check` and `repair` run ([`arrays`]), generated from an association's quoted names
//! ([`Shape`]). The extension reads the names from the catalog; the tests here read the SQL.

#![forbid(unsafe_code)]

pub mod arrays;
pub mod identifier;
mod shape;

pub use shape::{ArrayShape, Shape, SideShape};
