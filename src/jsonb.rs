//! `jsonb` passed through as PostgreSQL's own datum. pgrx's `JsonB` parses every value into a
//! `serde_json::Value` and serializes it back; rows that habtm only hands on (collection,
//! unassociated) are copied instead, once, out of SPI's memory into the caller's.

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;

/// A `jsonb` datum, not parsed.
#[derive(Debug, Clone, Copy)]
pub struct RawJsonb(pg_sys::Datum);

impl FromDatum for RawJsonb {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(RawJsonb(datum))
    }

    unsafe fn from_datum_in_memory_context(
        mut memory_context: PgMemoryContexts,
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null || datum.is_null() {
            return None;
        }
        // SAFETY: a non-null jsonb datum is a varlena; the (detoasted) copy is allocated in the
        // memory context switched to, which outlives the SPI connection.
        unsafe {
            memory_context.switch_to(|_| {
                let copy = pg_sys::pg_detoast_datum_copy(datum.cast_mut_ptr());
                Some(RawJsonb(pg_sys::Datum::from(copy)))
            })
        }
    }
}

impl IntoDatum for RawJsonb {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.0)
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

// SAFETY: the datum is a complete jsonb varlena in memory that outlives the call.
unsafe impl pgrx::callconv::BoxRet for RawJsonb {
    unsafe fn box_into<'fcx>(
        self,
        fcinfo: &mut pgrx::callconv::FcInfo<'fcx>,
    ) -> pgrx::datum::Datum<'fcx> {
        // SAFETY: see above.
        unsafe { fcinfo.return_raw_datum(self.0) }
    }
}

pgrx::impl_sql_translatable!(RawJsonb, "jsonb");
