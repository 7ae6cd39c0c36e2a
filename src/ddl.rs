//! SQL surface §2: join tables. `create_join_table`, `adopt`, `drop_join_table`.
//!
//! Every function runs as its caller (PostgreSQL checks CREATE, REFERENCES and ownership itself)
//! with `search_path = pg_catalog, pg_temp`, so neither the SQL generated here nor the type
//! names read from the catalog depend on the caller's path. Identifiers are quoted with
//! `quote_identifier`, values passed as `$n`. Any error aborts the statement: nothing is created.

use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, quote_qualified_identifier, SpiClient};

use crate::catalog::{self, Registration};
use crate::error::{required, HabtmError, OrRaise, Result};
use crate::regclass::RegClass;

/// PostgreSQL keeps the first NAMEDATALEN - 1 bytes of an identifier.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// One side of a join table, as read from the catalog.
struct Side {
    oid: pg_sys::Oid,
    /// `regclass` output: qualified and quoted as needed (the search_path is pinned).
    display: String,
    schema_oid: pg_sys::Oid,
    name: String,
    key: String,
    /// The key's type as `format_type` writes it, with `COLLATE` when not the type's default.
    key_type: String,
}

/// A relation that may take part in an association, as read from the catalog.
struct Table {
    /// `regclass` output: qualified and quoted as needed (the search_path is pinned).
    display: String,
    schema_oid: pg_sys::Oid,
    name: String,
}

/// Reads `rel` (passed as `argument`) and checks that it is a permanent ordinary table, as the
/// catalog requires: not a view (its rules) or another relkind, not partitioned or a partition
/// (statements naming a partition bypass the parent's statement triggers), not temporary.
fn permanent_table(client: &SpiClient<'_>, argument: &'static str, rel: RegClass) -> Result<Table> {
    let row = client
        .select(
            "SELECT c.oid::pg_catalog.regclass::pg_catalog.text, c.relnamespace,
                    c.relname::pg_catalog.text, c.relkind::pg_catalog.text,
                    c.relpersistence OPERATOR(pg_catalog.=) 't', c.relispartition
               FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1",
            Some(1),
            &[rel.into()],
        )?
        .first();
    if row.is_empty() {
        return Err(HabtmError::NoSuchRelation {
            argument,
            oid: rel.0.to_u32(),
        });
    }
    let display = row.get::<String>(1)?.unwrap_or_default();
    let kind = row.get::<String>(4)?.unwrap_or_default();
    if kind == "p" || row.get::<bool>(6)?.unwrap_or(false) {
        return Err(HabtmError::Partitioned {
            argument,
            relation: display,
        });
    }
    if let Some(kind) = relkind_name(&kind) {
        return Err(HabtmError::NotATable {
            argument,
            relation: display,
            kind,
        });
    }
    if row.get::<bool>(5)?.unwrap_or(false) {
        return Err(HabtmError::TemporaryTable {
            argument,
            relation: display,
        });
    }
    Ok(Table {
        display,
        schema_oid: row.get(2)?.unwrap_or(pg_sys::InvalidOid),
        name: row.get(3)?.unwrap_or_default(),
    })
}

impl Side {
    fn read(client: &SpiClient<'_>, argument: &'static str, rel: RegClass) -> Result<Side> {
        let table = permanent_table(client, argument, rel)?;
        let (key_columns, key_types) = primary_key(client, rel.0)?;
        if key_columns.len() != 1 {
            return Err(HabtmError::NoSingleKey {
                argument,
                relation: table.display,
                key_columns,
            });
        }
        Ok(Side {
            oid: rel.0,
            display: table.display,
            schema_oid: table.schema_oid,
            name: table.name,
            key: key_columns.into_iter().next().unwrap_or_default(),
            key_type: key_types.into_iter().next().unwrap_or_default(),
        })
    }
}

/// `None` for the relation kinds a join table can reference, a description otherwise.
fn relkind_name(relkind: &str) -> Option<&'static str> {
    match relkind {
        "r" => None,
        "v" => Some("a view"),
        "m" => Some("a materialized view"),
        "f" => Some("a foreign table"),
        "i" | "I" => Some("an index"),
        "S" => Some("a sequence"),
        "c" => Some("a composite type"),
        "t" => Some("a TOAST table"),
        _ => Some("not a table"),
    }
}

/// The primary-key columns of a table in key order, with their types.
fn primary_key(client: &SpiClient<'_>, table: pg_sys::Oid) -> Result<(Vec<String>, Vec<String>)> {
    let rows = client.select(
        "SELECT a.attname::pg_catalog.text,
                pg_catalog.format_type(a.atttypid, a.atttypmod)
                OPERATOR(pg_catalog.||) CASE WHEN a.attcollation OPERATOR(pg_catalog.<>) t.typcollation
                        THEN ' COLLATE ' OPERATOR(pg_catalog.||) a.attcollation::pg_catalog.regcollation::pg_catalog.text
                        ELSE '' END
           FROM pg_catalog.pg_index i
           JOIN pg_catalog.pg_attribute a
             ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
            AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::pg_catalog.int2[])
           JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
          WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary
          ORDER BY pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)",
        None,
        &[RegClass(table).into()],
    )?;
    let mut names = Vec::new();
    let mut types = Vec::new();
    for row in rows {
        names.push(row.get::<String>(1)?.unwrap_or_default());
        types.push(row.get::<String>(2)?.unwrap_or_default());
    }
    Ok((names, types))
}

/// A name to be created: not empty, at most 63 bytes (PostgreSQL would truncate it silently).
pub(crate) fn check_identifier(argument: &'static str, name: &str) -> Result<()> {
    if name.is_empty() {
        Err(HabtmError::EmptyName { argument })
    } else if name.len() > MAX_IDENTIFIER_BYTES {
        Err(HabtmError::NameTooLong {
            argument,
            name: name.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The schema OID for a schema name, if it exists.
fn schema_oid(client: &SpiClient<'_>, schema: &str) -> Result<Option<pg_sys::Oid>> {
    let row = client
        .select(
            "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname OPERATOR(pg_catalog.=) $1",
            Some(1),
            &[schema.into()],
        )?
        .first();
    Ok(if row.is_empty() { None } else { row.get(1)? })
}

/// The OID of `schema.name` if such a relation exists.
fn relation_in(
    client: &SpiClient<'_>,
    schema: pg_sys::Oid,
    name: &str,
) -> Result<Option<pg_sys::Oid>> {
    let row = client
        .select(
            "SELECT oid FROM pg_catalog.pg_class
              WHERE relnamespace OPERATOR(pg_catalog.=) $1 AND relname OPERATOR(pg_catalog.=) $2",
            Some(1),
            &[schema.into(), name.into()],
        )?
        .first();
    Ok(if row.is_empty() { None } else { row.get(1)? })
}

fn schema_name(client: &SpiClient<'_>, schema: pg_sys::Oid) -> Result<String> {
    let row = client
        .select(
            "SELECT nspname::pg_catalog.text FROM pg_catalog.pg_namespace
              WHERE oid OPERATOR(pg_catalog.=) $1",
            Some(1),
            &[schema.into()],
        )?
        .first();
    Ok(row.get::<String>(1)?.unwrap_or_default())
}

/// The association names seen from a and from b (defaults: the other table's name), checked
/// for emptiness, for a self-association's two directions, and against the catalog.
fn claim_relations(
    client: &SpiClient<'_>,
    a: &Side,
    b: &Side,
    a_relation: Option<&str>,
    b_relation: Option<&str>,
) -> Result<(String, String)> {
    let a_relation = a_relation.map_or_else(|| b.name.clone(), str::to_owned);
    let b_relation = b_relation.map_or_else(|| a.name.clone(), str::to_owned);
    if a_relation.is_empty() {
        return Err(HabtmError::EmptyName {
            argument: "a_relation",
        });
    }
    if b_relation.is_empty() {
        return Err(HabtmError::EmptyName {
            argument: "b_relation",
        });
    }
    if a.oid == b.oid && a_relation == b_relation {
        return Err(HabtmError::SameRelationNames {
            relation: a_relation,
        });
    }
    catalog::check_relation_free(client, a.oid, &a.display, &a_relation)?;
    catalog::check_relation_free(client, b.oid, &b.display, &b_relation)?;
    Ok((a_relation, b_relation))
}

/// Writes the catalog row of a join table between `a` and `b`.
#[allow(clippy::too_many_arguments)]
fn register(
    client: &mut SpiClient<'_>,
    join_table: pg_sys::Oid,
    a: &Side,
    b: &Side,
    a_column: &str,
    b_column: &str,
    a_relation: &str,
    b_relation: &str,
) -> Result<()> {
    catalog::register(
        client,
        &Registration {
            join_table,
            a: a.oid,
            b: b.oid,
            a_column,
            b_column,
            a_key: &a.key,
            b_key: &b.key,
            a_relation,
            b_relation,
        },
    )
}

/// Creates a join table for `a` and `b` the way Rails' `create_join_table` names it, with the
/// keys, foreign keys and index Rails leaves out, and registers both directions.
#[allow(clippy::too_many_arguments)] // the SQL signature of API §2
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn create_join_table(
    a: Option<RegClass>,
    b: Option<RegClass>,
    table_name: default!(Option<&str>, "NULL"),
    a_column: default!(Option<&str>, "NULL"),
    b_column: default!(Option<&str>, "NULL"),
    a_relation: default!(Option<&str>, "NULL"),
    b_relation: default!(Option<&str>, "NULL"),
    if_not_exists: default!(Option<bool>, "false"),
) -> RegClass {
    crate::pg_error::keeping_errors(move || {
        const F: &str = "habtm.create_join_table";
        let run = || -> Result<RegClass> {
            let a = required(F, "a", a)?;
            let b = required(F, "b", b)?;
            let if_not_exists = required(F, "if_not_exists", if_not_exists)?;
            Spi::connect_mut(|client| {
                let a = Side::read(client, "a", a)?;
                let b = Side::read(client, "b", b)?;
                let self_association = a.oid == b.oid;

                // Names: Rails' defaults from the tables' own names (schema left out).
                let derived_name = habtm_naming::join_table_name(&a.name, &b.name);
                let (schema_part, table) = match table_name {
                    Some(name) => match name.split_once('.') {
                        Some((schema, table)) => (Some(schema), table.to_owned()),
                        None => (None, name.to_owned()),
                    },
                    None => (None, derived_name),
                };
                let a_column = a_column.map_or_else(|| foreign_key_of(&a), |c| Ok(c.to_owned()))?;
                let b_column = b_column.map_or_else(|| foreign_key_of(&b), |c| Ok(c.to_owned()))?;
                check_identifier("table_name", &table)?;
                check_identifier("a_column", &a_column)?;
                check_identifier("b_column", &b_column)?;
                if a_column == b_column {
                    return Err(HabtmError::SameColumnNames {
                        column: a_column,
                        self_association,
                    });
                }

                // Where: a's schema, or the one named in table_name.
                let schema = match schema_part {
                    Some(s) => {
                        check_identifier("table_name", s)?;
                        schema_oid(client, s)?.ok_or_else(|| HabtmError::NoSuchSchema {
                            argument: "table_name",
                            schema: s.to_owned(),
                        })?
                    }
                    None => a.schema_oid,
                };

                catalog::lock(client)?;
                if let Some(existing) = relation_in(client, schema, &table)? {
                    let registered = catalog::is_registered(client, existing)?;
                    if if_not_exists && registered {
                        let shown = RegClass(existing).shown();
                        pgrx::notice!("join table {shown} already exists, skipping");
                        return Ok(RegClass(existing));
                    }
                    return Err(HabtmError::TableExists {
                        table: RegClass(existing).shown(),
                        registered,
                    });
                }
                let (a_relation, b_relation) =
                    claim_relations(client, &a, &b, a_relation, b_relation)?;

                let schema_name = schema_name(client, schema)?;
                let qualified = quote_qualified_identifier(&schema_name, &table);
                let (ac, bc) = (quote_identifier(&a_column), quote_identifier(&b_column));
                client.update(
                    &format!(
                        "CREATE TABLE {qualified} (
                        {ac} {a_type} NOT NULL REFERENCES {a_table} ({a_key})
                            ON DELETE CASCADE ON UPDATE CASCADE,
                        {bc} {b_type} NOT NULL REFERENCES {b_table} ({b_key})
                            ON DELETE CASCADE ON UPDATE CASCADE,
                        PRIMARY KEY ({ac}, {bc}))",
                        a_type = a.key_type,
                        b_type = b.key_type,
                        a_table = a.display,
                        b_table = b.display,
                        a_key = quote_identifier(&a.key),
                        b_key = quote_identifier(&b.key),
                    ),
                    None,
                    &[],
                )?;
                client.update(
                    &format!("CREATE INDEX ON {qualified} ({bc}, {ac})"),
                    None,
                    &[],
                )?;
                let join_table = relation_in(client, schema, &table)?
                    .expect("the table was created by the statement above");

                register(
                    client,
                    join_table,
                    &a,
                    &b,
                    &a_column,
                    &b_column,
                    &a_relation,
                    &b_relation,
                )?;
                Ok(RegClass(join_table))
            })
        };
        run().or_raise()
    })
}

/// Rails' column for a table: `habtm.foreign_key(<its name>)`.
fn foreign_key_of(side: &Side) -> Result<String> {
    habtm_naming::foreign_key(&side.name).map_err(|error| HabtmError::InvalidName {
        function: "habtm.create_join_table",
        argument: "a or b",
        error,
    })
}

/// Drops a registered join table and its catalog rows.
#[pg_extern(volatile)]
#[search_path(pg_catalog, pg_temp)]
fn drop_join_table(join_table: Option<RegClass>) {
    crate::pg_error::keeping_errors(move || {
        let run = || -> Result<()> {
            let join_table = required("habtm.drop_join_table", "join_table", join_table)?;
            Spi::connect_mut(|client| {
                catalog::lock(client)?;
                let shown = join_table.shown();
                if !catalog::is_registered(client, join_table.0)? {
                    return Err(HabtmError::NotRegistered { table: shown });
                }
                let sides = client
                    .select(
                        "SELECT a::pg_catalog.oid, b::pg_catalog.oid FROM habtm.join_tables
                      WHERE join_table OPERATOR(pg_catalog.=) $1",
                        Some(1),
                        &[RegClass(join_table.0).into()],
                    )?
                    .first()
                    .get_two::<pg_sys::Oid, pg_sys::Oid>()?;
                // the sides only when their triggers change (arrays): a join table's owner may
                // drop it, as DROP TABLE allows, without owning the tables it joins
                let arrays = crate::arrays::config::load(client, join_table.0)?.is_some();
                match sides {
                    (Some(a), Some(b)) if arrays => {
                        catalog::lock_tables(client, &[join_table.0, a, b])?
                    }
                    _ => catalog::lock_tables(client, &[join_table.0])?,
                }
                catalog::unregister(client, join_table.0)?;
                // its id arrays' triggers go with it (the columns stay, as after normalize)
                if let (Some(a), Some(b)) = sides {
                    crate::arrays::api::reconcile_association(client, join_table.0, a, b)?;
                }
                client.update(&format!("DROP TABLE {shown}"), None, &[])?;
                Ok(())
            })
        };
        run().or_raise()
    })
}

/// A column of the join table being adopted.
fn column_exists(client: &SpiClient<'_>, table: pg_sys::Oid, column: &str) -> Result<bool> {
    let rows = client.select(
        "SELECT 1 FROM pg_catalog.pg_attribute
          WHERE attrelid OPERATOR(pg_catalog.=) $1 AND attname OPERATOR(pg_catalog.=) $2
            AND attnum OPERATOR(pg_catalog.>) 0 AND NOT attisdropped",
        Some(1),
        &[RegClass(table).into(), column.into()],
    )?;
    Ok(!rows.is_empty())
}

/// The two tables a join table references through single-column foreign keys, in column order,
/// with those columns; `None` unless there are exactly two.
fn foreign_key_sides(
    client: &SpiClient<'_>,
    table: pg_sys::Oid,
) -> Result<Option<[(RegClass, String); 2]>> {
    let rows = client.select(
        "SELECT c.confrelid, a.attname::pg_catalog.text
           FROM pg_catalog.pg_constraint c
           JOIN pg_catalog.pg_attribute a
             ON a.attrelid OPERATOR(pg_catalog.=) c.conrelid
            AND a.attnum OPERATOR(pg_catalog.=) c.conkey[1]
          WHERE c.conrelid OPERATOR(pg_catalog.=) $1 AND c.contype OPERATOR(pg_catalog.=) 'f'
            AND pg_catalog.cardinality(c.conkey) OPERATOR(pg_catalog.=) 1
          ORDER BY a.attnum",
        None,
        &[RegClass(table).into()],
    )?;
    let mut sides = Vec::new();
    for row in rows {
        let oid: pg_sys::Oid = row.get(1)?.unwrap_or(pg_sys::InvalidOid);
        sides.push((RegClass(oid), row.get::<String>(2)?.unwrap_or_default()));
    }
    Ok(<[(RegClass, String); 2]>::try_from(sides).ok())
}

/// Registers a join table made elsewhere (Rails' `create_join_table` makes two `bigint` columns
/// with no key, no index and no foreign key). Rows that a join table with keys could not hold
/// (NULL ids, orphans, duplicate pairs) are reported and nothing changes; otherwise the missing
/// NOT NULLs, primary key (or unique constraint), foreign keys and index are added.
#[allow(clippy::too_many_arguments)] // the SQL signature of API §2
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
    crate::pg_error::keeping_errors(move || {
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
                let a = Side::read(client, "a", a)?;
                let b = Side::read(client, "b", b)?;
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
                                      (SELECT FROM {at} t WHERE t.{ak} OPERATOR(pg_catalog.=) j.{ac}))
                                OR (j.{bc} IS NOT NULL AND NOT EXISTS
                                      (SELECT FROM {bt} t WHERE t.{bk} OPERATOR(pg_catalog.=) j.{bc}))),
                           (SELECT pg_catalog.count(*) FROM
                              (SELECT FROM {shown} j WHERE j.{ac} IS NOT NULL AND j.{bc} IS NOT NULL
                                GROUP BY j.{ac}, j.{bc} HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d)",
                        at = a.display,
                        bt = b.display,
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

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::testing::sqlstate_of;

    fn count(query: &str) -> i64 {
        Spi::get_one::<i64>(query)
            .expect("query runs")
            .expect("a count")
    }

    #[pg_test]
    fn create_register_and_drop() {
        Spi::run("CREATE TABLE developers (id bigserial PRIMARY KEY); CREATE TABLE projects (id int PRIMARY KEY)")
            .expect("tables created");
        let created = Spi::get_one::<String>(
            "SELECT habtm.create_join_table('developers', 'projects')::text",
        );
        assert_eq!(
            created.expect("runs").as_deref(),
            Some("developers_projects")
        );
        assert_eq!(
            count(
                "SELECT count(*) FROM habtm.associations
                  WHERE join_table = 'developers_projects'::regclass
                    AND ((owner, relation, owner_column) = ('developers'::regclass, 'projects', 'developer_id')
                      OR (owner, relation, owner_column) = ('projects'::regclass, 'developers', 'project_id'))"
            ),
            2
        );
        assert_eq!(
            // (PostgreSQL 18 keeps NOT NULL constraints in pg_constraint too, as contype 'n')
            count("SELECT count(*) FROM pg_constraint WHERE conrelid = 'developers_projects'::regclass AND contype IN ('p', 'f')"),
            3,
            "a primary key and two foreign keys"
        );
        Spi::run("SELECT habtm.drop_join_table('developers_projects')").expect("dropped");
        assert_eq!(count("SELECT count(*) FROM habtm.join_tables"), 0);
        assert_eq!(
            count("SELECT count(*) FROM pg_class WHERE relname = 'developers_projects'"),
            0
        );
    }

    #[pg_test]
    fn errors_keep_their_sqlstate_and_create_nothing() {
        Spi::run("CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE loose (id int)")
            .expect("tables created");
        let relations = "SELECT count(*) FROM pg_class";
        let before = count(relations);
        assert_eq!(
            sqlstate_of("SELECT habtm.create_join_table('users', 'users')"),
            "42701"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.create_join_table('users', 'loose')"),
            "42P10"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.create_join_table(NULL, 'users')"),
            "22004"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.drop_join_table('loose')"),
            "42704"
        );
        assert_eq!(sqlstate_of("SELECT habtm.adopt('loose')"), "22023");
        assert_eq!(count("SELECT count(*) FROM habtm.join_tables"), 0);
        assert_eq!(count(relations), before);
    }
}
