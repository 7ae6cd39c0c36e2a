//! `regclass` as a plain OID newtype, for arguments and results that name existing relations.
//! (pgrx's `PgRelation` would open and lock the relation just to pass it around.)

use pgrx::pg_sys;
use pgrx::prelude::*;

/// A relation OID that PostgreSQL sees as `regclass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegClass(pub pg_sys::Oid);

impl RegClass {
    /// The relation's name as `regclass` prints it (schema-qualified only when the caller's
    /// `search_path` does not find it), for messages.
    pub fn shown(self) -> String {
        let arg = [Some(pg_sys::Datum::from(self.0))];
        // SAFETY: regclassout takes one OID (an unknown one prints as a number) and returns a
        // palloc'd C string.
        unsafe {
            let out = pgrx::direct_function_call_as_datum(pg_sys::regclassout, &arg)
                .expect("regclassout returns a string");
            std::ffi::CStr::from_ptr(out.cast_mut_ptr::<std::ffi::c_char>())
                .to_string_lossy()
                .into_owned()
        }
    }
}

impl FromDatum for RegClass {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        // SAFETY: a regclass datum is an OID passed by value.
        unsafe { pg_sys::Oid::from_polymorphic_datum(datum, is_null, pg_sys::OIDOID) }.map(RegClass)
    }
}

impl IntoDatum for RegClass {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        self.0.into_datum()
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::REGCLASSOID
    }
}

pgrx::impl_sql_translatable!(RegClass, "regclass");

// SAFETY: a regclass argument or result is an OID passed by value, exactly as pgrx passes
// `pg_sys::Oid`; these two impls mirror pgrx's own for that type.
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for RegClass {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the caller guarantees a non-null regclass argument.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

unsafe impl pgrx::callconv::BoxRet for RegClass {
    unsafe fn box_into<'fcx>(
        self,
        fcinfo: &mut pgrx::callconv::FcInfo<'fcx>,
    ) -> pgrx::datum::Datum<'fcx> {
        // SAFETY: an OID datum needs no allocation and is returned as is.
        unsafe { fcinfo.return_raw_datum(pg_sys::Datum::from(self.0)) }
    }
}
