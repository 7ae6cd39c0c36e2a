//! The associations this backend keeps, and the one rule for when they are forgotten.
//!
//! Reading an association costs a few catalog queries; the association functions and the
//! triggers need one on every call, so each backend keeps what it has read: by join table,
//! by `(owner, relation)` for the association functions, and, for the triggers of a side
//! table, the associations with id arrays it is a side of.
//!
//! **Staleness.** Everything kept was read at an invalidation count (`pg::invalidation`) and
//! is forgotten, all at once, as soon as the count has moved: PostgreSQL announces every change
//! that could alter an association (a catalog row, a rename, a column's type, a trigger). Each
//! lookup first takes in the invalidations other backends have committed (cheap when there are
//! none), so a lookup before any lock sees them too. A value read while an invalidation came in
//! is used once and not kept.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use super::model::{self, Association, Direction};
use crate::error::Result;
use crate::pg::invalidation;
use crate::pg::regclass::RegClass;

#[derive(Default)]
struct Kept {
    /// The invalidation count everything here was read at.
    at: u64,
    /// By join table; `None`: not registered.
    by_join: HashMap<pg_sys::Oid, Option<Rc<Association>>>,
    /// By owner: `(relation, join table, the owner's side)`.
    by_name: HashMap<pg_sys::Oid, Vec<(String, pg_sys::Oid, usize)>>,
    /// A side table's associations with id arrays.
    arrays_by_side: HashMap<pg_sys::Oid, Rc<Vec<Rc<Association>>>>,
}

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// The count now, after forgetting everything read before it moved.
fn now() -> u64 {
    let now = invalidation::current_generation();
    KEPT.with(|k| {
        let mut k = k.borrow_mut();
        if k.at != now {
            *k = Kept {
                at: now,
                ..Kept::default()
            };
        }
    });
    now
}

/// Keeps `f`'s change when nothing was announced since `at` (the value may predate it).
fn keep(at: u64, f: impl FnOnce(&mut Kept)) {
    if invalidation::generation() == at {
        KEPT.with(|k| f(&mut k.borrow_mut()));
    }
}

/// The association whose join table is `join`, or `None` when it is not registered.
pub fn by_join(client: &mut SpiClient<'_>, join: pg_sys::Oid) -> Result<Option<Rc<Association>>> {
    by_join_at(client, join, now())
}

fn by_join_at(
    client: &mut SpiClient<'_>,
    join: pg_sys::Oid,
    at: u64,
) -> Result<Option<Rc<Association>>> {
    if let Some(hit) = KEPT.with(|k| k.borrow().by_join.get(&join).cloned()) {
        return Ok(hit);
    }
    let loaded = model::load(client, join)?.map(Rc::new);
    keep(at, |k| {
        k.by_join.insert(join, loaded.clone());
    });
    Ok(loaded)
}

/// The association of join table `join` when it keeps id arrays, connecting to SPI only when
/// it is not kept (the join-table triggers' common case connects not at all).
pub fn arrays_of_join(join: pg_sys::Oid) -> Result<Option<Rc<Association>>> {
    let at = now();
    let hit = KEPT.with(|k| k.borrow().by_join.get(&join).cloned());
    let a = match hit {
        Some(hit) => hit,
        None => Spi::connect_mut(|client| by_join_at(client, join, at))?,
    };
    Ok(a.filter(|a| a.has_arrays()))
}

/// The associations with id arrays that `table` is a side of, connecting to SPI only when they
/// are not kept.
pub fn arrays_of_side(table: pg_sys::Oid) -> Result<Rc<Vec<Rc<Association>>>> {
    let at = now();
    match KEPT.with(|k| k.borrow().arrays_by_side.get(&table).cloned()) {
        Some(hit) => Ok(hit),
        None => Spi::connect_mut(|client| arrays_of_side_at(client, table, at)),
    }
}

/// [`arrays_of_side`] on an open connection.
pub fn arrays_of_side_in(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
) -> Result<Rc<Vec<Rc<Association>>>> {
    arrays_of_side_at(client, table, now())
}

fn arrays_of_side_at(
    client: &mut SpiClient<'_>,
    table: pg_sys::Oid,
    at: u64,
) -> Result<Rc<Vec<Rc<Association>>>> {
    if let Some(hit) = KEPT.with(|k| k.borrow().arrays_by_side.get(&table).cloned()) {
        return Ok(hit);
    }
    let mut list = Vec::new();
    for join in super::joins_with_arrays_of(client, table)? {
        if let Some(a) = by_join_at(client, join, at)?.filter(|a| a.has_arrays()) {
            list.push(a);
        }
    }
    let list = Rc::new(list);
    keep(at, |k| {
        k.arrays_by_side.insert(table, Rc::clone(&list));
    });
    Ok(list)
}

/// `(owner, relation)`, as the association functions address an association, or the error
/// that lists the owner's relations.
pub fn by_name(client: &mut SpiClient<'_>, owner: RegClass, relation: &str) -> Result<Direction> {
    let at = now();
    let named = KEPT.with(|k| {
        k.borrow().by_name.get(&owner.0).and_then(|list| {
            list.iter()
                .find(|(r, _, _)| r == relation)
                .map(|&(_, join, side)| (join, side))
        })
    });
    let (join, side) = match named {
        Some(hit) => hit,
        None => {
            let Some(found) = super::find_direction(client, owner.0, relation)? else {
                return Err(super::unknown_relation(client, owner, relation)?);
            };
            keep(at, |k| {
                let (join, side) = found;
                let list = k.by_name.entry(owner.0).or_default();
                list.push((relation.to_owned(), join, side));
            });
            found
        }
    };
    match by_join_at(client, join, at)? {
        Some(association) => Ok(Direction {
            association,
            owner: side,
        }),
        // gone between the two reads (a concurrent unregister taken in)
        None => Err(super::unknown_relation(client, owner, relation)?),
    }
}
