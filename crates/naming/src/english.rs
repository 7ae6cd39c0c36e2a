//! ActiveSupport's default English inflections, as data.
//!
//! This is `activesupport/lib/active_support/inflections.rb` (Rails 6.1 to 8.x; the rules have
//! been frozen since 2017), transcribed in the order Rails defines them. Rails *prepends* every
//! rule it is given, so the rule defined last is tried first; [`crate::Inflections`] does the same.
//!
//! Patterns are written as in the Ruby source (`/…/i` is `CASE_INSENSITIVE`) and replacements use
//! Ruby's `\1` back-references; [`crate::Inflections`] translates both.

/// A Ruby regular-expression rule: the pattern between the slashes, whether it had the `/i` flag,
/// and the replacement string.
pub type RubyRule = (&'static str, bool, &'static str);

const I: bool = true; // `/…/i`
const CASE_SENSITIVE: bool = false; // `/…/`

/// `inflect.plural(rule, replacement)`, in definition order.
pub const PLURALS: &[RubyRule] = &[
    ("$", CASE_SENSITIVE, "s"),
    ("s$", I, "s"),
    ("^(ax|test)is$", I, r"\1es"),
    ("(octop|vir)us$", I, r"\1i"),
    ("(octop|vir)i$", I, r"\1i"),
    ("(alias|status)$", I, r"\1es"),
    ("(bu)s$", I, r"\1ses"),
    ("(buffal|tomat)o$", I, r"\1oes"),
    ("([ti])um$", I, r"\1a"),
    ("([ti])a$", I, r"\1a"),
    ("sis$", I, "ses"),
    ("(?:([^f])fe|([lr])f)$", I, r"\1\2ves"),
    ("(hive)$", I, r"\1s"),
    ("([^aeiouy]|qu)y$", I, r"\1ies"),
    ("(x|ch|ss|sh)$", I, r"\1es"),
    ("(matr|vert|ind)(?:ix|ex)$", I, r"\1ices"),
    ("^(m|l)ouse$", I, r"\1ice"),
    ("^(m|l)ice$", I, r"\1ice"),
    ("^(ox)$", I, r"\1en"),
    ("^(oxen)$", I, r"\1"),
    ("(quiz)$", I, r"\1zes"),
];

/// `inflect.singular(rule, replacement)`, in definition order.
pub const SINGULARS: &[RubyRule] = &[
    ("s$", I, ""),
    ("(ss)$", I, r"\1"),
    ("(n)ews$", I, r"\1ews"),
    ("([ti])a$", I, r"\1um"),
    (
        "((a)naly|(b)a|(d)iagno|(p)arenthe|(p)rogno|(s)ynop|(t)he)(sis|ses)$",
        I,
        r"\1sis",
    ),
    ("(^analy)(sis|ses)$", I, r"\1sis"),
    ("([^f])ves$", I, r"\1fe"),
    ("(hive)s$", I, r"\1"),
    ("(tive)s$", I, r"\1"),
    ("([lr])ves$", I, r"\1f"),
    ("([^aeiouy]|qu)ies$", I, r"\1y"),
    ("(s)eries$", I, r"\1eries"),
    ("(m)ovies$", I, r"\1ovie"),
    ("(x|ch|ss|sh)es$", I, r"\1"),
    ("^(m|l)ice$", I, r"\1ouse"),
    ("(bus)(es)?$", I, r"\1"),
    ("(o)es$", I, r"\1"),
    ("(shoe)s$", I, r"\1"),
    ("(cris|test)(is|es)$", I, r"\1is"),
    ("^(a)x[ie]s$", I, r"\1xis"),
    ("(octop|vir)(us|i)$", I, r"\1us"),
    ("(alias|status)(es)?$", I, r"\1"),
    ("^(ox)en", I, r"\1"),
    ("(vert|ind)ices$", I, r"\1ex"),
    ("(matr)ices$", I, r"\1ix"),
    ("(quiz)zes$", I, r"\1"),
    ("(database)s$", I, r"\1"),
];

/// `inflect.irregular(singular, plural)`, in definition order.
pub const IRREGULARS: &[(&str, &str)] = &[
    ("person", "people"),
    ("man", "men"),
    ("child", "children"),
    ("sex", "sexes"),
    ("move", "moves"),
    ("zombie", "zombies"),
];

/// `inflect.uncountable(%w(...))`.
pub const UNCOUNTABLES: &[&str] = &[
    "equipment",
    "information",
    "rice",
    "money",
    "species",
    "series",
    "fish",
    "sheep",
    "jeans",
    "police",
];
