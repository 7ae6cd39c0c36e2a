//! Prepared plans kept per backend.
//!
//! Every habtm call runs a few statements whose text depends only on the association (the
//! catalog lookup, the checks, the operation itself). Parsing and planning them on every call
//! cost ~2 ms for a one-link `add`, 70 times a plain INSERT. Plans are therefore prepared once per
//! backend and kept (`SPI_keepplan`), keyed by the statement's final text and its parameter
//! types: a renamed table gives new text and a new plan, and PostgreSQL's plan cache re-plans a
//! kept plan itself when a table it uses changes. Kept plans may become generic, so statements
//! are written to stay linear then (no `NOT (x = ANY($n))` over large arrays: an anti-join).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiTupleTable};
use pgrx::PgOid;

use crate::error::Result;

/// More distinct statements than this and the cache starts over (a backend that touches that
/// many associations and key types pays the planning again, nothing worse).
const MAX_PLANS: usize = 1024;

type Key = (String, Vec<pg_sys::Oid>, bool);

thread_local! {
    static PLANS: RefCell<HashMap<Key, Rc<OwnedPreparedStatement>>> = RefCell::new(HashMap::new());
}

/// Runs `sql` with `args` through a kept plan, preparing it on first use. `mutating` statements
/// write (they need a read-write snapshot).
pub fn run<'conn>(
    client: &mut SpiClient<'conn>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    mutating: bool,
) -> Result<SpiTupleTable<'conn>> {
    let types: Vec<pg_sys::Oid> = args.iter().map(DatumWithOid::oid).collect();
    let key: Key = (sql.to_owned(), types, mutating);
    // Clone the Rc out so that no borrow is held while the statement runs: it may fire a user's
    // trigger that calls habtm again.
    let cached = PLANS.with(|plans| plans.borrow().get(&key).cloned());
    let plan = match cached {
        Some(plan) => plan,
        None => {
            let oids: Vec<PgOid> = key.1.iter().map(|&o| PgOid::from(o)).collect();
            let prepared = if mutating {
                client.prepare_mut(sql, &oids)?
            } else {
                client.prepare(sql, &oids)?
            };
            let plan = Rc::new(prepared.keep());
            PLANS.with(|plans| {
                let mut plans = plans.borrow_mut();
                if plans.len() >= MAX_PLANS {
                    plans.clear();
                }
                plans.insert(key, Rc::clone(&plan));
            });
            plan
        }
    };
    Ok(if mutating {
        client.update(&*plan, None, args)?
    } else {
        client.select(&*plan, None, args)?
    })
}
