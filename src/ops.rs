//! SQL surface §3: working with an association, addressed as `(owner regclass, relation text)`.
//!
//! Every call is set-based: the association (read from the catalog once per backend), at most a
//! few checks, and one statement for the whole id array, whatever its length (Rails fires one
//! INSERT per record). Ids arrive in their own types (arguments declared `"any"`, see
//! `polymorphic.rs`). Functions run as the caller and, unlike the DDL functions, with the caller's
//! `search_path`: their statements fire the user's own triggers, which must see the path they
//! were written for. The SQL generated here is qualified throughout (`pg_catalog.` functions,
//! `OPERATOR(pg_catalog.=)`, schema-qualified tables and types), so it means the same under any
//! path; keys are compared with their type's own `=` (`operators.rs`). Identifiers come quoted
//! from the catalog, values travel as `$n` parameters.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::{quote_literal, SpiClient};

use crate::arrays::config::qualified_name;
use crate::error::{HabtmError, OrRaise, Result};
use crate::invalidation;
use crate::json::JsonArg;
use crate::operators::{self, qualified_type, type_name, Cmp};
use crate::plans::{self, PlanMode};
use crate::polymorphic::AnyValue;
use crate::query::Filter;
use crate::raw::{self, Kind, Materialized, Raw, RawJsonb, ResultType};
use crate::regclass::RegClass;

/// One direction of a registered association, with every name quoted for SQL and qualified,
/// so that it means the same under any `search_path` (it is kept per backend, see
/// [`Association::find`]). Messages name tables as `regclass` prints them, in the caller's path
/// ([`RegClass::shown`]).
pub struct Association {
    relation: String,
    pub join_table: String,
    pub join_oid: pg_sys::Oid,
    pub owner: String,
    owner_oid: pg_sys::Oid,
    pub target: String,
    target_oid: pg_sys::Oid,
    pub owner_column: String,
    pub target_column: String,
    pub owner_key: String,
    pub target_key: String,
    owner_type: pg_sys::Oid,
    pub owner_type_sql: String,
    target_type: pg_sys::Oid,
    pub target_type_sql: String,
    /// The key types' own equality (`OPERATOR(schema.=)`), see `operators.rs`.
    owner_eq: String,
    target_eq: String,
}

/// Associations already read, by owner.
type Kept = HashMap<pg_sys::Oid, Vec<Rc<Association>>>;

thread_local! {
    /// What this backend keeps, and the invalidation count it was read at.
    static ASSOCIATIONS: RefCell<(u64, Kept)> = RefCell::new((0, Kept::new()));
}

impl Association {
    /// `(owner, relation)` from the catalog, or an error that lists the relations that exist.
    /// Kept per backend until PostgreSQL announces a change that could alter it (a catalog row,
    /// a rename, a column's type; see `invalidation.rs`), so a call costs one hash lookup here
    /// instead of a catalog query.
    pub fn find(
        client: &mut SpiClient<'_>,
        owner: RegClass,
        relation: &str,
    ) -> Result<Rc<Association>> {
        let now = invalidation::current_generation();
        let hit = ASSOCIATIONS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.0 != now {
                *cache = (now, Kept::new());
            }
            cache
                .1
                .get(&owner.0)
                .and_then(|list| list.iter().find(|a| a.relation == relation).cloned())
        });
        if let Some(a) = hit {
            return Ok(a);
        }
        let a = Rc::new(Self::load(client, owner, relation)?);
        // Kept only when nothing was announced while it was read (the cache is then still the
        // one stamped `now` above).
        if invalidation::generation() == now {
            ASSOCIATIONS.with(|cache| {
                let mut cache = cache.borrow_mut();
                cache.1.entry(owner.0).or_default().push(Rc::clone(&a));
            });
        }
        Ok(a)
    }

    fn load(client: &mut SpiClient<'_>, owner: RegClass, relation: &str) -> Result<Association> {
        let sql = format!(
            "SELECT {join_table}, {owner}, {target},
                    pg_catalog.quote_ident(a.owner_column), pg_catalog.quote_ident(a.target_column),
                    pg_catalog.quote_ident(a.owner_key), pg_catalog.quote_ident(a.target_key),
                    oc.atttypid, oc.atttypmod, tc.atttypid, tc.atttypmod,
                    a.join_table::pg_catalog.oid, a.owner::pg_catalog.oid, a.target::pg_catalog.oid
               FROM habtm.associations a
               JOIN pg_catalog.pg_attribute oc ON oc.attrelid OPERATOR(pg_catalog.=) a.join_table
                AND oc.attname OPERATOR(pg_catalog.=) a.owner_column
               JOIN pg_catalog.pg_attribute tc ON tc.attrelid OPERATOR(pg_catalog.=) a.join_table
                AND tc.attname OPERATOR(pg_catalog.=) a.target_column
              WHERE a.owner OPERATOR(pg_catalog.=) $1 AND a.relation OPERATOR(pg_catalog.=) $2",
            join_table = qualified_name("a.join_table"),
            owner = qualified_name("a.owner"),
            target = qualified_name("a.target"),
        );
        let row = plans::run(client, &sql, &[owner.into(), relation.into()], false)?.first();
        if row.is_empty() {
            return Err(unknown_relation(client, owner, relation)?);
        }
        let text = |i| -> Result<String> { Ok(row.get::<String>(i)?.unwrap_or_default()) };
        let oid = |i| -> Result<pg_sys::Oid> { Ok(row.get(i)?.unwrap_or(pg_sys::InvalidOid)) };
        let typmod = |i| -> Result<i32> { Ok(row.get(i)?.unwrap_or(-1)) };
        let (owner_type, target_type) = (oid(8)?, oid(10)?);
        Ok(Association {
            relation: relation.to_owned(),
            join_table: text(1)?,
            join_oid: oid(12)?,
            owner: text(2)?,
            owner_oid: oid(13)?,
            target: text(3)?,
            target_oid: oid(14)?,
            owner_column: text(4)?,
            target_column: text(5)?,
            owner_key: text(6)?,
            target_key: text(7)?,
            owner_type,
            owner_type_sql: qualified_type(owner_type, typmod(9)?),
            target_type,
            target_type_sql: qualified_type(target_type, typmod(11)?),
            owner_eq: operators::operator(owner_type, Cmp::Eq)?,
            target_eq: operators::operator(target_type, Cmp::Eq)?,
        })
    }

    /// The owner table's name for messages.
    fn owner_shown(&self) -> String {
        RegClass(self.owner_oid).shown()
    }

    /// The target table's name for messages.
    fn target_shown(&self) -> String {
        RegClass(self.target_oid).shown()
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
                "{j}" => self.join_table.clone(),
                "{oc}" => self.owner_column.clone(),
                "{tc}" => self.target_column.clone(),
                "{owner}" => self.owner.clone(),
                "{target}" => self.target.clone(),
                "{ok}" => self.owner_key.clone(),
                "{tk}" => self.target_key.clone(),
                "{id}" => self.owner_param(1),
                "{targets}" => self.targets_param(2),
                "{target_id}" => self.target_param(2),
                "{oeq}" => self.owner_eq.clone(),
                "{teq}" => self.target_eq.clone(),
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
    fn visible_links(&self, template: &str) -> String {
        // SAFETY: a syscache lookup of the association's target table, which exists.
        let rls = unsafe { pg_sys::check_enable_rls(self.target_oid, pg_sys::InvalidOid, true) };
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
        format!("CAST(${n} AS {})", self.owner_type_sql)
    }

    /// `CAST($n AS <target key type>)`.
    fn target_param(&self, n: usize) -> String {
        format!("CAST(${n} AS {})", self.target_type_sql)
    }

    /// `CAST($n AS <target key type>[])`.
    fn targets_param(&self, n: usize) -> String {
        format!("CAST(${n} AS {}[])", self.target_type_sql)
    }
}

/// The error for an unknown `(owner, relation)`, with the owner's relations as a hint.
fn unknown_relation(client: &SpiClient<'_>, owner: RegClass, relation: &str) -> Result<HabtmError> {
    let row = client
        .select(
            "SELECT $1::pg_catalog.regclass::pg_catalog.text,
                    (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(relation), ', ' ORDER BY relation)
                       FROM habtm.associations WHERE owner OPERATOR(pg_catalog.=) $1),
                    EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) $1)",
            Some(1),
            &[owner.into()],
        )?
        .first();
    if !row.get::<bool>(3)?.unwrap_or(false) {
        return Ok(HabtmError::NoSuchRelation {
            argument: "owner",
            oid: owner.0.to_u32(),
        });
    }
    Ok(HabtmError::UnknownRelation {
        owner: row.get::<String>(1)?.unwrap_or_default(),
        relation: relation.to_owned(),
        existing: row.get::<String>(2)?,
    })
}

/// Ids are accepted in the key's type, in a type with an implicit cast to it (`int` for a
/// `bigint` key), as another integer type (`bigint` for an `int` key; out-of-range values fail),
/// or as text read by the key type's input function (an untyped literal such as `'bob'` or
/// `'{1,2}'`). Anything else (`1.5` for an `int` key) is a wrong key type; `targets` must be an
/// array or such a literal.
fn check_type(
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

/// Checks the arguments of a call: types, NULL elements, and that the owner row exists.
fn check_call(
    client: &mut SpiClient<'_>,
    a: &Association,
    id: &AnyValue,
    targets: Option<&AnyValue>,
    writing: bool,
) -> Result<()> {
    check_type(
        client,
        id.type_oid(),
        a.owner_type,
        false,
        "id",
        RegClass(a.owner_oid),
    )?;
    if let Some(t) = targets {
        check_type(
            client,
            t.type_oid(),
            a.target_type,
            true,
            "targets",
            RegClass(a.target_oid),
        )?;
    }
    let mut args: Vec<DatumWithOid> = vec![id.param()];
    // NULL elements (22004), or NULL for a multidimensional array (2202E, as for id arrays;
    // array_position would say 0A000)
    let null_element = match targets {
        Some(t) => {
            args.push(t.param());
            format!(
                "CASE WHEN pg_catalog.array_ndims({t}) OPERATOR(pg_catalog.>) 1 THEN NULL
                      ELSE pg_catalog.array_position({t}, NULL) IS NOT NULL END",
                t = a.targets_param(2)
            )
        }
        None => "false".into(),
    };
    // Writers of one owner's links take turns (until their transaction ends): `replace` deletes
    // and then inserts, and two such statements on one owner could otherwise each wait for a row
    // the other has written (a deadlock). Readers and other owners are not held up.
    let lock = if writing {
        format!(
            ", pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended({} OPERATOR(pg_catalog.||) CAST($1 AS pg_catalog.text), 0))",
            quote_literal(format!("habtm {} {} ", a.join_oid.to_u32(), a.owner_column))
        )
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT EXISTS (SELECT FROM {owner} o WHERE o.{key} {eq} {id}), {null_element},
                CAST($1 AS pg_catalog.text){lock}",
        owner = a.owner,
        key = a.owner_key,
        eq = a.owner_eq,
        id = a.owner_param(1),
    );
    let row = plans::run(client, &sql, &args, false)?.first();
    let null_element = row.get::<bool>(2)?;
    if targets.is_some() && null_element.is_none() {
        return Err(HabtmError::BadIdArray {
            what: "targets".into(),
            reason: "is multidimensional",
        });
    }
    if null_element.unwrap_or(false) {
        return Err(HabtmError::NullArgument {
            function: "habtm",
            argument: "an element of targets",
        });
    }
    if !row.get::<bool>(1)?.unwrap_or(false) {
        return Err(HabtmError::MissingRow {
            table: a.owner_shown(),
            id: row.get::<String>(3)?.unwrap_or_default(),
            writing,
        });
    }
    Ok(())
}

/// A required argument of a §3 function.
fn required<T>(argument: &'static str, value: Option<T>) -> Result<T> {
    crate::error::required("habtm", argument, value)
}

/// Looks up the association and checks the call; runs `body` with what it needs. `targets` is
/// `None` for functions without one, `Some(None)` for a NULL the function refuses.
fn with_association<R>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<Option<AnyValue>>,
    writing: bool,
    body: impl FnOnce(&mut SpiClient<'_>, &Association, &AnyValue, Option<&AnyValue>) -> Result<R>,
) -> Result<R> {
    let owner = required("owner", owner)?;
    let relation = required("relation", relation)?;
    let id = required("id", id)?;
    let targets = match targets {
        Some(t) => Some(required("targets", t)?),
        None => None,
    };
    Spi::connect_mut(|client| {
        let a = Association::find(client, owner, relation)?;
        check_call(client, &a, &id, targets.as_ref(), writing)?;
        body(client, &a, &id, targets.as_ref())
    })
}

/// A reader of one target (`exists`, `find`): [`with_association`], and `target` checked too.
fn with_target<R>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    target: Option<AnyValue>,
    body: impl FnOnce(&mut SpiClient<'_>, &Association, &AnyValue, &AnyValue) -> Result<R>,
) -> R {
    let target = required("target", target).or_raise();
    with_association(owner, relation, id, None, false, |client, a, id, _| {
        check_type(
            client,
            target.type_oid(),
            a.target_type,
            false,
            "target",
            RegClass(a.target_oid),
        )?;
        body(client, a, id, &target)
    })
    .or_raise()
}

/// A call whose result is one bigint from one statement: `template` (see
/// [`Association::render`]) with `$1` the id and, when `targets` is given, `$2` the targets.
fn counted(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<Option<AnyValue>>,
    writing: bool,
    template: &str,
) -> i64 {
    with_association(
        owner,
        relation,
        id,
        targets,
        writing,
        |client, a, id, targets| {
            let mut args = vec![id.param()];
            args.extend(targets.map(AnyValue::param));
            plans::count(
                client,
                &a.visible_links(template),
                &args,
                writing,
                PlanMode::Generic,
            )
        },
    )
    .or_raise()
}

/// What a reader returns: rows (or ids) as `jsonb`, or, in the typed forms, in the type their
/// `result_type` argument names, which must be the type they really have.
#[derive(Clone, Copy)]
enum Form {
    Json,
    Typed(pg_sys::Oid),
}

impl Form {
    /// The row of table alias `alias` as one value.
    fn row(self, alias: &str) -> String {
        match self {
            Form::Json => format!("pg_catalog.to_jsonb({alias})"),
            Form::Typed(_) => alias.to_owned(),
        }
    }

    /// The row of table alias `alias` as the columns of a result set: the value itself, or
    /// the table's columns.
    fn columns(self, alias: &str) -> String {
        match self {
            Form::Json => self.row(alias),
            Form::Typed(_) => format!("{alias}.*"),
        }
    }

    /// Checks a typed form's `result_type` against `wanted`, the type of the `what` ("rows",
    /// "ids") of `table`.
    fn check(self, wanted: pg_sys::Oid, what: &'static str, table: RegClass) -> Result<()> {
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
    fn check_rows(self, oid: pg_sys::Oid) -> Result<()> {
        // SAFETY: a plain syscache lookup; the association's tables exist (the catalog's
        // regclass columns keep them).
        let row_type = unsafe { pg_sys::get_rel_type_id(oid) };
        self.check(row_type, "rows", RegClass(oid))
    }
}

/// Links `id` to each of `targets`; existing links and repeated ids are ignored. Returns the
/// number of links created. (Rails `<<`, LoopBack `add`.)
#[pg_extern(volatile, name = "add")]
fn add_links(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<AnyValue>,
) -> i64 {
    crate::pg_error::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            Some(targets),
            true,
            "WITH added AS (
            INSERT INTO {j} ({oc}, {tc})
            SELECT DISTINCT {id}, t FROM pg_catalog.unnest({targets}) AS t ORDER BY 2
            ON CONFLICT DO NOTHING RETURNING 1)
         SELECT pg_catalog.count(*) FROM added",
        )
    })
}

/// Unlinks `id` from each of `targets`; the rows themselves stay. Returns the links removed.
/// (Rails `delete`, LoopBack `remove`.)
#[pg_extern(volatile, name = "remove")]
fn remove_links(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<AnyValue>,
) -> i64 {
    crate::pg_error::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            Some(targets),
            true,
            "WITH removed AS (
            DELETE FROM {j} WHERE {oc} {oeq} {id}
              AND {tc} {teq} ANY ({targets}) RETURNING 1)
         SELECT pg_catalog.count(*) FROM removed",
        )
    })
}

/// Makes the set of `id`'s links exactly `targets`, by difference, in one statement. Returns
/// links added plus links removed. (Rails `collection=` / `ids=`.)
#[pg_extern(volatile, name = "replace")]
fn replace_links(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: Option<AnyValue>,
) -> i64 {
    crate::pg_error::keeping_errors(move || {
        with_association(
        owner,
        relation,
        id,
        Some(targets),
        true,
        |client, a, id, targets| {
            let args = vec![id.param(), targets.map(AnyValue::param).expect("targets")];
            lock_for_two_passes(a)?;
            plans::count(
                client,
                &a.render(
                    "WITH removed AS (
                        DELETE FROM {j} j WHERE j.{oc} {oeq} {id}
                          AND NOT EXISTS (SELECT FROM pg_catalog.unnest({targets}) AS w(t)
                                           WHERE w.t {teq} j.{tc})
                        RETURNING 1),
                     added AS (
                        INSERT INTO {j} ({oc}, {tc})
                        SELECT DISTINCT {id}, t FROM pg_catalog.unnest({targets}) AS t ORDER BY 2
                        ON CONFLICT DO NOTHING RETURNING 1)
                     SELECT (SELECT pg_catalog.count(*) FROM removed) + (SELECT pg_catalog.count(*) FROM added)",
                ),
                &args,
                true,
                PlanMode::Default,
            )
        },
    )
    .or_raise()
    })
}

/// `replace` deletes and inserts links in one statement, so a join table with id arrays gets two
/// trigger passes (one per event), each locking side rows in key order; two concurrent writers
/// could each hold rows of the other's pass. Locking those rows before the statement does not
/// help: its own inserts may then wait for another writer's uncommitted links while holding side
/// rows that writer's trigger needs (the concurrency test found both deadlocks). So `replace` on
/// an association with arrays takes the association's lock exclusively, before any row lock, and
/// runs alone among that association's writers.
fn lock_for_two_passes(a: &Association) -> Result<()> {
    if let Some(config) = crate::arrays::config::join_association(a.join_oid)? {
        crate::arrays::lock_association(&config, true);
    }
    Ok(())
}

/// Unlinks everything from `id`. Returns the links removed. (Rails `clear`.)
#[pg_extern(volatile, name = "clear")]
fn clear_links(owner: Option<RegClass>, relation: Option<&str>, id: Option<AnyValue>) -> i64 {
    crate::pg_error::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            None,
            true,
            "WITH removed AS (DELETE FROM {j} WHERE {oc} {oeq} {id} RETURNING 1)
         SELECT pg_catalog.count(*) FROM removed",
        )
    })
}

/// Deletes the associated target rows themselves — all of them, or those of `targets` that are
/// associated — with a real DELETE, so their own triggers and cascades run (the join rows go by
/// the foreign key's cascade, other owners' links too). Returns the rows deleted.
#[pg_extern(volatile, name = "destroy")]
fn destroy_targets(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    targets: default!(Option<AnyValue>, "NULL"),
) -> i64 {
    crate::pg_error::keeping_errors(move || {
        // NULL targets means all of them: only given targets go through the checks.
        with_association(
            owner,
            relation,
            id,
            targets.map(Some),
            true,
            |client, a, id, targets| {
                let (only, args) = match targets {
                    Some(t) => (
                        format!(
                            "AND t.{tk} {teq} ANY ({})",
                            a.targets_param(2),
                            tk = a.target_key,
                            teq = a.target_eq,
                        ),
                        vec![id.param(), t.param()],
                    ),
                    None => (String::new(), vec![id.param()]),
                };
                plans::count(
                    client,
                    &format!(
                        "WITH destroyed AS (
                    DELETE FROM {target} t WHERE t.{tk} {teq} ANY
                      (SELECT j.{tc} FROM {j} j WHERE j.{oc} {oeq} {id}) {only}
                    RETURNING 1)
                 SELECT pg_catalog.count(*) FROM destroyed",
                        target = a.target,
                        tk = a.target_key,
                        j = a.join_table,
                        oc = a.owner_column,
                        tc = a.target_column,
                        oeq = a.owner_eq,
                        teq = a.target_eq,
                        id = a.owner_param(1),
                    ),
                    &args,
                    true,
                    PlanMode::Default,
                )
            },
        )
        .or_raise()
    })
}

/// Inserts one target row from `attributes` (column defaults for the rest), links it to `id`,
/// and returns the new row. (Rails / LoopBack `create`.)
#[pg_extern(volatile, name = "create")]
fn create_target(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    attributes: Option<RawJsonb>,
) -> RawJsonb {
    crate::pg_error::keeping_errors(move || {
        let attributes = required("attributes", attributes).or_raise();
        with_association(owner, relation, id, None, true, move |client, a, id, _| {
            // The document itself goes to jsonb_populate_record unparsed, so every value reaches
            // its column exactly as given (numbers keep all their digits); only its keys are read.
            let keys = plans::run(
                client,
                "SELECT CASE WHEN pg_catalog.jsonb_typeof($1) OPERATOR(pg_catalog.=) 'object'
                         THEN ARRAY(SELECT pg_catalog.jsonb_object_keys($1)) END",
                &[attributes.into()],
                false,
            )?
            .first()
            .get::<Vec<String>>(1)?;
            let Some(keys) = keys else {
                return Err(HabtmError::BadJson {
                    argument: "attributes",
                    reason: "must be a JSON object of column names and values".into(),
                });
            };
            let columns = crate::query::columns_of(client, RegClass(a.target_oid))?;
            let mut names = Vec::with_capacity(keys.len());
            for key in keys {
                if !columns.contains_key(&key) {
                    return Err(HabtmError::UnknownColumn {
                        table: a.target_shown(),
                        column: key,
                    });
                }
                names.push(pgrx::spi::quote_identifier(&key));
            }
            let insert = if names.is_empty() {
                format!("INSERT INTO {} DEFAULT VALUES RETURNING *", a.target)
            } else {
                format!(
                    "INSERT INTO {target} ({list}) SELECT {values}
                   FROM pg_catalog.jsonb_populate_record(NULL::{target}, $2) r RETURNING *",
                    target = a.target,
                    list = names.join(", "),
                    values = names
                        .iter()
                        .map(|n| format!("r.{n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            };
            let sql = format!(
                "WITH created AS ({insert}), {rest}",
                rest = a.render(
                    "linked AS (INSERT INTO {j} ({oc}, {tc}) SELECT {id}, c.{tk} FROM created c)
                 SELECT CAST(c.{tk} AS pg_catalog.text) FROM created c",
                ),
            );
            let key = plans::run(client, &sql, &[id.param(), attributes.into()], true)?
                .first()
                .get::<String>(1)?;
            // Read after the statement: the join table's triggers have run by then, so the row
            // returned carries its id array as stored.
            let row = plans::run(
                client,
                &a.render(
                    "SELECT pg_catalog.to_jsonb(t) FROM {target} t
                  WHERE t.{tk} {teq} CAST(CAST($1 AS pg_catalog.text) AS {target_type})",
                )
                .replace("{target_type}", &a.target_type_sql),
                &[key.into()],
                false,
            )?
            .first();
            row.get::<RawJsonb>(1)?.ok_or(HabtmError::RowsSkipped {
                action: "read back the row it created".into(),
                expected: 1,
                done: 0,
            })
        })
        .or_raise()
    })
}

/// The number of targets linked to `id`. (Rails `size`.)
#[pg_extern(stable, name = "count")]
fn count_links(owner: Option<RegClass>, relation: Option<&str>, id: Option<AnyValue>) -> i64 {
    crate::pg_error::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            None,
            false,
            "SELECT pg_catalog.count(*) FROM {links} WHERE {oc} {oeq} {id}",
        )
    })
}

/// Whether `target` is linked to `id`. (Rails `exists?(id)`.)
#[pg_extern(stable, name = "exists")]
fn link_exists(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    target: Option<AnyValue>,
) -> bool {
    crate::pg_error::keeping_errors(move || {
        with_target(owner, relation, id, target, |client, a, id, target| {
            let row = plans::run(
                client,
                &a.visible_links(
                    "SELECT EXISTS (SELECT FROM {links} WHERE {oc} {oeq} {id}
                                       AND {tc} {teq} {target_id})",
                ),
                &[id.param(), target.param()],
                false,
            )?
            .first();
            Ok(row.get::<bool>(1)?.unwrap_or(false))
        })
    })
}

/// The associated target row `target`, or an error (P0002) when it is not associated.
/// (Rails `find(id)`, LoopBack `findById`.)
#[pg_extern(stable, name = "find")]
fn find_target(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    target: Option<AnyValue>,
) -> RawJsonb {
    crate::pg_error::keeping_errors(move || found_row(owner, relation, id, target, Form::Json))
}

/// `find` returning the row in the target table's own row type, named by `result_type`
/// (`NULL::projects`).
#[pg_extern(stable, name = "find")]
fn find_target_typed(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    target: Option<AnyValue>,
    result_type: ResultType<raw::Element>,
) -> Raw<raw::Element> {
    crate::pg_error::keeping_errors(move || {
        found_row(owner, relation, id, target, Form::Typed(result_type.oid))
    })
}

fn found_row<K: Kind>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    target: Option<AnyValue>,
    form: Form,
) -> Raw<K> {
    with_target(owner, relation, id, target, |client, a, id, target| {
        form.check_rows(a.target_oid)?;
        let template = "SELECT {row}, CAST($2 AS pg_catalog.text), CAST($1 AS pg_catalog.text)
                          FROM (SELECT 1) AS one
                          LEFT JOIN ({target} t JOIN {j} j ON j.{tc} {teq} t.{tk}
                                     AND j.{oc} {oeq} {id})
                            ON t.{tk} {teq} {target_id}";
        let sql = a.render(&template.replace("{row}", &form.row("t")));
        let row = plans::run(client, &sql, &[id.param(), target.param()], false)?.first();
        match row.get::<Raw<K>>(1)? {
            Some(found) => Ok(found),
            None => Err(HabtmError::NotAssociated {
                target: a.target_shown(),
                target_id: row.get::<String>(2)?.unwrap_or_default(),
                owner: a.owner_shown(),
                owner_id: row.get::<String>(3)?.unwrap_or_default(),
            }),
        }
    })
}

/// The ids linked to `id`, ascending, as a JSON array (Rails `collection_singular_ids`).
#[pg_extern(stable, name = "ids")]
fn linked_ids(owner: Option<RegClass>, relation: Option<&str>, id: Option<AnyValue>) -> RawJsonb {
    crate::pg_error::keeping_errors(move || {
        ids_of(
            owner,
            relation,
            id,
            Form::Json,
            "SELECT COALESCE(pg_catalog.jsonb_agg({tc} ORDER BY {tc}), '[]')
           FROM {links} WHERE {oc} {oeq} {id}",
        )
    })
}

/// `ids` as an array of the target key's type, named by `result_type` (`NULL::bigint[]`).
#[pg_extern(stable, name = "ids")]
fn linked_ids_typed(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    result_type: ResultType<raw::Array>,
) -> Raw<raw::Array> {
    crate::pg_error::keeping_errors(move || {
        ids_of(
            owner,
            relation,
            id,
            Form::Typed(result_type.oid),
            "SELECT ARRAY(SELECT {tc} FROM {links} WHERE {oc} {oeq} {id} ORDER BY {tc})",
        )
    })
}

fn ids_of<K: Kind>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    form: Form,
    template: &str,
) -> Raw<K> {
    with_association(owner, relation, id, None, false, |client, a, id, _| {
        // SAFETY: a plain syscache lookup of the key type's array type.
        form.check(
            unsafe { pg_sys::get_array_type(a.target_type) },
            "ids",
            RegClass(a.target_oid),
        )?;
        let row = plans::run(client, &a.visible_links(template), &[id.param()], false)?.first();
        Ok(row
            .get::<Raw<K>>(1)?
            .expect("an aggregate or ARRAY() is never NULL"))
    })
    .or_raise()
}

/// The owner rows that have no link at all in this association, ordered by key.
// Materialized sets: pgrx's generated SQL knows only its own iterators as SETOF.
#[pg_extern(sql = r#"
CREATE FUNCTION "unassociated"("owner" regclass, "relation" TEXT) RETURNS SETOF jsonb
STABLE LANGUAGE c AS '@MODULE_PATHNAME@', 'unassociated_owners_wrapper';
"#)]
fn unassociated_owners(
    owner: Option<RegClass>,
    relation: Option<&str>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Materialized<raw::Json> {
    crate::pg_error::keeping_errors(move || unassociated_rows(owner, relation, Form::Json, fcinfo))
}

/// `unassociated` returning rows of the owner table's own row type, named by `result_type`
/// (`NULL::developers`).
#[pg_extern(sql = r#"
CREATE FUNCTION "unassociated"("owner" regclass, "relation" TEXT, "result_type" anyelement)
RETURNS SETOF anyelement
STABLE LANGUAGE c AS '@MODULE_PATHNAME@', 'unassociated_owners_typed_wrapper';
"#)]
fn unassociated_owners_typed(
    owner: Option<RegClass>,
    relation: Option<&str>,
    result_type: ResultType<raw::Element>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Materialized<raw::Element> {
    crate::pg_error::keeping_errors(move || {
        unassociated_rows(owner, relation, Form::Typed(result_type.oid), fcinfo)
    })
}

fn unassociated_rows<K: Kind>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    form: Form,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Materialized<K> {
    let run = || -> Result<()> {
        let owner = required("owner", owner)?;
        let relation = required("relation", relation)?;
        Spi::connect_mut(|client| {
            let a = Association::find(client, owner, relation)?;
            form.check_rows(a.owner_oid)?;
            let template = "SELECT {row} FROM {owner} o
                             WHERE NOT EXISTS (SELECT FROM {j} j WHERE j.{oc} {oeq} o.{ok})
                             ORDER BY o.{ok}";
            let sql = a.render(&template.replace("{row}", &form.columns("o")));
            plans::into_result_set(client, &sql, &[], fcinfo);
            Ok(())
        })
    };
    run().or_raise();
    Materialized::written()
}

/// The associated rows as JSON objects, filtered, ordered and paged with LoopBack's filter
/// (`where`, `order`, `limit`, `skip`/`offset`, `fields`); see `query.rs`.
#[pg_extern(sql = r#"
CREATE FUNCTION "collection"("owner" regclass, "relation" TEXT, "id" "any", "filter" jsonb DEFAULT '{}')
RETURNS SETOF jsonb
STABLE LANGUAGE c AS '@MODULE_PATHNAME@', 'collection_rows_wrapper';
"#)]
fn collection_rows(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    filter: Option<JsonArg>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Materialized<raw::Json> {
    crate::pg_error::keeping_errors(move || {
        filtered_rows(owner, relation, id, filter, Form::Json, fcinfo)
    })
}

/// `collection` returning rows of the target table's own row type, named by `result_type`
/// (`NULL::projects`). `fields` does not apply: the caller selects columns from the rows.
#[pg_extern(sql = r#"
CREATE FUNCTION "collection"("owner" regclass, "relation" TEXT, "id" "any", "filter" jsonb,
                             "result_type" anyelement)
RETURNS SETOF anyelement
STABLE LANGUAGE c AS '@MODULE_PATHNAME@', 'collection_rows_typed_wrapper';
"#)]
fn collection_rows_typed(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    filter: Option<JsonArg>,
    result_type: ResultType<raw::Element>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Materialized<raw::Element> {
    crate::pg_error::keeping_errors(move || {
        filtered_rows(
            owner,
            relation,
            id,
            filter,
            Form::Typed(result_type.oid),
            fcinfo,
        )
    })
}

fn filtered_rows<K: Kind>(
    owner: Option<RegClass>,
    relation: Option<&str>,
    id: Option<AnyValue>,
    filter: Option<JsonArg>,
    form: Form,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Materialized<K> {
    let filter = required("filter", filter).or_raise();
    with_association(owner, relation, id, None, false, |client, a, id, _| {
        form.check_rows(a.target_oid)?;
        let columns = crate::query::columns_of(client, RegClass(a.target_oid))?;
        let filter = Filter::parse(&filter.0, &a.target_shown(), &columns)?.with_key(&a.target_key);
        let compiled = filter.compile(2)?;
        let select = match form {
            Form::Json => compiled.select,
            Form::Typed(_) if filter.picks_fields() => {
                return Err(HabtmError::BadJson {
                    argument: "filter",
                    reason: "\"fields\" does not apply to rows returned as result_type (select their columns instead)".into(),
                })
            }
            Form::Typed(_) => form.columns("t"),
        };
        let sql = format!(
            "SELECT {select} FROM {target} t JOIN {j} j ON j.{tc} {teq} t.{tk}
              WHERE j.{oc} {oeq} {id}{where_} {order} {limit}",
            target = a.target,
            j = a.join_table,
            tc = a.target_column,
            tk = a.target_key,
            oc = a.owner_column,
            oeq = a.owner_eq,
            teq = a.target_eq,
            id = a.owner_param(1),
            where_ = compiled.where_clause.map(|w| format!(" AND ({w})")).unwrap_or_default(),
            order = compiled.order_by,
            limit = compiled.limit_offset,
        );
        let mut args: Vec<DatumWithOid> = vec![id.param()];
        args.extend(compiled.params.iter().map(|p| p.as_str().into()));
        plans::into_result_set(client, &sql, &args, fcinfo);
        Ok(())
    })
    .or_raise();
    Materialized::written()
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    use crate::testing::sqlstate_of;

    fn one<T: FromDatum + IntoDatum>(query: &str) -> T {
        Spi::get_one::<T>(query)
            .expect("query runs")
            .expect("a value")
    }

    fn setup() {
        Spi::run(
            "CREATE TABLE developers (id bigint PRIMARY KEY);
             CREATE TABLE projects (id uuid PRIMARY KEY, title text);
             INSERT INTO developers VALUES (1), (2);
             INSERT INTO projects SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'p' || i
               FROM generate_series(1, 5) i;
             SELECT habtm.create_join_table('developers', 'projects');",
        )
        .expect("setup");
    }

    #[pg_test]
    fn add_replace_remove_round_trip() {
        setup();
        let ids = "ARRAY(SELECT id FROM projects WHERE title IN ('p1', 'p2', 'p3'))";
        assert_eq!(
            one::<i64>(&format!(
                "SELECT habtm.add('developers', 'projects', 1, {ids})"
            )),
            3
        );
        assert_eq!(
            one::<i64>(&format!(
                "SELECT habtm.add('developers', 'projects', 1, {ids})"
            )),
            0
        );
        assert_eq!(one::<i64>("SELECT habtm.count('projects', 'developers', '00000000-0000-0000-0000-000000000001')"), 1);
        let replaced = one::<i64>(
            "SELECT habtm.replace('developers', 'projects', 1, ARRAY(SELECT id FROM projects WHERE title IN ('p3', 'p4')))",
        );
        assert_eq!(replaced, 3, "p1 and p2 removed, p4 added");
        assert_eq!(
            one::<String>("SELECT habtm.ids('developers', 'projects', 1)::text"),
            r#"["00000000-0000-0000-0000-000000000003", "00000000-0000-0000-0000-000000000004"]"#
        );
        assert_eq!(
            one::<i64>(
                "SELECT habtm.remove('developers', 'projects', 1, ARRAY(SELECT id FROM projects))"
            ),
            2
        );
        assert_eq!(
            one::<i64>("SELECT count(*) FROM projects"),
            5,
            "remove keeps the rows"
        );
    }

    #[pg_test]
    fn placeholders_in_names_are_left_alone() {
        // The statement templates are filled in one pass: a name that looks like a placeholder
        // stays a name.
        Spi::run(
            r#"CREATE TABLE "{oc}" (id int PRIMARY KEY);
               CREATE TABLE "{j}" (id int PRIMARY KEY);
               INSERT INTO "{oc}" VALUES (1); INSERT INTO "{j}" VALUES (1), (2);
               SELECT habtm.create_join_table('"{oc}"', '"{j}"', a_column => '{tc}', b_column => '{id}');"#,
        )
        .expect("setup");
        assert_eq!(
            one::<i64>(r#"SELECT habtm.add('"{oc}"', '{j}', 1, ARRAY[1, 2])"#),
            2
        );
        assert_eq!(
            one::<i64>(r#"SELECT habtm.replace('"{oc}"', '{j}', 1, ARRAY[2])"#),
            1
        );
        assert_eq!(
            one::<String>(r#"SELECT habtm.ids('"{oc}"', '{j}', 1)::text"#),
            "[2]"
        );
    }

    #[pg_test]
    fn bad_input_has_its_sqlstate_and_changes_nothing() {
        setup();
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projets', 1, ARRAY[]::uuid[])"),
            "42704"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projects', NULL::int, ARRAY[]::uuid[])"),
            "22004"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projects', 1, ARRAY[1, 2])"),
            "42804"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.add('developers', 'projects', 7, ARRAY[]::uuid[])"),
            "23503"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.destroy('developers', 'projects', 1, ARRAY[NULL]::uuid[])"),
            "22004"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.destroy('developers', 'projects', 1, ARRAY[1])"),
            "42804"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.count('developers', 'projects', 7)"),
            "P0002"
        );
        assert_eq!(
            sqlstate_of("SELECT habtm.collection('developers', 'projects', 1, '{\"where\": {\"nope\": 1}}')"),
            "42703"
        );
        assert_eq!(one::<i64>("SELECT count(*) FROM developers_projects"), 0);
    }
}
