#!/usr/bin/env bash
# End-to-end compression curve: `pgkeep backup -j2 --compress X` for each X
# in $LEVELS against `pg_dump -Fc` and the raw COPY floor, all on the same
# throwaway server and dataset as benches/e2e_backup_restore.sh (pgbench
# scale $SCALE plus the wide mixed-type table; see e2e_common.sh).
#
# For every contender and round: wall seconds, the client's CPU seconds
# (user + sys of the measured process, from /usr/bin/time; on a shared
# 2-core machine this is what one backup takes from the server's COPY
# backends) and the archive size (`du -sb` of the fresh repository, the
# -Fc file). Rounds alternate the order of the contenders; a CHECKPOINT and
# `sync` precede every timed run. The summary prints medians and the
# ratios the issue's targets are stated in (pg_dump -Fc wall / pgkeep wall,
# pgkeep wall / floor wall, pgkeep size / -Fc size) and goes as JSON to $OUT.
#
# Knobs: SCALE (50), WIDE_ROWS (1000000), RUNS (3), LEVELS ("none zstd:1
# zstd:3 zstd:6 zstd:9"), PGKEEP_BIN, PGBIN, KEEP, PORT, OUT
# (/tmp/pgkeep-e2e-levels.json).
#
#   SCALE=25 WIDE_ROWS=500000 RUNS=3 bash benches/e2e_compress_levels.sh

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_compress_levels
OUT=${OUT:-/tmp/pgkeep-e2e-levels.json}
LEVELS=${LEVELS:-none zstd:1 zstd:3 zstd:6 zstd:9}
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
[[ -x $TIME_BIN ]] || die "this benchmark needs /usr/bin/time (CPU seconds)"

# The raw floor as one command /usr/bin/time can run: every table's binary
# COPY to /dev/null, two at a time.
FLOOR_CMD=(bash -c "xargs -P 2 -I '{}' '$PGBIN/psql' -X -q -v ON_ERROR_STOP=1 -d '$DB' \
    -c 'COPY {} TO STDOUT (FORMAT binary)' <'$WORK/tables.txt' >/dev/null")

flush() {
    psql_q -d "$DB" -c CHECKPOINT
    sync
}

# timed NAME CMD...: appends "wall cpu" of CMD to $WORK/NAME.times.
timed() {
    local name=$1
    shift
    flush
    "$TIME_BIN" -f '%e %U %S' -o "$WORK/t.txt" "$@" >/dev/null 2>"$WORK/$name.log" ||
        {
            tail -n 20 "$WORK/$name.log" >&2
            die "$name failed"
        }
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$WORK/t.txt" >>"$WORK/$name.times"
}

backup_with() {
    local level=$1 repo=$WORK/repo-$1
    rm -rf "$repo"
    "$PGKEEP_BIN" init --repo "$repo" >/dev/null 2>&1 || die "pgkeep init failed"
    timed "pgkeep-$level" "$PGKEEP_BIN" backup -d "$(conninfo "$DB")" --repo "$repo" -j "$JOBS" --compress "$level"
    du -sb "$repo" | cut -f1 >>"$WORK/pgkeep-$level.size"
    rm -rf "$repo"
}

fc() {
    timed pg_dump-Fc "$PGBIN/pg_dump" -Fc -f "$WORK/bench.dump" "$DB"
    stat -c %s "$WORK/bench.dump" >>"$WORK/pg_dump-Fc.size"
    rm -f "$WORK/bench.dump"
}

log "warm-up: one untimed raw COPY pass"
"${FLOOR_CMD[@]}"
read -r -a levels <<<"$LEVELS"
for ((r = 1; r <= RUNS; r++)); do
    contenders=(floor fc "${levels[@]}")
    if ((r % 2 == 0)); then
        for ((i = 0, j = ${#contenders[@]} - 1; i < j; i++, j--)); do
            t=${contenders[i]}
            contenders[i]=${contenders[j]}
            contenders[j]=$t
        done
    fi
    log "round $r: ${contenders[*]}"
    for c in "${contenders[@]}"; do
        case $c in
        floor) timed floor "${FLOOR_CMD[@]}" ;;
        fc) fc ;;
        *) backup_with "$c" ;;
        esac
    done
done

# --- summary -------------------------------------------------------------------

# median FILE COLUMN
median() {
    awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR] = $1} END {
        if (NR % 2) printf "%s", v[(NR + 1) / 2]; else printf "%s", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

FLOOR_WALL=$(median "$WORK/floor.times" 1)
FC_WALL=$(median "$WORK/pg_dump-Fc.times" 1)
FC_CPU=$(median "$WORK/pg_dump-Fc.times" 2)
FC_SIZE=$(median "$WORK/pg_dump-Fc.size" 1)
SERVER_SETTINGS=$(psql_q -At -d "$DB" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
    WHERE name IN ('wal_level', 'shared_buffers', 'maintenance_work_mem')")
{
    printf '
## pgkeep backup -j%s --compress X (PostgreSQL %s, %s cores, %s; medians of %s)

' \
        "$JOBS" "$PG_VERSION" "$(nproc)" "$SERVER_SETTINGS" "$RUNS"
    printf 'pgbench scale %s + %s wide rows

' "$SCALE" "$WIDE_ROWS"
    printf '| contender | wall s | client CPU s | archive bytes | -Fc wall / wall | wall / floor | size / -Fc |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
    printf '| raw COPY floor | %s | | | | 1.00 | |\n' "$FLOOR_WALL"
    printf '| pg_dump -Fc | %s | %s | %s | 1.00 | %.2f | 1.000 |\n' "$FC_WALL" "$FC_CPU" "$FC_SIZE" \
        "$(awk -v a="$FC_WALL" -v b="$FLOOR_WALL" 'BEGIN{print a / b}')"
} | tee "$WORK/summary.md"
json="{\"scale\": $SCALE, \"wide_rows\": $WIDE_ROWS, \"runs\": $RUNS, \"floor_wall\": $FLOOR_WALL, \"fc\": {\"wall\": $FC_WALL, \"cpu\": $FC_CPU, \"size\": $FC_SIZE}, \"pgkeep\": {"
sep=
for l in "${levels[@]}"; do
    w=$(median "$WORK/pgkeep-$l.times" 1)
    c=$(median "$WORK/pgkeep-$l.times" 2)
    z=$(median "$WORK/pgkeep-$l.size" 1)
    awk -v l="$l" -v w="$w" -v c="$c" -v z="$z" -v fw="$FC_WALL" -v fl="$FLOOR_WALL" -v fz="$FC_SIZE" \
        'BEGIN{printf "| pgkeep --compress %s | %s | %s | %s | %.2f | %.2f | %.3f |\n", l, w, c, z, fw / w, w / fl, z / fz}' \
        >>"$WORK/rows.md"
    json+="$sep\"$l\": {\"wall\": $w, \"cpu\": $c, \"size\": $z}"
    sep=", "
done
tee -a "$WORK/summary.md" <"$WORK/rows.md"
printf '%s}}\n' "$json" >"$OUT"
log "JSON summary in $OUT"
