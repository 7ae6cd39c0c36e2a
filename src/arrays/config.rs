//! Which id arrays a table takes part in, read from the catalog once per backend.
//!
//! The triggers are generic: one function for every join table and one for every side table.
//! Each call needs its association's names, so they are cached per backend and dropped whenever
//! PostgreSQL announces an invalidation that could change them (see `invalidation.rs`):
//! `denormalize` and `normalize` write the catalog and create or drop triggers on every table
//! involved, and renames of tables, columns, schemas and types announce themselves too, so a
//! backend never acts on a stale entry.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::error::{HabtmError, Result};
use crate::plans;
use crate::regclass::RegClass;

/// An id array column, with what generated SQL needs to name it and its type.
pub struct ArrayColumn {
    /// The column name as stored (for messages and catalog rows).
    pub name: String,
    /// `quote_ident(name)`.
    pub sql: String,
    pub attnum: i16,
    /// The array type, schema-qualified: `pg_catalog._int8`.
    pub type_sql: String,
    pub type_oid: pg_sys::Oid,
    pub element: pg_sys::Oid,
    pub collation: pg_sys::Oid,
    /// ` COLLATE schema.name` for collatable element types, else empty.
    pub collate_sql: String,
    /// Who may write it (`denormalize`'s `writes`).
    pub writes: Writes,
}

/// Who may write an id array (API §4a).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Writes {
    /// A read-only mirror: a statement may set it only to the set it holds.
    Reject,
    /// A write of the array is a write of the association.
    Links,
}

impl Writes {
    /// The catalog's and `denormalize`'s spelling; `None` for anything else.
    pub fn parse(text: &str) -> Option<Writes> {
        match text {
            "reject" => Some(Writes::Reject),
            "links" => Some(Writes::Links),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Writes::Reject => "reject",
            Writes::Links => "links",
        }
    }
}

/// One side of an association: a table, its key, the join table's column that references it,
/// and the array (if any) on this table that holds the other side's ids.
pub struct Side {
    pub table: pg_sys::Oid,
    /// Schema-qualified and quoted, independent of `search_path`.
    pub table_sql: String,
    pub key_sql: String,
    /// The key column's number in the side table.
    pub key_attnum: i16,
    /// The join table's column referencing this side, quoted.
    pub join_column_sql: String,
    /// That column's number, type and storage (`typlen`, `typbyval`) in the join table, to read
    /// transition tables directly.
    pub join_attnum: i16,
    pub join_type: pg_sys::Oid,
    pub join_len: i16,
    pub join_byval: bool,
    /// The key type's own `=` (`OPERATOR(schema.=)`, see `operators.rs`).
    pub eq_sql: String,
    pub array: Option<ArrayColumn>,
}

/// A join table with arrays on at least one side. `sides[0]` is `a`, `sides[1]` is `b`.
pub struct Association {
    pub join: pg_sys::Oid,
    pub join_sql: String,
    pub sides: [Side; 2],
}

impl Association {
    pub fn self_association(&self) -> bool {
        self.sides[0].table == self.sides[1].table
    }

    /// The advisory lock key that serialises array writers of this association: the pair
    /// (`LOCK_SPACE`, join table OID), PostgreSQL's two-`int4` advisory key space.
    pub fn lock_key(&self) -> (i32, i32) {
        (LOCK_SPACE, self.join.to_u32() as i32)
    }
}

/// The first half of habtm's two-part advisory lock keys ("habt" in ASCII).
pub const LOCK_SPACE: i32 = 0x6861_6274;

thread_local! {
    static BY_JOIN: RefCell<HashMap<pg_sys::Oid, Option<Rc<Association>>>> = RefCell::new(HashMap::new());
    static BY_SIDE: RefCell<HashMap<pg_sys::Oid, Rc<Vec<Rc<Association>>>>> = RefCell::new(HashMap::new());
    /// The invalidation count both maps were filled at.
    static FILLED_AT: Cell<u64> = const { Cell::new(0) };
}

/// Forgets everything cached when an invalidation has come in since it was read (cheap and rare
/// enough to drop it all: a few entries per backend). The triggers run inside statements that
/// have locked their tables, so the invalidations that matter have been taken in.
fn forget_if_stale() {
    let now = crate::invalidation::generation();
    if FILLED_AT.with(|f| f.replace(now)) != now {
        BY_JOIN.with(|m| m.borrow_mut().clear());
        BY_SIDE.with(|m| m.borrow_mut().clear());
    }
}

/// [`for_join`] without an SPI connection when the answer is cached (the common case).
pub fn join_association(join: pg_sys::Oid) -> Result<Option<Rc<Association>>> {
    forget_if_stale();
    match BY_JOIN.with(|m| m.borrow().get(&join).cloned()) {
        Some(hit) => Ok(hit),
        None => Spi::connect_mut(|client| for_join(client, join)),
    }
}

/// [`for_side`] without an SPI connection when the answer is cached (the common case).
pub fn side_associations(table: pg_sys::Oid) -> Result<Rc<Vec<Rc<Association>>>> {
    forget_if_stale();
    match BY_SIDE.with(|m| m.borrow().get(&table).cloned()) {
        Some(hit) => Ok(hit),
        None => Spi::connect_mut(|client| for_side(client, table)),
    }
}

/// The association whose join table is `join`, or `None` when it keeps no arrays.
pub fn for_join(client: &mut SpiClient<'_>, join: pg_sys::Oid) -> Result<Option<Rc<Association>>> {
    forget_if_stale();
    if let Some(hit) = BY_JOIN.with(|m| m.borrow().get(&join).cloned()) {
        return Ok(hit);
    }
    let loaded = load(client, join)?.map(Rc::new);
    BY_JOIN.with(|m| m.borrow_mut().insert(join, loaded.clone()));
    Ok(loaded)
}

/// The associations with arrays that `table` is a side of.
pub fn for_side(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
) -> Result<Rc<Vec<Rc<Association>>>> {
    forget_if_stale();
    if let Some(hit) = BY_SIDE.with(|m| m.borrow().get(&table).cloned()) {
        return Ok(hit);
    }
    let mut list = Vec::new();
    for join in side_joins(client, table)? {
        if let Some(a) = for_join(client, join)? {
            list.push(a);
        }
    }
    let list = Rc::new(list);
    BY_SIDE.with(|m| m.borrow_mut().insert(table, Rc::clone(&list)));
    Ok(list)
}

/// The join tables with arrays that `table` is a side of, read from the catalog now (uncached).
pub fn side_joins(client: &mut SpiClient<'_>, table: pg_sys::Oid) -> Result<Vec<pg_sys::Oid>> {
    let joins = plans::run(
        client,
        "SELECT join_table::pg_catalog.oid FROM habtm.join_tables
          WHERE (a OPERATOR(pg_catalog.=) $1 OR b OPERATOR(pg_catalog.=) $1)
            AND (a_array IS NOT NULL OR b_array IS NOT NULL)
          ORDER BY 1",
        &[RegClass(table).into()],
        false,
    )?
    .map(|row| row.get::<pg_sys::Oid>(1))
    .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(joins.into_iter().flatten().collect())
}

/// Reads one join table's row and the facts about its tables and array columns.
pub fn load(client: &mut SpiClient<'_>, join: pg_sys::Oid) -> Result<Option<Association>> {
    let sql = format!(
        "SELECT j.a::pg_catalog.oid, j.b::pg_catalog.oid, {}, {}, {},
                j.a_key::pg_catalog.text, j.b_key::pg_catalog.text,
                pg_catalog.quote_ident(j.a_column), pg_catalog.quote_ident(j.b_column),
                j.a_array::pg_catalog.text, j.b_array::pg_catalog.text,
                ja.attnum, ja.atttypid, jb.attnum, jb.atttypid, j.a_array_writes, j.b_array_writes,
                (SELECT k.attnum FROM pg_catalog.pg_attribute k WHERE k.attrelid OPERATOR(pg_catalog.=) j.a
                    AND k.attname OPERATOR(pg_catalog.=) j.a_key),
                (SELECT k.attnum FROM pg_catalog.pg_attribute k WHERE k.attrelid OPERATOR(pg_catalog.=) j.b
                    AND k.attname OPERATOR(pg_catalog.=) j.b_key)
           FROM habtm.join_tables j
           JOIN pg_catalog.pg_attribute ja ON ja.attrelid OPERATOR(pg_catalog.=) j.join_table
                AND ja.attname OPERATOR(pg_catalog.=) j.a_column::pg_catalog.name
           JOIN pg_catalog.pg_attribute jb ON jb.attrelid OPERATOR(pg_catalog.=) j.join_table
                AND jb.attname OPERATOR(pg_catalog.=) j.b_column::pg_catalog.name
          WHERE j.join_table OPERATOR(pg_catalog.=) $1
            AND (j.a_array IS NOT NULL OR j.b_array IS NOT NULL)",
        qualified_name("j.join_table"),
        qualified_name("j.a"),
        qualified_name("j.b"),
    );
    let rows = plans::run(client, &sql, &[RegClass(join).into()], false)?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let text = |i| -> Result<String> { Ok(row.get::<String>(i)?.unwrap_or_default()) };
    let oid = |i| -> Result<pg_sys::Oid> { Ok(row.get::<pg_sys::Oid>(i)?.unwrap_or_default()) };
    let (a, b) = (oid(1)?, oid(2)?);
    let (a_array, b_array) = (row.get::<String>(10)?, row.get::<String>(11)?);
    let (join_sql, a_sql, b_sql) = (text(3)?, text(4)?, text(5)?);
    let (a_key, b_key, a_col, b_col) = (text(6)?, text(7)?, text(8)?, text(9)?);
    let attnum = |i| -> Result<i16> { Ok(row.get::<i16>(i)?.unwrap_or_default()) };
    let (a_attnum, a_type, b_attnum, b_type) = (attnum(12)?, oid(13)?, attnum(14)?, oid(15)?);
    // 0.1's behaviour where the catalog says nothing (its guard fills the mode in).
    let writes = |i| -> Result<Writes> {
        Ok(row
            .get::<String>(i)?
            .as_deref()
            .and_then(Writes::parse)
            .unwrap_or(Writes::Links))
    };
    let (a_writes, b_writes) = (writes(16)?, writes(17)?);
    let a_array = match a_array {
        Some(name) => Some(array_column(client, a, &name, a_writes)?),
        None => None,
    };
    let b_array = match b_array {
        Some(name) => Some(array_column(client, b, &name, b_writes)?),
        None => None,
    };
    let (a_key_attnum, b_key_attnum) = (attnum(18)?, attnum(19)?);
    let side = |table,
                table_sql,
                (key, key_attnum): (String, i16),
                join_column_sql,
                (join_attnum, join_type),
                array| {
        let (mut join_len, mut join_byval) = (0, false);
        // SAFETY: a syscache lookup of an existing column's type.
        unsafe { pg_sys::get_typlenbyval(join_type, &mut join_len, &mut join_byval) };
        Ok::<_, HabtmError>(Side {
            table,
            table_sql,
            key_sql: spi_quote(&key),
            key_attnum,
            join_column_sql,
            join_attnum,
            join_type,
            join_len,
            join_byval,
            eq_sql: crate::operators::operator(join_type, crate::operators::Cmp::Eq)?,
            array,
        })
    };
    Ok(Some(Association {
        join,
        join_sql,
        sides: [
            side(
                a,
                a_sql,
                (a_key, a_key_attnum),
                a_col,
                (a_attnum, a_type),
                a_array,
            )?,
            side(
                b,
                b_sql,
                (b_key, b_key_attnum),
                b_col,
                (b_attnum, b_type),
                b_array,
            )?,
        ],
    }))
}

/// SQL for the schema-qualified, quoted name of the relation in the `regclass` expression
/// `relation`, whatever the `search_path` (`regclass::text` omits visible schemas).
pub fn qualified_name(relation: &str) -> String {
    format!(
        "(SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname)
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
           WHERE c.oid OPERATOR(pg_catalog.=) {relation})"
    )
}

/// The schema-qualified, quoted name of a relation.
pub fn qualified_name_of(client: &SpiClient<'_>, relation: pg_sys::Oid) -> Result<String> {
    let row = client
        .select(
            &format!("SELECT {}", qualified_name("$1")),
            Some(1),
            &[RegClass(relation).into()],
        )?
        .first();
    Ok(row.get::<String>(1)?.unwrap_or_default())
}

fn spi_quote(name: &str) -> String {
    pgrx::spi::quote_identifier(name)
}

/// SQL for ` COLLATE schema.name` of the column `a` (a `pg_attribute` row), or `''` when its
/// type has no collation; needs [`COLLATION_JOINS`].
pub const COLLATE_CLAUSE: &str = "CASE WHEN a.attcollation OPERATOR(pg_catalog.<>) 0 THEN
         ' COLLATE ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(cn.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.collname)
         ELSE '' END";

/// The joins [`COLLATE_CLAUSE`] reads.
pub const COLLATION_JOINS: &str = "LEFT JOIN pg_catalog.pg_collation c ON c.oid OPERATOR(pg_catalog.=) a.attcollation
               LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) c.collnamespace";

/// The facts about an array column that generated SQL needs.
pub fn array_column(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
    name: &str,
    writes: Writes,
) -> Result<ArrayColumn> {
    let row = plans::run(
        client,
        "SELECT a.attnum, pg_catalog.quote_ident(tn.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t.typname),
                t.typelem, a.attcollation, a.atttypid,
                CASE WHEN a.attcollation OPERATOR(pg_catalog.<>) 0 THEN
                     ' COLLATE ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(cn.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.collname)
                     ELSE '' END
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
           JOIN pg_catalog.pg_namespace tn ON tn.oid OPERATOR(pg_catalog.=) t.typnamespace
           LEFT JOIN pg_catalog.pg_collation c ON c.oid OPERATOR(pg_catalog.=) a.attcollation
           LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) c.collnamespace
          WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name
            AND NOT a.attisdropped",
        &[RegClass(table).into(), name.into()],
        false,
    )?
    .first();
    if row.is_empty() {
        // dropped columns are forgotten and renamed ones followed (sql/catalog.sql's event
        // triggers): only a catalog row written by hand can get here
        return Err(HabtmError::NoSuchColumn {
            argument: "the catalog's array",
            table: RegClass(table).shown(),
            column: name.to_owned(),
        });
    }
    Ok(ArrayColumn {
        name: name.to_owned(),
        sql: spi_quote(name),
        attnum: row.get::<i16>(1)?.unwrap_or_default(),
        type_sql: row.get::<String>(2)?.unwrap_or_default(),
        element: row.get::<pg_sys::Oid>(3)?.unwrap_or_default(),
        collation: row.get::<pg_sys::Oid>(4)?.unwrap_or_default(),
        type_oid: row.get::<pg_sys::Oid>(5)?.unwrap_or_default(),
        collate_sql: row.get::<String>(6)?.unwrap_or_default(),
        writes,
    })
}
