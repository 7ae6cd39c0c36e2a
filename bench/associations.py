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
typed form (result_type NULL::projects) and by the JOIN selecting the rows themselves; beside
each, the floor of any set-returning function: a PL/pgSQL function returning that JOIN.
per call: every function (add, remove, clear, count, exists, ids, find, collection) called once
per owner in a PL/pgSQL loop, beside the statement a user would write in its place in the same
loop (INSERT, DELETE, count(*), EXISTS, jsonb_agg / ARRAY(), a JOIN) and beside the floor: a
PL/pgSQL function that checks the owner row (and takes the owner's lock, for writers) and then
runs that statement — what any correct association function pays, on 2,000 owners of one
link and on 10 owners of 10,000 links, under uniform statistics (the table analyzed as it is)
and skewed ones (analyzed when only the big owners had links: a generic plan for
`owner_column = $1` then scans the whole table for every other owner). Reported per call.

Each run resets the state first (untimed, then CHECKPOINT), and each side is timed by the
server's clock around it, in one session, round trips included; a collection side runs once
untimed in that session first (plans warm, as on a pooled connection). RUNS runs per side, the order
rotated from run to run; medians and their ratios are reported in one table at the end, with the
targets (a ! marks a ratio above its target). Progress goes to stderr. RUNS=3 is a quick try.

BENCH_JSON=PATH also writes every side's runs and median there (bench/compare.sh reads it).

Needs PGHOST/PGPORT/PGUSER/PGDATABASE; bench/run.sh provides a throwaway cluster.
"""
import os
import statistics
import sys

from common import progress, progress_done, psql, result, timed, warn_if_busy, write_json

RUNS = int(os.environ.get("RUNS", "7"))
N = 10_000

SETUP = f"""
DROP TABLE IF EXISTS developers_projects, developers, projects CASCADE;
CREATE EXTENSION IF NOT EXISTS habtm;
CREATE TABLE developers (id bigint PRIMARY KEY, name text) WITH (autovacuum_enabled = off);
CREATE TABLE projects (id int PRIMARY KEY, title text, budget numeric) WITH (autovacuum_enabled = off);
INSERT INTO developers VALUES (1, 'ann'), (2, 'ben');
INSERT INTO projects SELECT i, 'project ' || i, i % 1000 FROM generate_series(1, {N + N // 2}) i;
SELECT habtm.create_join_table('developers', 'projects');
ALTER TABLE developers_projects SET (autovacuum_enabled = off);
INSERT INTO developers_projects SELECT 2, i FROM generate_series(1, {N}) i;
VACUUM ANALYZE developers, projects, developers_projects;
-- the floor of any set-returning function: PL/pgSQL returning the JOIN (RETURN QUERY)
CREATE OR REPLACE FUNCTION floor_jsonb(o bigint) RETURNS SETOF jsonb LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN QUERY SELECT to_jsonb(p) FROM projects p JOIN developers_projects dp ON dp.project_id = p.id
                    WHERE dp.developer_id = o ORDER BY p.id; END $$;
CREATE OR REPLACE FUNCTION floor_rows(o bigint) RETURNS SETOF projects LANGUAGE plpgsql STABLE AS $$
BEGIN RETURN QUERY SELECT p.* FROM projects p JOIN developers_projects dp ON dp.project_id = p.id
                    WHERE dp.developer_id = o ORDER BY p.id; END $$;
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
    "floor, jsonb": "SELECT count(c) FROM floor_jsonb(2) c;\n",
    "floor, rows": "SELECT count(c) FROM floor_rows(2) c;\n",
}


# Each collection side runs once untimed in its session first: habtm prepares its plans once per
# backend, and the hand-written query is planned by then too (the steady state of a pooled
# connection; the first call in a new backend also pays ~1-5 ms of planning).
COLLECTION_SIDES = {label: (sql, sql) for label, sql in COLLECTION_SIDES.items()}


# Per call: every function on one owner at a time, in a PL/pgSQL loop, beside the statement a
# user would write in its place, under two distributions of the statistics:
#   uniform  the join table analyzed as it is, every owner holding as many links as the others
#            (one link each for the one-link calls; 10,000 each for the big owners' calls)
#   skewed   analyzed when only the big owners had links, then SMALL owners given one link each
#            (a popular tag, a big customer): a generic plan for `owner_column = $1` then expects
#            a tenth of the table for every owner and scans it all
CALLS = 2000            # one-link owners: 1001 .. 1000 + CALLS, each linked to group 1
BIG = 10                # big owners: 1 .. BIG, each linked to groups 1 .. N
# One more owner of each size, 1001 + CALLS and BIG + 1, is called once untimed in each session
# first, so that both sides' plans are prepared (as on a pooled connection; the first call in a
# new backend also pays for loading the association).
SPARE_SMALL, SPARE_BIG = 1001 + CALLS, BIG + 1
NEW_GROUP = N + 1       # linked to nobody: what add adds

CALL_SETUP = f"""
DROP TABLE IF EXISTS groups_members, members, groups CASCADE;
CREATE TABLE members (id bigint PRIMARY KEY, name text) WITH (autovacuum_enabled = off);
CREATE TABLE groups (id int PRIMARY KEY, title text) WITH (autovacuum_enabled = off);
INSERT INTO members SELECT i, 'member ' || i FROM generate_series(1, {SPARE_SMALL}) i;
INSERT INTO groups SELECT i, 'group ' || i FROM generate_series(1, {NEW_GROUP}) i;
SELECT habtm.create_join_table('members', 'groups') \\g /dev/null
ALTER TABLE groups_members SET (autovacuum_enabled = off);
VACUUM ANALYZE members, groups;
"""

SMALL_LINKS = f"INSERT INTO groups_members SELECT i, 1 FROM generate_series(1001, {SPARE_SMALL}) i ON CONFLICT DO NOTHING;\n"
BIG_LINKS = (f"INSERT INTO groups_members SELECT o, g FROM generate_series(1, {SPARE_BIG}) o, generate_series(1, {N}) g "
             "ON CONFLICT DO NOTHING;\n")

# The statistics each distribution is measured under (then the links every call needs).
DISTRIBUTIONS = {
    ("uniform", "one link"): "TRUNCATE groups_members;\n" + SMALL_LINKS + "ANALYZE groups_members;\n",
    ("uniform", f"{N:,} links"): "TRUNCATE groups_members;\n" + BIG_LINKS + "ANALYZE groups_members;\n",
    ("skewed", "one link"): "TRUNCATE groups_members;\n" + BIG_LINKS + "ANALYZE groups_members;\n" + SMALL_LINKS,
    ("skewed", f"{N:,} links"): "TRUNCATE groups_members;\n" + BIG_LINKS + "ANALYZE groups_members;\n" + SMALL_LINKS,
}


def call_pairs(size):
    """(function, habtm's loop body, the user's loop body, untimed reset) per function, for
    owners `o` of one link (group 1) or of N links (groups 1..N)."""
    links = "SELECT o, 1" if size == "one link" else f"SELECT o, g FROM generate_series(1, {N}) g"
    relink = f"INSERT INTO groups_members {links} ON CONFLICT DO NOTHING"
    return [
        ("add of one link", f"PERFORM habtm.add('members', 'groups', o, ARRAY[{NEW_GROUP}])",
         f"INSERT INTO groups_members VALUES (o, {NEW_GROUP})",
         f"DELETE FROM groups_members WHERE group_id = {NEW_GROUP};\n"),
        ("remove of one link", "PERFORM habtm.remove('members', 'groups', o, ARRAY[1])",
         "DELETE FROM groups_members WHERE member_id = o AND group_id = 1",
         f"INSERT INTO groups_members SELECT o, 1 FROM {{owners}} o ON CONFLICT DO NOTHING;\n"),
        ("clear", "PERFORM habtm.clear('members', 'groups', o)",
         "DELETE FROM groups_members WHERE member_id = o",
         f"INSERT INTO groups_members SELECT l.* FROM {{owners}} o, LATERAL ({links}) l ON CONFLICT DO NOTHING;\n"),
        ("count", "PERFORM habtm.count('members', 'groups', o)",
         "PERFORM count(*) FROM groups_members WHERE member_id = o", ""),
        ("exists", "PERFORM habtm.exists('members', 'groups', o, 1)",
         "PERFORM EXISTS (SELECT FROM groups_members WHERE member_id = o AND group_id = 1)", ""),
        ("ids (jsonb)", "PERFORM habtm.ids('members', 'groups', o)",
         "PERFORM (SELECT COALESCE(jsonb_agg(group_id ORDER BY group_id), '[]') FROM groups_members WHERE member_id = o)", ""),
        ("ids (array)", "PERFORM habtm.ids('members', 'groups', o, NULL::int[])",
         "PERFORM ARRAY(SELECT group_id FROM groups_members WHERE member_id = o ORDER BY group_id)", ""),
        ("find", "PERFORM habtm.find('members', 'groups', o, 1)",
         "PERFORM (SELECT to_jsonb(g) FROM groups g JOIN groups_members l ON l.group_id = g.id "
         "WHERE l.member_id = o AND g.id = 1)", ""),
        ("collection (jsonb)", "PERFORM count(c) FROM habtm.collection('members', 'groups', o) c",
         "PERFORM count(c) FROM (SELECT to_jsonb(g) AS c FROM groups g JOIN groups_members l ON l.group_id = g.id "
         "WHERE l.member_id = o ORDER BY g.id) s", ""),
    ]


def call_loop(body, size, spare=False):
    if spare:
        owners = f"{SPARE_SMALL}..{SPARE_SMALL}" if size == "one link" else f"{SPARE_BIG}..{SPARE_BIG}"
    else:
        owners = f"1001..{1000 + CALLS}" if size == "one link" else f"1..{BIG}"
    return f"DO $$ DECLARE o bigint; BEGIN FOR o IN {owners} LOOP {body}; END LOOP; END $$;\n"


def floor_function(n, body, writes):
    """The floor: a function (PL/pgSQL, not inlined, called as habtm is) that makes the checks
    any correct association function makes — the owner row exists, and for a writer the owner's
    lock — then runs the bare statement, each a statement of its own."""
    lock = "PERFORM pg_advisory_xact_lock(hashtextextended('floor ' || o::text, 0)); " if writes else ""
    return (f"CREATE OR REPLACE FUNCTION pg_temp.floor_{n}(o bigint) RETURNS void LANGUAGE plpgsql AS $f$ "
            f"BEGIN {lock}IF NOT EXISTS (SELECT FROM members WHERE id = o) THEN RAISE 'no member %', o; END IF; "
            f"{body}; END $f$;\n")


def per_call():
    """Median µs per call of every function, of its bare statement and of the floor function,
    per distribution and owner size: {(distribution, size, function): {side: runs}}."""
    psql(CALL_SETUP)
    out = {}
    for (dist, size), state in DISTRIBUTIONS.items():
        psql(state + "VACUUM groups_members;\nCHECKPOINT;\n")
        calls = CALLS if size == "one link" else BIG
        owners = (f"generate_series(1001, {SPARE_SMALL})" if size == "one link"
                  else f"generate_series(1, {SPARE_BIG})")
        for n, (function, habtm_body, bare_body, reset) in enumerate(call_pairs(size)):
            reset = reset.replace("{owners}", owners)
            if reset:  # writes: the dead rows go, the statistics stay as they are
                reset += "VACUUM groups_members;\n"
            floor = floor_function(n, bare_body, bool(reset))
            bodies = {"habtm": habtm_body, "bare": bare_body, "floor": f"PERFORM pg_temp.floor_{n}(o)"}
            sides = {side: (floor + call_loop(body, size, spare=True), call_loop(body, size))
                     for side, body in bodies.items()}
            times = {side: [] for side in sides}
            for run in range(RUNS):
                progress(f"per call, {dist}, owners of {size}: {function}, run {run + 1} of {RUNS}")
                order = list(sides)[run % 3:] + list(sides)[:run % 3]
                for side in order:
                    times[side].append(timed(sides[side], reset) * 1000 / calls)
            if reset:
                psql(reset)  # the links as they were, for the next function
            out[(dist, size, function)] = times
    progress_done()
    return out


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


def measure(sides, reset, part):
    labels = list(sides)
    times = {label: [] for label in labels}
    for run in range(RUNS):
        progress(f"{part}, run {run + 1} of {RUNS}")
        shift = run % len(labels)
        for label in labels[shift:] + labels[:shift]:
            times[label].append(timed(sides[label], reset))
    progress_done()
    return times


def main():
    warn_if_busy()
    psql(SETUP)
    check_same_result()
    version = psql("SELECT extversion FROM pg_extension WHERE extname = 'habtm';").strip()
    server = psql("SHOW server_version;").strip()
    replace = measure(REPLACE_SIDES, RESET, "replace")
    collection = measure(COLLECTION_SIDES, "CHECKPOINT;\n", "collection")
    calls = per_call()

    med = statistics.median
    r = {k: med(v) for k, v in replace.items()}
    c = {k: med(v) for k, v in collection.items()}
    rows = [
        ("replace of 10,000 ids (ms)", "habtm.replace", r["habtm.replace"],
         "one hand-written statement", r["one hand-written statement"], "<= 1.00"),
        ("", "", None, "per-id statements from the client (Rails)",
         r["per-id statements from the client (Rails)"], ""),
        ("", "", None, "per-id statements in a PL/pgSQL loop", r["per-id statements in a PL/pgSQL loop"], ""),
        (f"collection of {N:,} rows (ms)", "habtm.collection (jsonb)", c["habtm.collection"],
         f"JOIN with to_jsonb (floor {c['floor, jsonb'] / c['hand-written JOIN']:.2f}x, "
         f"habtm {c['habtm.collection'] / c['floor, jsonb']:.2f}x floor)", c["hand-written JOIN"], "<= 1.05"),
        ("", "habtm.collection (typed rows)", c["habtm.collection, typed rows"],
         f"JOIN selecting the rows (floor {c['floor, rows'] / c['hand-written JOIN, rows']:.2f}x, "
         f"habtm {c['habtm.collection, typed rows'] / c['floor, rows']:.2f}x floor)", c["hand-written JOIN, rows"], "<= 1.10"),
    ]
    for (dist, size, function), t in calls.items():
        rows.append((f"per call, {dist}, owners of {size} (µs)", function, med(t["habtm"]),
                     f"bare statement (floor {med(t['floor']) / med(t['bare']):.2f}x, habtm {med(t['habtm']) / med(t['floor']):.2f}x floor)", med(t["bare"]), "<= 1.50"))

    print(f"habtm {version} on PostgreSQL {server}: {RUNS} runs per side, medians by the server's clock; "
          f"per call: {CALLS:,} one-link owners or {BIG} owners of {N:,} links, one call each in a PL/pgSQL loop")
    print(f"\n{'':44} {'habtm':>10} {'by hand':>10} {'ratio':>7} {'target':>8}  by hand is")
    group = None
    for title, label, h, other, b, target in rows:
        if title and title != group:
            print(f"{title}")
            group = title
        if h is None:
            ratio = f"{b / r['habtm.replace']:6.2f}x"
            print(f"  {'':42} {'':>10} {b:10.1f} {ratio:>7} {'':>8}  {other} (ratio: it / habtm)")
            continue
        ratio = h / b
        flag = " " if not target or ratio <= float(target.split()[-1]) else "!"
        print(f"  {label:42} {h:10.1f} {b:10.1f} {ratio:6.2f}x{flag} {target:>8}  {other}")
    write_json({**{f"replace: {label}": result("ms", ts) for label, ts in replace.items()},
                **{f"collection: {label}": result("ms", ts) for label, ts in collection.items()},
                **{f"per call, {d}, {sz}: {fn}: {side}": result("µs/call", ts)
                   for (d, sz, fn), t in calls.items() for side, ts in t.items()}})


if __name__ == "__main__":
    main()
