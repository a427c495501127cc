#!/usr/bin/env bash
# How many times a redeem puts a server thread to sleep, and how much server CPU it takes: the
# start phase fills the outbox with ~15,000 links, then wrk redeems them (each once) while
# `perf stat` counts the server's context switches and CPU time over 2 s of it. Paired runs of
# this script (one setting, then the other, then again) are how docs/performance.md compares
# changes to the redeem path. The start phase's server CPU, from the first start until every
# message is delivered, is printed per start, and how long the last delivery came after it;
# last, the server's peak and present resident memory.
#
#   scripts/build && bench/http/waits.sh                      # jwt, the embedded default
#   TOKEN=stateful bench/http/waits.sh
#   TOKEN_CONFIG_EXTRA=", single_use: false" bench/http/waits.sh   # jwt without its replay cache
#   BUILD=/other/build bench/http/waits.sh                    # another build, same load
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
. bench/http/serve.sh
bench_begin perf

bench_serve_token "$BUILD" "$TOKEN" "${TOKEN_CONFIG_EXTRA:-}"
base="http://127.0.0.1:$port"

before=$(bench_server_cpu_ticks)
BENCH_USERS=100000 wrk -t2 -c50 -d12s --latency -s bench/http/issue.lua "$base" >"$work/issue.txt"
echo "starts:  $(bench_wrk_summary "$work/issue.txt")"
drain_from=$(date +%s.%N)
bench_wait_drained
awk -v from="$drain_from" -v to="$(date +%s.%N)" \
  'BEGIN { printf "delivery: the last message delivered %.1f s after the last start\n", to - from }'
awk -v ticks=$(($(bench_server_cpu_ticks) - before)) -v hz="$(getconf CLK_TCK)" \
  -v starts="$(awk '/requests in/{print $1}' "$work/issue.txt")" \
  'BEGIN { printf "per start: %.2f ms of server CPU, its delivery included (%.1f s CPU for %d starts)\n",
           ticks / hz * 1000 / starts, ticks / hz, starts }'
bench_newest_tokens "$work/data/outbox" >"$work/tokens"
(sleep 1; perf stat -x, -e context-switches,task-clock -p "$server" -o "$work/stat.csv" -- sleep 2 \
  >/dev/null 2>&1) &
counting=$!
TOKENS="$work/tokens" BENCH_THREADS=2 wrk -t2 -c50 -d4s --latency -s bench/http/verify.lua \
  "$base" >"$work/verify.txt"
wait $counting
echo "redeems: $(bench_wrk_summary "$work/verify.txt") (pool $(wc -l <"$work/tokens") links, $(grep -o 'exhausted=[0-9]*' "$work/verify.txt" | cut -d= -f2 | awk '{s+=$1} END{print s+0}') asked for past its end)"
rps=$(awk '/Requests\/sec/{print $2}' "$work/verify.txt")
awk -F, -v rps="$rps" '
  $3 == "context-switches" { switches = $1 }
  $3 == "task-clock"       { cpu_ms = $1 }
  END {
    redeems = rps * 2
    printf "per redeem: %.1f context switches, %.2f ms of server CPU (%.0f switches, %.0f ms CPU in 2 s)\n",
           switches / redeems, cpu_ms / redeems, switches, cpu_ms
  }' "$work/stat.csv"
bench_server_memory
