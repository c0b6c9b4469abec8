# Shared by the end-to-end benchmarks (sourced, not run): knobs with their
# defaults, the pgkeep binary, peak-RSS measurement, a private throwaway
# cluster with cleanup on exit, the benchmark dataset (pgbench plus the wide
# mixed-type table) and `measure`. The sourcing script sets BENCH_NAME.

SCALE=${SCALE:-50}
WIDE_ROWS=${WIDE_ROWS:-1000000}
RUNS=${RUNS:-3}
KEEP=${KEEP:-0}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-$((55600 + $$ % 300))}
JOBS=2
SERVER_USER=pgkeep-test
DB=bench

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '%s\n' "$*" >&2; }
die() {
    printf '%s: error: %s\n' "${BENCH_NAME:-e2e}" "$*" >&2
    exit 1
}

for n in SCALE WIDE_ROWS RUNS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, got '${!n}'"
done
for b in initdb pg_ctl pgbench pg_dump pg_restore psql createdb; do
    [[ -x $PGBIN/$b ]] || die "$PGBIN/$b not found (set PGBIN)"
done

# --- the pgkeep binary -------------------------------------------------------

if [[ -z ${PGKEEP_BIN:-} ]]; then
    log "building pgkeep (cargo build --release)"
    cargo build --release --manifest-path "$ROOT/Cargo.toml" >&2
    target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
    [[ $target_dir = /* ]] || target_dir=$ROOT/$target_dir
    PGKEEP_BIN=$target_dir/release/pgkeep
fi
[[ $PGKEEP_BIN = /* ]] || PGKEEP_BIN=$PWD/$PGKEEP_BIN
[[ -x $PGKEEP_BIN ]] || die "pgkeep binary $PGKEEP_BIN not found or not executable"

# --- peak RSS: /usr/bin/time, else polling /proc ------------------------------

TIME_BIN=/usr/bin/time
if [[ ! -x $TIME_BIN && $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing time(1) for peak RSS"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 || true
fi
if [[ -x $TIME_BIN ]]; then
    RSS_MODE="time"
else
    RSS_MODE="poll"
    log "no /usr/bin/time: peak RSS from polling VmHWM in /proc every 50 ms"
fi

# --- temporary directory, cluster, cleanup ------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgkeep-e2e.XXXXXX")
chmod 755 "$WORK"
DATA=$WORK/data
SOCK=$WORK/sock
SERVER_LOG=$WORK/server.log
mkdir -p "$DATA" "$SOCK"
touch "$SERVER_LOG"

AS_SERVER=()
if [[ $EUID -eq 0 ]]; then
    if ! id -u "$SERVER_USER" >/dev/null 2>&1; then
        log "creating system user $SERVER_USER"
        useradd --system --no-create-home "$SERVER_USER"
    fi
    chown "$SERVER_USER:" "$DATA" "$SOCK" "$SERVER_LOG"
    chmod 700 "$DATA"
    AS_SERVER=(runuser -u "$SERVER_USER" --)
fi

server_started=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ((rc != 0)) && [[ -s $SERVER_LOG ]]; then
        log "--- last lines of the server log ($SERVER_LOG) ---"
        tail -n 15 "$SERVER_LOG" >&2 || true
    fi
    if ((server_started)); then
        (cd "$WORK" && "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    if [[ $KEEP == 1 ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "initdb in $DATA (port $PORT, socket $SOCK)"
(cd "$WORK" && "${AS_SERVER[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust \
    -E UTF8 --locale=C --no-sync >"$WORK/initdb.log" 2>&1) ||
    {
        cat "$WORK/initdb.log" >&2
        die "initdb failed"
    }
cat >>"$DATA/postgresql.conf" <<EOF

# ${BENCH_NAME:-e2e}
port = $PORT
listen_addresses = ''
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_locks_per_transaction = 1024
shared_buffers = 256MB
max_wal_size = 4GB
autovacuum = off
EOF
(cd "$WORK" && "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -w -t 60 start >/dev/null)
server_started=1

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS
conninfo() { printf 'host=%s port=%s dbname=%s user=postgres' "$SOCK" "$PORT" "$1"; }
psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

PG_VERSION=$(psql_q -At -d postgres -c 'SHOW server_version')
log "PostgreSQL $PG_VERSION, $(nproc) cores, pgkeep $PGKEEP_BIN"

# set_wal_level LEVEL: restart the server with it (minimal needs no WAL
# senders), then CHECKPOINT and sync.
set_wal_level() {
    local senders=10
    [[ $1 == minimal ]] && senders=0
    psql_q -d postgres -c "ALTER SYSTEM SET wal_level = '$1'" -c "ALTER SYSTEM SET max_wal_senders = $senders"
    (cd "$WORK" && "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$SERVER_LOG" -w -t 120 restart -m fast >/dev/null)
    [[ $(psql_q -At -d postgres -c "SHOW wal_level") == "$1" ]] || die "wal_level did not become $1"
    psql_q -d postgres -c CHECKPOINT
    sync
}

# --- dataset -------------------------------------------------------------------

# E2E_DATASET=none: the sourcing script builds its own dataset (the service
# round's tenant schemas) and this section is skipped.
if [[ ${E2E_DATASET:-pgbench} != none ]]; then

t_load=$EPOCHREALTIME
psql_q -d postgres -c "CREATE DATABASE $DB"
log "pgbench -i -s $SCALE"
"$PGBIN/pgbench" -i -q -s "$SCALE" "$DB" >"$WORK/pgbench.log" 2>&1 ||
    {
        cat "$WORK/pgbench.log" >&2
        die "pgbench -i failed"
    }
log "wide table: $WIDE_ROWS rows"
psql_q -d "$DB" >/dev/null <<SQL
SELECT setseed(0.42);
CREATE TABLE wide (
    id          bigint PRIMARY KEY,
    qty         integer NOT NULL,
    small       smallint,
    amount      numeric(12,2),
    score       double precision,
    ratio       real,
    paid        boolean,
    body        text,
    label       varchar(40),
    created_at  timestamptz NOT NULL,
    day         date,
    ext_id      uuid,
    attrs       jsonb,
    blob        bytea,
    tags        integer[]
);
INSERT INTO wide
SELECT g,
       (random() * 100000)::int,
       (g % 32000)::smallint,
       round((random() * 100000)::numeric, 2),
       random() * 1e6,
       (random() * 1000)::real,
       random() < 0.7,
       CASE g % 5
           WHEN 0 THEN NULL
           WHEN 1 THEN md5(g::text)
           WHEN 2 THEN repeat(substr(md5(g::text), 1, 4 + g % 29), 1 + g % 7)
           WHEN 3 THEN 'order ' || g || ' shipped to warehouse ' || (g % 97)
           ELSE md5(g::text) || ' ' || md5((g * 31)::text)
       END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'customer-' || (random() * 50000)::int END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '3 seconds' + random() * interval '2 seconds',
       date '2020-01-01' + (g % 2000),
       md5(g::text || 'ext')::uuid,
       CASE WHEN g % 5 = 0 THEN NULL
            ELSE jsonb_build_object('k', g % 100, 'v', (random() * 1000)::int,
                                    'tag', (ARRAY['red', 'green', 'blue', 'amber'])[1 + g % 4])
       END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END,
       ARRAY[g % 10, g % 1000, (random() * 100000)::int]
FROM generate_series(1, $WIDE_ROWS) AS g;
CREATE INDEX wide_created_at_idx ON wide (created_at);
VACUUM ANALYZE;
SQL
DB_BYTES=$(psql_q -At -d "$DB" -c "SELECT pg_database_size(current_database())")
log "dataset loaded in $(awk -v a="$t_load" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s: database $((DB_BYTES >> 20)) MiB"

# Tables, largest first (the raw floor's work list and the row-count check).
mapfile -t TABLES < <(psql_q -At -d "$DB" -c "
    SELECT format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_%'
    ORDER BY pg_total_relation_size(c.oid) DESC, 1")
((${#TABLES[@]} > 0)) || die "no tables found in $DB"
printf '%s\n' "${TABLES[@]}" >"$WORK/tables.txt"
log "tables: ${TABLES[*]}"

fi

# measure STDOUT_FILE CMD...: runs CMD with stdout to STDOUT_FILE and sets
# SECS (wall seconds) and RSS_KIB (peak RSS of CMD and the children it
# waited for; 0 when unknown). Returns CMD's exit status.
SECS=0
RSS_KIB=0
measure() {
    local out=$1
    shift
    local t0 rc=0
    RSS_KIB=0
    t0=$EPOCHREALTIME
    if [[ $RSS_MODE == time ]]; then
        "$TIME_BIN" -f %M -o "$WORK/rss.txt" "$@" >"$out" || rc=$?
        SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
        RSS_KIB=$(tail -n 1 "$WORK/rss.txt")
        [[ $RSS_KIB =~ ^[0-9]+$ ]] || RSS_KIB=0
    else
        local pid hwm=0 v
        "$@" >"$out" &
        pid=$!
        while [[ -r /proc/$pid/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; do
            v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            if [[ -n $v ]] && ((v > hwm)); then hwm=$v; fi
            sleep 0.05
        done
        wait "$pid" || rc=$?
        SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
        RSS_KIB=$hwm
    fi
    return "$rc"
}
