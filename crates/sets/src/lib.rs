//! Sorted, duplicate-free sets held in a `Vec`, for any element type and comparator.
//!
//! The extension keeps id arrays canonical (ascending, no duplicates) by merging a sorted delta
//! into an already sorted array: one linear pass, no SQL sort per row. The elements are whatever
//! the caller compares: PostgreSQL datums under a type's btree comparison function, or plain
//! integers ([`canonicalize`], [`apply`]).
//!
//! The comparator must be a total preorder, as a btree comparison function is. It may call
//! distinct values equal (`1.0` and `1.00` as `numeric`, `'A'` and `'a'` under a case-insensitive
//! collation); then a set keeps one representative per class of equal values, and which one is
//! fixed: [`canonicalize_by`] keeps the first in input order, [`apply_by`] prefers the current
//! set's over an added one.
//!
//! Pure Rust: no PostgreSQL, no `unsafe`.

#![forbid(unsafe_code)]

use std::cmp::Ordering;

/// Sorts `elems` by `cmp` and removes duplicates, unless they are strictly ascending already
/// (a linear check, the common case for a stored array). Returns whether anything changed.
///
/// Of elements that compare equal, the first in input order is kept (the sort is stable).
pub fn canonicalize_by<T: Copy>(elems: &mut Vec<T>, cmp: impl Fn(T, T) -> Ordering) -> bool {
    if is_canonical_by(elems, &cmp) {
        return false;
    }
    elems.sort_by(|a, b| cmp(*a, *b));
    elems.dedup_by(|a, b| cmp(*a, *b) == Ordering::Equal);
    true
}

/// [`canonicalize_by`] in `T`'s own order.
pub fn canonicalize<T: Copy + Ord>(elems: &mut Vec<T>) -> bool {
    canonicalize_by(elems, |a: T, b: T| a.cmp(&b))
}

/// Whether `elems` is strictly ascending under `cmp`: sorted, without duplicates.
pub fn is_canonical_by<T: Copy>(elems: &[T], cmp: impl Fn(T, T) -> Ordering) -> bool {
    elems.windows(2).all(|w| cmp(w[0], w[1]) == Ordering::Less)
}

/// `(current − removed) ∪ added` under `cmp`, canonical: one linear pass over each list once
/// each is canonical. The lists may come unsorted and with duplicates.
///
/// An element of `current − removed` that equals an added one stays as it is in `current`.
pub fn apply_by<T: Copy>(
    mut current: Vec<T>,
    mut removed: Vec<T>,
    mut added: Vec<T>,
    cmp: impl Fn(T, T) -> Ordering + Copy,
) -> Vec<T> {
    canonicalize_by(&mut current, cmp);
    canonicalize_by(&mut removed, cmp);
    canonicalize_by(&mut added, cmp);
    // current − removed
    let mut kept = Vec::with_capacity(current.len());
    let mut r = removed.iter().peekable();
    for &x in &current {
        while r.next_if(|&&y| cmp(y, x) == Ordering::Less).is_some() {}
        if r.peek().is_none_or(|&&y| cmp(y, x) != Ordering::Equal) {
            kept.push(x);
        }
    }
    // ∪ added
    let mut out = Vec::with_capacity(kept.len() + added.len());
    let (mut i, mut j) = (0, 0);
    while i < kept.len() && j < added.len() {
        match cmp(kept[i], added[j]) {
            Ordering::Less => {
                out.push(kept[i]);
                i += 1;
            }
            Ordering::Greater => {
                out.push(added[j]);
                j += 1;
            }
            Ordering::Equal => {
                out.push(kept[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&kept[i..]);
    out.extend_from_slice(&added[j..]);
    out
}

/// [`apply_by`] in `T`'s own order: the integer fast path's merge.
pub fn apply<T: Copy + Ord>(current: Vec<T>, removed: Vec<T>, added: Vec<T>) -> Vec<T> {
    apply_by(current, removed, added, |a: T, b: T| a.cmp(&b))
}

/// Whether two lists hold the same set of values under `cmp` (order and repeats aside).
pub fn same_set_by<T: Copy>(mut a: Vec<T>, mut b: Vec<T>, cmp: impl Fn(T, T) -> Ordering) -> bool {
    canonicalize_by(&mut a, &cmp);
    canonicalize_by(&mut b, &cmp);
    a.len() == b.len()
        && a.iter()
            .zip(&b)
            .all(|(x, y)| cmp(*x, *y) == Ordering::Equal)
}

/// `elems` with every value equal to `was` replaced by `is`, as a canonical set; `None` when
/// `elems` holds no such value (the list is then left as it was, canonical or not).
pub fn renamed_by<T: Copy>(
    elems: Vec<T>,
    was: T,
    is: T,
    cmp: impl Fn(T, T) -> Ordering,
) -> Option<Vec<T>> {
    let equal = |a: T, b: T| cmp(a, b) == Ordering::Equal;
    if !elems.iter().any(|&e| equal(e, was)) {
        return None;
    }
    let mut elems: Vec<T> = elems.into_iter().filter(|&e| !equal(e, was)).collect();
    elems.push(is);
    canonicalize_by(&mut elems, &cmp);
    Some(elems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(mut v: Vec<i64>) -> (Vec<i64>, bool) {
        let changed = canonicalize(&mut v);
        (v, changed)
    }

    #[test]
    fn canonicalize_sorts_and_dedupes_only_when_needed() {
        assert_eq!(canonical(vec![3, 1, 1, 2]), (vec![1, 2, 3], true));
        assert_eq!(canonical(vec![3, -1, 3]), (vec![-1, 3], true));
        assert_eq!(canonical(vec![]), (vec![], false));
        assert_eq!(canonical(vec![7]), (vec![7], false));
        assert_eq!(canonical(vec![1, 2, 3]), (vec![1, 2, 3], false));
        // sorted but with a repeat is a change
        assert_eq!(canonical(vec![1, 2, 2]), (vec![1, 2], true));
        assert_eq!(
            canonical(vec![i64::MAX, i64::MIN, 0]),
            (vec![i64::MIN, 0, i64::MAX], true)
        );
    }

    /// The cases of the `habtm.array_apply` test, on plain integers.
    #[test]
    fn apply_is_set_difference_then_union() {
        assert_eq!(
            apply(vec![1, 3, 5], vec![3], vec![4, 0, 9]),
            [0, 1, 4, 5, 9]
        );
        assert_eq!(apply(vec![1, 3, 5], vec![3, 5], vec![5]), [1, 5]);
        assert_eq!(apply(vec![], vec![], vec![2, 2, 1]), [1, 2]);
        assert_eq!(apply(vec![1, 2], vec![1, 2, 7], vec![]), [] as [i32; 0]);
        assert_eq!(apply(vec![2, 1], vec![], vec![]), [1, 2]);
        assert_eq!(apply(vec![1, 3], vec![1], vec![1, 3]), [1, 3]);
        assert_eq!(apply(vec![1, 2, 3], vec![2], vec![0]), [0, 1, 3]);
        assert_eq!(
            apply(
                vec![5i16, -3, i16::MAX, i16::MIN, 5],
                vec![i16::MAX],
                vec![0, -1, 0]
            ),
            [i16::MIN, -3, -1, 0, 5]
        );
    }

    #[test]
    fn apply_under_another_order_is_canonical_in_that_order() {
        let desc = |a: i32, b: i32| b.cmp(&a);
        assert_eq!(apply_by(vec![1, 3], vec![], vec![2, 2], desc), [3, 2, 1]);
        assert_eq!(apply_by(vec![1, 3, 5], vec![3], vec![9], desc), [9, 5, 1]);
    }

    /// Distinct values that compare equal, as `1.0` and `1.00` do as `numeric`: one of each
    /// class is kept, the first given; the current set's wins over an added one.
    #[test]
    fn equal_but_distinct_values_keep_one_representative() {
        let ci = |a: &str, b: &str| a.to_lowercase().cmp(&b.to_lowercase());
        let mut v = vec!["b", "A", "a", "B"];
        assert!(canonicalize_by(&mut v, ci));
        assert_eq!(v, ["A", "b"]);
        // canonical already under the comparator: left alone, as stored
        let mut v = vec!["a", "B", "c"];
        assert!(!canonicalize_by(&mut v, ci));
        assert_eq!(v, ["a", "B", "c"]);
        assert_eq!(
            apply_by(vec!["a", "B"], vec![], vec!["A", "c"], ci),
            ["a", "B", "c"]
        );
        assert_eq!(
            apply_by(vec!["a", "B"], vec!["b"], vec!["C"], ci),
            ["a", "C"]
        );
        assert!(same_set_by(vec!["a", "B"], vec!["b", "A", "a"], ci));
        assert!(!same_set_by(vec!["a", "B"], vec!["a"], ci));
    }

    #[test]
    fn same_set_ignores_order_and_repeats() {
        let cmp = |a: i32, b: i32| a.cmp(&b);
        assert!(same_set_by(vec![3, 1, 1], vec![1, 3], cmp));
        assert!(same_set_by(vec![], vec![], cmp));
        assert!(!same_set_by(vec![1, 2], vec![1, 3], cmp));
        assert!(!same_set_by(vec![1], vec![1, 2], cmp));
    }

    #[test]
    fn renamed_replaces_the_value_or_leaves_the_list() {
        let cmp = |a: i32, b: i32| a.cmp(&b);
        assert_eq!(renamed_by(vec![1, 5, 9], 5, 10, cmp), Some(vec![1, 9, 10]));
        // the new value is there already: one of it
        assert_eq!(renamed_by(vec![1, 5, 9], 5, 9, cmp), Some(vec![1, 9]));
        assert_eq!(renamed_by(vec![5, 1, 5], 5, 0, cmp), Some(vec![0, 1]));
        // no `was`: nothing to do, even on a list that is not canonical
        assert_eq!(renamed_by(vec![3, 1, 1], 5, 0, cmp), None);
        assert_eq!(renamed_by(vec![], 5, 0, cmp), None);
    }
}
