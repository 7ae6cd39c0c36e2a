//! The extension's errors and their SQLSTATEs.
//!
//! Every user-facing failure is a [`HabtmError`], raised with [`HabtmError::raise`] under the
//! SQLSTATE chosen here. (A bare `Err` returned to pgrx would become 22000, a panic XX000.)
//! Messages follow PostgreSQL's style: lower case, no final period; detail and hint are sentences.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

/// A user-facing error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HabtmError {
    /// A name argument that Rails' naming rules cannot answer for.
    InvalidName {
        function: &'static str,
        argument: &'static str,
        error: habtm_naming::NameError,
    },
}

impl HabtmError {
    fn sqlstate(&self) -> PgSqlErrorCode {
        match self {
            HabtmError::InvalidName { .. } => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        }
    }

    fn message(&self) -> String {
        match self {
            HabtmError::InvalidName {
                argument, error, ..
            } => match error {
                habtm_naming::NameError::NoTablePart(name) => {
                    format!("{argument} {} has no table part", quote_literal(name))
                }
            },
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            HabtmError::InvalidName { .. } => Some(
                "Rails takes the text after the last \".\" (trailing dots ignored) as the table name, and there is none."
                    .into(),
            ),
        }
    }

    fn function(&self) -> &'static str {
        match self {
            HabtmError::InvalidName { function, .. } => function,
        }
    }
}

impl HabtmError {
    /// Raises the error as a PostgreSQL `ERROR` with its SQLSTATE, message, detail and the
    /// caller's location. Does not return: PostgreSQL aborts the statement.
    #[track_caller]
    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.sqlstate(), self.message(), self.function());
        if let Some(detail) = self.detail() {
            report = report.set_detail(detail);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("an ERROR report does not return")
    }
}

/// A value quoted as an SQL literal, for messages (`'it''s'`).
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_the_name() {
        let e = HabtmError::InvalidName {
            function: "habtm.foreign_key",
            argument: "table",
            error: habtm_naming::NameError::NoTablePart("it's.".into()),
        };
        assert_eq!(e.message(), "table 'it''s.' has no table part");
        assert_eq!(
            e.sqlstate(),
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE
        );
    }
}
