//! `habtm.create_join_table`: a join table named as Rails names it, with the keys, foreign keys
//! and index Rails leaves out.

use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, quote_qualified_identifier};

use super::*;
use crate::catalog;
use crate::error::{required, HabtmError, OrRaise, Result};
use crate::naming::check_identifier;
use crate::pg::regclass::RegClass;

/// Creates a join table for `a` and `b` the way Rails' `create_join_table` names it, with the
/// keys, foreign keys and index Rails leaves out, and registers both directions.
#[allow(clippy::too_many_arguments)] // its SQL signature
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
    crate::pg::errors::keeping_errors(move || {
        const F: &str = "habtm.create_join_table";
        let run = || -> Result<RegClass> {
            let a = required(F, "a", a)?;
            let b = required(F, "b", b)?;
            let if_not_exists = required(F, "if_not_exists", if_not_exists)?;
            Spi::connect_mut(|client| {
                let a = SideTable::read(client, "a", a)?;
                let b = SideTable::read(client, "b", b)?;
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
