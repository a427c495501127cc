#!/usr/bin/env bash
# The instructions the whole server executes per sign-in start, its delivery included, counted
# by valgrind's callgrind: a measure the machine's noise cannot move (on a shared VM the start
# rate of one build swings by a third between runs, and it has no CPU counters). The server runs
# under callgrind (every thread, one at a time); wrk makes starts for $SECONDS_MEASURED seconds
# (default 20) after a warm-up, the outbox is drained, and the instructions counted between the
# two ends are divided by the starts the server answered. Paired runs (BUILD= one build, then
# another) compare changes whose effect at full speed is below that noise. Counts are of
# instructions, not of time: a system call or a sleep is one instruction or none, so this says
# nothing of waits; a `rep stos`/`rep movs` counts each byte; under callgrind a delivery batch is
# about one message, so batched work weighs more than at full speed.
#
# PHASE=redeem counts the instructions per redeem of a returning user's link instead (each link
# used once, as scripts/bench measures): the links are made by starts that are not counted.
#
#   scripts/build && bench/http/instructions.sh
#   BUILD=/other/build TOKEN=stateful SECONDS_MEASURED=20 bench/http/instructions.sh
#   PHASE=redeem bench/http/instructions.sh
#   KEEP=/tmp/ir bench/http/instructions.sh && callgrind_annotate /tmp/ir/callgrind.out
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
MEASURE=${SECONDS_MEASURED:-20}
PHASE=${PHASE:-start}
. bench/http/serve.sh
bench_begin
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
out="$work/callgrind.out"
BENCH_START_TENTHS=600 BENCH_WRAP="valgrind --tool=callgrind --callgrind-out-file=$out" \
  bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"

if [ "$PHASE" = redeem ]; then
  bench_import_users "$BUILD"
  # Twice as long as the measured redeems: under callgrind a start costs about what a redeem does.
  BENCH_USERS=100000 wrk -t2 -c8 -d"$((2 * MEASURE))s" -s bench/http/issue.lua "$base" >/dev/null
  bench_wait_drained
  bench_newest_tokens "$work/data/outbox" >"$work/tokens"
  head -n 200 "$work/tokens" >"$work/warm" && tail -n +201 "$work/tokens" >"$work/fresh"
  TOKENS="$work/warm" BENCH_THREADS=2 wrk -t2 -c8 -d3s -s bench/http/verify.lua "$base" >/dev/null
  callgrind_control -z "$server" >/dev/null
  TOKENS="$work/fresh" BENCH_THREADS=2 wrk -t2 -c8 -d"${MEASURE}s" -s bench/http/verify.lua \
    "$base" >"$work/measured.txt"
else
  BENCH_USERS=100000 wrk -t2 -c8 -d5s -s bench/http/issue.lua "$base" >/dev/null
  bench_wait_drained
  callgrind_control -z "$server" >/dev/null
  BENCH_USERS=100000 BENCH_FIRST=20000 wrk -t2 -c8 -d"${MEASURE}s" -s bench/http/issue.lua \
    "$base" >"$work/measured.txt"
fi
bench_wait_drained
callgrind_control -d "$server" >/dev/null
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$out".1 "$KEEP/callgrind.out"
requests=$(awk '/requests in/{print $1}' "$work/measured.txt")
non2xx=$(awk '/Non-2xx/{print $NF}' "$work/measured.txt")
answered=$((requests - ${non2xx:-0}))
exhausted=$(grep -o 'exhausted=[0-9]*' "$work/measured.txt" | cut -d= -f2 || true)
instructions=$(cat "$out".* 2>/dev/null | awk '/^totals:/{s += $2} END{print s + 0}')
echo "${PHASE}s: $answered answered with 2xx in ${MEASURE} s under callgrind (non-2xx: ${non2xx:-0}${exhausted:+, links run out: $exhausted}), $TOKEN"
[ "${non2xx:-0}" -eq 0 ] || echo "warning: the non-2xx answers' instructions are counted too" >&2
awk -v i="$instructions" -v n="$answered" -v p="$PHASE" \
  'BEGIN{printf "instructions per %s%s: %.0f\n", p, p == "start" ? ", its delivery included" : "", i / n}'
