#!/usr/bin/env bash
# What a sign-in start costs the disk and the kernel, counted rather than timed (so paired runs
# on this noisy machine differ by the change, not the noise): 6 s of starts (wrk 2 x 50, after
# 2 s of warm-up and the outbox drained), then the outbox drained again, and the server's
# /proc/<pid>/io between the two drains divided by the starts — bytes read and written through
# system calls (SQLite's pages and WAL frames, the checkpoints, the development channel's
# files, the log) and the read and write calls made. Every message is delivered in the window.
#
#   scripts/build && bench/http/io.sh
#   TOKEN=stateful bench/http/io.sh
#   BUILD=/other/build bench/http/io.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
. bench/http/serve.sh
bench_begin
bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"
io() { awk '/^(rchar|wchar|syscr|syscw):/ { printf "%s ", $2 } END { print "" }' "/proc/$server/io"; }

bench_warm_up_starts
bench_wait_drained
read -r read_before written_before reads_before writes_before < <(io)
BENCH_USERS=100000 BENCH_FIRST=20000 wrk -t2 -c50 -d6s --latency -s bench/http/issue.lua "$base" \
  >"$work/issue.txt"
bench_wait_drained
read -r read_after written_after reads_after writes_after < <(io)
starts=$(awk '/requests in/{print $1}' "$work/issue.txt")
echo "starts:    $(bench_wrk_summary "$work/issue.txt")"
awk -v n="$starts" -v r=$((read_after - read_before)) -v w=$((written_after - written_before)) \
  -v rc=$((reads_after - reads_before)) -v wc=$((writes_after - writes_before)) \
  'BEGIN { printf "per start: %.1f KB read in %.1f calls, %.1f KB written in %.1f calls\n",
           r / n / 1024, rc / n, w / n / 1024, wc / n }'
