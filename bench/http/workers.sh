#!/usr/bin/env bash
# Why server.threads defaults to 16 per core (at least 64): sign-in starts spend most of their
# time waiting for SQLite's single writer, and while they wait they hold a worker. With the
# start load running (wrk, 50 connections), a second wrk measures cheap requests (/healthz,
# 10 connections) beside it, for each worker count in WORKER_COUNTS.
#
#   bench/http/workers.sh        # after scripts/build
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-6s}
WORKER_COUNTS=${WORKER_COUNTS:-"2 4 16 32 64 128"}
. bench/http/serve.sh
bench_need_wrk
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work" || true' EXIT

for workers in $WORKER_COUNTS; do
  bench_serve build ", threads: $workers"
  BENCH_USERS=10000 wrk -t1 -c50 -d"$DURATION" --latency -s bench/http/issue.lua \
    "http://127.0.0.1:$port" >"$work/start.txt" 2>&1 &
  load=$!
  sleep 0.5
  wrk -t1 -c10 -d"$DURATION" --latency "http://127.0.0.1:$port/healthz" >"$work/health.txt" 2>&1 || true
  wait $load || true
  printf 'threads %3s  starts: %s   /healthz beside them: %s\n' "$workers" \
    "$(bench_wrk_summary "$work/start.txt")" "$(bench_wrk_summary "$work/health.txt")"
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
done
