//! Id arrays as sorted, duplicate-free sets, for any key type.
//!
//! The triggers keep an array canonical by merging a sorted delta into an already sorted array
//! (linear, no SQL sort per row). Elements are compared with the type's default btree order, in
//! the array column's collation, so the order is the one `ORDER BY` gives; `int2`/`int4`/`int8`
//! are compared natively, everything else through the type's comparison function. The set
//! algorithms themselves are `habtm-sets`' (pure, property-tested); this is their datum side.

use std::cmp::Ordering;

use pgrx::pg_sys;
use pgrx::prelude::*;

use habtm_sets::{apply_by, canonicalize_by, renamed_by, same_set_by};

use crate::error::{HabtmError, OrRaise, Result};

/// How to compare two elements.
enum Compare {
    Int2,
    Int4,
    Int8,
    /// The btree comparison function, called with `collation`.
    Function {
        finfo: *mut pg_sys::FmgrInfo,
        collation: pg_sys::Oid,
    },
}

/// An element type: storage facts for (de)constructing arrays, and its order.
pub struct ElementType {
    oid: pg_sys::Oid,
    len: i16,
    byval: bool,
    align: std::ffi::c_char,
    compare: Compare,
}

impl ElementType {
    /// Looks the type up (cached by PostgreSQL's type cache). A type without a default btree
    /// order cannot be a set's element.
    pub fn new(oid: pg_sys::Oid, collation: pg_sys::Oid) -> Result<ElementType> {
        // SAFETY: lookup_type_cache returns a pointer into the long-lived type cache (or raises).
        let entry =
            unsafe { &*pg_sys::lookup_type_cache(oid, pg_sys::TYPECACHE_CMP_PROC_FINFO as i32) };
        if entry.cmp_proc == pg_sys::InvalidOid {
            // SAFETY: format_type_be returns a palloc'd C string for any type OID (or raises).
            let type_name = unsafe {
                std::ffi::CStr::from_ptr(pg_sys::format_type_be(oid))
                    .to_string_lossy()
                    .into_owned()
            };
            return Err(HabtmError::Unorderable { type_name });
        }
        let compare = match oid {
            pg_sys::INT2OID => Compare::Int2,
            pg_sys::INT4OID => Compare::Int4,
            pg_sys::INT8OID => Compare::Int8,
            _ => Compare::Function {
                finfo: &entry.cmp_proc_finfo as *const _ as *mut _,
                collation,
            },
        };
        Ok(ElementType {
            oid,
            len: entry.typlen,
            byval: entry.typbyval,
            align: entry.typalign,
            compare,
        })
    }

    fn cmp(&self, a: pg_sys::Datum, b: pg_sys::Datum) -> Ordering {
        match self.compare {
            Compare::Int2 => (a.value() as i16).cmp(&(b.value() as i16)),
            Compare::Int4 => (a.value() as i32).cmp(&(b.value() as i32)),
            Compare::Int8 => (a.value() as i64).cmp(&(b.value() as i64)),
            Compare::Function { finfo, collation } => {
                // SAFETY: finfo is the type cache's comparison function for this very type; a
                // failure inside it is raised and unwinds as a Rust panic through pgrx's guard.
                let r = unsafe { pg_sys::FunctionCall2Coll(finfo, collation, a, b) };
                (r.value() as i32).cmp(&0)
            }
        }
    }

    /// Sorts and removes duplicates, unless the elements are canonical already (a linear check,
    /// the common case for a stored array). Returns whether anything changed.
    fn canonicalize(&self, elems: &mut Vec<pg_sys::Datum>) -> bool {
        canonicalize_by(elems, |a, b| self.cmp(a, b))
    }

    /// The elements of a one-dimensional array without NULLs. `what` names the array in errors.
    ///
    /// # Safety
    /// `array` must be a (possibly toasted) array datum whose element type is this type.
    pub unsafe fn elements(&self, array: pg_sys::Datum, what: &str) -> Result<Vec<pg_sys::Datum>> {
        // SAFETY: the caller passes an array datum; detoasting returns a palloc'd copy or itself.
        let arr =
            unsafe { pg_sys::pg_detoast_datum(array.cast_mut_ptr()) } as *mut pg_sys::ArrayType;
        // SAFETY: arr is a detoasted array header.
        let ndim = unsafe { (*arr).ndim };
        if ndim > 1 {
            return Err(HabtmError::BadIdArray {
                what: what.to_owned(),
                reason: "is multidimensional",
            });
        }
        let mut values: *mut pg_sys::Datum = std::ptr::null_mut();
        let mut nulls: *mut bool = std::ptr::null_mut();
        let mut n: i32 = 0;
        // SAFETY: deconstruct_array with this type's storage facts, as its contract requires.
        unsafe {
            pg_sys::deconstruct_array(
                arr,
                self.oid,
                self.len as i32,
                self.byval,
                self.align,
                &mut values,
                &mut nulls,
                &mut n,
            );
        }
        let n = n as usize;
        if n == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: deconstruct_array returned n datums and n null flags.
        let (values, nulls) = unsafe {
            (
                std::slice::from_raw_parts(values, n),
                std::slice::from_raw_parts(nulls, n),
            )
        };
        if nulls.iter().any(|&null| null) {
            return Err(HabtmError::BadIdArray {
                what: what.to_owned(),
                reason: "contains NULL",
            });
        }
        Ok(values.to_vec())
    }

    /// A one-dimensional array of the elements (lower bound 1).
    pub fn build(&self, elems: &[pg_sys::Datum]) -> pg_sys::Datum {
        // SAFETY: the datums are of this type, and construct_array copies them.
        unsafe {
            if elems.is_empty() {
                pg_sys::Datum::from(pg_sys::construct_empty_array(self.oid))
            } else {
                pg_sys::Datum::from(pg_sys::construct_array(
                    elems.as_ptr() as *mut pg_sys::Datum,
                    elems.len() as i32,
                    self.oid,
                    self.len as i32,
                    self.byval,
                    self.align,
                ))
            }
        }
    }

    /// `array` as a canonical set: `None` when it is one already (keep the datum as it is).
    ///
    /// # Safety
    /// As for [`ElementType::elements`].
    pub unsafe fn canonical(
        &self,
        array: pg_sys::Datum,
        what: &str,
    ) -> Result<Option<pg_sys::Datum>> {
        // SAFETY: forwarded contract.
        let mut elems = unsafe { self.elements(array, what)? };
        // A stored array must also have the default lower bound to compare equal to `'{…}'`.
        // SAFETY: as in `elements`; detoasting again is cheap next to the work above.
        let lower_one = unsafe {
            let arr = pg_sys::pg_detoast_datum(array.cast_mut_ptr()) as *mut pg_sys::ArrayType;
            let ndim = (*arr).ndim as usize;
            // dimensions, then lower bounds, follow the header
            let dims = arr.add(1) as *const i32;
            ndim == 0 || *dims.add(ndim) == 1
        };
        if !self.canonicalize(&mut elems) && lower_one {
            return Ok(None);
        }
        Ok(Some(self.build(&elems)))
    }

    /// Whether two values of this type are equal (its default btree order).
    pub fn equal(&self, a: pg_sys::Datum, b: pg_sys::Datum) -> bool {
        self.cmp(a, b) == Ordering::Equal
    }

    /// `array` with `was` replaced by `is` (when it holds `was`), as a canonical set.
    ///
    /// # Safety
    /// As for [`ElementType::elements`]; `was` and `is` are values of this type.
    pub unsafe fn renamed(
        &self,
        array: pg_sys::Datum,
        was: pg_sys::Datum,
        is: pg_sys::Datum,
        what: &str,
    ) -> Result<pg_sys::Datum> {
        // SAFETY: forwarded contract.
        let elems = unsafe { self.elements(array, what)? };
        Ok(match renamed_by(elems, was, is, |a, b| self.cmp(a, b)) {
            None => array,
            Some(elems) => self.build(&elems),
        })
    }

    /// Whether two lists hold the same set of values (order and repeats aside).
    pub fn same_set(&self, a: Vec<pg_sys::Datum>, b: Vec<pg_sys::Datum>) -> bool {
        same_set_by(a, b, |x, y| self.cmp(x, y))
    }

    /// `(current − removed) ∪ added` as a canonical set.
    pub fn apply(
        &self,
        current: Vec<pg_sys::Datum>,
        removed: Vec<pg_sys::Datum>,
        added: Vec<pg_sys::Datum>,
    ) -> Vec<pg_sys::Datum> {
        apply_by(current, removed, added, |a, b| self.cmp(a, b))
    }

    /// `habtm.array_apply` on three array datums of this type (`removed` and `added` may be
    /// absent). Integer arrays are merged on their data directly (a copy in, a copy out);
    /// other types, and arrays the fast path does not take (NULLs, more dimensions: the generic
    /// path reports them), go element by element.
    ///
    /// # Safety
    /// Every datum must be a (possibly toasted) array of this type.
    pub unsafe fn apply_arrays(
        &self,
        ids: pg_sys::Datum,
        removed: Option<pg_sys::Datum>,
        added: Option<pg_sys::Datum>,
    ) -> Result<pg_sys::Datum> {
        // SAFETY: forwarded contract.
        let typed = unsafe {
            match self.compare {
                Compare::Int2 => self.apply_ints::<i16>(ids, removed, added),
                Compare::Int4 => self.apply_ints::<i32>(ids, removed, added),
                Compare::Int8 => self.apply_ints::<i64>(ids, removed, added),
                Compare::Function { .. } => None,
            }
        };
        if let Some(out) = typed {
            return Ok(out);
        }
        let list = |d: Option<pg_sys::Datum>, what| match d {
            // SAFETY: forwarded contract.
            Some(d) => unsafe { self.elements(d, what) },
            None => Ok(Vec::new()),
        };
        // SAFETY: forwarded contract.
        let current = unsafe { self.elements(ids, "ids")? };
        let (removed, added) = (list(removed, "removed")?, list(added, "added")?);
        Ok(self.build(&self.apply(current, removed, added)))
    }

    /// The integer fast path of [`ElementType::apply_arrays`]: `T` is the element type's Rust
    /// type. `None` when an array has NULLs or more than one dimension.
    ///
    /// # Safety
    /// As for [`ElementType::apply_arrays`], with `T` matching the element type.
    unsafe fn apply_ints<T: Copy + Ord>(
        &self,
        ids: pg_sys::Datum,
        removed: Option<pg_sys::Datum>,
        added: Option<pg_sys::Datum>,
    ) -> Option<pg_sys::Datum> {
        // SAFETY: forwarded contract.
        let read = |d: Option<pg_sys::Datum>| match d {
            Some(d) => unsafe { int_elements::<T>(d) },
            None => Some(Vec::new()),
        };
        let out = habtm_sets::apply(read(Some(ids))?, read(removed)?, read(added)?);
        // SAFETY: T is this type's element representation.
        Some(unsafe { int_array(self.oid, &out) })
    }
}

/// Bytes before the data of a `ndim`-dimensional array without a NULL bitmap
/// (`ARR_OVERHEAD_NONULLS`).
fn array_overhead(ndim: usize) -> usize {
    let align = pg_sys::MAXIMUM_ALIGNOF as usize;
    (std::mem::size_of::<pg_sys::ArrayType>() + 2 * std::mem::size_of::<i32>() * ndim)
        .next_multiple_of(align)
}

/// The elements of a one-dimensional integer array without NULLs, copied straight from its
/// data; `None` when it has a NULL bitmap or more than one dimension.
///
/// # Safety
/// `array` must be a (possibly toasted) array whose elements are `T`s.
unsafe fn int_elements<T: Copy>(array: pg_sys::Datum) -> Option<Vec<T>> {
    // SAFETY: detoasting returns a palloc'd copy or the datum itself, with a 4-byte header.
    unsafe {
        let arr = pg_sys::pg_detoast_datum(array.cast_mut_ptr()) as *const pg_sys::ArrayType;
        match (*arr).ndim {
            0 => return Some(Vec::new()),
            1 if (*arr).dataoffset == 0 => {}
            _ => return None,
        }
        // the dimension follows the header; the data follows the lower bound, aligned
        let n = *(arr.add(1) as *const i32) as usize;
        let data = (arr as *const u8).add(array_overhead(1));
        let mut out = Vec::<T>::with_capacity(n);
        // a byte copy: the source need not be aligned for T
        std::ptr::copy_nonoverlapping(data, out.as_mut_ptr() as *mut u8, n * size_of::<T>());
        out.set_len(n);
        Some(out)
    }
}

/// A one-dimensional array (lower bound 1) of type `element` holding `elems`, built directly.
///
/// # Safety
/// `T` must be the representation of `element` (a by-value integer type).
unsafe fn int_array<T: Copy>(element: pg_sys::Oid, elems: &[T]) -> pg_sys::Datum {
    // SAFETY: an empty array, or a fresh palloc'd array whose header, dimension, lower bound
    // and data are written below, within its allocated size.
    unsafe {
        if elems.is_empty() {
            return pg_sys::Datum::from(pg_sys::construct_empty_array(element));
        }
        let overhead = array_overhead(1);
        let size = overhead + std::mem::size_of_val(elems);
        let arr = pg_sys::palloc0(size) as *mut pg_sys::ArrayType;
        pgrx::set_varsize_4b(arr as *mut pg_sys::varlena, size as i32);
        (*arr).ndim = 1;
        (*arr).dataoffset = 0;
        (*arr).elemtype = element;
        let dims = arr.add(1) as *mut i32;
        *dims = elems.len() as i32;
        *dims.add(1) = 1;
        std::ptr::copy_nonoverlapping(
            elems.as_ptr() as *const u8,
            (arr as *mut u8).add(overhead),
            std::mem::size_of_val(elems),
        );
        pg_sys::Datum::from(arr)
    }
}

/// The element type and collation of the array argument `n` of the current call.
fn argument_element_type(fcinfo: pg_sys::FunctionCallInfo, n: i32) -> ElementType {
    // SAFETY: fcinfo is this call's; get_fn_expr_argtype reads its expression tree.
    let (array_type, collation) = unsafe {
        (
            pg_sys::get_fn_expr_argtype((*fcinfo).flinfo, n),
            (*fcinfo).fncollation,
        )
    };
    // SAFETY: plain catalog lookup.
    let element = unsafe { pg_sys::get_element_type(array_type) };
    ElementType::new(element, collation).or_raise()
}

/// `habtm.array_canonical(ids)`: the ids sorted ascending without duplicates.
#[pg_extern(immutable, strict, parallel_safe)]
fn array_canonical(ids: pgrx::AnyArray, fcinfo: pg_sys::FunctionCallInfo) -> pgrx::AnyArray {
    let t = argument_element_type(fcinfo, 0);
    // SAFETY: the argument is an array of t.
    let out = unsafe { t.canonical(ids.datum(), "ids") }.or_raise();
    match out {
        None => ids,
        // SAFETY: a new array of the same type.
        Some(d) => unsafe {
            pgrx::AnyArray::from_polymorphic_datum(d, false, ids.oid()).unwrap_or(ids)
        },
    }
}

/// `habtm.array_apply(ids, removed, added)`: `(ids − removed) ∪ added`, canonical. NULL
/// `removed` or `added` is empty.
#[pg_extern(immutable, parallel_safe)]
fn array_apply(
    ids: Option<pgrx::AnyArray>,
    removed: Option<pgrx::AnyArray>,
    added: Option<pgrx::AnyArray>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<pgrx::AnyArray> {
    let ids = ids?;
    let t = argument_element_type(fcinfo, 0);
    // SAFETY: all three arguments share the polymorphic array type of `ids`.
    let out = unsafe {
        t.apply_arrays(
            ids.datum(),
            removed.map(|r| r.datum()),
            added.map(|a| a.datum()),
        )
    }
    .or_raise();
    // SAFETY: a new array of the same type.
    unsafe { pgrx::AnyArray::from_polymorphic_datum(out, false, ids.oid()) }
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn text(query: &str) -> String {
        Spi::get_one::<String>(query).unwrap().unwrap()
    }

    #[pg_test]
    fn canonical_sorts_and_dedupes_each_key_type() {
        assert_eq!(
            text("SELECT habtm.array_canonical('{3,1,1,2}'::int8[])::text"),
            "{1,2,3}"
        );
        assert_eq!(
            text("SELECT habtm.array_canonical('{3,-1,3}'::int4[])::text"),
            "{-1,3}"
        );
        assert_eq!(
            text("SELECT habtm.array_canonical('{}'::int4[])::text"),
            "{}"
        );
        assert_eq!(
            text("SELECT habtm.array_canonical('{kevin,bob,bob}'::text[] COLLATE \"C\")::text"),
            "{bob,kevin}"
        );
        assert_eq!(
            text(
                "SELECT habtm.array_canonical(ARRAY['b0000000-0000-0000-0000-000000000000',
                                                     'a0000000-0000-0000-0000-000000000000']::uuid[])::text"
            ),
            "{a0000000-0000-0000-0000-000000000000,b0000000-0000-0000-0000-000000000000}"
        );
        // lower bound normalised
        assert_eq!(
            text("SELECT habtm.array_canonical('[0:1]={1,2}'::int8[])::text"),
            "{1,2}"
        );
    }

    #[pg_test]
    fn apply_is_set_difference_then_union() {
        let q = |a: &str, r: &str, d: &str| {
            text(&format!(
                "SELECT habtm.array_apply({a}::int8[], {r}::int8[], {d}::int8[])::text"
            ))
        };
        assert_eq!(q("'{1,3,5}'", "'{3}'", "'{4,0,9}'"), "{0,1,4,5,9}");
        assert_eq!(q("'{1,3,5}'", "'{3,5}'", "'{5}'"), "{1,5}");
        assert_eq!(q("'{}'", "NULL", "'{2,2,1}'"), "{1,2}");
        assert_eq!(q("'{1,2}'", "'{1,2,7}'", "NULL"), "{}");
        assert_eq!(q("'{2,1}'", "NULL", "NULL"), "{1,2}");
        assert_eq!(q("'{1,3}'", "'{1}'", "'{1,3}'"), "{1,3}");
        assert_eq!(q("'{1,2,3}'", "'{2}'", "'{0}'"), "{0,1,3}");
    }

    /// The integer fast path and the generic path (numeric) against the same set expression in
    /// SQL, on unsorted and duplicated input, a lower bound other than 1, TOASTed arrays and the
    /// types' extreme values; the result is also stored and read back.
    #[pg_test]
    fn apply_agrees_with_sql_for_every_key_type() {
        for (t, min, max) in [
            ("int2", "-32768", "32767"),
            ("int4", "-2147483648", "2147483647"),
            ("int8", "-9223372036854775808", "9223372036854775807"),
            ("numeric", "-1e30", "1e30"),
        ] {
            Spi::run(&format!("CREATE TEMP TABLE stored (ids {t}[])")).unwrap();
            let wrong = Spi::get_one::<i64>(&format!(
                "WITH cases(ids, rem, add) AS (VALUES
                   ('{{5,-3,{max},{min},5}}'::{t}[], '{{{max}}}'::{t}[], '{{0,-1,0}}'::{t}[]),
                   ('[0:2]={{3,1,2}}', NULL, '{{2}}'),
                   ('{{}}', '{{1}}', NULL),
                   ('{{1,2}}', '{{2,1}}', NULL),
                   ('{{1,2}}', NULL, NULL),
                   ((SELECT pg_catalog.array_agg(i * 3) FROM generate_series(3000, 1, -1) i),
                    (SELECT pg_catalog.array_agg(i * 6) FROM generate_series(1, 1000) i),
                    (SELECT pg_catalog.array_agg(i % 20) FROM generate_series(1, 40) i))),
                 results AS (
                   SELECT habtm.array_apply(ids, rem, add) AS got,
                          ARRAY(SELECT pg_catalog.unnest(ids)
                                EXCEPT SELECT pg_catalog.unnest(COALESCE(rem, '{{}}'))
                                UNION SELECT pg_catalog.unnest(COALESCE(add, '{{}}'))
                                ORDER BY 1) AS want
                     FROM cases),
                 kept AS (INSERT INTO stored SELECT got FROM results RETURNING ids)
                 SELECT (SELECT count(*) FROM results
                          WHERE got IS DISTINCT FROM want
                             OR COALESCE(pg_catalog.array_lower(got, 1), 1) <> 1)
                      + (SELECT count(*) FROM kept)
                      - (SELECT count(*) FROM results)"
            ))
            .unwrap()
            .unwrap();
            assert_eq!(wrong, 0, "{t}");
            let reread = Spi::get_one::<i64>(
                "SELECT count(*) FROM stored s
                  WHERE s.ids IS DISTINCT FROM habtm.array_canonical(s.ids)",
            )
            .unwrap()
            .unwrap();
            assert_eq!(reread, 0, "{t}: stored arrays read back");
            Spi::run("DROP TABLE stored").unwrap();
        }
    }

    #[pg_test]
    fn nulls_and_dimensions_are_refused() {
        let state = |q: &str| crate::testing::sqlstate_of(q);
        assert_eq!(
            state("SELECT habtm.array_canonical('{1,NULL}'::int8[])"),
            "22004"
        );
        assert_eq!(
            state("SELECT habtm.array_canonical('{{1},{2}}'::int8[])"),
            "2202E"
        );
        assert_eq!(
            state("SELECT habtm.array_apply('{1}'::int8[], NULL, '{NULL}'::int8[])"),
            "22004"
        );
        // a type without a default btree order cannot be a sorted set
        assert_eq!(
            state("SELECT habtm.array_canonical(ARRAY['<a/>'::xml])"),
            "42883"
        );
    }
}
