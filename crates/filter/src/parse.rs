//! The filter document read into a [`Filter`], its columns checked against the target.

use serde_json::Value;

use crate::{Error, Target};

#[derive(Debug, PartialEq)]
pub(crate) enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Compare {
        column: String,
        op: Op,
        value: Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
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
pub(crate) enum Fields {
    All,
    Only(Vec<String>),
    AllBut(Vec<String>),
}

/// A parsed filter, its columns checked.
#[derive(Debug, PartialEq)]
pub struct Filter {
    pub(crate) condition: Option<Condition>,
    pub(crate) order: Vec<(String, bool)>, // (column, descending)
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    pub(crate) fields: Fields,
    pub(crate) key: String,
}

fn bad(reason: impl Into<String>) -> Error {
    Error::Malformed {
        reason: reason.into(),
    }
}

impl Filter {
    /// Parses a filter and checks its columns against `target`'s.
    pub fn parse(value: &Value, target: &impl Target) -> Result<Filter, Error> {
        let Value::Object(map) = value else {
            return Err(bad("must be a JSON object"));
        };
        let column = |name: &str| -> Result<String, Error> {
            if target.has_column(name) {
                Ok(name.to_owned())
            } else {
                Err(Error::UnknownColumn {
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
                                .collect::<Result<_, _>>()?,
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

fn non_negative(what: &str, v: &Value) -> Result<u64, Error> {
    v.as_u64()
        .ok_or_else(|| bad(format!("{what} must be a non-negative integer")))
}

fn parse_where(
    v: &Value,
    column: &dyn Fn(&str) -> Result<String, Error>,
) -> Result<Condition, Error> {
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
                    .collect::<Result<Vec<_>, _>>()?;
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
                        return Err(Error::UnknownOperator { operator: o });
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

fn check_operand(op: Op, value: &Value) -> Result<(), Error> {
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
