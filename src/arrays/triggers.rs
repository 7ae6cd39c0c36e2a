//! The trigger functions that keep id arrays equal to the join table.
//!
//! Join table (`join_lock`, `join_sync`): every INSERT, UPDATE, DELETE (also from a foreign-key
//! cascade), COPY and `ON CONFLICT` statement fires one AFTER … FOR EACH STATEMENT trigger with
//! its transition table; each side with an array is updated by one set-based statement that
//! merges the delta into the sorted arrays (`habtm.array_apply`), locking the rows it touches in
//! ascending key order. TRUNCATE empties the arrays.
//!
//! Side tables (`side_lock`, `side_canonical`, `side_sync`): a write to an array column is a
//! write to the association. A BEFORE ROW trigger stores the array canonical (sorted, no
//! duplicates, no NULLs: in Rust, no SQL per row); an AFTER statement trigger makes the join
//! table follow, and the join table's triggers then update the other side's arrays.
//!
//! Locking: a per-association advisory lock, taken in BEFORE STATEMENT triggers, before any row
//! lock: shared by join-table writers (they run concurrently and lock side rows in key order),
//! exclusive for array writes, side-row deletes, key updates and truncations (which lock rows in
//! the other order: side row first, then the join table, then the other side).
//!
//! Loops: the UPDATEs habtm itself runs on a side table are not writes to the association. The
//! side table's triggers recognise them by relation and trigger depth ([`Quiet`]) and return at
//! once, so every trigger fires once per statement and does nothing for habtm's own writes.

use std::cell::RefCell;
use std::convert::Infallible;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::trigger_support::{PgTrigger, PgTriggerOperation};

use habtm_sql::arrays::{self as statements, JoinEvent};

use super::sets::ElementType;
use super::transition::{read_deltas, Delta};
use crate::catalog::{self, ArrayColumn, Association, Writes};
use crate::error::{HabtmError, OrRaise};
use crate::pg::plans;

type HResult<T> = crate::error::Result<T>;

/// What a trigger function hands back to pgrx: the row (or none). Errors never travel through
/// it — pgrx would report one as an internal error (XX000) — each trigger body's `Result` is
/// raised with its own SQLSTATE at the edge ([`OrRaise`]).
type Fired<'a> = Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, Infallible>;

/// A trigger body's outcome: the row to return, or the error to raise.
type Outcome<'a> = HResult<Option<PgHeapTuple<'a, AllocatedByPostgres>>>;

/// Where habtm's own statements are running, so that the triggers they fire stand aside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quiet {
    /// habtm is updating this side table's arrays; its triggers at this depth do nothing.
    Table { table: pg_sys::Oid, depth: i32 },
    /// habtm is writing the join table to follow a side's arrays, and updates the other side
    /// in the same statement: the join table's triggers at this depth have nothing to do.
    Join { join: pg_sys::Oid, depth: i32 },
}

thread_local! {
    static QUIET: RefCell<Vec<Quiet>> = const { RefCell::new(Vec::new()) };
    /// Side tables whose current UPDATE statement (at a trigger depth) sets a key or array
    /// column: only those need the AFTER UPDATE trigger's work. Cleared when transactions end.
    static PENDING: RefCell<Vec<(pg_sys::Oid, i32)>> = const { RefCell::new(Vec::new()) };
}

/// Pushes a [`Quiet`] entry for as long as it lives (also when an error unwinds).
struct QuietGuard;

impl QuietGuard {
    fn new(q: Quiet) -> QuietGuard {
        QUIET.with(|v| v.borrow_mut().push(q));
        QuietGuard
    }
}

impl Drop for QuietGuard {
    fn drop(&mut self) {
        QUIET.with(|v| {
            v.borrow_mut().pop();
        });
    }
}

fn is_quiet(q: Quiet) -> bool {
    QUIET.with(|v| v.borrow().contains(&q))
}

/// Drops per-statement state at the end of every transaction.
unsafe extern "C-unwind" fn end_of_transaction(_event: u32, _arg: *mut std::ffi::c_void) {
    let _ = PENDING.try_with(|v| v.borrow_mut().clear());
}

/// Registers the transaction callback (from `_PG_init`).
pub fn init() {
    // SAFETY: a static callback, registered once per backend.
    unsafe { pg_sys::RegisterXactCallback(Some(end_of_transaction), std::ptr::null_mut()) };
}

/// `pg_trigger_depth()`: 1 inside a trigger fired by a top-level statement.
fn trigger_depth() -> i32 {
    // SAFETY: pg_trigger_depth takes no arguments and returns an int4.
    unsafe { pgrx::direct_function_call::<i32>(pg_sys::pg_trigger_depth, &[]) }.unwrap_or(0)
}

/// Takes the association's advisory lock until the transaction ends.
pub fn lock_association(a: &Association, exclusive: bool) {
    let (k1, k2) = a.lock_key();
    let args = [Some(pg_sys::Datum::from(k1)), Some(pg_sys::Datum::from(k2))];
    // SAFETY: both functions take two int4 and return void.
    unsafe {
        if exclusive {
            pgrx::direct_function_call_as_datum(pg_sys::pg_advisory_xact_lock_int4, &args);
        } else {
            pgrx::direct_function_call_as_datum(pg_sys::pg_advisory_xact_lock_shared_int4, &args);
        }
    }
}

/// Refuses to maintain `array` when row-level security applies to `table` for the current role:
/// a policy that hides rows would leave arrays stale without an error.
fn check_row_security(table: pg_sys::Oid, table_sql: &str, array: String) -> HResult<()> {
    // SAFETY: a catalog lookup for an existing relation.
    let rls = unsafe { pg_sys::check_enable_rls(table, pg_sys::InvalidOid, true) };
    if rls == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32 {
        return Err(HabtmError::RowSecurity {
            table: table_sql.to_owned(),
            array,
        });
    }
    Ok(())
}

/// Runs a maintenance statement that returns pairs of counts (rows to write, rows written), one
/// pair per entry of `actions`; a pair that disagrees is an error.
fn run_counted(client: &mut SpiClient<'_>, sql: &str, actions: &[&str]) -> HResult<()> {
    let row = plans::run(client, sql, &[], true)?.first();
    for (p, action) in actions.iter().enumerate() {
        let expected = row.get::<i64>(2 * p + 1)?.unwrap_or(0);
        let done = row.get::<i64>(2 * p + 2)?.unwrap_or(0);
        if expected != done {
            return Err(HabtmError::RowsSkipped {
                action: (*action).to_owned(),
                expected,
                done,
            });
        }
    }
    Ok(())
}

/// Makes the transition tables of this trigger call visible to SPI.
fn register_transition_tables(trigger: &PgTrigger<'_>) {
    let data = trigger.trigger_data() as *const pg_sys::TriggerData as *mut pg_sys::TriggerData;
    // SAFETY: called inside the SPI connection that will read them, with this call's own
    // TriggerData; SPI copies nothing and only registers the named tuplestores.
    unsafe { pg_sys::SPI_register_trigger_data(data) };
}

/// `table.column` of side `i`'s array, for messages.
fn array_name(a: &Association, i: usize) -> String {
    let s = &a.shape.sides[i];
    format!(
        "{}.{}",
        s.table_sql,
        s.array.as_ref().map_or("", |a| a.sql.as_str())
    )
}

/// A side-table trigger's table and trigger depth, or `None` when the statement that fired it
/// is habtm's own update of that table (the trigger then has nothing to do).
fn side_trigger_at_work(trigger: &PgTrigger<'_>) -> Option<(pg_sys::Oid, i32)> {
    let table = relid(trigger);
    let depth = trigger_depth();
    (!is_quiet(Quiet::Table { table, depth })).then_some((table, depth))
}

fn relid(trigger: &PgTrigger<'_>) -> pg_sys::Oid {
    trigger.relid().expect("a trigger call has a relation")
}

/// Applies a [`Delta::OneKey`] to side `s`'s array: one `UPDATE` of one row, through a kept
/// plan. A row that exists but was not written (a trigger of the user's skipped it) is an error,
/// as in the set-based statement; a row that does not exist (deleted in the same statement) has
/// no array to keep.
fn update_one_key(
    client: &mut SpiClient<'_>,
    a: &Association,
    i: usize,
    key: pg_sys::Datum,
    removed: &[pg_sys::Datum],
    added: &[pg_sys::Datum],
) -> HResult<()> {
    let (s, sql) = (&a.sides[i], &a.shape.sides[i]);
    let arr = s.array.as_ref().expect("a side with an array");
    let t = ElementType::new(arr.element, arr.collation)?;
    let list = |ids: &[pg_sys::Datum]| (!ids.is_empty()).then(|| t.build(ids));
    // SAFETY: the key is a value of the join column's type, the lists arrays of the array
    // column's type, all allocated in this SPI connection's memory.
    let args = unsafe {
        [
            DatumWithOid::new(key, s.join_type),
            DatumWithOid::new(list(removed), arr.type_oid),
            DatumWithOid::new(list(added), arr.type_oid),
        ]
    };
    if plans::run(client, &statements::one_key_changed(sql), &args, true)?.len() == 1 {
        return Ok(());
    }
    // SAFETY: as above.
    let key_arg = [unsafe { DatumWithOid::new(key, s.join_type) }];
    let exists = plans::run(client, &statements::key_exists(sql), &key_arg, false)?
        .first()
        .get::<bool>(1)?
        .unwrap_or(false);
    if exists {
        return Err(HabtmError::RowsSkipped {
            action: format!("update {}", array_name(a, i)),
            expected: 1,
            done: 0,
        });
    }
    Ok(())
}

// Each trigger function's SQL is written out (pgrx's own uses 'MODULE_PATHNAME', which only a
// control file's module_pathname fills in): habtm's library is versioned (habtm-0.2.0.so, no
// module_pathname), so that a database not yet updated keeps running the release it was created
// with (README "Upgrading"); '@MODULE_PATHNAME@' is pgrx's name for that library.

/// BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE … FOR EACH STATEMENT on a join table.
#[pg_trigger(sql = r#"
CREATE FUNCTION "join_lock"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'join_lock_wrapper';
"#)]
fn join_lock<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    crate::pg::errors::keeping_errors(move || {
        let body = || -> Outcome<'a> {
            let join = relid(trigger);
            let truncate = matches!(trigger.op(), Ok(PgTriggerOperation::Truncate));
            if let Some(a) = catalog::arrays_of_join(join)? {
                lock_association(&a, truncate);
            }
            Ok(None)
        };
        Ok(body().or_raise())
    })
}

/// AFTER INSERT / UPDATE / DELETE (with transition tables) and AFTER TRUNCATE … FOR EACH
/// STATEMENT on a join table.
#[pg_trigger(sql = r#"
CREATE FUNCTION "join_sync"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'join_sync_wrapper';
"#)]
fn join_sync<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    crate::pg::errors::keeping_errors(move || {
        let body = || -> Outcome<'a> {
            let join = relid(trigger);
            let event = match trigger.op() {
                Ok(PgTriggerOperation::Insert) => JoinEvent::Insert,
                Ok(PgTriggerOperation::Delete) => JoinEvent::Delete,
                Ok(PgTriggerOperation::Update) => JoinEvent::Update,
                _ => JoinEvent::Truncate,
            };
            let depth = trigger_depth();
            if is_quiet(Quiet::Join { join, depth }) {
                return Ok(None);
            }
            Spi::connect_mut(|client| {
                let Some(a) = catalog::by_join(client, join)?.filter(|a| a.has_arrays()) else {
                    return Ok(());
                };
                if event != JoinEvent::Truncate {
                    register_transition_tables(trigger);
                }
                let sides: Vec<usize> = (0..2).filter(|&i| a.sides[i].array.is_some()).collect();
                for &i in &sides {
                    check_row_security(
                        a.sides[i].table,
                        &a.shape.sides[i].table_sql,
                        array_name(&a, i),
                    )?;
                }
                if a.self_association() && event == JoinEvent::Update {
                    // the keys it touched get their arrays from the join table itself
                    // (join_changed): a policy hiding links from this role would drop them (one
                    // check: every side reads the same table as the same role)
                    check_row_security(a.join, &a.shape.join_sql, array_name(&a, sides[0]))?;
                }
                if sides.len() == 2 && a.self_association() {
                    let _quiet = QuietGuard::new(Quiet::Table {
                        table: a.sides[0].table,
                        depth: depth + 1,
                    });
                    plans::run(
                        client,
                        &statements::lock_self_association(&a.shape, event),
                        &[],
                        true,
                    )?;
                }
                let deltas = if event == JoinEvent::Truncate {
                    [Delta::Many, Delta::Many]
                } else {
                    // SAFETY: this call's own trigger data, with its transition tables.
                    unsafe { read_deltas(trigger.trigger_data(), &a, event) }
                };
                for &i in &sides {
                    let s = &a.sides[i];
                    let _quiet = QuietGuard::new(Quiet::Table {
                        table: s.table,
                        depth: depth + 1,
                    });
                    match &deltas[i] {
                        Delta::Empty => {}
                        Delta::OneKey {
                            key,
                            removed,
                            added,
                        } => update_one_key(client, &a, i, *key, removed, added)?,
                        Delta::Many => {
                            let action = format!("update {}", array_name(&a, i));
                            run_counted(
                                client,
                                &statements::join_changed(&a.shape, i, event),
                                &[&action],
                            )?
                        }
                    }
                }
                Ok::<_, HabtmError>(())
            })?;
            Ok(None)
        };
        Ok(body().or_raise())
    })
}

/// BEFORE DELETE OR TRUNCATE OR UPDATE OF <keys and arrays> … FOR EACH STATEMENT on a side table.
#[pg_trigger(sql = r#"
CREATE FUNCTION "side_lock"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'side_lock_wrapper';
"#)]
fn side_lock<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    crate::pg::errors::keeping_errors(move || {
        let body = || -> Outcome<'a> {
            let Some((table, depth)) = side_trigger_at_work(trigger) else {
                return Ok(None);
            };
            if matches!(trigger.op(), Ok(PgTriggerOperation::Update)) {
                PENDING.with(|v| v.borrow_mut().push((table, depth)));
            }
            for a in catalog::arrays_of_side(table)?.iter() {
                lock_association(a, true);
            }
            Ok(None)
        };
        Ok(body().or_raise())
    })
}

/// BEFORE INSERT OR UPDATE OF <arrays> … FOR EACH ROW on a side table: stores each array
/// canonical. No SQL: the row's arrays are sorted in place.
#[pg_trigger(sql = r#"
CREATE FUNCTION "side_canonical"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'side_canonical_wrapper';
"#)]
fn side_canonical<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    crate::pg::errors::keeping_errors(move || {
        let body = || -> Outcome<'a> {
            let table = relid(trigger);
            let data = trigger.trigger_data();
            let is_update = matches!(trigger.op(), Ok(PgTriggerOperation::Update));
            let tuple = if is_update {
                data.tg_newtuple
            } else {
                data.tg_trigtuple
            };
            // SAFETY: the relation of a firing trigger is open and its descriptor valid.
            let tupdesc = unsafe { (*data.tg_relation).rd_att };
            let wrap = |t: pg_sys::HeapTuple| {
                // SAFETY: a tuple of this relation, allocated by PostgreSQL in this trigger call.
                Ok(Some(unsafe {
                    PgHeapTuple::from_heap_tuple(pgrx::PgTupleDesc::from_pg_unchecked(tupdesc), t)
                }))
            };
            if side_trigger_at_work(trigger).is_none() {
                return wrap(tuple);
            }
            let associations = catalog::arrays_of_side(table)?;
            let mut columns = Vec::new();
            for a in associations.iter() {
                for (i, s) in a.sides.iter().enumerate() {
                    if s.table == table {
                        if let Some(arr) = &s.array {
                            columns.push((arr, array_name(a, i)));
                        }
                    }
                }
            }
            let old = is_update.then_some(data.tg_trigtuple);
            // A self-association's row whose key changes: its own id in its arrays (a self-link)
            // becomes the new one, as the foreign keys' cascades rename it in the join table.
            let mut renamed: Vec<(i16, pg_sys::Datum, pg_sys::Datum)> = Vec::new();
            if let Some(o) = old {
                for a in associations.iter().filter(|a| a.self_association()) {
                    let s = &a.sides[0];
                    let (mut old_null, mut new_null) = (false, false);
                    let k = s.key_attnum as i32;
                    // SAFETY: the old and new versions of this row, of this descriptor.
                    let (was, is) = unsafe {
                        (
                            pg_sys::heap_getattr(o, k, tupdesc, &mut old_null),
                            pg_sys::heap_getattr(tuple, k, tupdesc, &mut new_null),
                        )
                    };
                    if old_null || new_null {
                        continue;
                    }
                    for arr in a.sides.iter().filter_map(|s| s.array.as_ref()) {
                        let t = ElementType::new(arr.element, arr.collation)?;
                        if !t.equal(was, is) {
                            renamed.push((arr.attnum, was, is));
                        }
                    }
                }
            }
            let mut current = tuple;
            for (arr, what) in columns {
                let attnum = arr.attnum as i32;
                let mut isnull = false;
                // SAFETY: attnum is a live column of this relation's descriptor.
                let value = unsafe { pg_sys::heap_getattr(current, attnum, tupdesc, &mut isnull) };
                if isnull {
                    continue; // the column's NOT NULL constraint reports it
                }
                let t = ElementType::new(arr.element, arr.collation)?;
                let replacement = match arr.writes {
                    // SAFETY: the column's type is an array of `arr.element`.
                    Writes::Links => unsafe { t.canonical(value, &what) }?,
                    Writes::Reject => {
                        let before = old.map(|o| {
                            let mut was_null = false;
                            // SAFETY: the old version of the same row, same descriptor.
                            let v =
                                unsafe { pg_sys::heap_getattr(o, attnum, tupdesc, &mut was_null) };
                            (!was_null).then_some(v)
                        });
                        // SAFETY: both are arrays of `arr.element` (the old one stored canonical).
                        unsafe { unchanged_or_refuse(&t, value, before.flatten(), &what, arr) }?
                    }
                };
                let replacement = match renamed.iter().find(|r| r.0 == arr.attnum) {
                    Some(&(_, was, is)) => {
                        let stored = replacement.unwrap_or(value);
                        // SAFETY: an array of `arr.element`; `was` and `is` are keys of that type.
                        Some(unsafe { t.renamed(stored, was, is, &what) }?)
                    }
                    None => replacement,
                };
                if let Some(canonical) = replacement {
                    let mut cols = [attnum];
                    let mut values = [canonical];
                    let mut nulls = [false];
                    // SAFETY: replaces one column of a tuple of this descriptor.
                    current = unsafe {
                        pg_sys::heap_modify_tuple_by_cols(
                            current,
                            tupdesc,
                            1,
                            cols.as_mut_ptr(),
                            values.as_mut_ptr(),
                            nulls.as_mut_ptr(),
                        )
                    };
                }
            }
            wrap(current)
        };
        Ok(body().or_raise())
    })
}

/// A write of a read-only (`writes => 'reject'`) array: the set it held (`before`) is the only
/// value an UPDATE may give it, in any order and with duplicates (an ORM's `save()` writing every
/// column). Returns the stored value to keep, or the error that names the column and the
/// functions that change links. An INSERT's array is stored canonical and checked against the
/// join table when the transaction commits ([`side_insert_check`]).
///
/// # Safety
/// `value` and `before` are arrays of `t`'s type.
unsafe fn unchanged_or_refuse(
    t: &ElementType,
    value: pg_sys::Datum,
    before: Option<pg_sys::Datum>,
    what: &str,
    arr: &ArrayColumn,
) -> HResult<Option<pg_sys::Datum>> {
    let Some(before) = before else {
        // An inserted row's ids are checked when the transaction commits (side_insert_check):
        // by then a data-only restore has loaded the join table's rows too. Stored canonical.
        // SAFETY: forwarded contract.
        return unsafe { t.canonical(value, what) };
    };
    // SAFETY: forwarded contract.
    let given = unsafe { t.elements(value, what)? };
    // SAFETY: forwarded contract.
    let held = unsafe { t.elements(before, what)? };
    if t.same_set(given, held) {
        return Ok(Some(before)); // exactly what was stored (canonical already)
    }
    Err(HabtmError::ReadOnlyArray {
        column: what.to_owned(),
        array: arr.name.clone(),
        inserting: false,
    })
}

/// AFTER INSERT / AFTER UPDATE … FOR EACH STATEMENT (with transition tables) on a side table:
/// the join table follows the arrays written.
#[pg_trigger(sql = r#"
CREATE FUNCTION "side_sync"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'side_sync_wrapper';
"#)]
fn side_sync<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    crate::pg::errors::keeping_errors(move || {
        let body = || -> Outcome<'a> {
            let Some((table, depth)) = side_trigger_at_work(trigger) else {
                return Ok(None);
            };
            let updated = matches!(trigger.op(), Ok(PgTriggerOperation::Update));
            if updated {
                // Only statements that set a key or array column (side_lock saw them) need work.
                let pending = PENDING.with(|v| {
                    let mut v = v.borrow_mut();
                    match v.iter().rposition(|&e| e == (table, depth)) {
                        Some(p) => {
                            v.remove(p);
                            true
                        }
                        None => false,
                    }
                });
                if !pending {
                    return Ok(None);
                }
            }
            Spi::connect_mut(|client| {
                register_transition_tables(trigger);
                for a in catalog::arrays_of_side_in(client, table)?.iter() {
                    for i in 0..2 {
                        let s = &a.sides[i];
                        // a read-only array was kept as it was (side_canonical): no link changed
                        if s.array
                            .as_ref()
                            .is_none_or(|arr| arr.writes != Writes::Links)
                        {
                            continue;
                        }
                        if s.table != table {
                            continue;
                        }
                        check_row_security(a.join, &a.shape.join_sql, array_name(a, i))?;
                        let o = &a.sides[1 - i];
                        if o.array.is_some() {
                            check_row_security(
                                o.table,
                                &a.shape.sides[1 - i].table_sql,
                                array_name(a, 1 - i),
                            )?;
                        }
                        // The join table's triggers stand aside; the other side is updated here, and
                        // (for a self-association) its update is habtm's own write to this table.
                        let _quiet_join = QuietGuard::new(Quiet::Join {
                            join: a.join,
                            depth: depth + 1,
                        });
                        let _quiet_other = QuietGuard::new(Quiet::Table {
                            table: o.table,
                            depth: depth + 1,
                        });
                        let deleted = format!("delete links from {}", a.shape.join_sql);
                        let inserted = format!("insert links into {}", a.shape.join_sql);
                        let other = o
                            .array
                            .as_ref()
                            .map(|_| format!("update {}", array_name(a, 1 - i)));
                        let mut actions: Vec<&str> = vec![&deleted, &inserted];
                        if let Some(other) = &other {
                            actions.push(other);
                        }
                        // a self-association's second array, after the first was written
                        let after_first = i == 1
                            && a.self_association()
                            && a.sides[0]
                                .array
                                .as_ref()
                                .is_some_and(|arr| arr.writes == Writes::Links);
                        run_counted(
                            client,
                            &statements::array_written(&a.shape, i, updated, after_first),
                            &actions,
                        )?;
                    }
                }
                Ok::<_, HabtmError>(())
            })?;
            Ok(None)
        };
        Ok(body().or_raise())
    })
}

/// AFTER INSERT … FOR EACH ROW, a constraint trigger deferred to the end of the transaction, on a
/// side table with read-only arrays, for rows inserted with a non-empty one: by then the join
/// table must hold exactly those links (a data-only restore in one transaction loads them after
/// the side tables), or the transaction fails (428C9). Rows inserted with `'{}'` (or their
/// default) never get here: the trigger's WHEN clause.
#[pg_trigger(sql = r#"
CREATE FUNCTION "side_insert_check"() RETURNS trigger LANGUAGE c AS '@MODULE_PATHNAME@', 'side_insert_check_wrapper';
"#)]
fn side_insert_check<'a>(trigger: &'a PgTrigger<'a>) -> Fired<'a> {
    crate::pg::errors::keeping_errors(move || {
        let body = || -> Outcome<'a> {
            let table = relid(trigger);
            let data = trigger.trigger_data();
            // SAFETY: the relation of a firing trigger is open and its descriptor valid.
            let tupdesc = unsafe { (*data.tg_relation).rd_att };
            Spi::connect_mut(|client| {
                for a in catalog::arrays_of_side_in(client, table)?.iter() {
                    for (i, s) in a.sides.iter().enumerate() {
                        let Some(arr) = s.array.as_ref() else {
                            continue;
                        };
                        if s.table != table || arr.writes != Writes::Reject {
                            continue;
                        }
                        let attnum = s.key_attnum as i32;
                        let mut isnull = false;
                        // SAFETY: the inserted row, of this relation's descriptor.
                        let key = unsafe {
                            pg_sys::heap_getattr(data.tg_trigtuple, attnum, tupdesc, &mut isnull)
                        };
                        if isnull {
                            continue;
                        }
                        // SAFETY: a key of the side's (and its join column's) type.
                        let args = [unsafe { DatumWithOid::new(key, s.join_type) }];
                        let differs = plans::run(
                            client,
                            &statements::inserted_row_differs(&a.shape, i),
                            &args,
                            false,
                        )?
                        .first()
                        .get::<bool>(1)?
                        .unwrap_or(false);
                        if differs {
                            return Err(HabtmError::ReadOnlyArray {
                                column: array_name(a, i),
                                array: arr.name.clone(),
                                inserting: true,
                            });
                        }
                    }
                }
                Ok::<_, HabtmError>(())
            })?;
            Ok(None)
        };
        Ok(body().or_raise())
    })
}

/// Makes `table`'s triggers stand aside for the statements habtm runs next at this level.
pub fn quiet_table(table: pg_sys::Oid) -> impl Drop {
    QuietGuard::new(Quiet::Table {
        table,
        depth: trigger_depth() + 1,
    })
}

/// Refuses to rewrite or compare side `i`'s array (`repair`, `check`) when row-level security
/// applies to the current role on either table the comparison reads: the side table or the
/// join table its expected ids come from.
pub fn check_rebuild_security(a: &Association, i: usize) -> HResult<()> {
    check_row_security(
        a.sides[i].table,
        &a.shape.sides[i].table_sql,
        array_name(a, i),
    )?;
    check_row_security(a.join, &a.shape.join_sql, array_name(a, i))
}
