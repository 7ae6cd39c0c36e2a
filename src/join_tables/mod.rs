//! Join tables: `create_join_table` (`create.rs`), `adopt` (`adopt.rs`), `drop_join_table`
//! (`drop.rs`), and what they share: reading and checking the tables an association joins.
//!
//! Every function runs as its caller (PostgreSQL checks CREATE, REFERENCES and ownership itself)
//! with `search_path = pg_catalog, pg_temp`, so neither the SQL generated here nor the type
//! names read from the catalog depend on the caller's path. Identifiers are quoted with
//! `quote_identifier`, values passed as `$n`. Any error aborts the statement: nothing is created.

use pgrx::pg_sys;
use pgrx::spi::SpiClient;

use crate::catalog::{self, Registration};
use crate::error::{HabtmError, Result};
use crate::pg::operators::{self, Cmp};
use crate::pg::regclass::RegClass;

mod adopt;
mod create;
mod drop;

/// A table that a join table being made or adopted references, as PostgreSQL describes it (not
/// yet an association: `catalog::Side` is one side of a registered association).
struct SideTable {
    oid: pg_sys::Oid,
    /// `regclass` output: qualified and quoted as needed (the search_path is pinned).
    display: String,
    schema_oid: pg_sys::Oid,
    name: String,
    key: String,
    /// The key's type as `format_type` writes it, with `COLLATE` when not the type's default.
    key_type: String,
    /// The key type's own `=`, `OPERATOR(schema.=)`, as the foreign key compares.
    key_eq: String,
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

impl SideTable {
    fn read(client: &SpiClient<'_>, argument: &'static str, rel: RegClass) -> Result<SideTable> {
        let table = permanent_table(client, argument, rel)?;
        let key = primary_key(client, rel.0)?;
        if key.columns.len() != 1 {
            return Err(HabtmError::NoSingleKey {
                argument,
                relation: table.display,
                key_columns: key.columns,
            });
        }
        Ok(SideTable {
            oid: rel.0,
            display: table.display,
            schema_oid: table.schema_oid,
            name: table.name,
            key: key.columns.into_iter().next().unwrap_or_default(),
            key_type: key.types.into_iter().next().unwrap_or_default(),
            key_eq: operators::operator(key.type_oids[0], Cmp::Eq)?,
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

/// A table's primary-key columns in key order, with their types.
#[derive(Default)]
struct PrimaryKey {
    columns: Vec<String>,
    type_oids: Vec<pg_sys::Oid>,
    /// As `format_type` writes them, with `COLLATE` when not the type's default.
    types: Vec<String>,
}

/// The primary-key columns of a table in key order, with their types.
fn primary_key(client: &SpiClient<'_>, table: pg_sys::Oid) -> Result<PrimaryKey> {
    let rows = client.select(
        "SELECT a.attname::pg_catalog.text, a.atttypid,
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
    let mut key = PrimaryKey::default();
    for row in rows {
        key.columns.push(row.get::<String>(1)?.unwrap_or_default());
        key.type_oids
            .push(row.get::<pg_sys::Oid>(2)?.unwrap_or_default());
        key.types.push(row.get::<String>(3)?.unwrap_or_default());
    }
    Ok(key)
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
    a: &SideTable,
    b: &SideTable,
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
    a: &SideTable,
    b: &SideTable,
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

/// Rails' column for a table: `habtm.foreign_key(<its name>)`.
fn foreign_key_of(side: &SideTable) -> Result<String> {
    habtm_naming::foreign_key(&side.name).map_err(|error| HabtmError::InvalidName {
        function: "habtm.create_join_table",
        argument: "a or b",
        error,
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

#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
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
