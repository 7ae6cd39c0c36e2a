//! The association catalog (`habtm.join_tables`, defined in `sql/catalog.sql`): registering a
//! join table and checking that association names are free.

use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use crate::error::{HabtmError, Result};
use crate::regclass::RegClass;

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

/// Locks `tables` (ACCESS EXCLUSIVE) for a DDL function, all at once or none: each try takes
/// them one by one with NOWAIT in a subtransaction; when one is busy, the try gives back what it
/// took, waits for that one table alone (holding none of the others, then letting it go) and
/// starts again. Writers lock a join table and its sides in either order (an INSERT: the join
/// table, then its sides' key checks; a side's DELETE: the side, then the cascade into the join
/// table), so a DDL call that waited for one table while holding another could deadlock with one
/// of them; this one never does. It waits as long as writers hold the tables, as a lock wait
/// (`lock_timeout`, `statement_timeout` and a cancel end it).
pub fn lock_tables(client: &mut SpiClient<'_>, tables: &[pg_sys::Oid]) -> Result<()> {
    let mut sorted = tables.to_vec();
    sorted.sort_unstable_by_key(|o| o.to_u32());
    sorted.dedup();
    let mut names = Vec::with_capacity(sorted.len());
    for t in sorted {
        names.push(pgrx::spi::quote_literal(
            crate::arrays::config::qualified_name_of(client, t)?,
        ));
    }
    client.update(
        &format!(
            "DO $habtm$
             DECLARE
                 t pg_catalog.text;
                 busy pg_catalog.text;
             BEGIN
                 LOOP
                     BEGIN
                         FOREACH t IN ARRAY ARRAY[{}]::pg_catalog.text[] LOOP
                             busy := t;
                             EXECUTE 'LOCK TABLE ' OPERATOR(pg_catalog.||) t OPERATOR(pg_catalog.||) ' IN ACCESS EXCLUSIVE MODE NOWAIT';
                         END LOOP;
                         RETURN;
                     EXCEPTION WHEN lock_not_available THEN
                         NULL;
                     END;
                     BEGIN
                         EXECUTE 'LOCK TABLE ' OPERATOR(pg_catalog.||) busy OPERATOR(pg_catalog.||) ' IN ACCESS EXCLUSIVE MODE';
                         RAISE SQLSTATE 'HBT01';
                     EXCEPTION WHEN SQLSTATE 'HBT01' THEN
                         NULL;
                     END;
                 END LOOP;
             END
             $habtm$",
            names.join(", ")
        ),
        None,
        &[],
    )?;
    Ok(())
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
