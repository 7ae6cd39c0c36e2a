//! What every association function shares: the association looked up (kept per backend,
//! `catalog`), the arguments checked, the statement templates filled in.

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::{quote_literal, SpiClient};

use crate::catalog::{self, Direction};
use crate::error::{HabtmError, OrRaise, Result};
use crate::pg::operators::type_name;
use crate::pg::plans::{self, PlanMode};
use crate::pg::polymorphic::AnyValue;
use crate::pg::regclass::RegClass;

impl Direction {
    /// The owner table's name for messages.
    pub(super) fn owner_shown(&self) -> String {
        RegClass(self.owner().table).shown()
    }

    /// The target table's name for messages.
    pub(super) fn target_shown(&self) -> String {
        RegClass(self.target().table).shown()
    }

    /// Fills a statement template in one pass (a name that itself contains `{oc}` stays as it
    /// is): `{j}` join table, `{oc}`/`{tc}` its owner/target columns, `{owner}`/`{target}` the
    /// tables, `{ok}`/`{tk}` their keys, `{id}` = `$1` as the owner key's type, `{targets}` =
    /// `$2` as an array of the target key's type, `{target_id}` = `$2` as the target key's type,
    /// `{oeq}`/`{teq}` the owner/target key type's own `=`.
    pub fn render(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 128);
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start..];
            let end = after.find('}').map_or(after.len(), |e| e + 1);
            let value = match &after[..end] {
                "{j}" => self.join_sql().to_owned(),
                "{oc}" => self.owner_sql().join_column_sql.clone(),
                "{tc}" => self.target_sql().join_column_sql.clone(),
                "{owner}" => self.owner_sql().table_sql.clone(),
                "{target}" => self.target_sql().table_sql.clone(),
                "{ok}" => self.owner_sql().key_sql.clone(),
                "{tk}" => self.target_sql().key_sql.clone(),
                "{id}" => self.owner_param(1),
                "{targets}" => self.targets_param(2),
                "{target_id}" => self.target_param(2),
                "{oeq}" => self.owner_sql().eq_sql.clone(),
                "{teq}" => self.target_sql().eq_sql.clone(),
                other => other.to_owned(), // not a placeholder: `'{}'`, JSON, …
            };
            out.push_str(&value);
            rest = &after[end..];
        }
        out.push_str(rest);
        out
    }

    /// Fills `{links}` in a reader's template: the join table, or, when row-level security
    /// applies to the target table for the current role, only the links whose target row the
    /// role can see, so that `count`, `ids` and `exists` agree with `collection` and `find`
    /// (which read the target rows). Checked per call: it depends on the role and on
    /// `row_security`.
    pub(super) fn visible_links(&self, template: &str) -> String {
        // SAFETY: a syscache lookup of the association's target table, which exists.
        let rls =
            unsafe { pg_sys::check_enable_rls(self.target().table, pg_sys::InvalidOid, true) };
        let links = if rls == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32 {
            "(SELECT v.{oc}, v.{tc} FROM {j} v
               WHERE EXISTS (SELECT FROM {target} t WHERE t.{tk} {teq} v.{tc})) AS visible"
        } else {
            "{j}"
        };
        self.render(&template.replace("{links}", links))
    }

    /// `CAST($n AS <owner key type>)`.
    pub fn owner_param(&self, n: usize) -> String {
        format!("CAST(${n} AS {})", self.owner_sql().key_type_sql)
    }

    /// `CAST($n AS <target key type>)`.
    pub(super) fn target_param(&self, n: usize) -> String {
        format!("CAST(${n} AS {})", self.target_sql().key_type_sql)
    }

    /// `CAST($n AS <target key type>[])`.
    pub(super) fn targets_param(&self, n: usize) -> String {
        format!("CAST(${n} AS {}[])", self.target_sql().key_type_sql)
    }
}

/// Ids are accepted in the key's type, in a type with an implicit cast to it (`int` for a
/// `bigint` key), as another integer type (`bigint` for an `int` key; out-of-range values fail),
/// or as text read by the key type's input function (an untyped literal such as `'bob'` or
/// `'{1,2}'`). Anything else (`1.5` for an `int` key) is a wrong key type; `targets` must be an
/// array or such a literal.
pub(super) fn check_type(
    client: &mut SpiClient<'_>,
    given: pg_sys::Oid,
    key: pg_sys::Oid,
    array: bool,
    argument: &'static str,
    table: RegClass,
) -> Result<()> {
    if given == key && !array {
        return Ok(());
    }
    // Accepted combinations are remembered for the backend: the answer depends only on the types
    // and casts, which do not change under a running application (and a cast dropped later
    // only means PostgreSQL's own cast error instead of ours).
    thread_local! {
        static ACCEPTED: std::cell::RefCell<std::collections::HashSet<(pg_sys::Oid, pg_sys::Oid, bool)>> =
            std::cell::RefCell::new(std::collections::HashSet::new());
    }
    if ACCEPTED.with(|a| a.borrow().contains(&(given, key, array))) {
        return Ok(());
    }
    let remember = || ACCEPTED.with(|a| a.borrow_mut().insert((given, key, array)));
    let row = plans::run(
        client,
            "SELECT t.oid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.text'::pg_catalog.regtype,
                              'pg_catalog.varchar'::pg_catalog.regtype, 'pg_catalog.name'::pg_catalog.regtype]::pg_catalog.oid[]),
                    t.typcategory OPERATOR(pg_catalog.=) 'A',
                    (SELECT CASE WHEN e.typtype OPERATOR(pg_catalog.=) 'd' THEN e.typbasetype ELSE e.oid END
                              OPERATOR(pg_catalog.=) CASE WHEN k.typtype OPERATOR(pg_catalog.=) 'd' THEN k.typbasetype ELSE k.oid END
                            OR EXISTS (SELECT FROM pg_catalog.pg_cast c
                                        WHERE c.castsource OPERATOR(pg_catalog.=) CASE WHEN e.typtype OPERATOR(pg_catalog.=) 'd' THEN e.typbasetype ELSE e.oid END
                                          AND c.casttarget OPERATOR(pg_catalog.=) CASE WHEN k.typtype OPERATOR(pg_catalog.=) 'd' THEN k.typbasetype ELSE k.oid END
                                          AND (c.castcontext OPERATOR(pg_catalog.=) 'i'
                                               OR (c.castcontext OPERATOR(pg_catalog.=) 'a'
                                                   AND c.castsource OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.int2'::pg_catalog.regtype,
                                                                        'pg_catalog.int4'::pg_catalog.regtype,
                                                                        'pg_catalog.int8'::pg_catalog.regtype]::pg_catalog.oid[]))))
                       FROM pg_catalog.pg_type e, pg_catalog.pg_type k
                      WHERE e.oid OPERATOR(pg_catalog.=) CASE WHEN $3 THEN t.typelem ELSE t.oid END
                        AND k.oid OPERATOR(pg_catalog.=) $2),
                    pg_catalog.format_type($1, NULL), pg_catalog.format_type($2, NULL)
               FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) $1",
        &[given.into(), key.into(), array.into()],
        false,
    )?
    .first();
    let flag = |i| -> Result<bool> { Ok(row.get::<bool>(i)?.unwrap_or(false)) };
    let (text_input, is_array, compatible) = (flag(1)?, flag(2)?, flag(3)?);
    if text_input {
        remember();
        return Ok(());
    }
    let given = row.get::<String>(4)?.unwrap_or_default();
    let key = row.get::<String>(5)?.unwrap_or_default();
    if array && !is_array {
        return Err(HabtmError::NotAnArray { argument, given });
    }
    if compatible {
        remember();
        return Ok(());
    }
    let given = if array {
        given.trim_end_matches("[]").to_owned()
    } else {
        given
    };
    Err(HabtmError::WrongKeyType {
        argument,
        given,
        key,
        table: table.shown(),
    })
}

/// Checks the types of a call's arguments (remembered per backend once accepted).
fn check_types(
    client: &mut SpiClient<'_>,
    a: &Direction,
    id: &AnyValue,
    targets: Option<&AnyValue>,
) -> Result<()> {
    check_type(
        client,
        id.type_oid(),
        a.owner().join_type,
        false,
        "id",
        RegClass(a.owner().table),
    )?;
    if let Some(t) = targets {
        check_type(
            client,
            t.type_oid(),
            a.target().join_type,
            true,
            "targets",
            RegClass(a.target().table),
        )?;
    }
    Ok(())
}

/// `true` when no element of the targets (`$2`) is NULL; NULL when they are multidimensional
/// (2202E, as for id arrays; array_position would say 0A000).
fn targets_sound(a: &Direction) -> String {
    format!(
        "CASE WHEN pg_catalog.array_ndims({t}) OPERATOR(pg_catalog.>) 1 THEN NULL
              ELSE pg_catalog.array_position({t}, NULL) IS NULL END",
        t = a.targets_param(2)
    )
}

/// The owner's writer lock, a `void` expression. Writers of one owner's links take turns (until
/// their transaction ends): `replace` deletes and then inserts, and two such statements on one
/// owner could otherwise each wait for a row the other has written (a deadlock). Readers and
/// other owners are not held up.
fn writer_lock(a: &Direction) -> String {
    format!(
        "pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended({} OPERATOR(pg_catalog.||) CAST($1 AS pg_catalog.text), 0))",
        quote_literal(format!("habtm {} {} ", a.association.join.to_u32(), a.owner_sql().join_column_sql))
    )
}

/// Whether the owner row exists, as the role sees it.
fn owner_found(a: &Direction) -> String {
    format!(
        "EXISTS (SELECT FROM {owner} o WHERE o.{key} {eq} {id})",
        owner = a.owner_sql().table_sql,
        key = a.owner_sql().key_sql,
        eq = a.owner_sql().eq_sql,
        id = a.owner_param(1),
    )
}

/// The checks of a call's values, as a statement's select list: `owner_found` (the owner row
/// exists, as the role sees it), `bad_targets` (an element is NULL; NULL when `targets` is
/// multidimensional), `id_text`, and for writers the owner's writer lock. `$1` is the id, `$2`
/// the targets when `targets`.
fn checks(a: &Direction, targets: bool, writing: bool) -> String {
    let bad_targets = if targets {
        format!("NOT {}", targets_sound(a))
    } else {
        "false".into()
    };
    let lock = if writing {
        format!(", {}", writer_lock(a))
    } else {
        String::new()
    };
    format!(
        "{found} AS owner_found, {bad_targets} AS bad_targets,
         CAST($1 AS pg_catalog.text) AS id_text{lock}",
        found = owner_found(a),
    )
}

/// What [`checks`] found, as the call's error if there is one. `id_text` is read only then.
fn verdict(
    a: &Direction,
    owner_found: Option<bool>,
    bad_targets: Option<bool>,
    id_text: impl FnOnce() -> Result<Option<String>>,
    targets: bool,
    writing: bool,
) -> Result<()> {
    if targets && bad_targets.is_none() {
        return Err(HabtmError::BadIdArray {
            what: "targets".into(),
            reason: "is multidimensional",
        });
    }
    if bad_targets.unwrap_or(false) {
        return Err(HabtmError::NullArgument {
            function: "habtm",
            argument: "an element of targets",
        });
    }
    if !owner_found.unwrap_or(false) {
        return Err(HabtmError::MissingRow {
            table: a.owner_shown(),
            id: id_text()?.unwrap_or_default(),
            writing,
        });
    }
    Ok(())
}

/// Checks the arguments of a call: types, NULL elements, and that the owner row exists; takes
/// the owner's writer lock for writers.
pub(super) fn check_call(
    client: &mut SpiClient<'_>,
    a: &Direction,
    id: &AnyValue,
    targets: Option<&AnyValue>,
    writing: bool,
) -> Result<()> {
    check_types(client, a, id, targets)?;
    let mut args: Vec<DatumWithOid> = vec![id.param()];
    args.extend(targets.map(AnyValue::param));
    let sql = format!("SELECT {}", checks(a, targets.is_some(), writing));
    let row = plans::run(client, &sql, &args, false)?.first();
    verdict(
        a,
        row.get::<bool>(1)?,
        row.get::<bool>(2)?,
        || Ok(row.get::<String>(3)?),
        targets.is_some(),
        writing,
    )
}

/// A required argument of an association function.
pub(super) fn required<T>(argument: &'static str, value: Option<T>) -> Result<T> {
    crate::error::required("habtm", argument, value)
}

/// Looks up the association and checks the call; runs `body` with what it needs. `targets` is
/// `None` for functions without one, `Some(None)` for a NULL the function refuses.
pub(super) fn with_association<R>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<Option<AnyValue>>,
    writing: bool,
    body: impl FnOnce(&mut SpiClient<'_>, &Direction, &AnyValue, Option<&AnyValue>) -> Result<R>,
) -> Result<R> {
    let owner = required("owner", owner)?;
    let relation = required("relation", relation)?;
    let id = required("id", id)?;
    let targets = match targets {
        Some(t) => Some(required("targets", t)?),
        None => None,
    };
    Spi::connect_mut(|client| {
        let a = catalog::by_name(client, owner, relation)?;
        check_call(client, &a, &id, targets.as_ref(), writing)?;
        body(client, &a, &id, targets.as_ref())
    })
}

/// A reader of one target (`exists`, `find`), in one statement with its check: `columns`
/// (see [`Direction::render`]; `$1` the id, `$2` the target) are selected after the owner row's
/// check, and `read` gets the row, those columns from 3. The arguments are checked first, and
/// the errors come in the order of [`with_association`]'s.
pub(super) fn with_target<R>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    target: Option<AnyValue>,
    columns: impl FnOnce(&Direction) -> String,
    read: impl FnOnce(&Direction, pgrx::spi::SpiTupleTable<'_>) -> Result<R>,
) -> R {
    let run = || -> Result<R> {
        let target = required("target", target)?;
        let owner = required("owner", owner)?;
        let relation = required("relation", relation)?;
        let id = required("id", id)?;
        Spi::connect_mut(|client| {
            let a = catalog::by_name(client, owner, relation)?;
            check_types(client, &a, &id, None)?;
            if let Err(wrong) = check_type(
                client,
                target.type_oid(),
                a.target().join_type,
                false,
                "target",
                RegClass(a.target().table),
            ) {
                // a missing owner row is reported first, as by every other function
                check_call(client, &a, &id, None, false)?;
                return Err(wrong);
            }
            // The owner's check and the reader's columns in one statement, its plan kept: the
            // target is given by its whole pair key (a one-row probe whatever the statistics).
            let sql = format!(
                "SELECT {found}, CAST($1 AS pg_catalog.text), {columns}",
                found = owner_found(&a),
                columns = columns(&a),
            );
            let row = plans::run(client, &sql, &[id.param(), target.param()], false)?.first();
            verdict(
                &a,
                row.get::<bool>(1)?,
                Some(false),
                || Ok(row.get::<String>(2)?),
                false,
                false,
            )?;
            read(&a, row)
        })
    };
    run().or_raise()
}

/// The statement of a call whose result is one bigint (see [`counted`]): a template (see
/// [`Direction::render`]) with `$1` the id, `$2` the targets when given, and `{links}` (see
/// [`Direction::visible_links`]).
#[derive(Clone, Copy)]
pub(super) struct Counted {
    /// An `INSERT` or `DELETE` without `RETURNING` (the result is the rows it wrote), or, for a
    /// reader, a `SELECT` of one `bigint`.
    pub sql: &'static str,
    pub writes: bool,
    pub mode: PlanMode,
}

impl Counted {
    /// `sql` rendered.
    fn render(&self, a: &Direction) -> String {
        a.visible_links(self.sql)
    }
}

/// A call whose result is one bigint: [`check_call`] (types, NULL elements, the owner row, and
/// for writers the owner's lock, taken before any other lock, as by every writer), then the
/// statement. When `targets` is one single-element array, `one` is used if given: a statement
/// on one whole pair key, whose plan no statistics change. (The checks folded into the
/// statement saved a statement a call, but took the owner's lock after the join table's
/// statement trigger had taken the association's: the reverse of every other writer's order,
/// which deadlocked with `replace` in tests/concurrency.)
pub(super) fn counted(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<Option<AnyValue>>,
    writing: bool,
    many: Counted,
    one: Option<Counted>,
) -> i64 {
    let single = matches!(targets, Some(Some(t)) if t.is_single_element_array());
    let statement = match one {
        Some(one) if single => one,
        _ => many,
    };
    with_association(
        owner,
        relation,
        id,
        targets,
        writing,
        |client, a, id, targets| {
            let mut args = vec![id.param()];
            args.extend(targets.map(AnyValue::param));
            let sql = statement.render(a);
            Ok(if statement.writes {
                plans::processed(client, &sql, &args, statement.mode)? as i64
            } else {
                plans::count(client, &sql, &args, false, statement.mode)?
            })
        },
    )
    .or_raise()
}

/// What a reader returns: rows (or ids) as `jsonb`, or, in the typed forms, in the type their
/// `result_type` argument names, which must be the type they really have.
#[derive(Clone, Copy)]
pub(super) enum Form {
    Json,
    Typed(pg_sys::Oid),
}

impl Form {
    /// The row of table alias `alias` as one value.
    pub(super) fn row(self, alias: &str) -> String {
        match self {
            Form::Json => format!("pg_catalog.to_jsonb({alias})"),
            Form::Typed(_) => alias.to_owned(),
        }
    }

    /// The row of table alias `alias` as the columns of a result set: the value itself, or
    /// the table's columns.
    pub(super) fn columns(self, alias: &str) -> String {
        match self {
            Form::Json => self.row(alias),
            Form::Typed(_) => format!("{alias}.*"),
        }
    }

    /// Checks a typed form's `result_type` against `wanted`, the type of the `what` ("rows",
    /// "ids") of `table`.
    pub(super) fn check(
        self,
        wanted: pg_sys::Oid,
        what: &'static str,
        table: RegClass,
    ) -> Result<()> {
        match self {
            Form::Typed(given) if given != wanted => Err(HabtmError::WrongResultType {
                given: type_name(given),
                wanted: type_name(wanted),
                what,
                table: table.shown(),
            }),
            _ => Ok(()),
        }
    }

    /// Checks the form for rows of the table `oid`.
    pub(super) fn check_rows(self, oid: pg_sys::Oid) -> Result<()> {
        // SAFETY: a plain syscache lookup; the association's tables exist (the catalog's
        // regclass columns keep them).
        let row_type = unsafe { pg_sys::get_rel_type_id(oid) };
        self.check(row_type, "rows", RegClass(oid))
    }
}
