//! Every row of the naming vectors produced by real Rails (ActiveSupport 6.1.7 and Rails 7.1's
//! `derive_join_table_name`) must match.

use std::path::PathBuf;

fn rows(file: &str, columns: usize) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1) // header
        .map(|line| line.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    for row in &rows {
        assert_eq!(row.len(), columns, "{file}: malformed row {row:?}");
    }
    assert!(rows.len() > 1000, "{file}: only {} rows", rows.len());
    rows
}

/// Checks `f` on every row and reports every mismatch at once.
fn check(file: &str, columns: usize, f: impl Fn(&[String]) -> Vec<(String, String, String)>) {
    let rows = rows(file, columns);
    let mut mismatches = Vec::new();
    for row in &rows {
        for (what, expected, actual) in f(row) {
            if expected != actual {
                mismatches.push(format!("{what}: expected {expected:?}, got {actual:?}"));
            }
        }
    }
    println!(
        "{file}: {} rows, {} mismatches",
        rows.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches in {file}, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn inflections_match_rails() {
    check("inflections.tsv", 3, |r| {
        vec![
            (
                format!("singularize({:?})", r[0]),
                r[1].clone(),
                habtm_naming::singularize(&r[0]),
            ),
            (
                format!("pluralize({:?})", r[0]),
                r[2].clone(),
                habtm_naming::pluralize(&r[0]),
            ),
        ]
    });
}

#[test]
fn join_tables_match_rails() {
    check("join_tables.tsv", 5, |r| {
        let fk = |t: &str| habtm_naming::foreign_key(t).unwrap_or_else(|e| e.to_string());
        vec![
            (
                format!("join_table_name({:?}, {:?})", r[0], r[1]),
                r[2].clone(),
                habtm_naming::join_table_name(&r[0], &r[1]),
            ),
            (format!("foreign_key({:?})", r[0]), r[3].clone(), fk(&r[0])),
            (format!("foreign_key({:?})", r[1]), r[4].clone(), fk(&r[1])),
        ]
    });
}

#[test]
fn classify_and_tableize_match_rails() {
    check("classify_tableize.tsv", 3, |r| {
        vec![
            (
                format!("classify({:?})", r[0]),
                r[1].clone(),
                habtm_naming::classify(&r[0]),
            ),
            (
                format!("tableize({:?})", r[0]),
                r[2].clone(),
                habtm_naming::tableize(&r[0]),
            ),
        ]
    });
}
