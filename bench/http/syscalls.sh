#!/usr/bin/env bash
# What one `GET /v1/session` costs the server beyond its ES256 verify: wrk sends one bearer token
# over 2 threads x 50 connections while `perf stat` counts, over 3 s, the server's system calls by
# kind, its context switches and its CPU time; printed per request. Paired runs (BUILD= one build,
# then another, then again) are how docs/performance.md compares changes to the request path.
#
# PHASE=start counts sign-in starts instead (jwt, 100,000 addresses, after a warm-up and the
# outbox drained), with their deliveries in the same window: the development channel's files and
# syncs among the kinds.
#
#   scripts/build && bench/http/syscalls.sh
#   BUILD=/other/build bench/http/syscalls.sh
#   PHASE=start bench/http/syscalls.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin perf

bench_serve_token "$BUILD" jwt
base="http://127.0.0.1:$port"
kinds="futex recvfrom sendto write fcntl getpid epoll_wait epoll_ctl pread64 pwrite64"
if [ "${PHASE:-session}" = start ]; then
  export BENCH_USERS=100000
  load=(-s bench/http/issue.lua "$base")
  label="sign-in starts"
  kinds="$kinds openat linkat close syncfs"
  wrk -t2 -c50 -d2s "${load[@]}" >/dev/null
  bench_wait_drained
  export BENCH_FIRST=20000
else
  access=$(bench_access_token "$base" syscalls-bench@example.com)
  load=(-H "Authorization: Bearer $access" "$base/v1/session")
  label="GET /v1/session"
  wrk -t2 -c50 -d2s "${load[@]}" >/dev/null
fi
events="raw_syscalls:sys_enter,context-switches,task-clock"
for k in $kinds; do events="$events,syscalls:sys_enter_$k"; done
(sleep 0.5; perf stat -x, -e "$events" -p "$server" -o "$work/stat.csv" -- sleep 3 \
  >/dev/null 2>&1) &
counting=$!
wrk -t2 -c50 -d4s "${load[@]}" >"$work/wrk.txt"
wait $counting
rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
echo "$label: ${rps}/s"
awk -F, -v rps="$rps" '
  $3 ~ /^(raw_syscalls|syscalls|context|task)/ {
    name = $3; sub(/^syscalls:sys_enter_/, "", name); sub(/^raw_syscalls:sys_enter$/, "all system calls", name)
    if (name == "task-clock") printf "  %-18s %7.1f us per request\n", "server CPU", $1 * 1000 / (rps * 3)
    else printf "  %-18s %7.2f per request\n", name, $1 / (rps * 3)
  }' "$work/stat.csv"
