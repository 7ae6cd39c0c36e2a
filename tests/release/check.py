#!/usr/bin/env python3
"""The release's files agree: META.json is valid PGXN metadata (the PGXN Meta Spec 1.0.0, the
parts a distribution uses) and names the version Cargo.toml builds; the CHANGELOG has a section
for it; an upgrade script leads from the last release (tests/upgrade/run.sh's LAST_RELEASE) to
it; the README's quick start is the SQL a regress test runs. Prints what it checked; exits non-zero with every problem found."""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
            "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONS = {"requires", "recommends", "suggests", "conflicts"}
TOP = {"name", "abstract", "description", "version", "maintainer", "license", "provides",
       "prereqs", "release_status", "resources", "no_index", "tags", "generated_by", "meta-spec"}
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def version_range(v):
    # a version or a comma-separated list of "op version" clauses
    return all(re.match(r"^(\s*(==|!=|>=|<=|>|<)\s*)?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\s*$", c)
               for c in str(v).split(",")) or v == 0


def main():
    cargo_version = re.search(r'^version = "([^"]+)"', read("Cargo.toml"), re.M).group(1)
    try:
        meta = json.loads(read("META.json"))
    except ValueError as e:
        sys.exit(f"META.json is not JSON: {e}")
    for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
        need(key in meta, f"META.json: required key {key!r} missing")
    for key in meta:
        need(key in TOP or key.lower().startswith("x_"), f"META.json: unknown key {key!r}")
    need(isinstance(meta.get("name"), str) and re.match(r"^[^\s/\\]{2,}$", meta["name"]),
         "META.json: name must be 2+ characters without whitespace or slashes")
    need(SEMVER.match(str(meta.get("version", ""))), "META.json: version is not semantic")
    need(meta.get("version") == cargo_version,
         f"META.json: version {meta.get('version')} is not Cargo.toml's {cargo_version}")
    m = meta.get("maintainer")
    need(isinstance(m, str) or (isinstance(m, list) and m and all(isinstance(x, str) for x in m)),
         "META.json: maintainer must be a string or a list of strings")
    lic = meta.get("license")
    need((isinstance(lic, str) and lic in LICENSES) or
         (isinstance(lic, list) and all(x in LICENSES for x in lic)) or
         (isinstance(lic, dict) and all(isinstance(v, str) for v in lic.values())),
         f"META.json: license {lic!r} is not one PGXN knows")
    provides = meta.get("provides", {})
    need(isinstance(provides, dict) and provides, "META.json: provides must name an extension")
    for ext, p in provides.items():
        need(isinstance(p, dict) and "file" in p, f"META.json: provides.{ext}.file is required")
        need(isinstance(p, dict) and SEMVER.match(str(p.get("version", ""))),
             f"META.json: provides.{ext}.version is not semantic")
        need(p.get("version") == cargo_version, f"META.json: provides.{ext}.version is not {cargo_version}")
        for f in ("file", "docfile"):
            if f in p:
                need(os.path.exists(os.path.join(ROOT, p[f])), f"META.json: provides.{ext}.{f} {p[f]} does not exist")
    need("habtm" in provides, "META.json: provides does not name habtm")
    for phase, rels in meta.get("prereqs", {}).items():
        need(phase in PHASES, f"META.json: prereqs phase {phase!r} unknown")
        for rel, reqs in rels.items():
            need(rel in RELATIONS, f"META.json: prereqs relation {rel!r} unknown")
            for name, v in reqs.items():
                need(version_range(v), f"META.json: prereqs {phase}.{rel}.{name} {v!r} is not a version")
    need(meta.get("release_status", "stable") in {"stable", "testing", "unstable"},
         "META.json: release_status must be stable, testing or unstable")
    need(all(isinstance(t, str) and 0 < len(t) <= 255 for t in meta.get("tags", [])),
         "META.json: tags must be strings of 1-255 characters")
    spec = meta.get("meta-spec", {})
    need(spec.get("version") == "1.0.0", "META.json: meta-spec.version must be 1.0.0")

    changelog = read("CHANGELOG.md")
    need(re.search(rf"^## {re.escape(cargo_version)}\b", changelog, re.M),
         f"CHANGELOG.md: no section for {cargo_version}")
    last = re.search(r"^LAST_RELEASE=(\S+)", read("tests/upgrade/run.sh"), re.M).group(1)
    upgrade = f"sql/habtm--{last}--{cargo_version}.sql"
    need(last == cargo_version or os.path.exists(os.path.join(ROOT, upgrade)), f"{upgrade} is missing")
    need("module_pathname" not in read("habtm.control"),
         "habtm.control: module_pathname set (the library must stay versioned, habtm-X.Y.Z.so)")

    # the README's quick start is the one pg_regress runs (tests/pg_regress/sql/quick_start.sql)
    readme = read("README.md")
    start = readme.find("```sql\n", readme.find("## Quick start")) + len("```sql\n")
    quick = readme[start:readme.find("```", start)]
    need(quick.strip() and quick in read("tests/pg_regress/sql/quick_start.sql"),
         "README.md: the quick start differs from tests/pg_regress/sql/quick_start.sql")

    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"release {cargo_version}: META.json valid (PGXN Meta Spec 1.0.0), CHANGELOG section, {upgrade}, README quick start tested")


if __name__ == "__main__":
    main()
