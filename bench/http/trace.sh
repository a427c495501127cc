#!/usr/bin/env bash
# How long the server's own threads wait in the system calls that can stall a commit: `perf trace
# -s` over 3 s of sign-in starts (wrk 2 x 50 after 2 s of warm-up) counts the writer's,
# the checkpointer's and the outbox workers' calls by kind with their mean and longest durations
# (the request threads, which mostly wait for those, are left out). How docs/performance.md found
# what a 16 MiB log's truncation costs every commit waiting behind it.
#
#   scripts/build && bench/http/trace.sh
#   CALLS=fdatasync,ftruncate BUILD=/other/build bench/http/trace.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin perf
bench_serve_token "$BUILD" "${TOKEN:-jwt}"
base="http://127.0.0.1:$port"
bench_warm_up_starts
(sleep 0.5; timeout -s INT 3 perf trace -s -p "$server" -e "${CALLS:-fdatasync,fsync,pwrite64,ftruncate}" \
  -o "$work/trace.txt" >/dev/null 2>&1 || true) &
tracing=$!
BENCH_USERS=100000 wrk -t2 -c50 -d4s --latency -s bench/http/issue.lua "$base" >"$work/starts.txt"
wait $tracing
echo "starts: $(bench_wrk_summary "$work/starts.txt") (slowed by the tracing)"
awk '/^ [a-z]/ { show = ($1 != "lg-http") } show && NF' "$work/trace.txt"
