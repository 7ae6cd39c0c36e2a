//! Prepared plans kept per backend.
//!
//! Every habtm call runs a few statements whose text depends only on the association (the
//! catalog lookup, the checks, the operation itself). Parsing and planning them on every call
//! cost ~2 ms for a one-link `add`, 70 times a plain INSERT. Plans are therefore prepared once per
//! backend and kept (`SPI_keepplan`), keyed by the statement's final text and its parameter
//! types: a renamed table gives new text and a new plan, and PostgreSQL's plan cache re-plans a
//! kept plan itself when a table it uses changes. Kept plans may become generic, so statements
//! are written to stay linear then (no `NOT (x = ANY($n))` over large arrays: an anti-join).
//! Each statement is planned as [`PlanMode`] says: by PostgreSQL's own choice when its best plan
//! depends on the data, always generic only when no data can change it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::rc::Rc;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiTupleTable};
use pgrx::PgOid;

use super::ffi::SetTuplestoreDestReceiverParams;
use crate::error::Result;

/// More distinct statements than this and the cache starts over (a backend that touches that
/// many associations and key types pays the planning again, nothing worse).
const MAX_PLANS: usize = 1024;

type Key = (String, Vec<pg_sys::Oid>, bool);

thread_local! {
    static PLANS: RefCell<HashMap<Key, Rc<OwnedPreparedStatement>>> = RefCell::new(HashMap::new());
    /// Plans of [`count`] and [`into_result_set`], as SPI's own pointers (pgrx lets neither a
    /// DestReceiver nor cursor options in), kept (`SPI_keepplan`) like those above.
    static RAW_PLANS: RefCell<HashMap<RawKey, Rc<RawPlan>>> = RefCell::new(HashMap::new());
}

/// Statement, parameter types and SPI cursor options.
type RawKey = (String, Vec<pg_sys::Oid>, u32);

struct RawPlan(pg_sys::SPIPlanPtr);

impl Drop for RawPlan {
    fn drop(&mut self) {
        // SAFETY: a kept plan, dropped once, when the cache has started over and no statement
        // runs it (a running one holds an Rc).
        unsafe { pg_sys::SPI_freeplan(self.0) };
    }
}

type Cache<K, V> = std::thread::LocalKey<RefCell<HashMap<K, Rc<V>>>>;

/// Keeps `plan` in `cache` under `key`; past [`MAX_PLANS`] the cache starts over.
fn remember<K: std::hash::Hash + Eq, V>(cache: &'static Cache<K, V>, key: K, plan: Rc<V>) -> Rc<V> {
    cache.with(|plans| {
        let mut plans = plans.borrow_mut();
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        plans.insert(key, Rc::clone(&plan));
    });
    plan
}

/// Runs `sql` with `args` through a kept plan, preparing it on first use. `mutating` statements
/// write (they need a read-write snapshot).
pub fn run<'conn>(
    client: &mut SpiClient<'conn>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    mutating: bool,
) -> Result<SpiTupleTable<'conn>> {
    let types: Vec<pg_sys::Oid> = args.iter().map(DatumWithOid::oid).collect();
    let key: Key = (sql.to_owned(), types, mutating);
    // Clone the Rc out so that no borrow is held while the statement runs: it may fire a user's
    // trigger that calls habtm again.
    let cached = PLANS.with(|plans| plans.borrow().get(&key).cloned());
    let plan = match cached {
        Some(plan) => plan,
        None => {
            let oids: Vec<PgOid> = key.1.iter().map(|&o| PgOid::from(o)).collect();
            let prepared = if mutating {
                client.prepare_mut(sql, &oids)?
            } else {
                client.prepare(sql, &oids)?
            };
            remember(&PLANS, key, Rc::new(prepared.keep()))
        }
    };
    Ok(if mutating {
        client.update(&*plan, None, args)?
    } else {
        client.select(&*plan, None, args)?
    })
}

/// The kept plan of `sql` with the types of `args`, prepared with SPI's `cursor_options` on
/// first use. Needs an SPI connection.
fn raw_plan(sql: &str, args: &[DatumWithOid<'_>], cursor_options: u32) -> Rc<RawPlan> {
    let key: RawKey = (
        sql.to_owned(),
        args.iter().map(DatumWithOid::oid).collect(),
        cursor_options,
    );
    // Clone the Rc out: the statement may run user code (a policy's function) calling habtm.
    let cached = RAW_PLANS.with(|plans| plans.borrow().get(&key).cloned());
    cached.unwrap_or_else(|| {
        let text = CString::new(sql).expect("statements have no NUL byte");
        // SPI_prepare_cursor takes the types through a mutable pointer.
        let mut types = key.1.clone();
        // SAFETY: inside an SPI connection; a failure to parse or plan is raised by PostgreSQL.
        let plan = unsafe {
            let plan = pg_sys::SPI_prepare_cursor(
                text.as_ptr(),
                types.len() as i32,
                types.as_mut_ptr(),
                cursor_options as i32,
            );
            let code = pg_sys::SPI_result;
            assert!(!plan.is_null(), "SPI_prepare_cursor failed: {code}");
            pg_sys::SPI_keepplan(plan);
            Rc::new(RawPlan(plan))
        };
        remember(&RAW_PLANS, key, plan)
    })
}

/// `args` as SPI's parameters, allocated in the current (the SPI connection's) memory.
///
/// # Safety
/// Inside an SPI connection; the values must live for the statement's run.
unsafe fn param_list(args: &[DatumWithOid<'_>]) -> pg_sys::ParamListInfo {
    // SAFETY: makeParamList allocates room for args.len() parameters, filled in below.
    unsafe {
        let params = pg_sys::makeParamList(args.len() as i32);
        let slots = (*params).params.as_mut_slice(args.len());
        for (slot, arg) in slots.iter_mut().zip(args) {
            let datum = arg.datum();
            *slot = pg_sys::ParamExternData {
                isnull: datum.is_none(),
                value: datum.map_or(pg_sys::Datum::from(0), |d| d.sans_lifetime()),
                pflags: pg_sys::PARAM_FLAG_CONST as u16,
                ptype: arg.oid(),
            };
        }
        params
    }
}

/// How [`first_row`] and [`count`] plan their statement.
#[derive(Clone, Copy)]
pub enum PlanMode {
    /// PostgreSQL's own choice between a plan for the values at hand and a generic one
    /// (`plan_cache_mode`), as for a user's prepared statement: for every statement whose best
    /// plan depends on the data, such as one owner's links (`WHERE owner_column = $1`). A
    /// generic plan cannot know which owner it serves: when the statistics say a few owners
    /// hold most links, it is a sequential scan, and a kept plan forced generic cost every
    /// other owner 80–180× the plain statement.
    Default,
    /// Always generic, for statements whose plan no statistics can change: one link by its
    /// whole pair key (the join table's unique index, a one-row probe whatever the estimates),
    /// an `INSERT` from the ids given. PostgreSQL's choice would re-plan some of them on every
    /// call (a custom plan looks cheaper once an array's length is known).
    Generic,
}

impl PlanMode {
    fn cursor_options(self) -> u32 {
        match self {
            PlanMode::Default => 0,
            PlanMode::Generic => pg_sys::CURSOR_OPT_GENERIC_PLAN,
        }
    }
}

/// Runs `sql`, whose result is one `bigint` (a count), with `args` through a kept plan made in
/// `mode`, and returns that count (0 for NULL or no row). Needs the SPI connection `client`
/// stands for.
pub fn count(
    client: &mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    mutating: bool,
    mode: PlanMode,
) -> Result<i64> {
    Ok(first_row(client, sql, args, mutating, mode)?
        .and_then(|row| row.int8(1))
        .unwrap_or(0))
}

/// Runs the data-modifying `sql` (no `RETURNING`) with `args` through a kept plan made in
/// `mode`, and returns the number of rows it processed. Needs the SPI connection `_client`
/// stands for.
pub fn processed(
    _client: &mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    mode: PlanMode,
) -> Result<u64> {
    let plan = raw_plan(sql, args, mode.cursor_options());
    // SAFETY: inside the SPI connection `_client` stands for; the values live for the call.
    unsafe {
        let options = pg_sys::SPIExecuteOptions {
            params: param_list(args),
            read_only: false,
            ..Default::default()
        };
        let rc = pg_sys::SPI_execute_plan_extended(plan.0, &options);
        pgrx::spi::Spi::check_status(rc)?;
        Ok(pg_sys::SPI_processed)
    }
}

/// The first row of a statement run by [`first_row`], read in place from SPI's tuple table
/// (valid while the SPI connection it borrows lasts).
pub struct FirstRow<'c> {
    tuple: pg_sys::HeapTuple,
    desc: pg_sys::TupleDesc,
    _client: std::marker::PhantomData<&'c SpiClient<'c>>,
}

impl FirstRow<'_> {
    /// Column `n` (from 1), checked to be of type `oid`; `None` for NULL.
    fn datum(&self, n: i32, oid: pg_sys::Oid) -> Option<pg_sys::Datum> {
        // SAFETY: the tuple and its descriptor are SPI's, alive while the connection lasts.
        unsafe {
            assert_eq!(
                pg_sys::SPI_gettypeid(self.desc, n),
                oid,
                "column {n} of a habtm statement"
            );
            let mut isnull = false;
            let value = pg_sys::SPI_getbinval(self.tuple, self.desc, n, &mut isnull);
            (!isnull).then_some(value)
        }
    }

    /// Column `n`, a `bigint`.
    pub fn int8(&self, n: i32) -> Option<i64> {
        self.datum(n, pg_sys::INT8OID).map(|d| d.value() as i64)
    }
}

/// Runs `sql` with `args` through a kept plan made in `mode` and returns its first row, if any.
/// Needs the SPI connection `_client` stands for.
pub fn first_row<'c>(
    _client: &'c mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    mutating: bool,
    mode: PlanMode,
) -> Result<Option<FirstRow<'c>>> {
    let plan = raw_plan(sql, args, mode.cursor_options());
    // SAFETY: inside the SPI connection `_client` stands for; the values live for the call.
    unsafe {
        let options = pg_sys::SPIExecuteOptions {
            params: param_list(args),
            read_only: !mutating,
            ..Default::default()
        };
        let rc = pg_sys::SPI_execute_plan_extended(plan.0, &options);
        pgrx::spi::Spi::check_status(rc)?;
        let table = pg_sys::SPI_tuptable;
        if table.is_null() || pg_sys::SPI_processed == 0 {
            return Ok(None);
        }
        Ok(Some(FirstRow {
            tuple: *(*table).vals,
            desc: (*table).tupdesc,
            _client: std::marker::PhantomData,
        }))
    }
}

/// Runs the read-only statement `sql` with `args` through a kept plan and writes its rows straight
/// into the result set of the set-returning function called with `fcinfo`, in materialize mode,
/// as PL/pgSQL's `RETURN QUERY` does: no copy through SPI's tuple table, no call per row. The
/// statement's columns must be those of the function's result (one column for `SETOF jsonb`, the
/// table's columns for `SETOF` a row type; dropped columns are matched by position). Needs the
/// SPI connection `_client` stands for.
pub fn into_result_set(
    _client: &mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    fcinfo: pg_sys::FunctionCallInfo,
) {
    let plan = raw_plan(sql, args, 0);
    // SAFETY: `fcinfo` is the current call's; InitMaterializedSRF checks that the caller takes
    // a materialized set (an error otherwise) and creates the result set in the query's memory.
    // The parameters live in the SPI connection's memory for the statement's run.
    unsafe {
        pg_sys::InitMaterializedSRF(fcinfo, pg_sys::MAT_SRF_USE_EXPECTED_DESC as pg_sys::bits32);
        let rsinfo = (*fcinfo).resultinfo.cast::<pg_sys::ReturnSetInfo>();
        let receiver = pg_sys::CreateDestReceiver(pg_sys::CommandDest::DestTuplestore);
        SetTuplestoreDestReceiverParams(
            receiver,
            (*rsinfo).setResult,
            (*(*rsinfo).econtext).ecxt_per_query_memory,
            // No detoasting here: PostgreSQL then ignores the column map (dropped columns), and
            // PL/pgSQL's RETURN QUERY does not either; the rows are read within this query.
            false,
            (*rsinfo).setDesc,
            c"habtm: the statement's columns do not match the function's result".as_ptr(),
        );
        let options = pg_sys::SPIExecuteOptions {
            params: param_list(args),
            read_only: true,
            dest: receiver,
            ..Default::default()
        };
        // The receiver and the parameters go with the SPI connection's memory.
        let rc = pg_sys::SPI_execute_plan_extended(plan.0, &options);
        assert!(rc >= 0, "SPI_execute_plan_extended failed: {rc}");
    }
}
