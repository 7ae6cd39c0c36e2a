//! Table, class and column names the way Rails derives them.
//!
//! Ruby string semantics that matter here: `^`, `$` and `.` work line by line; `downcase`
//! maps each character on its own (no final-sigma rule); `capitalize` upper-cases the first
//! character and lower-cases the rest; strings sort by bytes.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::{pluralize, singularize};

/// Why a name has no Rails answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// The table name has nothing left once its schema part is dropped (`''`, `'.'`, `'a..'`
    /// has `a`, but `'..'` has nothing). Rails raises `NoMethodError` for these.
    NoTablePart(String),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::NoTablePart(name) => {
                write!(f, "table name {name:?} has no table part after its schema")
            }
        }
    }
}

impl std::error::Error for NameError {}

/// Rails 7.1+'s `ActiveRecord::ModelSchema.derive_join_table_name`:
///
/// ```ruby
/// [a, b].sort.join("\0").gsub(/^(.*[_.])(.+)\0\1(.+)/, '\1\2_\3').tr("\0", "_")
/// ```
///
/// The two names sorted by bytes, joined with `_`, and a shared leading prefix ending in `_` or
/// `.` written once (`catalog_categories` + `catalog_products` → `catalog_categories_products`).
///
/// ```
/// assert_eq!(habtm_naming::join_table_name("projects", "developers"), "developers_projects");
/// assert_eq!(habtm_naming::join_table_name("papers", "paper_boxes"), "paper_boxes_papers");
/// ```
pub fn join_table_name(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    let mut joined = String::with_capacity(first.len() + 1 + second.len());
    joined.push_str(first);
    joined.push('\0');
    joined.push_str(second);
    collapse_shared_prefix(&joined)
}

/// The `gsub(/^(.*[_.])(.+)\0\1(.+)/, '\1\2_\3').tr("\0", "_")` of [`join_table_name`],
/// without back-references (which the `regex` crate has no use for): `.` stops at a newline, `^`
/// is any line start, and each `(…)` is greedy, so the longest shared prefix is tried first.
fn collapse_shared_prefix(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut line_start = 0;
    loop {
        crate::interrupt_point();
        let line_end = s[line_start..]
            .find('\n')
            .map_or(s.len(), |i| line_start + i);
        let line = &s[line_start..line_end];
        match shared_prefix_in_line(line) {
            // prefix + first part, "_", second part without its copy of the prefix
            Some((prefix_len, nul)) => {
                push_nul_as_underscore(&mut out, &line[..nul]);
                out.push('_');
                push_nul_as_underscore(&mut out, &line[nul + 1 + prefix_len..]);
            }
            None => push_nul_as_underscore(&mut out, line),
        }
        if line_end == s.len() {
            return out;
        }
        out.push('\n');
        line_start = line_end + 1;
    }
}

/// One line, anchored at its start: `(.*[_.])` = prefix, `(.+)` = rest of the first name up to a
/// NUL, then the same prefix again and at least one more character. Returns the prefix length
/// and the position of that NUL. Linear in the line's length: with one NUL (the only case two
/// names without NULs make) the prefix is the longest one ending in `_` or `.` within the part
/// both names share.
fn shared_prefix_in_line(line: &str) -> Option<(usize, usize)> {
    let mut nuls = line.match_indices('\0');
    let (nul, _) = nuls.next()?;
    if nuls.next().is_some() {
        return shared_prefix_among_nuls(line);
    }
    let (first, rest) = (&line.as_bytes()[..nul], &line.as_bytes()[nul + 1..]);
    let common = common_prefix_len(first, rest);
    // prefix.len() <= common (rest starts with it), < nul (the first part goes on after
    // it) and < rest.len() (so does the second).
    let longest = common
        .min(nul.saturating_sub(1))
        .min(rest.len().saturating_sub(1));
    let sep = last_separator(&first[..longest])?;
    Some((sep + 1, nul))
}

/// The length of the common prefix of two byte strings, in strides with interrupt points.
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let mut done = 0;
    for (x, y) in a
        .chunks(crate::INTERRUPT_STRIDE)
        .zip(b.chunks(crate::INTERRUPT_STRIDE))
    {
        crate::interrupt_point();
        let same = x.iter().zip(y).take_while(|(p, q)| p == q).count();
        done += same;
        if same < x.len().min(y.len()) || x.len() != y.len() {
            break;
        }
    }
    done
}

/// The position of the last `_` or `.`, searched from the end in strides with interrupt points.
fn last_separator(s: &[u8]) -> Option<usize> {
    let mut end = s.len();
    while end > 0 {
        crate::interrupt_point();
        let start = end.saturating_sub(crate::INTERRUPT_STRIDE);
        if let Some(p) = s[start..end].iter().rposition(|&c| c == b'_' || c == b'.') {
            return Some(start + p);
        }
        end = start;
    }
    None
}

/// [`shared_prefix_in_line`] for a line with several NULs (names that contain NULs themselves,
/// which PostgreSQL's text cannot): the regex's backtracking order, tried directly.
fn shared_prefix_among_nuls(line: &str) -> Option<(usize, usize)> {
    let nuls: Vec<usize> = line.match_indices('\0').map(|(i, _)| i).collect();
    // `.*[_.]` greedy: the longest prefix ending in `_` or `.` first.
    for (sep, _) in line.rmatch_indices(['_', '.']) {
        let prefix = &line[..=sep];
        // `(.+)\0` greedy: the last NUL that leaves the first part non-empty first.
        for &nul in nuls.iter().rev().take_while(|&&nul| nul > prefix.len()) {
            let rest = &line[nul + 1..];
            if rest.len() > prefix.len() && rest.starts_with(prefix) {
                return Some((prefix.len(), nul));
            }
        }
    }
    None
}

/// `tr("\0", "_")` while copying.
fn push_nul_as_underscore(out: &mut String, s: &str) {
    let mut parts = s.split('\0');
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        out.push('_');
        out.push_str(part);
    }
}

/// The column Rails' `create_join_table` makes for a table:
/// `table.to_s.split(".").last.singularize + "_id"`; the schema part is dropped and the case is
/// kept (`Users` → `User_id`).
///
/// ```
/// assert_eq!(habtm_naming::foreign_key("music.artists").unwrap(), "artist_id");
/// ```
pub fn foreign_key(table: &str) -> Result<String, NameError> {
    // Ruby's `split(".")` drops trailing empty fields, so `last` is the last non-empty field
    // once trailing dots are gone; for `""` or only dots it is `nil`.
    let trimmed = table.trim_end_matches('.');
    if trimmed.is_empty() {
        return Err(NameError::NoTablePart(table.to_owned()));
    }
    let last = trimmed.rsplit('.').next().unwrap_or(trimmed);
    Ok(format!("{}_id", singularize(last)))
}

/// `ActiveSupport::Inflector.tableize`: `pluralize(underscore(class_name))`.
pub fn tableize(class_name: &str) -> String {
    pluralize(&underscore(class_name))
}

/// `ActiveSupport::Inflector.classify`: drop a leading `schema.`, singularize, camelize.
pub fn classify(table_name: &str) -> String {
    static SCHEMA: LazyLock<Regex> = LazyLock::new(|| Regex::new(r".*\.").expect("valid"));
    let table = SCHEMA.replace(table_name, "");
    camelize(&singularize(&table))
}

/// `ActiveSupport::Inflector.camelize(term)` (upper camel case, no acronyms defined).
pub fn camelize(term: &str) -> String {
    static FIRST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9]*").expect("valid"));
    static PARTS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)(?:_|(/))([a-z0-9]*)").expect("valid"));
    let string = FIRST.replace(term, |c: &Captures<'_>| capitalize(&c[0]));
    let string = PARTS.replace_all(&string, |c: &Captures<'_>| {
        let slash = c.get(1).map_or("", |m| m.as_str());
        format!("{slash}{}", capitalize(&c[2]))
    });
    string.replace('/', "::")
}

/// `ActiveSupport::Inflector.underscore(camel_cased_word)` (no acronyms defined).
pub fn underscore(word: &str) -> String {
    static NEEDS_WORK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Z-]|::").expect("valid"));
    static ACRONYM_END: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([A-Z0-9]+)([A-Z][a-z])").expect("valid"));
    static HUMP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([a-z0-9])([A-Z])").expect("valid"));
    if !NEEDS_WORK.is_match(word) {
        return word.to_owned();
    }
    let word = word.replace("::", "/");
    let word = ACRONYM_END.replace_all(&word, "${1}_${2}");
    let word = HUMP.replace_all(&word, "${1}_${2}");
    downcase(&word.replace('-', "_"))
}

/// Ruby's `String#downcase`: full Unicode lower-case mapping, one character at a time.
pub(crate) fn downcase(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Ruby's `String#capitalize` for the ASCII letters and digits `camelize` feeds it (plus `ſ`
/// and the Kelvin sign, which `/[a-z]/i` also matches): first upper-cased, rest lower-cased.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(downcase(chars.as_str()).chars())
            .collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expectation below was printed by ActiveSupport 6.1.7 on Ruby 3.1 (and, for join table
    // names, by the Rails 7.1 expression in the doc comment of `join_table_name`).

    #[test]
    fn join_table_name_edge_cases() {
        assert_eq!(join_table_name("", ""), "_");
        assert_eq!(join_table_name("", "x"), "_x");
        assert_eq!(join_table_name("a_", "a_b"), "a__a_b");
        assert_eq!(join_table_name("a_b", "a_b"), "a_b_b");
        assert_eq!(join_table_name("a.b", "a.c"), "a.b_c");
        assert_eq!(join_table_name("a_b_c", "a_b_d"), "a_b_c_d");
        assert_eq!(join_table_name("é_a", "é_b"), "é_a_b");
        assert_eq!(join_table_name("a\nb_x", "a\nb_y"), "a\nb_x_a\nb_y");
        assert_eq!(join_table_name("x_a\nx_b", "x_c"), "x_a\nx_b_c");
    }

    /// Every pair of names up to 5 characters over `a`, `b`, `_`, `.`: the linear search for
    /// the shared prefix agrees with the regex's own backtracking order.
    #[test]
    fn linear_prefix_search_agrees_with_backtracking() {
        let alphabet = ['a', 'b', '_', '.'];
        let mut names = vec![String::new()];
        for len in 1..=5 {
            let mut next = Vec::new();
            for n in names.iter().filter(|n| n.chars().count() == len - 1) {
                for c in alphabet {
                    next.push(format!("{n}{c}"));
                }
            }
            names.extend(next);
        }
        for x in &names {
            for y in names.iter().step_by(3) {
                let line = format!("{x}\0{y}");
                assert_eq!(
                    shared_prefix_in_line(&line),
                    shared_prefix_among_nuls(&line),
                    "{x:?} {y:?}"
                );
            }
        }
    }

    /// Two megabytes of separators: answered in linear time (the backtracking order was
    /// quadratic here and ran for minutes).
    #[test]
    fn long_names_are_linear() {
        let a = "a_".repeat(1_000_000);
        let b = format!("{a}b");
        let name = join_table_name(&a, &b);
        // the shared prefix stops one pair short, so that the first part keeps its last `a_`
        assert_eq!(name, format!("{a}_a_b"));
    }

    /// A long name gives the interrupt check (PostgreSQL's, in the extension) a chance to run
    /// every stride, so that a cancel stops it.
    #[test]
    fn long_names_reach_interrupt_points() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        crate::set_interrupt_check(|| {
            CALLS.fetch_add(1, Ordering::Relaxed);
        });
        let a = "a_".repeat(1_000_000);
        join_table_name(&a, &format!("{a}b"));
        // 2 MB common prefix and 2 MB searched for a separator, 64 KiB at a time
        assert!(CALLS.load(Ordering::Relaxed) >= 30);
    }

    #[test]
    fn foreign_key_follows_ruby_split() {
        assert_eq!(foreign_key("a.").unwrap(), "a_id");
        assert_eq!(foreign_key("a..b").unwrap(), "b_id");
        assert_eq!(foreign_key(".a").unwrap(), "a_id");
        assert_eq!(foreign_key("x.y.").unwrap(), "y_id");
        assert_eq!(foreign_key("People").unwrap(), "Person_id");
        assert_eq!(foreign_key("a b").unwrap(), "a b_id");
        assert_eq!(foreign_key(""), Err(NameError::NoTablePart(String::new())));
        assert_eq!(foreign_key("."), Err(NameError::NoTablePart(".".into())));
    }

    #[test]
    fn classify_tableize_camelize_underscore_edge_cases() {
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            // input, classify, tableize, camelize, underscore
            ("a\nb", "A\nb", "as\nb", "A\nb", "a\nb"),
            ("a.b\nc.d", "B\nc.d", "a.bs\nc.d", "A.b\nc.d", "a.b\nc.d"),
            ("", "", "", "", ""),
            (" ", " ", " s", " ", " "),
            ("x y", "X y", "x ies", "X y", "x y"),
            (
                "Admin::User",
                "Admin::User",
                "admin/users",
                "Admin::User",
                "admin/user",
            ),
            (
                "admin/users",
                "Admin::User",
                "admin/users",
                "Admin::Users",
                "admin/users",
            ),
            (
                "HTMLParser",
                "HTMLParser",
                "html_parsers",
                "HTMLParser",
                "html_parser",
            ),
            (
                "Kelvin_ſs",
                "KelvinSs",
                "kelvin_ſses",
                "KelvinSs",
                "kelvin_ſs",
            ),
            ("ǆ_x", "ǆX", "ǆ_xes", "ǆX", "ǆ_x"),
            (
                "123abc_def",
                "123abcDef",
                "123abc_defs",
                "123abcDef",
                "123abc_def",
            ),
            ("a-b", "A-b", "a_bs", "A-b", "a_b"),
            ("foo__bar", "FooBar", "foo__bars", "FooBar", "foo__bar"),
            ("_foo", "Foo", "_foos", "Foo", "_foo"),
            ("foo_", "Foo", "foo_s", "Foo", "foo_"),
            ("x.", "", "x.s", "X.", "x."),
            (".", "", ".s", ".", "."),
        ];
        for &(input, classified, tableized, camelized, underscored) in cases {
            assert_eq!(classify(input), classified, "classify({input:?})");
            assert_eq!(tableize(input), tableized, "tableize({input:?})");
            assert_eq!(camelize(input), camelized, "camelize({input:?})");
            assert_eq!(underscore(input), underscored, "underscore({input:?})");
        }
    }

    #[test]
    fn downcase_has_no_final_sigma_rule() {
        assert_eq!(downcase("ΣΑΣ Übel"), "σασ übel");
        assert_eq!(tableize("AΣ"), "aσs");
    }
}
