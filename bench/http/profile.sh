#!/usr/bin/env bash
# Where a sign-in start and a link redeem spend their time: perf samples (call graphs) of the
# whole server under wrk load (2 threads x 50 connections, the embedded default with rate
# limits lifted), one phase at a time, printed as the top symbols by self time and by library.
#
#   scripts/build && bench/http/profile.sh            # TOKEN=jwt (default) or stateful
#   KEEP=/tmp/profile bench/http/profile.sh           # keep the samples for perf report
#   CALL_GRAPH=dwarf bench/http/profile.sh            # call chains through libc and SQLite too
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
BUILD=${BUILD:-$root/build}
TOKEN=${TOKEN:-jwt}
work=$(mktemp -d)
server=""
. bench/http/serve.sh
bench_need_wrk
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work" || true' EXIT

bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"

report() {  # $1: phase
  echo "== $1: self time by library =="
  perf report -i "$work/$1.data" --no-children --sort dso --stdio 2>/dev/null | cut -c1-60 |
    grep -E '^ +[0-9]' | head -12 || true
  echo "== $1: self time by symbol (top 30) =="
  perf report -i "$work/$1.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
    sed "s/  */ /g" | cut -c1-110 |
    grep -E '^ +[0-9]' | head -30 || true
}

BENCH_USERS=100000 wrk -t2 -c50 -d2s -s bench/http/issue.lua "$base" >/dev/null
perf record -F 999 --call-graph "${CALL_GRAPH:-fp}" -p "$server" -o "$work/start.data" -- sleep 8 >/dev/null 2>&1 &
recorder=$!
BENCH_USERS=100000 wrk -t2 -c50 -d8s -s bench/http/issue.lua "$base" | grep Requests/sec
wait $recorder || true
report start

bench_wait_drained
bench_newest_tokens "$work/data/outbox" >"$work/tokens"
perf record -F 999 --call-graph "${CALL_GRAPH:-fp}" -p "$server" -o "$work/redeem.data" -- sleep 3 >/dev/null 2>&1 &
recorder=$!
TOKENS="$work/tokens" BENCH_THREADS=2 wrk -t2 -c50 -d3s -s bench/http/verify.lua "$base" |
  grep -E "Requests/sec|exhausted"
wait $recorder || true
report redeem
# KEEP=<folder>: keep the samples for `perf report -i <folder>/redeem.data`.
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$work/start.data" "$work/redeem.data" "$KEEP/"
