//! SQL surface §4: `denormalize`, `normalize`, `check`, `repair`, and the triggers they install.
//!
//! DDL runs with `search_path` pinned (names come quoted and qualified from the catalog);
//! `check` and `repair` read and write the user's tables as the caller.

use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use super::config::{self, Association};
use super::statements;
use crate::catalog;
use crate::ddl::check_identifier;
use crate::error::{HabtmError, OrRaise, Result};
use crate::plans;
use crate::regclass::RegClass;

/// A join table's catalog row, as far as arrays are concerned.
struct Row {
    a: pg_sys::Oid,
    b: pg_sys::Oid,
    a_key: String,
    b_key: String,
    a_relation: String,
    b_relation: String,
    a_array: Option<String>,
    b_array: Option<String>,
    a_writes: Option<String>,
    b_writes: Option<String>,
}

fn read_row(client: &SpiClient<'_>, join: pg_sys::Oid, shown: &str) -> Result<Row> {
    let row = client
        .select(
            "SELECT a::pg_catalog.oid, b::pg_catalog.oid, a_key::pg_catalog.text, b_key::pg_catalog.text,
                    a_relation, b_relation, a_array::pg_catalog.text, b_array::pg_catalog.text,
                    a_array_writes, b_array_writes
               FROM habtm.join_tables WHERE join_table OPERATOR(pg_catalog.=) $1",
            Some(1),
            &[RegClass(join).into()],
        )?
        .first();
    if row.is_empty() {
        return Err(HabtmError::NotRegistered {
            table: shown.to_owned(),
        });
    }
    let text = |i| -> Result<String> { Ok(row.get::<String>(i)?.unwrap_or_default()) };
    Ok(Row {
        a: row.get(1)?.unwrap_or_default(),
        b: row.get(2)?.unwrap_or_default(),
        a_key: text(3)?,
        b_key: text(4)?,
        a_relation: text(5)?,
        b_relation: text(6)?,
        a_array: row.get(7)?,
        b_array: row.get(8)?,
        a_writes: row.get(9)?,
        b_writes: row.get(10)?,
    })
}

/// The type and collation an array of `key`'s values needs: `(array type, collate clause)`.
fn array_type_for(
    client: &SpiClient<'_>,
    table: pg_sys::Oid,
    key: &str,
) -> Result<(pg_sys::Oid, String, String)> {
    let row = client
        .select(
            &format!(
                "SELECT t.typarray, pg_catalog.format_type(t.typarray, a.atttypmod), {}
                   FROM pg_catalog.pg_attribute a
                   JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
                   {}
                  WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name",
                config::COLLATE_CLAUSE,
                config::COLLATION_JOINS
            ),
            Some(1),
            &[RegClass(table).into(), key.into()],
        )?
        .first();
    Ok((
        row.get(1)?.unwrap_or_default(),
        row.get(2)?.unwrap_or_default(),
        row.get(3)?.unwrap_or_default(),
    ))
}

/// Adds the array column to `table` (or checks the existing one) so that it can hold `other`'s
/// keys, `NOT NULL DEFAULT '{}'` once filled.
fn prepare_column(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
    column: &str,
    other: pg_sys::Oid,
    other_key: &str,
) -> Result<()> {
    let shown = RegClass(table).shown();
    let (array_type, type_sql, collate) = array_type_for(client, other, other_key)?;
    let existing = client
        .select(
            "SELECT a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
              WHERE a.attrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) $2::pg_catalog.name
                AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped",
            Some(1),
            &[RegClass(table).into(), column.into()],
        )?
        .first();
    let col = pgrx::spi::quote_identifier(column);
    if existing.is_empty() {
        client.update(
            &format!(
                "ALTER TABLE {shown} ADD COLUMN {col} {type_sql}{collate} NOT NULL DEFAULT '{{}}'"
            ),
            None,
            &[],
        )?;
    } else {
        let given: pg_sys::Oid = existing.get(1)?.unwrap_or_default();
        if given != array_type {
            return Err(HabtmError::ArrayColumnType {
                table: shown,
                column: column.to_owned(),
                given: existing.get::<String>(2)?.unwrap_or_default(),
                wanted: type_sql,
            });
        }
        client.update(
            &format!("ALTER TABLE {shown} ALTER COLUMN {col} SET DEFAULT '{{}}'"),
            None,
            &[],
        )?;
    }
    // Every change rewrites the whole array; wide arrays live in TOAST, where pglz (the default
    // compression) made a one-link change of a 1,000-element array cost ~1.2 ms. lz4 (or, in a
    // build without it, no compression) costs ~0.2 ms.
    let lz4 = client
        .select(
            "SELECT 'lz4' OPERATOR(pg_catalog.=) ANY (enumvals) FROM pg_catalog.pg_settings
              WHERE name OPERATOR(pg_catalog.=) 'default_toast_compression'",
            Some(1),
            &[],
        )?
        .first()
        .get::<bool>(1)?
        .unwrap_or(false);
    let storage = if lz4 {
        "SET COMPRESSION lz4"
    } else {
        "SET STORAGE EXTERNAL"
    };
    client.update(
        &format!("ALTER TABLE {shown} ALTER COLUMN {col} {storage}"),
        None,
        &[],
    )?;
    Ok(())
}

/// Every trigger habtm creates (and the only ones it drops): a user's own trigger is never
/// touched, whatever its name.
const TRIGGER_NAMES: [&str; 10] = [
    "habtm_join_lock",
    "habtm_join_sync_insert",
    "habtm_join_sync_update",
    "habtm_join_sync_delete",
    "habtm_join_sync_truncate",
    "habtm_side_lock",
    "habtm_side_canonical",
    "habtm_side_sync_insert",
    "habtm_side_sync_update",
    "habtm_side_insert_check",
];

/// What a table needs: the join-table triggers, and as a side the lock trigger (when it is a side
/// of any association with arrays) and the array triggers (when it holds arrays).
fn reconcile_triggers(client: &mut SpiClient<'_>, table: pg_sys::Oid) -> Result<()> {
    let shown = config::qualified_name_of(client, table)?;
    let existing = client
        .select(
            "SELECT tgname::pg_catalog.text FROM pg_catalog.pg_trigger
              WHERE tgrelid OPERATOR(pg_catalog.=) $1 AND NOT tgisinternal
                AND tgname::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($2)",
            None,
            &[RegClass(table).into(), TRIGGER_NAMES.to_vec().into()],
        )?
        .map(|r| r.get::<String>(1))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    for name in existing.into_iter().flatten() {
        client.update(
            &format!(
                "DROP TRIGGER {} ON {shown}",
                pgrx::spi::quote_identifier(&name)
            ),
            None,
            &[],
        )?;
    }
    if config::load(client, table)?.is_some() {
        for sql in [
            "CREATE TRIGGER habtm_join_lock BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t}
                 FOR EACH STATEMENT EXECUTE FUNCTION habtm.join_lock()",
            "CREATE TRIGGER habtm_join_sync_insert AFTER INSERT ON {t}
                 REFERENCING NEW TABLE AS habtm_new FOR EACH STATEMENT EXECUTE FUNCTION habtm.join_sync()",
            "CREATE TRIGGER habtm_join_sync_update AFTER UPDATE ON {t}
                 REFERENCING OLD TABLE AS habtm_old NEW TABLE AS habtm_new
                 FOR EACH STATEMENT EXECUTE FUNCTION habtm.join_sync()",
            "CREATE TRIGGER habtm_join_sync_delete AFTER DELETE ON {t}
                 REFERENCING OLD TABLE AS habtm_old FOR EACH STATEMENT EXECUTE FUNCTION habtm.join_sync()",
            "CREATE TRIGGER habtm_join_sync_truncate AFTER TRUNCATE ON {t}
                 FOR EACH STATEMENT EXECUTE FUNCTION habtm.join_sync()",
        ] {
            client.update(&sql.replace("{t}", &shown), None, &[])?;
        }
    }
    // As a side: fresh from the catalog (the cache may predate this transaction's changes).
    // Read-only arrays need only the canonical trigger (which refuses changes): a statement
    // that sets one to what it holds takes no lock and writes no link.
    let mut watched: Vec<String> = Vec::new();
    let mut arrays: Vec<String> = Vec::new();
    let mut read_only: Vec<String> = Vec::new();
    let mut canonical_keys: Vec<String> = Vec::new();
    let mut writable = false;
    for join in config::side_joins(client, table)? {
        let Some(a) = config::load(client, join)? else {
            continue;
        };
        for s in a.sides.iter().filter(|s| s.table == table) {
            watched.push(s.key_sql.clone());
            if a.self_association() {
                // a key update renames the row's own id in its arrays (side_canonical)
                canonical_keys.push(s.key_sql.clone());
            }
            if let Some(arr) = &s.array {
                arrays.push(arr.sql.clone());
                if arr.writes == config::Writes::Links {
                    watched.push(arr.sql.clone());
                    writable = true;
                } else {
                    read_only.push(arr.sql.clone());
                }
            }
        }
    }
    watched.sort();
    watched.dedup();
    arrays.sort();
    arrays.dedup();
    if !watched.is_empty() {
        client.update(
            &format!(
                "CREATE TRIGGER habtm_side_lock BEFORE DELETE OR TRUNCATE OR UPDATE OF {} ON {shown}
                     FOR EACH STATEMENT EXECUTE FUNCTION habtm.side_lock()",
                watched.join(", ")
            ),
            None,
            &[],
        )?;
    }
    if !arrays.is_empty() {
        let mut columns = arrays.clone();
        columns.extend(canonical_keys);
        columns.sort();
        columns.dedup();
        client.update(
            &format!(
                "CREATE TRIGGER habtm_side_canonical BEFORE INSERT OR UPDATE OF {} ON {shown}
                     FOR EACH ROW EXECUTE FUNCTION habtm.side_canonical()",
                columns.join(", ")
            ),
            None,
            &[],
        )?;
    }
    read_only.sort();
    read_only.dedup();
    if !read_only.is_empty() {
        // rows inserted with ids: checked against the join table at commit (side_insert_check)
        let when: Vec<String> = read_only
            .iter()
            .map(|c| format!("pg_catalog.cardinality(NEW.{c}) OPERATOR(pg_catalog.>) 0"))
            .collect();
        client.update(
            &format!(
                "CREATE CONSTRAINT TRIGGER habtm_side_insert_check AFTER INSERT ON {shown}
                     DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({})
                     EXECUTE FUNCTION habtm.side_insert_check()",
                when.join(" OR ")
            ),
            None,
            &[],
        )?;
    }
    if writable {
        for sql in [
            format!(
                "CREATE TRIGGER habtm_side_sync_insert AFTER INSERT ON {shown}
                     REFERENCING NEW TABLE AS habtm_new FOR EACH STATEMENT EXECUTE FUNCTION habtm.side_sync()"
            ),
            format!(
                "CREATE TRIGGER habtm_side_sync_update AFTER UPDATE ON {shown}
                     REFERENCING NEW TABLE AS habtm_new FOR EACH STATEMENT EXECUTE FUNCTION habtm.side_sync()"
            ),
        ] {
            client.update(&sql, None, &[])?;
        }
    }
    Ok(())
}

/// Re-creates the triggers of a join table and its two tables after a catalog change.
pub fn reconcile_association(
    client: &mut SpiClient<'_>,
    join: pg_sys::Oid,
    a: pg_sys::Oid,
    b: pg_sys::Oid,
) -> Result<()> {
    reconcile_triggers(client, join)?;
    reconcile_triggers(client, a)?;
    if b != a {
        reconcile_triggers(client, b)?;
    }
    Ok(())
}

/// Re-creates habtm's triggers on a table from the catalog as it is now. Internal: the `sql_drop`
/// event trigger calls it (as the extension's owner) for the tables that remain after a drop,
/// since a column dropped with CASCADE takes the side triggers that name it, which the table's
/// other associations share. Not granted to PUBLIC.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn reinstall_triggers(table: Option<RegClass>) {
    crate::pg_error::keeping_errors(move || {
        let run = || -> Result<()> {
            let table = crate::error::required("habtm.reinstall_triggers", "table", table)?;
            Spi::connect_mut(|client| reconcile_triggers(client, table.0))
        };
        run().or_raise()
    })
}

/// Rails' `collection_singular_ids` name for an association: `projects` → `project_ids`.
fn default_array_name(relation: &str) -> String {
    format!("{}_ids", habtm_naming::singularize(relation))
}

/// `habtm.denormalize(join_table, a_array, b_array, writes)`.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn denormalize(
    join_table: Option<RegClass>,
    a_array: default!(Option<&str>, "NULL"),
    b_array: default!(Option<&str>, "NULL"),
    writes: default!(Option<&str>, "'reject'"),
) {
    crate::pg_error::keeping_errors(move || {
        let run = || -> Result<()> {
            let join = crate::error::required("habtm.denormalize", "join_table", join_table)?.0;
            let writes = crate::error::required("habtm.denormalize", "writes", writes)?;
            let writes = config::Writes::parse(writes).ok_or_else(|| HabtmError::BadWrites {
                given: writes.to_owned(),
            })?;
            Spi::connect_mut(|client| {
                catalog::lock(client)?;
                let shown = RegClass(join).shown();
                let row = read_row(client, join, &shown)?;
                // Both omitted: both sides, Rails' names. Otherwise the sides named.
                let (want_a, want_b) = match (a_array, b_array) {
                    // both sides: the arrays they have, or Rails' names
                    (None, None) => (
                        Some(
                            row.a_array
                                .clone()
                                .unwrap_or_else(|| default_array_name(&row.a_relation)),
                        ),
                        Some(
                            row.b_array
                                .clone()
                                .unwrap_or_else(|| default_array_name(&row.b_relation)),
                        ),
                    ),
                    (a, b) => (a.map(str::to_owned), b.map(str::to_owned)),
                };
                for (argument, wanted, existing, table) in [
                    ("a_array", &want_a, &row.a_array, row.a),
                    ("b_array", &want_b, &row.b_array, row.b),
                ] {
                    if let Some(name) = wanted {
                        check_identifier(argument, name)?;
                        if let Some(old) = existing {
                            if old != name {
                                return Err(HabtmError::AlreadyDenormalized {
                                    table: RegClass(table).shown(),
                                    column: name.clone(),
                                    existing: old.clone(),
                                });
                            }
                        }
                    }
                }
                if row.a == row.b && want_a.is_some() && want_a == want_b {
                    return Err(HabtmError::SameColumnNames {
                        column: want_a.unwrap_or_default(),
                        self_association: true,
                    });
                }
                // No writer may slip between the backfill and the triggers, and none can deadlock
                // with this call (catalog::lock_tables).
                catalog::lock_tables(client, &[join, row.a, row.b])?;
                let a_final = want_a.clone().or(row.a_array.clone());
                let b_final = want_b.clone().or(row.b_array.clone());
                // the sides named take `writes`; the others keep theirs
                let mode = |wanted: &Option<String>, had: &Option<String>| match wanted {
                    Some(_) => Some(writes.as_str().to_owned()),
                    None => had.clone(),
                };
                let (a_writes, b_writes) =
                    (mode(&want_a, &row.a_writes), mode(&want_b, &row.b_writes));
                if let Some(name) = &want_a {
                    prepare_column(client, row.a, name, row.b, &row.b_key)?;
                }
                if let Some(name) = &want_b {
                    prepare_column(client, row.b, name, row.a, &row.a_key)?;
                }
                client.update(
                "UPDATE habtm.join_tables SET a_array = $2::pg_catalog.name, b_array = $3::pg_catalog.name,
                        a_array_writes = $4, b_array_writes = $5
                  WHERE join_table OPERATOR(pg_catalog.=) $1",
                None,
                &[
                    RegClass(join).into(),
                    a_final.into(),
                    b_final.into(),
                    a_writes.into(),
                    b_writes.into(),
                ],
            )?;
                // Backfill in one pass per side, before the triggers exist.
                let a = config::load(client, join)?.expect("the row just written");
                for (i, wanted) in [(0, &want_a), (1, &want_b)] {
                    if wanted.is_some() {
                        let _quiet = super::triggers::quiet_table(a.sides[i].table);
                        client.update(&statements::rewrite(&a, i), None, &[])?;
                        let s = &a.sides[i];
                        client.update(
                            &format!(
                                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
                                s.table_sql,
                                s.array.as_ref().unwrap().sql
                            ),
                            None,
                            &[],
                        )?;
                    }
                }
                reconcile_association(client, join, row.a, row.b)
            })
        };
        run().or_raise()
    })
}

/// `habtm.normalize(join_table, drop_columns)`.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn normalize(join_table: Option<RegClass>, drop_columns: default!(Option<bool>, false)) {
    crate::pg_error::keeping_errors(move || {
        let run = || -> Result<()> {
            let join = crate::error::required("habtm.normalize", "join_table", join_table)?.0;
            let drop_columns =
                crate::error::required("habtm.normalize", "drop_columns", drop_columns)?;
            Spi::connect_mut(|client| {
                catalog::lock(client)?;
                let shown = RegClass(join).shown();
                let row = read_row(client, join, &shown)?;
                catalog::lock_tables(client, &[join, row.a, row.b])?;
                let before = config::load(client, join)?;
                client.update(
                    "UPDATE habtm.join_tables SET a_array = NULL, b_array = NULL
                  WHERE join_table OPERATOR(pg_catalog.=) $1",
                    None,
                    &[RegClass(join).into()],
                )?;
                reconcile_association(client, join, row.a, row.b)?;
                if let (true, Some(a)) = (drop_columns, before) {
                    for s in &a.sides {
                        if let Some(arr) = &s.array {
                            client.update(
                                &format!("ALTER TABLE {} DROP COLUMN {}", s.table_sql, arr.sql),
                                None,
                                &[],
                            )?;
                        }
                    }
                }
                Ok(())
            })
        };
        run().or_raise()
    })
}

/// The associations to look at: one join table (which must be registered) or all with arrays.
fn selected(client: &mut SpiClient<'_>, join_table: Option<RegClass>) -> Result<Vec<Association>> {
    let joins: Vec<pg_sys::Oid> = match join_table {
        Some(j) => {
            let shown = j.shown();
            read_row(client, j.0, &shown)?;
            vec![j.0]
        }
        None => client
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
            .collect(),
    };
    let mut out = Vec::new();
    for j in joins {
        if let Some(a) = config::load(client, j)? {
            out.push(a);
        }
    }
    Ok(out)
}

/// Runs `f` as `owner` in a security-restricted operation, as VACUUM and REFRESH MATERIALIZED
/// VIEW run a table's code as its owner: `check` and `repair` read and write each id array as
/// the owner of its table, so that a trigger, operator or policy of another role's table never
/// runs with the caller's rights (a superuser's `repair()` of every table, say).
fn as_owner<R>(owner: pg_sys::Oid, f: impl FnOnce() -> Result<R>) -> Result<R> {
    struct Restore(pg_sys::Oid, i32);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: puts back the user and context saved below (an error that aborts the
            // transaction restores them too).
            unsafe { pg_sys::SetUserIdAndSecContext(self.0, self.1) };
        }
    }
    let (mut user, mut context) = (pg_sys::InvalidOid, 0);
    // SAFETY: reads the current user and security context into the two locals.
    unsafe { pg_sys::GetUserIdAndSecContext(&mut user, &mut context) };
    let _restore = Restore(user, context);
    let restricted =
        (pg_sys::SECURITY_RESTRICTED_OPERATION | pg_sys::SECURITY_LOCAL_USERID_CHANGE) as i32;
    // SAFETY: the owner is a role that exists (it owns a table); the caller is a member of it.
    unsafe { pg_sys::SetUserIdAndSecContext(owner, context | restricted) };
    f()
}

/// The id arrays `check` and `repair` act on, each with the role to act as: of one join table
/// (the caller must be a member of each array's table owner: 42501 otherwise), or of every join
/// table, skipping arrays on tables the caller does not own (as a database-wide VACUUM does).
fn arrays_to_visit(
    client: &mut SpiClient<'_>,
    join_table: Option<RegClass>,
) -> Result<Vec<(Rc<Association>, usize, pg_sys::Oid)>> {
    let mut out = Vec::new();
    for a in selected(client, join_table)? {
        let a = Rc::new(a);
        for i in 0..2 {
            if a.sides[i].array.is_none() {
                continue;
            }
            match catalog::owner_to_act_as(client, a.sides[i].table)? {
                Some(owner) => out.push((Rc::clone(&a), i, owner)),
                None if join_table.is_some() => {
                    return Err(HabtmError::NotOwner {
                        table: RegClass(a.sides[i].table).shown(),
                    })
                }
                None => {}
            }
        }
    }
    Ok(out)
}

type CheckRow = (
    RegClass,
    RegClass,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// `habtm.check(join_table)`: every array that differs from the join table, and how.
#[allow(clippy::type_complexity)] // pgrx reads the column names from this very signature
#[pg_extern(stable)]
fn check(
    join_table: default!(Option<RegClass>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(joined_by, RegClass),
        name!(table_name, RegClass),
        name!(key, String),
        name!(array_column, String),
        name!(problem, String),
        name!(expected, Option<String>),
        name!(actual, Option<String>),
    ),
> {
    crate::pg_error::keeping_errors(move || {
        let run = || -> Result<Vec<CheckRow>> {
            Spi::connect_mut(|client| {
                let mut out = Vec::new();
                for (a, i, owner) in arrays_to_visit(client, join_table)? {
                    let Some(arr) = &a.sides[i].array else {
                        continue;
                    };
                    let sql = format!(
                    "SELECT e.k::pg_catalog.text,
                            CASE WHEN e.actual IS NULL THEN 'NULL array'
                                 WHEN pg_catalog.array_position(e.actual, NULL) IS NOT NULL THEN 'NULL element'
                                 WHEN habtm.array_canonical(e.actual) OPERATOR(pg_catalog.=) e.expected
                                      THEN 'not sorted or duplicated ids'
                                 WHEN e.expected OPERATOR(pg_catalog.@>) e.actual THEN 'missing ids'
                                 WHEN e.actual OPERATOR(pg_catalog.@>) e.expected THEN 'ids not in the join table'
                                 ELSE 'wrong ids' END,
                            e.expected::pg_catalog.text, e.actual::pg_catalog.text
                       FROM ({}) e
                      WHERE {}
                      ORDER BY e.k",
                    statements::expected_arrays(&a, i),
                    statements::DIFFERS
                );
                    as_owner(owner, || {
                        for row in client.select(&sql, None, &[])? {
                            out.push((
                                RegClass(a.join),
                                RegClass(a.sides[i].table),
                                row.get::<String>(1)?.unwrap_or_default(),
                                arr.name.clone(),
                                row.get::<String>(2)?.unwrap_or_default(),
                                row.get::<String>(3)?,
                                row.get::<String>(4)?,
                            ));
                        }
                        Ok(())
                    })?;
                }
                Ok(out)
            })
        };
        TableIterator::new(run().or_raise())
    })
}

/// `habtm.repair(join_table)`: rewrites the arrays `check` reports; returns how many.
#[pg_extern(volatile)]
fn repair(join_table: default!(Option<RegClass>, "NULL")) -> i64 {
    crate::pg_error::keeping_errors(move || {
        let run = || -> Result<i64> {
            Spi::connect_mut(|client| {
                let mut total = 0;
                for (a, i, owner) in arrays_to_visit(client, join_table)? {
                    super::lock_association(&a, true);
                    let sql = statements::rewrite(&a, i);
                    total += as_owner(owner, || {
                        super::triggers::check_side_security(&a.sides[i])?;
                        let _quiet = super::triggers::quiet_table(a.sides[i].table);
                        Ok(plans::run(client, &sql, &[], true)?
                            .first()
                            .get::<i64>(1)?
                            .unwrap_or(0))
                    })?;
                }
                Ok(total)
            })
        };
        run().or_raise()
    })
}
