//! PostgreSQL functions that pgrx does not bind, declared here and nowhere else.

use pgrx::pg_sys;

unsafe extern "C" {
    // executor/tstoreReceiver.h; it only fills in fields.
    pub fn SetTuplestoreDestReceiverParams(
        receiver: *mut pg_sys::DestReceiver,
        store: *mut pg_sys::Tuplestorestate,
        context: pg_sys::MemoryContext,
        detoast: bool,
        target: pg_sys::TupleDesc,
        map_failure_msg: *const std::ffi::c_char,
    );

    // elog.h. Called without pgrx's guard, which would catch the jump and rebuild the error
    // without its fields; it copies `edata` into the error stack and never returns (it leaves
    // by longjmp, not by unwinding: "C", not "C-unwind").
    #[link_name = "ReThrowError"]
    pub fn rethrow_unguarded(edata: *mut pg_sys::ErrorData) -> !;

    // utils/datum.h. datumCopy only raises when out of memory (callers are guarded);
    // datumIsEqual never raises.
    pub fn datumCopy(value: pg_sys::Datum, typ_by_val: bool, typ_len: i32) -> pg_sys::Datum;
    pub fn datumIsEqual(a: pg_sys::Datum, b: pg_sys::Datum, typ_by_val: bool, typ_len: i32)
        -> bool;
}
