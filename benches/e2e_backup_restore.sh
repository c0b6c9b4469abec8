#!/usr/bin/env bash
# End-to-end benchmark: pgkeep backup and restore against pg_dump/pg_restore,
# all measured in the same run on the same throwaway server.
#
# Starts a private PostgreSQL 15 cluster (/usr/lib/postgresql/15/bin; as
# root the server runs as the system user `pgkeep-test`, created if missing;
# clients connect over a private unix socket as user `postgres`), loads
# `pgbench -i -s $SCALE` plus a wide mixed-type table `wide` of $WIDE_ROWS
# rows (15 column types, secondary index on its timestamptz column), runs
# VACUUM ANALYZE, then for $RUNS rounds times each contender once per round
# (the order is reversed every other round), every backup into a fresh,
# empty repository or output directory:
#
#   backup:  pgkeep backup -j 2              (fresh repository: no dedup)
#            pg_dump -Fc -f FILE bench
#            pg_dump -Fd -j 2 -f DIR bench
#            raw floor: COPY tbl TO STDOUT (FORMAT binary) of every table
#                       into /dev/null, two tables at a time (xargs -P2 psql)
#   restore: pgkeep restore -j 2 --create    (into a new database)
#            createdb + pg_restore -j 2 -d NEWDB   (from the -Fc dump)
#            both from round 1's repository and dump, $RUNS rounds under
#            each of $WAL_LEVELS (the server restarted in between:
#            wal_level = minimal lets a load into a table created or
#            truncated in its own transaction skip the WAL)
#
# It also records the archive sizes (`du -sb` of the repository, the -Fc
# file, the -Fd directory) and peak RSS (/usr/bin/time -f %M, or polling
# VmHWM in /proc when time(1) is missing and cannot be installed). After the
# first pgkeep restore it checks that every table's row count and the number
# of indexes equal the source database's, and fails loudly otherwise.
# Restored databases are dropped after each run.
#
# Per-run timings go to stderr; the summary (medians in seconds, ratios
# against their targets, each marked "ok" or "MISSED") goes to stdout and as
# JSON to $OUT. Exit status is non-zero only when a command fails or the
# correctness check fails, never because a target is missed.
#
# Environment knobs:
#   SCALE=50           pgbench scale factor (50: 5 M pgbench_accounts rows)
#   WIDE_ROWS=1000000  rows in the wide mixed-type table
#   RUNS=3             rounds; medians are taken over them
#   WAL_LEVELS="replica minimal"   server settings the restores run under
#   PGKEEP_BIN=...     pgkeep binary to test; when unset the script runs
#                      `cargo build --release` and uses
#                      ${CARGO_TARGET_DIR:-target}/release/pgkeep
#   OUT=/tmp/pgkeep-e2e-bench.json   where the JSON summary is written
#   KEEP=1             keep the temporary directory (cluster, dumps, logs)
#   PORT=55600+        server port (default 55600 + PID % 300; the server
#                      listens on the private socket directory only)
#   PGBIN=/usr/lib/postgresql/15/bin   PostgreSQL binaries
#
# Usage, from the repository root:
#   bash benches/e2e_backup_restore.sh
#   SCALE=2 WIDE_ROWS=20000 RUNS=1 bash benches/e2e_backup_restore.sh   # smoke test
#
# Server settings: fsync=off, synchronous_commit=off, full_page_writes=off,
# max_locks_per_transaction=1024, shared_buffers=256MB, max_wal_size=4GB,
# autovacuum=off (so no background work lands on a later measurement).

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_backup_restore
OUT=${OUT:-/tmp/pgkeep-e2e-bench.json}
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"

# --- measuring ----------------------------------------------------------------

# runlog LABEL TEXT: one per-run line on stderr.
runlog() { printf '  %-30s %8.2f s  %s\n' "$1" "$SECS" "$2" >&2; }

raw_floor() {
    xargs -P 2 -I '{}' "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$DB" \
        -c 'COPY {} TO STDOUT (FORMAT binary)' <"$WORK/tables.txt" >/dev/null
}

# Drop a restored database and flush every write (CHECKPOINT alone leaves
# dirty pages in the OS cache for the next run to pay for).
drop_db() {
    psql_q -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c CHECKPOINT
    sync
}

# The source's row counts and index count, for the check after the first restore.
declare -A SRC_ROWS
for t in "${TABLES[@]}"; do
    SRC_ROWS[$t]=$(psql_q -At -d "$DB" -c "SELECT count(*) FROM $t")
done
IDX_SQL="SELECT count(*) FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
SRC_INDEXES=$(psql_q -At -d "$DB" -c "$IDX_SQL")

check_restored() {
    local db=$1 bad=0 n t
    for t in "${TABLES[@]}"; do
        n=$(psql_q -At -d "$db" -c "SELECT count(*) FROM $t" 2>&1) || n="error: $n"
        if [[ $n != "${SRC_ROWS[$t]}" ]]; then
            log "CHECK FAILED: $t has ${SRC_ROWS[$t]} rows in $DB but '$n' in $db"
            bad=1
        fi
    done
    n=$(psql_q -At -d "$db" -c "$IDX_SQL")
    if [[ $n != "$SRC_INDEXES" ]]; then
        log "CHECK FAILED: $SRC_INDEXES indexes in $DB but $n in $db"
        bad=1
    fi
    ((bad == 0)) || die "restored database $db differs from $DB (see above)"
    log "check: row counts of ${#TABLES[@]} tables and $n indexes match"
}

# One warm-up pass so the first contender of round 1 finds the same page cache
# as everyone after it.
log "warm-up: one untimed raw COPY pass"
raw_floor

# Per-run results.
declare -a T_PGKEEP T_FC T_FD T_RAW
declare -A T_PGKEEP_R T_PGR
WAL_LEVELS=${WAL_LEVELS:-replica minimal}
WL=replica
declare -a RSS_PGKEEP RSS_PGKEEP_R RSS_FC RSS_FD RSS_PGR
declare -a SZ_REPO SZ_REPO_FILES SZ_FC SZ_FD RAW_BYTES STORED_BYTES
SNAPSHOT=

run_pgkeep_backup() {
    local r=$1 dir=$2
    "$PGKEEP_BIN" init --repo "$dir/repo" >/dev/null 2>"$dir/pgkeep-init.log" ||
        {
            cat "$dir/pgkeep-init.log" >&2
            die "pgkeep init failed"
        }
    measure "$dir/pgkeep-backup.json" "$PGKEEP_BIN" backup -d "$(conninfo "$DB")" \
        --repo "$dir/repo" -j "$JOBS" --json 2>"$dir/pgkeep-backup.log" ||
        {
            tail -n 30 "$dir/pgkeep-backup.log" >&2
            die "pgkeep backup failed (round $r)"
        }
    T_PGKEEP+=("$SECS")
    RSS_PGKEEP+=("$RSS_KIB")
    SNAPSHOT=$(sed -n 's/^  "id": "\([0-9a-f]*\)".*/\1/p' "$dir/pgkeep-backup.json")
    [[ -n $SNAPSHOT ]] || die "no snapshot id in pgkeep backup --json output"
    RAW_BYTES+=("$(sed -n 's/^  "raw_bytes": \([0-9]*\).*/\1/p' "$dir/pgkeep-backup.json")")
    STORED_BYTES+=("$(sed -n 's/^  "new_stored_bytes": \([0-9]*\).*/\1/p' "$dir/pgkeep-backup.json")")
    SZ_REPO+=("$(du -sb "$dir/repo" | cut -f1)")
    # The same without the directories' own blocks (du -sb counts them).
    SZ_REPO_FILES+=("$(find "$dir/repo" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')")
    runlog "pgkeep backup -j$JOBS" "peak RSS $((RSS_KIB / 1024)) MiB, repository ${SZ_REPO[-1]} bytes"
}

run_pg_dump_fc() {
    local r=$1 dir=$2
    measure /dev/null "$PGBIN/pg_dump" -Fc -f "$dir/bench.dump" "$DB" 2>"$dir/pg_dump-fc.log" ||
        {
            cat "$dir/pg_dump-fc.log" >&2
            die "pg_dump -Fc failed (round $r)"
        }
    T_FC+=("$SECS")
    RSS_FC+=("$RSS_KIB")
    SZ_FC+=("$(stat -c %s "$dir/bench.dump")")
    runlog "pg_dump -Fc" "peak RSS $((RSS_KIB / 1024)) MiB, file ${SZ_FC[-1]} bytes"
}

run_pg_dump_fd() {
    local r=$1 dir=$2
    measure /dev/null "$PGBIN/pg_dump" -Fd -j "$JOBS" -f "$dir/bench.dir" "$DB" 2>"$dir/pg_dump-fd.log" ||
        {
            cat "$dir/pg_dump-fd.log" >&2
            die "pg_dump -Fd failed (round $r)"
        }
    T_FD+=("$SECS")
    RSS_FD+=("$RSS_KIB")
    SZ_FD+=("$(du -sb "$dir/bench.dir" | cut -f1)")
    runlog "pg_dump -Fd -j$JOBS" "peak RSS $((RSS_KIB / 1024)) MiB, directory ${SZ_FD[-1]} bytes"
    rm -rf "$dir/bench.dir"
}

run_raw_floor() {
    local r=$1 t0
    t0=$EPOCHREALTIME
    raw_floor || die "raw COPY floor failed (round $r)"
    SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
    T_RAW+=("$SECS")
    runlog "raw COPY binary, 2 at a time" ""
}

run_pgkeep_restore() {
    local r=$1 dir=$2
    local target="r${r}_${WL}_pgkeep"
    measure /dev/null "$PGKEEP_BIN" restore "$SNAPSHOT" --repo "$dir/repo" \
        -d "$(conninfo "$target")" --create -j "$JOBS" 2>"$dir/pgkeep-restore.log" ||
        {
            tail -n 30 "$dir/pgkeep-restore.log" >&2
            die "pgkeep restore failed (round $r)"
        }
    T_PGKEEP_R[$WL]+="$SECS "
    RSS_PGKEEP_R+=("$RSS_KIB")
    runlog "pgkeep restore -j$JOBS --create" "wal_level=$WL, peak RSS $((RSS_KIB / 1024)) MiB"
    if ((r == 1)); then check_restored "$target"; fi
    drop_db "$target"
}

run_pg_restore() {
    local r=$1 dir=$2
    local target="r${r}_${WL}_pg_restore" t0 rss
    t0=$EPOCHREALTIME
    "$PGBIN/createdb" "$target"
    measure /dev/null "$PGBIN/pg_restore" -j "$JOBS" -d "$target" "$dir/bench.dump" 2>"$dir/pg_restore.log" ||
        {
            cat "$dir/pg_restore.log" >&2
            die "pg_restore failed (round $r)"
        }
    rss=$RSS_KIB
    SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
    T_PGR[$WL]+="$SECS "
    RSS_PGR+=("$rss")
    runlog "createdb + pg_restore -j$JOBS" "wal_level=$WL, peak RSS $((rss / 1024)) MiB"
    drop_db "$target"
}

for ((r = 1; r <= RUNS; r++)); do
    dir=$WORK/round$r
    mkdir -p "$dir"
    if ((r % 2 == 1)); then
        log "round $r/$RUNS"
        run_pgkeep_backup "$r" "$dir"
        run_pg_dump_fc "$r" "$dir"
        run_pg_dump_fd "$r" "$dir"
        run_raw_floor "$r"
    else
        log "round $r/$RUNS (reverse order)"
        run_raw_floor "$r"
        run_pg_dump_fd "$r" "$dir"
        run_pg_dump_fc "$r" "$dir"
        run_pgkeep_backup "$r" "$dir"
    fi
    # Restores read round 1's repository and dump.
    if ((r == 1)); then
        RESTORE_SNAPSHOT=$SNAPSHOT
    elif [[ $KEEP != 1 ]]; then
        rm -rf "$dir"
    fi
done

SNAPSHOT=$RESTORE_SNAPSHOT
for WL in $WAL_LEVELS; do
    log "restores with wal_level = $WL"
    set_wal_level "$WL"
    for ((r = 1; r <= RUNS; r++)); do
        if ((r % 2 == 1)); then
            run_pgkeep_restore "$r" "$WORK/round1"
            run_pg_restore "$r" "$WORK/round1"
        else
            run_pg_restore "$r" "$WORK/round1"
            run_pgkeep_restore "$r" "$WORK/round1"
        fi
    done
done
[[ $KEEP == 1 ]] || rm -rf "$WORK/round1"

# --- summary ------------------------------------------------------------------

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{if (b == 0) print "null"; else printf "%.3f", a / b}'; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k / 1024}'; }
# verdict VALUE OP TARGET -> ok / MISSED
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN{ok = (op == "<=") ? (v <= t) : (v >= t); print (v != "null" && ok) ? "ok" : "MISSED"}'; }
json_array() {
    local IFS=,
    printf '[%s]' "$*"
}

M_PGKEEP=$(median "${T_PGKEEP[@]}")
M_FC=$(median "${T_FC[@]}")
M_FD=$(median "${T_FD[@]}")
M_RAW=$(median "${T_RAW[@]}")
M_SZ_REPO=$(median "${SZ_REPO[@]}")
M_SZ_REPO_FILES=$(median "${SZ_REPO_FILES[@]}")
M_SZ_FC=$(median "${SZ_FC[@]}")
M_SZ_FD=$(median "${SZ_FD[@]}")
MAX_RSS_B=$(printf '%s\n' "${RSS_PGKEEP[@]}" | sort -n | tail -n 1)
MAX_RSS_R=$(printf '%s\n' "${RSS_PGKEEP_R[@]}" | sort -n | tail -n 1)

R_RAW=$(div "$M_PGKEEP" "$M_RAW")
R_FC=$(div "$M_FC" "$M_PGKEEP")
R_FD=$(div "$M_FD" "$M_PGKEEP")
# Per wal_level: medians and the restore ratio.
declare -A M_PGKEEP_R M_PGR R_REST V_REST
for wl in $WAL_LEVELS; do
    # shellcheck disable=SC2086
    M_PGKEEP_R[$wl]=$(median ${T_PGKEEP_R[$wl]})
    # shellcheck disable=SC2086
    M_PGR[$wl]=$(median ${T_PGR[$wl]})
    R_REST[$wl]=$(div "${M_PGR[$wl]}" "${M_PGKEEP_R[$wl]}")
    V_REST[$wl]=$(verdict "${R_REST[$wl]}" ">=" 1.5)
done
R_SIZE=$(div "$M_SZ_REPO" "$M_SZ_FC")
RSS_B_MIB=$(mib "$MAX_RSS_B")
RSS_R_MIB=$(mib "$MAX_RSS_R")
rss_note=""
[[ $RSS_MODE == time ]] || rss_note=" (polled)"

V_RAW=$(verdict "$R_RAW" "<=" 1.2)
V_FC=$(verdict "$R_FC" ">=" 3.3)
V_FD=$(verdict "$R_FD" ">=" 2.4)
V_SIZE=$(verdict "$R_SIZE" "<=" 0.85)
V_RSS_B=$(verdict "$RSS_B_MIB" "<=" 256)
V_RSS_R=$(verdict "$RSS_R_MIB" "<=" 256)

{
    printf 'pgkeep end-to-end benchmark: SCALE=%s WIDE_ROWS=%s RUNS=%s, PostgreSQL %s, %s cores, database %s MiB\n' \
        "$SCALE" "$WIDE_ROWS" "$RUNS" "$PG_VERSION" "$(nproc)" "$((DB_BYTES >> 20))"
    printf '\nmedian wall seconds (runs)\n'
    printf '  %-28s %8.2f  (%s)\n' "pgkeep backup -j2" "$M_PGKEEP" "${T_PGKEEP[*]}"
    printf '  %-28s %8.2f  (%s)\n' "pg_dump -Fc" "$M_FC" "${T_FC[*]}"
    printf '  %-28s %8.2f  (%s)\n' "pg_dump -Fd -j2" "$M_FD" "${T_FD[*]}"
    printf '  %-28s %8.2f  (%s)\n' "raw COPY binary floor" "$M_RAW" "${T_RAW[*]}"
    for wl in $WAL_LEVELS; do
        printf '  %-28s %8.2f  (%s)\n' "pgkeep restore -j2 ($wl)" "${M_PGKEEP_R[$wl]}" "${T_PGKEEP_R[$wl]% }"
        printf '  %-28s %8.2f  (%s)\n' "pg_restore -j2 ($wl)" "${M_PGR[$wl]}" "${T_PGR[$wl]% }"
    done
    printf '\nsizes (bytes): pgkeep repository %s (du -sb; files alone %s), pg_dump -Fc %s, pg_dump -Fd %s; pgkeep raw table data %s\n' \
        "$M_SZ_REPO" "$M_SZ_REPO_FILES" "$M_SZ_FC" "$M_SZ_FD" "${RAW_BYTES[0]:-?}"
    printf '\n  %-40s %10s  %-8s %s\n' "measure" "value" "target" "verdict"
    printf '  %-40s %9sx  %-8s %s\n' "pgkeep backup / raw COPY floor" "$R_RAW" "<= 1.2" "$V_RAW"
    printf '  %-40s %9sx  %-8s %s\n' "pg_dump -Fc / pgkeep backup" "$R_FC" ">= 3.3" "$V_FC"
    printf '  %-40s %9sx  %-8s %s\n' "pg_dump -Fd -j2 / pgkeep backup" "$R_FD" ">= 2.4" "$V_FD"
    for wl in $WAL_LEVELS; do
        printf '  %-40s %9sx  %-8s %s\n' "pg_restore -j2 / pgkeep restore ($wl)" "${R_REST[$wl]}" ">= 1.5" "${V_REST[$wl]}"
    done
    printf '  %-40s %10s  %-8s %s\n' "pgkeep repository / pg_dump -Fc size" "$R_SIZE" "<= 0.85" "$V_SIZE"
    printf '  %-40s %10s  %-8s %s\n' "pgkeep backup peak RSS MiB$rss_note" "$RSS_B_MIB" "<= 256" "$V_RSS_B"
    printf '  %-40s %10s  %-8s %s\n' "pgkeep restore peak RSS MiB$rss_note" "$RSS_R_MIB" "<= 256" "$V_RSS_R"
    printf '\n(peak RSS MiB, max over runs: pg_dump -Fc %s, pg_dump -Fd -j2 %s, pg_restore -j2 %s)\n' \
        "$(mib "$(printf '%s\n' "${RSS_FC[@]}" | sort -n | tail -n 1)")" \
        "$(mib "$(printf '%s\n' "${RSS_FD[@]}" | sort -n | tail -n 1)")" \
        "$(mib "$(printf '%s\n' "${RSS_PGR[@]}" | sort -n | tail -n 1)")"
}

cat >"$OUT" <<EOF
{
  "scale": $SCALE,
  "wide_rows": $WIDE_ROWS,
  "runs": $RUNS,
  "jobs": $JOBS,
  "cores": $(nproc),
  "server_version": "$PG_VERSION",
  "database_bytes": $DB_BYTES,
  "rss_mode": "$RSS_MODE",
  "seconds": {
    "pgkeep_backup": $(json_array "${T_PGKEEP[@]}"),
    "pg_dump_fc": $(json_array "${T_FC[@]}"),
    "pg_dump_fd_j2": $(json_array "${T_FD[@]}"),
    "raw_copy_floor": $(json_array "${T_RAW[@]}"),
    "restore": {$(for wl in $WAL_LEVELS; do
        # shellcheck disable=SC2086
        printf '%s"%s": {"pgkeep_restore": %s, "pg_restore_j2": %s}' "${sep:-}" "$wl" "$(json_array ${T_PGKEEP_R[$wl]})" "$(json_array ${T_PGR[$wl]})"
        sep=", "
    done)}
  },
  "median_seconds": {
    "pgkeep_backup": $M_PGKEEP,
    "pg_dump_fc": $M_FC,
    "pg_dump_fd_j2": $M_FD,
    "raw_copy_floor": $M_RAW,
    "restore": {$(for wl in $WAL_LEVELS; do
        printf '%s"%s": {"pgkeep_restore": %s, "pg_restore_j2": %s}' "${sep2:-}" "$wl" "${M_PGKEEP_R[$wl]}" "${M_PGR[$wl]}"
        sep2=", "
    done)}
  },
  "bytes": {
    "pgkeep_repository": $(json_array "${SZ_REPO[@]}"),
    "pgkeep_repository_files": $(json_array "${SZ_REPO_FILES[@]}"),
    "pg_dump_fc": $(json_array "${SZ_FC[@]}"),
    "pg_dump_fd": $(json_array "${SZ_FD[@]}"),
    "pgkeep_raw": $(json_array "${RAW_BYTES[@]}"),
    "pgkeep_new_stored": $(json_array "${STORED_BYTES[@]}")
  },
  "peak_rss_kib": {
    "pgkeep_backup": $(json_array "${RSS_PGKEEP[@]}"),
    "pgkeep_restore": $(json_array "${RSS_PGKEEP_R[@]}"),
    "pg_dump_fc": $(json_array "${RSS_FC[@]}"),
    "pg_dump_fd_j2": $(json_array "${RSS_FD[@]}"),
    "pg_restore_j2": $(json_array "${RSS_PGR[@]}")
  },
  "ratios": {
    "pgkeep_backup_vs_raw_floor": {"value": $R_RAW, "target": "<= 1.2", "verdict": "$V_RAW"},
    "pg_dump_fc_vs_pgkeep_backup": {"value": $R_FC, "target": ">= 3.3", "verdict": "$V_FC"},
    "pg_dump_fd_j2_vs_pgkeep_backup": {"value": $R_FD, "target": ">= 2.4", "verdict": "$V_FD"},
$(for wl in $WAL_LEVELS; do
        printf '    "pg_restore_j2_vs_pgkeep_restore_%s": {"value": %s, "target": ">= 1.5", "verdict": "%s"},\n' "$wl" "${R_REST[$wl]}" "${V_REST[$wl]}"
    done)
    "pgkeep_repo_vs_pg_dump_fc_size": {"value": $R_SIZE, "target": "<= 0.85", "verdict": "$V_SIZE"},
    "pgkeep_backup_peak_rss_mib": {"value": $RSS_B_MIB, "target": "<= 256", "verdict": "$V_RSS_B"},
    "pgkeep_restore_peak_rss_mib": {"value": $RSS_R_MIB, "target": "<= 256", "verdict": "$V_RSS_R"}
  }
}
EOF
log "JSON summary written to $OUT"
