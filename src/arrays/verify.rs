//! `check` and `repair`: the id arrays compared with the join table, as the owner of each
//! array's table.

use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::catalog::{self, Association};
use crate::error::{HabtmError, OrRaise, Result};
use crate::pg::plans;
use crate::pg::regclass::RegClass;
use habtm_sql::arrays as statements;

/// The associations to look at: one join table (which must be registered) or all with arrays.
fn selected(client: &mut SpiClient<'_>, join_table: Option<RegClass>) -> Result<Vec<Association>> {
    let found = match join_table {
        Some(j) => vec![catalog::registered(client, j.0)?],
        None => {
            let mut all = Vec::new();
            for j in catalog::joins_with_arrays(client)? {
                all.extend(catalog::load(client, j)?);
            }
            all
        }
    };
    Ok(found.into_iter().filter(|a| a.has_arrays()).collect())
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
    crate::pg::errors::keeping_errors(move || {
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
                    statements::expected_arrays(&a.shape, i),
                    statements::DIFFERS
                );
                    as_owner(owner, || {
                        // compared as this role sees both tables: a policy hiding rows from it
                        // would report drift that is not there, or hide drift that is
                        super::triggers::check_rebuild_security(&a, i)?;
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
    crate::pg::errors::keeping_errors(move || {
        let run = || -> Result<i64> {
            Spi::connect_mut(|client| {
                let mut total = 0;
                let visits = arrays_to_visit(client, join_table)?;
                // Every association's lock before any row is written, in ascending join-table
                // OID order, as a side table's lock trigger takes them: a DELETE from a side
                // table shared by two associations then queues behind repair (or repair behind
                // it) instead of each holding one lock the other needs.
                let mut locked: Vec<&Association> = visits.iter().map(|(a, _, _)| &**a).collect();
                locked.sort_by_key(|a| a.join.to_u32());
                locked.dedup_by_key(|a| a.join);
                for a in locked {
                    super::triggers::lock_association(a, true);
                }
                for (a, i, owner) in visits {
                    let sql = statements::rewrite(&a.shape, i);
                    total += as_owner(owner, || {
                        // the arrays are rewritten from the join table as this role sees it
                        super::triggers::check_rebuild_security(&a, i)?;
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
