//! Differential test against real ActiveSupport: random hostile names (rule-triggering
//! fragments, case variants, newlines, dots, schema prefixes, `ß`, ligatures, Greek, Turkish)
//! through our functions and through Ruby, compared one by one.
//!
//! Needs `ruby` and ActiveSupport 6.1 (Debian 12: `ruby-activesupport`); the setup script
//! installs both. Without them the test fails rather than passing vacuously.

use std::io::Write;
use std::process::{Command, Stdio};

const FRAGMENTS: &[&str] = &[
    "s",
    "es",
    "ies",
    "ves",
    "a",
    "i",
    "is",
    "us",
    "um",
    "ss",
    "sh",
    "ch",
    "x",
    "y",
    "o",
    "f",
    "fe",
    "person",
    "people",
    "man",
    "men",
    "child",
    "children",
    "sex",
    "move",
    "zombie",
    "cow",
    "kine",
    "ox",
    "oxen",
    "mouse",
    "mice",
    "louse",
    "matrix",
    "matrices",
    "vertex",
    "index",
    "indices",
    "quiz",
    "status",
    "alias",
    "bus",
    "octopus",
    "virus",
    "axis",
    "testis",
    "crisis",
    "analysis",
    "analyses",
    "basis",
    "thesis",
    "news",
    "movie",
    "series",
    "species",
    "fish",
    "sheep",
    "jeans",
    "police",
    "equipment",
    "information",
    "rice",
    "money",
    "database",
    "shoe",
    "hive",
    "tive",
    "tomato",
    "buffalo",
    "half",
    "wife",
    "life",
    "elf",
    "datum",
    "medium",
    "Person",
    "PEOPLE",
    "Octopus",
    "STATUS",
    "_",
    "__",
    ".",
    "..",
    "::",
    "/",
    "-",
    " ",
    "\n",
    "0",
    "42",
    "public.",
    "music.",
    "Admin::",
    "HTML",
    "Parser",
    "SSL",
    "OAuth",
    "ß",
    "ẞ",
    "ﬁ",
    "ﬆ",
    "ﬀ",
    "ſ",
    "K",
    "é",
    "Σ",
    "ΣΑΣ",
    "İ",
    "ǆ",
    "ü",
    "\"",
    "'",
    ";",
    "é_",
    "users",
    "roles",
    "paper",
    "paper_boxes",
    "catalog_",
    "categories",
    "products",
];

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn name(&mut self) -> String {
        let parts = 1 + self.below(4);
        let mut s: String = (0..parts)
            .map(|_| FRAGMENTS[self.below(FRAGMENTS.len())])
            .collect();
        match self.below(4) {
            0 => s = s.to_uppercase(),
            1 => {
                let mut chars = s.chars();
                s = chars
                    .next()
                    .map(|c| c.to_uppercase().collect::<String>())
                    .unwrap_or_default()
                    + chars.as_str();
            }
            _ => {}
        }
        s
    }
}

#[test]
fn agrees_with_real_activesupport_on_random_names() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inputs = Vec::new();
    for _ in 0..20_000 {
        let a = rng.name();
        // Half the pairs share a prefix, to exercise the prefix collapse of join table names.
        let b = if rng.below(2) == 0 {
            let cut = a
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(a.chars().count()))
                .unwrap_or(0);
            format!("{}{}", &a[..cut], rng.name())
        } else {
            rng.name()
        };
        inputs.push((a, b));
    }

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/rails_naming.rb");
    let mut ruby = Command::new("ruby")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ruby is needed for this test (Debian: apt-get install ruby ruby-activesupport)");
    let mut stdin = ruby.stdin.take().unwrap();
    let payload: String = inputs
        .iter()
        .map(|(a, b)| serde_json::to_string(&[a, b]).unwrap() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(payload.as_bytes()).unwrap());
    let output = ruby.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        output.status.success(),
        "the Ruby oracle failed (is ruby-activesupport installed?)"
    );

    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let version: String = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert!(
        version.starts_with("6.1."),
        "expected ActiveSupport 6.1, got {version}"
    );

    let mut mismatches = Vec::new();
    for ((a, b), line) in inputs.iter().zip(lines.by_ref()) {
        let rails: Vec<Option<String>> = serde_json::from_str(line).unwrap();
        let ours = [
            Some(habtm_naming::singularize(a)),
            Some(habtm_naming::pluralize(a)),
            Some(habtm_naming::classify(a)),
            Some(habtm_naming::tableize(a)),
            habtm_naming::foreign_key(a).ok(),
            Some(habtm_naming::join_table_name(a, b)),
        ];
        let names = [
            "singularize",
            "pluralize",
            "classify",
            "tableize",
            "foreign_key",
            "join_table_name",
        ];
        for ((name, theirs), mine) in names.iter().zip(&rails).zip(&ours) {
            if theirs != mine {
                mismatches.push(format!(
                    "{name}({a:?}, {b:?}): rails {theirs:?}, ours {mine:?}"
                ));
            }
        }
    }
    assert_eq!(
        lines.next(),
        None,
        "the oracle answered more lines than asked"
    );
    println!(
        "{} names compared with ActiveSupport {version}, {} mismatches",
        inputs.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(30)].join("\n")
    );
}
