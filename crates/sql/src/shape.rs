//! An association's names as generated SQL spells them.

/// A join table and its two sides, every name quoted and qualified so that it means the same
/// under any `search_path`: tables as `schema.table`, types as `schema.type`, operators as
/// `OPERATOR(schema.=)`. `sides[0]` is the catalog's `a`, `sides[1]` its `b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The join table, `schema.table`.
    pub join_sql: String,
    pub sides: [SideShape; 2],
    /// Both sides are one table (a self-association: `users` ⇄ `users`).
    pub self_association: bool,
}

/// One side: a table, its key, and the join table's column that references it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideShape {
    /// The side table, `schema.table`.
    pub table_sql: String,
    /// Its key column, quoted.
    pub key_sql: String,
    /// The join table's column that references this side, quoted.
    pub join_column_sql: String,
    /// That column's type, qualified, with its type modifier (`pg_catalog.int8`,
    /// `pg_catalog."varchar"(20)`).
    pub key_type_sql: String,
    /// The key type's own equality, `OPERATOR(schema.=)`.
    pub eq_sql: String,
    /// The id array on this table holding the other side's ids, if it keeps one.
    pub array: Option<ArrayShape>,
}

/// An id array column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayShape {
    /// The column, quoted.
    pub sql: String,
    /// Its array type, qualified: `pg_catalog._int8`.
    pub type_sql: String,
    /// ` COLLATE schema.name` for a collatable element type, else empty.
    pub collate_sql: String,
}
