//! The compiler on a fake target: PostgreSQL's quoting rules for the names used here, the
//! operators `pg_catalog` gives the built-in types, and a type without any (`json`).

use habtm_filter::{Cmp, Compiled, Error, Filter, Target};
use serde_json::{json, Value};

/// A table of columns and their types; `json` columns have no comparison operators.
struct Fake(Vec<(&'static str, &'static str)>);

#[derive(Debug, PartialEq)]
struct NoComparison {
    column: String,
    cmp: Cmp,
}

impl Target for Fake {
    type Error = NoComparison;

    fn has_column(&self, name: &str) -> bool {
        self.0.iter().any(|(c, _)| *c == name)
    }

    /// PostgreSQL's rule for these names: lower-case letters, digits and `_`, not starting with
    /// a digit, and no keyword; otherwise double-quoted with `"` doubled.
    fn quote_identifier(&self, name: &str) -> String {
        let plain = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !["order", "select", "user", "table"].contains(&name);
        if plain && !name.is_empty() {
            name.to_owned()
        } else {
            format!("\"{}\"", name.replace('"', "\"\""))
        }
    }

    fn type_sql(&self, column: &str) -> &str {
        self.0
            .iter()
            .find(|(c, _)| *c == column)
            .expect("a column")
            .1
    }

    fn operator(&self, column: &str, cmp: Cmp) -> Result<String, NoComparison> {
        if self.type_sql(column) == "json" {
            return Err(NoComparison {
                column: column.to_owned(),
                cmp,
            });
        }
        let op = match cmp {
            Cmp::Eq => "=",
            Cmp::Ne => "<>",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        };
        Ok(format!("OPERATOR(pg_catalog.{op})"))
    }
}

fn projects() -> Fake {
    Fake(vec![
        ("id", "bigint"),
        ("title", "pg_catalog.text"),
        ("budget", "numeric"),
        ("doc", "json"),
        ("Mixed Case", "pg_catalog.text"),
        ("weird\"name", "pg_catalog.text"),
        ("it's", "pg_catalog.text"),
        ("back\\slash", "pg_catalog.text"),
        ("order", "integer"),
    ])
}

#[derive(Debug, PartialEq)]
enum Failed {
    Parse(Error),
    Compile(NoComparison),
}

fn compile(v: Value) -> Result<Compiled, Failed> {
    let target = projects();
    Filter::parse(&v, &target)
        .map_err(Failed::Parse)?
        .with_key("id")
        .compile(&target, 2)
        .map_err(Failed::Compile)
}

fn where_of(v: Value) -> (String, Vec<String>) {
    let c = compile(json!({ "where": v })).unwrap();
    (c.where_clause.unwrap(), c.params)
}

fn malformed(v: Value) -> String {
    match compile(v) {
        Err(Failed::Parse(Error::Malformed { reason })) => reason,
        other => panic!("not malformed: {other:?}"),
    }
}

fn unknown_column(v: Value) -> String {
    match compile(v) {
        Err(Failed::Parse(Error::UnknownColumn { column })) => column,
        other => panic!("not an unknown column: {other:?}"),
    }
}

// The assertions of the extension's own tests (src/query.rs), here on the fake target.

#[test]
fn empty_filter_orders_by_key() {
    let c = compile(json!({})).unwrap();
    assert_eq!(c.select, "pg_catalog.to_jsonb(t)");
    assert_eq!(c.where_clause, None);
    assert_eq!(c.order_by, "ORDER BY t.id");
    assert!(c.params.is_empty());
    assert_eq!(c.limit_offset, "");
}

#[test]
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

#[test]
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

#[test]
fn unknown_columns_and_operators_are_errors() {
    assert_eq!(unknown_column(json!({"where": {"nope": 1}})), "nope");
    assert_eq!(
        compile(json!({"where": {"id": {"near": 1}}})),
        Err(Failed::Parse(Error::UnknownOperator {
            operator: "near".into()
        }))
    );
    // a mistyped operator next to a real one is no value to compare with
    assert_eq!(
        compile(json!({"where": {"title": {"ilike ": "x", "neq": "y"}}})),
        Err(Failed::Parse(Error::UnknownOperator {
            operator: "ilike ".into()
        }))
    );
    assert_eq!(
        malformed(json!({"order": "id SIDEWAYS"})),
        "unknown order direction \"SIDEWAYS\""
    );
    assert_eq!(
        malformed(json!({"limit": -1})),
        "limit must be a non-negative integer"
    );
    assert_eq!(
        malformed(json!({"colour": 1})),
        "unknown filter key \"colour\""
    );
    assert_eq!(malformed(json!([1])), "must be a JSON object");
    assert_eq!(
        unknown_column(json!({"fields": ["id\"; DROP"]})),
        "id\"; DROP"
    );
}

// Every operator.

const ANY_ID: &str = "t.id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT CAST(e AS bigint)
                           FROM pg_catalog.jsonb_array_elements_text(CAST($2 AS pg_catalog.jsonb)) e))";

#[test]
fn comparisons_use_the_column_types_operators_and_casts() {
    for (op, sql) in [
        ("eq", "="),
        ("neq", "<>"),
        ("gt", ">"),
        ("gte", ">="),
        ("lt", "<"),
        ("lte", "<="),
    ] {
        assert_eq!(
            where_of(json!({"id": {op: 7}})),
            (
                format!("t.id OPERATOR(pg_catalog.{sql}) CAST($2 AS bigint)"),
                vec!["7".to_owned()]
            ),
            "{op}"
        );
    }
    // a bare value is equality; strings go as their text, not as JSON
    assert_eq!(
        where_of(json!({"title": "a\"b"})),
        (
            "t.title OPERATOR(pg_catalog.=) CAST($2 AS pg_catalog.text)".into(),
            vec!["a\"b".into()]
        )
    );
    // booleans and other JSON go as their JSON text, for the type's input function
    assert_eq!(where_of(json!({"order": true})).1, ["true"]);
    assert_eq!(where_of(json!({"title": [1, "x"]})).1, [r#"[1,"x"]"#]);
}

#[test]
fn null_is_is_null() {
    assert_eq!(
        where_of(json!({"doc": null})),
        ("t.doc IS NULL".into(), vec![])
    );
    assert_eq!(
        where_of(json!({"id": {"eq": null, "neq": null}})),
        ("(t.id IS NULL) AND (t.id IS NOT NULL)".into(), vec![])
    );
}

#[test]
fn inq_and_nin_take_one_json_parameter() {
    assert_eq!(
        where_of(json!({"id": {"inq": [1, 2]}})),
        (ANY_ID.into(), vec!["[1,2]".into()])
    );
    assert_eq!(
        where_of(json!({"id": {"nin": []}})),
        (format!("NOT ({ANY_ID})"), vec!["[]".into()])
    );
}

#[test]
fn between_takes_two_parameters() {
    assert_eq!(
        where_of(json!({"budget": {"between": [1, "2.5"]}})),
        (
            "t.budget OPERATOR(pg_catalog.>=) CAST($2 AS numeric) AND t.budget OPERATOR(pg_catalog.<=) CAST($3 AS numeric)".into(),
            vec!["1".into(), "2.5".into()]
        )
    );
}

#[test]
fn like_operators_compare_as_text() {
    for (op, sql) in [
        ("like", "~~"),
        ("nlike", "!~~"),
        ("ilike", "~~*"),
        ("nilike", "!~~*"),
    ] {
        assert_eq!(
            where_of(json!({"title": {op: "a%"}})),
            (
                format!("CAST(t.title AS pg_catalog.text) OPERATOR(pg_catalog.{sql}) CAST($2 AS pg_catalog.text)"),
                vec!["a%".to_owned()]
            ),
            "{op}"
        );
    }
    // no operator of the column's type is needed
    assert!(compile(json!({"where": {"doc": {"like": "%x%"}}})).is_ok());
}

#[test]
fn a_type_without_the_operator_is_the_targets_error() {
    assert_eq!(
        compile(json!({"where": {"doc": {"gt": 1}}})),
        Err(Failed::Compile(NoComparison {
            column: "doc".into(),
            cmp: Cmp::Gt
        }))
    );
    for (op, cmp) in [
        ("inq", Cmp::Eq),
        ("nin", Cmp::Eq),
        ("between", Cmp::Ge),
        ("neq", Cmp::Ne),
    ] {
        let value = if op == "between" {
            json!([1, 2])
        } else if op == "neq" {
            json!(1)
        } else {
            json!([1])
        };
        assert_eq!(
            compile(json!({"where": {"or": [{"id": 1}, {"doc": {op: value}}]}})),
            Err(Failed::Compile(NoComparison {
                column: "doc".into(),
                cmp
            })),
            "{op}"
        );
    }
}

#[test]
fn operands_of_the_wrong_shape_are_errors() {
    assert_eq!(
        malformed(json!({"where": {"id": {"inq": 1}}})),
        "inq and nin take a list"
    );
    assert_eq!(
        malformed(json!({"where": {"id": {"nin": {"a": 1}}}})),
        "inq and nin take a list"
    );
    for pair in [json!([1]), json!([1, 2, 3]), json!(1)] {
        assert_eq!(
            malformed(json!({"where": {"id": {"between": pair}}})),
            "between takes a list of two values"
        );
    }
    for op in ["like", "nlike", "ilike", "nilike"] {
        assert_eq!(
            malformed(json!({"where": {"title": {op: 1}}})),
            "like patterns are strings"
        );
    }
    assert_eq!(
        malformed(json!({"where": {"title": {}}})),
        "where has an empty operator object for column \"title\""
    );
    // an operator object is never a value, even with no real operator in it
    assert_eq!(
        compile(json!({"where": {"title": {"value": "x"}}})),
        Err(Failed::Parse(Error::UnknownOperator {
            operator: "value".into()
        }))
    );
}

// and / or

#[test]
fn and_or_nest_with_parentheses() {
    assert_eq!(
        where_of(json!({"and": [{"id": 1}, {"or": [{"title": "a"}, {"title": "b"}]}]})),
        (
            "(t.id OPERATOR(pg_catalog.=) CAST($2 AS bigint)) AND ((t.title OPERATOR(pg_catalog.=) CAST($3 AS pg_catalog.text)) OR (t.title OPERATOR(pg_catalog.=) CAST($4 AS pg_catalog.text)))".into(),
            vec!["1".into(), "a".into(), "b".into()]
        )
    );
    // several keys are ANDed, one alone is not wrapped
    assert_eq!(
        where_of(json!({"or": [{"id": 1}], "budget": 2})).0,
        "(t.budget OPERATOR(pg_catalog.=) CAST($2 AS numeric)) AND ((t.id OPERATOR(pg_catalog.=) CAST($3 AS bigint)))"
    );
    assert_eq!(where_of(json!({"and": []})).0, "true");
    assert_eq!(where_of(json!({"or": []})).0, "false");
    assert_eq!(where_of(json!({})).0, "true");
    assert_eq!(where_of(json!({"or": [{}]})).0, "(true)");
    assert_eq!(
        malformed(json!({"where": {"and": {"id": 1}}})),
        "and must be a list of conditions"
    );
    assert_eq!(
        malformed(json!({"where": {"or": [1]}})),
        "where must be a JSON object"
    );
    assert_eq!(
        malformed(json!({"where": [{"id": 1}]})),
        "where must be a JSON object"
    );
}

/// As deep as the extension reads (1000 JSON levels: `{"where": …}` and two per `or`), on a
/// stack of a PostgreSQL backend's usual size (8 MB, `ulimit -s`), not a test thread's 2 MB.
#[test]
fn deep_nesting_compiles() {
    let levels = 499;
    let text = format!(
        r#"{{"where": {}{{"id": 1}}{}}}"#,
        r#"{"or": ["#.repeat(levels),
        "]}".repeat(levels)
    );
    let run = move || {
        let mut de = serde_json::Deserializer::from_str(&text);
        de.disable_recursion_limit();
        let v: Value = de.into_iter().next().unwrap().unwrap();
        let c = compile(v).unwrap();
        let w = c.where_clause.unwrap();
        assert_eq!(
            w,
            format!(
                "{}t.id OPERATOR(pg_catalog.=) CAST($2 AS bigint){}",
                "(".repeat(levels),
                ")".repeat(levels)
            )
        );
        assert_eq!(c.params, ["1"]);
    };
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn wide_conditions_number_their_parameters() {
    let items: Vec<Value> = (0..1000).map(|i| json!({"id": i})).collect();
    let (w, params) = where_of(json!({ "or": items }));
    assert_eq!(params.len(), 1000);
    assert_eq!(params[999], "999");
    assert!(w.starts_with("(t.id OPERATOR(pg_catalog.=) CAST($2 AS bigint)) OR "));
    assert!(w.ends_with(" OR (t.id OPERATOR(pg_catalog.=) CAST($1001 AS bigint))"));
}

#[test]
fn parameters_number_from_the_first_given() {
    let target = projects();
    let f = Filter::parse(&json!({"where": {"id": {"between": [1, 2]}}}), &target).unwrap();
    let c = f.compile(&target, 7).unwrap();
    assert_eq!(
        c.where_clause.unwrap(),
        "t.id OPERATOR(pg_catalog.>=) CAST($7 AS bigint) AND t.id OPERATOR(pg_catalog.<=) CAST($8 AS bigint)"
    );
}

// Values keep their exact text.

#[test]
fn numbers_keep_their_text() {
    let v: Value = serde_json::from_str(
        r#"{"where": {"budget": {"gt": 1234567890123456789.0123456789, "lt": 1e400},
                      "id": {"inq": [1234567890123456789.0123456789, -0.0]}}}"#,
    )
    .unwrap();
    let c = compile(v).unwrap();
    assert_eq!(
        c.params,
        [
            "1234567890123456789.0123456789",
            "1e+400",
            "[1234567890123456789.0123456789,-0.0]"
        ]
    );
}

// order, limit, skip

#[test]
fn order_forms() {
    let order = |v: Value| compile(json!({ "order": v })).unwrap().order_by;
    assert_eq!(order(json!("title")), "ORDER BY t.title, t.id");
    assert_eq!(order(json!("title desc")), "ORDER BY t.title DESC, t.id");
    assert_eq!(order(json!("  title   Asc ")), "ORDER BY t.title, t.id");
    assert_eq!(
        order(json!(["order DESC", "budget"])),
        "ORDER BY t.\"order\" DESC, t.budget, t.id"
    );
    assert_eq!(order(json!([])), "ORDER BY t.id");
    // without a key and an order, no ORDER BY at all
    let target = projects();
    let f = Filter::parse(&json!({}), &target).unwrap();
    assert_eq!(f.compile(&target, 1).unwrap().order_by, "");
    let f = Filter::parse(&json!({"order": "id DESC"}), &target).unwrap();
    assert_eq!(
        f.compile(&target, 1).unwrap().order_by,
        "ORDER BY t.id DESC"
    );
}

#[test]
fn bad_orders_are_errors() {
    assert_eq!(malformed(json!({"order": ""})), "order has an empty entry");
    assert_eq!(
        malformed(json!({"order": ["id", "  "]})),
        "order has an empty entry"
    );
    assert_eq!(
        malformed(json!({"order": "id DESC NULLS FIRST"})),
        "cannot read order entry \"id DESC NULLS FIRST\""
    );
    for v in [json!(1), json!(["id", 2]), json!({"id": "DESC"})] {
        assert_eq!(
            malformed(json!({ "order": v })),
            "order must be \"column [ASC|DESC]\" or a list of them"
        );
    }
    assert_eq!(unknown_column(json!({"order": "nope"})), "nope");
    // a name with a space cannot be ordered by: the second word is a direction
    assert_eq!(unknown_column(json!({"order": "Mixed DESC"})), "Mixed");
    assert_eq!(
        malformed(json!({"order": "Mixed Case"})),
        "unknown order direction \"CASE\""
    );
}

#[test]
fn limit_skip_offset() {
    let paging = |v: Value| compile(v).unwrap().limit_offset;
    assert_eq!(paging(json!({"limit": 0})), "LIMIT 0");
    assert_eq!(paging(json!({"skip": 10})), " OFFSET 10");
    assert_eq!(paging(json!({"offset": 3, "limit": 2})), "LIMIT 2 OFFSET 3");
    assert_eq!(
        paging(json!({"limit": u64::MAX})),
        "LIMIT 18446744073709551615"
    );
    for v in [
        json!(-1),
        json!(1.5),
        json!(10.0),
        json!(1e2),
        json!("5"),
        json!(null),
    ] {
        assert_eq!(
            malformed(json!({ "limit": v })),
            "limit must be a non-negative integer"
        );
    }
    let beyond: Value = serde_json::from_str(r#"{"skip": 18446744073709551616}"#).unwrap();
    assert_eq!(malformed(beyond), "skip must be a non-negative integer");
    assert_eq!(
        malformed(json!({"offset": -2})),
        "offset must be a non-negative integer"
    );
}

// fields

#[test]
fn fields_forms() {
    let select = |v: Value| compile(json!({ "fields": v })).unwrap().select;
    assert_eq!(
        select(json!(["title", "Mixed Case"])),
        "pg_catalog.jsonb_build_object('title', t.title, 'Mixed Case', t.\"Mixed Case\")"
    );
    // true ones only, when there are any
    assert_eq!(
        select(json!({"id": true, "title": false})),
        "pg_catalog.jsonb_build_object('id', t.id)"
    );
    assert_eq!(
        select(json!({"doc": false, "title": false})),
        "pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) ARRAY['doc', 'title']::pg_catalog.text[]"
    );
    assert_eq!(select(json!([])), "pg_catalog.jsonb_build_object()");
    assert_eq!(
        select(json!({})),
        "pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) ARRAY[]::pg_catalog.text[]"
    );
    let target = projects();
    let picks = |v: Value| Filter::parse(&v, &target).unwrap().picks_fields();
    assert!(picks(json!({"fields": []})));
    assert!(picks(json!({"fields": {}})));
    assert!(!picks(json!({"where": {"id": 1}})));
}

#[test]
fn bad_fields_are_errors() {
    assert_eq!(
        malformed(json!({"fields": [1]})),
        "fields must list column names"
    );
    assert_eq!(
        malformed(json!({"fields": {"id": 1}})),
        "fields values must be true or false"
    );
    assert_eq!(
        malformed(json!({"fields": "id"})),
        "fields must be a list or an object"
    );
    assert_eq!(unknown_column(json!({"fields": {"nope": false}})), "nope");
}

// Injection attempts: names are checked and quoted, values are parameters.

#[test]
fn hostile_names_are_quoted_or_refused() {
    let c = compile(json!({
        "where": {"weird\"name": "x", "it's": {"like": "%'%"}},
        "order": "back\\slash",
        "fields": {"it's": true, "back\\slash": true, "weird\"name": true}
    }))
    .unwrap();
    assert_eq!(
        c.where_clause.unwrap(),
        "(CAST(t.\"it's\" AS pg_catalog.text) OPERATOR(pg_catalog.~~) CAST($2 AS pg_catalog.text)) AND (t.\"weird\"\"name\" OPERATOR(pg_catalog.=) CAST($3 AS pg_catalog.text))"
    );
    assert_eq!(c.params, ["%'%", "x"]);
    assert_eq!(c.order_by, "ORDER BY t.\"back\\slash\", t.id");
    assert_eq!(
        c.select,
        "pg_catalog.jsonb_build_object(E'back\\\\slash', t.\"back\\slash\", 'it''s', t.\"it's\", 'weird\"name', t.\"weird\"\"name\")"
    );
    assert_eq!(
        compile(json!({"fields": {"it's": false, "back\\slash": false}}))
            .unwrap()
            .select,
        "pg_catalog.to_jsonb(t) OPERATOR(pg_catalog.-) ARRAY[E'back\\\\slash', 'it''s']::pg_catalog.text[]"
    );
    for name in [
        "id; DROP TABLE projects",
        "id) OR (true",
        "t.id",
        "\"id\"",
        "ID",
        "",
    ] {
        assert_eq!(unknown_column(json!({"where": {name: 1}})), name);
        assert_eq!(unknown_column(json!({"fields": [name]})), name);
    }
    assert_eq!(unknown_column(json!({"order": "id;DROP"})), "id;DROP");
}

#[test]
fn hostile_values_are_parameters() {
    for value in ["'); DROP TABLE projects; --", "$1", "\\' OR 1=1", "\u{0}"] {
        let (w, params) = where_of(json!({"title": {"neq": value}, "id": {"inq": [value]}}));
        assert!(!w.contains(value), "{w}");
        assert_eq!(params[1], value);
        assert_eq!(params[0], serde_json::to_string(&json!([value])).unwrap());
    }
}

#[test]
fn errors_read_as_messages() {
    assert_eq!(
        Error::Malformed {
            reason: "must be a JSON object".into()
        }
        .to_string(),
        "filter must be a JSON object"
    );
    assert_eq!(
        Error::UnknownColumn {
            column: "nope".into()
        }
        .to_string(),
        "column \"nope\" does not exist"
    );
    assert_eq!(
        Error::UnknownOperator {
            operator: "near".into()
        }
        .to_string(),
        "unknown filter operator \"near\""
    );
}
