#!/usr/bin/env bash
# Whether delivery keeps pace with sign-in starts at their full rate: 10 s of starts (wrk 2 x 50,
# or $CONNECTIONS, after 2 s of warm-up and the outbox drained), the outbox's sent messages
# counted at both ends of the same 10 s; then the server's CPU per start over the window (its
# deliveries in it included), the bytes it handed to write calls per start (/proc/<pid>/io wchar:
# the database, its log and checkpoints, the message files, the log lines) and its peak and
# present resident memory. Paired runs of this script (one build, then the other, then again) are
# how docs/performance.md compares changes to delivery.
#
#   scripts/build && bench/http/pace.sh
#   TOKEN=stateful bench/http/pace.sh
#   BUILD=/other/build bench/http/pace.sh
#   CONCURRENCY=64 bench/http/pace.sh      # the outbox channel's `concurrency:` (default 16)
#   CONNECTIONS=16 bench/http/pace.sh      # wrk's connections in the measured 10 s (default 50)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
. bench/http/serve.sh
bench_begin
if [ -n "${CONCURRENCY:-}" ]; then
  BENCH_DELIVERY="  - { plugin: outbox, for: email, concurrency: $CONCURRENCY, config: { dir: $work/data/outbox, log_link: false } }"
fi
bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"

bench_warm_up_starts
bench_wait_drained
read -r sent_before _ < <(bench_outbox_counts)
ticks_before=$(bench_server_cpu_ticks)
written_before=$(awk '/^wchar/{print $2}' "/proc/$server/io")
BENCH_USERS=100000 BENCH_FIRST=20000 wrk -t2 -c"${CONNECTIONS:-50}" -d10s --latency \
  -s bench/http/issue.lua "$base" >"$work/issue.txt"
read -r sent_after waiting < <(bench_outbox_counts)
ticks=$(($(bench_server_cpu_ticks) - ticks_before))
written=$(($(awk '/^wchar/{print $2}' "/proc/$server/io") - written_before))
starts=$(awk '/requests in/{print $1}' "$work/issue.txt")
echo "starts:    $(bench_wrk_summary "$work/issue.txt")"
echo "delivered: $(((sent_after - sent_before) / 10))/s in the same 10 s, $waiting waiting at its end"
awk -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" -v starts="$starts" \
  'BEGIN { printf "per start: %.2f ms of server CPU in the window, its deliveries included\n",
           ticks / hz * 1000 / starts }'
awk -v written="$written" -v starts="$starts" \
  'BEGIN { printf "written:   %.1f KiB per start in the window (write calls, its deliveries included)\n",
           written / 1024 / starts }'
# How the erased bodies left the outbox's log (docs/security.md): zeroed after a restart, or cut.
curl -s "$base/metrics" | awk -F'[{}"]' '/^linkgate_outbox_scrubs_total/ {n[$3] = $NF}
  END { printf "scrubs:    %d by zeroing, %d by truncation since the server started\n", n["zeroing"], n["truncation"] }'
bench_server_memory
