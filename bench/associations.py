#!/usr/bin/env python3
"""Association functions against what users write by hand, side by side in one run.

replace: developer 1 is linked to projects 1..10000 and is made to have 5001..15000 instead
(5,000 links removed, 5,000 added: a replace of 10,000 ids), by
  - habtm.replace,
  - one DELETE or INSERT per id sent from the client, as Rails' collection= does,
  - the same per-id statements in a server-side PL/pgSQL loop (no round trips: a stricter baseline),
  - one hand-written set-based statement (what an expert writes), the ids bound as a parameter.
collection: developer 2's 10,000 projects as jsonb rows, by habtm.collection and by a
hand-written JOIN producing the same rows in the same order; and as rows of projects, by the
typed form (result_type NULL::projects) and by the JOIN selecting the rows themselves.
per call: 2,000 calls of habtm.add of one link and of habtm.count, each in a PL/pgSQL loop,
beside the plain INSERT and count(*) a user would write (per-call overhead of habtm).

Each run resets the state first (untimed, then CHECKPOINT), and each side is timed by the
server's clock around it, in one session, round trips included; a collection side runs once
untimed in that session first (plans warm, as on a pooled connection). RUNS runs per side, the order
rotated from run to run; medians and their ratios are reported.

BENCH_JSON=PATH also writes every side's runs and median there (bench/compare.sh reads it).

Needs PGHOST/PGPORT/PGUSER/PGDATABASE; bench/run.sh provides a throwaway cluster.
"""
import os
import statistics
import sys

from common import psql, result, timed, write_json

RUNS = int(os.environ.get("RUNS", "7"))
N = 10_000

SETUP = f"""
DROP TABLE IF EXISTS developers, projects CASCADE;
CREATE EXTENSION IF NOT EXISTS habtm;
CREATE TABLE developers (id bigint PRIMARY KEY, name text) WITH (autovacuum_enabled = off);
CREATE TABLE projects (id int PRIMARY KEY, title text, budget numeric) WITH (autovacuum_enabled = off);
INSERT INTO developers VALUES (1, 'ann'), (2, 'ben');
INSERT INTO projects SELECT i, 'project ' || i, i % 1000 FROM generate_series(1, {N + N // 2}) i;
SELECT habtm.create_join_table('developers', 'projects');
ALTER TABLE developers_projects SET (autovacuum_enabled = off);
INSERT INTO developers_projects SELECT 2, i FROM generate_series(1, {N}) i;
VACUUM ANALYZE developers, projects, developers_projects;
"""

RESET = f"""
DELETE FROM developers_projects WHERE developer_id = 1;
INSERT INTO developers_projects SELECT 1, i FROM generate_series(1, {N}) i;
VACUUM ANALYZE developers_projects;
SELECT array_agg(i)::text AS wanted FROM generate_series({N // 2 + 1}, {N + N // 2}) i \\gset
CHECKPOINT;
"""

# The new id list, sent to the server as a value, as an application sends it.
WANTED = "CAST(:'wanted' AS int[])"


def per_id_statements():
    """What Rails sends for developer.project_ids = [...]: one statement per changed id."""
    lines = [f"DELETE FROM developers_projects WHERE developer_id = 1 AND project_id = {i};"
             for i in range(1, N // 2 + 1)]
    lines += [f"INSERT INTO developers_projects (developer_id, project_id) VALUES (1, {i});"
              for i in range(N + 1, N + N // 2 + 1)]
    return "BEGIN;\n" + "\n".join(lines) + "\nCOMMIT;\n"


PER_ID_LOOP = f"""
DO $$
DECLARE i int;
BEGIN
  FOR i IN 1..{N // 2} LOOP
    DELETE FROM developers_projects WHERE developer_id = 1 AND project_id = i;
  END LOOP;
  FOR i IN {N + 1}..{N + N // 2} LOOP
    INSERT INTO developers_projects (developer_id, project_id) VALUES (1, i);
  END LOOP;
END $$;
"""

# What an expert writes, with the ids bound as one array parameter, as an application sends them
# (PREPARE is untimed; EXECUTE plans with the array's value, as habtm's SPI call does).
HAND_WRITTEN_PREPARE = """
PREPARE hand_written(int[]) AS
WITH removed AS (DELETE FROM developers_projects WHERE developer_id = 1 AND NOT (project_id = ANY ($1))),
     added AS (INSERT INTO developers_projects (developer_id, project_id)
               SELECT 1, unnest($1) ON CONFLICT DO NOTHING)
SELECT 1;
"""
HAND_WRITTEN_REPLACE = (HAND_WRITTEN_PREPARE, "EXECUTE hand_written(:'wanted');\n")

REPLACE_SIDES = {
    "habtm.replace": f"SELECT habtm.replace('developers', 'projects', 1, {WANTED});\n",
    "per-id statements from the client (Rails)": per_id_statements(),
    "per-id statements in a PL/pgSQL loop": PER_ID_LOOP,
    "one hand-written statement": HAND_WRITTEN_REPLACE,
}

COLLECTION_SIDES = {
    "habtm.collection": "SELECT count(c) FROM habtm.collection('developers', 'projects', 2) c;\n",
    "hand-written JOIN": """SELECT count(c) FROM (
        SELECT to_jsonb(p) AS c FROM projects p JOIN developers_projects dp ON dp.project_id = p.id
         WHERE dp.developer_id = 2 ORDER BY p.id) s;\n""",
    "habtm.collection, typed rows": "SELECT count(c) FROM habtm.collection('developers', 'projects', 2, '{}', "
                                    "NULL::projects) c;\n",
    "hand-written JOIN, rows": """SELECT count(c) FROM (
        SELECT p AS c FROM projects p JOIN developers_projects dp ON dp.project_id = p.id
         WHERE dp.developer_id = 2 ORDER BY p.id) s;\n""",
}


# Each collection side runs once untimed in its session first: habtm prepares its plans once per
# backend, and the hand-written query is planned by then too (the steady state of a pooled
# connection; the first call in a new backend also pays ~1-5 ms of planning).
COLLECTION_SIDES = {label: (sql, sql) for label, sql in COLLECTION_SIDES.items()}


CALLS = 2000
RESET_CALLS = f"""
DELETE FROM developers_projects WHERE developer_id >= 3;
INSERT INTO developers SELECT i FROM generate_series(3, {2 * CALLS + 3}) i ON CONFLICT DO NOTHING;
CHECKPOINT;
"""
CALL_SIDES = {
    "habtm.add of one link": f"DO $$ BEGIN FOR i IN 3..{CALLS + 2} LOOP "
                             "PERFORM habtm.add('developers', 'projects', i, ARRAY[1]); END LOOP; END $$;\n",
    "INSERT of one link": f"DO $$ BEGIN FOR i IN {CALLS + 3}..{2 * CALLS + 2} LOOP "
                          "INSERT INTO developers_projects VALUES (i, 1); END LOOP; END $$;\n",
    "habtm.count": f"DO $$ BEGIN FOR i IN 3..{CALLS + 2} LOOP "
                   "PERFORM habtm.count('developers', 'projects', i); END LOOP; END $$;\n",
    "count(*) of one owner's links": f"DO $$ BEGIN FOR i IN 3..{CALLS + 2} LOOP "
                                     "PERFORM count(*) FROM developers_projects WHERE developer_id = i; END LOOP; END $$;\n",
}




def check_same_result():
    """Every replace side leaves the same links; both collection sides return the same rows."""
    expected = None
    for label, side in REPLACE_SIDES.items():
        prepare, body = side if isinstance(side, tuple) else ("", side)
        links = psql(RESET + prepare + body + "SELECT md5(string_agg(project_id::text, ',' ORDER BY project_id)) "
                     "FROM developers_projects WHERE developer_id = 1;\n").strip().splitlines()[-1]
        if expected is None:
            expected = links
        elif links != expected:
            sys.exit(f"{label} leaves different links")
    a = psql("SELECT md5(string_agg(c::text, '|')) FROM habtm.collection('developers', 'projects', 2) c;")
    b = psql("SELECT md5(string_agg(to_jsonb(p)::text, '|' ORDER BY p.id)) FROM projects p "
             "JOIN developers_projects dp ON dp.project_id = p.id WHERE dp.developer_id = 2;")
    if a != b:
        sys.exit("habtm.collection and the JOIN return different rows")
    c = psql("SELECT md5(string_agg(c::text, '|')) FROM habtm.collection('developers', 'projects', 2, '{}', NULL::projects) c;")
    d = psql("SELECT md5(string_agg(p::text, '|' ORDER BY p.id)) FROM projects p "
             "JOIN developers_projects dp ON dp.project_id = p.id WHERE dp.developer_id = 2;")
    if c != d:
        sys.exit("the typed habtm.collection and the JOIN return different rows")


def measure(sides, reset):
    labels = list(sides)
    times = {label: [] for label in labels}
    for run in range(RUNS):
        shift = run % len(labels)
        for label in labels[shift:] + labels[:shift]:
            times[label].append(timed(sides[label], reset))
    return times


def report(title, times, reference):
    print(f"\n{title}")
    print(f"{'':44} {'median ms':>10} {'spread':>7} {'vs ' + reference:>20}")
    ref = statistics.median(times[reference])
    for label, ts in times.items():
        med = statistics.median(ts)
        spread = (max(ts) - min(ts)) / med * 100
        print(f"{label:44} {med:10.1f} {spread:6.0f}% {med / ref:19.2f}x")


def main():
    psql(SETUP)
    check_same_result()
    version = psql("SELECT extversion FROM pg_extension WHERE extname = 'habtm';").strip()
    print(f"habtm {version}: {RUNS} runs per side, median wall time by the server's clock")
    replace = measure(REPLACE_SIDES, RESET)
    report(f"replace of {N:,} ids (5,000 removed, 5,000 added)", replace, "habtm.replace")
    collection = measure(COLLECTION_SIDES, "CHECKPOINT;\n")
    report(f"collection of {N:,} linked rows", collection, "habtm.collection")
    calls = measure(CALL_SIDES, RESET_CALLS)
    print(f"\nper call ({CALLS:,} calls in a PL/pgSQL loop; µs per call)")
    for label, ts in calls.items():
        print(f"  {label:42} {statistics.median(ts) * 1000 / CALLS:8.1f} µs")
    r = {k: statistics.median(v) for k, v in replace.items()}
    c = {k: statistics.median(v) for k, v in collection.items()}
    print("\nratios:")
    print(f"  per-id statements from the client / habtm.replace: {r['per-id statements from the client (Rails)'] / r['habtm.replace']:.1f}x  (target >= 20)")
    print(f"  per-id PL/pgSQL loop / habtm.replace:              {r['per-id statements in a PL/pgSQL loop'] / r['habtm.replace']:.1f}x")
    print(f"  habtm.replace / one hand-written statement:        {r['habtm.replace'] / r['one hand-written statement']:.2f}x  (target <= 1.5)")
    print(f"  habtm.collection / hand-written JOIN:              {c['habtm.collection'] / c['hand-written JOIN']:.2f}x  (target <= 1.5)")
    print(f"  typed habtm.collection / JOIN of rows:             "
          f"{c['habtm.collection, typed rows'] / c['hand-written JOIN, rows']:.2f}x")
    k = {k: statistics.median(v) for k, v in calls.items()}
    print(f"  habtm.add of one link / INSERT of one link:        {k['habtm.add of one link'] / k['INSERT of one link']:.2f}x")
    plain_count = k["count(*) of one owner's links"]
    print(f"  habtm.count / count(*):                            {k['habtm.count'] / plain_count:.2f}x")
    write_json({**{f"replace: {label}": result("ms", ts) for label, ts in replace.items()},
                **{f"collection: {label}": result("ms", ts) for label, ts in collection.items()},
                **{f"per call: {label}": result("µs/call", [t * 1000 / CALLS for t in ts])
                   for label, ts in calls.items()}})


if __name__ == "__main__":
    main()
