#!/usr/bin/env bash
# Throughput and latency of the two requests that wait for nothing but the CPU: `GET /v1/session`
# with one bearer token (three 5 s runs) and `GET /healthz` (one), wrk 2 threads x 50
# connections, the embedded default with jwt. How docs/performance.md compares thread settings:
#
#   scripts/build && bench/http/latency.sh
#   BENCH_SERVER_KEYS=", running_threads: 64" bench/http/latency.sh   # no limit on running threads
#   BUILD=/other/build bench/http/latency.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin

bench_serve_token "$BUILD" jwt
base="http://127.0.0.1:$port"
access=$(bench_access_token "$base" latency-bench@example.com)
wrk -t2 -c50 -d2s -H "Authorization: Bearer $access" "$base/v1/session" >/dev/null
for run in 1 2 3; do
  wrk -t2 -c50 -d5s --latency -H "Authorization: Bearer $access" "$base/v1/session" \
    >"$work/session.txt"
  echo "GET /v1/session run $run: $(bench_wrk_summary "$work/session.txt")"
done
wrk -t2 -c50 -d5s --latency "$base/healthz" >"$work/healthz.txt"
echo "GET /healthz:          $(bench_wrk_summary "$work/healthz.txt")"
