//! LoopBack's filter for `habtm.collection`, parsed into a typed structure and compiled to SQL.
//!
//! ```json
//! {"where": {"and": [{"status": "active"}, {"budget": {"gte": 100}}]},
//!  "order": ["title DESC"], "limit": 10, "skip": 20, "fields": ["id", "title"]}
//! ```
//!
//! `where` takes equality (`{"col": value}`, `null` meaning IS NULL), `neq`, `gt`, `gte`, `lt`,
//! `lte`, `inq`, `nin`, `between`, `like`, `nlike`, `ilike`, `nilike`, and `and`/`or` lists;
//! several keys in one object are ANDed. `order` is `"col"`, `"col ASC"`, `"col DESC"` or a
//! list of them; `limit`, `skip` (or `offset`) are non-negative integers; `fields` is a list of
//! columns or an object of `column: true|false`. Columns are checked against the target table
//! and quoted; every value is a parameter, cast to its column's type. Rows are always ordered,
//! last by the target's key, so pages are stable.

use std::collections::BTreeMap;

use pgrx::pg_sys;
use pgrx::spi::{quote_identifier, quote_literal, SpiClient};
use serde_json::Value;

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
pub fn columns_of(client: &SpiClient<'_>, table: RegClass) -> Result<Columns> {
    let rows = client.select(
        "SELECT attname::pg_catalog.text, atttypid, atttypmod
           FROM pg_catalog.pg_attribute
          WHERE attrelid OPERATOR(pg_catalog.=) $1
            AND attnum OPERATOR(pg_catalog.>) 0 AND NOT attisdropped",
        None,
        &[table.into()],
    )?;
    let mut columns = Columns::new();
    for row in rows {
        let oid = row.get::<pg_sys::Oid>(2)?.unwrap_or(pg_sys::InvalidOid);
        let typmod = row.get::<i32>(3)?.unwrap_or(-1);
        columns.insert(
            row.get::<String>(1)?.unwrap_or_default(),
            ColumnType {
                sql: qualified_type(oid, typmod),
                oid,
            },
        );
    }
    Ok(columns)
}

#[derive(Debug, PartialEq)]
enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Compare {
        column: String,
        op: Op,
        value: Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Inq,
    Nin,
    Between,
    Like,
    Nlike,
    Ilike,
    Nilike,
}

impl Op {
    fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "inq" => Op::Inq,
            "nin" => Op::Nin,
            "between" => Op::Between,
            "like" => Op::Like,
            "nlike" => Op::Nlike,
            "ilike" => Op::Ilike,
            "nilike" => Op::Nilike,
            _ => return None,
        })
    }
}

/// Which columns a row shows.
#[derive(Debug, PartialEq)]
enum Fields {
    All,
    Only(Vec<String>),
    AllBut(Vec<String>),
}

/// A parsed filter, its columns checked.
#[derive(Debug, PartialEq)]
pub struct Filter {
    condition: Option<Condition>,
    order: Vec<(String, bool)>, // (column, descending)
    limit: Option<u64>,
    offset: Option<u64>,
    fields: Fields,
    key: String,
    types: Columns,
}

/// SQL pieces of a compiled filter; the target table's alias is `t`.
pub struct Compiled {
    pub select: String,
    pub where_clause: Option<String>,
    pub order_by: String,
    pub limit_offset: String,
    /// Text parameters, numbered from the first number given to `compile`.
    pub params: Vec<String>,
}

fn bad(reason: impl Into<String>) -> HabtmError {
    HabtmError::BadJson {
        argument: "filter",
        reason: reason.into(),
    }
}

impl Filter {
    /// Parses and checks a filter. `key` is the target's key column (the last sort key).
    pub fn parse(value: &Value, table: &str, columns: &Columns) -> Result<Filter> {
        let Value::Object(map) = value else {
            return Err(bad("must be a JSON object"));
        };
        let column = |name: &str| -> Result<String> {
            if columns.contains_key(name) {
                Ok(name.to_owned())
            } else {
                Err(HabtmError::UnknownColumn {
                    table: table.to_owned(),
                    column: name.to_owned(),
                })
            }
        };
        let mut filter = Filter {
            condition: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            fields: Fields::All,
            key: String::new(),
            types: columns.clone(),
        };
        for (k, v) in map {
            match k.as_str() {
                "where" => filter.condition = Some(parse_where(v, &column)?),
                "order" => {
                    let items: Vec<&Value> = match v {
                        Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for item in items {
                        let Value::String(spec) = item else {
                            return Err(bad(
                                "order must be \"column [ASC|DESC]\" or a list of them",
                            ));
                        };
                        let mut words = spec.split_whitespace();
                        let name = words
                            .next()
                            .ok_or_else(|| bad("order has an empty entry"))?;
                        let descending = match words.next().map(str::to_ascii_uppercase).as_deref()
                        {
                            None | Some("ASC") => false,
                            Some("DESC") => true,
                            Some(other) => {
                                return Err(bad(format!("unknown order direction {other:?}")))
                            }
                        };
                        if words.next().is_some() {
                            return Err(bad(format!("cannot read order entry {spec:?}")));
                        }
                        filter.order.push((column(name)?, descending));
                    }
                }
                "limit" => filter.limit = Some(non_negative("limit", v)?),
                "skip" | "offset" => filter.offset = Some(non_negative(k, v)?),
                "fields" => {
                    filter.fields = match v {
                        Value::Array(items) => Fields::Only(
                            items
                                .iter()
                                .map(|i| match i {
                                    Value::String(s) => column(s),
                                    _ => Err(bad("fields must list column names")),
                                })
                                .collect::<Result<_>>()?,
                        ),
                        Value::Object(flags) => {
                            let (mut on, mut off) = (Vec::new(), Vec::new());
                            for (name, flag) in flags {
                                match flag {
                                    Value::Bool(true) => on.push(column(name)?),
                                    Value::Bool(false) => off.push(column(name)?),
                                    _ => return Err(bad("fields values must be true or false")),
                                }
                            }
                            if on.is_empty() {
                                Fields::AllBut(off)
                            } else {
                                Fields::Only(on)
                            }
                        }
                        _ => return Err(bad("fields must be a list or an object")),
                    }
                }
                other => return Err(bad(format!("unknown filter key {other:?}"))),
            }
        }
        Ok(filter)
    }

    /// Compiles to SQL; parameters are numbered from `first_param`. Comparisons use each
    /// column type's own operators: a type without them (`json`, `point`) is an error.
    pub fn compile(&self, first_param: usize) -> Result<Compiled> {
        let mut params = Vec::new();
        let where_clause = self
            .condition
            .as_ref()
            .map(|c| compile_condition(c, &self.types, first_param, &mut params))
            .transpose()?;
        let select = match &self.fields {
            Fields::All => "pg_catalog.to_jsonb(t)".to_owned(),
            Fields::Only(cols) => format!(
                "pg_catalog.jsonb_build_object({})",
                cols.iter()
                    .map(|c| format!("{}, t.{}", quote_literal(c), quote_identifier(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Fields::AllBut(cols) => format!(
                "pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) ARRAY[{}]::pg_catalog.text[]",
                cols.iter()
                    .map(quote_literal)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut order: Vec<String> = self
            .order
            .iter()
            .map(|(c, desc)| {
                format!(
                    "t.{}{}",
                    quote_identifier(c),
                    if *desc { " DESC" } else { "" }
                )
            })
            .collect();
        if !self.key.is_empty() {
            order.push(format!("t.{}", self.key));
        }
        let order_by = if order.is_empty() {
            String::new()
        } else {
            format!("ORDER BY {}", order.join(", "))
        };
        let mut limit_offset = String::new();
        if let Some(n) = self.limit {
            limit_offset.push_str(&format!("LIMIT {n}"));
        }
        if let Some(n) = self.offset {
            limit_offset.push_str(&format!(" OFFSET {n}"));
        }
        Ok(Compiled {
            select,
            where_clause,
            order_by,
            limit_offset,
            params,
        })
    }

    /// Whether the filter picks columns (`fields`).
    pub fn picks_fields(&self) -> bool {
        !matches!(self.fields, Fields::All)
    }

    /// Sets the key column (quoted) that ends every ORDER BY.
    pub fn with_key(mut self, quoted_key: &str) -> Filter {
        self.key = quoted_key.to_owned();
        self
    }
}

fn non_negative(what: &str, v: &Value) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| bad(format!("{what} must be a non-negative integer")))
}

fn parse_where(v: &Value, column: &dyn Fn(&str) -> Result<String>) -> Result<Condition> {
    let Value::Object(map) = v else {
        return Err(bad("where must be a JSON object"));
    };
    let mut parts = Vec::new();
    for (k, v) in map {
        match k.as_str() {
            "and" | "or" => {
                let Value::Array(items) = v else {
                    return Err(bad(format!("{k} must be a list of conditions")));
                };
                let items = items
                    .iter()
                    .map(|i| parse_where(i, column))
                    .collect::<Result<Vec<_>>>()?;
                parts.push(if k == "and" {
                    Condition::And(items)
                } else {
                    Condition::Or(items)
                });
            }
            name => {
                let col = column(name)?;
                match v {
                    Value::Object(ops)
                        if !ops.is_empty() && ops.keys().all(|o| Op::parse(o).is_some()) =>
                    {
                        for (o, value) in ops {
                            let op = Op::parse(o).expect("checked above");
                            check_operand(op, value)?;
                            parts.push(Condition::Compare {
                                column: col.clone(),
                                op,
                                value: value.clone(),
                            });
                        }
                    }
                    // An object is always an operator object (LoopBack's rule): a key that
                    // is no operator is a mistake, never a value to compare with.
                    Value::Object(ops) if ops.is_empty() => {
                        return Err(bad(format!(
                            "where has an empty operator object for column {name:?}"
                        )));
                    }
                    Value::Object(ops) => {
                        let o = ops
                            .keys()
                            .find(|o| Op::parse(o).is_none())
                            .cloned()
                            .unwrap_or_default();
                        return Err(HabtmError::UnknownOperator { operator: o });
                    }
                    value => parts.push(Condition::Compare {
                        column: col,
                        op: Op::Eq,
                        value: value.clone(),
                    }),
                }
            }
        }
    }
    Ok(if parts.len() == 1 {
        parts.pop().expect("one")
    } else {
        Condition::And(parts)
    })
}

fn check_operand(op: Op, value: &Value) -> Result<()> {
    match op {
        Op::Inq | Op::Nin if !value.is_array() => Err(bad("inq and nin take a list")),
        Op::Between if value.as_array().map(Vec::len) != Some(2) => {
            Err(bad("between takes a list of two values"))
        }
        Op::Like | Op::Nlike | Op::Ilike | Op::Nilike if !value.is_string() => {
            Err(bad("like patterns are strings"))
        }
        _ => Ok(()),
    }
}

/// A JSON value as the text PostgreSQL's input function of the column's type will read.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compile_condition(
    c: &Condition,
    types: &Columns,
    first: usize,
    params: &mut Vec<String>,
) -> Result<String> {
    let param = |text: String, params: &mut Vec<String>| -> String {
        params.push(text);
        format!("${}", first + params.len() - 1)
    };
    Ok(match c {
        Condition::And(items) | Condition::Or(items) if items.is_empty() => {
            if matches!(c, Condition::And(_)) {
                "true".into()
            } else {
                "false".into()
            }
        }
        Condition::And(items) | Condition::Or(items) => {
            let joiner = if matches!(c, Condition::And(_)) {
                " AND "
            } else {
                " OR "
            };
            let mut parts = Vec::with_capacity(items.len());
            for i in items {
                parts.push(format!("({})", compile_condition(i, types, first, params)?));
            }
            parts.join(joiner)
        }
        Condition::Compare { column, op, value } => {
            let col = format!("t.{}", quote_identifier(column));
            let ty = &types[column];
            let op_of = |cmp| operator(ty.oid, cmp);
            let cast = |p: String| format!("CAST({p} AS {})", ty.sql);
            match (op, value) {
                (Op::Eq, Value::Null) => format!("{col} IS NULL"),
                (Op::Neq, Value::Null) => format!("{col} IS NOT NULL"),
                (Op::Inq | Op::Nin, list) => {
                    let p = param(list.to_string(), params);
                    let any = format!(
                        "{col} {eq} ANY (ARRAY(SELECT CAST(e AS {ty})
                           FROM pg_catalog.jsonb_array_elements_text(CAST({p} AS pg_catalog.jsonb)) e))",
                        eq = op_of(Cmp::Eq)?,
                        ty = ty.sql,
                    );
                    if *op == Op::Inq {
                        any
                    } else {
                        format!("NOT ({any})")
                    }
                }
                (Op::Between, Value::Array(pair)) => {
                    let lo = cast(param(as_text(&pair[0]), params));
                    let hi = cast(param(as_text(&pair[1]), params));
                    format!(
                        "{col} {ge} {lo} AND {col} {le} {hi}",
                        ge = op_of(Cmp::Ge)?,
                        le = op_of(Cmp::Le)?
                    )
                }
                (Op::Like | Op::Nlike | Op::Ilike | Op::Nilike, v) => {
                    let p = param(as_text(v), params);
                    let op = match op {
                        Op::Like => "~~",
                        Op::Nlike => "!~~",
                        Op::Ilike => "~~*",
                        _ => "!~~*",
                    };
                    format!("CAST({col} AS pg_catalog.text) OPERATOR(pg_catalog.{op}) CAST({p} AS pg_catalog.text)")
                }
                (op, v) => {
                    let p = cast(param(as_text(v), params));
                    let cmp = match op {
                        Op::Eq => Cmp::Eq,
                        Op::Neq => Cmp::Ne,
                        Op::Gt => Cmp::Gt,
                        Op::Gte => Cmp::Ge,
                        Op::Lt => Cmp::Lt,
                        _ => Cmp::Le,
                    };
                    // The column type's own operator; as in SQL, a NULL column matches none.
                    format!("{col} {} {p}", op_of(cmp)?)
                }
            }
        }
    })
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
