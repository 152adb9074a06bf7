# shellcheck shell=bash
# Sourced by scripts/test and the benchmarks: a PostgreSQL server in a
# temporary directory, a child of the sourcing script, on 127.0.0.1.
#
#   throwaway_pg_start fast|durable   starts it (fast: fsync off, for tests;
#                                     durable: the server's defaults) and
#                                     sets pg_port, pg_bin
#   throwaway_pg_url NAME             creates database NAME, prints its URL
#   throwaway_pg_stop                 stops it and removes its directory
#                                     (call it from the script's EXIT trap)
# Uses the sourcing script's die().

# initdb and pg_ctl live off PATH in Debian's versioned directory and refuse
# to run as root; as root they run as the postgres user on a directory it owns.
pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
  sort -V | tail -n 1)
pg_tmp="" pg_pid="" pg_port=""
as_pg=()

# Runs a PostgreSQL server tool as the server's owner, from a directory it can read.
pg() { (cd "$pg_tmp" && "${as_pg[@]}" "$pg_bin/$1" "${@:2}"); }

# The server runs as a child of the script (not daemonized by pg_ctl), so
# the script reaps it and no process outlives it. Starts it on port $1;
# succeeds once it accepts connections.
throwaway_pg_run() {
  (cd "$pg_tmp" && exec "${as_pg[@]}" "$pg_bin/postgres" -D "$pg_tmp/data" -p "$1") \
    >>"$pg_tmp/postgresql.log" 2>&1 &
  pg_pid=$!
  local _
  for _ in $(seq 600); do
    if ! kill -0 "$pg_pid" 2>/dev/null; then # exited: port taken, or worse (see the log)
      wait "$pg_pid" || true
      pg_pid=""
      return 1
    fi
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres && return 0
    sleep 0.1
  done
  return 1
}

throwaway_pg_halt() {
  [[ -n $pg_pid ]] || return 0
  pg pg_ctl -D "$pg_tmp/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
    pg pg_ctl -D "$pg_tmp/data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
    kill -KILL "$pg_pid" 2>/dev/null || true
  wait "$pg_pid" 2>/dev/null || true
  pg_pid=""
}

throwaway_pg_stop() {
  throwaway_pg_halt
  [[ -z $pg_tmp ]] || rm -rf "$pg_tmp"
  pg_tmp=""
}

throwaway_pg_start() {
  [[ -n $pg_bin && -x $pg_bin/initdb && -x $pg_bin/pg_ctl ]] ||
    die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user"
    as_pg=(runuser -u postgres --)
    # Under /tmp, not $TMPDIR, which may lie in a directory postgres cannot enter.
    pg_tmp=$(mktemp -d /tmp/citycode-pg.XXXXXX)
    chown postgres: "$pg_tmp"
  else
    pg_tmp=$(mktemp -d "${TMPDIR:-/tmp}/citycode-pg.XXXXXX")
  fi
  pg initdb -D "$pg_tmp/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$pg_tmp/initdb.log" 2>&1 || {
    cat "$pg_tmp/initdb.log" >&2
    die "initdb failed"
  }
  {
    printf "\n# %s: a throwaway server.\n" "$0"
    printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$pg_tmp"
    [[ $1 == durable ]] || printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
  } >>"$pg_tmp/data/postgresql.conf"
  # A free port: a random one that nothing answers on; if another process
  # takes it before the server binds, the server exits and we try another.
  local candidate _
  for _ in 1 2 3 4 5 6 7 8; do
    candidate=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue
    if throwaway_pg_run "$candidate"; then
      pg_port=$candidate
      return 0
    fi
    throwaway_pg_halt
  done
  tail -n 20 "$pg_tmp/postgresql.log" >&2 || true
  die "could not start PostgreSQL (log above)"
}

throwaway_pg_url() {
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    -c "CREATE DATABASE $1" >/dev/null
  printf 'postgresql://postgres@127.0.0.1:%s/%s\n' "$pg_port" "$1"
}
