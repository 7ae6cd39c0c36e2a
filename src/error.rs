//! The extension's errors and their SQLSTATEs.
//!
//! Every user-facing failure is a [`HabtmError`]; pgrx raises the [`ErrorReport`] it converts to
//! with the SQLSTATE chosen here. (A bare `Err` would become 22000 and a panic XX000.)
//! Messages follow PostgreSQL's style: lower case, no final period; detail and hint are sentences.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgSqlErrorCode;

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

impl From<HabtmError> for ErrorReport {
    fn from(e: HabtmError) -> Self {
        let mut report = ErrorReport::new(e.sqlstate(), e.message(), e.function());
        if let Some(detail) = e.detail() {
            report = report.set_detail(detail);
        }
        report
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
