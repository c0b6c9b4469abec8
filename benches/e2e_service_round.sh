#!/usr/bin/env bash
# End-to-end benchmark of one service round against one whole-database
# backup of the same data:
#
#   backup:  `pgkeep backup -j 2` of the whole database (every tenant schema
#            in one snapshot), into a fresh repository;
#   round:   `pgkeep serve` with max_concurrent_jobs = 2 (dump jobs 2), one
#            round of backups of every tenant (`POST /api/v1/backups/run`),
#            timed from the request until the last backup job has finished,
#            into a fresh repository; every job must succeed. Twice: with
#            the round's shared snapshot (`[round] shared_snapshot = true`,
#            the default) and with a snapshot per tenant (`false`, what
#            every round did before), unless MODES says otherwise.
#
# Prints both times, the ratio round / backup (issue 17's target: <= 2), and
# the peak RSS of each process (the service's over its whole life: start,
# discovery, the round). The dataset: $TENANTS schemas tenant_00001… of
# $TABLES small tables each (an int primary key and a text column,
# $ROWS rows per table). Which side runs first alternates between runs;
# each timed run starts after CHECKPOINT and sync. Medians of $RUNS runs.
#
#   bash benches/e2e_service_round.sh                         # 1,000 × 20
#   TENANTS=200 TABLES=20 RUNS=1 bash benches/e2e_service_round.sh
#
# Knobs: TENANTS, TABLES, ROWS, RUNS, ROUND_JOBS (max_concurrent_jobs),
# MODES ("shared per-tenant", or one of them),
# PGKEEP_BIN, PGBIN, KEEP=1 (keep the work directory), OUT (JSON summary,
# default /tmp/pgkeep-e2e-service-round.json).

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_service_round
TENANTS=${TENANTS:-1000}
TABLES=${TABLES:-20}
ROWS=${ROWS:-20}
RUNS=${RUNS:-1}
ROUND_JOBS=${ROUND_JOBS:-2}
MODES=${MODES:-shared per-tenant}
OUT=${OUT:-/tmp/pgkeep-e2e-service-round.json}
E2E_DATASET=none
for n in TENANTS TABLES ROWS ROUND_JOBS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || { echo "$BENCH_NAME: $n must be a positive integer" >&2; exit 1; }
done
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
for b in curl jq; do
    command -v "$b" >/dev/null || die "$b is needed"
done

# --- dataset: TENANTS schemas × TABLES tables ----------------------------------

t_load=$EPOCHREALTIME
psql_q -d postgres -c "CREATE DATABASE $DB"
log "creating $TENANTS tenant schemas × $TABLES tables × $ROWS rows"
psql_q -d "$DB" >/dev/null <<SQL
DO \$\$
DECLARE s text; t text;
BEGIN
  FOR i IN 1..$TENANTS LOOP
    s := format('tenant_%s', lpad(i::text, 5, '0'));
    EXECUTE format('CREATE SCHEMA %I', s);
    FOR j IN 1..$TABLES LOOP
      t := format('%I.%I', s, 't' || j);
      EXECUTE format('CREATE TABLE %s (id int PRIMARY KEY, v text NOT NULL)', t);
      EXECUTE format('INSERT INTO %s SELECT g, md5((g * %s)::text) FROM generate_series(1, $ROWS) g', t, i * 100 + j);
    END LOOP;
    IF i % 50 = 0 THEN COMMIT; END IF;
  END LOOP;
END
\$\$;
VACUUM ANALYZE;
SQL
DB_BYTES=$(psql_q -At -d "$DB" -c "SELECT pg_database_size(current_database())")
log "dataset loaded in $(awk -v a="$t_load" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s: database $((DB_BYTES >> 20)) MiB"
SETTINGS=$(psql_q -At -d "$DB" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('wal_level','shared_buffers','maintenance_work_mem','max_locks_per_transaction')")
log "server settings: $SETTINGS"

flush() {
    psql_q -d "$DB" -c CHECKPOINT
    sync
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# --- the two sides -------------------------------------------------------------

run_backup() {
    local repo=$WORK/repo-backup
    rm -rf "$repo"
    "$PGKEEP_BIN" init --repo "$repo" >/dev/null
    flush
    measure "$WORK/backup.out" "$PGKEEP_BIN" backup -d "$(conninfo "$DB")" --repo "$repo" -j 2 ||
        die "pgkeep backup failed"
    B_SECS+="$SECS "
    B_RSS+="$RSS_KIB "
    log "  backup -j 2: ${SECS} s, peak RSS $((RSS_KIB >> 10)) MiB"
}

TOKEN=bench-token-0123456789abcdef
# stop_serve PID: SIGTERM to pgkeep serve (the child of time(1), which does
# not pass signals on), then wait for time(1) to write its peak RSS.
stop_serve() {
    local child
    child=$(pgrep -P "$1" || true)
    kill -TERM "${child:-$1}" 2>/dev/null || true
    wait "$1" || true
}
API_PORT=$((PORT + 1000))
api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }

run_round() {
    local mode=$1 repo=$WORK/repo-round cfg=$WORK/pgkeep.toml pid t0 secs n_done n_failed shared=true
    [[ $mode == per-tenant ]] && shared=false
    rm -rf "$repo"
    "$PGKEEP_BIN" init --repo "$repo" >/dev/null
    printf '%s\n' "$TOKEN" >"$WORK/token"
    cat >"$cfg" <<EOF
repository = "$repo"
admin_token_file = "$WORK/token"
listen = "127.0.0.1:$API_PORT"
max_concurrent_jobs = $ROUND_JOBS
min_free_disk = "1MiB"
job_history = "0s"
round = { shared_snapshot = $shared }
[http]
request_timeout = "600s"

[[sources]]
name = "main"
connection = "$(conninfo "$DB")"
tenants = { mode = "schema", pattern = "tenant\\\\_%" }
EOF
    flush
    "$TIME_BIN" -f %M -o "$WORK/serve-rss.txt" "$PGKEEP_BIN" serve --config "$cfg" >"$WORK/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
        curl -fsS "http://127.0.0.1:$API_PORT/health" >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$WORK/serve.log" >&2; die "pgkeep serve stopped"; }
        sleep 0.1
    done
    t0=$EPOCHREALTIME
    api -X POST "http://127.0.0.1:$API_PORT/api/v1/backups/run" -d '{}' >"$WORK/run.json"
    local queued
    queued=$(jq '.jobs | length' "$WORK/run.json")
    ((queued == TENANTS)) || die "the round queued $queued backups, not $TENANTS: $(head -c 400 "$WORK/run.json")"
    # Polled with limit=1 (is any job still queued or running?): listing
    # every job each time would cost the service more CPU than some of
    # the backups it measures.
    local n_queued n_running
    while :; do
        n_queued=$(api "http://127.0.0.1:$API_PORT/api/v1/jobs?kind=backup&status=queued&limit=1" | jq '.jobs | length')
        n_running=$(api "http://127.0.0.1:$API_PORT/api/v1/jobs?kind=backup&status=running&limit=1" | jq '.jobs | length')
        ((n_queued + n_running == 0)) && break
        sleep 0.2
    done
    secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
    n_done=$(api "http://127.0.0.1:$API_PORT/api/v1/jobs?kind=backup&status=succeeded&limit=1000000" | jq '.jobs | length')
    n_failed=$(api "http://127.0.0.1:$API_PORT/api/v1/jobs?kind=backup&status=failed&limit=1000000" | jq '.jobs | length')
    ((n_done + n_failed == TENANTS)) || die "$n_done succeeded and $n_failed failed of $TENANTS backups"
    if ((n_failed > 0)); then
        api "http://127.0.0.1:$API_PORT/api/v1/jobs?kind=backup&status=failed&limit=3" | jq -r '.jobs[].error' >&2
        stop_serve "$pid"
        die "$n_failed of $TENANTS backups failed"
    fi
    stop_serve "$pid"
    local rss
    rss=$(tail -n 1 "$WORK/serve-rss.txt")
    [[ $rss =~ ^[0-9]+$ ]] || rss=0
    R_SECS[$mode]+="$secs "
    R_RSS[$mode]+="$rss "
    log "  service round ($mode, $ROUND_JOBS jobs): ${secs} s, peak RSS $((rss >> 10)) MiB"
}

B_SECS="" B_RSS=""
declare -A R_SECS R_RSS
for ((r = 1; r <= RUNS; r++)); do
    log "run $r of $RUNS"
    if ((r % 2)); then
        run_backup
        for m in $MODES; do run_round "$m"; done
    else
        for m in $MODES; do run_round "$m"; done
        run_backup
    fi
done

b=$(tr ' ' '\n' <<<"$B_SECS" | grep . | median)
b_rss=$(tr ' ' '\n' <<<"$B_RSS" | grep . | sort -n | tail -n 1)

printf '\n%s: %s tenants × %s tables × %s rows, PostgreSQL %s, %s cores, medians of %s\n' \
    "$BENCH_NAME" "$TENANTS" "$TABLES" "$ROWS" "$PG_VERSION" "$(nproc)" "$RUNS"
printf 'server: %s\n' "$SETTINGS"
printf '%-48s %10s %14s\n' "" "seconds" "peak RSS MiB"
printf '%-48s %10s %14s\n' "pgkeep backup -j 2 (whole database)" "$b" "$((b_rss >> 10))"
json_rounds=""
for m in $MODES; do
    rr=$(tr ' ' '\n' <<<"${R_SECS[$m]}" | grep . | median)
    r_rss=$(tr ' ' '\n' <<<"${R_RSS[$m]}" | grep . | sort -n | tail -n 1)
    ratio=$(awk -v a="$rr" -v b="$b" 'BEGIN{printf "%.2f", a / b}')
    printf '%-48s %10s %14s   %sx the whole-database backup\n' "service round, $m snapshot ($ROUND_JOBS jobs)" "$rr" "$((r_rss >> 10))" "$ratio"
    json_rounds+="${json_rounds:+, }\"$m\": {\"seconds\": $rr, \"peak_rss_kib\": $r_rss, \"ratio\": $ratio}"
done
printf 'target: a round <= 2x one whole-database backup of the same data\n'

cat >"$OUT" <<EOF
{"tenants": $TENANTS, "tables_per_tenant": $TABLES, "rows_per_table": $ROWS, "runs": $RUNS,
 "server_version": "$PG_VERSION", "settings": "$SETTINGS", "round_jobs": $ROUND_JOBS,
 "backup_seconds": $b, "backup_peak_rss_kib": $b_rss,
 "rounds": {$json_rounds}}
EOF
log "summary written to $OUT"
