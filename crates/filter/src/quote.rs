//! SQL string literals.

/// `text` as an SQL string literal, exactly as PostgreSQL's `quote_literal` writes it: in
/// single quotes with each `'` and `\` doubled, and an `E` prefix when there is a `\` (so the
/// literal reads the same whatever `standard_conforming_strings` is).
pub fn quote_literal(text: impl AsRef<str>) -> String {
    let text = text.as_ref();
    let mut out = String::with_capacity(text.len() + 3);
    if text.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::quote_literal;

    #[test]
    fn doubles_quotes_and_backslashes() {
        assert_eq!(quote_literal("id"), "'id'");
        assert_eq!(quote_literal(""), "''");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("''"), "''''''");
        assert_eq!(quote_literal(r"a\b"), r"E'a\\b'");
        assert_eq!(quote_literal(r"x\'; DROP"), r"E'x\\''; DROP'");
        assert_eq!(quote_literal("weird\"name"), "'weird\"name'");
        assert_eq!(quote_literal("ünï'cödé"), "'ünï''cödé'");
    }
}
