//! When the per-backend caches of catalog facts must be forgotten.
//!
//! habtm keeps what it reads from the catalog per backend: the associations behind the
//! association functions and the triggers (`catalog/cache.rs`). They hold names for generated
//! SQL, so they stay valid until PostgreSQL announces a change that could alter one: a
//! relation's (a rename, a new or retyped column, a key, a trigger — and `habtm.join_tables`
//! itself, whose writes announce one, see [`catalog_changed`]), or a schema's, type's,
//! collation's or operator's (renamed, they would leave a stale qualified name).
//!
//! The callbacks only count. A cache remembers the count it was filled at and starts over when
//! it has moved; nothing is freed or allocated while PostgreSQL processes invalidations.

use std::cell::Cell;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::trigger_support::PgTrigger;

thread_local! {
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

fn moved() {
    let _ = GENERATION.try_with(|g| g.set(g.get().wrapping_add(1)));
}

unsafe extern "C-unwind" fn relation_changed(_arg: pg_sys::Datum, _relid: pg_sys::Oid) {
    moved();
}

unsafe extern "C-unwind" fn name_changed(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    moved();
}

/// Registers the callbacks (from `_PG_init`, once per backend).
pub fn init() {
    // SAFETY: static callbacks registered once per backend; the syscache ids are PostgreSQL's.
    unsafe {
        pg_sys::CacheRegisterRelcacheCallback(Some(relation_changed), pg_sys::Datum::from(0));
        for cache in [
            pg_sys::SysCacheIdentifier::NAMESPACEOID,
            pg_sys::SysCacheIdentifier::TYPEOID,
            pg_sys::SysCacheIdentifier::COLLOID,
            pg_sys::SysCacheIdentifier::OPEROID,
        ] {
            pg_sys::CacheRegisterSyscacheCallback(
                cache as i32,
                Some(name_changed),
                pg_sys::Datum::from(0),
            );
        }
    }
}

/// The current count, as seen by this backend.
pub fn generation() -> u64 {
    GENERATION.with(Cell::get)
}

/// The count after taking in the invalidations other backends have committed since this backend
/// last looked (PostgreSQL does so at every new lock; a cache read before any lock does it here).
pub fn current_generation() -> u64 {
    // SAFETY: callable at any time in a transaction; cheap when nothing is queued.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    generation()
}

/// AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE … FOR EACH STATEMENT on `habtm.join_tables`:
/// announces the change to every backend (at commit; to this one at the next command), so
/// that no cache outlives a catalog row, however the row was written.
#[pg_trigger(sql = r#"
CREATE FUNCTION "catalog_changed"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'catalog_changed_wrapper';
"#)]
fn catalog_changed<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, std::convert::Infallible> {
    let relid = trigger.relid().expect("a trigger call has a relation");
    // SAFETY: queues a relcache invalidation message for an existing relation.
    unsafe { pg_sys::CacheInvalidateRelcacheByRelid(relid) };
    Ok(None)
}

pgrx::extension_sql!(
    "CREATE TRIGGER catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON join_tables
         FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();",
    name = "catalog_changed_trigger",
    requires = ["catalog", catalog_changed]
);
