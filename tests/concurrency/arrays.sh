#!/usr/bin/env bash
# Concurrent writers of a denormalised association: CLIENTS pgbench clients (default 4)
# for SECONDS_TO_RUN seconds (default 15; the issue's acceptance run used 60) mix every kind of
# single-statement write — habtm.add/remove/replace, direct array writes on both sides, inserts
# with arrays, deletes and key updates of side rows, plain join-table inserts — while a fifth of
# the transactions add links to five hot developers. Afterwards:
#   - no transaction failed (a deadlock or any other error fails the test; pgbench exits 0 on
#     those, so its counters are read),
#   - habtm.check() is empty (every array equals the join table),
#   - no update was lost: the hot developers hold exactly as many links as hot adds committed.
# Needs the extension installed; scripts/test.sh provides a throwaway cluster (PGHOST etc.).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SECONDS_TO_RUN:-15}
clients=${CLIENTS:-4}
db=habtm_concurrency_arrays
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q <<'SQL'
CREATE EXTENSION habtm;
CREATE TABLE developers (id bigint PRIMARY KEY);
CREATE TABLE projects (id int PRIMARY KEY);
INSERT INTO developers SELECT generate_series(1, 200);
-- 1..100: the shared projects; 1,000..: fresh projects for the hot developers' links
INSERT INTO projects SELECT generate_series(1, 100);
INSERT INTO projects SELECT generate_series(1000, 500000);
SELECT habtm.create_join_table('developers', 'projects') \g /dev/null
SELECT habtm.denormalize('developers_projects', writes => 'links') \g /dev/null
CREATE SEQUENCE new_developers START 1000000;
CREATE SEQUENCE new_projects START 1000000;
CREATE SEQUENCE hot_links START 1000;
SQL
out=$(pgbench -n -c "$clients" -j 2 -T "$seconds" --failures-detailed \
    -f "$here/arrays_mix.sql@4" -f "$here/arrays_hot.sql@1" "$db" 2>&1)
echo "$out" | grep -E "processed|failed|deadlock|serialization|tps|aborted|ERROR|error" || true
processed=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
problems=$(q -c "SELECT count(*) FROM habtm.check()")
hot_added=$(q -c "SELECT last_value - 1000 + 1 FROM hot_links WHERE is_called")
hot_links=$(q -c "SELECT count(*) FROM developers_projects WHERE developer_id <= 5")
hot_in_arrays=$(q -c "SELECT sum(cardinality(project_ids)) FROM developers WHERE id <= 5")
links=$(q -c "SELECT count(*) FROM developers_projects")
echo "links: $links; hot adds committed: $hot_added, in the join table: $hot_links, in the arrays: $hot_in_arrays; check(): $problems rows"
if [ "$problems" != 0 ]; then q -c "SELECT * FROM habtm.check() LIMIT 20"; fi
psql -X -q -d postgres -c "DROP DATABASE $db"
[ -n "$processed" ] && [ "$processed" -gt 500 ] || { echo "too few transactions: ${processed:-none}"; exit 1; }
[ "${failed:-1}" -eq 0 ] || { echo "$failed transactions failed"; exit 1; }
[ "$problems" = 0 ] || { echo "habtm.check() reports $problems rows"; exit 1; }
[ "$hot_added" = "$hot_links" ] && [ "$hot_added" = "$hot_in_arrays" ] \
    || { echo "lost updates: $hot_added adds, $hot_links links, $hot_in_arrays in arrays"; exit 1; }
echo "concurrency (arrays): $processed transactions in ${seconds}s, 0 failed, arrays exact, no lost update"
