//! Installing id arrays: `denormalize` (the columns, their backfill, the triggers), `normalize`,
//! and the triggers each table needs, re-created from the catalog whenever it changes.
//!
//! DDL runs with `search_path` pinned (names come quoted and qualified from the catalog).

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::catalog::{self, Side, Writes};
use crate::error::{HabtmError, OrRaise, Result};
use crate::naming::check_identifier;
use crate::pg::regclass::RegClass;
use habtm_sql::arrays as statements;

/// SQL for ` COLLATE schema.name` of the column `a` (a `pg_attribute` row), or `''` when its
/// type has no collation; needs [`COLLATION_JOINS`].
const COLLATE_CLAUSE: &str = "CASE WHEN a.attcollation OPERATOR(pg_catalog.<>) 0 THEN
         ' COLLATE ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(cn.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.collname)
         ELSE '' END";

/// The joins [`COLLATE_CLAUSE`] reads.
const COLLATION_JOINS: &str = "LEFT JOIN pg_catalog.pg_collation c ON c.oid OPERATOR(pg_catalog.=) a.attcollation
               LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid OPERATOR(pg_catalog.=) c.collnamespace";

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
                COLLATE_CLAUSE, COLLATION_JOINS
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
    let shown = catalog::qualified_name_of(client, table)?;
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
    if catalog::load(client, table)?.is_some_and(|a| a.has_arrays()) {
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
    for join in catalog::joins_with_arrays_of(client, table)? {
        let Some(a) = catalog::load(client, join)?.filter(|a| a.has_arrays()) else {
            continue;
        };
        for (s, sql) in a.sides.iter().zip(&a.shape.sides) {
            if s.table != table {
                continue;
            }
            watched.push(sql.key_sql.clone());
            if a.self_association() {
                // a key update renames the row's own id in its arrays (side_canonical)
                canonical_keys.push(sql.key_sql.clone());
            }
            if let (Some(arr), Some(arr_sql)) = (&s.array, &sql.array) {
                arrays.push(arr_sql.sql.clone());
                if arr.writes == Writes::Links {
                    watched.push(arr_sql.sql.clone());
                    writable = true;
                } else {
                    read_only.push(arr_sql.sql.clone());
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
pub fn reinstall(
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
    crate::pg::errors::keeping_errors(move || {
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

/// `habtm.denormalize(join_table, a_array, b_array, writes, gin)`.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn denormalize(
    join_table: Option<RegClass>,
    a_array: default!(Option<&str>, "NULL"),
    b_array: default!(Option<&str>, "NULL"),
    writes: default!(Option<&str>, "'reject'"),
    gin: default!(Option<bool>, false),
) {
    crate::pg::errors::keeping_errors(move || {
        let run = || -> Result<()> {
            let join = crate::error::required("habtm.denormalize", "join_table", join_table)?.0;
            let writes = crate::error::required("habtm.denormalize", "writes", writes)?;
            let gin = crate::error::required("habtm.denormalize", "gin", gin)?;
            let writes = Writes::parse(writes).ok_or_else(|| HabtmError::BadWrites {
                given: writes.to_owned(),
            })?;
            Spi::connect_mut(|client| {
                catalog::lock(client)?;
                let row = catalog::registered(client, join)?;
                let [sa, sb] = &row.sides;
                let (had_a, had_b) = (array_name(sa), array_name(sb));
                // Both omitted: both sides, Rails' names. Otherwise the sides named.
                let (want_a, want_b) = match (a_array, b_array) {
                    // both sides: the arrays they have, or Rails' names
                    (None, None) => (
                        Some(
                            had_a
                                .clone()
                                .unwrap_or_else(|| default_array_name(&sa.relation)),
                        ),
                        Some(
                            had_b
                                .clone()
                                .unwrap_or_else(|| default_array_name(&sb.relation)),
                        ),
                    ),
                    (a, b) => (a.map(str::to_owned), b.map(str::to_owned)),
                };
                for (argument, wanted, existing, table) in [
                    ("a_array", &want_a, &had_a, sa.table),
                    ("b_array", &want_b, &had_b, sb.table),
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
                if sa.table == sb.table && want_a.is_some() && want_a == want_b {
                    return Err(HabtmError::SameColumnNames {
                        column: want_a.unwrap_or_default(),
                        self_association: true,
                    });
                }
                // No writer may slip between the backfill and the triggers, and none can deadlock
                // with this call (catalog::lock_tables).
                catalog::lock_tables(client, &[join, sa.table, sb.table])?;
                let a_final = want_a.clone().or(had_a.clone());
                let b_final = want_b.clone().or(had_b.clone());
                // the sides named take `writes`; the others keep theirs
                let mode = |wanted: &Option<String>, had: &Option<String>| match wanted {
                    Some(_) => Some(writes.as_str().to_owned()),
                    None => had.clone(),
                };
                let (a_writes, b_writes) =
                    (mode(&want_a, &writes_of(sa)), mode(&want_b, &writes_of(sb)));
                if let Some(name) = &want_a {
                    prepare_column(client, sa.table, name, sb.table, &sb.key)?;
                }
                if let Some(name) = &want_b {
                    prepare_column(client, sb.table, name, sa.table, &sa.key)?;
                }
                catalog::set_arrays(client, join, [a_final, b_final], [a_writes, b_writes])?;
                // Backfill in one pass per side, before the triggers exist.
                let a = catalog::load(client, join)?.expect("the row just written");
                for (i, wanted) in [(0, &want_a), (1, &want_b)] {
                    if wanted.is_some() {
                        let _quiet = super::triggers::quiet_table(a.sides[i].table);
                        client.update(&statements::rewrite(&a.shape, i), None, &[])?;
                        let s = &a.shape.sides[i];
                        client.update(
                            &format!(
                                "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
                                s.table_sql,
                                s.array.as_ref().expect("the array just named").sql
                            ),
                            None,
                            &[],
                        )?;
                    }
                }
                if gin {
                    for (i, wanted) in [(0, &want_a), (1, &want_b)] {
                        if wanted.is_some() {
                            gin_index(client, &a.shape.sides[i], &a.sides[i])?;
                        }
                    }
                }
                reinstall(client, join, sa.table, sb.table)
            })
        };
        run().or_raise()
    })
}

/// A GIN index on the id array of `side` (table `table`), unless one on that column alone
/// exists: it serves `WHERE project_ids @> '{5}'` (contains) and `&&` (overlaps), which a
/// B-tree cannot. The default operator class, `array_ops`, works for every key type with a
/// B-tree class (intarray's would serve only `int4[]`, and installing that extension changes
/// which `@>` an `int[]` gets). PostgreSQL names it (`developers_project_ids_idx`).
fn gin_index(client: &mut SpiClient<'_>, shape: &habtm_sql::SideShape, side: &Side) -> Result<()> {
    let (Some(array), Some(column)) = (&shape.array, &side.array) else {
        unreachable!("a side named by denormalize has its array")
    };
    let exists = !client
        .select(
            "SELECT FROM pg_catalog.pg_index i
               JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.indexrelid
               JOIN pg_catalog.pg_am am ON am.oid OPERATOR(pg_catalog.=) c.relam
               JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]
              WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND am.amname OPERATOR(pg_catalog.=) 'gin'
                AND i.indnatts OPERATOR(pg_catalog.=) 1 AND i.indpred IS NULL AND i.indexprs IS NULL
                AND a.attname OPERATOR(pg_catalog.=) $2",
            None,
            &[side.table.into(), column.name.as_str().into()],
        )?
        .is_empty();
    if !exists {
        client.update(
            &format!(
                "CREATE INDEX ON {} USING gin ({})",
                shape.table_sql, array.sql
            ),
            None,
            &[],
        )?;
    }
    Ok(())
}

/// `habtm.normalize(join_table, drop_columns)`.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn normalize(join_table: Option<RegClass>, drop_columns: default!(Option<bool>, false)) {
    crate::pg::errors::keeping_errors(move || {
        let run = || -> Result<()> {
            let join = crate::error::required("habtm.normalize", "join_table", join_table)?.0;
            let drop_columns =
                crate::error::required("habtm.normalize", "drop_columns", drop_columns)?;
            Spi::connect_mut(|client| {
                catalog::lock(client)?;
                let row = catalog::registered(client, join)?;
                let [sa, sb] = &row.sides;
                catalog::lock_tables(client, &[join, sa.table, sb.table])?;
                let before = catalog::load(client, join)?;
                catalog::clear_arrays(client, join)?;
                reinstall(client, join, sa.table, sb.table)?;
                if let (true, Some(a)) = (drop_columns, before) {
                    for s in &a.shape.sides {
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

/// The name of the id array `side` keeps, if any.
fn array_name(side: &Side) -> Option<String> {
    side.array.as_ref().map(|c| c.name.clone())
}

/// Its write mode, as the catalog spells it.
fn writes_of(side: &Side) -> Option<String> {
    side.array.as_ref().map(|c| c.writes.as_str().to_owned())
}
