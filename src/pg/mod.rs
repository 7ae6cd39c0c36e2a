//! The PostgreSQL edge: what habtm needs from the server beyond pgrx's bindings.
//!
//! - `ffi.rs`: the server functions pgrx does not bind (the only `extern` declarations).
//! - Argument and result types: `regclass.rs`, `polymorphic.rs` (`"any"`), `json.rs` (jsonb
//!   read exactly), `raw.rs` (jsonb and typed results passed through unconverted).
//! - `plans.rs`: statements prepared once per backend and kept.
//! - `invalidation.rs`: when what a backend keeps must be forgotten.
//! - `operators.rs`: each type's own operators and names, qualified.
//! - `errors.rs`: PostgreSQL's own errors re-raised whole through habtm's entry points.

pub mod errors;
pub mod ffi;
pub mod invalidation;
pub mod json;
pub mod operators;
pub mod plans;
pub mod polymorphic;
pub mod raw;
pub mod regclass;
