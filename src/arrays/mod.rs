//! SQL surface §4: id arrays on either side of a join table (Dynomite's `users.group_ids` and
//! `groups.user_ids`), kept equal to the join table by triggers.
//!
//! - `sort.rs`: arrays as sorted sets of any key type (`array_canonical`, `array_apply`).
//! - `config.rs`: which arrays a table takes part in, cached per backend.
//! - `statements.rs`: the set-based SQL the triggers run.
//! - `triggers.rs`: the trigger functions, locking and loop prevention.
//! - `api.rs`: `denormalize`, `normalize`, `check`, `repair`.

pub mod api;
pub mod config;
mod sort;
mod statements;
mod triggers;

/// An association's advisory lock (shared for join-table writers, exclusive for the rest).
pub use triggers::lock_association;

/// Registers the per-backend callbacks (from `_PG_init`).
pub fn init() {
    triggers::init();
}
