//! The inflection engine: ActiveSupport's `Inflections` and `apply_inflections`, ported.
//!
//! Fidelity details that decide real words:
//! - Rules are *prepended*, so the last one defined is tried first, and the first rule that
//!   matches anywhere wins (`break if result.sub!(rule, replacement)`); it replaces only its
//!   first match.
//! - Ruby's `^` and `$` are line anchors, so every pattern is compiled in multi-line mode.
//! - A word is uncountable when `/\b#{word}\Z/i` matches: the uncountable word may end a longer
//!   string at a word boundary (`office equipment`), but not be the tail of a word (`goldfish`).
//! - `/i` follows Unicode case folding (`(?i)` here), and the case of untouched letters is kept:
//!   `PEOPLE` singularizes to `Person` because the irregular rule keeps only the captured `P`.
//!
//! All rules are compiled once per process into one [`RegexSet`] per direction, so a word is
//! scanned once to learn which rules match, and only the winning rule is run again to build the
//! result. A rule's own [`Regex`] (for its capture groups) is compiled the first time it wins:
//! Unicode case-insensitive regexes are slow to build, and most rules never win in a session.

use std::sync::OnceLock;

use regex::{Captures, Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::english;

/// A set of inflection rules, built like Rails' `ActiveSupport::Inflector.inflections`.
///
/// Rules are added with [`Inflections::plural`], [`Inflections::singular`],
/// [`Inflections::irregular`] and [`Inflections::uncountable`] in Rails' order, then compiled with
/// [`Inflections::compile`]. [`english`](crate::english()) is the default English set.
#[derive(Debug, Default, Clone)]
pub struct Inflections {
    /// Newest first, as Rails keeps them: `(rust_pattern, rust_replacement)`.
    plurals: Vec<(String, String)>,
    singulars: Vec<(String, String)>,
    uncountables: Vec<String>,
}

/// A compiled rule list plus the uncountable test, ready to apply.
#[derive(Debug)]
pub struct CompiledInflections {
    plurals: RuleList,
    singulars: RuleList,
    /// `\b(?:word|word…)\Z`, case-insensitive; `None` when there are no uncountables.
    uncountable: Option<Regex>,
}

#[derive(Debug)]
struct RuleList {
    set: RegexSet,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    pattern: String,
    replacement: String,
    regex: OnceLock<Regex>,
}

impl Rule {
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            // The same pattern already compiled as part of the RegexSet.
            build_regex(&self.pattern).expect("a pattern accepted by the RegexSet compiles alone")
        })
    }
}

impl Inflections {
    /// Rails' `plural(rule, replacement)` for a regular-expression rule written as in Ruby.
    pub fn plural(
        &mut self,
        pattern: &str,
        case_insensitive: bool,
        replacement: &str,
    ) -> &mut Self {
        let rule = translate_rule(pattern, case_insensitive, replacement);
        self.uncountables.retain(|w| w != replacement);
        self.plurals.insert(0, rule);
        self
    }

    /// Rails' `singular(rule, replacement)` for a regular-expression rule written as in Ruby.
    pub fn singular(
        &mut self,
        pattern: &str,
        case_insensitive: bool,
        replacement: &str,
    ) -> &mut Self {
        let rule = translate_rule(pattern, case_insensitive, replacement);
        self.uncountables.retain(|w| w != replacement);
        self.singulars.insert(0, rule);
        self
    }

    /// Rails' `irregular(singular, plural)`: four rules that keep the case of the first letter
    /// when both words start with the same letter, eight case-pinned rules otherwise.
    pub fn irregular(&mut self, singular: &str, plural: &str) -> &mut Self {
        self.uncountables.retain(|w| w != singular && w != plural);
        let (s0, srest) = split_first_char(singular);
        let (p0, prest) = split_first_char(plural);
        if s0.to_uppercase() == p0.to_uppercase() {
            self.plural(&format!("({s0}){srest}$"), true, &format!(r"\1{prest}"));
            self.plural(&format!("({p0}){prest}$"), true, &format!(r"\1{prest}"));
            self.singular(&format!("({s0}){srest}$"), true, &format!(r"\1{srest}"));
            self.singular(&format!("({p0}){prest}$"), true, &format!(r"\1{srest}"));
        } else {
            let (su, sd, pu, pd) = (
                s0.to_uppercase(),
                s0.to_lowercase(),
                p0.to_uppercase(),
                p0.to_lowercase(),
            );
            self.plural(&format!("{su}(?i){srest}$"), false, &format!("{pu}{prest}"));
            self.plural(&format!("{sd}(?i){srest}$"), false, &format!("{pd}{prest}"));
            self.plural(&format!("{pu}(?i){prest}$"), false, &format!("{pu}{prest}"));
            self.plural(&format!("{pd}(?i){prest}$"), false, &format!("{pd}{prest}"));
            self.singular(&format!("{su}(?i){srest}$"), false, &format!("{su}{srest}"));
            self.singular(&format!("{sd}(?i){srest}$"), false, &format!("{sd}{srest}"));
            self.singular(&format!("{pu}(?i){prest}$"), false, &format!("{su}{srest}"));
            self.singular(&format!("{pd}(?i){prest}$"), false, &format!("{sd}{srest}"));
        }
        self
    }

    /// Rails' `uncountable(*words)`; words are stored lower-cased, as Rails does.
    pub fn uncountable(&mut self, words: &[&str]) -> &mut Self {
        self.uncountables
            .extend(words.iter().map(|w| w.to_lowercase()));
        self
    }

    /// Compiles every rule. Fails only on a malformed rule pattern.
    pub fn compile(&self) -> Result<CompiledInflections, regex::Error> {
        let uncountable = if self.uncountables.is_empty() {
            None
        } else {
            let words: Vec<String> = self
                .uncountables
                .iter()
                .map(|w| multichar_folds(&regex::escape(w)))
                .collect();
            // Ruby: /\b#{Regexp.escape(word)}\Z/i, one per word; a union is the same test.
            // `\Z` is "end of string, or before a final newline".
            Some(build_regex(&format!(
                r"(?i)\b(?:{})\n?\z",
                words.join("|")
            ))?)
        };
        Ok(CompiledInflections {
            plurals: RuleList::compile(&self.plurals)?,
            singulars: RuleList::compile(&self.singulars)?,
            uncountable,
        })
    }

    /// ActiveSupport's default English rule set (`active_support/inflections.rb`).
    pub fn english() -> Self {
        let mut inflect = Inflections::default();
        for &(pattern, ci, replacement) in english::PLURALS {
            inflect.plural(pattern, ci, replacement);
        }
        for &(pattern, ci, replacement) in english::SINGULARS {
            inflect.singular(pattern, ci, replacement);
        }
        for &(singular, plural) in english::IRREGULARS {
            inflect.irregular(singular, plural);
        }
        inflect.uncountable(english::UNCOUNTABLES);
        inflect
    }
}

impl CompiledInflections {
    /// `ActiveSupport::Inflector.pluralize(word)`.
    pub fn pluralize(&self, word: &str) -> String {
        self.apply(word, &self.plurals)
    }

    /// `ActiveSupport::Inflector.singularize(word)`.
    pub fn singularize(&self, word: &str) -> String {
        self.apply(word, &self.singulars)
    }

    /// Rails' `uncountables.uncountable?(word)`.
    pub fn is_uncountable(&self, word: &str) -> bool {
        self.uncountable
            .as_ref()
            .is_some_and(|re| re.is_match(word))
    }

    /// `apply_inflections`: the empty string and uncountable words are returned as they are;
    /// otherwise the first rule (newest first) that matches replaces its first match.
    fn apply(&self, word: &str, rules: &RuleList) -> String {
        if word.is_empty() || self.is_uncountable(word) {
            return word.to_owned();
        }
        // The set reports every rule that matches somewhere; the lowest index is the rule
        // Rails' loop would have stopped at.
        match rules.set.matches(word).iter().next() {
            Some(i) => {
                let rule = &rules.rules[i];
                let caps = rule
                    .regex()
                    .captures(word)
                    .expect("the RegexSet and the Regex agree");
                replace_first(word, &caps, &rule.replacement)
            }
            None => word.to_owned(),
        }
    }
}

impl RuleList {
    fn compile(rules: &[(String, String)]) -> Result<Self, regex::Error> {
        let set = RegexSetBuilder::new(rules.iter().map(|(p, _)| p))
            .size_limit(64 << 20)
            .build()?;
        let rules = rules
            .iter()
            .map(|(pattern, replacement)| Rule {
                pattern: pattern.clone(),
                replacement: replacement.clone(),
                regex: OnceLock::new(),
            })
            .collect();
        Ok(RuleList { set, rules })
    }
}

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(16 << 20).build()
}

/// `str.sub(rule, replacement)` once the rule is known to match: the text before the first match,
/// the expanded replacement, the text after it.
fn replace_first(word: &str, caps: &Captures<'_>, replacement: &str) -> String {
    let whole = caps.get(0).expect("group 0 always participates");
    let mut out = String::with_capacity(word.len() + replacement.len());
    out.push_str(&word[..whole.start()]);
    caps.expand(replacement, &mut out);
    out.push_str(&word[whole.end()..]);
    out
}

/// Translates a Ruby rule to the `regex` crate: Ruby's `^`/`$` are line anchors (`(?m)`), `/i`
/// becomes `(?i)` plus Onigmo's multi-character folds, and the replacement's `\1` becomes `${1}`
/// (`$` itself is escaped).
fn translate_rule(pattern: &str, case_insensitive: bool, replacement: &str) -> (String, String) {
    let pattern = if case_insensitive {
        format!("(?mi){}", multichar_folds(pattern))
    } else {
        format!("(?m){pattern}")
    };
    (pattern, translate_replacement(replacement))
}

/// Two-letter sequences that Unicode full case folding gives a single character for. Ruby's
/// regex engine (Onigmo) matches them under `/i` (`"Fuß".pluralize` is `"Fußes"`, `"ﬁsh"` is
/// uncountable); the `regex` crate folds one character at a time, so each such literal pair is
/// spelled out as an alternation. A lone `s` does not match half of `ß`, in Ruby or here.
const MULTICHAR_FOLDS: &[(&str, &str)] = &[
    ("ss", "(?:ss|ß|ẞ)"),
    ("st", "(?:st|ﬅ|ﬆ)"),
    ("ff", "(?:ff|ﬀ)"),
    ("fi", "(?:fi|ﬁ)"),
    ("fl", "(?:fl|ﬂ)"),
];

/// Rewrites the literal letter pairs of [`MULTICHAR_FOLDS`] in a pattern, outside character
/// classes, group syntax and escapes. (Three-letter folds such as `ﬃ` need a pattern with `ffi`;
/// no rule has one.)
fn multichar_folds(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 16);
    let (mut i, mut in_class) = (0, false);
    while i < bytes.len() {
        let rest = &pattern[i..];
        let c = rest.chars().next().expect("i is on a char boundary");
        let after_group_open = i >= 2 && &pattern[i - 2..i] == "(?";
        match c {
            '\\' => {
                let escaped = rest[1..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&rest[..1 + escaped]);
                i += 1 + escaped;
                continue;
            }
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            _ if !in_class && !after_group_open => {
                let lower = rest.get(..2).map(str::to_ascii_lowercase);
                if let Some(&(_, alternation)) = MULTICHAR_FOLDS
                    .iter()
                    .find(|(pair, _)| lower.as_deref() == Some(*pair))
                {
                    out.push_str(alternation);
                    i += 2;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Ruby's replacement-string escapes (`\1`…`\9`, `\0`/`\&`, `\\`) in `regex`'s `${n}` syntax.
fn translate_replacement(ruby: &str) -> String {
    let mut out = String::with_capacity(ruby.len() + 8);
    let mut chars = ruby.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(d @ '0'..='9') => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('&') => {
                    chars.next();
                    out.push_str("${0}");
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

fn split_first_char(s: &str) -> (&str, &str) {
    match s.chars().next() {
        Some(c) => s.split_at(c.len_utf8()),
        None => ("", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_escapes_follow_ruby() {
        assert_eq!(translate_replacement(r"\1es"), "${1}es");
        assert_eq!(translate_replacement(r"\1\2ves"), "${1}${2}ves");
        assert_eq!(translate_replacement(r"a\&b\\c$"), r"a${0}b\c$$");
    }

    #[test]
    fn multichar_folds_spell_out_literal_pairs_only() {
        assert_eq!(multichar_folds("(x|ch|ss|sh)$"), "(x|ch|(?:ss|ß|ẞ)|sh)$");
        assert_eq!(
            multichar_folds("(alias|status)$"),
            "(alias|(?:st|ﬅ|ﬆ)atus)$"
        );
        assert_eq!(multichar_folds(r"[ss]\s(?:ix)"), r"[ss]\s(?:ix)");
    }

    #[test]
    fn multichar_folds_match_ruby() {
        // Each pair was printed by ActiveSupport 6.1.7 on Ruby 3.1.
        let c = Inflections::english().compile().unwrap();
        assert_eq!(c.pluralize("Fuß"), "Fußes");
        assert_eq!(c.pluralize("FUẞ"), "FUẞes");
        assert_eq!(c.singularize("ẞES"), "ẞ");
        assert_eq!(c.pluralize("ﬆatus"), "ﬆatuses");
        assert_eq!(c.singularize("ﬅatuses"), "ﬅatus");
        assert_eq!(c.pluralize("teﬆis"), "teﬆes");
        assert_eq!(c.pluralize("ﬁsh"), "ﬁsh");
        assert_eq!(c.singularize("ﬁshes"), "ﬁsh");
        assert_eq!(c.singularize("ßs"), "ß");
        assert_eq!(c.pluralize("ſs"), "ſses");
        assert_eq!(c.pluralize("muﬀ"), "muﬀs");
    }

    #[test]
    fn last_defined_rule_wins() {
        let mut inflect = Inflections::default();
        inflect
            .plural("$", false, "s")
            .plural("(quiz)$", true, r"\1zes");
        let c = inflect.compile().unwrap();
        assert_eq!(c.pluralize("quiz"), "quizzes");
        assert_eq!(c.pluralize("cat"), "cats");
    }

    #[test]
    fn irregular_with_different_initials_pins_case() {
        // Rails 4's default set had `irregular 'cow', 'kine'`, the one irregular whose two words
        // start differently; Rails' own tests expected these results.
        let mut inflect = Inflections::english();
        inflect.irregular("cow", "kine");
        let c = inflect.compile().unwrap();
        assert_eq!(c.pluralize("cow"), "kine");
        assert_eq!(c.pluralize("Cow"), "Kine");
        assert_eq!(c.singularize("kine"), "cow");
        assert_eq!(c.singularize("Kine"), "Cow");
        assert_eq!(c.singularize("KINE"), "Cow");
    }

    #[test]
    fn irregular_removes_an_uncountable_of_the_same_name() {
        let mut inflect = Inflections::default();
        inflect
            .plural("$", false, "s")
            .uncountable(&["Moose"])
            .irregular("moose", "meese");
        let c = inflect.compile().unwrap();
        assert!(!c.is_uncountable("moose"));
        assert_eq!(c.pluralize("moose"), "meese");
    }

    #[test]
    fn uncountable_needs_a_word_boundary_and_allows_a_final_newline() {
        let c = Inflections::english().compile().unwrap();
        assert!(c.is_uncountable("office equipment"));
        assert!(c.is_uncountable("Sheep\n"));
        assert!(!c.is_uncountable("goldfish"));
        assert!(!c.is_uncountable("fish\n\n"));
    }
}
