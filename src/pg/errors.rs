//! PostgreSQL's own errors, re-raised whole.
//!
//! An error raised inside a statement habtm runs (a foreign-key violation from `habtm.add`, a
//! user's trigger) reaches Rust as a panic through pgrx's FFI guard, which keeps only its
//! SQLSTATE, message, detail, hint and context: the schema, table, column, data type and
//! constraint names that a plain `INSERT` reports (and that clients and PL/pgSQL's
//! `GET STACKED DIAGNOSTICS` read) would be lost. [`keeping_errors`] keeps a copy of the error
//! as PostgreSQL built it (an error context callback, which `errfinish` calls before it jumps)
//! and, when that error ends the call, throws the copy again with `ReThrowError`, unchanged.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use pgrx::pg_sys;
use pgrx::pg_sys::panic::CaughtError;

use super::ffi::rethrow_unguarded;

thread_local! {
    /// The last error raised while a [`keeping_errors`] call was running, copied into the
    /// transaction's memory (an inner call's own memory may be gone when an outer call throws
    /// it again; an aborted transaction frees it).
    static LAST: Cell<*mut pg_sys::ErrorData> = const { Cell::new(std::ptr::null_mut()) };
    /// How many [`keeping_errors`] calls are running (a habtm trigger fired by a habtm call).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The error context callback: copies the error being raised (errfinish calls it for every
/// level; only errors are kept).
unsafe extern "C-unwind" fn remember(_arg: *mut std::ffi::c_void) {
    // SAFETY: errfinish calls this with the error being finished on top of the error stack and
    // ErrorContext current; the copy goes to the transaction's memory.
    unsafe {
        let old = pg_sys::MemoryContextSwitchTo(pg_sys::TopTransactionContext);
        let copy = pg_sys::CopyErrorData();
        pg_sys::MemoryContextSwitchTo(old);
        if (*copy).elevel >= pgrx::PgLogLevel::ERROR as i32 {
            LAST.with(|l| l.set(copy));
        } else {
            pg_sys::FreeErrorData(copy);
        }
    }
}

/// Pops the callback pushed by [`keeping_errors`] (also when a panic unwinds).
struct Registered {
    previous: *mut pg_sys::ErrorContextCallback,
}

impl Drop for Registered {
    fn drop(&mut self) {
        // SAFETY: restores the stack as it was before the push.
        unsafe { pg_sys::error_context_stack = self.previous };
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Runs `f`, the whole body of a function or trigger habtm gives PostgreSQL; an error that
/// PostgreSQL raised inside it and that ends it is thrown again exactly as PostgreSQL built it.
/// Errors habtm raises itself, and errors caught inside (a user's `EXCEPTION` block), pass as
/// they are.
///
/// Must be called at the top of the function body, with nothing of the caller's left to drop:
/// the rethrow leaves Rust frames by `longjmp`, as every PostgreSQL error does, and the frames
/// between here and PostgreSQL (pgrx's wrapper) hold nothing to drop.
pub fn keeping_errors<R>(f: impl FnOnce() -> R) -> R {
    let mut callback = pg_sys::ErrorContextCallback {
        previous: std::ptr::null_mut(),
        callback: Some(remember),
        arg: std::ptr::null_mut(),
    };
    if DEPTH.with(|d| d.replace(d.get() + 1)) == 0 {
        LAST.with(|l| l.set(std::ptr::null_mut()));
    }
    let outcome = {
        // SAFETY: pushes a callback that lives on this frame until `registered` pops it.
        let registered = unsafe {
            callback.previous = pg_sys::error_context_stack;
            pg_sys::error_context_stack = &mut callback;
            Registered {
                previous: callback.previous,
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(f));
        drop(registered);
        outcome
    };
    let payload = match outcome {
        Ok(value) => return value,
        Err(payload) => payload,
    };
    // kept for an outer call, which sees the same error come back reduced by pgrx's guard
    let last = LAST.with(|l| l.get());
    let same = match payload.downcast_ref::<CaughtError>() {
        Some(CaughtError::PostgresError(report)) if !last.is_null() => {
            // pgrx knows only PostgreSQL's own codes: a user's (`RAISE ... USING ERRCODE =
            // 'FZ001'`) reaches it as XX000
            let code = report.sql_error_code();
            // SAFETY: `last` is a complete copy made by CopyErrorData.
            unsafe {
                ((*last).sqlerrcode == code as i32
                    || code == pgrx::PgSqlErrorCode::ERRCODE_INTERNAL_ERROR)
                    && !(*last).message.is_null()
                    && std::ffi::CStr::from_ptr((*last).message).to_bytes()
                        == report.message().as_bytes()
            }
        }
        _ => false,
    };
    if !same {
        resume_unwind(payload);
    }
    drop(payload);
    // SAFETY: nothing is left to drop here (the closure and the panic payload are gone), and
    // pgrx's frames above hold nothing to drop either; PostgreSQL's handler takes over as for
    // any error.
    unsafe { rethrow_unguarded(last) }
}
