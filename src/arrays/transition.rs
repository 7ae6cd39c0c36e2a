//! Reading a join-table statement's transition tables in Rust: when every row of the statement
//! has one key on a side, the trigger updates that one row's array instead of running the
//! set-based statement over the transition table.

use pgrx::pg_sys;

use habtm_sql::arrays::JoinEvent;

use crate::catalog::{Association, Side};
use crate::pg::ffi::{datumCopy, datumIsEqual};

/// What a join-table statement did to one side's arrays.
pub enum Delta {
    /// The statement wrote no rows.
    Empty,
    /// Every row has this side's key `key`: the other side's ids it removed and added.
    OneKey {
        key: pg_sys::Datum,
        removed: Vec<pg_sys::Datum>,
        added: Vec<pg_sys::Datum>,
    },
    /// Rows with different keys, or a side not read: the set-based statement.
    Many,
}

/// A join-table column as read from a transition table: its number and how to copy its values.
#[derive(Clone, Copy)]
struct Column {
    attnum: i32,
    len: i16,
    byval: bool,
}

impl Column {
    fn of(s: &Side) -> Column {
        Column {
            attnum: s.join_attnum as i32,
            len: s.join_len,
            byval: s.join_byval,
        }
    }

    /// The column's value in `slot`, as the slot holds it (valid until the slot's next row);
    /// `None` for NULL.
    ///
    /// # Safety
    /// `slot` holds a tuple of the join table.
    unsafe fn read(&self, slot: *mut pg_sys::TupleTableSlot) -> Option<pg_sys::Datum> {
        let mut isnull = false;
        // SAFETY: the caller's slot.
        let value = unsafe { pg_sys::slot_getattr(slot, self.attnum, &mut isnull) };
        (!isnull).then_some(value)
    }

    /// `value` (of this column's type) copied into the current memory context.
    fn copy(&self, value: pg_sys::Datum) -> pg_sys::Datum {
        // SAFETY: datumCopy copies a by-reference value of this type out of the slot's memory; it
        // raises only when out of memory, which the guard turns into a PostgreSQL error.
        unsafe {
            pg_sys::ffi::pg_guard_ffi_boundary(|| datumCopy(value, self.byval, self.len as i32))
        }
    }

    fn same(&self, a: pg_sys::Datum, b: pg_sys::Datum) -> bool {
        // SAFETY: two values of this column's type (binary equality: equal values stored
        // differently only make the caller take the set-based path).
        unsafe { datumIsEqual(a, b, self.byval, self.len as i32) }
    }
}

/// Reads the statement's transition tables once, in Rust, and tells for each side with an array
/// whether all rows share one key (then a one-row `UPDATE` replaces the set-based statement: no
/// SQL over the transition tables, a plan that starts as fast as a row trigger's). Stops reading
/// as soon as no side can. Sides of a self-association with two arrays are left to the set-based
/// statements, which lock their rows in one ascending pass.
///
/// # Safety
/// `data` is the firing join-table trigger's own, with the event's transition tables.
pub unsafe fn read_deltas(
    data: &pg_sys::TriggerData,
    a: &Association,
    event: JoinEvent,
) -> [Delta; 2] {
    let both = a.sides.iter().all(|s| s.array.is_some());
    let eligible = |i: usize| {
        a.sides[i].array.as_ref().is_some_and(|arr| {
            // the ids go into the array as they are, so they must be of its element type
            arr.element == a.sides[1 - i].join_type
                && !(both && a.self_association())
                // a self-association's UPDATE (key cascades) is recomputed, see join_changed
                && !(a.self_association() && event == JoinEvent::Update)
        })
    };
    let mut deltas = [0, 1].map(|i| {
        if eligible(i) {
            Delta::Empty
        } else {
            Delta::Many
        }
    });
    if deltas.iter().all(|d| matches!(d, Delta::Many)) {
        return deltas;
    }
    let columns = [Column::of(&a.sides[0]), Column::of(&a.sides[1])];
    let stores: &[(*mut pg_sys::Tuplestorestate, bool)] = match event {
        JoinEvent::Insert => &[(data.tg_newtable, false)],
        JoinEvent::Delete => &[(data.tg_oldtable, true)],
        _ => &[(data.tg_oldtable, true), (data.tg_newtable, false)],
    };
    // SAFETY: the trigger's relation is open; its descriptor is the transition tables'.
    let slot = unsafe {
        pg_sys::MakeSingleTupleTableSlot((*data.tg_relation).rd_att, &pg_sys::TTSOpsMinimalTuple)
    };
    'stores: for &(store, removed) in stores {
        if store.is_null() {
            continue;
        }
        // SAFETY: a read pointer of our own (the executor's scans of the same tuplestore select
        // theirs before every read), rewound to the first row.
        unsafe {
            let reader =
                pg_sys::tuplestore_alloc_read_pointer(store, pg_sys::EXEC_FLAG_REWIND as i32);
            pg_sys::tuplestore_select_read_pointer(store, reader);
            pg_sys::tuplestore_rescan(store);
        }
        // SAFETY: reads rows of the join table into a slot of its descriptor.
        while unsafe { pg_sys::tuplestore_gettupleslot(store, true, false, slot) } {
            // SAFETY: the slot holds a join-table row; both values are read once per row.
            let values = unsafe { [columns[0].read(slot), columns[1].read(slot)] };
            for i in 0..2 {
                let (k, id) = (columns[i], columns[1 - i]);
                if matches!(deltas[i], Delta::Many) {
                    continue;
                }
                let (Some(key), Some(value)) = (values[i], values[1 - i]) else {
                    deltas[i] = Delta::Many; // NULLs: the set-based statement reports them
                    continue;
                };
                match &mut deltas[i] {
                    Delta::Empty => {
                        let (mut rem, mut add) = (Vec::new(), Vec::new());
                        (if removed { &mut rem } else { &mut add }).push(id.copy(value));
                        deltas[i] = Delta::OneKey {
                            key: k.copy(key),
                            removed: rem,
                            added: add,
                        };
                    }
                    Delta::OneKey {
                        key: one,
                        removed: rem,
                        added: add,
                    } if k.same(*one, key) => {
                        (if removed { rem } else { add }).push(id.copy(value));
                    }
                    _ => deltas[i] = Delta::Many,
                }
            }
            if deltas.iter().all(|d| matches!(d, Delta::Many)) {
                break 'stores;
            }
        }
    }
    // SAFETY: the slot made above, used by nothing else.
    unsafe { pg_sys::ExecDropSingleTupleTableSlot(slot) };
    deltas
}
