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

/// Registers the per-backend callbacks (from `_PG_init`).
pub fn init() {
    config::init();
    triggers::init();
}

/// Takes an association's advisory lock in shared mode, as a join-table writer does.
pub fn lock_shared(a: &config::Association) {
    triggers::lock_shared(a);
}
