//! The extension's errors and their SQLSTATEs.
//!
//! Every user-facing failure is a [`HabtmError`], raised with [`HabtmError::raise`] under the
//! SQLSTATE chosen here. (A bare `Err` returned to pgrx would become 22000, a panic XX000.)
//! Each variant's SQLSTATE, message, detail and hint are written together, in one arm of
//! `describe`; `error_messages.golden` lists every one of them, checked by a test.
//! Messages follow PostgreSQL's style: lower case, no final period; detail and hint are sentences.
//! Errors PostgreSQL raises itself (permissions, foreign keys) pass through unchanged.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::spi::SpiError;
use pgrx::{PgLogLevel, PgSqlErrorCode};

/// A user-facing error. `argument` is the SQL parameter the caller should change.
#[derive(Debug)]
pub enum HabtmError {
    /// A name argument that Rails' naming rules cannot answer for.
    InvalidName {
        function: &'static str,
        argument: &'static str,
        error: habtm_naming::NameError,
    },
    /// A required argument was NULL.
    NullArgument {
        function: &'static str,
        argument: &'static str,
    },
    /// A relation OID that names no relation.
    NoSuchRelation { argument: &'static str, oid: u32 },
    /// A relation argument that is not an ordinary or partitioned table.
    NotATable {
        argument: &'static str,
        relation: String,
        kind: &'static str,
    },
    /// A partitioned table or a partition: a statement naming a partition bypasses the
    /// statement triggers of its parent, so neither can be maintained exactly.
    Partitioned {
        argument: &'static str,
        relation: String,
    },
    /// A table without a single-column primary key.
    NoSingleKey {
        argument: &'static str,
        relation: String,
        key_columns: Vec<String>,
    },
    /// A temporary table: it disappears at the end of its session without telling the catalog.
    TemporaryTable {
        argument: &'static str,
        relation: String,
    },
    /// A name to be created that PostgreSQL would truncate (over 63 bytes).
    NameTooLong {
        argument: &'static str,
        name: String,
    },
    /// A name to be created that is empty.
    EmptyName { argument: &'static str },
    /// The schema part of `table_name` names no schema.
    NoSuchSchema {
        argument: &'static str,
        schema: String,
    },
    /// Both columns of the join table would get the same name.
    SameColumnNames {
        column: String,
        self_association: bool,
    },
    /// Both directions of a self-association would get the same name.
    SameRelationNames { relation: String },
    /// The table to be created exists already.
    TableExists { table: String, registered: bool },
    /// An association name already used by the owner table.
    RelationTaken { owner: String, relation: String },
    /// A table that is not in the catalog where a registered join table is needed.
    NotRegistered { table: String },
    /// A join table that is in the catalog already.
    AlreadyRegistered { table: String },
    /// `adopt` without `a` and `b`, on a table whose sides cannot be read from its foreign keys.
    SidesUnknown { table: String },
    /// A column that the join table does not have.
    NoSuchColumn {
        argument: &'static str,
        table: String,
        column: String,
    },
    /// Rows that block `adopt`: NULLs, orphans, duplicate pairs.
    BlockingRows {
        table: String,
        nulls: i64,
        orphans: i64,
        duplicate_pairs: i64,
    },
    /// `(owner, relation)` names no association.
    UnknownRelation {
        owner: String,
        relation: String,
        existing: Option<String>,
    },
    /// An id whose type cannot become the key's type.
    WrongKeyType {
        argument: &'static str,
        given: String,
        key: String,
        table: String,
    },
    /// A `result_type` argument naming another type than the rows (or ids) have.
    WrongResultType {
        given: String,
        wanted: String,
        what: &'static str,
        table: String,
    },
    /// `targets` that is not an array.
    NotAnArray {
        argument: &'static str,
        given: String,
    },
    /// The owner row does not exist.
    MissingRow {
        table: String,
        id: String,
        writing: bool,
    },
    /// `find` of a target that is not associated with the owner.
    NotAssociated {
        target: String,
        target_id: String,
        owner: String,
        owner_id: String,
    },
    /// A JSON argument of the wrong shape.
    BadJson {
        argument: &'static str,
        reason: String,
    },
    /// A column that the table does not have.
    UnknownColumn { table: String, column: String },
    /// A JSON argument nested deeper than habtm reads.
    TooDeep { depth: usize, limit: usize },
    /// A filter operator LoopBack does not define.
    UnknownOperator { operator: String },
    /// A comparison that a column's type has no default btree operator for.
    NoComparison {
        type_name: String,
        comparison: &'static str,
    },
    /// An element type without a default btree order: its arrays cannot be sorted sets.
    Unorderable { type_name: String },
    /// An id array that cannot be a set of ids.
    BadIdArray { what: String, reason: &'static str },
    /// An existing column that cannot hold the id array.
    ArrayColumnType {
        table: String,
        column: String,
        given: String,
        wanted: String,
    },
    /// `denormalize` naming another column than the one already maintained.
    AlreadyDenormalized {
        table: String,
        column: String,
        existing: String,
    },
    /// A DDL function called on a table the caller does not own.
    NotOwner { table: String },
    /// A `writes` argument that is neither `'reject'` nor `'links'`.
    BadWrites { given: String },
    /// A write that would change an id array kept with `writes => 'reject'`.
    ReadOnlyArray {
        column: String,
        array: String,
        inserting: bool,
    },
    /// Row-level security applies to a table whose arrays habtm maintains.
    RowSecurity { table: String, array: String },
    /// A maintenance UPDATE touched fewer rows than it had to (a trigger or rule skipped some).
    RowsSkipped {
        action: String,
        expected: i64,
        done: i64,
    },
    /// An SPI failure inside habtm: a bug, reported as such.
    Spi(SpiError),
}

impl From<SpiError> for HabtmError {
    fn from(e: SpiError) -> Self {
        HabtmError::Spi(e)
    }
}

pub type Result<T> = std::result::Result<T, HabtmError>;

/// What PostgreSQL reports for an error: its SQLSTATE and message, and a detail and a hint when
/// there is more to say.
#[derive(Debug)]
struct Description {
    sqlstate: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

impl Description {
    fn new(sqlstate: PgSqlErrorCode, message: impl Into<String>) -> Self {
        Description {
            sqlstate,
            message: message.into(),
            detail: None,
            hint: None,
        }
    }

    fn detail(self, detail: impl Into<String>) -> Self {
        Description {
            detail: Some(detail.into()),
            ..self
        }
    }

    fn hint(self, hint: impl Into<String>) -> Self {
        Description {
            hint: Some(hint.into()),
            ..self
        }
    }
}

impl HabtmError {
    /// Each variant's whole report, in the order of the enum: SQLSTATE, message, detail, hint.
    fn describe(&self) -> Description {
        use HabtmError::*;
        use PgSqlErrorCode::*;
        match self {
            InvalidName {
                argument,
                error: habtm_naming::NameError::NoTablePart(name),
                ..
            } => Description::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!("{argument} {} has no table part", quote_literal(name)),
            )
            .detail(
                "Rails takes the text after the last \".\" (trailing dots ignored) as the table \
                 name, and there is none.",
            ),
            NullArgument { argument, .. } => Description::new(
                ERRCODE_NULL_VALUE_NOT_ALLOWED,
                format!("{argument} must not be NULL"),
            ),
            NoSuchRelation { argument, oid } => Description::new(
                ERRCODE_UNDEFINED_TABLE,
                format!("relation with OID {oid}, passed as {argument}, does not exist"),
            ),
            NotATable {
                argument,
                relation,
                kind,
            } => Description::new(
                ERRCODE_WRONG_OBJECT_TYPE,
                format!("{relation}, passed as {argument}, is {kind}, not a table"),
            ),
            Partitioned { argument, relation } => Description::new(
                ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("{relation}, passed as {argument}, is partitioned or a partition"),
            )
            .detail(
                "A statement that names a partition bypasses the statement-level triggers of its \
                 parent, so habtm could not keep the association exact.",
            ),
            NoSingleKey {
                argument,
                relation,
                key_columns,
            } => match key_columns.as_slice() {
                [] => Description::new(
                    ERRCODE_INVALID_COLUMN_REFERENCE,
                    format!("table {relation}, passed as {argument}, has no primary key"),
                ),
                columns => Description::new(
                    ERRCODE_INVALID_COLUMN_REFERENCE,
                    format!("table {relation}, passed as {argument}, has a composite primary key"),
                )
                .detail(format!(
                    "Its primary key is ({}); a join table references a single-column key.",
                    columns.join(", ")
                )),
            }
            .hint("Add a single-column primary key to the table."),
            TemporaryTable { argument, relation } => Description::new(
                ERRCODE_FEATURE_NOT_SUPPORTED,
                format!("{relation}, passed as {argument}, is a temporary table"),
            )
            .detail(
                "habtm's catalog outlives sessions, and a temporary table vanishes at the end of \
                 its session without a trace in it.",
            ),
            NameTooLong { argument, name } => Description::new(
                ERRCODE_NAME_TOO_LONG,
                format!("{argument} {} is longer than 63 bytes", quote_literal(name)),
            )
            .hint(
                "PostgreSQL would truncate it; pass a shorter name (table_name, a_column or \
                 b_column).",
            ),
            EmptyName { argument } => Description::new(
                ERRCODE_INVALID_NAME,
                format!("{argument} must not be empty"),
            ),
            NoSuchSchema { argument, schema } => Description::new(
                ERRCODE_INVALID_SCHEMA_NAME,
                format!(
                    "schema {} of {argument} does not exist",
                    quote_literal(schema)
                ),
            ),
            SameColumnNames {
                column,
                self_association,
            } => Description::new(
                ERRCODE_DUPLICATE_COLUMN,
                format!(
                    "both columns of the join table would be named {}",
                    quote_literal(column)
                ),
            )
            .hint(if *self_association {
                "A self-association needs two column names and two relation names, for example: \
                 a_column => 'user_id', b_column => 'friend_id', a_relation => 'friends', \
                 b_relation => 'friend_of'."
            } else {
                "Pass a_column and b_column with two different names."
            }),
            SameRelationNames { relation } => Description::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!(
                    "both directions of the self-association would be named {}",
                    quote_literal(relation)
                ),
            )
            .hint("Pass a_relation and b_relation with two different names."),
            TableExists { table, registered } => Description::new(
                ERRCODE_DUPLICATE_TABLE,
                format!("relation {table} already exists"),
            )
            .hint(if *registered {
                "Pass if_not_exists => true to reuse it."
            } else {
                "Pass another table_name, or register the existing table with habtm.adopt."
            }),
            RelationTaken { owner, relation } => Description::new(
                ERRCODE_DUPLICATE_OBJECT,
                format!(
                    "{owner} already has an association named {}",
                    quote_literal(relation)
                ),
            )
            .hint("Pass a_relation or b_relation to name this association differently."),
            NotRegistered { table } => Description::new(
                ERRCODE_UNDEFINED_OBJECT,
                format!("{table} is not a habtm join table"),
            )
            .hint(
                "habtm.associations lists the registered join tables; habtm.adopt registers one.",
            ),
            AlreadyRegistered { table } => Description::new(
                ERRCODE_DUPLICATE_OBJECT,
                format!("{table} is already a habtm join table"),
            ),
            SidesUnknown { table } => Description::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!("cannot tell which tables {table} joins"),
            )
            .hint(
                "It has no two foreign keys to read them from: pass a and b, the tables it joins.",
            ),
            NoSuchColumn {
                argument,
                table,
                column,
            } => Description::new(
                ERRCODE_UNDEFINED_COLUMN,
                format!(
                    "column {} of {argument} does not exist in {table}",
                    quote_literal(column)
                ),
            ),
            BlockingRows {
                table,
                nulls,
                orphans,
                duplicate_pairs,
            } => Description::new(
                // the first kind of problem, in the order of the detail
                if *orphans > 0 {
                    ERRCODE_FOREIGN_KEY_VIOLATION
                } else if *duplicate_pairs > 0 {
                    ERRCODE_UNIQUE_VIOLATION
                } else {
                    ERRCODE_NOT_NULL_VIOLATION
                },
                format!("{table} has rows that a join table cannot keep"),
            )
            .detail(format!(
                "Rows with a NULL id: {nulls}. Rows whose id has no row to reference: {orphans}. \
                 Pairs stored more than once: {duplicate_pairs}."
            ))
            .hint("Delete or fix those rows, then call habtm.adopt again."),
            UnknownRelation {
                owner,
                relation,
                existing,
            } => Description::new(
                ERRCODE_UNDEFINED_OBJECT,
                format!(
                    "{owner} has no association named {}",
                    quote_literal(relation)
                ),
            )
            .hint(match existing {
                Some(list) => format!("Its associations are: {list}."),
                None => "It has no associations; \
                         habtm.create_join_table or habtm.adopt registers one."
                    .into(),
            }),
            WrongKeyType {
                argument,
                given,
                key,
                table,
            } => Description::new(
                ERRCODE_DATATYPE_MISMATCH,
                format!("{argument} has type {given}, but the key of {table} has type {key}"),
            ),
            WrongResultType {
                given,
                wanted,
                what,
                table,
            } => Description::new(
                ERRCODE_DATATYPE_MISMATCH,
                format!("result_type is {given}, but {what} of {table} have type {wanted}"),
            )
            .hint(format!(
                "Pass NULL::{wanted}, or call the form without result_type for jsonb."
            )),
            NotAnArray { argument, given } => Description::new(
                ERRCODE_DATATYPE_MISMATCH,
                format!("{argument} must be an array, not {given}"),
            ),
            MissingRow { table, id, writing } => Description::new(
                if *writing {
                    ERRCODE_FOREIGN_KEY_VIOLATION
                } else {
                    ERRCODE_NO_DATA_FOUND
                },
                format!("{table} has no row with key {}", quote_literal(id)),
            ),
            NotAssociated {
                target,
                target_id,
                owner,
                owner_id,
            } => Description::new(
                ERRCODE_NO_DATA_FOUND,
                format!(
                    "{target} {} is not associated with {owner} {}",
                    quote_literal(target_id),
                    quote_literal(owner_id)
                ),
            ),
            BadJson { argument, reason } => Description::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!("{argument} {reason}"),
            ),
            UnknownColumn { table, column } => Description::new(
                ERRCODE_UNDEFINED_COLUMN,
                format!("column {} of {table} does not exist", quote_literal(column)),
            ),
            TooDeep { depth, limit } => Description::new(
                ERRCODE_STATEMENT_TOO_COMPLEX,
                format!("filter is nested {depth} levels deep, more than the {limit} habtm reads"),
            ),
            UnknownOperator { operator } => Description::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!("unknown filter operator {}", quote_literal(operator)),
            )
            .hint(
                "Operators: eq, neq, gt, gte, lt, lte, inq, nin, between, like, nlike, ilike, \
                 nilike; and, or.",
            ),
            NoComparison {
                type_name,
                comparison,
            } => Description::new(
                ERRCODE_UNDEFINED_FUNCTION,
                format!("type {type_name} has no {comparison} operator to compare its values with"),
            )
            .hint(
                "habtm compares with the operators of the type's default btree operator class; \
                 cast the column in a view, or filter on another column.",
            ),
            Unorderable { type_name } => Description::new(
                ERRCODE_UNDEFINED_FUNCTION,
                format!(
                    "type {type_name} has no default btree order, so its values cannot form a \
                     sorted id array",
                ),
            ),
            BadIdArray { what, reason } => Description::new(
                if reason.contains("NULL") {
                    ERRCODE_NULL_VALUE_NOT_ALLOWED
                } else {
                    ERRCODE_ARRAY_ELEMENT_ERROR
                },
                format!("id array {what} {reason}"),
            ),
            ArrayColumnType {
                table,
                column,
                given,
                wanted,
            } => Description::new(
                ERRCODE_DATATYPE_MISMATCH,
                format!("column {column} of {table} is of type {given}, not an id array"),
            )
            .detail(format!(
                "The ids of this association are kept in a column of type {wanted}."
            )),
            AlreadyDenormalized {
                table,
                column,
                existing,
            } => Description::new(
                ERRCODE_DUPLICATE_OBJECT,
                format!("{table} already keeps these ids in column {existing}"),
            )
            .hint(format!(
                "Call habtm.normalize first to keep them in {column} instead."
            )),
            NotOwner { table } => Description::new(
                ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("must be owner of table {table}"),
            ),
            BadWrites { given } => Description::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!(
                    "writes must be 'reject' or 'links', not {}",
                    quote_literal(given)
                ),
            )
            .detail(
                "'reject' keeps the arrays read-only mirrors of the links; 'links' makes a write \
                 of an array a write of its links.",
            ),
            ReadOnlyArray {
                column,
                array,
                inserting,
            } => Description::new(
                ERRCODE_GENERATED_ALWAYS,
                format!("column {column} is a read-only mirror of its association's links"),
            )
            .detail(if *inserting {
                "A row inserted with ids must hold exactly the links the join table has when the \
                 transaction commits (as in a data-only restore in one transaction); a new row \
                 otherwise starts with '{}'."
            } else {
                "A statement may set it only to the ids it holds (in any order): this one would \
                 change them, as a stale copy written back would."
            })
            .hint(format!(
                "Change links with habtm.add, habtm.remove or habtm.replace, or let writes of \
                 {array} change them with habtm.denormalize(..., writes => 'links')."
            )),
            RowSecurity { table, array } => Description::new(
                ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("row-level security on {table} keeps habtm from maintaining {array}"),
            )
            .detail(
                "habtm writes as the current role, and a policy that hides rows would leave \
                 arrays stale without an error.",
            )
            .hint(
                "Run the statement as the table's owner or a role with BYPASSRLS, or disable \
                 row-level security on the table.",
            ),
            RowsSkipped {
                action,
                expected,
                done,
            } => Description::new(
                ERRCODE_TRIGGERED_ACTION_EXCEPTION,
                format!("habtm could not {action}: {done} of {expected} rows written"),
            )
            .detail(
                "A BEFORE trigger, rule or policy skipped rows; the arrays would no longer match \
                 the join table.",
            ),
            Spi(e) => Description::new(
                ERRCODE_INTERNAL_ERROR,
                format!("internal error in habtm: {e}"),
            ),
        }
    }

    fn function(&self) -> &'static str {
        match self {
            HabtmError::InvalidName { function, .. }
            | HabtmError::NullArgument { function, .. } => function,
            _ => "habtm",
        }
    }

    /// Raises the error as a PostgreSQL `ERROR` with its SQLSTATE, message, detail, hint and the
    /// caller's location. Does not return: PostgreSQL aborts the statement.
    #[track_caller]
    pub fn raise(self) -> ! {
        let Description {
            sqlstate,
            message,
            detail,
            hint,
        } = self.describe();
        let mut report = ErrorReport::new(sqlstate, message, self.function());
        if let Some(detail) = detail {
            report = report.set_detail(detail);
        }
        if let Some(hint) = hint {
            report = report.set_hint(hint);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("an ERROR report does not return")
    }
}

/// A required argument: NULL is 22004, naming the function and the argument.
pub fn required<T>(function: &'static str, argument: &'static str, value: Option<T>) -> Result<T> {
    value.ok_or(HabtmError::NullArgument { function, argument })
}

/// Unwraps a result at the SQL edge, raising the error.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T> {
    #[track_caller]
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| e.raise())
    }
}

/// A value quoted as an SQL literal, for messages (`'it''s'`).
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One value of every variant, with every branch of a conditional SQLSTATE, message, detail
    /// or hint; fields as habtm's callers fill them, with a quote where a field is quoted.
    fn every_error() -> Vec<HabtmError> {
        use HabtmError::*;
        let s = |s: &str| s.to_owned();
        let blocking = |nulls, orphans, duplicate_pairs| BlockingRows {
            table: s("users_roles"),
            nulls,
            orphans,
            duplicate_pairs,
        };
        vec![
            InvalidName {
                function: "habtm.foreign_key",
                argument: "table",
                error: habtm_naming::NameError::NoTablePart(s("it's.")),
            },
            NullArgument {
                function: "habtm.create_join_table",
                argument: "a",
            },
            NoSuchRelation {
                argument: "a",
                oid: 12345,
            },
            NotATable {
                argument: "a",
                relation: s("user_view"),
                kind: "a view",
            },
            Partitioned {
                argument: "b",
                relation: s("events"),
            },
            NoSingleKey {
                argument: "a",
                relation: s("logs"),
                key_columns: vec![],
            },
            NoSingleKey {
                argument: "a",
                relation: s("memberships"),
                key_columns: vec![s("org_id"), s("user_id")],
            },
            TemporaryTable {
                argument: "a",
                relation: s("pg_temp_3.scratch"),
            },
            NameTooLong {
                argument: "table_name",
                name: "x".repeat(64),
            },
            EmptyName {
                argument: "a_column",
            },
            NoSuchSchema {
                argument: "table_name",
                schema: s("it's"),
            },
            SameColumnNames {
                column: s("user_id"),
                self_association: true,
            },
            SameColumnNames {
                column: s("user_id"),
                self_association: false,
            },
            SameRelationNames {
                relation: s("users"),
            },
            TableExists {
                table: s("roles_users"),
                registered: true,
            },
            TableExists {
                table: s("roles_users"),
                registered: false,
            },
            RelationTaken {
                owner: s("users"),
                relation: s("roles"),
            },
            NotRegistered { table: s("roles") },
            AlreadyRegistered {
                table: s("roles_users"),
            },
            SidesUnknown {
                table: s("roles_users"),
            },
            NoSuchColumn {
                argument: "a_column",
                table: s("roles_users"),
                column: s("it's"),
            },
            blocking(1, 2, 3),
            blocking(1, 0, 3),
            blocking(1, 0, 0),
            UnknownRelation {
                owner: s("users"),
                relation: s("rolez"),
                existing: Some(s("roles, groups")),
            },
            UnknownRelation {
                owner: s("users"),
                relation: s("roles"),
                existing: None,
            },
            WrongKeyType {
                argument: "id",
                given: s("text"),
                key: s("bigint"),
                table: s("users"),
            },
            WrongResultType {
                given: s("users"),
                wanted: s("roles"),
                what: "rows",
                table: s("roles"),
            },
            NotAnArray {
                argument: "targets",
                given: s("bigint"),
            },
            MissingRow {
                table: s("users"),
                id: s("it's"),
                writing: true,
            },
            MissingRow {
                table: s("users"),
                id: s("42"),
                writing: false,
            },
            NotAssociated {
                target: s("roles"),
                target_id: s("7"),
                owner: s("users"),
                owner_id: s("42"),
            },
            BadJson {
                argument: "attributes",
                reason: s("must be a JSON object of column names and values"),
            },
            UnknownColumn {
                table: s("roles"),
                column: s("it's"),
            },
            TooDeep {
                depth: 101,
                limit: 100,
            },
            UnknownOperator {
                operator: s("regexp"),
            },
            NoComparison {
                type_name: s("json"),
                comparison: "<",
            },
            Unorderable {
                type_name: s("point"),
            },
            BadIdArray {
                what: s("role_ids"),
                reason: "contains NULL",
            },
            BadIdArray {
                what: s("targets"),
                reason: "is multidimensional",
            },
            ArrayColumnType {
                table: s("users"),
                column: s("role_ids"),
                given: s("text[]"),
                wanted: s("bigint[]"),
            },
            AlreadyDenormalized {
                table: s("users"),
                column: s("role_ids"),
                existing: s("roles_ids"),
            },
            NotOwner { table: s("users") },
            BadWrites { given: s("it's") },
            ReadOnlyArray {
                column: s("role_ids"),
                array: s("users.role_ids"),
                inserting: true,
            },
            ReadOnlyArray {
                column: s("role_ids"),
                array: s("users.role_ids"),
                inserting: false,
            },
            RowSecurity {
                table: s("users"),
                array: s("users.role_ids"),
            },
            RowsSkipped {
                action: s("update users.role_ids"),
                expected: 3,
                done: 2,
            },
            Spi(SpiError::InvalidPosition),
        ]
    }

    /// The five characters of a SQLSTATE (PostgreSQL packs them six bits each).
    fn sqlstate_text(code: PgSqlErrorCode) -> String {
        let packed = code as isize;
        (0..5)
            .map(|i| char::from(b'0' + ((packed >> (6 * i)) & 0x3F) as u8))
            .collect()
    }

    /// Every error a user can see, as `src/error_messages.golden` lists them.
    fn listing() -> String {
        let mut out = String::new();
        for e in every_error() {
            let Description {
                sqlstate,
                message,
                detail,
                hint,
            } = e.describe();
            let variant = format!("{e:?}");
            let variant = variant.split([' ', '(']).next().unwrap_or_default();
            out += &format!("{variant}\n");
            out += &format!("  sqlstate  {} {sqlstate:?}\n", sqlstate_text(sqlstate));
            out += &format!("  function  {}\n", e.function());
            out += &format!("  message   {message}\n");
            if let Some(detail) = detail {
                out += &format!("  detail    {detail}\n");
            }
            if let Some(hint) = hint {
                out += &format!("  hint      {hint}\n");
            }
            out += "\n";
        }
        out
    }

    /// The golden listing of every error: a change of any SQLSTATE, message, detail or hint shows
    /// here as a diff. After a deliberate change, regenerate the file with
    /// `HABTM_BLESS=1 cargo test -p habtm --lib error::tests` and read the diff.
    #[test]
    fn every_error_matches_the_golden_listing() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/error_messages.golden");
        let listing = listing();
        if std::env::var_os("HABTM_BLESS").is_some() {
            std::fs::write(path, &listing).expect("write the golden listing");
        }
        let golden = std::fs::read_to_string(path).expect("read the golden listing");
        // line by line, so that a failure names the first line that differs
        for (n, (new, old)) in listing.lines().zip(golden.lines()).enumerate() {
            assert_eq!(
                new,
                old,
                "line {} of {path} (HABTM_BLESS=1 rewrites it)",
                n + 1
            );
        }
        assert_eq!(listing, golden, "{path} (HABTM_BLESS=1 rewrites it)");
    }
}
