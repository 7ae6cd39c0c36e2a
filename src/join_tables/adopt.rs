//! `habtm.adopt`: registering a join table made elsewhere.

use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, SpiClient};

use super::*;
use crate::catalog;
use crate::error::{required, HabtmError, OrRaise, Result};
use crate::pg::regclass::RegClass;

/// Registers a join table made elsewhere (Rails' `create_join_table` makes two `bigint` columns
/// with no key, no index and no foreign key). Rows that a join table with keys could not hold
/// (NULL ids, orphans, duplicate pairs) are reported and nothing changes; otherwise the missing
/// NOT NULLs, primary key (or unique constraint), foreign keys and index are added.
#[allow(clippy::too_many_arguments)] // its SQL signature
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn adopt(
    join_table: Option<RegClass>,
    a: default!(Option<RegClass>, "NULL"),
    b: default!(Option<RegClass>, "NULL"),
    a_column: default!(Option<&str>, "NULL"),
    b_column: default!(Option<&str>, "NULL"),
    a_relation: default!(Option<&str>, "NULL"),
    b_relation: default!(Option<&str>, "NULL"),
) -> RegClass {
    crate::pg::errors::keeping_errors(move || {
        let run = || -> Result<RegClass> {
            let join = required("habtm.adopt", "join_table", join_table)?;
            Spi::connect_mut(|client| {
                let shown = join.shown();
                permanent_table(client, "join_table", join)?;
                catalog::lock(client)?;
                if catalog::is_registered(client, join.0)? {
                    return Err(HabtmError::AlreadyRegistered { table: shown });
                }
                // The sides: as given, or read from two existing foreign keys.
                let from_keys = foreign_key_sides(client, join.0)?;
                let ((a, fk_a_column), (b, fk_b_column)) = match (a, b, from_keys) {
                    (Some(a), Some(b), _) => ((a, None), (b, None)),
                    (None, None, Some([(a, ac), (b, bc)])) => ((a, Some(ac)), (b, Some(bc))),
                    _ => return Err(HabtmError::SidesUnknown { table: shown }),
                };
                let a = SideTable::read(client, "a", a)?;
                let b = SideTable::read(client, "b", b)?;
                let a_column = match a_column.map(str::to_owned).or(fk_a_column) {
                    Some(c) => c,
                    None => foreign_key_of(&a)?,
                };
                let b_column = match b_column.map(str::to_owned).or(fk_b_column) {
                    Some(c) => c,
                    None => foreign_key_of(&b)?,
                };
                for (argument, column) in [("a_column", &a_column), ("b_column", &b_column)] {
                    if !column_exists(client, join.0, column)? {
                        return Err(HabtmError::NoSuchColumn {
                            argument,
                            table: shown,
                            column: column.clone(),
                        });
                    }
                }
                if a_column == b_column {
                    return Err(HabtmError::SameColumnNames {
                        column: a_column,
                        self_association: a.oid == b.oid,
                    });
                }
                let a_relation = a_relation.map_or_else(|| b.name.clone(), str::to_owned);
                let b_relation = b_relation.map_or_else(|| a.name.clone(), str::to_owned);
                if a.oid == b.oid && a_relation == b_relation {
                    return Err(HabtmError::SameRelationNames {
                        relation: a_relation,
                    });
                }
                catalog::check_relation_free(client, a.oid, &a.display, &a_relation)?;
                catalog::check_relation_free(client, b.oid, &b.display, &b_relation)?;

                let (ac, bc) = (quote_identifier(&a_column), quote_identifier(&b_column));
                let (ak, bk) = (quote_identifier(&a.key), quote_identifier(&b.key));
                let problems = client
                .select(
                    &format!(
                        "SELECT
                           (SELECT pg_catalog.count(*) FROM {shown} j
                             WHERE j.{ac} IS NULL OR j.{bc} IS NULL),
                           (SELECT pg_catalog.count(*) FROM {shown} j
                             WHERE (j.{ac} IS NOT NULL AND NOT EXISTS
                                      (SELECT FROM {at} t WHERE t.{ak} {aeq} j.{ac}))
                                OR (j.{bc} IS NOT NULL AND NOT EXISTS
                                      (SELECT FROM {bt} t WHERE t.{bk} {beq} j.{bc}))),
                           (SELECT pg_catalog.count(*) FROM
                              (SELECT FROM {shown} j WHERE j.{ac} IS NOT NULL AND j.{bc} IS NOT NULL
                                GROUP BY j.{ac}, j.{bc} HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d)",
                        at = a.display,
                        bt = b.display,
                        aeq = a.key_eq,
                        beq = b.key_eq,
                    ),
                    Some(1),
                    &[],
                )?
                .first();
                let nulls: i64 = problems.get(1)?.unwrap_or(0);
                let orphans: i64 = problems.get(2)?.unwrap_or(0);
                let duplicate_pairs: i64 = problems.get(3)?.unwrap_or(0);
                if nulls + orphans + duplicate_pairs > 0 {
                    return Err(HabtmError::BlockingRows {
                        table: shown,
                        nulls,
                        orphans,
                        duplicate_pairs,
                    });
                }

                let mut added = Vec::new();
                let have = |client: &SpiClient<'_>, query: &str| -> Result<bool> {
                    let rows = client.select(
                        query,
                        Some(1),
                        &[
                            join.into(),
                            a_column.as_str().into(),
                            b_column.as_str().into(),
                        ],
                    )?;
                    Ok(!rows.is_empty())
                };
                // A unique index on exactly the two columns (any order) serves as the pair key.
                let has_pair_key = have(
                client,
                "SELECT FROM pg_catalog.pg_index i
                  WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisunique
                    AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts OPERATOR(pg_catalog.=) 2
                    AND (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY a.attname)
                           FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                            AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[]))
                        OPERATOR(pg_catalog.=) (SELECT pg_catalog.array_agg(c ORDER BY c)
                                                  FROM pg_catalog.unnest(ARRAY[$2, $3]) c)",
            )?;
                let has_primary_key = have(
                    client,
                    "SELECT FROM pg_catalog.pg_index WHERE indrelid OPERATOR(pg_catalog.=) $1
                    AND indisprimary AND $2 IS NOT NULL AND $3 IS NOT NULL",
                )?;
                let mut alter = vec![
                    format!("ALTER COLUMN {ac} SET NOT NULL"),
                    format!("ALTER COLUMN {bc} SET NOT NULL"),
                ];
                if !has_pair_key {
                    let constraint = if has_primary_key {
                        "UNIQUE"
                    } else {
                        "PRIMARY KEY"
                    };
                    alter.push(format!("ADD {constraint} ({ac}, {bc})"));
                    added.push(format!(
                        "{} ({a_column}, {b_column})",
                        constraint.to_lowercase()
                    ));
                }
                for (side, column, quoted) in [(&a, &a_column, &ac), (&b, &b_column, &bc)] {
                    let has_fk = client.select(
                    "SELECT FROM pg_catalog.pg_constraint c
                      WHERE c.conrelid OPERATOR(pg_catalog.=) $1 AND c.contype OPERATOR(pg_catalog.=) 'f'
                        AND c.confrelid OPERATOR(pg_catalog.=) $2
                        AND c.conkey OPERATOR(pg_catalog.=) ARRAY[(SELECT attnum FROM pg_catalog.pg_attribute
                              WHERE attrelid OPERATOR(pg_catalog.=) $1 AND attname OPERATOR(pg_catalog.=) $3)]",
                    Some(1),
                    &[join.into(), RegClass(side.oid).into(), column.as_str().into()],
                )?;
                    if has_fk.is_empty() {
                        alter.push(format!(
                        "ADD FOREIGN KEY ({quoted}) REFERENCES {} ({}) ON DELETE CASCADE ON UPDATE CASCADE",
                        side.display,
                        quote_identifier(&side.key)
                    ));
                        added.push(format!(
                            "foreign key ({column}) references {}",
                            side.display
                        ));
                    }
                }
                client.update(
                    &format!("ALTER TABLE {shown} {}", alter.join(", ")),
                    None,
                    &[],
                )?;
                // An index led by b's column, for lookups from b's side.
                let has_b_index = have(
                    client,
                    "SELECT FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a
                     ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                    AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]
                  WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND a.attname OPERATOR(pg_catalog.=) $3
                    AND $2 IS NOT NULL",
                )?;
                if !has_b_index {
                    client.update(&format!("CREATE INDEX ON {shown} ({bc}, {ac})"), None, &[])?;
                    added.push(format!("index ({b_column}, {a_column})"));
                }
                if !added.is_empty() {
                    pgrx::notice!("habtm.adopt added to {shown}: {}", added.join(", "));
                }
                register(
                    client,
                    join.0,
                    &a,
                    &b,
                    &a_column,
                    &b_column,
                    &a_relation,
                    &b_relation,
                )?;
                Ok(join)
            })
        };
        run().or_raise()
    })
}
