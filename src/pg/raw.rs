//! Results handed on as PostgreSQL's own datums, and the `result_type` arguments that type them.
//!
//! pgrx's `JsonB` parses every value into a `serde_json::Value` and serializes it back; a row or
//! an id array that habtm only hands on (`find`, `ids`) is copied instead, once, out of SPI's
//! memory into the caller's: [`Raw`]. Sets of rows (`collection`, `unassociated`) are not copied
//! at all: the statement writes them into the function's result set ([`Materialized`]). The kind
//! says the SQL type a function is declared with: `jsonb`, or `anyelement` / `anyarray` for the
//! typed forms, whose actual type PostgreSQL takes from a [`ResultType`] argument
//! (`NULL::projects`), as it does for `jsonb_populate_record`.

use std::marker::PhantomData;

use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::nullable::Nullable;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;

/// The SQL type a [`Raw`] result or a [`ResultType`] argument is declared with.
pub trait Kind: 'static {
    const TYPE_OID: pg_sys::Oid;
}

/// `jsonb`.
#[derive(Debug, Clone, Copy)]
pub struct Json;
/// `anyelement`: a row of the table named by a `result_type` argument.
#[derive(Debug, Clone, Copy)]
pub struct Element;
/// `anyarray`: ids, as an array of the type named by a `result_type` argument.
#[derive(Debug, Clone, Copy)]
pub struct Array;

impl Kind for Json {
    const TYPE_OID: pg_sys::Oid = pg_sys::JSONBOID;
}
impl Kind for Element {
    const TYPE_OID: pg_sys::Oid = pg_sys::ANYELEMENTOID;
}
impl Kind for Array {
    const TYPE_OID: pg_sys::Oid = pg_sys::ANYARRAYOID;
}

/// A varlena datum (a jsonb value, a row, an array), not parsed.
#[derive(Debug, Clone, Copy)]
pub struct Raw<K: Kind> {
    datum: pg_sys::Datum,
    kind: PhantomData<K>,
}

pub type RawJsonb = Raw<Json>;

impl<K: Kind> FromDatum for Raw<K> {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Self> {
        (!is_null).then_some(Raw {
            datum,
            kind: PhantomData,
        })
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
        // SAFETY: every kind is a varlena type (jsonb, a composite row, an array); the
        // detoasted, flattened copy is allocated in the memory context switched to, which
        // outlives the SPI connection.
        unsafe {
            memory_context.switch_to(|_| {
                let copy = pg_sys::pg_detoast_datum_copy(datum.cast_mut_ptr());
                Some(Raw {
                    datum: pg_sys::Datum::from(copy),
                    kind: PhantomData,
                })
            })
        }
    }
}

impl<K: Kind> IntoDatum for Raw<K> {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(self.datum)
    }

    fn type_oid() -> pg_sys::Oid {
        K::TYPE_OID
    }
}

// SAFETY: the datum is a complete varlena in memory that outlives the call, of the type the
// function is declared (or, for the polymorphic kinds, resolved) to return.
unsafe impl<K: Kind> BoxRet for Raw<K> {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
        // SAFETY: see above.
        unsafe { fcinfo.return_raw_datum(self.datum) }
    }
}

// SAFETY: a jsonb argument handed on as its datum (`create`'s attributes), never parsed here.
unsafe impl<'fcx> ArgAbi<'fcx> for Raw<Json> {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the caller guarantees a non-null jsonb argument.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }
}

pgrx::impl_sql_translatable!(Raw<Json>, "jsonb");
pgrx::impl_sql_translatable!(Raw<Element>, "anyelement");
pgrx::impl_sql_translatable!(Raw<Array>, "anyarray");

/// A `result_type` argument: only its type matters (`NULL::projects`, `NULL::bigint[]`), and it
/// is read even when the value is NULL, as it usually is.
#[derive(Debug, Clone, Copy)]
pub struct ResultType<K: Kind> {
    pub oid: pg_sys::Oid,
    kind: PhantomData<K>,
}

// SAFETY: the value is never read, only the argument's resolved type.
unsafe impl<'fcx, K: Kind> ArgAbi<'fcx> for ResultType<K> {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        ResultType {
            oid: arg.raw_oid(),
            kind: PhantomData,
        }
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        // SAFETY: as above; a NULL value is what callers pass.
        Nullable::Valid(unsafe { Self::unbox_arg_unchecked(arg) })
    }
}

pgrx::impl_sql_translatable!(ResultType<Element>, arg_only = "anyelement");
pgrx::impl_sql_translatable!(ResultType<Array>, arg_only = "anyarray");

/// The result of a set-returning function whose rows were written straight into its result set
/// ([`crate::pg::plans::into_result_set`], materialize mode): nothing is left to return per call.
pub struct Materialized<K: Kind>(PhantomData<K>);

impl<K: Kind> Materialized<K> {
    /// Vouches that the rows were written into the call's result set.
    pub fn written() -> Self {
        Materialized(PhantomData)
    }
}

// SAFETY: `into_result_set` put the call in materialize mode (returnMode, setResult, setDesc) in
// the same call; the executor ignores the datum returned then.
unsafe impl<K: Kind> pgrx::callconv::RetAbi for Materialized<K> {
    type Item = Self;
    type Ret = Self;

    fn to_ret(self) -> Self::Ret {
        self
    }

    unsafe fn box_ret_in_fcinfo(_fcinfo: pg_sys::FunctionCallInfo, _ret: Self) -> pg_sys::Datum {
        pg_sys::Datum::from(0)
    }

    unsafe fn move_into_fcinfo_fcx(self, _fcinfo: pg_sys::FunctionCallInfo) {}

    unsafe fn fill_fcinfo_fcx(&self, _fcinfo: pg_sys::FunctionCallInfo) {}
}

macro_rules! setof {
    ($kind:ty, $sql:literal) => {
        // SAFETY: declared `SETOF` the kind's type, which is what the rows written are.
        unsafe impl pgrx::pgrx_sql_entity_graph::metadata::SqlTranslatable for Materialized<$kind> {
            const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(Materialized<$kind>);
            const TYPE_ORIGIN: pgrx::pgrx_sql_entity_graph::metadata::TypeOrigin =
                pgrx::pgrx_sql_entity_graph::metadata::TypeOrigin::External;
            const ARGUMENT_SQL: Result<
                pgrx::pgrx_sql_entity_graph::metadata::SqlMappingRef,
                pgrx::pgrx_sql_entity_graph::metadata::ArgumentError,
            > = Err(pgrx::pgrx_sql_entity_graph::metadata::ArgumentError::SetOf);
            const RETURN_SQL: Result<
                pgrx::pgrx_sql_entity_graph::metadata::ReturnsRef,
                pgrx::pgrx_sql_entity_graph::metadata::ReturnsError,
            > = Ok(pgrx::pgrx_sql_entity_graph::metadata::ReturnsRef::SetOf(
                pgrx::pgrx_sql_entity_graph::metadata::SqlMappingRef::literal($sql),
            ));
        }
    };
}
setof!(Json, "jsonb");
setof!(Element, "anyelement");
