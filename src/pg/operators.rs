//! Operators and type names for generated SQL, resolved from the catalog so that a statement
//! means the same under any `search_path`.
//!
//! A comparison of keys or filter values uses the operator of the type's own default btree
//! operator class (`citext`'s `=` for a `citext` key, not `text`'s through the implicit cast),
//! written `OPERATOR(schema.op)` with its schema, so that an operator planted earlier on the
//! caller's path is never chosen. Results are kept per backend: operator classes and the
//! operators they name do not change under a running application, and a dropped one is
//! PostgreSQL's own error at the next statement.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::pg_sys;

use crate::error::{HabtmError, Result};

/// The comparisons the filter language and the key statements need.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// The operator's usual name, for messages.
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "<>",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

/// Operators by type and comparison, as `OPERATOR(schema.op)`.
type Found = HashMap<(pg_sys::Oid, Cmp), String>;

thread_local! {
    /// The operators looked up, and the invalidation count they were looked up at: a renamed
    /// schema (an extension's type moved or renamed, `citext`'s `=` with it) or a changed
    /// operator moves the count, and the names are looked up again.
    static OPERATORS: RefCell<(u64, Found)> = RefCell::new((0, Found::new()));
}

/// `OPERATOR(schema.op)` comparing two values of type `ty` as its default btree operator class
/// does (for `Ne`, the negator of its `=`). A type without a default btree class has no such
/// operator: an error naming the type.
pub fn operator(ty: pg_sys::Oid, cmp: Cmp) -> Result<String> {
    let now = super::invalidation::generation();
    let hit = OPERATORS.with(|m| {
        let mut m = m.borrow_mut();
        if m.0 != now {
            *m = (now, Found::new());
        }
        m.1.get(&(ty, cmp)).cloned()
    });
    if let Some(hit) = hit {
        return Ok(hit);
    }
    // SAFETY: lookup_type_cache accepts any type OID (an unknown one is an ERROR) and returns a
    // pointer into the long-lived type cache; the fields read are plain OIDs.
    let opno = unsafe {
        let flags = (pg_sys::TYPECACHE_EQ_OPR | pg_sys::TYPECACHE_BTREE_OPFAMILY) as i32;
        let entry = pg_sys::lookup_type_cache(ty, flags);
        let (family, input) = ((*entry).btree_opf, (*entry).btree_opintype);
        let strategy = match cmp {
            Cmp::Eq | Cmp::Ne => None,
            Cmp::Lt => Some(pg_sys::BTLessStrategyNumber),
            Cmp::Le => Some(pg_sys::BTLessEqualStrategyNumber),
            Cmp::Ge => Some(pg_sys::BTGreaterEqualStrategyNumber),
            Cmp::Gt => Some(pg_sys::BTGreaterStrategyNumber),
        };
        match strategy {
            _ if family == pg_sys::InvalidOid => pg_sys::InvalidOid,
            None => {
                let eq = (*entry).eq_opr;
                if cmp == Cmp::Ne && eq != pg_sys::InvalidOid {
                    pg_sys::get_negator(eq)
                } else {
                    eq
                }
            }
            Some(s) => pg_sys::get_opfamily_member(family, input, input, s as i16),
        }
    };
    if opno == pg_sys::InvalidOid {
        return Err(HabtmError::NoComparison {
            type_name: type_name(ty),
            comparison: cmp.symbol(),
        });
    }
    let sql = qualified_operator(opno);
    if super::invalidation::generation() == now {
        OPERATORS.with(|m| m.borrow_mut().1.insert((ty, cmp), sql.clone()));
    }
    Ok(sql)
}

/// `OPERATOR(schema.op)` for an operator OID.
fn qualified_operator(opno: pg_sys::Oid) -> String {
    // SAFETY: syscache lookups of an operator that exists (it was just found); the strings are
    // palloc'd copies.
    unsafe {
        let name = std::ffi::CStr::from_ptr(pg_sys::get_opname(opno))
            .to_string_lossy()
            .into_owned();
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::OPEROID as i32,
            pg_sys::Datum::from(opno),
        );
        let form = pg_sys::GETSTRUCT(tuple) as *const pg_sys::FormData_pg_operator;
        let namespace = (*form).oprnamespace;
        pg_sys::ReleaseSysCache(tuple);
        let schema = std::ffi::CStr::from_ptr(pg_sys::get_namespace_name(namespace))
            .to_string_lossy()
            .into_owned();
        format!("OPERATOR({}.{name})", pgrx::spi::quote_identifier(&schema))
    }
}

/// A type's name as PostgreSQL prints it (qualified when not on the search path), for messages.
pub fn type_name(oid: pg_sys::Oid) -> String {
    // SAFETY: format_type_be accepts any OID (an unknown one prints as "???") and returns a
    // palloc'd C string.
    unsafe { std::ffi::CStr::from_ptr(pg_sys::format_type_be(oid)) }
        .to_string_lossy()
        .into_owned()
}

/// A column type for generated SQL: schema-qualified unless it is one of SQL's own type names
/// (`bigint`, `character varying(20)`), with its modifier.
pub fn qualified_type(oid: pg_sys::Oid, typmod: i32) -> String {
    let flags = (pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN | pg_sys::FORMAT_TYPE_FORCE_QUALIFY) as u16;
    // SAFETY: format_type_extended accepts any OID and returns a palloc'd C string.
    unsafe { std::ffi::CStr::from_ptr(pg_sys::format_type_extended(oid, typmod, flags)) }
        .to_string_lossy()
        .into_owned()
}
