#!/usr/bin/env python3
"""Denormalised id arrays (API §4) against the alternatives, side by side in one run.

A join table of 1,000,000 links: 10,000 owners, 1,000 targets, each owner linked to 100 of them
(so each target is linked to 1,000 owners). Six copies of the same schema (bigint keys, foreign
keys with cascades, the join table made by habtm.create_join_table), differing only in how the
arrays are kept:
  keys only      no arrays at all: the baseline
  habtm          habtm.denormalize: the generic Rust triggers (this extension)
  generated SQL  the other design: per-join-table PL/pgSQL statement triggers running habtm's
                 set-based statements (what a generator would emit; habtm's one-row path for a
                 side whose rows share one key reads the transition table in Rust, which
                 PL/pgSQL could only do through SQL)
  hand stmt      a hand-written statement-level PL/pgSQL trigger (array_agg + ORDER BY DISTINCT)
  hand row       a hand-written row-level PL/pgSQL trigger doing array_append / array_remove
  floor          no trigger at all: each timed statement is rewritten by hand into one statement
                 that writes the join table and, with writable CTEs, the arrays it changes
                 (array_append / array_remove, unsorted; the cascade's arrays by one UPDATE).
                 Less work than any trigger can do, so it bounds what a target can ask: a ratio
                 to keys only below the floor's is out of reach for every trigger design. Not
                 in the bulk load.

Measured:
  bulk     INSERT … SELECT of all 1,000,000 links into the empty join table (arrays start empty)
  small    latency of single statements on the full table, by pgbench (1 client, prepared,
           each statement its own transaction): habtm.add of 1 link, of 2 links, and a plain
           2-row INSERT into the join table
  2 clients  pgbench throughput, 2 clients adding and removing single links (habtm.add/remove)
  gin      habtm's arrays with and without denormalize(..., gin => true): a one-link add, and the
           queries the index serves on the owners' arrays (owners of both of two targets, @>;
           one target's owners) against the join table's own answer (GROUP BY ... HAVING; its
           index)
  cascade  DELETE of 1,000 owners (100,000 links removed by the foreign-key cascade)

Each timed run starts from a reset (untimed) and a CHECKPOINT; sides alternate, medians and
their ratios are reported; all arrays are checked against the join table after the bulk load.
RUNS (default 5) runs per side; the row-level trigger's bulk load, ~20x slower (9 minutes),
gets ROW_RUNS (default 2; 0 leaves it out). SCALE=0.1 shrinks everything for a quick try. PARTS
(default bulk,small,clients,gin,cascade) runs only the parts named: PARTS=small,clients takes ~10
minutes. VARIANTS="keys only,habtm" (comma-separated; keys only is always in) builds and times only
those variants, each measured as in a full run. BENCH_JSON=PATH also writes every variant's runs
and median there (bench/compare.sh reads it).

Needs PGHOST/PGPORT/PGUSER/PGDATABASE; bench/run.sh provides a throwaway cluster.
"""
import os
import re
import statistics
import subprocess
import sys

from common import progress, progress_done, psql, result, timed, warn_if_busy, write_json

RUNS = int(os.environ.get("RUNS", "5"))
ROW_RUNS = int(os.environ.get("ROW_RUNS", "2"))
SCALE = float(os.environ.get("SCALE", "1"))
OWNERS = int(10_000 * SCALE)
TARGETS = 1_000
PER_OWNER = 100
CASCADE_OWNERS = OWNERS // 10
PGBENCH_SECONDS = int(os.environ.get("PGBENCH_SECONDS", "4"))
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PARTS = set(os.environ.get("PARTS", "bulk,small,clients,gin,cascade").split(","))

ALL_VARIANTS = ["keys only", "habtm", "generated SQL", "hand stmt", "hand row", "floor"]
_chosen = set(os.environ.get("VARIANTS", ",".join(ALL_VARIANTS)).split(",")) | {"keys only"}
if _chosen - set(ALL_VARIANTS):
    sys.exit(f"VARIANTS: unknown {', '.join(sorted(_chosen - set(ALL_VARIANTS)))} (known: {', '.join(ALL_VARIANTS)})")
VARIANTS = [v for v in ALL_VARIANTS if v in _chosen]
BULK_VARIANTS = [v for v in VARIANTS if v != "floor"]
SUFFIX = {"keys only": "plain", "habtm": "habtm", "generated SQL": "gen", "hand stmt": "stmt", "hand row": "row",
          "floor": "floor"}
UNSORTED = ("hand row", "floor")  # arrays kept with array_append: compared as sets

LINKS = (f"SELECT o, ((o * 7 + k * 13) % {TARGETS}) + 1 FROM generate_series(1, {OWNERS}) o, "
         f"generate_series(1, {PER_OWNER}) k")


def schema(v):
    s = SUFFIX[v]
    sql = f"""
CREATE TABLE o_{s} (id bigint PRIMARY KEY, name text) WITH (autovacuum_enabled = off);
CREATE TABLE t_{s} (id bigint PRIMARY KEY, name text) WITH (autovacuum_enabled = off);
INSERT INTO o_{s} SELECT i, 'owner ' || i FROM generate_series(1, {OWNERS}) i;
INSERT INTO t_{s} SELECT i, 'target ' || i FROM generate_series(1, {TARGETS}) i;
SELECT habtm.create_join_table('o_{s}', 't_{s}', table_name => 'j_{s}') \\g /dev/null
ALTER TABLE j_{s} SET (autovacuum_enabled = off);
"""
    if v == "habtm":
        return sql + f"SELECT habtm.denormalize('j_{s}') \\g /dev/null\n"
    if v == "keys only":
        return sql
    # the same columns habtm.denormalize adds, for the hand-made variants
    sql += f"""
ALTER TABLE o_{s} ADD COLUMN t_{s}_ids bigint[] NOT NULL DEFAULT '{{}}';
ALTER TABLE t_{s} ADD COLUMN o_{s}_ids bigint[] NOT NULL DEFAULT '{{}}';
ALTER TABLE o_{s} ALTER COLUMN t_{s}_ids SET COMPRESSION lz4;
ALTER TABLE t_{s} ALTER COLUMN o_{s}_ids SET COMPRESSION lz4;
"""
    if v == "floor":
        return sql
    if v == "hand row":
        return sql + f"""
CREATE FUNCTION j_{s}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE o_{s} SET t_{s}_ids = array_remove(t_{s}_ids, OLD.t_{s}_id) WHERE id = OLD.o_{s}_id;
    UPDATE t_{s} SET o_{s}_ids = array_remove(o_{s}_ids, OLD.o_{s}_id) WHERE id = OLD.t_{s}_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE o_{s} SET t_{s}_ids = array_append(t_{s}_ids, NEW.t_{s}_id) WHERE id = NEW.o_{s}_id;
    UPDATE t_{s} SET o_{s}_ids = array_append(o_{s}_ids, NEW.o_{s}_id) WHERE id = NEW.t_{s}_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sync AFTER INSERT OR UPDATE OR DELETE ON j_{s} FOR EACH ROW EXECUTE FUNCTION j_{s}_sync();
"""
    if v == "hand stmt":
        def side(tbl, arr, k, i, op):
            if op == "INSERT":
                new = f"ARRAY(SELECT DISTINCT x FROM unnest(s.{arr} || d.ids) x ORDER BY x)"
                src = "new_links"
            else:
                new = f"ARRAY(SELECT x FROM unnest(s.{arr}) x WHERE x <> ALL (d.ids) ORDER BY x)"
                src = "old_links"
            return (f"UPDATE {tbl} s SET {arr} = {new} FROM (SELECT {k} AS k, array_agg({i}) AS ids "
                    f"FROM {src} GROUP BY {k} ORDER BY {k}) d WHERE s.id = d.k;")
        body = {}
        for op in ("INSERT", "DELETE"):
            body[op] = (side(f"o_{s}", f"t_{s}_ids", f"o_{s}_id", f"t_{s}_id", op) + "\n    "
                        + side(f"t_{s}", f"o_{s}_ids", f"t_{s}_id", f"o_{s}_id", op))
        return sql + f"""
CREATE FUNCTION j_{s}_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body['INSERT']}
    RETURN NULL;
END $$;
CREATE FUNCTION j_{s}_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body['DELETE']}
    RETURN NULL;
END $$;
CREATE TRIGGER sync_ins AFTER INSERT ON j_{s} REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_ins();
CREATE TRIGGER sync_del AFTER DELETE ON j_{s} REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_del();
"""
    # generated SQL: habtm's own statements (src/arrays/statements.rs) in per-table PL/pgSQL
    def gen(tbl, arr, k, i, op):
        if op == "INSERT":
            delta = (f"SELECT t.{k} AS k, NULL::bigint[] AS rem, array_agg(t.{i})::bigint[] AS add "
                     f"FROM new_links t GROUP BY t.{k}")
        else:
            delta = (f"SELECT t.{k} AS k, array_agg(t.{i})::bigint[] AS rem, NULL::bigint[] AS add "
                     f"FROM old_links t GROUP BY t.{k}")
        return f"""
    WITH delta AS ({delta}),
    locked AS (SELECT d.k, d.rem, d.add FROM delta d JOIN {tbl} s ON s.id = d.k
                ORDER BY d.k FOR NO KEY UPDATE OF s),
    done AS (UPDATE {tbl} s SET {arr} = habtm.array_apply(s.{arr}, l.rem, l.add)
               FROM locked l WHERE s.id = l.k RETURNING 1)
    SELECT (SELECT count(*) FROM locked), (SELECT count(*) FROM done) INTO expected, written;
    IF expected <> written THEN RAISE EXCEPTION 'rows skipped'; END IF;"""
    body = {op: gen(f"o_{s}", f"t_{s}_ids", f"o_{s}_id", f"t_{s}_id", op)
            + gen(f"t_{s}", f"o_{s}_ids", f"t_{s}_id", f"o_{s}_id", op) for op in ("INSERT", "DELETE")}
    return sql + f"""
CREATE FUNCTION j_{s}_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1751212660, 'j_{s}'::regclass::oid::int);
    RETURN NULL;
END $$;
CREATE FUNCTION j_{s}_ins() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE expected bigint; written bigint;
BEGIN{body['INSERT']}
    RETURN NULL;
END $$;
CREATE FUNCTION j_{s}_del() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE expected bigint; written bigint;
BEGIN{body['DELETE']}
    RETURN NULL;
END $$;
CREATE TRIGGER lock BEFORE INSERT OR DELETE ON j_{s} FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_lock();
-- the joined tables get what habtm installs there too (array writes would need them); for the
-- trigger's own updates they only cost their firing and transition capture
CREATE FUNCTION j_{s}_side() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION j_{s}_canonical() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER side_sync AFTER UPDATE ON o_{s} REFERENCING OLD TABLE AS o NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_side();
CREATE TRIGGER side_sync AFTER UPDATE ON t_{s} REFERENCING OLD TABLE AS o NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_side();
CREATE TRIGGER side_canonical BEFORE UPDATE OF t_{s}_ids ON o_{s} FOR EACH ROW
    WHEN (pg_trigger_depth() < 1) EXECUTE FUNCTION j_{s}_canonical();
CREATE TRIGGER side_canonical BEFORE UPDATE OF o_{s}_ids ON t_{s} FOR EACH ROW
    WHEN (pg_trigger_depth() < 1) EXECUTE FUNCTION j_{s}_canonical();
CREATE TRIGGER sync_ins AFTER INSERT ON j_{s} REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_ins();
CREATE TRIGGER sync_del AFTER DELETE ON j_{s} REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION j_{s}_del();
"""


def empty(v):
    """Untimed: an empty join table and empty arrays, vacuumed."""
    s = SUFFIX[v]
    sql = "SET session_replication_role = replica;\n" if v != "habtm" else ""
    sql += f"TRUNCATE j_{s};\n"
    if v not in ("keys only", "habtm"):
        sql += (f"UPDATE o_{s} SET t_{s}_ids = '{{}}' WHERE t_{s}_ids <> '{{}}';\n"
                f"UPDATE t_{s} SET o_{s}_ids = '{{}}' WHERE o_{s}_ids <> '{{}}';\n")
    sql += "RESET session_replication_role;\n"
    return sql + f"VACUUM ANALYZE o_{s}, t_{s}, j_{s};\nCHECKPOINT;\n"


def bulk(v):
    return f"INSERT INTO j_{SUFFIX[v]} {LINKS};\n"


def full(v):
    """Untimed: the join table full (1,000,000 links), arrays exact. (The row-level trigger's
    state is made set-based: its own load takes ten minutes and ends in the same rows.)"""
    s = SUFFIX[v]
    if v not in UNSORTED:
        return empty(v) + bulk(v) + f"VACUUM ANALYZE o_{s}, t_{s}, j_{s};\nCHECKPOINT;\n"
    return (empty(v) + "SET session_replication_role = replica;\n" + bulk(v)
            + f"UPDATE o_{s} o SET t_{s}_ids = a.ids FROM (SELECT o_{s}_id AS k, array_agg(t_{s}_id ORDER BY t_{s}_id) AS ids "
              f"FROM j_{s} GROUP BY 1) a WHERE o.id = a.k;\n"
            + f"UPDATE t_{s} t SET o_{s}_ids = a.ids FROM (SELECT t_{s}_id AS k, array_agg(o_{s}_id ORDER BY o_{s}_id) AS ids "
              f"FROM j_{s} GROUP BY 1) a WHERE t.id = a.k;\n"
            + "RESET session_replication_role;\n" + f"VACUUM ANALYZE o_{s}, t_{s}, j_{s};\nCHECKPOINT;\n")




def check_arrays(v):
    """The arrays equal the join table (sorted, no duplicates) after the bulk load."""
    s = SUFFIX[v]
    if v == "keys only":
        return
    # array_append keeps insertion order: the row-level trigger's arrays are compared as sets
    o_arr = f"o.t_{s}_ids" if v not in UNSORTED else f"ARRAY(SELECT x FROM unnest(o.t_{s}_ids) x ORDER BY x)"
    t_arr = f"t.o_{s}_ids" if v not in UNSORTED else f"ARRAY(SELECT x FROM unnest(t.o_{s}_ids) x ORDER BY x)"
    bad = psql(f"""
SELECT (SELECT count(*) FROM o_{s} o WHERE {o_arr} IS DISTINCT FROM
          coalesce((SELECT array_agg(t_{s}_id ORDER BY t_{s}_id) FROM j_{s} WHERE o_{s}_id = o.id), '{{}}'))
     + (SELECT count(*) FROM t_{s} t WHERE {t_arr} IS DISTINCT FROM
          coalesce((SELECT array_agg(o_{s}_id ORDER BY o_{s}_id) FROM j_{s} WHERE t_{s}_id = t.id), '{{}}'));
""").strip()
    if bad != "0":
        sys.exit(f"{v}: {bad} arrays differ from the join table")


def pgbench(script, clients, seconds):
    path = "/tmp/habtm-bench-arrays.sql"
    with open(path, "w") as f:
        f.write(script)
    out = subprocess.run([f"{PG_BIN}/pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients),
                          "-T", str(seconds), "--failures-detailed", "-f", path],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"pgbench failed:\n{out.stderr[-2000:]}{out.stdout[-2000:]}")
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    if failed and int(failed.group(1)) > 0:
        sys.exit(f"pgbench: {failed.group(1)} failed transactions\n{out.stdout}")
    lat = float(re.search(r"latency average = ([0-9.]+) ms", out.stdout).group(1))
    tps = float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))
    return lat, tps


def floor_links(s, rows, op="INSERT"):
    """The floor: a join-table INSERT (or DELETE) of `rows` and, in the same statement, the
    arrays of the owners and targets it changed (array_append / array_remove, no sort)."""
    if op == "INSERT":
        write = f"INSERT INTO j_{s} VALUES {rows} ON CONFLICT DO NOTHING RETURNING *"
        o_new = f"o.t_{s}_ids || x.ids"
        t_new = f"array_append(t.o_{s}_ids, c.o_{s}_id)"
    else:
        write = f"DELETE FROM j_{s} WHERE (o_{s}_id, t_{s}_id) IN ({rows}) RETURNING *"
        o_new = f"ARRAY(SELECT e FROM unnest(o.t_{s}_ids) e WHERE e <> ALL (x.ids))"
        t_new = f"array_remove(t.o_{s}_ids, c.o_{s}_id)"
    return (f"WITH c AS ({write}),\n"
            f" a AS (UPDATE o_{s} o SET t_{s}_ids = {o_new} FROM (SELECT o_{s}_id AS k, array_agg(t_{s}_id) AS ids "
            f"FROM c GROUP BY 1) x WHERE o.id = x.k),\n"
            f" b AS (UPDATE t_{s} t SET o_{s}_ids = {t_new} FROM c WHERE t.id = c.t_{s}_id)\n"
            f"SELECT count(*) FROM c;\n")


def small_statements(v):
    s = SUFFIX[v]
    pick = (f"\\set o random(1, {OWNERS})\n\\set t random(1, {TARGETS})\n"
            f"\\set u random(1, {TARGETS})\n")
    if v == "floor":
        two = "(:o::bigint, least(:t, :u)::bigint), (:o::bigint, greatest(:t, :u)::bigint)"
        return {
            "habtm.add of 1 link": pick + floor_links(s, "(:o::bigint, :t::bigint)"),
            "habtm.add of 2 links": pick + floor_links(s, two),
            "2-row INSERT": pick + floor_links(s, two),
        }
    return {
        "habtm.add of 1 link": pick + f"SELECT habtm.add('o_{s}', 't_{s}', :o::bigint, ARRAY[:t]::bigint[]);\n",
        "habtm.add of 2 links": pick + f"SELECT habtm.add('o_{s}', 't_{s}', :o::bigint, ARRAY[:t, :u]::bigint[]);\n",
        "2-row INSERT": pick + f"INSERT INTO j_{s} VALUES (:o::bigint, least(:t, :u)::bigint), (:o::bigint, greatest(:t, :u)::bigint) "
                               "ON CONFLICT DO NOTHING;\n",
    }


def two_clients(v):
    s = SUFFIX[v]
    if v == "floor":
        return (f"\\set o random(1, {OWNERS})\n\\set t random(1, {TARGETS})\n\\set op random(0, 1)\n"
                f"\\if :op = 0\n" + floor_links(s, "(:o::bigint, :t::bigint)")
                + "\\else\n" + floor_links(s, "(:o::bigint, :t::bigint)", "DELETE") + "\\endif\n")
    return (f"\\set o random(1, {OWNERS})\n\\set t random(1, {TARGETS})\n\\set op random(0, 1)\n"
            f"\\if :op = 0\nSELECT habtm.add('o_{s}', 't_{s}', :o::bigint, ARRAY[:t]::bigint[]);\n"
            f"\\else\nSELECT habtm.remove('o_{s}', 't_{s}', :o::bigint, ARRAY[:t]::bigint[]);\n\\endif\n")


def cascade(v):
    s = SUFFIX[v]
    delete = f"DELETE FROM o_{s} WHERE id <= {CASCADE_OWNERS};\n"
    if v != "floor":
        return delete
    # the targets' arrays lose the deleted owners in one UPDATE (habtm.array_apply: one merge
    # per array); the owners' arrays go with their rows
    return (f"WITH gone AS (SELECT t_{s}_id AS k, array_agg(o_{s}_id) AS ids FROM j_{s} "
            f"WHERE o_{s}_id <= {CASCADE_OWNERS} GROUP BY 1),\n"
            f" b AS (UPDATE t_{s} t SET o_{s}_ids = habtm.array_apply(t.o_{s}_ids, g.ids, NULL) "
            f"FROM gone g WHERE t.id = g.k)\n" + delete)


def cascade_reset(v):
    """Untimed: owners 1..CASCADE_OWNERS present again with all their links."""
    s = SUFFIX[v]
    if v == "floor":
        # no triggers: the arrays are rebuilt from the join table
        return (f"INSERT INTO o_{s} (id, name) SELECT i, 'owner ' || i FROM generate_series(1, {CASCADE_OWNERS}) i "
                f"ON CONFLICT DO NOTHING;\n"
                f"INSERT INTO j_{s} SELECT o, ((o * 7 + k * 13) % {TARGETS}) + 1 FROM generate_series(1, {CASCADE_OWNERS}) o, "
                f"generate_series(1, {PER_OWNER}) k ON CONFLICT DO NOTHING;\n"
                f"UPDATE o_{s} o SET t_{s}_ids = a.ids FROM (SELECT o_{s}_id AS k, array_agg(t_{s}_id ORDER BY t_{s}_id) AS ids "
                f"FROM j_{s} WHERE o_{s}_id <= {CASCADE_OWNERS} GROUP BY 1) a WHERE o.id = a.k;\n"
                f"UPDATE t_{s} t SET o_{s}_ids = a.ids FROM (SELECT t_{s}_id AS k, array_agg(o_{s}_id ORDER BY o_{s}_id) AS ids "
                f"FROM j_{s} GROUP BY 1) a WHERE t.id = a.k;\n"
                f"VACUUM ANALYZE o_{s}, t_{s}, j_{s};\nCHECKPOINT;\n")
    return (f"INSERT INTO o_{s} (id, name) SELECT i, 'owner ' || i FROM generate_series(1, {CASCADE_OWNERS}) i "
            f"ON CONFLICT DO NOTHING;\n"
            f"INSERT INTO j_{s} SELECT o, ((o * 7 + k * 13) % {TARGETS}) + 1 FROM generate_series(1, {CASCADE_OWNERS}) o, "
            f"generate_series(1, {PER_OWNER}) k ON CONFLICT DO NOTHING;\n"
            f"VACUUM ANALYZE o_{s}, t_{s}, j_{s};\nCHECKPOINT;\n")


def median(xs):
    return statistics.median(xs)


def main():
    warn_if_busy()
    psql("CREATE EXTENSION IF NOT EXISTS habtm;\n" + "".join(schema(v) for v in VARIANTS))
    version = psql("SELECT extversion FROM pg_extension WHERE extname = 'habtm';").strip()
    links = OWNERS * PER_OWNER
    print(f"habtm {version}: {links:,} links ({OWNERS:,} owners x {PER_OWNER} of {TARGETS:,} targets); "
          f"{RUNS} runs per side ({ROW_RUNS} for the row-level trigger's bulk load), medians")

    # bulk load
    times = {v: [] for v in BULK_VARIANTS}
    for run in range(RUNS if "bulk" in PARTS else 0):
        order = BULK_VARIANTS[run % len(BULK_VARIANTS):] + BULK_VARIANTS[:run % len(BULK_VARIANTS)]
        done = []
        for v in order:
            if v == "hand row" and len(times[v]) >= ROW_RUNS:
                continue
            progress(f"bulk load, {v}, run {run + 1} of {RUNS}")
            times[v].append(timed(bulk(v), empty(v)))
            check_arrays(v)
            done.append(v)
    b = {v: median(ts) for v, ts in times.items() if ts}

    # small statements and two clients, on the full table
    for v in VARIANTS:
        progress(f"filling the join tables: {v}")
        psql(full(v))
    lat = {(v, st): [] for v in VARIANTS for st in small_statements(v)}
    for run in range(RUNS if "small" in PARTS else 0):
        order = VARIANTS[run % len(VARIANTS):] + VARIANTS[:run % len(VARIANTS)]
        for v in order:
            for st, script in small_statements(v).items():
                progress(f"small statements, {v}: {st}, run {run + 1} of {RUNS}")
                psql("CHECKPOINT;\n")
                lat[(v, st)].append(pgbench(script, 1, PGBENCH_SECONDS)[0])
    statements = list(small_statements("keys only"))

    tps = {v: [] for v in VARIANTS}
    for run in range(RUNS if "clients" in PARTS else 0):
        order = VARIANTS[run % len(VARIANTS):] + VARIANTS[:run % len(VARIANTS)]
        for v in order:
            progress(f"2 clients, {v}, run {run + 1} of {RUNS}")
            psql("CHECKPOINT;\n")
            tps[v].append(pgbench(two_clients(v), 2, PGBENCH_SECONDS)[1])
    gin = gin_part() if "gin" in PARTS and "habtm" in VARIANTS else {}

    # cascade
    cascade_variants = [v for v in ("keys only", "habtm", "generated SQL", "hand stmt", "floor") if v in VARIANTS]
    ctimes = {v: [] for v in cascade_variants}
    for run in range(RUNS if "cascade" in PARTS else 0):
        n = len(cascade_variants)
        order = cascade_variants[run % n:] + cascade_variants[:run % n]
        for v in order:
            progress(f"cascade, {v}, run {run + 1} of {RUNS}")
            ctimes[v].append(timed(cascade(v), cascade_reset(v)))
    for v in cascade_variants:
        check_arrays(v) if v != "keys only" else None
    c = {v: median(ts) for v, ts in ctimes.items() if ts}
    progress_done()
    report(b, lat, tps, c, statements)
    report_gin(gin)

    results = {}
    results.update({f"bulk: {v}": result("ms", ts) for v, ts in times.items() if ts})
    results.update({f"small: {st}: {v}": result("ms", lat[(v, st)]) for v in VARIANTS for st in statements
                    if lat[(v, st)]})
    results.update({f"2 clients: {v}": result("tps", ts, higher_is_better=True) for v, ts in tps.items() if ts})
    results.update({f"cascade: {v}": result("ms", ts) for v, ts in ctimes.items() if ts})
    results.update({f"gin: {k}": result("ms", ts) for k, ts in gin.items()})
    write_json(results)



GIN_QUERIES = {
    # owners linked to both of two targets (10,000 owners, arrays of 100 ids): what an array with
    # a GIN index serves (@>); the join table answers it with a GROUP BY over both targets' links
    "owners of both targets x and y": (
        "SELECT count(*) FROM o_habtm WHERE t_habtm_ids @> ARRAY[:x, :y]::bigint[];\n",
        "SELECT count(*) FROM (SELECT o_habtm_id FROM j_habtm WHERE t_habtm_id IN (:x, :y)\n"
        "  GROUP BY o_habtm_id HAVING count(*) = 2) s;\n"),
    # one target's owners: the join table's own index serves it directly
    "owners of target x": (
        "SELECT count(*) FROM o_habtm WHERE t_habtm_ids @> ARRAY[:x]::bigint[];\n",
        "SELECT count(*) FROM j_habtm WHERE t_habtm_id = :x;\n"),
}


def gin_part():
    """habtm's arrays with and without denormalize(..., gin => true): the cost the index adds to
    a one-link add, and the queries it serves, against the join table's own answer. Each run
    measures both states, the index dropped or built before (order alternating)."""
    pick = f"\\set x random(1, {TARGETS})\n\\set y random(1, {TARGETS})\n"
    add = small_statements("habtm")["habtm.add of 1 link"]
    drop = """DO $$ DECLARE i regclass; BEGIN
  FOR i IN SELECT indexrelid::regclass FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
            JOIN pg_am am ON am.oid = c.relam
           WHERE am.amname = 'gin' AND x.indrelid IN ('o_habtm'::regclass, 't_habtm'::regclass) LOOP
    EXECUTE format('DROP INDEX %s', i);
  END LOOP; END $$;\n"""
    build = "SELECT habtm.denormalize('j_habtm', gin => true) \\g /dev/null\n"
    out = {}
    for run in range(RUNS):
        for state in (("without", "with") if run % 2 == 0 else ("with", "without")):
            progress(f"GIN, {state} the index, run {run + 1} of {RUNS}")
            psql((drop if state == "without" else build) + "VACUUM ANALYZE o_habtm, t_habtm;\nCHECKPOINT;\n")
            out.setdefault(f"add of 1 link, {state} GIN", []).append(pgbench(add, 1, PGBENCH_SECONDS)[0])
            for query, (array_sql, join_sql) in GIN_QUERIES.items():
                out.setdefault(f"{query}: array, {state} GIN", []).append(
                    pgbench(pick + array_sql, 1, PGBENCH_SECONDS)[0])
                out.setdefault(f"{query}: join table, {state} GIN", []).append(
                    pgbench(pick + join_sql, 1, PGBENCH_SECONDS)[0])
    psql(drop)
    return out


def report_gin(gin):
    if not gin:
        return
    m = {k: median(v) for k, v in gin.items()}
    print("\nGIN on habtm's id arrays (denormalize(..., gin => true)): latency, ms (pgbench, 1 client)")
    a, g = m["add of 1 link, without GIN"], m["add of 1 link, with GIN"]
    print(f"  {'habtm.add of 1 link':34} {a:9.3f} without, {g:9.3f} with the index: {g / a:.2f}x")
    for query in GIN_QUERIES:
        join = median(gin[f"{query}: join table, without GIN"] + gin[f"{query}: join table, with GIN"])
        arr, arr_gin = m[f"{query}: array, without GIN"], m[f"{query}: array, with GIN"]
        print(f"  {query:34} join table {join:9.3f}; array {arr:9.3f} without the index, "
              f"{arr_gin:9.3f} with it ({arr_gin / join:.2f}x the join table)")


def report(b, lat, tps, c, statements):
    """One table: each variant's median per part, its ratio to keys only and, for the
    trigger variants, to the floor (the least any trigger design can do); then the targets."""
    columns = []
    if b:
        columns.append(("bulk load (s)", {v: x / 1000 for v, x in b.items()}, "{:.2f}", False))
    if "small" in PARTS:
        for st in statements:
            columns.append((st.replace("habtm.", "") + " (ms)",
                            {v: median(lat[(v, st)]) for v in VARIANTS if lat[(v, st)]}, "{:.3f}", False))
    if "clients" in PARTS:
        columns.append(("2 clients (tps)", {v: median(ts) for v, ts in tps.items() if ts}, "{:,.0f}", True))
        spread = {v: (min(ts) / median(ts), max(ts) / median(ts)) for v, ts in tps.items() if ts}
    if c:
        columns.append((f"cascade (ms)", c, "{:.1f}", False))

    if not columns:
        return

    def cell(values, v, fmt, higher):
        if v not in values:
            return "—"
        k, f = values["keys only"], values.get("floor")
        if higher:  # throughput: % of keys only, % of the floor
            text = f"{fmt.format(values[v])} {values[v] / k * 100:.0f}%"
            return text + (f" {values[v] / f * 100:.0f}%f" if f and v not in ("keys only", "floor") else "")
        text = f"{fmt.format(values[v])} {values[v] / k:.2f}x"
        return text + (f" {values[v] / f:.2f}f" if f and v not in ("keys only", "floor") else "")
    width = 24
    print(f"\nhabtm and the alternatives: median, then ratio to keys only (x, or % of its throughput), "
          f"then to the floor (f)")
    print(f"{'':15}" + "".join(f"{title:>{width}}" for title, *_ in columns))
    for v in VARIANTS:
        print(f"{v:15}" + "".join(f"{cell(values, v, fmt, higher):>{width}}" for _, values, fmt, higher in columns))
    if "clients" in PARTS:
        print("2 clients, each variant's lowest and highest run over its median: "
              + ", ".join(f"{v} {lo:.2f}–{hi:.2f}" for v, (lo, hi) in spread.items()))
    if set(VARIANTS) != set(ALL_VARIANTS):
        return  # the targets compare every variant
    print("\ntargets:")
    if b:
        print(f"  bulk, habtm / keys only:                 {b['habtm'] / b['keys only']:.2f}x  (target <= 1.05)")
        if "hand row" in b:
            print(f"  bulk, hand row / habtm:                  {b['hand row'] / b['habtm']:.1f}x  (target >= 10)")
    if "small" in PARTS:
        for st in statements:
            h, f = median(lat[("habtm", st)]), median(lat[("floor", st)])
            row = median(lat[("hand row", st)])
            print(f"  {st + ', habtm / floor:':41} {h / f:.2f}x  (target <= 1.10; "
                  f"{'at or below' if h <= row else 'ABOVE'} the hand-written row trigger, {h / row:.2f}x it)")
    if "clients" in PARTS:
        h, f = median(tps["habtm"]), median(tps["floor"])
        print(f"  2 clients, habtm / floor:                {h / f * 100:.0f}%  (target >= 85%)")
    if c:
        print(f"  cascade, habtm / floor:                  {c['habtm'] / c['floor']:.2f}x  (target <= 1.15)")


if __name__ == "__main__":
    main()
