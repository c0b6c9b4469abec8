#!/usr/bin/env bash
# End-to-end benchmark of reading archives without a server:
#
#   verify:  `pgkeep verify --read-data` (every chunk read, decompressed,
#            re-hashed with BLAKE3, every table stream parsed) with -j 1 and
#            -j 2: wall time, CPU time (user + system) and throughput in MB/s
#            of table data (the snapshot's raw COPY bytes), per wall second
#            and per CPU second ("per core"; target >= 1000 MB/s).
#   export:  `pgkeep export --format csv` of the two largest tables against
#            the server's own `COPY … TO STDOUT (FORMAT csv)` through psql in
#            a session with the settings export renders for (DateStyle ISO,
#            extra_float_digits 1, lc_monetary C, TimeZone UTC), with the two
#            outputs compared byte for byte (the run fails if they differ);
#            and `--format jsonl` of the wide table.
#
# The dataset and cluster are those of e2e_backup_restore.sh (pgbench scale
# $SCALE plus the wide mixed-type table of $WIDE_ROWS rows; see
# benches/e2e_common.sh), backed up once with `pgkeep backup -j 2`. Medians
# of $RUNS rounds. Knobs as in e2e_backup_restore.sh; OUT defaults to
# /tmp/pgkeep-e2e-verify-export.json.
#
#   bash benches/e2e_verify_export.sh
#   SCALE=2 WIDE_ROWS=20000 RUNS=1 bash benches/e2e_verify_export.sh   # smoke test

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_verify_export
OUT=${OUT:-/tmp/pgkeep-e2e-verify-export.json}
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"

REPO=$WORK/repo
"$PGKEEP_BIN" init --repo "$REPO" >/dev/null
log "backup -j 2 into $REPO"
"$PGKEEP_BIN" backup -d "$(conninfo "$DB")" --repo "$REPO" -j 2 >/dev/null
RAW=$("$PGKEEP_BIN" snapshots --repo "$REPO" --json | awk -F': ' '/"raw_bytes"/ {gsub(/[^0-9]/, "", $2); print $2; exit}')
[[ $RAW =~ ^[0-9]+$ ]] || die "could not read the snapshot's raw bytes"
log "snapshot: $RAW bytes of COPY data"

# cpu_of CMD...: runs CMD (stdout discarded) and prints "wall user+sys".
cpu_of() {
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null; } 2>&1 | tail -n 1)
    awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$t"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A W C R S
for ((r = 1; r <= RUNS; r++)); do
    for j in 1 2; do
        read -r w c < <(cpu_of "$PGKEEP_BIN" verify --repo "$REPO" --read-data -j "$j")
        W[v$j]+="$w "
        C[v$j]+="$c "
        log "  round $r verify -j $j: ${w} s wall, ${c} s CPU"
    done
done

SESSION="-c extra_float_digits=1 -c lc_monetary=C -c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c bytea_output=hex"
EXPORT_TABLES=(public.wide public.pgbench_accounts)
for t in "${EXPORT_TABLES[@]}"; do
    k=${t//./_}
    for ((r = 1; r <= RUNS; r++)); do
        measure "$WORK/ours.csv" "$PGKEEP_BIN" export --repo "$REPO" latest "$t" 2>/dev/null
        W[e$k]+="$SECS "
        R[$k]=$RSS_KIB
        e_secs=$SECS
        measure "$WORK/theirs.csv" env PGOPTIONS="$SESSION" "$PGBIN/psql" -X -q -d "$DB" -c "COPY $t TO STDOUT (FORMAT csv)"
        W[c$k]+="$SECS "
        log "  round $r $t: export $e_secs s, server COPY csv $SECS s"
    done
    if ! cmp -s "$WORK/ours.csv" "$WORK/theirs.csv"; then
        line=$( (cmp "$WORK/ours.csv" "$WORK/theirs.csv" || true) | awk '{print $NF}')
        log "export differs from COPY csv for $t at line $line:"
        log "  ours:   $(sed -n "${line}p" "$WORK/ours.csv" | cut -c1-300)"
        log "  server: $(sed -n "${line}p" "$WORK/theirs.csv" | cut -c1-300)"
        die "CSV mismatch for $t"
    fi
    S[$k]=$(stat -c %s "$WORK/ours.csv")
    log "  $t: CSV identical (${S[$k]} bytes)"
done
for ((r = 1; r <= RUNS; r++)); do
    measure "$WORK/wide.jsonl" "$PGKEEP_BIN" export --repo "$REPO" latest public.wide --format jsonl 2>/dev/null
    W[jsonl]+="$SECS "
done

mb() { awk -v b="$1" -v s="$2" 'BEGIN{printf "%.0f", (s > 0) ? b / 1e6 / s : 0}'; }
{
    echo "e2e_verify_export: PostgreSQL $PG_VERSION, $(nproc) cores, scale $SCALE, wide $WIDE_ROWS rows, medians of $RUNS"
    echo "table data in the snapshot: $((RAW / 1000000)) MB"
    for j in 1 2; do
        w=$(tr ' ' '\n' <<<"${W[v$j]}" | grep . | median)
        c=$(tr ' ' '\n' <<<"${C[v$j]}" | grep . | median)
        per_core=$(mb "$RAW" "$c")
        status=MISSED
        ((per_core >= 1000)) && status=ok
        printf 'verify --read-data -j %s: %6.2f s wall (%5s MB/s), %6.2f s CPU (%5s MB/s per core; target >= 1000: %s)\n' \
            "$j" "$w" "$(mb "$RAW" "$w")" "$c" "$per_core" "$status"
    done
    for t in "${EXPORT_TABLES[@]}"; do
        k=${t//./_}
        e=$(tr ' ' '\n' <<<"${W[e$k]}" | grep . | median)
        c=$(tr ' ' '\n' <<<"${W[c$k]}" | grep . | median)
        printf 'export csv %-24s %6.2f s (%4s MB/s of CSV, RSS %s MiB) vs server COPY csv %6.2f s: ratio %.2f (identical bytes)\n' \
            "$t" "$e" "$(mb "${S[$k]}" "$e")" "$((${R[$k]} / 1024))" "$c" "$(awk -v a="$e" -v b="$c" 'BEGIN{print a/b}')"
    done
    printf 'export jsonl public.wide: %6.2f s\n' "$(tr ' ' '\n' <<<"${W[jsonl]}" | grep . | median)"
} | tee "$WORK/summary.txt"
awk 'BEGIN{print "{\"summary\": ["} {gsub(/"/, "\\\""); printf "%s\"%s\"", (NR > 1 ? ",\n" : ""), $0} END{print "\n]}"}' "$WORK/summary.txt" >"$OUT"
