//! LoopBack's filter for `habtm.collection`: the language and its compiler are `habtm-filter`'s
//! (pure Rust, given quoted names); this is their PostgreSQL side: the target's columns read
//! from the catalog, identifiers quoted by PostgreSQL, each column type's own operators, and the
//! crate's errors as habtm's.

use std::collections::BTreeMap;

use pgrx::pg_sys;
use pgrx::spi::{quote_identifier, SpiClient};
use serde_json::Value;

pub use habtm_filter::Compiled;

use crate::error::{HabtmError, Result};
use crate::pg::operators::{operator, qualified_type, Cmp};
use crate::pg::regclass::RegClass;

/// A column's type: its name for generated SQL (schema-qualified) and its OID.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    pub sql: String,
    pub oid: pg_sys::Oid,
}

/// Column name → type, for one table.
pub type Columns = BTreeMap<String, ColumnType>;

/// The columns of a table and their types.
pub fn columns_of(_client: &SpiClient<'_>, table: RegClass) -> Result<Columns> {
    // From the relation cache: no statement to parse and plan on every call (a query of
    // pg_attribute cost a one-link `collection` more than its own statement).
    // SAFETY: the association's tables exist (the catalog's regclass columns keep them); the
    // relation is closed when `relation` drops.
    let relation = unsafe { pgrx::PgRelation::open(table.0) };
    let mut columns = Columns::new();
    for attribute in relation.tuple_desc().iter().filter(|a| !a.is_dropped()) {
        let oid = attribute.type_oid().value();
        columns.insert(
            attribute.name().to_owned(),
            ColumnType {
                sql: qualified_type(oid, attribute.type_mod()),
                oid,
            },
        );
    }
    Ok(columns)
}

/// A parsed filter, its columns checked, with the target's column types it compiles against.
#[derive(Debug, PartialEq)]
pub struct Filter {
    parsed: habtm_filter::Filter,
    types: Columns,
}

/// The target table as the compiler sees it: PostgreSQL quotes, the catalog types.
struct Target<'a>(&'a Columns);

impl habtm_filter::Target for Target<'_> {
    type Error = HabtmError;

    fn has_column(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn quote_identifier(&self, name: &str) -> String {
        quote_identifier(name)
    }

    fn type_sql(&self, column: &str) -> &str {
        &self.0[column].sql
    }

    fn operator(&self, column: &str, cmp: habtm_filter::Cmp) -> Result<String> {
        let cmp = match cmp {
            habtm_filter::Cmp::Eq => Cmp::Eq,
            habtm_filter::Cmp::Ne => Cmp::Ne,
            habtm_filter::Cmp::Lt => Cmp::Lt,
            habtm_filter::Cmp::Le => Cmp::Le,
            habtm_filter::Cmp::Gt => Cmp::Gt,
            habtm_filter::Cmp::Ge => Cmp::Ge,
        };
        operator(self.0[column].oid, cmp)
    }
}

/// The crate's error as habtm's; `table` names the target in an unknown column's message.
fn error(e: habtm_filter::Error, table: &str) -> HabtmError {
    match e {
        habtm_filter::Error::Malformed { reason } => HabtmError::BadJson {
            argument: "filter",
            reason,
        },
        habtm_filter::Error::UnknownColumn { column } => HabtmError::UnknownColumn {
            table: table.to_owned(),
            column,
        },
        habtm_filter::Error::UnknownOperator { operator } => {
            HabtmError::UnknownOperator { operator }
        }
    }
}

impl Filter {
    /// Parses and checks a filter against the columns of `table` (its name for messages).
    pub fn parse(value: &Value, table: &str, columns: &Columns) -> Result<Filter> {
        Ok(Filter {
            parsed: habtm_filter::Filter::parse(value, &Target(columns))
                .map_err(|e| error(e, table))?,
            types: columns.clone(),
        })
    }

    /// Compiles to SQL; parameters are numbered from `first_param`. Comparisons use each
    /// column type's own operators: a type without them (`json`, `point`) is an error.
    pub fn compile(&self, first_param: usize) -> Result<Compiled> {
        self.parsed.compile(&Target(&self.types), first_param)
    }

    /// Whether the filter picks columns (`fields`).
    pub fn picks_fields(&self) -> bool {
        self.parsed.picks_fields()
    }

    /// Sets the key column (quoted) that ends every ORDER BY.
    pub fn with_key(mut self, quoted_key: &str) -> Filter {
        self.parsed = self.parsed.with_key(quoted_key);
        self
    }
}

// These call PostgreSQL's quote_identifier, so they run inside PostgreSQL.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use super::*;
    use pgrx::prelude::*;
    use serde_json::json;

    fn columns() -> Columns {
        [
            ("id", pg_sys::INT8OID),
            ("title", pg_sys::TEXTOID),
            ("budget", pg_sys::NUMERICOID),
        ]
        .into_iter()
        .map(|(a, oid)| {
            let sql = qualified_type(oid, -1);
            (a.to_owned(), ColumnType { sql, oid })
        })
        .collect()
    }

    fn compile(v: Value) -> Result<Compiled> {
        Filter::parse(&v, "projects", &columns())?
            .with_key("id")
            .compile(2)
    }

    #[pg_test]
    fn empty_filter_orders_by_key() {
        let c = compile(json!({})).unwrap();
        assert_eq!(c.select, "pg_catalog.to_jsonb(t)");
        assert_eq!(c.where_clause, None);
        assert_eq!(c.order_by, "ORDER BY t.id");
        assert!(c.params.is_empty());
    }

    #[pg_test]
    fn where_values_are_parameters() {
        let c = compile(
            json!({"where": {"title": "x'; DROP TABLE t; --", "budget": {"gte": 10, "lt": 20}}}),
        )
        .unwrap();
        assert_eq!(
            c.where_clause.as_deref(),
            Some("(t.budget OPERATOR(pg_catalog.>=) CAST($2 AS numeric)) AND (t.budget OPERATOR(pg_catalog.<) CAST($3 AS numeric)) AND (t.title OPERATOR(pg_catalog.=) CAST($4 AS pg_catalog.text))")
        );
        assert_eq!(c.params, vec!["10", "20", "x'; DROP TABLE t; --"]);
    }

    #[pg_test]
    fn and_or_inq_like_order_fields_paging() {
        let c = compile(json!({
            "where": {"or": [{"id": {"inq": [1, 2]}}, {"title": {"like": "a%"}}]},
            "order": ["title DESC", "budget"], "limit": 5, "skip": 10, "fields": {"id": true, "title": true}
        }))
        .unwrap();
        assert!(c
            .where_clause
            .as_deref()
            .unwrap()
            .starts_with("(t.id OPERATOR(pg_catalog.=) ANY"));
        assert_eq!(c.params, vec!["[1,2]", "a%"]);
        assert_eq!(c.order_by, "ORDER BY t.title DESC, t.budget, t.id");
        assert_eq!(c.limit_offset, "LIMIT 5 OFFSET 10");
        assert_eq!(
            c.select,
            "pg_catalog.jsonb_build_object('id', t.id, 'title', t.title)"
        );
    }

    /// The crate's errors become habtm's (their SQLSTATEs and messages), and the target's
    /// operator lookup fails as PostgreSQL's catalog says.
    #[pg_test]
    fn errors_are_habtms() {
        assert!(matches!(
            compile(json!({"order": "nope"})),
            Err(HabtmError::UnknownColumn { table, column }) if table == "projects" && column == "nope"
        ));
        assert!(matches!(
            compile(json!({"limit": 1.5})),
            Err(HabtmError::BadJson { argument: "filter", reason })
                if reason == "limit must be a non-negative integer"
        ));
        let mut with_json = columns();
        with_json.insert(
            "doc".into(),
            ColumnType {
                sql: qualified_type(pg_sys::JSONOID, -1),
                oid: pg_sys::JSONOID,
            },
        );
        let filter = Filter::parse(
            &json!({"where": {"doc": {"gt": 1}}}),
            "projects",
            &with_json,
        )
        .unwrap();
        assert!(matches!(
            filter.compile(2),
            Err(HabtmError::NoComparison {
                comparison: ">",
                ..
            })
        ));
    }

    /// The crate's `quote_literal` (for `fields`) writes what PostgreSQL's does.
    #[pg_test]
    fn quote_literal_is_postgresqls() {
        for text in [
            "id",
            "",
            "it's",
            "a\\b",
            "x\\'; DROP",
            "weird\"name",
            "ünï'cödé\\",
        ] {
            assert_eq!(
                habtm_filter::quote_literal(text),
                pgrx::spi::quote_literal(text),
                "{text}"
            );
        }
    }

    #[pg_test]
    fn unknown_columns_and_operators_are_errors() {
        assert!(matches!(
            compile(json!({"where": {"nope": 1}})),
            Err(HabtmError::UnknownColumn { column, .. }) if column == "nope"
        ));
        assert!(matches!(
            compile(json!({"where": {"id": {"near": 1}}})),
            Err(HabtmError::UnknownOperator { operator }) if operator == "near"
        ));
        // a mistyped operator next to a real one is no value to compare with
        assert!(matches!(
            compile(json!({"where": {"title": {"ilike ": "x", "neq": "y"}}})),
            Err(HabtmError::UnknownOperator { operator }) if operator == "ilike "
        ));
        assert!(matches!(
            compile(json!({"order": "id SIDEWAYS"})),
            Err(HabtmError::BadJson { .. })
        ));
        assert!(matches!(
            compile(json!({"limit": -1})),
            Err(HabtmError::BadJson { .. })
        ));
        assert!(matches!(
            compile(json!({"colour": 1})),
            Err(HabtmError::BadJson { .. })
        ));
        assert!(matches!(
            compile(json!([1])),
            Err(HabtmError::BadJson { .. })
        ));
        assert!(matches!(
            compile(json!({"fields": ["id\"; DROP"]})),
            Err(HabtmError::UnknownColumn { .. })
        ));
    }
}
