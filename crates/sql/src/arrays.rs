//! The set-based statements the id-array triggers run, one per side and event whatever the
//! number of rows, and the comparison `check` and `repair` make. Generated from a [`Shape`]'s
//! quoted names; every operator and function is qualified, so they run under any
//! `search_path`. Transition tables are `habtm_old` and `habtm_new` (the names the triggers are
//! created with); `habtm.array_apply` and `habtm.array_canonical` are the extension's own
//! sorted-set functions. `tests/golden/` holds each statement for one association, to be read
//! as SQL.

use crate::{Shape, SideShape};

/// What happened to the join table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JoinEvent {
    Insert,
    Delete,
    Update,
    Truncate,
}

/// The other side's index.
fn other(i: usize) -> usize {
    1 - i
}

/// Brings side `i`'s arrays up to date with a change of the join table. Returns two counts:
/// rows that had to be updated (those that exist, locked in ascending key order) and rows updated.
pub fn join_changed(a: &Shape, i: usize, event: JoinEvent) -> String {
    let side = &a.sides[i];
    let array = side.array.as_ref().expect("a side with an array");
    let (k, id) = (&side.join_column_sql, &a.sides[other(i)].join_column_sql);
    let at = &array.type_sql;
    let (tbl, key, arr, eq) = (&side.table_sql, &side.key_sql, &array.sql, &side.eq_sql);
    if event == JoinEvent::Truncate {
        return format!(
            "WITH locked AS (
                 SELECT s.{key} AS k FROM {tbl} s
                  WHERE pg_catalog.cardinality(s.{arr}) OPERATOR(pg_catalog.>) 0
                  ORDER BY s.{key} FOR NO KEY UPDATE OF s),
             done AS (
                 UPDATE {tbl} s SET {arr} = CAST('{{}}' AS {at}) FROM locked l
                  WHERE s.{key} {eq} l.k RETURNING 1)
             SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)"
        );
    }
    if event == JoinEvent::Update && a.self_association {
        // Both of a self-association's foreign keys cascade a key update, as two UPDATEs whose
        // statement triggers PostgreSQL fires after both (and in no promised order): a
        // self-link changed by both would have deltas applied out of turn. The keys the
        // statement touched get their arrays from the join table as it is now instead.
        return format!(
            "WITH keys AS (SELECT t.{k} AS k FROM habtm_old t UNION SELECT t.{k} FROM habtm_new t),
             locked AS (
                 SELECT s.{key} AS k FROM {tbl} s WHERE s.{key} {eq} ANY (SELECT keys.k FROM keys)
                  ORDER BY s.{key} FOR NO KEY UPDATE OF s),
             done AS (
                 UPDATE {tbl} s SET {arr} = COALESCE(
                        (SELECT habtm.array_canonical(CAST(pg_catalog.array_agg(j.{id}) AS {at}){collate})
                           FROM {join} j WHERE j.{k} {eq} s.{key}), CAST('{{}}' AS {at}))
                   FROM locked l WHERE s.{key} {eq} l.k RETURNING 1)
             SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)",
            join = a.join_sql,
            collate = array.collate_sql,
        );
    }
    let delta = match event {
        JoinEvent::Insert => format!(
            "SELECT t.{k} AS k, CAST(NULL AS {at}) AS rem, CAST(pg_catalog.array_agg(t.{id}) AS {at}) AS add
               FROM habtm_new t GROUP BY t.{k}"
        ),
        JoinEvent::Delete => format!(
            "SELECT t.{k} AS k, CAST(pg_catalog.array_agg(t.{id}) AS {at}) AS rem, CAST(NULL AS {at}) AS add
               FROM habtm_old t GROUP BY t.{k}"
        ),
        JoinEvent::Update => format!(
            "SELECT u.k, CAST(pg_catalog.array_agg(u.id) FILTER (WHERE u.old) AS {at}) AS rem,
                    CAST(pg_catalog.array_agg(u.id) FILTER (WHERE NOT u.old) AS {at}) AS add
               FROM (SELECT t.{k} AS k, t.{id} AS id, true AS old FROM habtm_old t
                     UNION ALL
                     SELECT t.{k}, t.{id}, false FROM habtm_new t) u
              GROUP BY u.k"
        ),
        JoinEvent::Truncate => unreachable!(),
    };
    format!(
        "WITH delta AS ({delta}), {}
         SELECT (SELECT pg_catalog.count(*) FROM locked), (SELECT pg_catalog.count(*) FROM done)",
        apply_delta(side),
    )
}

/// The CTEs `locked` and `done` that apply a CTE `delta (k, rem, add)` to `side`'s arrays: the
/// rows that exist are locked in ascending key order, then each array becomes
/// `(array − rem) ∪ add`.
fn apply_delta(side: &SideShape) -> String {
    let array = side.array.as_ref().expect("a side with an array");
    let (tbl, key, arr, eq) = (&side.table_sql, &side.key_sql, &array.sql, &side.eq_sql);
    format!(
        "locked AS (
             SELECT d.k, d.rem, d.add FROM delta d JOIN {tbl} s ON s.{key} {eq} d.k
              ORDER BY d.k FOR NO KEY UPDATE OF s),
         done AS (
             UPDATE {tbl} s SET {arr} = habtm.array_apply(s.{arr}{collate}, l.rem, l.add)
               FROM locked l WHERE s.{key} {eq} l.k RETURNING 1)",
        collate = array.collate_sql,
    )
}

/// Applies `$2` (removed ids, or NULL) and `$3` (added ids, or NULL) to the array of the one
/// row of `side` whose key is `$1`: the statement for a side whose rows in the join table's
/// statement all share one key (most single-owner writes). One row, so no lock order to keep.
pub fn one_key_changed(side: &SideShape) -> String {
    let array = side.array.as_ref().expect("a side with an array");
    let (tbl, key, arr, eq) = (&side.table_sql, &side.key_sql, &array.sql, &side.eq_sql);
    format!(
        "UPDATE {tbl} s SET {arr} = habtm.array_apply(s.{arr}{collate}, $2, $3)
          WHERE s.{key} {eq} $1",
        collate = array.collate_sql,
    )
}

/// Whether `side` has a row whose key is `$1` (after [`one_key_changed`] wrote none).
pub fn key_exists(side: &SideShape) -> String {
    let (tbl, key, eq) = (&side.table_sql, &side.key_sql, &side.eq_sql);
    format!("SELECT EXISTS (SELECT FROM {tbl} s WHERE s.{key} {eq} $1)")
}

/// For a self-association with arrays on both sides: locks, in one ascending pass, every row
/// that either side's update will touch (two passes could interleave with another writer's).
pub fn lock_self_association(a: &Shape, event: JoinEvent) -> String {
    let side = &a.sides[0];
    let (tbl, key, eq) = (&side.table_sql, &side.key_sql, &side.eq_sql);
    let (c0, c1) = (&a.sides[0].join_column_sql, &a.sides[1].join_column_sql);
    let sources: Vec<&str> = match event {
        JoinEvent::Insert => vec!["habtm_new"],
        JoinEvent::Delete => vec!["habtm_old"],
        JoinEvent::Update => vec!["habtm_old", "habtm_new"],
        JoinEvent::Truncate => vec![],
    };
    let keys = if sources.is_empty() {
        // TRUNCATE: every row with a non-empty array on either side
        let arrays: Vec<String> = a
            .sides
            .iter()
            .filter_map(|s| s.array.as_ref())
            .map(|arr| {
                format!(
                    "pg_catalog.cardinality(s.{}) OPERATOR(pg_catalog.>) 0",
                    arr.sql
                )
            })
            .collect();
        format!("SELECT s.{key} FROM {tbl} s WHERE {}", arrays.join(" OR "))
    } else {
        sources
            .iter()
            .map(|t| format!("SELECT t.{c0} FROM {t} t UNION SELECT t.{c1} FROM {t} t"))
            .collect::<Vec<_>>()
            .join(" UNION ")
    };
    format!(
        "SELECT pg_catalog.count(*) FROM (
             SELECT 1 FROM {tbl} s WHERE s.{key} {eq} ANY ({keys})
              ORDER BY s.{key} FOR NO KEY UPDATE OF s) x"
    )
}

/// Makes the join table follow side `i`'s arrays after an INSERT into (or, `updated`, an
/// UPDATE of) that side: links that are missing are inserted, links not in the array deleted,
/// and, in the same statement, the other side's arrays follow (the join table's own triggers
/// stand aside for this statement, so each table is written once). Returns pairs of counts:
/// links to delete and deleted, to insert and inserted, and (when the other side has an array)
/// its rows to update and updated.
///
/// `after_first` is the second pass of a self-association whose two arrays may both be
/// written: the first pass has already changed this array in rows of the same statement (a
/// self-link, two rows naming each other), so the arrays are read from the table as they are
/// now, not from the transition table, and the links it wants are compared with the join table
/// (an INSERT's new rows still lose none).
/// Where the two arrays of one statement disagree about a link, the first (`a`'s) wins.
pub fn array_written(a: &Shape, i: usize, updated: bool, after_first: bool) -> String {
    let side: &SideShape = &a.sides[i];
    let array = side.array.as_ref().expect("a side with an array");
    let (j, kc, ic) = (
        &a.join_sql,
        &side.join_column_sql,
        &a.sides[other(i)].join_column_sql,
    );
    let (key, arr) = (&side.key_sql, &array.sql);
    let (keq, ieq) = (&side.eq_sql, &a.sides[other(i)].eq_sql);
    let want = if after_first {
        format!(
            "want AS (
                 SELECT n.{key} AS k, u.id FROM {tbl} n
                 CROSS JOIN LATERAL pg_catalog.unnest(n.{arr}) AS u(id)
                  WHERE n.{key} {keq} ANY (SELECT w.{key} FROM habtm_new w))",
            tbl = side.table_sql,
        )
    } else {
        format!(
            "want AS (
                 SELECT n.{key} AS k, u.id FROM habtm_new n
                 CROSS JOIN LATERAL pg_catalog.unnest(n.{arr}) AS u(id))"
        )
    };
    let mut ctes = vec![want];
    if updated {
        ctes.push(format!(
            "n AS (SELECT n.{key} AS k FROM habtm_new n),
             gone AS (
                 SELECT j.{kc} AS k, j.{ic} AS id FROM {j} j JOIN n ON j.{kc} {keq} n.k
                  WHERE NOT EXISTS (SELECT FROM want w WHERE w.k {keq} j.{kc} AND w.id {ieq} j.{ic})),
             missing AS (
                 SELECT w.k, w.id FROM want w
                  WHERE NOT EXISTS (SELECT FROM {j} j WHERE j.{kc} {keq} w.k AND j.{ic} {ieq} w.id)),
             del AS (
                 DELETE FROM {j} j USING gone g WHERE j.{kc} {keq} g.k AND j.{ic} {ieq} g.id RETURNING 1)"
        ));
    } else if after_first {
        // new rows lose no link (the statement itself may have linked them: habtm.create on a
        // self-association), and the first pass may have made some of these links already
        ctes.push(format!(
            "gone AS (SELECT w.k, w.id FROM want w WHERE false),
             missing AS (
                 SELECT w.k, w.id FROM want w
                  WHERE NOT EXISTS (SELECT FROM {j} j WHERE j.{kc} {keq} w.k AND j.{ic} {ieq} w.id)),
             del AS (SELECT 1 FROM gone)"
        ));
    } else {
        // new rows have no links yet
        ctes.push(
            "gone AS (SELECT w.k, w.id FROM want w WHERE false),
             missing AS (SELECT w.k, w.id FROM want w),
             del AS (SELECT 1 FROM gone)"
                .to_owned(),
        );
    }
    ctes.push(format!(
        "ins AS (
             INSERT INTO {j} ({kc}, {ic}) SELECT m.k, m.id FROM missing m ORDER BY m.k, m.id
             RETURNING 1)"
    ));
    let mut counts = vec![
        "(SELECT pg_catalog.count(*) FROM gone)",
        "(SELECT pg_catalog.count(*) FROM del)",
        "(SELECT pg_catalog.count(*) FROM missing)",
        "(SELECT pg_catalog.count(*) FROM ins)",
    ];
    let o = &a.sides[other(i)];
    if let Some(oa) = &o.array {
        let at = &oa.type_sql;
        ctes.push(format!(
            "delta AS (
                 SELECT x.k, CAST(pg_catalog.array_agg(x.v) FILTER (WHERE x.old) AS {at}) AS rem,
                        CAST(pg_catalog.array_agg(x.v) FILTER (WHERE NOT x.old) AS {at}) AS add
                   FROM (SELECT g.id AS k, g.k AS v, true AS old FROM gone g
                         UNION ALL
                         SELECT m.id, m.k, false FROM missing m) x
                  GROUP BY x.k)"
        ));
        ctes.push(apply_delta(o));
        counts.push("(SELECT pg_catalog.count(*) FROM locked)");
        counts.push("(SELECT pg_catalog.count(*) FROM done)");
    }
    format!("WITH {} SELECT {}", ctes.join(",\n"), counts.join(", "))
}

/// Each row of side `i` with the array the join table says it should have (`k`, `expected`)
/// next to the stored one (`actual`): the common part of `check`, `repair` and the backfill.
pub fn expected_arrays(a: &Shape, i: usize) -> String {
    let side = &a.sides[i];
    let array = side.array.as_ref().expect("a side with an array");
    let (j, kc, ic) = (
        &a.join_sql,
        &side.join_column_sql,
        &a.sides[other(i)].join_column_sql,
    );
    let (tbl, key, arr, at) = (&side.table_sql, &side.key_sql, &array.sql, &array.type_sql);
    let eq = &side.eq_sql;
    format!(
        "SELECT s.{key} AS k, s.{arr} AS actual,
                COALESCE(g.ids, CAST('{{}}' AS {at})) AS expected
           FROM {tbl} s
           LEFT JOIN (SELECT t.{kc} AS k,
                             habtm.array_canonical(CAST(pg_catalog.array_agg(t.{ic}) AS {at}){collate}) AS ids
                        FROM {j} t GROUP BY t.{kc}) g ON g.k {eq} s.{key}",
        collate = array.collate_sql,
    )
}

/// Whether the row of side `i` whose key is `$1` holds another array than the join table says
/// (false when the row is gone): the commit-time check of an inserted read-only array. (The
/// key's equality reaches the grouped join rows of [`expected_arrays`]: one owner's links.)
pub fn inserted_row_differs(a: &Shape, i: usize) -> String {
    format!(
        "SELECT EXISTS (SELECT FROM ({expected}) e WHERE e.k {eq} $1 AND {DIFFERS})",
        expected = expected_arrays(a, i),
        eq = a.sides[i].eq_sql,
    )
}

/// Whether the `actual` array of [`expected_arrays`] differs from the `expected` one
/// (`IS DISTINCT FROM` would look `=` up on the `search_path`).
pub const DIFFERS: &str = "(e.actual OPERATOR(pg_catalog.=) e.expected) IS NOT TRUE";

/// Rewrites the arrays of side `i` that differ from the join table; returns the count.
pub fn rewrite(a: &Shape, i: usize) -> String {
    let side = &a.sides[i];
    let array = side.array.as_ref().expect("a side with an array");
    let (tbl, key, arr, eq) = (&side.table_sql, &side.key_sql, &array.sql, &side.eq_sql);
    format!(
        "WITH e AS ({expected}),
         done AS (
             UPDATE {tbl} s SET {arr} = e.expected FROM e
              WHERE s.{key} {eq} e.k AND {DIFFERS} RETURNING 1)
         SELECT pg_catalog.count(*) FROM done",
        expected = expected_arrays(a, i),
    )
}
