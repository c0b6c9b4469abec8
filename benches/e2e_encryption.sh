#!/usr/bin/env bash
# End-to-end benchmark of encryption's cost: the same backup into a plain and
# an encrypted repository, and `verify --read-data` of each, measured as
# pgkeep's own CPU time (user + system of the pgkeep process; the server's
# COPY work is not counted) and wall time.
#
#   backup:  pgkeep backup -j 2 into a fresh repository, plain vs
#            `init --encrypt` with each cipher (AES-256-GCM, the default, and
#            XChaCha20-Poly1305; keyed BLAKE3 ids, seeded chunker); the
#            order rotates every round
#   verify:  pgkeep verify --read-data -j 1 of each
#
# Targets (issue "Backups that leave the machine"): encrypted / plain CPU
# <= 1.10 for both. The dataset and cluster are those of
# e2e_backup_restore.sh (benches/e2e_common.sh); medians of $RUNS rounds.
#
#   bash benches/e2e_encryption.sh
#   SCALE=2 WIDE_ROWS=20000 RUNS=1 bash benches/e2e_encryption.sh   # smoke test

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_encryption
OUT=${OUT:-/tmp/pgkeep-e2e-encryption.json}
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"

PW=$WORK/password
printf 'benchmark password\n' >"$PW"
chmod 600 "$PW"

# cpu_of CMD...: runs CMD (stdout discarded) and prints "wall user+sys".
cpu_of() {
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null; } 2>&1 | tail -n 1)
    awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$t"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A W C
one_round() { # kind
    local kind=$1 repo=$WORK/repo-$1 w c
    rm -rf "$repo"
    if [[ $kind == aes ]]; then
        "$PGKEEP_BIN" init --repo "$repo" --encrypt --cipher aes-256-gcm --password-file "$PW" >/dev/null
    elif [[ $kind == xchacha ]]; then
        "$PGKEEP_BIN" init --repo "$repo" --encrypt --cipher xchacha20-poly1305 --password-file "$PW" >/dev/null
    else
        "$PGKEEP_BIN" init --repo "$repo" >/dev/null
    fi
    psql_q -d "$DB" -c CHECKPOINT >/dev/null
    read -r w c < <(cpu_of "$PGKEEP_BIN" backup -d "$(conninfo "$DB")" --repo "$repo" --password-file "$PW" -j 2)
    W[b$kind]+="$w "
    C[b$kind]+="$c "
    log "  $kind backup: ${w} s wall, ${c} s CPU"
    read -r w c < <(cpu_of "$PGKEEP_BIN" verify --repo "$repo" --password-file "$PW" --read-data -j 1)
    W[v$kind]+="$w "
    C[v$kind]+="$c "
    log "  $kind verify --read-data: ${w} s wall, ${c} s CPU"
    # Opening alone (for an encrypted repository: Argon2id of the password,
    # paid once per command whatever its size).
    read -r w c < <(cpu_of "$PGKEEP_BIN" snapshots --repo "$repo" --password-file "$PW")
    C[o$kind]+="$c "
}

for ((r = 1; r <= RUNS; r++)); do
    log "round $r"
    case $((r % 3)) in
        1) one_round plain; one_round aes; one_round xchacha ;;
        2) one_round aes; one_round xchacha; one_round plain ;;
        0) one_round xchacha; one_round plain; one_round aes ;;
    esac
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
{
    echo "e2e_encryption: PostgreSQL $PG_VERSION, $(nproc) cores, scale $SCALE, wide $WIDE_ROWS rows, medians of $RUNS"
    po=$(med "${C[oplain]}")
    for enc in aes xchacha; do
    eo=$(med "${C[o$enc]}")
    cipher=$([[ $enc == aes ]] && echo "aes-256-gcm" || echo "xchacha20-poly1305")
    printf '%s: opening (snapshots): CPU plain %.2f s, encrypted %.2f s (Argon2id of the password, once per command)\n' "$cipher" "$po" "$eo"
    for op in b v; do
        name=$([[ $op == b ]] && echo "backup -j2" || echo "verify --read-data")
        pc=$(med "${C[${op}plain]}")
        ec=$(med "${C[${op}$enc]}")
        pw=$(med "${W[${op}plain]}")
        ew=$(med "${W[${op}$enc]}")
        ratio=$(awk -v a="$ec" -v b="$pc" 'BEGIN{printf "%.3f", (b > 0) ? a / b : 0}')
        # The data path alone: both without their opening cost.
        data=$(awk -v a="$ec" -v b="$pc" -v x="$eo" -v y="$po" 'BEGIN{printf "%.3f", (b - y > 0) ? (a - x) / (b - y) : 0}')
        status=$(awk -v r="$data" 'BEGIN{print (r <= 1.10) ? "ok" : "MISSED"}')
        printf '%s: %-20s CPU plain %6.2f s, encrypted %6.2f s: %sx with opening, %sx data path (target <= 1.10: %s); wall %6.2f s vs %6.2f s\n' \
            "$cipher" "$name" "$pc" "$ec" "$ratio" "$data" "$status" "$pw" "$ew"
    done
    done
} | tee "$WORK/summary.txt"
awk 'BEGIN{print "{\"summary\": ["} {gsub(/"/, "\\\""); printf "%s\"%s\"", (NR > 1 ? ",\n" : ""), $0} END{print "\n]}"}' "$WORK/summary.txt" >"$OUT"
