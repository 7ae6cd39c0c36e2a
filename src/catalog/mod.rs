//! The association catalog (`habtm.join_tables`, defined in `sql/catalog.sql`, and its view
//! `habtm.associations`): every statement habtm runs on it is in this module — reading an
//! association (`model.rs`, kept per backend by `cache.rs`), registering and unregistering a
//! join table, naming its id arrays, the catalog lock — with the table locks the DDL takes.

mod cache;
mod model;

pub use cache::{arrays_of_join, arrays_of_side, arrays_of_side_in, by_join, by_name};
pub use model::{load, ArrayColumn, Association, Direction, Side, Writes};

use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use crate::error::{HabtmError, Result};
use crate::pg::plans;
use crate::pg::regclass::RegClass;

/// One join table and its two directions, as stored in `habtm.join_tables`.
pub struct Registration<'a> {
    pub join_table: pg_sys::Oid,
    pub a: pg_sys::Oid,
    pub b: pg_sys::Oid,
    pub a_column: &'a str,
    pub b_column: &'a str,
    pub a_key: &'a str,
    pub b_key: &'a str,
    pub a_relation: &'a str,
    pub b_relation: &'a str,
}

/// Serialises catalog writes in this database, so that two sessions cannot both find an
/// association name free and then both take it. Held until the transaction ends.
pub fn lock(client: &mut SpiClient<'_>) -> Result<()> {
    client.update(
        "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('habtm.join_tables'))",
        None,
        &[],
    )?;
    Ok(())
}

/// Locks `tables` (ACCESS EXCLUSIVE) for a DDL function, all at once or none, after checking
/// that the caller owns each (the DDL needs that anyway; locking first would let any role hold
/// another's tables). Each try takes them one by one without waiting; when one is busy, the
/// try gives back what it took, waits for that one table alone (holding none of the others,
/// then letting it go) and starts again. Writers lock a join table and its sides in either
/// order (an INSERT: the join table, then its sides' key checks; a side's DELETE: the side,
/// then the cascade into the join table), so a DDL call that waited for one table while holding
/// another could deadlock with one of them; this one never does. It waits as long as writers
/// hold the tables, as an ordinary lock wait (`lock_timeout`, `statement_timeout` and a cancel
/// end it).
pub fn lock_tables(client: &mut SpiClient<'_>, tables: &[pg_sys::Oid]) -> Result<()> {
    let mut sorted = tables.to_vec();
    sorted.sort_unstable_by_key(|o| o.to_u32());
    sorted.dedup();
    for &t in &sorted {
        if owner_to_act_as(client, t)?.is_none() {
            return Err(HabtmError::NotOwner {
                table: RegClass(t).shown(),
            });
        }
    }
    let mode = pg_sys::AccessExclusiveLock as pg_sys::LOCKMODE;
    loop {
        let mut held = Vec::with_capacity(sorted.len());
        let mut busy = None;
        for &t in &sorted {
            // SAFETY: a conditional lock of an existing relation; it never waits.
            if unsafe { pg_sys::ConditionalLockRelationOid(t, mode) } {
                held.push(t);
            } else {
                busy = Some(t);
                break;
            }
        }
        let Some(busy) = busy else {
            return Ok(());
        };
        // SAFETY: releases exactly the locks this try took (a lock the transaction held
        // before stays held: lock counts), then waits for the busy one alone and lets it go.
        unsafe {
            for &t in &held {
                pg_sys::UnlockRelationOid(t, mode);
            }
            pg_sys::LockRelationOid(busy, mode);
            pg_sys::UnlockRelationOid(busy, mode);
        }
    }
}

/// The role that owns `table`, if the caller may act as it (is a member of it, as PostgreSQL's
/// ownership checks ask).
pub fn owner_to_act_as(client: &SpiClient<'_>, table: pg_sys::Oid) -> Result<Option<pg_sys::Oid>> {
    let row = client
        .select(
            "SELECT c.relowner, pg_catalog.pg_has_role(c.relowner, 'USAGE')
               FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1",
            Some(1),
            &[RegClass(table).into()],
        )?
        .first();
    Ok(match row.get::<bool>(2)? {
        Some(true) => row.get::<pg_sys::Oid>(1)?,
        _ => None,
    })
}

/// Whether the relation is a registered join table.
pub fn is_registered(client: &SpiClient<'_>, table: pg_sys::Oid) -> Result<bool> {
    let rows = client.select(
        "SELECT 1 FROM habtm.join_tables WHERE join_table OPERATOR(pg_catalog.=) $1",
        Some(1),
        &[RegClass(table).into()],
    )?;
    Ok(!rows.is_empty())
}

/// Fails when `owner` already has an association called `relation`, in either direction.
pub fn check_relation_free(
    client: &SpiClient<'_>,
    owner: pg_sys::Oid,
    owner_display: &str,
    relation: &str,
) -> Result<()> {
    let rows = client.select(
        "SELECT 1 FROM habtm.associations
          WHERE owner OPERATOR(pg_catalog.=) $1 AND relation OPERATOR(pg_catalog.=) $2",
        Some(1),
        &[RegClass(owner).into(), relation.into()],
    )?;
    if rows.is_empty() {
        Ok(())
    } else {
        Err(HabtmError::RelationTaken {
            owner: owner_display.to_owned(),
            relation: relation.to_owned(),
        })
    }
}

/// Inserts the catalog row. The caller holds [`lock`] and has checked both names.
pub fn register(client: &mut SpiClient<'_>, r: &Registration<'_>) -> Result<()> {
    client.update(
        "INSERT INTO habtm.join_tables
             (join_table, a, b, a_column, b_column, a_key, b_key, a_relation, b_relation)
         VALUES ($1, $2, $3, $4::pg_catalog.name, $5::pg_catalog.name, $6::pg_catalog.name,
                 $7::pg_catalog.name, $8, $9)",
        None,
        &[
            RegClass(r.join_table).into(),
            RegClass(r.a).into(),
            RegClass(r.b).into(),
            r.a_column.into(),
            r.b_column.into(),
            r.a_key.into(),
            r.b_key.into(),
            r.a_relation.into(),
            r.b_relation.into(),
        ],
    )?;
    Ok(())
}

/// Removes the catalog row of a join table (its owner may; see the policy in `sql/catalog.sql`).
pub fn unregister(client: &mut SpiClient<'_>, table: pg_sys::Oid) -> Result<()> {
    client.update(
        "DELETE FROM habtm.join_tables WHERE join_table OPERATOR(pg_catalog.=) $1",
        None,
        &[RegClass(table).into()],
    )?;
    Ok(())
}

/// The association of `join`, which must be registered (`42704` otherwise, naming it as the
/// caller's `search_path` shows it). Uncached, as the DDL functions read it.
pub fn registered(client: &mut SpiClient<'_>, join: pg_sys::Oid) -> Result<Association> {
    load(client, join)?.ok_or_else(|| HabtmError::NotRegistered {
        table: RegClass(join).shown(),
    })
}

/// Names a join table's id arrays (`None`: none on that side) and their write modes.
pub fn set_arrays(
    client: &mut SpiClient<'_>,
    join: pg_sys::Oid,
    arrays: [Option<String>; 2],
    writes: [Option<String>; 2],
) -> Result<()> {
    let [a_array, b_array] = arrays;
    let [a_writes, b_writes] = writes;
    client.update(
        "UPDATE habtm.join_tables SET a_array = $2::pg_catalog.name, b_array = $3::pg_catalog.name,
                a_array_writes = $4, b_array_writes = $5
          WHERE join_table OPERATOR(pg_catalog.=) $1",
        None,
        &[
            RegClass(join).into(),
            a_array.into(),
            b_array.into(),
            a_writes.into(),
            b_writes.into(),
        ],
    )?;
    Ok(())
}

/// Forgets a join table's id arrays (the columns stay).
pub fn clear_arrays(client: &mut SpiClient<'_>, join: pg_sys::Oid) -> Result<()> {
    client.update(
        "UPDATE habtm.join_tables SET a_array = NULL, b_array = NULL
          WHERE join_table OPERATOR(pg_catalog.=) $1",
        None,
        &[RegClass(join).into()],
    )?;
    Ok(())
}

/// The join tables with id arrays, in the order `check` reports them.
pub fn joins_with_arrays(client: &SpiClient<'_>) -> Result<Vec<pg_sys::Oid>> {
    Ok(client
        .select(
            "SELECT join_table::pg_catalog.oid FROM habtm.join_tables
              WHERE a_array IS NOT NULL OR b_array IS NOT NULL ORDER BY join_table::pg_catalog.text",
            None,
            &[],
        )?
        .map(|r| r.get::<pg_sys::Oid>(1))
        .collect::<std::result::Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// The join tables with id arrays that `table` is a side of, read from the catalog now.
pub fn joins_with_arrays_of(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
) -> Result<Vec<pg_sys::Oid>> {
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

/// The join table and the owner's side of `(owner, relation)`, if registered.
fn find_direction(
    client: &mut SpiClient<'_>,
    owner: pg_sys::Oid,
    relation: &str,
) -> Result<Option<(pg_sys::Oid, usize)>> {
    let row = plans::run(
        client,
        "SELECT join_table::pg_catalog.oid,
                CASE WHEN a OPERATOR(pg_catalog.=) $1 AND a_relation OPERATOR(pg_catalog.=) $2
                     THEN 0 ELSE 1 END
           FROM habtm.join_tables
          WHERE (a OPERATOR(pg_catalog.=) $1 AND a_relation OPERATOR(pg_catalog.=) $2)
             OR (b OPERATOR(pg_catalog.=) $1 AND b_relation OPERATOR(pg_catalog.=) $2)",
        &[RegClass(owner).into(), relation.into()],
        false,
    )?
    .first();
    if row.is_empty() {
        return Ok(None);
    }
    let join = row.get::<pg_sys::Oid>(1)?.unwrap_or_default();
    let side = row.get::<i32>(2)?.unwrap_or_default() as usize;
    Ok(Some((join, side)))
}

/// The error for an unknown `(owner, relation)`, with the owner's relations as a hint.
fn unknown_relation(client: &SpiClient<'_>, owner: RegClass, relation: &str) -> Result<HabtmError> {
    let row = client
        .select(
            "SELECT $1::pg_catalog.regclass::pg_catalog.text,
                    (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(relation), ', ' ORDER BY relation)
                       FROM habtm.associations WHERE owner OPERATOR(pg_catalog.=) $1),
                    EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1)",
            Some(1),
            &[owner.into()],
        )?
        .first();
    if !row.get::<bool>(3)?.unwrap_or(false) {
        return Ok(HabtmError::NoSuchRelation {
            argument: "owner",
            oid: owner.0.to_u32(),
        });
    }
    Ok(HabtmError::UnknownRelation {
        owner: row.get::<String>(1)?.unwrap_or_default(),
        relation: relation.to_owned(),
        existing: row.get::<String>(2)?,
    })
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
