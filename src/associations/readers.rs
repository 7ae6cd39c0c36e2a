//! The association functions that read: `count`, `exists`, `find`, `ids`, `unassociated`,
//! `collection`.

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;

use super::filter::Filter;
use crate::catalog::{self};
use crate::error::{HabtmError, OrRaise, Result};
use crate::pg::json::JsonArg;
use crate::pg::plans::{self, PlanMode};
use crate::pg::polymorphic::AnyValue;
use crate::pg::raw::{self, Kind, Materialized, Raw, RawJsonb, ResultType};
use crate::pg::regclass::RegClass;

use super::call::*;

/// The number of targets linked to `id`. (Rails `size`.)
#[pg_extern(stable, name = "count")]
fn count_links(owner: Option<RegClass>, relation: Option<&str>, id: Option<AnyValue>) -> i64 {
    crate::pg::errors::keeping_errors(move || {
        counted(
            owner,
            relation,
            id,
            None,
            false,
            // One owner's links: their number decides the plan.
            Counted {
                sql: "SELECT pg_catalog.count(*) FROM {links} WHERE {oc} {oeq} {id}",
                writes: false,
                mode: PlanMode::Default,
            },
            None,
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
    crate::pg::errors::keeping_errors(move || {
        with_target(
            owner,
            relation,
            id,
            target,
            |a| {
                a.visible_links(
                    "EXISTS (SELECT FROM {links} WHERE {oc} {oeq} {id} AND {tc} {teq} {target_id})",
                )
            },
            |_, row| Ok(row.get::<bool>(3)?.unwrap_or(false)),
        )
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
    crate::pg::errors::keeping_errors(move || found_row(owner, relation, id, target, Form::Json))
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
    crate::pg::errors::keeping_errors(move || {
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
    with_target(
        owner,
        relation,
        id,
        target,
        |a| {
            let template = "(SELECT {row} FROM {target} t JOIN {j} j ON j.{tc} {teq} t.{tk}
                               AND j.{oc} {oeq} {id} WHERE t.{tk} {teq} {target_id}),
                            CAST($2 AS pg_catalog.text)";
            a.render(&template.replace("{row}", &form.row("t")))
        },
        |a, row| {
            form.check_rows(a.target().table)?;
            match row.get::<Raw<K>>(3)? {
                Some(found) => Ok(found),
                None => Err(HabtmError::NotAssociated {
                    target: a.target_shown(),
                    target_id: row.get::<String>(4)?.unwrap_or_default(),
                    owner: a.owner_shown(),
                    owner_id: row.get::<String>(2)?.unwrap_or_default(),
                }),
            }
        },
    )
}

/// The ids linked to `id`, ascending, as a JSON array (Rails `collection_singular_ids`).
#[pg_extern(stable, name = "ids")]
fn linked_ids(owner: Option<RegClass>, relation: Option<&str>, id: Option<AnyValue>) -> RawJsonb {
    crate::pg::errors::keeping_errors(move || {
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
    crate::pg::errors::keeping_errors(move || {
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
            unsafe { pg_sys::get_array_type(a.target().join_type) },
            "ids",
            RegClass(a.target().table),
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
    crate::pg::errors::keeping_errors(move || {
        unassociated_rows(owner, relation, Form::Json, fcinfo)
    })
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
    crate::pg::errors::keeping_errors(move || {
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
            let a = catalog::by_name(client, owner, relation)?;
            form.check_rows(a.owner().table)?;
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
/// (`where`, `order`, `limit`, `skip`/`offset`, `fields`); see `filter.rs`.
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
    crate::pg::errors::keeping_errors(move || {
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
    crate::pg::errors::keeping_errors(move || {
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
        form.check_rows(a.target().table)?;
        let columns = super::filter::columns_of(client, RegClass(a.target().table))?;
        let filter = Filter::parse(&filter.0, &a.target_shown(), &columns)?.with_key(&a.target_sql().key_sql);
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
            target = a.target_sql().table_sql,
            j = a.join_sql(),
            tc = a.target_sql().join_column_sql,
            tk = a.target_sql().key_sql,
            oc = a.owner_sql().join_column_sql,
            oeq = a.owner_sql().eq_sql,
            teq = a.target_sql().eq_sql,
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
