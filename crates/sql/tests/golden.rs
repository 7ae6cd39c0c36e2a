//! The statements the id-array triggers run, for one association, compared with the files in
//! `tests/golden/` so that a change to the generated SQL shows up in review as a change to SQL.
//! `UPDATE_GOLDEN=1 cargo test -p habtm-sql` rewrites the files from the code.
//!
//! The association: `app."User"` (key `id`, `bigint`) ⇄ `public.groups` (key `"group id"`,
//! `text` with a collation) through `app.groups_users`, an array on each side; and a
//! self-association `public.people` ⇄ `public.people` through `public.friendships`.

use std::path::PathBuf;

use habtm_sql::arrays::{self, JoinEvent};
use habtm_sql::{ArrayShape, Shape, SideShape};

fn users_groups() -> Shape {
    Shape {
        join_sql: "app.groups_users".into(),
        self_association: false,
        sides: [
            SideShape {
                table_sql: "app.\"User\"".into(),
                key_sql: "id".into(),
                join_column_sql: "user_id".into(),
                key_type_sql: "pg_catalog.int8".into(),
                eq_sql: "OPERATOR(pg_catalog.=)".into(),
                array: Some(ArrayShape {
                    sql: "group_ids".into(),
                    type_sql: "pg_catalog._text".into(),
                    collate_sql: " COLLATE pg_catalog.\"C\"".into(),
                }),
            },
            SideShape {
                table_sql: "public.groups".into(),
                key_sql: "\"group id\"".into(),
                join_column_sql: "\"group id\"".into(),
                key_type_sql: "pg_catalog.text".into(),
                eq_sql: "OPERATOR(pg_catalog.=)".into(),
                array: Some(ArrayShape {
                    sql: "user_ids".into(),
                    type_sql: "pg_catalog._int8".into(),
                    collate_sql: String::new(),
                }),
            },
        ],
    }
}

fn friendships() -> Shape {
    let side = |column: &str, array: &str| SideShape {
        table_sql: "public.people".into(),
        key_sql: "id".into(),
        join_column_sql: column.into(),
        key_type_sql: "pg_catalog.int4".into(),
        eq_sql: "OPERATOR(pg_catalog.=)".into(),
        array: Some(ArrayShape {
            sql: array.into(),
            type_sql: "pg_catalog._int4".into(),
            collate_sql: String::new(),
        }),
    };
    Shape {
        join_sql: "public.friendships".into(),
        self_association: true,
        sides: [
            side("person_id", "friend_ids"),
            side("friend_id", "person_ids"),
        ],
    }
}

/// Every statement, as `(file name, SQL)`.
fn statements() -> Vec<(String, String)> {
    let events = [
        ("insert", JoinEvent::Insert),
        ("delete", JoinEvent::Delete),
        ("update", JoinEvent::Update),
        ("truncate", JoinEvent::Truncate),
    ];
    let mut out = Vec::new();
    for (name, a) in [
        ("users_groups", users_groups()),
        ("friendships", friendships()),
    ] {
        for i in 0..2 {
            for (event, e) in events {
                out.push((
                    format!("{name}.join_changed.{i}.{event}"),
                    arrays::join_changed(&a, i, e),
                ));
            }
            for (updated, after_first) in [(false, false), (true, false), (false, true)] {
                out.push((
                    format!("{name}.array_written.{i}.updated_{updated}.after_first_{after_first}"),
                    arrays::array_written(&a, i, updated, after_first),
                ));
            }
            let side = &a.sides[i];
            out.push((
                format!("{name}.one_key_changed.{i}"),
                arrays::one_key_changed(side),
            ));
            out.push((format!("{name}.key_exists.{i}"), arrays::key_exists(side)));
            out.push((
                format!("{name}.expected_arrays.{i}"),
                arrays::expected_arrays(&a, i),
            ));
            out.push((
                format!("{name}.inserted_row_differs.{i}"),
                arrays::inserted_row_differs(&a, i),
            ));
            out.push((format!("{name}.rewrite.{i}"), arrays::rewrite(&a, i)));
        }
        if a.self_association {
            for (event, e) in events {
                out.push((
                    format!("{name}.lock_self_association.{event}"),
                    arrays::lock_self_association(&a, e),
                ));
            }
        }
    }
    out
}

#[test]
fn statements_match_their_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differing = Vec::new();
    let all = statements();
    for (name, sql) in &all {
        let path = dir.join(format!("{name}.sql"));
        let text = format!("{sql}\n");
        if update {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            differing.push(name.clone());
        }
    }
    // no golden file without a statement
    let names: std::collections::BTreeSet<String> =
        all.iter().map(|(n, _)| format!("{n}.sql")).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if !names.contains(&file) {
            if update {
                std::fs::remove_file(dir.join(&file)).unwrap();
            } else {
                differing.push(format!("{file} (no such statement)"));
            }
        }
    }
    assert!(
        differing.is_empty(),
        "generated SQL differs from tests/golden/ (UPDATE_GOLDEN=1 to accept): {differing:?}"
    );
}

#[test]
fn every_name_is_used_as_given() {
    // the statements splice names in verbatim: whatever the catalog quoted stays quoted
    let sql = arrays::join_changed(&users_groups(), 1, JoinEvent::Insert);
    assert!(sql.contains("public.groups s"));
    assert!(sql.contains("s.\"group id\""));
    let sql = arrays::expected_arrays(&users_groups(), 0);
    assert!(sql.contains(" COLLATE pg_catalog.\"C\""));
}

#[test]
fn no_operator_or_function_is_left_to_the_search_path() {
    // every `=`, `>`, `||` is OPERATOR(schema.op); every function is schema-qualified
    for (name, sql) in statements() {
        let bare_eq = sql
            .match_indices(" = ")
            .filter(|(i, _)| !sql[..*i].trim_end().ends_with(" SET") && !is_assignment(&sql, *i))
            .count();
        assert_eq!(bare_eq, 0, "{name}: a bare = outside SET");
        for f in [
            "count(",
            "array_agg(",
            "unnest(",
            "cardinality(",
            "array_ndims(",
        ] {
            for (i, _) in sql.match_indices(f) {
                assert!(
                    sql[..i].ends_with("pg_catalog."),
                    "{name}: {f} not qualified"
                );
            }
        }
        for f in ["array_apply(", "array_canonical("] {
            for (i, _) in sql.match_indices(f) {
                assert!(sql[..i].ends_with("habtm."), "{name}: {f} not qualified");
            }
        }
    }
}

/// Whether the ` = ` at `i` assigns a column in an UPDATE's SET list (`SET col = …`).
fn is_assignment(sql: &str, i: usize) -> bool {
    let before = &sql[..i];
    let set = before.rfind(" SET ");
    let clause_end = ["FROM", "WHERE"]
        .iter()
        .filter_map(|w| before.rfind(w))
        .max();
    matches!((set, clause_end), (Some(s), e) if e.is_none_or(|e| e < s))
}
