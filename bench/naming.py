#!/usr/bin/env python3
"""Naming speed through SQL, side by side in one run.

Times habtm.singularize, habtm.pluralize and habtm.join_table_name over the Rails vector files
(repeated to get measurable statements) beside a trivial SQL function over the same rows: the
floor. It is not STRICT, so PostgreSQL inlines it and it costs only the scan and the aggregate.
Built-in C functions of similar shape (lower(), ||) are there for scale. Reports the median of
RUNS server-side execution times per query (EXPLAIN ANALYZE with TIMING OFF, the same overhead
on every side), its spread (max - min over the median), rows per second, and the ratio to the
floor: of the medians, and the median of the per-round ratios. Each round runs every query in one
warmed-up session, in an order rotated from round to round so that drift hits every side alike.

Also reports the one-time cost of compiling the rules in a new backend.

Needs PGHOST/PGPORT/PGUSER/PGDATABASE pointing at a database where habtm can be created;
bench/run.sh provides a throwaway cluster.
"""
import json
import os
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(os.environ.get("RUNS", "11"))
REPEAT = int(os.environ.get("REPEAT", "10"))

WARM = "SELECT habtm.singularize('warm'), habtm.pluralize('warm'), habtm.join_table_name('a', 'b');\n"

QUERIES = [
    # (label, table, query)
    ("floor: trivial SQL function", "words", "SELECT count(bench.identity(word)) FROM bench.words"),
    ("built-in lower()", "words", "SELECT count(lower(word)) FROM bench.words"),
    ("habtm.singularize", "words", "SELECT count(habtm.singularize(word)) FROM bench.words"),
    ("habtm.pluralize", "words", "SELECT count(habtm.pluralize(word)) FROM bench.words"),
    ("floor: trivial SQL function (a, b)", "pairs", "SELECT count(bench.identity2(a, b)) FROM bench.pairs"),
    ("built-in a || '_' || b", "pairs", "SELECT count(a || '_' || b) FROM bench.pairs"),
    ("habtm.join_table_name", "pairs", "SELECT count(habtm.join_table_name(a, b)) FROM bench.pairs"),
]


def psql(script, *args):
    result = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *args],
        input=script, capture_output=True, text=True, cwd=REPO,
    )
    if result.returncode != 0:
        sys.exit(f"psql failed:\n{result.stderr}")
    return result.stdout


def execution_ms(queries, warm=True):
    """Server execution time of each query, run in order in one session."""
    script = WARM if warm else ""
    for query in queries:
        script += f"\\echo ---\nEXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) {query};\n"
    parts = psql(script).split("---\n")[1:]
    return [json.loads(part)[0]["Execution Time"] for part in parts]


def setup():
    copy = "WITH (FORMAT csv, DELIMITER E'\\t', HEADER, QUOTE E'\\x01', FORCE_NOT_NULL ({}))"
    psql(f"""
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE EXTENSION IF NOT EXISTS habtm;
CREATE SCHEMA bench;
-- Not STRICT: a STRICT SQL function is only inlined when its body is strict in every argument.
CREATE FUNCTION bench.identity(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT $1';
CREATE FUNCTION bench.identity2(text, text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT $1';
CREATE TEMP TABLE inflections (word text, singular text, plural text);
\\copy inflections FROM 'crates/naming/tests/vectors/inflections.tsv' {copy.format('word, singular, plural')}
CREATE TEMP TABLE join_tables (a text, b text, j text, ac text, bc text);
\\copy join_tables FROM 'crates/naming/tests/vectors/join_tables.tsv' {copy.format('a, b, j, ac, bc')}
CREATE TABLE bench.words WITH (autovacuum_enabled = off) AS
    SELECT word FROM inflections, generate_series(1, {REPEAT});
CREATE TABLE bench.pairs WITH (autovacuum_enabled = off) AS
    SELECT a, b FROM join_tables, generate_series(1, {REPEAT} * 10);
VACUUM ANALYZE bench.words;
VACUUM ANALYZE bench.pairs;
""")
    counts = psql("SELECT (SELECT count(*) FROM bench.words), (SELECT count(*) FROM bench.pairs);").strip()
    return dict(zip(["words", "pairs"], map(int, counts.split("|"))))


def main():
    rows = setup()
    version = psql("SELECT extversion FROM pg_extension WHERE extname = 'habtm';").strip()
    print(f"habtm {version}, {RUNS} runs per query, median server execution time")
    print(f"rows: {rows['words']} words (inflections.tsv x{REPEAT}), "
          f"{rows['pairs']} pairs (join_tables.tsv x{REPEAT * 10})\n")

    execution_ms([q for _, _, q in QUERIES])  # warm the buffer cache once
    times = {label: [] for label, _, _ in QUERIES}
    for run in range(RUNS):
        shift = run % len(QUERIES)
        order = QUERIES[shift:] + QUERIES[:shift]
        for (label, _, _), ms in zip(order, execution_ms([q for _, _, q in order])):
            times[label].append(ms)

    # Ratio of medians, and the median of each round's own ratio (both sides measured in the
    # same session, so drift between rounds cancels out).
    floor_label = {table: label for label, table, _ in QUERIES if label.startswith("floor")}
    print(f"{'query':38} {'median ms':>10} {'spread':>7} {'rows/s':>12} {'x floor':>8} {'paired':>7}")
    for label, table, _ in QUERIES:
        ts, fs = times[label], times[floor_label[table]]
        med = statistics.median(ts)
        spread = (max(ts) - min(ts)) / med * 100
        ratio = med / statistics.median(fs)
        paired = statistics.median(t / f for t, f in zip(ts, fs))
        print(f"{label:38} {med:10.1f} {spread:6.0f}% {rows[table] / med * 1000:12,.0f} {ratio:8.2f} {paired:7.2f}")

    # The rules are compiled once per backend, on first use: a new session pays for it once.
    # A column argument, so the call is not folded into a constant at plan time.
    probe = "SELECT habtm.singularize(word), habtm.pluralize(word) FROM bench.words LIMIT 1"
    first = [execution_ms([probe], warm=False)[0] for _ in range(RUNS)]
    later = [execution_ms([probe])[0] for _ in range(RUNS)]
    print(f"\nfirst singularize + pluralize in a new backend (compiles the rules): "
          f"{statistics.median(first):.2f} ms; the same call once compiled: {statistics.median(later) * 1000:.0f} µs")

if __name__ == "__main__":
    main()
