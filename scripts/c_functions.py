#!/usr/bin/env python3
"""Prints every C-language function of a pgrx-generated extension script as CREATE OR REPLACE.

Used when writing a release's upgrade script (README "Upgrading"): habtm's library is versioned
(habtm-X.Y.Z.so), so an update must point every C function at the new library. CREATE OR
REPLACE keeps each function's OID, so the triggers of users' tables that call a trigger function
keep working; a function whose signature changed must be dropped by hand before (the upgrade
test compares the result with a fresh CREATE EXTENSION and says what differs).

    scripts/c_functions.py habtm--0.3.0.sql > fragment.sql
"""
import re
import sys


def c_functions(sql):
    # pgrx writes each C function as one statement ending at `AS '<lib>', '<symbol>';`; the SQL
    # blocks between them (plpgsql bodies) hold semicolons too, so each statement is cut at the
    # first such ending after its CREATE and kept only if nothing but its own text lies between.
    start = re.compile(r"^CREATE\s+FUNCTION\b", re.M)
    end = re.compile(r"\bAS '[^']*', '[^']*';$", re.M)
    for m in start.finditer(sql):
        e = end.search(sql, m.start())
        if not e:
            continue
        text = sql[m.start():e.end()]
        if start.search(text, 1) or not re.search(r"\bLANGUAGE c\b", text):
            continue
        text = re.sub(r"^CREATE\s+FUNCTION", "CREATE OR REPLACE FUNCTION", text)
        # drop pgrx's Rust-type comments: they say nothing to a reader of SQL
        text = re.sub(r"[ \t]*/\*[^*]*\*/", "", text)
        yield text


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        sql = f.read()
    found = list(c_functions(sql))
    if not found:
        sys.exit(f"{sys.argv[1]}: no C functions found")
    print("\n\n".join(found))


if __name__ == "__main__":
    main()
