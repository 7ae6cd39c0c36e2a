//! The set operations against `std::collections::BTreeSet` (and `BTreeMap` for the order's
//! classes), on random lists of small integers (so with many repeats), under random orders:
//! the integers' own, its reverse, and random total preorders that call distinct values equal.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use habtm_sets::{apply, apply_by, canonicalize, canonicalize_by, renamed_by, same_set_by};
use proptest::prelude::*;

/// Values are in `0..VALUES`.
const VALUES: u8 = 16;

/// A total preorder on the values.
#[derive(Debug, Clone)]
enum Order {
    Natural,
    Reverse,
    /// `ranks[v]` is the rank of `v`; values of one rank are equal but distinct.
    Ranked(Vec<u8>),
}

impl Order {
    fn key(&self, v: u8) -> i16 {
        match self {
            Order::Natural => v.into(),
            Order::Reverse => -i16::from(v),
            Order::Ranked(ranks) => ranks[usize::from(v)].into(),
        }
    }

    fn cmp(&self) -> impl Fn(u8, u8) -> Ordering + Copy + '_ {
        move |a, b| self.key(a).cmp(&self.key(b))
    }

    /// The set of `list` as the order sees it: key → the first value of that class in `list`.
    fn classes(&self, list: &[u8]) -> BTreeMap<i16, u8> {
        let mut classes = BTreeMap::new();
        for &v in list {
            classes.entry(self.key(v)).or_insert(v);
        }
        classes
    }
}

fn order() -> impl Strategy<Value = Order> {
    prop_oneof![
        Just(Order::Natural),
        Just(Order::Reverse),
        // few ranks: many values equal
        prop::collection::vec(0..6u8, usize::from(VALUES)).prop_map(Order::Ranked),
    ]
}

/// A list with repeats; sometimes sorted and duplicate-free already (a stored array).
fn list() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec(0..VALUES, 0..40), any::<bool>()).prop_map(|(mut v, sorted)| {
        if sorted {
            v.sort_unstable();
            v.dedup();
        }
        v
    })
}

fn strictly_ascending(list: &[u8], cmp: impl Fn(u8, u8) -> Ordering) -> bool {
    list.windows(2).all(|w| cmp(w[0], w[1]) == Ordering::Less)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn canonicalize_is_btreeset_sorted_dedup(input in prop::collection::vec(any::<i8>(), 0..60)) {
        let mut got = input.iter().map(|&v| v % 8).collect::<Vec<_>>();
        let want: Vec<i8> = got.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let before = got.clone();
        let changed = canonicalize(&mut got);
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(changed, got != before);
    }

    #[test]
    fn apply_is_btreeset_difference_then_union(
        current in list(), removed in list(), added in list()
    ) {
        let set = |l: &[u8]| l.iter().copied().collect::<BTreeSet<_>>();
        let want: Vec<u8> = set(&current)
            .difference(&set(&removed))
            .copied()
            .collect::<BTreeSet<_>>()
            .union(&set(&added))
            .copied()
            .collect();
        prop_assert_eq!(apply(current, removed, added), want);
    }

    /// Under any order: sorted by it, one value per class of equal values (the first given),
    /// and "changed" exactly when the list is not what it was.
    #[test]
    fn canonicalize_keeps_the_first_of_each_class(order in order(), input in list()) {
        let cmp = order.cmp();
        let mut got = input.clone();
        let changed = canonicalize_by(&mut got, cmp);
        let want: Vec<u8> = order.classes(&input).into_values().collect();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(changed, got != input);
        prop_assert_eq!(changed, !strictly_ascending(&input, cmp));
        // canonical now: a second pass changes nothing
        let mut again = got.clone();
        prop_assert!(!canonicalize_by(&mut again, cmp));
        prop_assert_eq!(again, got);
    }

    /// Under any order: the classes of `(current − removed) ∪ added`; a class that stays from
    /// `current` keeps current's value, a new one takes the first added.
    #[test]
    fn apply_by_is_difference_then_union_of_classes(
        order in order(), current in list(), removed in list(), added in list()
    ) {
        let cmp = order.cmp();
        let (from_current, gone, from_added) =
            (order.classes(&current), order.classes(&removed), order.classes(&added));
        let mut want = from_added;
        for (key, v) in from_current {
            if !gone.contains_key(&key) {
                want.insert(key, v);
            }
        }
        let want: Vec<u8> = want.into_values().collect();
        let got = apply_by(current, removed, added, cmp);
        prop_assert!(strictly_ascending(&got, cmp));
        prop_assert_eq!(got, want);
    }

    #[test]
    fn same_set_is_equality_of_classes(order in order(), a in list(), b in list()) {
        let keys = |l: &[u8]| order.classes(l).into_keys().collect::<BTreeSet<_>>();
        let want = keys(&a) == keys(&b);
        prop_assert_eq!(same_set_by(a.clone(), b.clone(), order.cmp()), want);
        // a list and any reordering of it are the same set
        let mut reversed = a.clone();
        reversed.reverse();
        prop_assert!(same_set_by(a, reversed, order.cmp()));
    }

    #[test]
    fn renamed_is_remove_then_add(
        order in order(), list in list(), was in 0..VALUES, is in 0..VALUES
    ) {
        let cmp = order.cmp();
        let got = renamed_by(list.clone(), was, is, cmp);
        if list.iter().all(|&v| cmp(v, was) != Ordering::Equal) {
            prop_assert_eq!(got, None);
        } else {
            let mut want = order.classes(&list);
            want.remove(&order.key(was));
            // `is` is added last: an equal value already there stays
            want.entry(order.key(is)).or_insert(is);
            prop_assert_eq!(got, Some(want.into_values().collect::<Vec<_>>()));
        }
    }
}
