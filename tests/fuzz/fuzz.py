#!/usr/bin/env python3
"""Fuzz tier for habtm: hostile calls of every public function in schema habtm.

Builds a fixture database (unusual key types, hostile identifiers, relations of every relkind,
join tables with and without id arrays, user triggers that raise), generates a deterministic
list of cases from FUZZ_SEED, runs each case in its own transaction through psql and fails on:
internal errors (XX000/XX001/XX002), crashes (connection lost, or PANIC / "terminated by
signal" / "was terminated" in SERVER_LOG), a fingerprint of the fixture that changed across a
case that did not commit successfully, habtm.check() reporting drift. See README.md here.

Python 3.11 standard library only; PostgreSQL is driven with the psql client.
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, OrderedDict

SEED = int(os.environ.get("FUZZ_SEED", "1"))
CASES = int(os.environ.get("FUZZ_CASES", "1500"))
DB = os.environ.get("FUZZ_DB", "habtm_fuzz")
BATCH = int(os.environ.get("FUZZ_BATCH", "250"))
SERVER_LOG = os.environ.get("SERVER_LOG") or None
REPORT = os.environ.get("FUZZ_REPORT", "/tmp/habtm-fuzz-report.txt")
ONLY = os.environ.get("FUZZ_ONLY")  # "17" or "17,230": those cases (and the committing cases before them)
KEEP_DB = os.environ.get("FUZZ_KEEP_DB") == "1"
VERBOSE = os.environ.get("FUZZ_VERBOSE") == "1"
STATEMENT_TIMEOUT = os.environ.get("FUZZ_STATEMENT_TIMEOUT", "20s")
MAX_SHOWN = 30
ROLE = "habtm_fuzz_nobody"
INTERNAL = {"XX000", "XX001", "XX002"}
CRASH_MARKERS = (
    "server closed the connection unexpectedly",
    "connection to server was lost",
    "no connection to the server",
    "terminating connection because of crash",
)
LOG_CRASH = re.compile(r"terminated by signal|PANIC|was terminated|server process .* exited with exit code")

HS = 'Hostile "Schema" ünï'  # a schema name with a quote, a space and non-ASCII letters
T_OC = "{oc}"
T_DROP = 'a\\"; DROP'  # a\"; DROP
JT_HOSTILE = 'Jöin "tbl"; --'
COL_HOSTILE = 'oc "id"'
REL_HOSTILE = 'rel "x"; DROP'
ARR_A_HOSTILE = 'ids "{oc}"'
ARR_B_HOSTILE = 'a\\"; arr'


# --------------------------------------------------------------------------------------------
# SQL text helpers


def lit(s):
    # PostgreSQL text cannot hold NUL, and a NUL would end psql's reading of the script
    return "'" + s.replace("\x00", "\\u0000").replace("'", "''") + "'"


def ident(s):
    return '"' + s.replace('"', '""') + '"'


def qn(schema, name):
    return ident(schema) + "." + ident(name)


def arr_lit(values):
    """An array literal's text ('{...}') with every element quoted."""
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        else:
            out.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"


def short(s, n=300):
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 40] + f"...<{len(s)} chars>..." + s[-30:]


class Raw(str):
    """JSON text inserted as written (numbers JSON libraries cannot hold: 1e400, -0)."""


class Obj(list):
    """A JSON object as a list of (key, value) pairs: keys may repeat."""


def jd(v):
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Obj):
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + jd(x) for k, x in v) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + jd(x) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(jd(x) for x in v) + "]"
    raise TypeError(type(v))


def jsonb(v):
    return lit(v if isinstance(v, str) and not isinstance(v, Raw) else jd(v)) + "::jsonb"


def jsonb_text(text):
    return lit(text) + "::jsonb"


# --------------------------------------------------------------------------------------------
# psql


def psql_cmd(db, *extra):
    return ["psql", "-X", "-q", "-d", db, "-v", "VERBOSITY=verbose", *extra]


def query(sql, db=None, check=True, qualified=False):
    """Rows of a query (fields split on \\x1f, rows on \\x1e)."""
    if qualified:
        sql = "SET search_path = pg_catalog; " + sql
    p = subprocess.run(
        psql_cmd(db or DB, "-A", "-t", "-F", "\x1f", "-R", "\x1e", "-v", "ON_ERROR_STOP=1", "-c", sql),
        capture_output=True, text=True, errors="replace")
    if check and p.returncode != 0:
        raise RuntimeError(f"query failed: {short(sql)}\n{p.stderr}")
    out = p.stdout
    if out.endswith("\n"):
        out = out[:-1]
    rows = [r.split("\x1f") for r in out.split("\x1e")] if out else []
    return rows


class Script:
    """A psql script whose lines are numbered, so that stderr's 'psql:FILE:LINE:' maps back."""

    def __init__(self):
        self.parts = []
        self.line = 1
        self.spans = []  # (start, end, key)

    def add(self, text):
        text = text.replace("\x00", "\\u0000")  # never a NUL in the script (see lit)
        self.parts.append(text + "\n")
        self.line += text.count("\n") + 1

    def span(self, key, start):
        self.spans.append((start, self.line - 1, key))

    def text(self):
        return "".join(self.parts)


STDERR_LINE = re.compile(r"^psql:[^:]*:(\d+): (.*)$")


def run_script(script, timeout=900):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="habtm-fuzz-", delete=False,
                                     encoding="utf-8", newline="") as f:
        f.write(script.text())
        path = f.name
    try:
        p = subprocess.run(psql_cmd(DB, "-f", path), capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc = -1
        out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = ((e.stderr or b"").decode("utf-8", "replace") if isinstance(e.stderr, bytes) else (e.stderr or "")) \
            + "\nfuzz: psql timed out\n"
    finally:
        os.unlink(path)
    # stderr messages by script line, continuation lines (DETAIL, HINT, CONTEXT...) attached
    msgs = []
    for ln in err.splitlines():
        m = STDERR_LINE.match(ln)
        if m:
            msgs.append([int(m.group(1)), m.group(2)])
        elif msgs:
            msgs[-1][1] += "\n" + ln
        else:
            msgs.append([0, ln])
    by_key = {}
    spans = script.spans
    for lineno, text in msgs:
        key = None
        for s, e, k in spans:
            if s <= lineno <= e:
                key = k
                break
        by_key.setdefault(key, []).append(text)
    # stdout markers
    marks = {}
    cur = None
    for ln in out.splitlines():
        if ln.startswith("@@"):
            parts = ln.split(" ", 2)
            tag, key = parts[0], parts[1] if len(parts) > 1 else ""
            rest = parts[2] if len(parts) > 2 else ""
            d = marks.setdefault(key, {})
            d[tag] = rest
            cur = (key, tag)
        elif cur and cur[1] == "@@M":
            marks[cur[0]]["@@M"] += "\n" + ln
    return rc, marks, by_key, err


def wait_for_server(seconds=90):
    deadline = time.time() + seconds
    while time.time() < deadline:
        p = subprocess.run(psql_cmd("postgres", "-c", "SELECT 1"), capture_output=True, text=True)
        if p.returncode == 0:
            return True
        time.sleep(1)
    return False


# --------------------------------------------------------------------------------------------
# The fixture

FIXTURE = []  # (key, sql, required)


def fx(sql, required=True, key=None):
    FIXTURE.append((key or f"fixture {len(FIXTURE) + 1}", sql, required))


def build_fixture():
    hs = ident(HS)
    oc = qn(HS, T_OC)
    drp = qn(HS, T_DROP)
    fx("CREATE EXTENSION citext")
    fx("CREATE EXTENSION habtm")
    fx("CREATE SCHEMA fuzz_meta")
    fx(f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN CREATE ROLE {ROLE} NOLOGIN; END IF;
END $$""")
    fx(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    fx("CREATE DOMAIN public.posint AS int CHECK (VALUE > 0)")
    fx("CREATE TABLE public.t_bigint (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
       "name text NOT NULL DEFAULT 'anon', n int)")
    fx("CREATE TABLE public.t_int (id int PRIMARY KEY, title text, budget numeric CHECK (budget >= 0), "
       "status text NOT NULL DEFAULT 'new', active boolean DEFAULT true, meta jsonb, tags text[], "
       "doubled numeric GENERATED ALWAYS AS (budget * 2) STORED)")
    fx("CREATE TABLE public.t_numeric (id numeric(12,2) PRIMARY KEY, v text)")
    fx("CREATE TABLE public.t_citext (id citext PRIMARY KEY, v text)")
    fx("CREATE TABLE public.t_varchar (id varchar(10) PRIMARY KEY, v text)")
    fx("CREATE TABLE public.t_char (id char(3) PRIMARY KEY, v text)")
    fx("CREATE TABLE public.t_uuid (id uuid PRIMARY KEY, v text, n int DEFAULT 0)")
    fx("CREATE TABLE public.t_text (id text PRIMARY KEY, v text)")
    fx("CREATE TABLE public.t_domain (id public.posint PRIMARY KEY, v text)")
    fx("CREATE TABLE public.people (id int PRIMARY KEY, name text)")
    fx("CREATE COLLATION public.fuzz_nd (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
       required=False, key="icu collation")
    fx("CREATE TABLE public.t_icu (id text COLLATE public.fuzz_nd PRIMARY KEY, v text)",
       required=False, key="icu table")
    fx(f"CREATE SCHEMA {hs}")
    fx(f'CREATE TABLE {oc} ("Id ""x""" int PRIMARY KEY, "select" text, "naïve ☃" text)')
    fx(f'CREATE TABLE {drp} ("{{oc}}" text PRIMARY KEY, "Col;--" int)')
    fx('CREATE TABLE public."MixedCase Table" ("ID" bigint PRIMARY KEY, "Title" text)')
    fx("CREATE TABLE public.t_nopk (id int, v text)")
    fx("CREATE TABLE public.t_comppk (a int, b int, PRIMARY KEY (a, b))")
    fx("CREATE UNLOGGED TABLE public.t_unlogged (id int PRIMARY KEY)")
    fx("CREATE TABLE public.rails_adopt (t_bigint_id bigint, t_text_id text)")
    fx("CREATE TABLE public.rails_dirty (t_bigint_id bigint, t_text_id text)")
    # relations of every other relkind
    fx("CREATE VIEW public.v_int AS SELECT * FROM public.t_int")
    fx("CREATE MATERIALIZED VIEW public.mv_int AS SELECT id, title FROM public.t_int")
    fx("CREATE SEQUENCE public.seq_fuzz")
    fx("CREATE TABLE public.pt (id int PRIMARY KEY, v text) PARTITION BY RANGE (id)")
    fx("CREATE TABLE public.pt_1 PARTITION OF public.pt FOR VALUES FROM (0) TO (1000)")
    fx("CREATE TYPE public.ct AS (id int, v text)")
    fx("CREATE FOREIGN DATA WRAPPER fuzz_fdw", required=False, key="fdw")
    fx("CREATE SERVER fuzz_srv FOREIGN DATA WRAPPER fuzz_fdw", required=False, key="fdw server")
    fx("CREATE FOREIGN TABLE public.ft (id int, v text) SERVER fuzz_srv", required=False, key="foreign table")
    # rows
    fx("INSERT INTO public.t_bigint (id, name, n) SELECT g, 'b' || g, g FROM generate_series(1, 10) g")
    fx("SELECT setval(pg_get_serial_sequence('public.t_bigint', 'id'), 100)")
    fx("INSERT INTO public.t_int (id, title, budget, status, meta, tags) SELECT g, 'title ' || g, g * 10, "
       "CASE WHEN g % 2 = 0 THEN 'active' ELSE 'new' END, jsonb_build_object('g', g), ARRAY['t' || g] "
       "FROM generate_series(1, 14) g")
    fx("INSERT INTO public.t_numeric SELECT g::numeric / 2, 'n' || g FROM generate_series(1, 8) g")
    fx("INSERT INTO public.t_citext VALUES ('Alpha', 'a'), ('beta', 'b'), ('Gamma', 'g'), ('ÄÖü', 'u'), "
       "('x y', 's'), ('q''uote', 'q')")
    fx("INSERT INTO public.t_varchar VALUES ('v1', '1'), ('v2', '2'), ('v3', '3'), ('ten_chars_', '10'), "
       "('', 'empty'), ('ü', 'u')")
    fx("INSERT INTO public.t_char VALUES ('a', '1'), ('bb', '2'), ('ccc', '3'), ('d d', '4')")
    fx("INSERT INTO public.t_uuid SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'u' || g "
       "FROM generate_series(1, 8) g")
    fx("INSERT INTO public.t_text VALUES ('bob', 'b'), ('kevin', 'k'), ('', 'empty'), (' ', 'space'), "
       "('x''y', 'q'), ('a\"b', 'dq'), ('{oc}', 'oc'), ('ünï', 'u'), (E'back\\\\slash', 'bs'), "
       "('a,b', 'comma'), ('NULL', 'null word')")
    fx("INSERT INTO public.t_domain SELECT g, 'd' || g FROM generate_series(1, 8) g")
    fx("INSERT INTO public.people SELECT g, 'p' || g FROM generate_series(1, 8) g")
    fx("INSERT INTO public.t_icu VALUES ('abc', '1'), ('Déf', '2'), ('ghi', '3'), ('Straße', '4')",
       required=False, key="icu rows")
    fx(f'INSERT INTO {oc} SELECT g, \'s\' || g, \'☃\' || g FROM generate_series(1, 5) g')
    fx(f"INSERT INTO {drp} VALUES ('{{oc}}', 1), ({lit(T_DROP)}, 2), (';', 3), ('--', 4), ('''', 5)")
    fx('INSERT INTO public."MixedCase Table" SELECT g, \'M\' || g FROM generate_series(1, 5) g')
    fx("INSERT INTO public.t_nopk VALUES (1, 'x'), (1, 'y')")
    fx("INSERT INTO public.t_comppk VALUES (1, 1), (1, 2)")
    fx("INSERT INTO public.t_unlogged SELECT generate_series(1, 3)")
    fx("INSERT INTO public.pt SELECT g, 'p' || g FROM generate_series(1, 5) g")
    fx("INSERT INTO public.rails_adopt VALUES (1, 'bob'), (2, 'kevin'), (1, 'kevin')")
    fx("INSERT INTO public.rails_dirty VALUES (1, 'bob'), (1, 'bob'), (99, 'nobody'), (NULL, 'bob')")
    fx("REFRESH MATERIALIZED VIEW public.mv_int")
    # join tables through habtm (optional: their failure is reported, the run goes on)
    H = lambda sql, key: fx(sql, required=False, key=key)
    H("SELECT habtm.create_join_table('public.t_bigint', 'public.t_int')", "jt bigint-int")
    H("SELECT habtm.create_join_table('public.t_int', 'public.t_uuid')", "jt int-uuid")
    H("SELECT habtm.create_join_table('public.t_citext', 'public.t_varchar')", "jt citext-varchar")
    H("SELECT habtm.create_join_table('public.t_char', 'public.t_numeric')", "jt char-numeric")
    H("SELECT habtm.create_join_table('public.t_icu', 'public.t_text', table_name => 'icu_text')", "jt icu-text")
    H("SELECT habtm.create_join_table('public.t_domain', 'public.t_text')", "jt domain-text")
    H("SELECT habtm.create_join_table('public.t_text', 'public.t_uuid', a_relation => 'uuids', "
      "b_relation => 'texts')", "jt text-uuid")
    H("SELECT habtm.create_join_table('public.people', 'public.people', table_name => 'friendships', "
      "a_column => 'person_id', b_column => 'friend_id', a_relation => 'friends', b_relation => 'friend_of')",
      "jt self")
    H(f"SELECT habtm.create_join_table({lit(oc)}, {lit(drp)}, table_name => {lit(JT_HOSTILE)}, "
      f"a_column => {lit(COL_HOSTILE)}, b_column => {lit(T_DROP + '_id')}, "
      f"a_relation => {lit(REL_HOSTILE)}, b_relation => {lit(T_OC)})", "jt hostile")
    H("SELECT habtm.create_join_table('public.\"MixedCase Table\"', 'public.t_bigint', "
      "a_relation => 'Bigs', b_relation => 'Mixed Case')", "jt mixedcase")
    # links, then id arrays on some
    H("SELECT habtm.add('public.t_bigint', 't_int', g, ARRAY[1, 2, 3, g]) FROM generate_series(1, 5) g",
      "links bigint-int")
    H("SELECT habtm.add('public.t_int', 't_uuid', 1, ARRAY['00000000-0000-0000-0000-000000000001', "
      "'00000000-0000-0000-0000-000000000002']::uuid[])", "links int-uuid")
    H("SELECT habtm.add('public.t_citext', 't_varchar', 'alpha', ARRAY['v1', 'ten_chars_', ''])",
      "links citext-varchar")
    H("SELECT habtm.add('public.t_char', 't_numeric', 'a', ARRAY[0.5, 1, 1.5])", "links char-numeric")
    H("SELECT habtm.add('public.t_icu', 't_text', 'ABC', ARRAY['bob', '{oc}', ''])", "links icu-text")
    H("SELECT habtm.add('public.t_domain', 't_text', 3, ARRAY['bob', 'kevin'])", "links domain-text")
    H("SELECT habtm.add('public.t_text', 'uuids', 'bob', ARRAY['00000000-0000-0000-0000-000000000003']::uuid[])",
      "links text-uuid")
    H("SELECT habtm.add('public.people', 'friends', g, ARRAY[g, g % 8 + 1]) FROM generate_series(1, 8) g",
      "links self")
    H(f"SELECT habtm.add({lit(oc)}, {lit(REL_HOSTILE)}, 1, ARRAY['{{oc}}', ';', ''''])", "links hostile")
    H("SELECT habtm.add('public.\"MixedCase Table\"', 'Bigs', 1, ARRAY[1, 2])", "links mixedcase")
    H("SELECT habtm.denormalize(join_table) FROM habtm.associations WHERE owner = 'public.t_bigint'::regclass "
      "AND relation = 't_int'", "arrays bigint-int")
    H("SELECT habtm.denormalize(join_table) FROM habtm.associations WHERE owner = 'public.t_citext'::regclass",
      "arrays citext-varchar")
    # writes => 'links' (0.2) where the build has it, so that direct array writes are association writes
    H("""DO $$
DECLARE jt regclass := (SELECT join_table FROM habtm.associations WHERE owner = 'public.t_char'::regclass);
BEGIN
  PERFORM habtm.denormalize(jt, a_array => 'num ids', writes => 'links');
EXCEPTION WHEN undefined_function THEN
  PERFORM habtm.denormalize(jt, a_array => 'num ids');
END $$""", "arrays char-numeric")
    H("SELECT habtm.denormalize('public.icu_text')", "arrays icu-text")
    H("""DO $$
BEGIN
  PERFORM habtm.denormalize('public.friendships', writes => 'links');
EXCEPTION WHEN undefined_function THEN
  PERFORM habtm.denormalize('public.friendships');
END $$""", "arrays self")
    H(f"SELECT habtm.denormalize(join_table, {lit(ARR_A_HOSTILE)}, {lit(ARR_B_HOSTILE)}) "
      f"FROM habtm.associations WHERE owner = {lit(oc)}::regclass", "arrays hostile")
    # user triggers that raise (their SQLSTATE must come back as raised, not as XX000) or skip
    fx("""CREATE FUNCTION fuzz_meta.trap_side() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.id = 14 THEN
    RAISE EXCEPTION 'fuzz trap: delete of t_int 14' USING ERRCODE = 'FZ001', DETAIL = 'raised by a user trigger';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id = 12 THEN
    RAISE EXCEPTION 'fuzz trap: update of t_int 12' USING ERRCODE = 'FZ002';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id = 11 THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$""")
    fx("CREATE TRIGGER fuzz_trap BEFORE UPDATE OR DELETE ON public.t_int "
       "FOR EACH ROW EXECUTE FUNCTION fuzz_meta.trap_side()")
    fx("""DO $do$
DECLARE jt regclass; col name;
BEGIN
  SELECT join_table, target_column INTO jt, col FROM habtm.associations
   WHERE owner = 'public.t_bigint'::regclass AND target = 'public.t_int'::regclass LIMIT 1;
  IF jt IS NULL THEN RETURN; END IF;
  EXECUTE format($f$CREATE FUNCTION fuzz_meta.trap_link() RETURNS trigger LANGUAGE plpgsql AS $b$
    BEGIN
      IF NEW.%I = 13 THEN RAISE EXCEPTION 'fuzz trap: link to t_int 13' USING ERRCODE = 'P0001'; END IF;
      RETURN NEW;
    END $b$$f$, col);
  EXECUTE format('CREATE TRIGGER fuzz_trap BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION fuzz_meta.trap_link()', jt);
END $do$""", required=False, key="trap on join table")
    fx("""DO $do$
DECLARE jt regclass; col name;
BEGIN
  SELECT join_table, target_column INTO jt, col FROM habtm.associations
   WHERE owner = 'public.t_int'::regclass AND target = 'public.t_uuid'::regclass LIMIT 1;
  IF jt IS NULL THEN RETURN; END IF;
  EXECUTE format($f$CREATE FUNCTION fuzz_meta.trap_link2() RETURNS trigger LANGUAGE plpgsql AS $b$
    BEGIN
      IF NEW.%1$I = '00000000-0000-0000-0000-000000000005' THEN
        RAISE EXCEPTION 'fuzz trap: custom SQLSTATE' USING ERRCODE = 'FZ003';
      END IF;
      IF NEW.%1$I = '00000000-0000-0000-0000-000000000006' THEN
        RAISE EXCEPTION 'fuzz trap: check_violation from a trigger' USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.%1$I = '00000000-0000-0000-0000-000000000007' THEN
        PERFORM pg_sleep(0.3);
      END IF;
      IF NEW.%1$I = '00000000-0000-0000-0000-000000000008' THEN
        RAISE EXCEPTION 'fuzz trap: serialization_failure from a trigger' USING ERRCODE = '40001';
      END IF;
      RETURN NEW;
    END $b$$f$, col);
  EXECUTE format('CREATE TRIGGER fuzz_trap AFTER INSERT ON %s FOR EACH ROW EXECUTE FUNCTION fuzz_meta.trap_link2()', jt);
END $do$""", required=False, key="trap on join table 2")
    fx(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ROLE}")
    # the fixture's tables by name, as regclass (OIDs): cases address renamed tables through it
    # without OIDs in their text
    fx("""CREATE TABLE fuzz_meta.rels AS SELECT format('%I.%I', n.nspname, c.relname) AS k, c.oid::regclass AS r
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')""")
    # the fingerprint: every user table's rows, plus the shape of relations, triggers, constraints
    fx(r"""CREATE FUNCTION fuzz_meta.fp() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r record; acc text := ''; h text; s text;
BEGIN
  FOR r IN SELECT format('%I.%I', n.nspname, c.relname) AS q
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'fuzz_meta', 'pg_toast')
              AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
            ORDER BY format('%I.%I', n.nspname, c.relname) COLLATE "C"
  LOOP
    EXECUTE format('SELECT md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text COLLATE "C"), '''')) FROM %s x', r.q)
       INTO h;
    acc := acc || r.q || '=' || h || E'\n';
  END LOOP;
  SELECT string_agg(t, E'\n' ORDER BY t COLLATE "C") INTO s FROM (
    SELECT format('rel %I.%I %s %s', n.nspname, c.relname, c.relkind,
             (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull, ','
                     ORDER BY a.attnum)
                FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)) AS t
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
    UNION ALL
    SELECT format('trigger %s %s %s', t.tgrelid, t.tgname, t.tgenabled) FROM pg_trigger t WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('constraint %s %s %s', c.conrelid, c.conname, c.contype) FROM pg_constraint c
      JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname <> 'pg_catalog'
    UNION ALL
    SELECT format('schema %s', nspname) FROM pg_namespace
    UNION ALL
    SELECT format('proc %s', p.oid::regprocedure) FROM pg_proc p
     WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  ) x;
  RETURN md5(acc || coalesce(s, ''));
END $f$""")
    # '0' when habtm.check() is empty; else what it reports, and habtm.repair() is run so that the
    # next case starts clean (its drift is its own)
    fx("""CREATE FUNCTION fuzz_meta.drift() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE n bigint; rows text; fixed text;
BEGIN
  BEGIN
    SELECT count(*), left(jsonb_agg(to_jsonb(c))::text, 600) INTO n, rows FROM habtm.check() c;
  EXCEPTION WHEN OTHERS THEN
    RETURN '-1 check() raised ' || SQLSTATE || ': ' || replace(SQLERRM, E'\n', ' ');
  END;
  IF n = 0 THEN RETURN '0'; END IF;
  BEGIN
    fixed := 'repair() rewrote ' || habtm.repair();
  EXCEPTION WHEN OTHERS THEN
    fixed := 'repair() raised ' || SQLSTATE || ': ' || replace(SQLERRM, E'\n', ' ');
  END;
  RETURN n || ' rows: ' || rows || '; ' || fixed;
END $f$""")
    # the same inside a case's transaction, before its ROLLBACK: no repair
    fx("""CREATE FUNCTION fuzz_meta.drift_in_tx() RETURNS text LANGUAGE plpgsql AS $f$
DECLARE n bigint; rows text;
BEGIN
  SELECT count(*), left(jsonb_agg(to_jsonb(c))::text, 600) INTO n, rows FROM habtm.check() c;
  RETURN CASE WHEN n = 0 THEN '0' ELSE n || ' rows: ' || rows END;
EXCEPTION WHEN OTHERS THEN
  RETURN '-1 check() raised ' || SQLSTATE || ': ' || replace(SQLERRM, E'\n', ' ');
END $f$""")
    fx("SELECT fuzz_meta.fp(), fuzz_meta.drift(), fuzz_meta.drift_in_tx()", key="fingerprint works")


def setup_database():
    for sql in (f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", f"CREATE DATABASE {DB}"):
        p = subprocess.run(psql_cmd("postgres", "-v", "ON_ERROR_STOP=1", "-c", sql),
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"fuzz: {sql} failed:\n{p.stderr}")
    build_fixture()
    s = Script()
    s.add("\\set VERBOSITY verbose")
    s.add("SET client_min_messages = warning;")
    for key, sql, _ in FIXTURE:
        start = s.line
        s.add(sql)
        s.add("\\g /dev/null")
        s.add(f"\\echo @@R {key.replace(' ', '_')} :SQLSTATE")
        s.span(key, start)
    rc, marks, by_key, err = run_script(s)
    notes = []
    for key, sql, required in FIXTURE:
        st = marks.get(key.replace(" ", "_"), {}).get("@@R")
        if st != "00000":
            msg = "\n".join(by_key.get(key, [])) or "(no message)"
            if required:
                sys.exit(f"fuzz: fixture step failed ({key}): {short(sql)}\n{msg}\n{err[-2000:]}")
            notes.append((key, st, sql, msg))
    return notes


# --------------------------------------------------------------------------------------------
# Introspection: functions, associations, rows


def introspect():
    ctx = {}
    funcs = []
    for row in query("""
        SELECT p.oid, p.proname, p.proretset, format_type(p.prorettype, NULL), p.pronargs, p.pronargdefaults,
               array_to_string(array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) WITH ORDINALITY u(t, i)
                                     ORDER BY i), E'\\x1d'),
               array_to_string(coalesce(p.proargnames, '{}'), E'\\x1d', ''),
               array_to_string(coalesce(p.proargmodes, '{}'), E'\\x1d'),
               p.oid::regprocedure
          FROM pg_proc p
         WHERE p.pronamespace = 'habtm'::regnamespace AND p.prokind = 'f'
           AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
         ORDER BY p.proname, p.oid::regprocedure::text COLLATE "C" """):
        oid, name, retset, rettype, nargs, ndef, types, names, modes, sig = row
        types = types.split("\x1d") if types else []
        allnames = names.split("\x1d") if names else []
        modes = modes.split("\x1d") if modes else []
        if modes:
            innames = [n for n, m in zip(allnames, modes) if m in ("i", "b", "v")]
        else:
            innames = allnames[: int(nargs)]
        innames += [""] * (len(types) - len(innames))
        funcs.append(dict(oid=oid, name=name, setof=retset == "t", rettype=rettype, types=types,
                          names=innames, ndefaults=int(ndef), sig=sig))
    ctx["funcs"] = funcs
    assocs = []
    for row in query("""
        SELECT format('%I.%I', on_.nspname, oc.relname), a.relation, format('%I.%I', tn.nspname, tc.relname),
               a.join_table::oid::regclass::text, a.owner_key, a.target_key,
               (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = a.owner AND attname = a.owner_key),
               (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = a.target AND attname = a.target_key),
               coalesce(a.owner_array, ''), coalesce(a.target_array, ''),
               format('%I.%I', jn.nspname, jc.relname), a.owner_column, a.target_column,
               a.owner::oid, a.target::oid, coalesce(a.join_table::oid, 0), oc.relname, tc.relname
          FROM habtm.associations a
          JOIN pg_class oc ON oc.oid = a.owner JOIN pg_namespace on_ ON on_.oid = oc.relnamespace
          JOIN pg_class tc ON tc.oid = a.target JOIN pg_namespace tn ON tn.oid = tc.relnamespace
          LEFT JOIN pg_class jc ON jc.oid = a.join_table LEFT JOIN pg_namespace jn ON jn.oid = jc.relnamespace
         ORDER BY format('%I.%I', on_.nspname, oc.relname) COLLATE "C", a.relation COLLATE "C" """, qualified=True):
        owner, rel, target, _jt, okey, tkey, otype, ttype, oarr, tarr, jt, ocol, tcol, ooid, toid, joid, oname, tname \
            = row
        assocs.append(dict(owner=owner, relation=rel, target=target, join_table=jt, okey=okey, tkey=tkey,
                           otype=otype, ttype=ttype, oarr=oarr, tarr=tarr, ocol=ocol, tcol=tcol,
                           ooid=ooid, toid=toid, joid=joid, oname=oname, tname=tname))
    tables = sorted({a["owner"] for a in assocs} | {a["target"] for a in assocs})
    ids, cols = {}, {}
    for t in tables:
        key = next((a["okey"] for a in assocs if a["owner"] == t), None) or \
            next(a["tkey"] for a in assocs if a["target"] == t)
        ids[t] = [r[0] for r in query(f"SELECT {ident(key)}::text FROM {t} ORDER BY {ident(key)}::text COLLATE \"C\" LIMIT 20", qualified=True)]
        cols[t] = [dict(name=r[0], type=r[1], notnull=r[2] == "t", generated=r[3] != "", hasdef=r[4] == "t",
                        identity=r[5] != "")
                   for r in query(f"""SELECT attname, format_type(atttypid, atttypmod), attnotnull, attgenerated,
                                             atthasdef, attidentity
                                        FROM pg_attribute WHERE attrelid = {lit(t)}::regclass AND attnum > 0
                                         AND NOT attisdropped ORDER BY attnum""", qualified=True)]
    ctx["assocs"] = assocs
    ctx["ids"] = ids
    ctx["cols"] = cols
    ctx["join_tables"] = sorted({a["join_table"] for a in assocs if a["join_table"]})
    ctx["has_icu"] = bool(query("SELECT 1 FROM pg_collation WHERE collname = 'fuzz_nd'"))
    ctx["has_ft"] = bool(query("SELECT 1 FROM pg_class WHERE relname = 'ft' AND relkind = 'f'"))
    return ctx


# --------------------------------------------------------------------------------------------
# Value pools


ODD_NUMBERS = ["1e400", "-1e400", "-0", "0.0", "-0.0", "1.0e-400", "12345678901234567890123456789",
               "-12345678901234567890123456789", "1e2", "1E+2", "0.1", "2147483648", "-2147483649",
               "9223372036854775808", "4294967296", "1.5", "1e-7", "123456789012345678901234567890.123456789",
               "3", "0"]
NAN_LIKE = ["NaN", "Infinity", "-Infinity", "inf", "nan", " 1", "1 ", "0x10", "1_000", "", "١", "1e400",
            "+1", "--1", "1e", "null", "true"]

HOSTILE_TEXT = [
    lit(""), lit(" "), lit("x"), lit("'"), lit("''"), lit('"'), lit('""'), lit("\\"), lit("\\'"), lit(";"),
    lit("'; DROP TABLE public.t_int; --"), lit('"; DROP TABLE public.t_int; --'), lit("{oc}"), lit("{"),
    lit("}"), lit("["), lit(T_DROP), lit("ünïcødé ☃ 🎉"), lit("\u202eevil"), lit("zero\u200bwidth"),
    lit("e\u0301"), lit("İ"), lit("ß"), lit("ﬁ"), lit("a\nb"), lit("a\tb"), "chr(13)", "chr(1)",
    "repeat('x', 100000)", "repeat('ü', 40000)", "repeat('a_', 50000)", "repeat('.', 1000)", "repeat('_', 64)",
    lit("a" * 63), lit("a" * 64), lit("a" * 62 + "é"), lit("pg_catalog.pg_class"), lit("public."), lit("."),
    lit(".."), lit("a.b"), lit("a..b"), lit("%s"), lit("%I"), lit("$1"), lit("\\x00"), lit("$$"),
    lit("people"), lit("Users"), lit("t_int"), lit("PUBLIC.T_INT"), lit("y" * 100000),
    "repeat('people ', 10000)", "repeat('ß', 50000)", lit("a.b.c"), lit("-- comment"), lit("/* c */"),
    lit("NULL"), lit("select"), lit("Σ"), lit("𝔘"), lit("\u00a0"),
]

NAMING_WORDS = [
    "people", "person", "octopus", "mice", "equipment", "office equipment", "Fuß", "ﬁsh", "İstanbul", "ΣΑΣ",
    "a_b_c", "Admin::User", "::", "/", "..", ".", "a.", ".a", "music.artists", "HTMLParser", "statuses",
    "people\nperson", "_", "__", "s", "ss", "ies", "1", "Ü", "ǅ", "ǈemma", "\t", "x" * 63, "ŉ", "ΐ",
]


def typed_ids(ktype, values):
    return "ARRAY[" + ", ".join(lit(v) for v in values) + f"]::{ktype}[]"


def id_lit(rng, ktype, v):
    r = rng.random()
    if r < 0.45:
        return lit(v)
    if r < 0.85 or ktype in ("text",):
        return f"{lit(v)}::{ktype}"
    if ktype in ("integer", "bigint", "smallint") and re.fullmatch(r"-?\d+", v):
        return v
    return lit(v)


class Gen:
    def __init__(self, ctx, rng):
        self.ctx = ctx
        self.rng = rng
        self.fresh = 0
        self.assocs = ctx["assocs"]
        self.rels = self.make_rels()

    def newname(self, prefix="fz"):
        self.fresh += 1
        return f"{prefix}_{self.fresh}"

    def make_rels(self):
        c = self.ctx
        r = OrderedDict()
        r["table int"] = "'public.t_int'"
        r["table bigint"] = "'public.t_bigint'"
        r["table text"] = "'public.t_text'"
        r["table uuid"] = "'public.t_uuid'"
        r["table citext"] = "'public.t_citext'"
        r["table varchar"] = "'public.t_varchar'"
        r["table char"] = "'public.t_char'"
        r["table numeric"] = "'public.t_numeric'"
        r["table domain"] = "'public.t_domain'"
        if c["has_icu"]:
            r["table icu"] = "'public.t_icu'"
        r["self table"] = "'public.people'"
        r["hostile {oc}"] = lit(qn(HS, T_OC))
        r["hostile a\\\"; DROP"] = lit(qn(HS, T_DROP))
        r["mixed case"] = lit('public."MixedCase Table"')
        r["view"] = "'public.v_int'"
        r["materialized view"] = "'public.mv_int'"
        r["sequence"] = "'public.seq_fuzz'"
        r["identity sequence"] = "pg_get_serial_sequence('public.t_bigint', 'id')::regclass"
        r["index"] = "'public.t_int_pkey'"
        if c["has_ft"]:
            r["foreign table"] = "'public.ft'"
        r["partitioned table"] = "'public.pt'"
        r["partition"] = "'public.pt_1'"
        r["composite type"] = "'public.ct'"
        r["toast table"] = "(SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'public.t_int'::regclass)"
        r["unlogged table"] = "'public.t_unlogged'"
        r["temporary table"] = "'pg_temp.tmp_t'"
        r["no primary key"] = "'public.t_nopk'"
        r["composite primary key"] = "'public.t_comppk'"
        r["rails join table"] = "'public.rails_adopt'"
        r["rails join table with orphans"] = "'public.rails_dirty'"
        r["system catalog"] = "'pg_catalog.pg_class'"
        r["habtm catalog"] = "'habtm.join_tables'"
        r["habtm view"] = "'habtm.associations'"
        r["unknown OID"] = "'4294967000'::regclass"
        r["unknown OID cast"] = "4294967000::oid::regclass"
        r["OID 0"] = "0::oid::regclass"
        r["OID 1"] = "1::oid::regclass"
        r["OID of a type"] = "'int4'::regtype::oid::regclass"
        r["unknown name"] = "'public.no_such_table'"
        r["unknown schema"] = "'no_such_schema.t'"
        r["empty name"] = "''"
        r["NULL regclass"] = "NULL::regclass"
        for jt in c["join_tables"]:
            r["join table " + jt] = lit(jt)
        return r

    def pick(self, seq):
        return self.rng.choice(seq)

    def assoc(self, **want):
        cands = [a for a in self.assocs if all(a.get(k) == v for k, v in want.items())] or self.assocs
        return self.pick(cands)

    # ---- ids ---------------------------------------------------------------------------
    def owner_id(self, a, valid=True):
        ids = self.ctx["ids"].get(a["owner"], [])
        if valid and ids:
            return id_lit(self.rng, a["otype"], self.pick(ids))
        return self.hostile_id(a["otype"])

    def target_id(self, a, valid=True):
        ids = self.ctx["ids"].get(a["target"], [])
        if valid and ids:
            return id_lit(self.rng, a["ttype"], self.pick(ids))
        return self.hostile_id(a["ttype"])

    def targets(self, a):
        ids = self.ctx["ids"].get(a["target"], [])
        k = self.rng.randint(1, min(4, max(1, len(ids))))
        vals = self.rng.sample(ids, k) if ids else ["1"]
        r = self.rng.random()
        if r < 0.5:
            return typed_ids(a["ttype"], vals)
        if r < 0.8:
            return lit(arr_lit(vals))
        return "ARRAY[" + ", ".join(lit(v) for v in vals) + "]"

    def hostile_id(self, ktype):
        uuid1 = "'00000000-0000-0000-0000-000000000001'"
        pool = [
            "1.5", "'1.5'", "true", "'abc'", f"{uuid1}::uuid", uuid1, "2147483648", "9223372036854775807",
            "-9223372036854775808", "-1", "0", "'NaN'::numeric", "'Infinity'::float8", "1e400", "ARRAY[1]",
            "ROW(1, 2)", "'{1,2}'", "NULL", "NULL::int", "'1'::jsonb", "'(1,2)'::point", "'1'::text",
            "'  1'", "'1 '", "'０'", "'١'", "1::int2", "1::oid", "'1'::name", "'1'::\"char\"", "'1'::citext",
            "'\\x31'::bytea", "repeat('9', 100000)", "'2147483647'::bigint", "'x'::varchar(1)",
            "'abc'::char(3)", "'ab'::char(5)", "'ALPHA'", "'alpha'::citext", "$$x$$", "'\\x00'", "(SELECT 1)",
            "(SELECT id FROM public.t_int LIMIT 0)", "'{}'::int[]", "'[1,2)'::int4range", "interval '1 day'",
            "'2020-01-01'::date", "-0", "'-0'", "'1.000'::numeric", "1.001", "'1e3'", "(-5)::int",
            "'-5'", "'ABC'", "'abc'", "'ghi'::text", "'STRASSE'", "'bob'", "'kevin'", "''", "' '", "'{oc}'",
            "'a\\\"; DROP'", "repeat('x', 100000)", "'99999999'", "'v1'::varchar(2)", "'bb'::bpchar",
            "'bb '", "'ten_chars_x'", "'00000000-0000-0000-0000-00000000000Z'", "'{00000000-0000-0000-0000-000000000001}'",
            "'0.5'::float4", "0.5", "'0.50'", "'1'::posint", "ROW(1)::public.ct", "'1'::regclass",
            "1::bigint", "'1'::int8", "'1'::money", "'12345678901234567890123456789'::numeric",
        ]
        return self.pick(pool)

    # ---- arrays ------------------------------------------------------------------------
    def hostile_targets(self, a):
        t = a["ttype"]
        ids = self.ctx["ids"].get(a["target"], []) or ["1"]
        v1, v2 = self.pick(ids), self.pick(ids)
        isint = t in ("integer", "bigint", "smallint") or t.endswith("posint")
        pool = [
            typed_ids(t, [v1, v2]) + " || NULL", f"ARRAY[{lit(v1)}, NULL]::{t}[]", f"ARRAY[NULL]::{t}[]",
            "'{NULL}'", "'{null}'", lit("[0:1]=" + arr_lit([v1, v2])) + f"::{t}[]",
            lit("[-5:-4]=" + arr_lit([v1, v2])) + f"::{t}[]", lit("[2147483646:2147483647]=" + arr_lit([v1, v2])) + f"::{t}[]",
            lit("[0:1]=" + arr_lit([v1, v2])), f"ARRAY[[{lit(v1)}, {lit(v2)}], [{lit(v2)}, {lit(v1)}]]::{t}[]",
            lit("{{" + arr_lit([v1]) + "}}"), f"ARRAY[[[{lit(v1)}]]]::{t}[]", "'{}'", f"ARRAY[]::{t}[]",
            "'{}'::int[]", "'{}'::text[]", "ARRAY[1.5]", "ARRAY['abc']", "ARRAY['00000000-0000-0000-0000-000000000001'::uuid]",
            "ARRAY[true]", "ARRAY['{1}'::jsonb]", "'1 2'::int2vector", "'1 2'::oidvector", "5", "'5'", "'{5'",
            "'{{1},{2,3}}'", lit('{"a\\"b", "x,y"}'), "'[1,2]'::jsonb", "ARRAY[ROW(1)]", "ARRAY[999999]",
            f"{typed_ids(t, [v1, v1, v1, v2])}", f"ARRAY[{lit(v1)}, '999999']", "ARRAY['1', '2']",
            "'{1,2}'::text", "ARRAY[1, 2]::public.posint[]", "'{\"\"}'", "'{\" \"}'", lit("{" + v1 + "}"),
            "ARRAY[ARRAY[]::int[]]", "'{,}'", "'{1,,2}'", "repeat('{', 1000)",
            "(SELECT array_agg(g) FROM generate_series(1, 100000) g)",
            "(SELECT array_agg(g::text) FROM generate_series(1, 100000) g)",
            f"array_fill({lit(v1)}::{t}, ARRAY[100000])",
            "(SELECT array_agg(g) FROM generate_series(1, 100000) g)::bigint[]",
            f"(SELECT array_agg(NULL::{t}) FROM generate_series(1, 1000))",
            "NULL", f"NULL::{t}[]", "NULL::int[]",
        ]
        if isint:
            pool += ["ARRAY[2147483648]", "ARRAY[-1, 0]", "'{1,2,3}'::int2[]", "ARRAY[1]::numeric[]",
                     "'[5:7]={1,2,3}'::int[]"]
        return self.pick(pool)

    def huge_literal_array(self):
        return lit("{" + ",".join(str(i) for i in range(1, 100001)) + "}")

    # ---- relations ---------------------------------------------------------------------
    def rel(self, kinds=None):
        keys = list(self.rels)
        if kinds:
            keys = [k for k in keys if any(k.startswith(x) for x in kinds)] or keys
        return self.rels[self.pick(keys)]

    # ---- filters -----------------------------------------------------------------------
    def target_cols(self, a):
        return self.ctx["cols"].get(a["target"], [])

    def col_name(self, a, real=0.75):
        cols = self.target_cols(a)
        if cols and self.rng.random() < real:
            return self.pick(cols)["name"]
        return self.pick(["nope", "id; DROP TABLE public.t_int", 'id"', "id) OR (1=1", "title::text",
                          "lower(title)", "*", "", " id", "ID", "naïve ☃", "{oc}", "a\\\"; DROP", "x" * 200,
                          "ctid", "xmin", "tableoid", "oid", "where", "and", "or", "id\u0000"])

    def scalar(self):
        r = self.rng.random()
        if r < 0.3:
            return Raw(self.pick(ODD_NUMBERS))
        if r < 0.55:
            return self.pick(NAN_LIKE)
        return self.pick([None, True, False, 1, 2, 3, "bob", "title 1", "active", "'; DROP TABLE x; --",
                          "{oc}", "%", "\\", "%\\", "_", "\u0000", "x" * 5000, [], {}, [1, 2], {"a": 1},
                          "00000000-0000-0000-0000-000000000001", "Alpha", "v1", "a", 0.5, -1, "ünï"])

    OPS = ["neq", "gt", "gte", "lt", "lte", "inq", "nin", "between", "like", "nlike", "ilike", "nilike",
           "regexp", "exists", "near", "eq", "and", "or", "GT", "", "inq ", "foo", "$gt", "nq"]

    def operand(self, op):
        r = self.rng.random()
        if op in ("inq", "nin") and r < 0.6:
            k = self.pick([0, 1, 2, 5, 10000])
            if k == 10000:
                return list(range(k))
            return [self.scalar() for _ in range(k)]
        if op == "between" and r < 0.6:
            return [self.scalar() for _ in range(self.pick([0, 1, 2, 2, 3]))]
        if r < 0.8:
            return self.scalar()
        return self.pick([[[1]], {"gt": 1}, [None], {"inq": [1]}, [[1, 2], [3]]])

    def where(self, a, depth=0):
        r = self.rng.random()
        if depth < 3 and r < 0.2:
            kw = self.pick(["and", "or", "and", "or", "AND", "not", "nor"])
            k = self.pick([0, 1, 2, 3])
            sub = [self.where(a, depth + 1) for _ in range(k)]
            shape = self.rng.random()
            if shape < 0.8:
                return {kw: sub}
            return {kw: self.pick([{}, "x", None, 1, sub[0] if sub else {}])}
        col = self.col_name(a)
        if r < 0.45:
            return {col: self.scalar()}
        if r < 0.85:
            ops = Obj()
            for _ in range(self.pick([1, 1, 1, 2, 3])):
                op = self.pick(self.OPS)
                ops.append((op, self.operand(op)))
            return Obj([(col, ops)])
        # several keys, possibly repeated
        o = Obj()
        for _ in range(self.pick([2, 3])):
            o.append((self.col_name(a), self.scalar()))
        return o

    def order(self, a):
        c = self.col_name(a)
        return self.pick([c, f"{c} DESC", f"{c} desc", f"{c} ASC NULLS FIRST", f"{c} DESC, id", "id; DROP",
                          [c, 5], 5, {c: "desc"}, "", "  ", "DESC", f"{c} DESC DESC", [f"{c} ASC", f"{c} DESC"],
                          [], None, [[c]], f"{c}  DESC", f"{c}\tDESC", f"{c} SIDEWAYS", True])

    def number_like(self):
        return self.pick([Raw(x) for x in ODD_NUMBERS] + [-1, 0, 1, 2, 2 ** 31, 2 ** 63, Raw("-0"),
                                                          "5", "abc", None, True, [], {}, 1.5, Raw("1e2")])

    def fields(self, a):
        c = self.col_name(a)
        return self.pick([[c], [], ["nope"], {c: True}, {c: False}, Obj([(c, False), ("id", True)]), {c: 1},
                          c, 5, [None], [[c]], {"": True}, [c, c], {c: "yes"}, None, {c: None}])

    def include(self, a, depth=1):
        if depth > 1 or self.rng.random() < 0.5:
            return self.pick(["x", ["x"], a["relation"], [a["relation"]], 5, None, [], {}, [{"relation": 5}],
                              [{"relation": a["relation"], "scope": {"limit": -1}}], [{"scope": {}}]])
        return [{"relation": a["relation"], "scope": {"include": self.include(a, depth + 1)}}]

    def filter(self, a):
        f = Obj()
        keys = self.rng.sample(["where", "order", "limit", "skip", "offset", "fields", "include", "unknown"],
                               self.rng.randint(1, 4))
        for k in keys:
            if k == "where":
                f.append(("where", self.where(a) if self.rng.random() < 0.9 else
                          self.pick([[], "x", None, 5, [{"id": 1}]])))
            elif k == "order":
                f.append(("order", self.order(a)))
            elif k in ("limit", "skip", "offset"):
                f.append((k, self.number_like()))
            elif k == "fields":
                f.append(("fields", self.fields(a)))
            elif k == "include":
                f.append(("include", self.include(a)))
            else:
                f.append((self.pick(["wher", "LIMIT", "", "scope", "deleted", "counts", "where ", "Where",
                                     "'; DROP", "order"]), self.scalar()))
        r = self.rng.random()
        if r < 0.05:
            return jsonb_text(self.pick(["[]", '"x"', "1", "null", "true", "[{}]", '{"where": {}, "where": {"id": 1}}']))
        if r < 0.08:
            return self.pick(["'{'", "'{\"where\": }'", "'{\"limit\": 1,}'", "NULL::jsonb", "'{}'::json::jsonb",
                              "'\"\\u0000\"'::jsonb", "'{\"where\": {\"title\": \"\\u0000\"}}'"])
        return jsonb_text(jd(f))

    def deep(self, kind, depth, a):
        col = (self.target_cols(a) or [dict(name="id")])[0]["name"]
        leaf = jd({col: 1})
        if kind == "and":
            return '{"where": ' + '{"and": [' * depth + leaf + "]}" * depth + "}"
        if kind == "or":
            return '{"where": ' + '{"or": [' * depth + leaf + "]}" * depth + "}"
        if kind == "alt":
            s = leaf
            for i in range(depth):
                s = '{"%s": [%s, %s]}' % ("and" if i % 2 else "or", s, leaf) if i < 12 else \
                    '{"%s": [%s]}' % ("and" if i % 2 else "or", s)
            return '{"where": ' + s + "}"
        if kind == "array operand":
            return '{"where": {' + json.dumps(col) + ': {"inq": ' + "[" * depth + "1" + "]" * depth + "}}}"
        if kind == "object value":
            return '{"where": {' + json.dumps(col) + ": " + '{"a": ' * depth + "1" + "}" * depth + "}}"
        if kind == "order":
            return '{"order": ' + "[" * depth + '"id"' + "]" * depth + "}"
        if kind == "include":
            rel = json.dumps(a["relation"])
            return '{"include": ' + ('[{"relation": ' + rel + ', "scope": {"include": ') * depth + rel + \
                "}}]" * depth + "}"
        raise ValueError(kind)

    # ---- attributes --------------------------------------------------------------------
    def attrs(self, a):
        cols = self.target_cols(a)
        key = a["tkey"]
        o = Obj()
        r = self.rng.random()
        if r < 0.06:
            return jsonb_text(self.pick(["[]", "1", "null", '"x"', "true", "[{}]"]))
        if r < 0.09:
            return self.pick(["NULL::jsonb", "'{'", "'{\"id\": }'"])
        if self.rng.random() < 0.7:
            o.append((key, self.fresh_key_value(a)))
        for _ in range(self.pick([0, 1, 1, 2, 3])):
            if cols and self.rng.random() < 0.75:
                c = self.pick(cols)
                o.append((c["name"], self.value_for(c)))
            else:
                o.append((self.col_name(a, real=0), self.scalar()))
        return jsonb_text(jd(o))

    def fresh_key_value(self, a):
        t = a["ttype"]
        ids = self.ctx["ids"].get(a["target"], [])
        r = self.rng.random()
        if r < 0.25 and ids:
            return self.pick(ids)  # an existing key: 23505
        if r < 0.45:
            return self.scalar()
        n = 1000 + self.rng.randint(0, 10 ** 6)
        if t in ("integer", "bigint", "smallint") or "posint" in t:
            return n
        if t.startswith("numeric"):
            return Raw(self.pick([str(n), f"{n}.125", "1e400", "-0", "1.0e-400"]))
        if t == "uuid":
            return f"00000000-0000-0000-0001-{n:012d}"
        if t.startswith("character("):
            return self.pick(["zz", "zzz", "zzzz", "", "ü"])
        if t.startswith("character varying"):
            return self.pick(["new", "ten_chars_X", "x" * 11, "ü" * 10])
        return self.pick([f"new {n}", "", "BOB", "Bob", "ALPHA", "abc", "ABC", "x" * 100000])

    def value_for(self, c):
        t = c["type"]
        r = self.rng.random()
        if r < 0.35:
            return self.scalar()
        if t == "jsonb":
            return self.pick([{"a": [1, {"b": None}]}, [], "s", Raw("1e400"), None])
        if t.endswith("[]"):
            return self.pick([[1, 2], [], ["a", None], [[1], [2]], "{1,2}", "{}", [1, "x"]])
        if t in ("integer", "bigint", "numeric", "smallint"):
            return Raw(self.pick(ODD_NUMBERS))
        if t == "boolean":
            return self.pick([True, "t", "yes", 1, "maybe"])
        return self.pick(["ok", "x" * 100000, "'; DROP TABLE x; --", "ünï"])


# --------------------------------------------------------------------------------------------
# Cases

WRITERS = {"add", "remove", "replace", "clear", "create", "repair", "create_join_table", "denormalize", "adopt",
           "destroy", "has_many", "denormalize_has_many", "scope"}
COMMIT_OK = {"add", "remove", "replace", "clear", "create", "repair", "create_join_table", "denormalize", "adopt"}
NAMING = {"join_table_name", "singularize", "pluralize", "foreign_key", "tableize", "classify"}
ASSOC_READERS = {"collection", "count", "exists", "find", "ids", "unassociated"}


class Case:
    __slots__ = ("n", "func", "sql", "pre", "commit", "huge", "kind")

    def __init__(self, func, sql, kind, pre=(), commit=False, huge=False):
        self.n = 0
        self.func = func
        self.sql = sql
        self.kind = kind
        self.pre = list(pre)
        self.commit = commit
        self.huge = huge or len(sql) > 20000 or "100000" in sql


class Cases:
    def __init__(self, ctx, rng):
        self.ctx = ctx
        self.rng = rng
        self.g = Gen(ctx, rng)
        self.funcs = ctx["funcs"]
        self.by_name = {}
        for f in self.funcs:
            self.by_name.setdefault(f["name"], []).append(f)

    # base (plausible) arguments for a function, by argument name and type
    def base_args(self, f, a=None):
        a = a or self.g.assoc()
        name = f["name"]
        args = []
        for i, (t, n) in enumerate(zip(f["types"], f["names"])):
            args.append(self.base_arg(f, name, i, t, n, a))
        return args, a

    def base_arg(self, f, fname, i, t, n, a):
        g = self.g
        rng = self.rng
        if t == "regclass":
            if n == "owner":
                return lit(a["owner"])
            if n == "target":
                return lit(a["target"])
            if n == "join_table":
                if fname in ("adopt",):
                    return "'public.rails_adopt'"
                return lit(a["join_table"]) if a["join_table"] else "NULL::regclass"
            if n in ("a", "b"):
                if fname == "adopt":
                    return "'public.t_bigint'" if n == "a" else "'public.t_text'"
                return g.rel(["table", "self", "hostile", "mixed"])
            return g.rel()
        if t == '"any"':
            if n == "id":
                return g.owner_id(a)
            if n == "target":
                return g.target_id(a)
            if n == "targets":
                return g.targets(a)
            return g.owner_id(a)
        if t in ("text", "name", "character varying"):
            if fname in NAMING:
                return lit(g.pick(NAMING_WORDS))
            if n == "relation":
                return lit(a["relation"])
            if n in ("table_name",):
                return lit(g.newname("fz_jt")) if rng.random() < 0.7 else "NULL"
            if n in ("a_column", "b_column", "a_relation", "b_relation", "a_array", "b_array", "array_name",
                     "foreign_key", "inverse", "name"):
                return lit(g.newname("fz_" + n.split("_")[0])) if rng.random() < 0.4 else "NULL"
            if n == "writes":
                return lit(g.pick(["reject", "links"]))
            if n == "dependent":
                return lit(g.pick(["nullify", "destroy", "restrict"]))
            if n == "convention":
                return lit(g.pick(["rails", "laravel", "django", "prisma", "typeorm", "loopback", "doctrine",
                                   "sequelize", "ecto"]))
            return lit(g.pick(NAMING_WORDS))
        if t == "jsonb":
            if n in ("filter", "scope"):
                return "'{}'" if rng.random() < 0.5 else g.filter(a)
            if n == "attributes":
                return g.attrs(a)
            return "'{}'"
        if t == "boolean":
            return g.pick(["false", "true"])
        if t == "anyelement":
            if fname == "unassociated":
                return f"NULL::{a['owner']}"
            return f"NULL::{a['target']}"
        if t == "anyarray":
            if fname == "ids":
                return f"NULL::{a['ttype']}[]"
            return g.pick(["'{3,1,1,2}'::int[]", "'{b,a,a}'::text[]", "'{1,2}'::bigint[]",
                           "ARRAY['x', 'y']::public.citext[]"])
        if t in ("integer", "bigint", "smallint"):
            return g.pick(["1", "0", "10"])
        return "NULL"

    def null_for(self, t):
        if t == '"any"':
            return self.g.pick(["NULL", "NULL::int", "NULL::text[]", "NULL::unknown"])
        return f"NULL::{t}"

    def hostile_arg(self, f, i, a):
        g = self.g
        t, n = f["types"][i], f["names"][i]
        fname = f["name"]
        if t == "regclass":
            return g.rel()
        if t == '"any"':
            if n == "targets":
                return g.hostile_targets(a)
            if n == "target":
                return g.hostile_id(a["ttype"]) if self.rng.random() < 0.8 else g.target_id(a)
            return g.hostile_id(a["otype"])
        if t in ("text", "name", "character varying"):
            if n == "relation" and self.rng.random() < 0.35:
                other = g.assoc()
                return lit(g.pick([other["relation"], a["relation"].upper(), a["relation"] + " ",
                                   " " + a["relation"], a["relation"] + "s"]))
            return g.pick(HOSTILE_TEXT)
        if t == "jsonb":
            if n == "attributes":
                return g.attrs(a)
            return g.filter(a)
        if t == "boolean":
            return g.pick(["NULL::boolean", "'yes'", "'t'", "1::boolean"])
        if t == "anyelement":
            return g.pick(["NULL::public.t_int", "NULL::public.t_bigint", "NULL::int", "NULL::public.v_int",
                           "NULL::public.ct", "NULL::text", "NULL::record", "ROW(1, 'x')::public.ct",
                           "NULL::habtm.join_tables", "NULL::pg_catalog.pg_class", "NULL::int[]",
                           "NULL::public.t_int[]", 'NULL::public."MixedCase Table"', "NULL::jsonb",
                           f"NULL::{a['owner']}", f"NULL::{a['target']}", "(SELECT t FROM public.t_int t LIMIT 1)",
                           "NULL::public.pt", "NULL::public.mv_int"])
        if t == "anyarray":
            if fname == "ids":
                return g.pick(["NULL::int[]", "NULL::bigint[]", "NULL::text[]", "NULL::uuid[]", "NULL::numeric[]",
                               "NULL::public.citext[]", "NULL::varchar[]", "NULL::bpchar[]", "NULL::public.posint[]",
                               "NULL::int2vector", "'{1,2}'::int[]", "NULL::int[][]", "NULL::public.t_int[]",
                               "NULL::jsonb[]", "'{}'::text[]", f"NULL::{a['ttype']}[]", f"NULL::{a['otype']}[]"])
            return self.array_helper_arg()
        return self.null_for(t) if self.rng.random() < 0.5 else g.pick(HOSTILE_TEXT)

    def array_helper_arg(self):
        g = self.g
        return g.pick([
            "'{3,1,1,2}'::int[]", "'{3,1,NULL}'::int[]", "'{{1,2},{3,4}}'::int[]", "'[0:2]={3,1,2}'::int[]",
            "'[-3:-1]={3,1,2}'::int[]", "'{}'::int[]", "(SELECT array_agg(g) FROM generate_series(100000, 1, -1) g)",
            "(SELECT array_agg((g * 7919) % 100003) FROM generate_series(1, 100000) g)",
            "(SELECT array_agg(g::text) FROM generate_series(1, 100000) g)",
            "'{<xml/>}'::xml[]", "'{\"(1,2)\"}'::point[]", "'{b,a,a}'::text[]",
            "ARRAY['b', 'a', 'B', 'A'] COLLATE \"C\"",
            "ARRAY['b', 'a', 'B', 'A']::text[] COLLATE public.fuzz_nd" if self.ctx["has_icu"] else "ARRAY['b']",
            "ARRAY['x', 'X', 'y']::public.citext[]", "'{NaN,1,-0,0}'::numeric[]", "'{NaN,-Infinity,0,-0}'::float8[]",
            "'{1 2, 3}'::int2vector[]", "'{}'::int2vector", "'1 2'::int2vector", "ARRAY[ROW(2), ROW(1)]",
            "ARRAY['{1}'::jsonb, '{}'::jsonb]", "ARRAY['00000000-0000-0000-0000-000000000002'::uuid, "
            "'00000000-0000-0000-0000-000000000001'::uuid]", "'{a ,a,\" a\"}'::char(2)[]",
            "'{1,2}'::public.posint[]", "'{[1,2),[0,1)}'::int4range[]", "'{1,2}'::oid[]",
            "'{9223372036854775807,-9223372036854775808}'::bigint[]", "NULL::int[]", "'{NULL,NULL}'::int[]",
            "'{{}}'::int[]", "'[2147483646:2147483647]={2,1}'::int[]", "'{1,2}'::int2[]", "'{1,2}'::float4[]",
            "array_fill(1, ARRAY[100000])", "array_fill(1, ARRAY[3], ARRAY[0])",
        ])

    def call(self, f, args, named=False, keep=None):
        n = len(args)
        if keep is None:
            keep = n
        keep = min(n, max(keep, n - f["ndefaults"]))
        args = args[:keep]
        if named and all(f["names"][:keep]):
            parts = [f"{ident(nm)} => {v}" for nm, v in zip(f["names"], args)]
        else:
            parts = list(args)
        expr = f"habtm.{ident(f['name'])}({', '.join(parts)})"
        if f["setof"]:
            if f["rettype"] == "record":
                return f"SELECT * FROM {expr}"
            return f"SELECT * FROM {expr} AS r"
        return f"SELECT {expr}"

    def case(self, f, args, kind, named=None, keep=None, pre=(), commit=None, touched=()):
        if named is None:
            named = self.rng.random() < 0.2
        if keep is None and f["ndefaults"] and self.rng.random() < 0.3:
            keep = max([len(args) - self.rng.randint(1, f["ndefaults"])] + [i + 1 for i in touched])
        sql = self.call(f, args, named=named, keep=keep)
        c = Case(f["name"], sql, kind, pre=pre)
        if commit is None:
            commit = f["name"] in COMMIT_OK and not c.huge and self.rng.random() < 0.3 and not pre
        c.commit = commit
        return c

    def preamble(self):
        r = self.rng.random()
        if r < 0.05:
            return ["SET LOCAL search_path = pg_catalog"]
        if r < 0.08:
            return ["SET LOCAL search_path = ''"]
        if r < 0.10:
            return [f"SET LOCAL search_path = {ident(HS)}, public"]
        if r < 0.13:
            return [f"SET LOCAL ROLE {ROLE}"]
        if r < 0.14:
            return ["SET LOCAL transaction_read_only = on"]
        if r < 0.15:
            return ["SET LOCAL work_mem = '64kB'"]
        return []

    # --------------------------------------------------------------------------------
    def systematic(self):
        out = []
        g = self.g
        rng = self.rng
        # 1. NULL in each position, and all NULL
        for f in self.funcs:
            args, a = self.base_args(f)
            out.append(self.case(f, args, "base", commit=False))
            for i, t in enumerate(f["types"]):
                b = list(args)
                b[i] = self.null_for(t)
                out.append(self.case(f, b, f"NULL arg {i + 1} ({f['names'][i] or t})", keep=len(b), named=False))
            if len(f["types"]) > 1:
                out.append(self.case(f, [self.null_for(t) for t in f["types"]], "all NULL", keep=len(f["types"])))
        # 2. relations of every relkind in every regclass position (a sample per position)
        rel_keys = list(g.rels)
        for f in self.funcs:
            for i, t in enumerate(f["types"]):
                if t != "regclass":
                    continue
                for k in rng.sample(rel_keys, min(4, len(rel_keys))):
                    args, a = self.base_args(f)
                    args[i] = g.rels[k]
                    out.append(self.case(f, args, f"relkind {k} as arg {i + 1}", touched=[i]))
        # every relkind at least once as an owner / join table
        owner_fs = [f for f in self.funcs if "owner" in f["names"]]
        jt_fs = [f for f in self.funcs if "join_table" in f["names"]]
        ab_fs = [f for f in self.funcs if f["types"][:2] == ["regclass", "regclass"] and f["names"][:2] == ["a", "b"]]
        for k in rel_keys:
            for fs, pname in ((owner_fs, "owner"), (jt_fs, "join_table"), (ab_fs, "a")):
                if not fs:
                    continue
                f = g.pick(fs)
                args, a = self.base_args(f)
                args[f["names"].index(pname)] = g.rels[k]
                out.append(self.case(f, args, f"relkind {k} as {pname}", touched=[f["names"].index(pname)]))
        # 3. ids of the wrong type, missing rows
        id_fs = [f for f in self.funcs if "id" in f["names"] and f["types"][f["names"].index("id")] == '"any"']
        for a in self.g.assocs:
            for _ in range(4):
                if not id_fs:
                    break
                f = g.pick(id_fs)
                args, _ = self.base_args(f, a)
                args[f["names"].index("id")] = g.hostile_id(a["otype"])
                out.append(self.case(f, args, "hostile id"))
            for fname, pname in (("find", "target"), ("exists", "target")):
                for f in self.by_name.get(fname, []):
                    args, _ = self.base_args(f, a)
                    args[f["names"].index(pname)] = g.hostile_id(a["ttype"])
                    out.append(self.case(f, args, "hostile target"))
        # 4. hostile target arrays for every writer taking targets
        t_fs = [f for f in self.funcs if "targets" in f["names"]]
        for f in t_fs:
            for _ in range(12):
                args, a = self.base_args(f)
                args[f["names"].index("targets")] = g.hostile_targets(a)
                out.append(self.case(f, args, "hostile targets", touched=[f["names"].index("targets")]))
            args, a = self.base_args(f, g.assoc(owner="public.t_bigint"))
            args[f["names"].index("targets")] = g.huge_literal_array()
            out.append(self.case(f, args, "100k-element literal array", keep=len(args)))
        # array helpers
        for f in self.funcs:
            if "anyarray" in f["types"] and f["name"] != "ids":
                for _ in range(10):
                    args = [self.array_helper_arg() if t == "anyarray" else self.base_arg(f, f["name"], i, t, n, g.assoc())
                            for i, (t, n) in enumerate(zip(f["types"], f["names"]))]
                    out.append(self.case(f, args, "array helper"))
        # 5. collection filters: deep nesting, odd numbers
        coll = [f for f in self.by_name.get("collection", []) if f["types"][-1] == "jsonb"]
        coll_typed = [f for f in self.by_name.get("collection", []) if f["types"][-1] == "anyelement"]
        if coll:
            f = coll[0]
            for depth in (50, 127, 128, 129, 500, 1000, 1001, 5000):
                for kind in ("and", "or", "alt", "array operand", "object value", "order", "include"):
                    if kind in ("alt", "order", "include") and depth in (127, 129, 1001):
                        continue
                    a = g.assoc()
                    args, _ = self.base_args(f, a)
                    args[3] = jsonb_text(g.deep(kind, depth, a))
                    out.append(self.case(f, args, f"deep {kind} {depth}", keep=4))
            for depth in (1000, 5000, 100000):
                a = g.assoc()
                args, _ = self.base_args(f, a)
                col = json.dumps((g.target_cols(a) or [dict(name="id")])[0]["name"])
                args[3] = ("('{\"where\": ' || repeat('{\"and\": [', %d) || %s || repeat(']}', %d) || '}')::jsonb"
                           % (depth, lit("{" + col + ": 1}"), depth))
                out.append(self.case(f, args, f"deep server-side and {depth}", keep=4))
            for num in ODD_NUMBERS + ['"NaN"', '"Infinity"', '"1e400"', '" 1"']:
                a = g.assoc()
                args, _ = self.base_args(f, a)
                col = g.col_name(a, real=1)
                args[3] = jsonb_text(self.rng.choice([
                    '{"where": {%s: %s}}' % (json.dumps(col), num),
                    '{"where": {%s: {"gt": %s}}}' % (json.dumps(col), num),
                    '{"where": {%s: {"inq": [%s, 1]}}}' % (json.dumps(col), num),
                    '{"where": {%s: {"between": [%s, %s]}}}' % (json.dumps(col), num, num),
                ]))
                out.append(self.case(f, args, f"odd number {num} in where", keep=4))
                for key in ("limit", "skip", "offset"):
                    args, _ = self.base_args(f, a)
                    args[3] = jsonb_text('{"%s": %s}' % (key, num))
                    out.append(self.case(f, args, f"odd number {num} as {key}", keep=4))
            for _ in range(40):
                a = g.assoc()
                args, _ = self.base_args(f, a)
                args[3] = g.filter(a)
                out.append(self.case(f, args, "random filter", keep=4))
        for f in coll_typed:
            for _ in range(15):
                a = g.assoc()
                args, _ = self.base_args(f, a)
                args[3] = g.filter(a)
                out.append(self.case(f, args, "random filter (typed)"))
        # 6. create: attributes
        for f in self.by_name.get("create", []):
            for _ in range(40):
                a = g.assoc()
                args, _ = self.base_args(f, a)
                args[3] = g.attrs(a)
                out.append(self.case(f, args, "attributes"))
            for depth in (50, 128, 1000, 1001, 5000):
                a = g.assoc(target="public.t_int")
                args, _ = self.base_args(f, a)
                for colname in ("meta", "title"):
                    args[3] = jsonb_text('{"id": %d, "%s": ' % (5000 + depth, colname) + '{"a": [' * depth + "1" +
                                         "]}" * depth + "}")
                    out.append(self.case(f, args, f"deep attribute {colname} {depth}"))
            for num in ODD_NUMBERS + ['"NaN"', '"1e400"']:
                a = g.assoc(target="public.t_int")
                args, _ = self.base_args(f, a)
                args[3] = jsonb_text(self.rng.choice(['{"id": %s}', '{"id": 900, "budget": %s}',
                                                      '{"id": 901, "active": %s}', '{"id": 902, "tags": [%s]}']) % num)
                out.append(self.case(f, args, f"odd number {num} in attributes"))
        # 7. naming functions: every hostile string
        for f in self.funcs:
            if f["name"] not in NAMING:
                continue
            pool = HOSTILE_TEXT + [lit(w) for w in NAMING_WORDS]
            for v in rng.sample(pool, 30):
                args = [v] + [lit(g.pick(NAMING_WORDS)) if rng.random() < 0.5 else g.pick(HOSTILE_TEXT)
                              for _ in f["types"][1:]]
                rng.shuffle(args) if len(args) > 1 and rng.random() < 0.5 else None
                out.append(self.case(f, args, "naming hostile"))
        # 8. DDL functions with hostile names in every text position
        for f in self.funcs:
            if f["name"] in NAMING or "text" not in f["types"]:
                continue
            for i, t in enumerate(f["types"]):
                if t != "text":
                    continue
                for _ in range(3):
                    args, a = self.base_args(f)
                    args[i] = g.pick(HOSTILE_TEXT)
                    out.append(self.case(f, args, f"hostile text arg {i + 1} ({f['names'][i]})", keep=len(args)))
        out += self.trap_cases()
        for _ in range(60):
            out.append(self.dml_case())
        out += self.variant_cases()
        for _ in range(90):
            out.append(self.schema_case())
        return out

    def variants(self, ktype, v):
        """Other spellings of the key v that its type may take as equal (or nearly)."""
        out = [v + " ", " " + v, v.upper(), v.lower(), v.swapcase()]
        if ktype.startswith("numeric"):
            out += [v + "0", v + "000001", v.rstrip("0"), "0" + v, v + "e0", "-" + v, v.replace(".", ",")]
        if v == "Straße":
            out += ["STRASSE", "strasse", "straße"]
        return [x for x in dict.fromkeys(out) if x != v or ktype.startswith("char")]

    def variant_cases(self):
        """Ids equal to a stored key under its type (citext case, char padding, ICU level 2, numeric scale)."""
        out = []
        g = self.g
        want = ("citext", "character(", "numeric", "character varying")
        for a in g.assocs:
            for side, ktype in (("owner", a["otype"]), ("target", a["ttype"])):
                if not (any(w in ktype for w in want) or (a[side] == "public.t_icu")):
                    continue
                ids = self.ctx["ids"].get(a[side], [])
                for _ in range(6):
                    if not ids:
                        break
                    fname = g.pick(["add", "replace", "remove", "exists", "find", "destroy", "count", "ids"])
                    f = self.first(fname)
                    if not f:
                        continue
                    args, _ = self.base_args(f, a)
                    vs = self.variants(ktype, g.pick(ids))
                    if not vs:
                        continue
                    v = lit(g.pick(vs))
                    if side == "owner" and "id" in f["names"]:
                        args[f["names"].index("id")] = v
                    elif side == "target" and "targets" in f["names"]:
                        args[f["names"].index("targets")] = f"ARRAY[{v}, {v}]"
                    elif side == "target" and "target" in f["names"]:
                        args[f["names"].index("target")] = v
                    c = self.case(f, args, f"equal-but-different {side} id", keep=4,
                                  commit=fname in ("add", "replace", "remove") and self.rng.random() < 0.5)
                    out.append(c)
        return out

    def schema_case(self):
        """DDL or a catalog write in the case's transaction, then a call (the backend's cached
        association must not be used stale, in this case or, after the rollback, in the next)."""
        g = self.g
        rng = self.rng
        a = g.pick([x for x in g.assocs if x["join_table"]] or g.assocs)
        jt, oc, tc = a["join_table"], ident(a["ocol"]), ident(a["tcol"])
        cols = [c for c in self.ctx["cols"].get(a["target"], [])
                if c["name"] not in (a["tkey"], a["tarr"], a["oarr"]) and not c["generated"]]
        ddl = [
            f"ALTER TABLE {a['owner']} RENAME TO fz_renamed",
            f"ALTER TABLE {a['target']} RENAME TO fz_renamed_t",
            f"ALTER TABLE {jt} RENAME TO fz_renamed_jt",
            f"ALTER TABLE {jt} RENAME COLUMN {oc} TO fz_c",
            f"ALTER TABLE {jt} RENAME COLUMN {tc} TO fz_c",
            f"ALTER TABLE {a['target']} RENAME COLUMN {ident(a['tkey'])} TO fz_k",
            f"ALTER TABLE {a['owner']} ADD COLUMN fz_new int DEFAULT 7",
            f"ALTER TABLE {a['target']} ADD COLUMN fz_new text NOT NULL DEFAULT 'x'",
            f"DROP TABLE {jt}",
            f"DELETE FROM habtm.join_tables WHERE join_table = {lit(jt)}::regclass",
            f"UPDATE habtm.join_tables SET a_relation = a_relation || '_x', b_relation = b_relation || '_y' "
            f"WHERE join_table = {lit(jt)}::regclass",
            f"UPDATE habtm.join_tables SET a_array = NULL, b_array = NULL WHERE join_table = {lit(jt)}::regclass",
            f"UPDATE habtm.join_tables SET a_column = 'nope' WHERE join_table = {lit(jt)}::regclass",
            f"ALTER TABLE {a['owner']} DISABLE TRIGGER USER",
            f"ALTER TABLE {jt} DISABLE TRIGGER USER",
            f"SELECT habtm.normalize({lit(jt)})",
            f"SELECT habtm.normalize({lit(jt)}, true)",
            f"TRUNCATE {jt}",
            f"ALTER SCHEMA {ident(HS)} RENAME TO fz_schema",
            f"CREATE TEMP TABLE {ident(a['tname'])} (id int PRIMARY KEY)",
            f"CREATE TEMP TABLE {ident(a['oname'])} ({ident(a['okey'])} int PRIMARY KEY)",
            f"CREATE RULE fz_rule AS ON UPDATE TO {a['owner']} DO INSTEAD NOTHING",
            f"CREATE RULE fz_rule AS ON INSERT TO {jt} DO INSTEAD NOTHING",
            f"ALTER TABLE {a['owner']} ADD CONSTRAINT fz_chk CHECK (false) NOT VALID",
            f"ALTER TABLE {a['target']} ADD CONSTRAINT fz_chk CHECK (false) NOT VALID",
            f"CREATE INDEX ON {jt} ({tc})",
            f"ALTER TABLE {a['owner']} REPLICA IDENTITY FULL",
            f"ALTER TABLE {jt} DROP CONSTRAINT IF EXISTS {ident(a['join_table'].split('.')[-1].strip(chr(34)) + '_pkey')}",
            f"ALTER TABLE {a['target']} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {a['target']} FORCE ROW LEVEL SECURITY",
            "SET LOCAL session_replication_role = replica",
            f"CREATE TABLE fz_child () INHERITS ({jt})",
            f"LOCK TABLE {jt} IN ACCESS EXCLUSIVE MODE",
            f"ANALYZE {jt}",
        ]
        if a["ttype"] == "integer":
            ddl += [f"ALTER TABLE {jt} ALTER COLUMN {tc} TYPE bigint",
                    f"ALTER TABLE {a['target']} ALTER COLUMN {ident(a['tkey'])} TYPE bigint"]
        if a["otype"] == "integer":
            ddl += [f"ALTER TABLE {jt} ALTER COLUMN {oc} TYPE bigint"]
        if a["oarr"]:
            oa = ident(a["oarr"])
            ddl += [f"ALTER TABLE {a['owner']} RENAME COLUMN {oa} TO fz_arr",
                    f"ALTER TABLE {a['owner']} DROP COLUMN {oa}",
                    f"ALTER TABLE {a['owner']} ALTER COLUMN {oa} DROP NOT NULL",
                    f"ALTER TABLE {a['owner']} ALTER COLUMN {oa} SET DEFAULT '{{}}'",
                    f"ALTER TABLE {a['owner']} ALTER COLUMN {oa} TYPE text",
                    f"ALTER TABLE {a['owner']} ALTER COLUMN {oa} SET STORAGE EXTERNAL"]
        if cols:
            c = g.pick(cols)
            ddl += [f"ALTER TABLE {a['target']} DROP COLUMN {ident(c['name'])}",
                    f"ALTER TABLE {a['target']} RENAME COLUMN {ident(c['name'])} TO fz_col",
                    f"ALTER TABLE {a['target']} ALTER COLUMN {ident(c['name'])} TYPE text"]
        pre = []
        fs = [f for f in self.funcs if f["name"] in ASSOC_READERS | WRITERS and "owner" in f["names"]]
        if not fs:
            return self.random_case()
        f = g.pick(fs)
        if rng.random() < 0.5:
            pf = g.pick(fs)
            pargs, _ = self.base_args(pf, a)
            pre.append("SAVEPOINT fz_prime")
            pre.append(self.call(pf, pargs))
            pre.append("ROLLBACK TO SAVEPOINT fz_prime")
        pre.append(g.pick(ddl))
        args, _ = self.base_args(f, a)
        if rng.random() < 0.5:
            args[f["names"].index("owner")] = f"(SELECT r FROM fuzz_meta.rels WHERE k = {lit(a['owner'])})"
        c = self.case(f, args, "schema change", pre=pre, commit=False)
        return c

    def first(self, name, with_arg=None):
        for f in self.by_name.get(name, []):
            if with_arg is None or with_arg in f["names"]:
                return f
        return None

    def trap_cases(self):
        """Calls that reach the fixture's user triggers: their errors must come back as raised."""
        out = []
        g = self.g
        a = g.assoc(owner="public.t_bigint", relation="t_int")
        r = g.assoc(owner="public.t_int", relation="t_bigint")
        u = g.assoc(owner="public.t_int", relation="t_uuid")
        if a["owner"] != "public.t_bigint" or r["owner"] != "public.t_int" or u["target"] != "public.t_uuid":
            return out
        bypass = ["SET LOCAL session_replication_role = replica",
                  f"INSERT INTO {a['join_table']} ({ident(a['ocol'])}, {ident(a['tcol'])}) VALUES (1, 12), (1, 14)",
                  "SET LOCAL session_replication_role = origin"]
        link14 = [f"SELECT habtm.add('public.t_bigint', {lit(a['relation'])}, 1, ARRAY[14])"]
        uu = lambda k: f"'00000000-0000-0000-0000-{k:012d}'"
        for fname in ("add", "replace", "remove", "destroy"):
            f = self.first(fname, "targets")
            if not f:
                continue
            for tid in ("11", "12", "13", "14"):
                pre = bypass if fname in ("remove", "destroy") and tid == "12" else \
                    link14 if fname in ("remove", "destroy", "replace") and tid == "14" else []
                args, _ = self.base_args(f, a)
                args[2], args[3] = "1", f"ARRAY[{tid}]"
                out.append(self.case(f, args, f"trap t_int {tid}", pre=pre, keep=4, commit=False))
            args, _ = self.base_args(f, r)
            args[2], args[3] = "12", "ARRAY[1]"
            out.append(self.case(f, args, "trap t_int 12 as owner", keep=4, commit=False))
            for k in (5, 6, 7, 8):
                args, _ = self.base_args(f, u)
                args[2], args[3] = "1", f"ARRAY[{uu(k)}]::uuid[]"
                pre = ["SET LOCAL statement_timeout = '50ms'"] if k == 7 else []
                out.append(self.case(f, args, f"trap uuid {k}", pre=pre, keep=4, commit=False))
        for fname in ("clear",):
            f = self.first(fname)
            if f:
                args, _ = self.base_args(f, a)
                args[2] = "1"
                out.append(self.case(f, args, "trap clear over t_int 12", pre=bypass, commit=False))
                out.append(self.case(f, args, "trap clear over t_int 14", pre=link14, commit=False))
        f = self.first("create")
        if f:
            for attrs in ('{"id": 12}', '{"id": 13}', '{"id": 900, "budget": -1}', '{"id": 901, "doubled": 4}'):
                args, _ = self.base_args(f, a)
                args[2], args[3] = "1", jsonb_text(attrs)
                out.append(self.case(f, args, "trap create", commit=False))
            for k in (5, 6, 7, 8):
                args, _ = self.base_args(f, u)
                args[2], args[3] = "1", jsonb_text('{"id": "00000000-0000-0000-0000-%012d"}' % k)
                pre = ["SET LOCAL statement_timeout = '50ms'"] if k == 7 else []
                out.append(self.case(f, args, f"trap create uuid {k}", pre=pre, commit=False))
        jt = a["join_table"]
        oc, tc = ident(a["ocol"]), ident(a["tcol"])
        for sql, pre in ((f"INSERT INTO {jt} ({oc}, {tc}) VALUES (1, 12)", []),
                         (f"INSERT INTO {jt} ({oc}, {tc}) VALUES (1, 11)", []),
                         (f"INSERT INTO {jt} ({oc}, {tc}) VALUES (1, 13)", []),
                         (f"DELETE FROM {jt} WHERE {tc} = 12", bypass),
                         (f"DELETE FROM public.t_int WHERE id = 14", link14),
                         (f"DELETE FROM public.t_bigint WHERE id = 1", bypass),
                         (f"UPDATE public.t_bigint SET id = 1001 WHERE id = 1", bypass),
                         (f"TRUNCATE {jt}", bypass),
                         (f"UPDATE {jt} SET {tc} = 12 WHERE {oc} = 1 AND {tc} = 1", []),
                         (f"UPDATE {jt} SET {tc} = 11 WHERE {oc} = 1 AND {tc} = 1", [])):
            out.append(Case("dml:trap", sql, "trap dml", pre=pre))
        return out

    def dml_case(self):
        """Plain DML that fires habtm's triggers (join table, sides, id arrays)."""
        g = self.g
        rng = self.rng
        cands = [a for a in g.assocs if a["oarr"] or a["tarr"]] or g.assocs
        a = g.pick(cands)
        if not a.get("ocol") or not a["join_table"]:
            return Case("dml", "SELECT 1", "dml (no join table)")
        jt, oc, tc = a["join_table"], ident(a["ocol"]), ident(a["tcol"])
        ok, tk = ident(a["okey"]), ident(a["tkey"])
        oid = lambda: f"{lit(g.pick(self.ctx['ids'].get(a['owner']) or ['1']))}::{a['otype']}"
        tid = lambda: f"{lit(g.pick(self.ctx['ids'].get(a['target']) or ['1']))}::{a['ttype']}"
        arr = lambda: g.targets(a) if rng.random() < 0.4 else g.hostile_targets(a)
        kinds = ["jt insert", "jt insert select", "jt delete", "jt update", "target delete", "target key update",
                 "jt insert on conflict"]
        if a["oarr"]:
            kinds += ["array update"] * 4 + ["array insert on conflict", "array update all"] + ["array insert"] * 2
        k = g.pick(kinds)
        oa = ident(a["oarr"]) if a["oarr"] else None
        if k == "jt insert":
            sql = f"INSERT INTO {jt} ({oc}, {tc}) VALUES ({oid()}, {tid()})"
        elif k == "jt insert select":
            sql = (f"INSERT INTO {jt} ({oc}, {tc}) SELECT o, t FROM unnest(ARRAY[{oid()}, {oid()}]) o, "
                   f"unnest(ARRAY[{tid()}, {tid()}, {tid()}]) t ON CONFLICT DO NOTHING")
        elif k == "jt insert on conflict":
            sql = (f"INSERT INTO {jt} ({oc}, {tc}) VALUES ({oid()}, {tid()}) ON CONFLICT ({oc}, {tc}) "
                   f"DO UPDATE SET {tc} = EXCLUDED.{tc}")
        elif k == "jt delete":
            sql = f"DELETE FROM {jt} WHERE {oc} = {oid()}"
        elif k == "jt update":
            sql = f"UPDATE {jt} SET {tc} = {tid()} WHERE {oc} = {oid()}"
        elif k == "target delete":
            sql = f"DELETE FROM {a['target']} WHERE {tk} = {tid()}"
        elif k == "target key update":
            newv = g.hostile_id(a["ttype"]) if rng.random() < 0.5 else f"{lit(str(7000 + rng.randint(0, 99)))}"
            sql = f"UPDATE {a['target']} SET {tk} = {newv} WHERE {tk} = {tid()}"
        elif k == "array update":
            sql = f"UPDATE {a['owner']} SET {oa} = {arr()} WHERE {ok} = {oid()}"
        elif k == "array update all":
            sql = f"UPDATE {a['owner']} SET {oa} = {oa}"
        elif k == "array insert":
            fresh = g.fresh_key_value(dict(a, ttype=a["otype"], target=a["owner"]))
            fresh = lit(str(fresh)) if not isinstance(fresh, str) else lit(fresh)
            sql = f"INSERT INTO {a['owner']} ({ok}, {oa}) VALUES ({fresh}, {arr()})"
        else:
            sql = (f"INSERT INTO {a['owner']} ({ok}, {oa}) VALUES ({oid()}, {arr()}) "
                   f"ON CONFLICT ({ok}) DO UPDATE SET {oa} = EXCLUDED.{oa}")
        c = Case("dml:" + k, sql, "dml")
        c.commit = not c.huge and rng.random() < 0.3
        return c

    def random_case(self):
        r = self.rng.random()
        if r < 0.08:
            return self.dml_case()
        if r < 0.13:
            return self.schema_case()
        rng = self.rng
        weights = []
        for f in self.funcs:
            w = 1.0
            if f["name"] in ASSOC_READERS or f["name"] in WRITERS:
                w = 3.0
            if f["name"] == "collection":
                w = 5.0
            if f["name"] in NAMING:
                w = 0.6
            weights.append(w)
        f = rng.choices(self.funcs, weights)[0]
        args, a = self.base_args(f)
        k = rng.choice([0, 1, 1, 1, 2, 2, 3]) if args else 0
        touched = rng.sample(range(len(args)), min(k, len(args)))
        for i in touched:
            args[i] = self.hostile_arg(f, i, a)
        return self.case(f, args, "random", pre=self.preamble(), touched=touched)

    def all(self):
        sysc = self.systematic()
        self.nsys = len(sysc)
        if len(sysc) > CASES:
            idx = sorted(self.rng.sample(range(len(sysc)), CASES))
            sysc = [sysc[i] for i in idx]
        cases = sysc
        while len(cases) < CASES:
            cases.append(self.random_case())
        for n, c in enumerate(cases, 1):
            c.n = n
        return cases


# --------------------------------------------------------------------------------------------
# Running


def case_script(batch):
    s = Script()
    s.add("\\set VERBOSITY verbose")
    s.add("SET client_min_messages = warning;")
    s.add(f"SET statement_timeout = {lit(STATEMENT_TIMEOUT)};")
    s.add("SET lock_timeout = '5s';")
    s.add("CREATE TEMP TABLE IF NOT EXISTS tmp_t (id int PRIMARY KEY);")
    s.add("\\set fp ERR")
    s.add("\\set drift ERR")
    s.add("SELECT fuzz_meta.drift() AS drift \\gset")
    s.add("SELECT fuzz_meta.fp() AS fp \\gset")
    s.add("\\echo @@F start :fp :drift")
    for c in batch:
        start = s.line
        s.add(f"\\echo @@B {c.n}")
        s.add("BEGIN;")
        for p in c.pre:
            s.add(p)
            s.add("\\g /dev/null")
        s.add(c.sql)
        s.add("\\g /dev/null")
        s.add(f"\\echo @@R {c.n} :SQLSTATE")
        s.add("\\if :ERROR")
        s.add(f"\\echo @@M {c.n} :LAST_ERROR_MESSAGE")
        if c.kind != "schema change" and not any("session_replication_role" in p for p in c.pre):
            # drift made by a case that then rolls back shows only here; deferred checks (an
            # inserted row's ids are checked at commit) run first, as COMMIT would run them
            s.add("\\else")
            s.add("SET CONSTRAINTS ALL IMMEDIATE;")
            s.add(f"\\echo @@K {c.n} :SQLSTATE")
            s.add("\\if :ERROR")
            s.add(f"\\echo @@M {c.n} :LAST_ERROR_MESSAGE")
            s.add("\\else")
            s.add("RESET ROLE;")
            s.add(f"SET LOCAL statement_timeout = {lit(STATEMENT_TIMEOUT)};")
            s.add("\\set txdrift ERR")
            s.add("SELECT fuzz_meta.drift_in_tx() AS txdrift \\gset")
            s.add(f"\\echo @@D {c.n} :txdrift")
            s.add("\\endif")
        s.add("\\endif")
        s.add("COMMIT;" if c.commit else "ROLLBACK;")
        s.add(f"\\echo @@C {c.n} :SQLSTATE")
        s.add("\\set fp ERR")
        s.add("\\set drift ERR")
        s.add("SELECT fuzz_meta.drift() AS drift \\gset")
        s.add("SELECT fuzz_meta.fp() AS fp \\gset")
        s.add(f"\\echo @@F {c.n} :fp :drift")
        s.span(c.n, start)
    return s


class Result:
    def __init__(self):
        self.states = {}  # n -> sqlstate
        self.msgs = {}  # n -> message
        self.detail = {}  # n -> stderr text
        self.problems = []  # (n or None, category, text)
        self.ran = 0


def run_cases(cases):
    res = Result()
    todo = list(cases)
    while todo:
        batch, todo = todo[:BATCH], todo[BATCH:]
        s = case_script(batch)
        rc, marks, by_key, err = run_script(s)
        start_fp, _, start_drift = marks.get("start", {}).get("@@F", "ERR ERR").partition(" ")
        fp_before = start_fp
        if start_drift != "0":
            res.problems.append((None, "drift between batches",
                                 f"habtm.check() at the start of the batch of case {batch[0].n}: {start_drift}"))
        done = 0
        for c in batch:
            m = marks.get(str(c.n))
            if not m or "@@F" not in m:
                break
            done += 1
            res.ran += 1
            st = m.get("@@R", "?")
            res.states[c.n] = st
            if st != "00000":
                res.msgs[c.n] = m.get("@@M", "")
            detail = "\n".join(by_key.get(c.n, []))
            if detail:
                res.detail[c.n] = detail
            fp_after, _, drift = m["@@F"].partition(" ")
            if st == "00000" and m.get("@@K", "00000") != "00000":
                st = res.states[c.n] = m["@@K"]  # a deferred check failed, as at COMMIT
                res.msgs[c.n] = "deferred: " + m.get("@@M", "")
            committed = c.commit and st == "00000" and m.get("@@C") == "00000"
            if c.commit and st == "00000" and m.get("@@C") != "00000":
                res.msgs[c.n] = f"COMMIT failed with {m.get('@@C')}"
                res.states[c.n] = m.get("@@C", "?")
                st = res.states[c.n]
            if st in INTERNAL or st.startswith("XX"):
                res.problems.append((c.n, "internal error", st))
            elif st.startswith("58"):
                res.problems.append((c.n, "system error", st))
            if fp_after == "ERR":
                res.problems.append((c.n, "fingerprint failed", "the fingerprint query failed after the case"))
            elif not committed and fp_before != "ERR" and fp_after != fp_before:
                res.problems.append((c.n, "state changed", "the fixture's fingerprint changed across a case "
                                     "that did not commit (" + ("error " + st if st != "00000" else "rolled back") + ")"))
            txdrift = m.get("@@D", "0")
            if txdrift.startswith("-1"):
                res.problems.append((c.n, "check() failed", "in the case's transaction: " + txdrift[3:]))
            elif txdrift == "ERR":
                res.problems.append((c.n, "check() failed", "the drift query failed in the case's transaction"))
            elif txdrift != "0":
                res.problems.append((c.n, "drift", "habtm.check() in the case's transaction: " + txdrift))
            if txdrift != "0" and drift.startswith(txdrift.split(" ")[0] + " rows"):
                pass  # the same drift, committed: reported once
            elif drift.startswith("-1"):
                res.problems.append((c.n, "check() failed", "after the case: " + drift[3:]))
            elif drift == "ERR":
                res.problems.append((c.n, "check() failed", "the drift query failed after the case"))
            elif drift != "0":
                res.problems.append((c.n, "drift", "habtm.check() after the case: " + drift))
            fp_before = fp_after if fp_after != "ERR" else fp_before
            if VERBOSE:
                print(f"  case {c.n} {c.func} {st}{' commit' if committed else ''}: {short(c.sql, 160)}"
                      + (f"  -- {short(res.msgs.get(c.n, ''), 160)}" if st != "00000" else ""))
        if done < len(batch):
            c = batch[done]
            crashed = any(mk in err for mk in CRASH_MARKERS) or rc not in (0, 1)
            text = "\n".join(by_key.get(c.n, [])) or err[-1500:]
            res.states[c.n] = "crash" if crashed else "lost"
            res.detail[c.n] = text
            seen = marks.get(str(c.n), {})
            where = ("in the harness's fingerprint query after the case (SQLSTATE %s)" % seen["@@R"]
                     if "@@R" in seen else "during the case")
            res.problems.append((c.n, "crash" if crashed else "no result",
                                 f"psql exit {rc}; the connection was lost {where}"))
            res.ran += 1
            if not wait_for_server():
                res.problems.append((None, "crash", "the server did not come back after a crash"))
                return res
            todo = batch[done + 1:] + todo
    return res


def log_offset():
    if SERVER_LOG and not os.path.exists(SERVER_LOG):
        print(f"fuzz: warning: SERVER_LOG {SERVER_LOG} does not exist; crashes are detected from psql only")
    if SERVER_LOG and os.path.exists(SERVER_LOG):
        try:
            return os.path.getsize(SERVER_LOG)
        except OSError:
            return None
    return None


def log_crashes(offset):
    if offset is None or not SERVER_LOG:
        return []
    try:
        with open(SERVER_LOG, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        print(f"fuzz: warning: cannot read SERVER_LOG {SERVER_LOG}: {e}")
        return []
    lines = text.splitlines()
    found = []
    for i, ln in enumerate(lines):
        if LOG_CRASH.search(ln):
            ctx = "\n".join(lines[i:i + 3])
            found.append(ctx)
    return found


def library_stamp():
    """When habtm's shared library was written, and its functions: a reinstall mid-run shows."""
    rows = query("SELECT (SELECT (pg_stat_file(setting || '/habtm-' || (SELECT extversion FROM pg_extension "
                 "WHERE extname = 'habtm') || '.so', true)).modification FROM pg_config WHERE name = 'PKGLIBDIR'), (SELECT md5(string_agg(p.oid::regprocedure::text, ',' ORDER BY "
                 "p.oid::regprocedure::text COLLATE \"C\")) FROM pg_proc p WHERE pronamespace = 'habtm'::regnamespace)",
                 check=False)
    return tuple(rows[0]) if rows else None


def norm_message(msg):
    m = msg.split("\n")[0]
    m = re.sub(r'"[^"]*"', '"…"', m)
    m = re.sub(r"'[^']*'", "'…'", m)
    m = re.sub(r"\d+", "N", m)
    return m[:160]


def main():
    t0 = time.time()
    rng = random.Random(SEED)
    log_off = log_offset()
    notes = setup_database()
    ctx = introspect()
    lib_before = library_stamp()
    gen = Cases(ctx, rng)
    cases = gen.all()
    crash_at = os.environ.get("FUZZ_SELFTEST_CRASH")  # self-test of the harness: case n kills its backend
    if crash_at:
        for c in cases:
            if c.n == int(crash_at):
                c.func, c.kind, c.pre, c.commit = "selftest", "SIGSEGV of the backend", [], False
                c.sql = ("DO $$ BEGIN EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', "
                         "'kill -SEGV ' || pg_backend_pid()); END $$")
    state_at = os.environ.get("FUZZ_SELFTEST_STATE")  # self-test: case n writes a row from another session
    if state_at:
        for c in cases:
            if c.n == int(state_at):
                cmd = (f"psql -X -q -h {os.environ.get('PGHOST', '/tmp')} -p {os.environ.get('PGPORT', '5432')} "
                       f"-U {os.environ.get('PGUSER', 'postgres')} -d {DB} -c \"INSERT INTO public.t_nopk VALUES (99, 'x')\"")
                c.func, c.kind, c.pre, c.commit = "selftest", "write from another session", [], False
                c.sql = f"DO $$ BEGIN EXECUTE format('COPY (SELECT 1) TO PROGRAM %L', {lit(cmd)}); RAISE division_by_zero; END $$"
    if ONLY:
        want = {int(x) for x in ONLY.split(",") if x.strip()}
        top = max(want)
        cases = [c for c in cases if c.n in want or (c.commit and c.n < top)]
    print(f"fuzz: seed {SEED}, {len(cases)} cases ({min(gen.nsys, len(cases))} systematic) over {len(ctx['funcs'])} functions, "
          f"{len(ctx['assocs'])} association directions; fixture notes: {len(notes)}")
    for key, st, sql, msg in notes:
        print(f"fuzz: optional fixture step '{key}' failed ({st}): {short(msg.splitlines()[0] if msg else '', 200)}")
    res = run_cases(cases)
    by_n = {c.n: c for c in cases}
    for key, st, sql, msg in notes:
        if st in INTERNAL:
            res.problems.append((None, "internal error in fixture", f"{key}: {st} {msg}"))
    # final check, from a fresh session
    try:
        drift = query("SELECT count(*) FROM habtm.check()")[0][0]
        if drift != "0":
            rows = query("SELECT * FROM habtm.check() LIMIT 20")
            res.problems.append((None, "final check() drift", f"habtm.check() has {drift} rows: {rows}"))
    except RuntimeError as e:
        res.problems.append((None, "final check() failed", str(e)))
    lib_after = library_stamp()
    if lib_after != lib_before:
        res.problems.append((None, "extension reinstalled during the run",
                             f"habtm's library or functions changed during the run ({lib_before} -> {lib_after}); "
                             "results are unreliable: run again"))
    crashes = log_crashes(log_off)
    for c in crashes:
        res.problems.append((None, "server log", c))
    # summary
    errors = {n: s for n, s in res.states.items() if s not in ("00000", "crash", "lost")}
    by_state = Counter(errors.values())
    internal = sum(1 for s in res.states.values() if s in INTERNAL)
    crashed = sum(1 for s in res.states.values() if s == "crash")
    ok = len(res.states) - len(errors)
    lines = []
    lines.append(f"fuzz report, seed {SEED}, {len(cases)} cases, {time.time() - t0:.0f} s")
    for p in res.problems:
        n, cat, text = p
        if n is None:
            lines.append(f"\n== {cat}\n{text}")
            continue
        c = by_n[n]
        lines.append(f"\n== case {n} [{cat}] {c.func} ({c.kind}) SQLSTATE {res.states.get(n)}"
                     f"{' (COMMIT case)' if c.commit else ''}")
        if c.pre:
            lines.append("   preamble: " + "; ".join(c.pre))
        lines.append("   " + c.sql)
        if cat not in ("internal error", "system error"):
            lines.append("   problem: " + text)
        lines.append("   message: " + res.msgs.get(n, "").replace("\n", "\n   "))
        if n in res.detail:
            lines.append("   psql: " + res.detail[n].replace("\n", "\n   "))
    # groups of internal errors by normalised message
    groups = OrderedDict()
    for n, cat, text in res.problems:
        if n is None:
            continue
        key = (cat, res.states.get(n), by_n[n].func,
               norm_message(res.msgs.get(n, "") or text) if cat != "drift" else "habtm.check() not empty after it")
        groups.setdefault(key, []).append(n)
    try:
        with open(REPORT, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n\n== groups\n")
            for (cat, st, fn, msg), ns in groups.items():
                f.write(f"{cat} {st} {fn}: {msg}  (cases {', '.join(map(str, ns[:20]))}{'…' if len(ns) > 20 else ''})\n")
    except OSError as e:
        print(f"fuzz: cannot write {REPORT}: {e}")
    if res.problems:
        print(f"fuzz: {len(res.problems)} problems in {len(groups)} groups:")
        for (cat, st, fn, msg), ns in groups.items():
            print(f"  [{cat}] {fn} {st}: {msg} — {len(ns)} case(s), first {ns[0]}")
        shown = 0
        for n, cat, text in res.problems:
            if shown >= MAX_SHOWN:
                print(f"fuzz: ... {len(res.problems) - shown} more in {REPORT}")
                break
            shown += 1
            if n is None:
                print(f"fuzz: FAIL [{cat}] {short(text, 1500)}")
                continue
            c = by_n[n]
            print(f"fuzz: FAIL case {n} [{cat}] {c.func} SQLSTATE {res.states.get(n)}: "
                  f"{short(res.msgs.get(n, '') if cat in ('internal error', 'system error') else text, 300)}")
            print(f"      {'; '.join(c.pre + [short(c.sql, 400)])}")
        print(f"fuzz: full report (SQL of every offending case, psql's verbose messages): {REPORT}")
        print(f"fuzz: reproduce one case: FUZZ_SEED={SEED} FUZZ_CASES={CASES} FUZZ_ONLY=<n> tests/fuzz/run.sh")
    by = " ".join(f"{k}:{v}" for k, v in sorted(by_state.items(), key=lambda kv: (-kv[1], kv[0])))
    if not KEEP_DB:
        subprocess.run(psql_cmd("postgres", "-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"),
                       capture_output=True, text=True)
        if not query(f"SELECT 1 FROM pg_database d JOIN pg_shdepend s ON s.dbid = d.oid "
                     f"JOIN pg_roles r ON r.oid = s.refobjid WHERE r.rolname = '{ROLE}'", db="postgres", check=False):
            subprocess.run(psql_cmd("postgres", "-c", f"DROP ROLE IF EXISTS {ROLE}"), capture_output=True, text=True)
    print(f"fuzz: {len(res.states)} cases, {len(errors)} errors (by SQLSTATE {by or 'none'}), "
          f"{internal} internal errors, {crashed} crashes, {len(res.problems)} problems, "
          f"{ok} succeeded, {time.time() - t0:.0f} s")
    return 1 if res.problems else 0


if __name__ == "__main__":
    sys.exit(main())
