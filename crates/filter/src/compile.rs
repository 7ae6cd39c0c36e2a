//! A [`Filter`] compiled to the pieces of one SQL statement.

use serde_json::Value;

use crate::parse::{Condition, Fields, Op};
use crate::{quote_literal, Cmp, Filter, Target};

/// SQL pieces of a compiled filter; the target table's alias is `t`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub select: String,
    pub where_clause: Option<String>,
    pub order_by: String,
    pub limit_offset: String,
    /// Text parameters, numbered from the first number given to `compile`.
    pub params: Vec<String>,
}

impl Filter {
    /// Compiles to SQL; parameters are numbered from `first_param`. Comparisons use each
    /// column type's own operators ([`Target::operator`]); its error is returned as it is.
    pub fn compile<T: Target>(&self, target: &T, first_param: usize) -> Result<Compiled, T::Error> {
        let mut params = Vec::new();
        let where_clause = self
            .condition
            .as_ref()
            .map(|c| compile_condition(c, target, first_param, &mut params))
            .transpose()?;
        let select = match &self.fields {
            Fields::All => "pg_catalog.to_jsonb(t)".to_owned(),
            Fields::Only(cols) => format!(
                "pg_catalog.jsonb_build_object({})",
                cols.iter()
                    .map(|c| format!("{}, t.{}", quote_literal(c), target.quote_identifier(c)))
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
                    target.quote_identifier(c),
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
}

/// A JSON value as the text PostgreSQL's input function of the column's type will read.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn compile_condition<T: Target>(
    c: &Condition,
    target: &T,
    first: usize,
    params: &mut Vec<String>,
) -> Result<String, T::Error> {
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
                parts.push(format!(
                    "({})",
                    compile_condition(i, target, first, params)?
                ));
            }
            parts.join(joiner)
        }
        Condition::Compare { column, op, value } => {
            let col = format!("t.{}", target.quote_identifier(column));
            let ty = target.type_sql(column);
            let op_of = |cmp| target.operator(column, cmp);
            let cast = |p: String| format!("CAST({p} AS {ty})");
            match (op, value) {
                (Op::Eq, Value::Null) => format!("{col} IS NULL"),
                (Op::Neq, Value::Null) => format!("{col} IS NOT NULL"),
                (Op::Inq | Op::Nin, list) => {
                    let p = param(list.to_string(), params);
                    let any = format!(
                        "{col} {eq} ANY (ARRAY(SELECT CAST(e AS {ty})
                           FROM pg_catalog.jsonb_array_elements_text(CAST({p} AS pg_catalog.jsonb)) e))",
                        eq = op_of(Cmp::Eq)?,
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
