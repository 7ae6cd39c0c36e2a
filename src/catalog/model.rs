//! The association model: one registered association as every part of habtm uses it — the
//! association functions (addressed from one side, a [`Direction`]), the id-array triggers
//! and the DDL. Loaded from the catalog by [`load`] (one statement for the association, one
//! per id array) and kept per backend by `cache.rs`.

use std::rc::Rc;

use habtm_sql::{ArrayShape, Shape, SideShape};
use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use crate::error::{HabtmError, Result};
use crate::pg::operators::{self, qualified_type, Cmp};
use crate::pg::plans;
use crate::pg::regclass::RegClass;

/// What kind of association a catalog row describes. Every row is a join table today;
/// `has_many` (a foreign key on the target, no join table) and its `belongs_to` direction
/// will be kinds of their own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Rails' `has_and_belongs_to_many`: two tables linked through a join table.
    HasAndBelongsToMany,
}

/// Who may write an id array (`denormalize`'s `writes`).
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

/// An id array column, as the triggers read and write it (its names for SQL are in the
/// association's [`Shape`]).
pub struct ArrayColumn {
    /// The column name as stored (for messages and catalog rows).
    pub name: String,
    pub attnum: i16,
    pub type_oid: pg_sys::Oid,
    pub element: pg_sys::Oid,
    pub collation: pg_sys::Oid,
    /// Who may write it.
    pub writes: Writes,
}

/// One side of an association: a table, its key, and the join table's column that references
/// it, by OID and number for the code that reads rows; their names for SQL are in the
/// association's [`Shape`], at the same index.
pub struct Side {
    pub table: pg_sys::Oid,
    /// The association's name seen from this table (the catalog's `a_relation`), as in
    /// `habtm.add(<this table>, <relation>, …)`.
    pub relation: String,
    /// The key column's name, as stored.
    pub key: String,
    /// The key column's number in the side table.
    pub key_attnum: i16,
    /// The join table's column referencing this side: number, type, type modifier and storage
    /// (`typlen`, `typbyval`), to check ids and read transition tables directly.
    pub join_attnum: i16,
    pub join_type: pg_sys::Oid,
    pub join_len: i16,
    pub join_byval: bool,
    /// The id array on this table holding the other side's ids, if it keeps one.
    pub array: Option<ArrayColumn>,
}

/// A registered association. `sides[0]` is the catalog's `a`, `sides[1]` its `b`;
/// `shape.sides[i]` names `sides[i]` for SQL.
pub struct Association {
    #[expect(dead_code, reason = "read once has_many adds a kind")]
    pub kind: Kind,
    pub join: pg_sys::Oid,
    pub sides: [Side; 2],
    /// Every name quoted and qualified, so that generated SQL means the same under any
    /// `search_path`.
    pub shape: Shape,
}

/// The first half of habtm's two-part advisory lock keys ("habt" in ASCII).
pub const LOCK_SPACE: i32 = 0x6861_6274;

impl Association {
    pub fn self_association(&self) -> bool {
        self.shape.self_association
    }

    /// Whether either side keeps an id array (and so has triggers).
    pub fn has_arrays(&self) -> bool {
        self.sides.iter().any(|s| s.array.is_some())
    }

    /// The advisory lock key that serialises array writers of this association: the pair
    /// (`LOCK_SPACE`, join table OID), PostgreSQL's two-`int4` advisory key space.
    pub fn lock_key(&self) -> (i32, i32) {
        (LOCK_SPACE, self.join.to_u32() as i32)
    }
}

/// An association seen from one side, as the association functions address it:
/// `(owner, relation)`.
pub struct Direction {
    pub association: Rc<Association>,
    /// The owner's index in `association.sides`.
    pub owner: usize,
}

impl Direction {
    pub fn owner(&self) -> &Side {
        &self.association.sides[self.owner]
    }

    pub fn target(&self) -> &Side {
        &self.association.sides[1 - self.owner]
    }

    /// The owner's names for SQL.
    pub fn owner_sql(&self) -> &SideShape {
        &self.association.shape.sides[self.owner]
    }

    /// The target's names for SQL.
    pub fn target_sql(&self) -> &SideShape {
        &self.association.shape.sides[1 - self.owner]
    }

    /// The join table, `schema.table`.
    pub fn join_sql(&self) -> &str {
        &self.association.shape.join_sql
    }
}

/// Reads the association whose join table is `join` and the facts about its tables and id
/// arrays, or `None` when `join` is not registered. Uncached: see `cache.rs` for the kept
/// copy.
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
                    AND k.attname OPERATOR(pg_catalog.=) j.b_key),
                ja.atttypmod, jb.atttypmod, j.a_relation, j.b_relation
           FROM habtm.join_tables j
           JOIN pg_catalog.pg_attribute ja ON ja.attrelid OPERATOR(pg_catalog.=) j.join_table
                AND ja.attname OPERATOR(pg_catalog.=) j.a_column::pg_catalog.name
           JOIN pg_catalog.pg_attribute jb ON jb.attrelid OPERATOR(pg_catalog.=) j.join_table
                AND jb.attname OPERATOR(pg_catalog.=) j.b_column::pg_catalog.name
          WHERE j.join_table OPERATOR(pg_catalog.=) $1",
        super::qualified_name("j.join_table"),
        super::qualified_name("j.a"),
        super::qualified_name("j.b"),
    );
    let rows = plans::run(client, &sql, &[RegClass(join).into()], false)?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let text = |i| -> Result<String> { Ok(row.get::<String>(i)?.unwrap_or_default()) };
    let oid = |i| -> Result<pg_sys::Oid> { Ok(row.get::<pg_sys::Oid>(i)?.unwrap_or_default()) };
    let int2 = |i| -> Result<i16> { Ok(row.get::<i16>(i)?.unwrap_or_default()) };
    let typmod = |i| -> Result<i32> { Ok(row.get::<i32>(i)?.unwrap_or(-1)) };
    // 0.1's behaviour where the catalog says nothing (its guard fills the mode in).
    let writes = |i| -> Result<Writes> {
        Ok(row
            .get::<String>(i)?
            .as_deref()
            .and_then(Writes::parse)
            .unwrap_or(Writes::Links))
    };
    let tables = [oid(1)?, oid(2)?];
    let tables_sql = [text(4)?, text(5)?];
    let keys = [text(6)?, text(7)?];
    let columns_sql = [text(8)?, text(9)?];
    let arrays = [row.get::<String>(10)?, row.get::<String>(11)?];
    let join_attnums = [int2(12)?, int2(14)?];
    let join_types = [oid(13)?, oid(15)?];
    let modes = [writes(16)?, writes(17)?];
    let key_attnums = [int2(18)?, int2(19)?];
    let typmods = [typmod(20)?, typmod(21)?];
    let relations = [text(22)?, text(23)?];

    let mut sides = Vec::with_capacity(2);
    let mut shapes = Vec::with_capacity(2);
    for i in 0..2 {
        let (array, array_shape) = match &arrays[i] {
            Some(name) => {
                let (column, shape) = array_column(client, tables[i], name, modes[i])?;
                (Some(column), Some(shape))
            }
            None => (None, None),
        };
        let (mut join_len, mut join_byval) = (0, false);
        // SAFETY: a syscache lookup of an existing column's type.
        unsafe { pg_sys::get_typlenbyval(join_types[i], &mut join_len, &mut join_byval) };
        shapes.push(SideShape {
            table_sql: tables_sql[i].clone(),
            key_sql: pgrx::spi::quote_identifier(&keys[i]),
            join_column_sql: columns_sql[i].clone(),
            key_type_sql: qualified_type(join_types[i], typmods[i]),
            eq_sql: operators::operator(join_types[i], Cmp::Eq)?,
            array: array_shape,
        });
        sides.push(Side {
            table: tables[i],
            relation: relations[i].clone(),
            key: keys[i].clone(),
            key_attnum: key_attnums[i],
            join_attnum: join_attnums[i],
            join_type: join_types[i],
            join_len,
            join_byval,
            array,
        });
    }
    let [a, b]: [Side; 2] = sides.try_into().unwrap_or_else(|_| unreachable!());
    let [sa, sb]: [SideShape; 2] = shapes.try_into().unwrap_or_else(|_| unreachable!());
    Ok(Some(Association {
        kind: Kind::HasAndBelongsToMany,
        join,
        shape: Shape {
            join_sql: text(3)?,
            self_association: a.table == b.table,
            sides: [sa, sb],
        },
        sides: [a, b],
    }))
}

/// The facts about an id array column that the triggers and generated SQL need.
fn array_column(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
    name: &str,
    writes: Writes,
) -> Result<(ArrayColumn, ArrayShape)> {
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
    Ok((
        ArrayColumn {
            name: name.to_owned(),
            attnum: row.get::<i16>(1)?.unwrap_or_default(),
            element: row.get::<pg_sys::Oid>(3)?.unwrap_or_default(),
            collation: row.get::<pg_sys::Oid>(4)?.unwrap_or_default(),
            type_oid: row.get::<pg_sys::Oid>(5)?.unwrap_or_default(),
            writes,
        },
        ArrayShape {
            sql: pgrx::spi::quote_identifier(name),
            type_sql: row.get::<String>(2)?.unwrap_or_default(),
            collate_sql: row.get::<String>(6)?.unwrap_or_default(),
        },
    ))
}
