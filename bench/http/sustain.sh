#!/usr/bin/env bash
# Whether sign-in starts hold their rate for a minute (the issue's "sustained for a minute, no
# decay, with delivery keeping pace"): after 2 s of warm-up, wrk 2 x 50 makes starts for six
# windows of 10 s back to back on one server, and each window prints its starts/s with p50 and
# p99, the messages delivered in it, those waiting at its end, the server's CPU per start (its
# deliveries included), its resident memory, and the share of the machine's CPU time the
# hypervisor gave to others (steal, from /proc/stat: on a shared VM the rate follows it), and how
# much of the machine's free memory the window took (page cache for the message files and the
# database: on this VM, past the first few GB a run takes, each new page costs a fault in the host;
# docs/performance.md, "The minute's step: new memory on this VM"). Last, the last window against
# the first, and how long the outbox took to empty after the minute.
#
#   scripts/build && bench/http/sustain.sh
#   TOKEN=stateful bench/http/sustain.sh
#   WINDOWS=12 bench/http/sustain.sh        # two minutes
#   BUILD=/other/build bench/http/sustain.sh
#   BY_THREAD=1 bench/http/sustain.sh       # and each window's CPU per start by thread name
#   BENCH_MEMORY_LIMIT=1G bench/http/sustain.sh   # the server in a 1 GiB memory cgroup (root)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
WINDOWS=${WINDOWS:-6}
SECONDS_PER_WINDOW=10
. bench/http/serve.sh
bench_begin
bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"
hz=$(getconf CLK_TCK)
# "<steal> <all>" CPU ticks of the whole machine so far.
machine_ticks() { awk '/^cpu / { all = 0; for (i = 2; i <= 9; i++) all += $i; print $9, all }' /proc/stat; }
free_mib() { awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo; }
# "<thread name> <CPU ticks>" lines, threads of one name summed (the name is the field in
# parentheses; ours have no spaces).
thread_ticks() {
  cat /proc/"$server"/task/*/stat 2>/dev/null |
    awk '{ name = $2; gsub(/[()]/, "", name); t[name] += $14 + $15 } END { for (n in t) print n, t[n] }' |
    sort
}

bench_warm_up_starts
bench_wait_drained
echo "$TOKEN starts, wrk 2 x 50, $WINDOWS windows of $SECONDS_PER_WINDOW s back to back" \
  "(machine: $(free_mib) MiB free${BENCH_MEMORY_LIMIT:+; the server in a $BENCH_MEMORY_LIMIT memory cgroup}):"
first_rate="" first_p99="" rate="" p99=""
read -r sent_before _ < <(bench_outbox_counts)
for window in $(seq "$WINDOWS"); do
  ticks_before=$(bench_server_cpu_ticks)
  [ -n "${BY_THREAD:-}" ] && thread_ticks >"$work/threads.before"
  read -r steal_before all_before < <(machine_ticks)
  free_before=$(free_mib)
  # Each window goes on to addresses the one before did not reach.
  BENCH_USERS=100000 BENCH_FIRST=$((window * 20000)) wrk -t2 -c50 -d${SECONDS_PER_WINDOW}s \
    --latency -s bench/http/issue.lua "$base" >"$work/window.txt"
  ticks=$(($(bench_server_cpu_ticks) - ticks_before))
  read -r steal_after all_after < <(machine_ticks)
  read -r sent_after waiting < <(bench_outbox_counts)
  starts=$(awk '/requests in/{print $1}' "$work/window.txt")
  rate=$(awk '/Requests\/sec/{print $2}' "$work/window.txt")
  p99=$(awk '/^ +99%/{print $2}' "$work/window.txt")
  [ -z "$first_rate" ] && first_rate=$rate first_p99=$p99
  printf "  %3ds  %s  delivered %5d/s, %5d waiting  %.2f ms CPU/start  %s  steal %2d %%  took %d MiB\n" \
    $((window * SECONDS_PER_WINDOW)) "$(bench_wrk_summary "$work/window.txt")" \
    $(((sent_after - sent_before) / SECONDS_PER_WINDOW)) "$waiting" \
    "$(awk -v t="$ticks" -v hz="$hz" -v n="$starts" 'BEGIN { print t / hz * 1000 / n }')" \
    "$(awk '/VmRSS/ { printf "RSS %.0f MiB", $2 / 1024 }' "/proc/$server/status")" \
    $((100 * (steal_after - steal_before) / (all_after - all_before))) $((free_before - $(free_mib)))
  sent_before=$sent_after
  if [ -n "${BY_THREAD:-}" ]; then
    thread_ticks | join -a 2 "$work/threads.before" - |
      awk -v hz="$hz" -v n="$starts" 'NF == 2 { $3 = $2; $2 = 0 }
        $3 > $2 { printf "  %s %.1f µs", $1, ($3 - $2) / hz * 1e6 / n } END { print "" }'
  fi
done
drain_began=$(date +%s%N)
bench_wait_drained
read -r _ waiting < <(bench_outbox_counts)
# wrk prints latencies as 12.34ms, 1.05s or 800.00us.
in_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; print n }'; }
awk -v a="$first_rate" -v b="$rate" -v p="$(in_ms "$first_p99")" -v q="$(in_ms "$p99")" \
  'BEGIN { printf "last window against the first: starts/s x%.2f, p99 x%.2f\n", b / a, q / p }'
echo "outbox emptied $((($(date +%s%N) - drain_began) / 1000000)) ms after the last window" \
  "($waiting waiting then)"
bench_server_memory
