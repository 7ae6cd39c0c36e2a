//! The association functions that write: `add`, `remove`, `replace`, `clear`, `destroy`,
//! `create`.

use pgrx::prelude::*;

use crate::catalog::Direction;
use crate::error::{HabtmError, OrRaise, Result};
use crate::pg::plans::{self, PlanMode};
use crate::pg::polymorphic::AnyValue;
use crate::pg::raw::RawJsonb;
use crate::pg::regclass::RegClass;

use super::call::*;

/// Links `id` to each of `targets`; existing links and repeated ids are ignored. Returns the
/// number of links created. (Rails `<<`, LoopBack `add`.)
#[pg_extern(volatile, name = "add")]
fn add_links(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<AnyValue>,
) -> i64 {
    crate::pg::errors::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            Some(targets),
            true,
            // An INSERT from the ids given: no statistics change its plan. (ON CONFLICT DO
            // NOTHING skips an id given twice as it skips an existing link: no DISTINCT, no sort.)
            Counted {
                sql: "INSERT INTO {j} ({oc}, {tc})
                      SELECT {id}, t FROM pg_catalog.unnest({targets}) AS t
                      ON CONFLICT DO NOTHING",
                writes: true,
                mode: PlanMode::Generic,
            },
            Some(Counted {
                sql: "INSERT INTO {j} ({oc}, {tc}) SELECT {id}, ({targets})[1]
                      ON CONFLICT DO NOTHING",
                writes: true,
                mode: PlanMode::Generic,
            }),
        )
    })
}

/// Unlinks `id` from each of `targets`; the rows themselves stay. Returns the links removed.
/// (Rails `delete`, LoopBack `remove`.)
#[pg_extern(volatile, name = "remove")]
fn remove_links(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<AnyValue>,
) -> i64 {
    crate::pg::errors::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            Some(targets),
            true,
            // How many of the owner's links the ids reach depends on the data: PostgreSQL's
            // choice of plan.
            Counted {
                sql: "DELETE FROM {j} WHERE {oc} {oeq} {id} AND {tc} {teq} ANY ({targets})",
                writes: true,
                mode: PlanMode::Default,
            },
            // One link by its whole pair key: the unique index's one-row probe.
            Some(Counted {
                sql: "DELETE FROM {j} WHERE {oc} {oeq} {id} AND {tc} {teq} ({targets})[1]",
                writes: true,
                mode: PlanMode::Generic,
            }),
        )
    })
}

/// Makes the set of `id`'s links exactly `targets`, by difference, in one statement. Returns
/// links added plus links removed. (Rails `collection=` / `ids=`.)
#[pg_extern(volatile, name = "replace")]
fn replace_links(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<AnyValue>,
) -> i64 {
    crate::pg::errors::keeping_errors(move || {
        with_association(
        owner,
        relation,
        id,
        Some(targets),
        true,
        |client, a, id, targets| {
            let args = vec![id.param(), targets.map(AnyValue::param).expect("targets")];
            lock_for_two_passes(a)?;
            // Two statements, each counted by the executor (no RETURNING to collect): the links
            // not wanted go, then the wanted ones not already there come. Reading the owner's
            // remaining links first leaves to the unique index only the ids given twice and
            // links another transaction adds meanwhile (ON CONFLICT). The triggers fire as for
            // one statement with two parts: once per event.
            let removed = plans::processed(
                client,
                &a.render(
                    "DELETE FROM {j} j WHERE j.{oc} {oeq} {id}
                        AND NOT EXISTS (SELECT FROM pg_catalog.unnest({targets}) AS w(t)
                                         WHERE w.t {teq} j.{tc})",
                ),
                &args,
                PlanMode::Default,
            )?;
            let added = plans::processed(
                client,
                &a.render(
                    "INSERT INTO {j} ({oc}, {tc})
                     SELECT {id}, w.t FROM pg_catalog.unnest({targets}) AS w(t)
                      WHERE NOT EXISTS (SELECT FROM {j} j WHERE j.{oc} {oeq} {id} AND j.{tc} {teq} w.t)
                     ON CONFLICT DO NOTHING",
                ),
                &args,
                PlanMode::Default,
            )?;
            Ok((removed + added) as i64)
        },
    )
    .or_raise()
    })
}

/// `replace` deletes and inserts links in one statement, so a join table with id arrays gets two
/// trigger passes (one per event), each locking side rows in key order; two concurrent writers
/// could each hold rows of the other's pass. Locking those rows before the statement does not
/// help: its own inserts may then wait for another writer's uncommitted links while holding side
/// rows that writer's trigger needs (the concurrency test found both deadlocks). So `replace` on
/// an association with arrays takes the association's lock exclusively, before any row lock, and
/// runs alone among that association's writers.
fn lock_for_two_passes(a: &Direction) -> Result<()> {
    if a.association.has_arrays() {
        crate::arrays::lock_association(&a.association, true);
    }
    Ok(())
}

/// Unlinks everything from `id`. Returns the links removed. (Rails `clear`.)
#[pg_extern(volatile, name = "clear")]
fn clear_links(owner: Option<RegClass>, relation: Option<&str>, id: Option<AnyValue>) -> i64 {
    crate::pg::errors::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            None,
            true,
            // One owner's links: their number decides the plan.
            Counted {
                sql: "DELETE FROM {j} WHERE {oc} {oeq} {id}",
                writes: true,
                mode: PlanMode::Default,
            },
            None,
        )
    })
}

/// Deletes the associated target rows themselves — all of them, or those of `targets` that are
/// associated — with a real DELETE, so their own triggers and cascades run (the join rows go by
/// the foreign key's cascade, other owners' links too). Returns the rows deleted.
#[pg_extern(volatile, name = "destroy")]
fn destroy_targets(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: default!(Option<AnyValue>, "NULL"),
) -> i64 {
    crate::pg::errors::keeping_errors(move || {
        // NULL targets means all of them: only given targets go through the checks.
        with_association(
            owner,
            relation,
            id,
            targets.map(Some),
            true,
            |client, a, id, targets| {
                let (only, args) = match targets {
                    Some(t) => (
                        format!(
                            "AND t.{tk} {teq} ANY ({})",
                            a.targets_param(2),
                            tk = a.target_sql().key_sql,
                            teq = a.target_sql().eq_sql,
                        ),
                        vec![id.param(), t.param()],
                    ),
                    None => (String::new(), vec![id.param()]),
                };
                plans::count(
                    client,
                    &format!(
                        "WITH destroyed AS (
                    DELETE FROM {target} t WHERE t.{tk} {teq} ANY
                      (SELECT j.{tc} FROM {j} j WHERE j.{oc} {oeq} {id}) {only}
                    RETURNING 1)
                 SELECT pg_catalog.count(*) FROM destroyed",
                        target = a.target_sql().table_sql,
                        tk = a.target_sql().key_sql,
                        j = a.join_sql(),
                        oc = a.owner_sql().join_column_sql,
                        tc = a.target_sql().join_column_sql,
                        oeq = a.owner_sql().eq_sql,
                        teq = a.target_sql().eq_sql,
                        id = a.owner_param(1),
                    ),
                    &args,
                    true,
                    PlanMode::Default,
                )
            },
        )
        .or_raise()
    })
}

/// Inserts one target row from `attributes` (column defaults for the rest), links it to `id`,
/// and returns the new row. (Rails / LoopBack `create`.)
#[pg_extern(volatile, name = "create")]
fn create_target(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    attributes: Option<RawJsonb>,
) -> RawJsonb {
    crate::pg::errors::keeping_errors(move || {
        let attributes = required("attributes", attributes).or_raise();
        with_association(owner, relation, id, None, true, move |client, a, id, _| {
            // The document itself goes to jsonb_populate_record unparsed, so every value reaches
            // its column exactly as given (numbers keep all their digits); only its keys are read.
            let keys = plans::run(
                client,
                "SELECT CASE WHEN pg_catalog.jsonb_typeof($1) OPERATOR(pg_catalog.=) 'object'
                         THEN ARRAY(SELECT pg_catalog.jsonb_object_keys($1)) END",
                &[attributes.into()],
                false,
            )?
            .first()
            .get::<Vec<String>>(1)?;
            let Some(keys) = keys else {
                return Err(HabtmError::BadJson {
                    argument: "attributes",
                    reason: "must be a JSON object of column names and values".into(),
                });
            };
            let columns = super::filter::columns_of(client, RegClass(a.target().table))?;
            let mut names = Vec::with_capacity(keys.len());
            for key in keys {
                if !columns.contains_key(&key) {
                    return Err(HabtmError::UnknownColumn {
                        table: a.target_shown(),
                        column: key,
                    });
                }
                names.push(pgrx::spi::quote_identifier(&key));
            }
            let insert = if names.is_empty() {
                format!(
                    "INSERT INTO {} DEFAULT VALUES RETURNING *",
                    a.target_sql().table_sql
                )
            } else {
                format!(
                    "INSERT INTO {target} ({list}) SELECT {values}
                   FROM pg_catalog.jsonb_populate_record(NULL::{target}, $2) r RETURNING *",
                    target = a.target_sql().table_sql,
                    list = names.join(", "),
                    values = names
                        .iter()
                        .map(|n| format!("r.{n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            };
            let sql = format!(
                "WITH created AS ({insert}), {rest}",
                rest = a.render(
                    "linked AS (INSERT INTO {j} ({oc}, {tc}) SELECT {id}, c.{tk} FROM created c)
                 SELECT CAST(c.{tk} AS pg_catalog.text) FROM created c",
                ),
            );
            let key = plans::run(client, &sql, &[id.param(), attributes.into()], true)?
                .first()
                .get::<String>(1)?;
            // Read after the statement: the join table's triggers have run by then, so the row
            // returned carries its id array as stored.
            let row = plans::run(
                client,
                &a.render(
                    "SELECT pg_catalog.to_jsonb(t) FROM {target} t
                  WHERE t.{tk} {teq} CAST(CAST($1 AS pg_catalog.text) AS {target_type})",
                )
                .replace("{target_type}", &a.target_sql().key_type_sql),
                &[key.into()],
                false,
            )?
            .first();
            row.get::<RawJsonb>(1)?.ok_or(HabtmError::RowsSkipped {
                action: "read back the row it created".into(),
                expected: 1,
                done: 0,
            })
        })
        .or_raise()
    })
}
