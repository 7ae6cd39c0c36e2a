"""Shared by the benchmarks: psql sessions, server-clock timing, machine-readable results."""
import json
import os
import re
import statistics
import subprocess
import sys


def psql(script):
    """Runs a script in a fresh psql session (stopping at the first error); returns its output."""
    result = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"],
                            input=script, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"psql failed:\n{result.stderr[-3000:]}")
    return result.stdout


def timed(side, reset):
    """Milliseconds of a side by the server's clock, after an untimed reset. A side is the SQL
    to time, or a pair (untimed preparation, SQL to time)."""
    prepare, body = side if isinstance(side, tuple) else ("", side)
    out = psql(reset + prepare
               + "SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset\n"
               + body
               + "SELECT 'elapsed:' || round((extract(epoch FROM clock_timestamp()) - :t0) * 1000, 2);\n")
    return float(re.search(r"elapsed:([0-9.]+)", out).group(1))


def result(unit, values, higher_is_better=False):
    """One variant's measurements for write_json: its unit, every run, their median."""
    return {"unit": unit, "higher_is_better": higher_is_better, "median": statistics.median(values),
            "runs": list(values)}


def write_json(results):
    """With BENCH_JSON=PATH, writes {variant: result(...)} there as JSON (bench/compare.sh reads
    it); what is measured and printed does not change."""
    path = os.environ.get("BENCH_JSON")
    if path:
        with open(path, "w") as f:
            json.dump(results, f, indent=1)


def progress(what):
    """One line a user running a benchmark sees move (stderr, overwritten in place)."""
    sys.stderr.write(f"\r\033[K{what}")
    sys.stderr.flush()


def progress_done():
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()
