#!/usr/bin/env bash
# End-to-end benchmark of a repository on object storage: the same
# `pgkeep backup -j 2` into a fresh local directory and into a fresh prefix
# of a bucket on a local S3 emulator (moto in server mode), alternating
# which goes first, with wall time and peak RSS of pgkeep; then a
# `restore -j 2 --create` from each.
#
# Target (issue "Backups that leave the machine"): backup to the emulator
# within 1.3x of the backup to a local folder, upload memory bounded. The
# emulator is a Python process on the same 2 cores, so the ratio includes
# its CPU; against a real store the upload overlaps the network instead.
#
# Needs moto's server (`pip install 'moto[server]'`, or PGKEEP_MOTO_PYTHON
# naming a python that has it). Dataset and cluster: benches/e2e_common.sh.
#
#   bash benches/e2e_remote.sh
#   SCALE=2 WIDE_ROWS=20000 RUNS=1 bash benches/e2e_remote.sh   # smoke test

set -euo pipefail
export LC_ALL=C

BENCH_NAME=e2e_remote
OUT=${OUT:-/tmp/pgkeep-e2e-remote.json}
# shellcheck source=benches/e2e_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"

MOTO_PYTHON=${PGKEEP_MOTO_PYTHON:-python3}
"$MOTO_PYTHON" -c 'import moto.server' 2>/dev/null || die "moto's S3 server is missing: pip install 'moto[server]' (or set PGKEEP_MOTO_PYTHON)"
MOTO_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$MOTO_PYTHON" -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
trap 'rc=$?; kill $MOTO_PID 2>/dev/null; (exit $rc); cleanup' EXIT
for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $MOTO_PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
done
python3 - "$MOTO_PORT" <<'EOF' || die "cannot create the bucket in moto"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("PUT", "/pgkeep-bench")
r = c.getresponse()
sys.exit(0 if r.status == 200 else 1)
EOF
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
    AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_ALLOW_HTTP=true

declare -A W R
one() { # kind round
    local kind=$1 round=$2 repo
    if [[ $kind == local ]]; then repo=$WORK/repo-$round; else repo=s3://pgkeep-bench/round-$round; fi
    "$PGKEEP_BIN" init --repo "$repo" >/dev/null
    psql_q -d "$DB" -c CHECKPOINT >/dev/null
    measure /dev/null "$PGKEEP_BIN" backup -d "$(conninfo "$DB")" --repo "$repo" -j 2 || die "backup into $repo failed"
    W[b$kind]+="$SECS "
    R[b$kind]=$(( ${R[b$kind]:-0} > RSS_KIB ? ${R[b$kind]:-0} : RSS_KIB ))
    log "  round $round $kind backup: $SECS s, RSS $((RSS_KIB / 1024)) MiB"
    local target="bench_restore_${kind}_$round"
    measure /dev/null "$PGKEEP_BIN" restore --repo "$repo" latest -d "$(conninfo "$target")" --create -j 2 || die "restore from $repo failed"
    W[r$kind]+="$SECS "
    R[r$kind]=$(( ${R[r$kind]:-0} > RSS_KIB ? ${R[r$kind]:-0} : RSS_KIB ))
    log "  round $round $kind restore: $SECS s, RSS $((RSS_KIB / 1024)) MiB"
    psql_q -d postgres -c "DROP DATABASE $target" >/dev/null
}

for ((r = 1; r <= RUNS; r++)); do
    if ((r % 2)); then one local "$r"; one s3 "$r"; else one s3 "$r"; one local "$r"; fi
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
{
    echo "e2e_remote: PostgreSQL $PG_VERSION, $(nproc) cores, scale $SCALE, wide $WIDE_ROWS rows, medians of $RUNS; S3 = moto $("$MOTO_PYTHON" -c 'import moto; print(moto.__version__)') on this machine"
    for op in b r; do
        name=$([[ $op == b ]] && echo "backup -j2" || echo "restore -j2 --create")
        l=$(med "${W[${op}local]}")
        s=$(med "${W[${op}s3]}")
        ratio=$(awk -v a="$s" -v b="$l" 'BEGIN{printf "%.2f", (b > 0) ? a / b : 0}')
        verdict=""
        [[ $op == b ]] && verdict=$(awk -v r="$ratio" 'BEGIN{print (r <= 1.3) ? " (target <= 1.3: ok)" : " (target <= 1.3: MISSED)"}')
        printf '%-22s local %6.2f s, S3 %6.2f s: %sx%s; peak RSS local %d MiB, S3 %d MiB\n' \
            "$name" "$l" "$s" "$ratio" "$verdict" "$((${R[${op}local]} / 1024))" "$((${R[${op}s3]} / 1024))"
    done
} | tee "$WORK/summary.txt"
awk 'BEGIN{print "{\"summary\": ["} {gsub(/"/, "\\\""); printf "%s\"%s\"", (NR > 1 ? ",\n" : ""), $0} END{print "\n]}"}' "$WORK/summary.txt" >"$OUT"
