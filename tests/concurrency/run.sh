#!/usr/bin/env bash
# Concurrent single-statement association writes must never fail: 4 pgbench clients mix add,
# remove and replace from both sides of one join table for SECONDS seconds; any deadlock or
# other failed transaction fails the test. (pgbench exits 0 on those: its counters are read.)
# Needs the extension installed; scripts/test.sh provides a throwaway cluster (PGHOST etc.).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SECONDS_TO_RUN:-10}
db=habtm_concurrency
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE EXTENSION habtm;
CREATE TABLE developers (id int PRIMARY KEY);
CREATE TABLE projects (id int PRIMARY KEY);
INSERT INTO developers SELECT generate_series(1, 20);
INSERT INTO projects SELECT generate_series(1, 50);
SELECT habtm.create_join_table('developers', 'projects') \g /dev/null
SQL
out=$(pgbench -n -c 4 -j 2 -T "$seconds" --failures-detailed -f "$here/association_mix.sql" "$db" 2>&1)
echo "$out" | grep -E "processed|failed|deadlock|serialization|tps"
processed=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
psql -X -q -d postgres -c "DROP DATABASE $db"
[ -n "$processed" ] && [ "$processed" -gt 1000 ] || { echo "too few transactions: ${processed:-none}"; exit 1; }
[ "${failed:-1}" -eq 0 ] || { echo "$failed transactions failed"; exit 1; }
echo "concurrency: $processed transactions, 0 failed"
