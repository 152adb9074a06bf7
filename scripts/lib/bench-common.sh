# shellcheck shell=bash
# Sourced by scripts/bench-http, bench-transit, bench-ingest and soak: what
# a benchmark that runs its own servers on loopback needs.
#
#   bench_build TARGET...   installs the bench dependencies and builds the
#                           targets in $bench_build_dir (Release, tests off,
#                           $JOBS jobs, default 2)
#   free_port               a free TCP port on 127.0.0.1
#   wait_http URL PID       waits up to 10 s for URL to answer 2xx while PID
#                           lives; fails otherwise
#   stop_pid PID SIGNAL     signals PID (if set) and reaps it
#   machine_state           one JSON object: the load average and how many
#                           compilers run beside the benchmark
#   verify_reference DB_URL KEYRING TAPS
#                           the in-process verifier (V) on a tap file's codes,
#                           on 2 threads, with the lists a server on the
#                           database DB_URL hands out; one JSON line. Needs
#                           $citycode, $tool (citycode_http_bench), $work and
#                           a variable server_pid the caller's trap stops.
# Uses the sourcing script's step and die.

bench_build_dir="build-bench"

bench_build() {
  local jobs=${JOBS:-2}
  step "dependencies (scripts/install-deps --bench)"
  scripts/install-deps --bench
  step "build $* in $bench_build_dir/ (Release, -j$jobs)"
  cmake -S . -B "$bench_build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCITYCODE_BUILD_TESTS=OFF >/dev/null
  cmake --build "$bench_build_dir" --target "$@" -j "$jobs"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() { # url pid
  local _
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# shellcheck disable=SC2317  # reached through the sourcing script's EXIT trap
stop_pid() { # pid signal
  [[ -n $1 ]] || return 0
  kill "-$2" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

machine_state() {
  python3 - <<'EOF'
import json, os, subprocess
load = os.getloadavg()[0]
ps = subprocess.run(["ps", "-eo", "comm="], capture_output=True, text=True).stdout.split()
print(json.dumps({"load1": round(load, 2),
                  "compilers": sum(1 for c in ps if c in ("cc1plus", "cc1", "ld", "clang", "clang++"))}))
EOF
}

# shellcheck disable=SC2154  # citycode, tool and work are the caller's
verify_reference() { # db_url keyring taps
  local port
  port=$(free_port)
  "$citycode" serve --db "$1" --keyring "$2" \
    --listen "127.0.0.1:$port" --threads 1 2>"$work/server.log" &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/healthz" "$server_pid" || {
    cat "$work/server.log" >&2
    die "the server for the lists did not start"
  }
  "$tool" verify-taps --server "http://127.0.0.1:$port" --taps "$3" --threads 2
  stop_pid "$server_pid" TERM
  server_pid=
}
