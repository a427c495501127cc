#!/usr/bin/env bash
# The front end under many keep-alive connections: GET /healthz and sign-in starts
# (POST /v1/magic-links, rate limits lifted) with wrk at 50 and at 1,000 connections, p50 and p99
# from wrk's latency distribution. With BEFORE=<another build folder> the same runs go against
# that build too, right after this one, so both sets come from one run on one machine.
#
#   bench/http/connections.sh                                   # after scripts/build
#   git worktree add /tmp/lg-before <commit> && (cd /tmp/lg-before && scripts/build)
#   BEFORE=/tmp/lg-before/build bench/http/connections.sh       # before and after, one run
# (BEFORE_KEYS adds server keys to the older build's config, when it knows them.)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-"50 1000"}
WORKERS=${WORKERS:-auto}   # server.threads (auto: the default; an older build's default is 16)
IDLE=${IDLE:-5000}         # idle connections held while the server's RSS is read (0: skip)
. bench/http/serve.sh
bench_need_wrk
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work" || true' EXIT

# "<requests/s> <p50> <p99> <errors>" from a wrk --latency report.
summary() {
  awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2}
       /Socket errors/{gsub(",", ""); errors=$4+$6+$8+$10}
       /Non-2xx/{bad=$5}
       END{printf "%8.0f/s  p50 %9s  p99 %9s  socket errors %s  non-2xx %s\n", rps, p50, p99, errors+0, bad+0}' "$1"
}

# The server's resident memory before and while $IDLE idle connections (from 127.0.x.y, 250 per
# address) are open, then whether /healthz still answers.
idle_memory() {  # $1: label
  [ "$IDLE" -gt 0 ] || return 0
  python3 - "$port" "$server" "$IDLE" "$1" <<'PY'
import socket, sys, time, urllib.request
port, pid, n, label = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss()
held = []
for i in range(n):
    s = socket.socket()
    s.bind((f"127.0.{100 + i // 62500}.{1 + (i // 250) % 250}", 0))
    s.connect(("127.0.0.1", port))
    held.append(s)
time.sleep(1)
during = rss()
start = time.monotonic()
try:
    status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).status
except Exception as e:
    status = type(e).__name__
took = (time.monotonic() - start) * 1000
print(f"{label}  {n} idle connections: RSS {before:.1f} -> {during:.1f} MiB "
      f"({(during - before) * 1024 * 1024 / n:.0f} bytes each); /healthz meanwhile: {status} in {took:.0f} ms")
PY
}

measure() {  # $1: label, $2: build folder, $3: more server keys
  threads="${3:-}"
  [ "$WORKERS" = auto ] || threads="$threads, threads: $WORKERS"
  bench_serve "$2" "$threads"
  idle_memory "$1"
  for c in $CONNECTIONS; do
    wrk -t2 -c"$c" -d"$DURATION" --latency "http://127.0.0.1:$port/healthz" >"$work/health.txt" 2>&1 || true
    echo "$1  /healthz           $(printf '%5s' "$c") conns: $(summary "$work/health.txt")"
    BENCH_USERS=10000 wrk -t2 -c"$c" -d"$DURATION" --latency -s bench/http/issue.lua \
      "http://127.0.0.1:$port" >"$work/start.txt" 2>&1 || true
    echo "$1  POST /v1/magic-links $(printf '%5s' "$c") conns: $(summary "$work/start.txt")"
  done
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
}

# wrk's connections all come from 127.0.0.1: lift the per-address limit (256 by default).
measure "after " build ", max_connections_per_client: 100000"
[ -n "${BEFORE:-}" ] && measure "before" "$BEFORE" "${BEFORE_KEYS:-}"
true
