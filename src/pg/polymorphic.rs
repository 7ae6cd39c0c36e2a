//! Arguments declared `"any"`: ids in their own types.
//!
//! An owner's id and the target ids have different key types (an `int` owner, `uuid` targets),
//! and an id is often written as a bare literal (`'bob'`, `'{1,2}'`). PostgreSQL's polymorphic
//! families cannot take an untyped literal (`anyelement` rejects `'bob'`), so these arguments are
//! `"any"`, like `format()`'s: each keeps its actual type, and an untyped literal arrives as
//! `unknown` (a C string) and is passed on as `text`, for the key type's input function to read.

use std::ffi::CStr;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;

/// An argument declared `"any"`, with the type it actually has.
#[derive(Debug, Clone, Copy)]
pub struct AnyValue {
    datum: pg_sys::Datum,
    typoid: pg_sys::Oid,
}

impl AnyValue {
    /// The argument's type; an untyped literal counts as `text`.
    pub fn type_oid(&self) -> pg_sys::Oid {
        if self.typoid == pg_sys::UNKNOWNOID {
            pg_sys::TEXTOID
        } else {
            self.typoid
        }
    }

    /// Whether the value is an array (of a real array type, not a literal) of exactly one
    /// element, NULL or not.
    pub fn is_single_element_array(&self) -> bool {
        // SAFETY: a syscache lookup; then the datum is an array of this very type, detoasted
        // (a copy if it was toasted, freed with the call's memory) before its header is read.
        unsafe {
            if self.typoid == pg_sys::UNKNOWNOID
                || pg_sys::get_element_type(self.typoid) == pg_sys::InvalidOid
            {
                return false;
            }
            let array = pg_sys::pg_detoast_datum(self.datum.cast_mut_ptr());
            let array = pgrx::array::RawArray::from_ptr(
                std::ptr::NonNull::new(array.cast()).expect("a detoasted array"),
            );
            array.dims() == [1]
        }
    }

    /// The value as an SPI parameter of its type (see [`AnyValue::type_oid`]). It borrows the
    /// argument's memory, which lives as long as the function call.
    pub fn param<'a>(&self) -> DatumWithOid<'a> {
        if self.typoid == pg_sys::UNKNOWNOID {
            // SAFETY: an `unknown` datum is a NUL-terminated C string.
            let literal = unsafe { CStr::from_ptr(self.datum.cast_mut_ptr::<std::ffi::c_char>()) };
            return literal.to_string_lossy().into_owned().into();
        }
        // SAFETY: the datum is the argument PostgreSQL passed with this very type.
        unsafe { DatumWithOid::new(*self, self.typoid) }
    }
}

impl FromDatum for AnyValue {
    const GET_TYPOID: bool = true;

    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        typoid: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(AnyValue { datum, typoid })
    }
}

impl IntoDatum for AnyValue {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.datum)
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::InvalidOid // the actual type travels with the value; see `param`
    }
}

// SAFETY: mirrors pgrx's impls for its own `AnyElement`.
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for AnyValue {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the caller guarantees a non-null argument.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

pgrx::impl_sql_translatable!(AnyValue, arg_only = "\"any\"");
