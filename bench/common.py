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


def cpu_busy(seconds=2.0):
    """The share of the machine's CPU time used in the next `seconds`, 0..1, by anything (call
    it before a benchmark starts, when nothing of its own runs). Concurrent work on a small
    machine takes its share from whichever variant is being timed: ratios then move by tens of
    percent between runs (2 pgbench clients and their 2 backends already fill 2 cores)."""
    import time

    def sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def warn_if_busy():
    """Prints a warning line (for the results) when the machine is busy before a run."""
    busy = cpu_busy()
    if busy > 0.10:
        print(f"WARNING: {busy * 100:.0f}% of the CPU was in use before the benchmark started: "
              "other work takes its share from whichever variant runs, and ratios move between runs")
    return busy
