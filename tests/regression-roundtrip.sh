#!/usr/bin/env bash
# Opt-in fidelity test: round-trip PostgreSQL 15's regression database through
# `pgkeep ddl`, judged by `pg_dump --schema-only`.
#
#   bash tests/regression-roundtrip.sh            reuse the cached regression
#                                                 cluster if there is one
#   bash tests/regression-roundtrip.sh --fresh    rebuild it with pg_regress
#   bash tests/regression-roundtrip.sh --keep     leave the work directory (and
#                                                 print how to start the cluster)
#   bash tests/regression-roundtrip.sh --strict   also fail on differences that
#                                                 pg_dump's own round trip shows
#
# What it does:
#   1. Gets the regression suite of the installed PostgreSQL 15 (Debian's
#      source package, `apt-get source`; adds a deb-src entry when root and
#      none is configured) and builds regress.so, refint.so and autoinc.so
#      against postgresql-server-dev-15 (installed when root and missing).
#      Sources and libraries are cached under $PGKEEP_CACHE/regress.
#   2. Starts a throwaway cluster (Unix socket only, private directory), as
#      the unprivileged user pgkeep-test when run as root, and runs the
#      parallel_schedule with pg_regress, keeping the `regression` database.
#      A copy of the cluster after a clean shutdown is cached too, so reruns
#      skip pg_regress (~2-3 minutes) unless --fresh.
#   3. `pgkeep ddl` on `regression` -> pgkeep.sql, applied with `psql -X -f` to
#      a new empty database `restored`; ERROR lines are counted and printed
#      with the statement that failed.
#   4. `pg_dump --schema-only` of both databases, diffed. As a baseline, the
#      same is done for pg_dump's own output (applied to `pgdump_restored`):
#      a difference pg_dump's round trip shows identically is reported as
#      "pg_dump cannot keep it either" and does not fail the run (unless
#      --strict).
#
# Outputs go to $PGKEEP_REGRESS_OUT (default target/regress-roundtrip):
#   pgkeep.sql, pgkeep.stderr, apply.log, apply-errors{,.brief}.txt,
#   source.schema.sql, restored.schema.sql, baseline.schema.sql,
#   schema.diff (source vs pgkeep), baseline.diff (source vs pg_dump),
#   summary.txt, regress/ (pg_regress's regression.diffs and .out when rebuilt).
#
# Exit status: 0 when the apply had no ERROR and no difference remains beyond
# pg_dump's own; 1 otherwise; 2 when the setup itself failed.
#
# Environment:
#   PGKEEP_BIN=path            pgkeep binary to test (default: `cargo build`,
#                              then a private copy of target/debug/pgkeep)
#   PGKEEP_REGRESS_BINDIR      server binaries (default /usr/lib/postgresql/15/bin)
#   PGKEEP_REGRESS_SRC=dir     a PostgreSQL source tree to take src/test/regress
#                              and contrib/spi from instead of apt-get source
#   PGKEEP_CACHE               default $HOME/.cache/pgkeep
#   PGKEEP_REGRESS_OUT         default target/regress-roundtrip
#   PGKEEP_REGRESS_PORT        default 54315 (only names the socket file)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

FRESH=0 KEEP=0 STRICT=0
for a in "$@"; do
  case "$a" in
    --fresh) FRESH=1 ;;
    --keep) KEEP=1 ;;
    --strict) STRICT=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "regression-roundtrip: unknown argument $a (try --help)" >&2; exit 2 ;;
  esac
done

BINDIR=${PGKEEP_REGRESS_BINDIR:-/usr/lib/postgresql/15/bin}
CACHE=${PGKEEP_CACHE:-$HOME/.cache/pgkeep}/regress
OUT=${PGKEEP_REGRESS_OUT:-$ROOT/target/regress-roundtrip}
PORT=${PGKEEP_REGRESS_PORT:-54315}
TEST_USER=pgkeep-test
SU=postgres # the superuser initdb creates

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'regression-roundtrip: error: %s\n' "$*" >&2; exit 2; }
is_root() { [ "$(id -u)" = 0 ]; }

T0=$(date +%s.%N)
TLAST=$T0
TIMINGS=()
lap() { # lap NAME: record the time since the previous lap
  local now; now=$(date +%s.%N)
  TIMINGS+=("$(printf '%-28s %7.1f s' "$1" "$(awk "BEGIN{print $now - $TLAST}")")")
  TLAST=$now
}

# Run a command as the server's user (pgkeep-test when root), from a
# directory it can read.
as_server() {
  if is_root; then
    (cd "$WORK" && runuser -u "$TEST_USER" -- "$@")
  else
    (cd "$WORK" && "$@")
  fi
}

[ -x "$BINDIR/postgres" ] || die "no PostgreSQL server at $BINDIR (apt-get install postgresql-15, or set PGKEEP_REGRESS_BINDIR)"
SERVER_VERSION=$("$BINDIR/postgres" --version | sed -n 's/.*(PostgreSQL) \([0-9][0-9.]*\).*/\1/p')
MAJOR=${SERVER_VERSION%%.*}
[ "$MAJOR" = 15 ] || say "warning: server is PostgreSQL $SERVER_VERSION; this script was written for 15"
for prog in initdb pg_ctl psql pg_dump createdb; do
  [ -x "$BINDIR/$prog" ] || die "$BINDIR/$prog is missing"
done
command -v python3 >/dev/null || die "python3 is needed for the summary"
if is_root && ! id "$TEST_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home "$TEST_USER" || die "could not create user $TEST_USER"
fi

# ---------------------------------------------------------------- 1. sources
mkdir -p "$CACHE" "$OUT"
exec 9>"$CACHE/.lock"
flock 9

PGCONFIG="$BINDIR/pg_config"
[ -x "$PGCONFIG" ] || PGCONFIG=$(command -v pg_config || true)
INC_SERVER=$("$PGCONFIG" --includedir-server 2>/dev/null || true)
if [ ! -f "$INC_SERVER/postgres.h" ]; then
  is_root || die "server headers missing: apt-get install postgresql-server-dev-$MAJOR"
  say "installing postgresql-server-dev-$MAJOR (headers and pg_regress)"
  # Pinned to the installed server's version, so that this does not upgrade
  # the server as a side effect; unpinned when that version is gone.
  v=$(dpkg-query -W -f='${Version}' "postgresql-$MAJOR" 2>/dev/null || true)
  apt-get install -y -qq "postgresql-server-dev-$MAJOR${v:+=$v}" >/dev/null 2>&1 \
    || apt-get install -y -qq "postgresql-server-dev-$MAJOR" >/dev/null
  INC_SERVER=$("$PGCONFIG" --includedir-server)
fi
PG_REGRESS=$(dirname "$("$PGCONFIG" --pgxs)")/../test/regress/pg_regress
[ -x "$PG_REGRESS" ] || die "pg_regress not found at $PG_REGRESS (postgresql-server-dev-$MAJOR)"

# The regression suite of this major: $SRC/regress (src/test/regress) and
# $SRC/spi (contrib/spi).
fetch_sources() {
  local dest=$1 tmp v versions tarball
  tmp=$(mktemp -d)
  if [ -n "${PGKEEP_REGRESS_SRC:-}" ]; then
    cp -r "$PGKEEP_REGRESS_SRC/src/test/regress" "$tmp/regress"
    cp -r "$PGKEEP_REGRESS_SRC/contrib/spi" "$tmp/spi"
    echo "$PGKEEP_REGRESS_SRC" >"$tmp/VERSION"
  else
    command -v apt-get >/dev/null || die "no apt-get; set PGKEEP_REGRESS_SRC to a PostgreSQL $MAJOR source tree"
    if ! { apt-cache showsrc "postgresql-$MAJOR" 2>/dev/null || true; } | grep '^Version:' >/dev/null; then
      is_root || die "no deb-src entry for postgresql-$MAJOR; add one (or set PGKEEP_REGRESS_SRC)"
      say "adding deb-src entries for Debian's main archive (/etc/apt/sources.list.d/pgkeep-deb-src.sources)"
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
        >/etc/apt/sources.list.d/pgkeep-deb-src.sources 2>/dev/null \
        || die "no /etc/apt/sources.list.d/debian.sources to derive a deb-src entry from"
      apt-get update -qq >/dev/null
    fi
    # The installed package's own version first, then the other versions the
    # archive offers (a security update's source may be unavailable).
    versions=$(
      dpkg-query -W -f='${source:Version}\n' "postgresql-$MAJOR" 2>/dev/null || true
      apt-cache showsrc "postgresql-$MAJOR" | sed -n 's/^Version: //p' | sort -Vr
    )
    for v in $versions; do
      if (cd "$tmp" && apt-get source --download-only "postgresql-$MAJOR=$v" >/dev/null 2>&1); then
        tarball=$(ls "$tmp"/postgresql-"$MAJOR"_*.orig.tar.* 2>/dev/null | head -n1)
        [ -n "$tarball" ] && break
      fi
      rm -f "$tmp"/postgresql-"$MAJOR"_*
    done
    [ -n "${tarball:-}" ] || die "apt-get source postgresql-$MAJOR failed for every version ($versions)"
    say "sources: postgresql-$MAJOR $v"
    mkdir "$tmp/x"
    tar -C "$tmp/x" -xf "$tarball" --wildcards '*/src/test/regress/*' '*/contrib/spi/*'
    mv "$tmp"/x/*/src/test/regress "$tmp/regress"
    mv "$tmp"/x/*/contrib/spi "$tmp/spi"
    rm -rf "$tmp/x" "$tmp"/postgresql-"$MAJOR"_*
    echo "$v" >"$tmp/VERSION"
  fi
  # pg_regress runs the suite with psql, and psql's behaviour changes in minor
  # releases too (15.20 skips input to the next \. after a failed COPY FROM
  # STDIN, and the 15.18 suite's expected output predates that): when the
  # suite is not the installed client's version, run it with the psql of the
  # suite's version (Debian's postgresql-client package, unpacked).
  if [ -z "${PGKEEP_REGRESS_SRC:-}" ] && [ "$v" != "$(dpkg-query -W -f='${Version}' "postgresql-client-$MAJOR" 2>/dev/null)" ]; then
    say "unpacking psql $v to run the suite with"
    (cd "$tmp" && apt-get download "postgresql-client-$MAJOR=$v" >/dev/null 2>&1) \
      || die "apt-get download postgresql-client-$MAJOR=$v failed"
    dpkg-deb -x "$tmp"/postgresql-client-"$MAJOR"_*.deb "$tmp/client"
    mkdir "$tmp/bin"
    mv "$tmp/client/usr/lib/postgresql/$MAJOR/bin/psql" "$tmp/bin/psql"
    rm -rf "$tmp/client" "$tmp"/postgresql-client-"$MAJOR"_*.deb
  fi
  mkdir "$tmp/lib"
  local cc=${CC:-cc} flags="-O2 -fPIC -shared -Wno-deprecated-declarations -I$INC_SERVER"
  $cc $flags -o "$tmp/lib/regress.so" "$tmp/regress/regress.c" -lm
  $cc $flags -o "$tmp/lib/refint.so" "$tmp/spi/refint.c"
  $cc $flags -o "$tmp/lib/autoinc.so" "$tmp/spi/autoinc.c"
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

SRC="$CACHE/pg$MAJOR-src"
if [ ! -f "$SRC/lib/regress.so" ] || [ "$FRESH" = 1 ]; then
  say "fetching the regression suite and building regress.so into $SRC"
  fetch_sources "$SRC"
fi
SRC_VERSION=$(cat "$SRC/VERSION")
# The C functions record the library's absolute path (pg_proc.probin), so the
# libraries stay where the cache has them, for the cached cluster to work:
# the server user needs to read them, hence o+x (search only, never o+r) on
# each ancestor directory that lacks it, e.g. /root. tests/pg-matrix.sh does
# the same for its installs.
chmod o+x "$SRC"
chmod -R o+rX "$SRC/lib"
if is_root; then
  d=$(readlink -f -- "$SRC")
  while [ "$d" != / ]; do
    d=$(dirname -- "$d")
    if [ "$(( 0$(stat -c %a -- "$d") & 1 ))" = 0 ]; then
      say "chmod o+x $d (so $TEST_USER can load the regression libraries)"
      chmod o+x -- "$d"
    fi
  done
fi
lap "sources + regress.so"

# ------------------------------------------------------------ 2. the cluster
WORK=$(mktemp -d /tmp/pgkeep-regress.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/sock" "$WORK/out"
is_root && chown "$TEST_USER:" "$WORK" "$WORK/sock" "$WORK/out"
DATA="$WORK/data"
STARTED=0

cleanup() {
  local rc=$?
  if [ "$STARTED" = 1 ] && [ "$KEEP" = 0 ]; then
    as_server "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "$KEEP" = 1 ]; then
    say "kept $WORK; the cluster is $( [ "$STARTED" = 1 ] && echo running || echo stopped ):"
    say "  psql -h $WORK/sock -p $PORT -U $SU regression"
    say "  stop: runuser -u $TEST_USER -- $BINDIR/pg_ctl -D $DATA stop"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

start_server() {
  as_server "$BINDIR/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w -t 120 start >/dev/null \
    || { tail -n 30 "$WORK/server.log" >&2; die "the server did not start"; }
  STARTED=1
}
stop_server() {
  as_server "$BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
  STARTED=0
}

# The cached cluster is keyed by the server's and the suite's versions.
SNAP="$CACHE/pg$SERVER_VERSION-suite$SRC_VERSION-cluster"
if [ "$FRESH" = 0 ] && [ -f "$SNAP/PG_VERSION" ] && [ "$(cat "$SNAP/pgkeep-libdir" 2>/dev/null)" = "$SRC/lib" ]; then
  say "reusing the cached regression cluster ($SNAP; --fresh rebuilds it)"
  cp -a "$SNAP" "$DATA"
  # The socket directory is part of the configuration: point it here.
  sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$WORK/sock'|" "$DATA/postgresql.conf"
  start_server
  lap "cluster from cache"
else
  say "initdb in $WORK"
  as_server "$BINDIR/initdb" -D "$DATA" -U "$SU" --auth=trust --no-locale -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  # What pg_regress's temp instance sets, plus speed; one file so the socket
  # directory is easy to rewrite for a cached copy.
  cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$WORK/sock'
fsync = off
full_page_writes = off
synchronous_commit = off
max_prepared_transactions = 2
max_connections = 100
log_line_prefix = '%m [%p] %q%a '
EOF
  start_server
  lap "initdb + start"

  as_server test -r "$SRC/lib/regress.so" || die "$TEST_USER cannot read $SRC/lib/regress.so"
  say "running the parallel_schedule (pg_regress; a few minutes)"
  # A private copy the server user can read.
  cp -r "$SRC/regress" "$WORK/"
  REGRESS_BINDIR=$BINDIR
  if [ -x "$SRC/bin/psql" ]; then
    cp -r "$SRC/bin" "$WORK/"
    REGRESS_BINDIR=$WORK/bin
  fi
  is_root && chown -R "$TEST_USER:" "$WORK/regress"
  set +e
  as_server "$PG_REGRESS" --inputdir="$WORK/regress" --outputdir="$WORK/out" \
    --bindir="$REGRESS_BINDIR" --dlpath="$SRC/lib" --host="$WORK/sock" --port="$PORT" --user="$SU" \
    --schedule="$WORK/regress/parallel_schedule" --max-concurrent-tests=20 --dbname=regression \
    >"$WORK/out/pg_regress.log" 2>&1
  rc=$?
  set -e
  rm -rf "$OUT/regress"; mkdir -p "$OUT/regress"
  cp "$WORK/out/pg_regress.log" "$OUT/regress/"
  [ -f "$WORK/out/regression.diffs" ] && cp "$WORK/out/regression.diffs" "$OUT/regress/"
  [ "$rc" -le 1 ] || { tail -n 30 "$WORK/out/pg_regress.log" >&2; die "pg_regress could not run the suite (exit $rc)"; }
  failed=$(grep -cE '^(not ok|.* \.\.\. FAILED|.*FAILED \(test process exited)' "$WORK/out/pg_regress.log" || true)
  say "pg_regress: $(grep -E 'tests (passed|failed)|All [0-9]+ tests' "$WORK/out/pg_regress.log" | tail -n1 | tr -s ' =' ' ') ($failed failed; the database is used anyway; see $OUT/regress/)"
  lap "pg_regress parallel_schedule"

  # Cache the cluster: a clean shutdown, then a copy.
  stop_server
  rm -rf "$SNAP.tmp"
  cp -a "$DATA" "$SNAP.tmp"
  rm -f "$SNAP.tmp/postmaster.pid"
  echo "$SRC/lib" >"$SNAP.tmp/pgkeep-libdir"
  rm -rf "$SNAP" && mv "$SNAP.tmp" "$SNAP"
  start_server
  lap "cache the cluster"
fi
flock -u 9

PSQL=("$BINDIR/psql" -X -q -h "$WORK/sock" -p "$PORT" -U "$SU")
PG_DUMP=("$BINDIR/pg_dump" -h "$WORK/sock" -p "$PORT" -U "$SU" --schema-only)
conn() { printf 'host=%s port=%s user=%s dbname=%s' "$WORK/sock" "$PORT" "$SU" "$1"; }
"${PSQL[@]}" -d regression -tAc 'select 1' >/dev/null || die "no regression database"
say "regression: $("${PSQL[@]}" -d regression -tAc "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog','information_schema','pg_toast')") relations"

# ----------------------------------------------------------------- 3. pgkeep
if [ -n "${PGKEEP_BIN:-}" ]; then
  PGKEEP=$PGKEEP_BIN
else
  say "cargo build"
  cargo build --quiet --bin pgkeep
  # Concurrent builds share target/: test a private copy.
  PGKEEP="$WORK/pgkeep"
  cp target/debug/pgkeep "$PGKEEP"
fi
"$PGKEEP" ddl --help >/dev/null 2>&1 || die "$PGKEEP has no working 'ddl' command"
lap "pgkeep build"

say "pgkeep ddl"
set +e
"$PGKEEP" ddl --db "$(conn regression)" >"$OUT/pgkeep.sql" 2>"$OUT/pgkeep.stderr"
rc=$?
set -e
[ "$rc" = 0 ] || { tail -n 20 "$OUT/pgkeep.stderr" >&2; die "pgkeep ddl failed (exit $rc)"; }
lap "pgkeep ddl"

say "applying pgkeep.sql to a new database"
"${PSQL[@]}" -d postgres -c 'DROP DATABASE IF EXISTS restored' -c 'DROP DATABASE IF EXISTS pgdump_restored' \
  -c 'CREATE DATABASE restored TEMPLATE template0' -c 'CREATE DATABASE pgdump_restored TEMPLATE template0'
# --echo-errors prints each failing statement after its error.
"${PSQL[@]}" -d restored --echo-errors -f "$OUT/pgkeep.sql" >/dev/null 2>"$OUT/apply.log" || true
lap "apply pgkeep.sql"

# Each ERROR with its statement: psql prints `psql:FILE:LINE: ERROR: ...`, maybe
# DETAIL/HINT/LINE lines, then the statement itself (--echo-errors).
python3 - "$OUT/apply.log" "$OUT/apply-errors.txt" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
err = re.compile(r"^psql:[^:]*:(\d+): (ERROR|FATAL):\s*(.*)$")
follow = re.compile(r"^psql:[^:]*:\d+: (DETAIL|HINT|CONTEXT|QUERY|STATEMENT|LINE \d+):")
other = re.compile(r"^psql:[^:]*:\d+: ")
out, i = [], 0
while i < len(lines):
    m = err.match(lines[i])
    i += 1
    if not m:
        continue
    block = [f"pgkeep.sql line {m.group(1)}: {m.group(2)}: {m.group(3)}"]
    stmt = []
    while i < len(lines) and (follow.match(lines[i]) or not other.match(lines[i])) and not err.match(lines[i]):
        l = re.sub(r"^psql:[^:]*:\d+: ", "", lines[i])
        if l.strip():
            stmt.append("    " + l)
        i += 1
    if len(stmt) > 15:
        stmt = stmt[:15] + [f"    ... ({len(stmt) - 15} more lines)"]
    out.append("\n".join(block + stmt))
open(sys.argv[2], "w").write("\n\n".join(out) + ("\n" if out else ""))
# One line per error: the message and the first line of its statement.
with open(sys.argv[2].replace(".txt", ".brief.txt"), "w") as f:
    for b in out:
        first = b.split("\n")
        stmt = next((l.strip()[len("STATEMENT:"):].strip() for l in first if l.strip().startswith("STATEMENT:")), "")
        f.write(f"{first[0]}  <<  {stmt[:110]}\n")
PY
ERRORS=$(grep -cE '^psql:[^:]*:[0-9]+: (ERROR|FATAL):' "$OUT/apply.log" || true)

# ------------------------------------------------------------ 4. the judging
say "pg_dump --schema-only of both sides, and pg_dump's own round trip"
strip() { grep -vE '^\\(un)?restrict ' ; } # pg_dump 15.14+: a random key per run
"${PG_DUMP[@]}" -d regression | strip >"$OUT/source.schema.sql"
"${PG_DUMP[@]}" -d restored | strip >"$OUT/restored.schema.sql"
"${PSQL[@]}" -d pgdump_restored -f "$OUT/source.schema.sql" >"$OUT/baseline-apply.log" 2>&1 || true
BASE_ERRORS=$(grep -cE '^psql:[^:]*:[0-9]+: (ERROR|FATAL):' "$OUT/baseline-apply.log" || true)
"${PG_DUMP[@]}" -d pgdump_restored | strip >"$OUT/baseline.schema.sql"
diff -u "$OUT/source.schema.sql" "$OUT/restored.schema.sql" >"$OUT/schema.diff" || true
diff -u "$OUT/source.schema.sql" "$OUT/baseline.schema.sql" >"$OUT/baseline.diff" || true
lap "pg_dump x3 + diff"

count_lines() { grep -cE '^[-+]' "$1" | awk '{print ($1 >= 2 ? $1 - 2 : 0)}'; } # minus the ---/+++ header
DIFF_LINES=$(count_lines "$OUT/schema.diff")
BASE_LINES=$(count_lines "$OUT/baseline.diff")

# Object-by-object comparison, keyed by pg_dump's `-- Name: ...; Type: ...;
# Schema: ...` headers, so that ordering alone does not count and each
# difference can be put down to an object kind.
UNEXPLAINED=$(python3 - "$OUT" <<'PY'
import re, sys, collections
out = sys.argv[1]
hdr = re.compile(r"^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*)$")
def objects(path):
    objs, key, body, seen = {}, ("(preamble)", "", ""), [], collections.Counter()
    def flush():
        if key is not None:
            k = key if seen[key] == 0 else key + (f"#{seen[key]}",)
            seen[key] += 1
            # SET default_tablespace / default_table_access_method lines
            # fall between objects wherever pg_dump's order puts them.
            objs[k] = "\n".join(l for l in body if l.strip() and l != "--" and not l.startswith("SET ")).strip()
    for line in open(path, encoding="utf-8", errors="replace").read().split("\n"):
        m = hdr.match(line)
        if m:
            flush()
            key, body = (m.group(2), m.group(3), m.group(1)), [f"-- Owner: {m.group(4)}"]
        else:
            body.append(line)
    flush()
    return objs
src = objects(f"{out}/source.schema.sql")
dst = objects(f"{out}/restored.schema.sql")
base = objects(f"{out}/baseline.schema.sql")
kinds = collections.defaultdict(lambda: collections.Counter())
details = []
unexplained = 0
for k in sorted(set(src) | set(dst), key=lambda k: (k[0], k[1], k[2])):
    a, b = src.get(k), dst.get(k)
    if a == b:
        continue
    if b is not None and base.get(k) == b:
        kind = "same as pg_dump"   # pg_dump's own round trip ends identically
    elif b is None:
        kind = "missing"
    elif a is None:
        kind = "extra"
    else:
        kind = "differs"
    kinds[k[0]][kind] += 1
    if kind != "same as pg_dump":
        unexplained += 1
    details.append((kind, k, a, b))
with open(f"{out}/summary.txt", "w") as f:
    f.write("objects that differ after the pgkeep round trip, by pg_dump's Type:\n")
    f.write(f"  {'type':<28} {'missing':>8} {'extra':>6} {'differs':>8} {'same as pg_dump':>16}\n")
    for t in sorted(kinds):
        c = kinds[t]
        f.write(f"  {t:<28} {c['missing']:>8} {c['extra']:>6} {c['differs']:>8} {c['same as pg_dump']:>16}\n")
    if not kinds:
        f.write("  (none)\n")
    f.write("\n")
    for kind, k, a, b in details:
        f.write(f"=== {kind}: {k[0]} {k[1]}.{k[2]}\n")
        if a is not None:
            f.write("--- source:\n" + a + "\n")
        if b is not None:
            f.write("+++ restored:\n" + b + "\n")
        f.write("\n")
print(unexplained)
PY
)

# ---------------------------------------------------------------- the report
{
  echo
  echo "regression round trip: server $SERVER_VERSION, suite $SRC_VERSION, $(wc -l <"$OUT/pgkeep.sql") lines of pgkeep ddl"
  echo "  apply errors:                 $ERRORS   ($OUT/apply-errors.txt)"
  echo "  differing lines (diff -u):    $DIFF_LINES   ($OUT/schema.diff)"
  echo "  objects differing, not explained by pg_dump's own round trip: $UNEXPLAINED   ($OUT/summary.txt)"
  echo "  pg_dump's own round trip:     $BASE_ERRORS errors, $BASE_LINES differing lines ($OUT/baseline.diff)"
  echo
  sed -n '1,/^$/p' "$OUT/summary.txt"
  if [ "$ERRORS" != 0 ]; then
    echo "apply errors (with context in apply-errors.txt):"
    head -n 30 "$OUT/apply-errors.brief.txt" | sed 's/^/  /'
    echo
  fi
  echo "timings:"
  lap "summary"
  for t in "${TIMINGS[@]}"; do echo "  $t"; done
  printf '  %-28s %7.1f s\n' total "$(awk "BEGIN{print $(date +%s.%N) - $T0}")"
} | tee "$OUT/report.txt"

if [ "$ERRORS" != 0 ] || [ "$UNEXPLAINED" != 0 ] || { [ "$STRICT" = 1 ] && [ "$DIFF_LINES" != 0 ]; }; then
  exit 1
fi
echo "no apply errors and no differences beyond pg_dump's own"
