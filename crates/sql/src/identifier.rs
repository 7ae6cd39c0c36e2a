//! PostgreSQL's rules for a name habtm is asked to create.

/// PostgreSQL keeps the first `NAMEDATALEN - 1` bytes of an identifier and drops the rest
/// silently.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// Why a name cannot be created as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The empty string (PostgreSQL refuses a zero-length delimited identifier).
    Empty,
    /// Longer than [`MAX_IDENTIFIER_BYTES`] bytes: PostgreSQL would truncate it.
    TooLong,
}

/// Checks a name to be created: not empty, at most 63 bytes (bytes, not characters: PostgreSQL
/// counts the encoded name).
pub fn check(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        Err(Problem::Empty)
    } else if name.len() > MAX_IDENTIFIER_BYTES {
        Err(Problem::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_refused() {
        assert_eq!(check(""), Err(Problem::Empty));
    }

    #[test]
    fn sixty_three_bytes_is_the_limit() {
        assert_eq!(check(&"a".repeat(63)), Ok(()));
        assert_eq!(check(&"a".repeat(64)), Err(Problem::TooLong));
    }

    #[test]
    fn bytes_are_counted_not_characters() {
        // 31 two-byte characters are 62 bytes; one more is 64
        assert_eq!(check(&"é".repeat(31)), Ok(()));
        assert_eq!(check(&"é".repeat(32)), Err(Problem::TooLong));
        // a three-byte character that would straddle the limit
        assert_eq!(
            check(&format!("{}€", "a".repeat(61))),
            Err(Problem::TooLong)
        );
        assert_eq!(check(&format!("{}€", "a".repeat(60))), Ok(()));
    }

    #[test]
    fn any_characters_are_accepted() {
        // quoting is the server's business; a name may hold quotes, spaces, semicolons
        assert_eq!(check("a\"; DROP TABLE x; --"), Ok(()));
    }
}
