#!/usr/bin/env bash
# Where a sign-in start and a link redeem spend their time: perf samples (call graphs) of the
# whole server under wrk load (2 threads x 50 connections, the embedded default with rate
# limits lifted), one phase at a time, printed as the top symbols by self time and by library.
#
#   scripts/build && bench/http/profile.sh            # TOKEN=jwt (default) or stateful
#   KEEP=/tmp/profile bench/http/profile.sh           # keep the samples for perf report
#   CALL_GRAPH=dwarf bench/http/profile.sh            # call chains through libc and SQLite too
#   PHASES="session healthz" bench/http/profile.sh    # GET /v1/session (one bearer token), /healthz
#   RETURNING=1 bench/http/profile.sh                 # every address already a user (no sign-ups)
#
# Each phase prints self time by library, by thread and by symbol; with CALL_GRAPH=dwarf also
# linkgate's functions by the time spent in them and what they call (where a request's time
# goes: the verify, the revocation read, the log line, a commit wait).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
BUILD=${BUILD:-$root/build}
TOKEN=${TOKEN:-jwt}
PHASES=${PHASES:-"start redeem"}
work=$(mktemp -d)
server=""
. bench/http/serve.sh
bench_need_wrk
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
trap '[ -n "$server" ] && kill $server 2>/dev/null; bench_discard "$work"' EXIT

bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"
if [ -n "${RETURNING:-}" ]; then
  bench_import_users "$BUILD"
fi

report() {  # $1: phase
  echo "== $1: self time by library =="
  perf report -i "$work/$1.data" --no-children --sort dso -g none --stdio 2>/dev/null | cut -c1-60 |
    grep -E '^ +[0-9]' | head -12 || true
  echo "== $1: self time by thread =="
  perf report -i "$work/$1.data" --no-children --sort comm -g none --stdio 2>/dev/null | cut -c1-60 |
    grep -E '^ +[0-9]' | head -8 || true
  echo "== $1: self time by symbol (top 30) =="
  perf report -i "$work/$1.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
    sed "s/  */ /g" | cut -c1-110 |
    grep -E '^ +[0-9]' | head -30 || true
  if [ "${CALL_GRAPH:-fp}" = dwarf ]; then
    echo "== $1: linkgate's functions with what they call (top 45) =="
    perf report -i "$work/$1.data" --children --sort symbol -g none --stdio 2>/dev/null |
      sed "s/  */ /g" | grep -E '^ +[0-9].*linkgate::' | cut -c1-130 | head -45 || true
  fi
}

record() {  # $1: phase, $2: seconds; then the load's command
  local phase=$1 seconds=$2
  shift 2
  perf record -F 999 --call-graph "${CALL_GRAPH:-fp}" -p "$server" -o "$work/$phase.data" \
    -- sleep "$seconds" >/dev/null 2>&1 &
  local recorder=$!
  "$@" | grep -E "Requests/sec|exhausted"
  wait $recorder || true
  report "$phase"
}

for phase in $PHASES; do
  case $phase in
    start)
      bench_warm_up_starts
      record start 8 env BENCH_USERS=100000 wrk -t2 -c50 -d8s -s bench/http/issue.lua "$base"
      ;;
    redeem)
      bench_wait_drained
      bench_newest_tokens "$work/data/outbox" >"$work/tokens"
      # Without links every request is one the server refuses (verify.lua counts them as
      # exhausted), and that is what would be sampled.
      [ -s "$work/tokens" ] || {
        echo "redeem needs links: run the start phase before it (PHASES=\"start redeem\")" >&2
        exit 1
      }
      record redeem 3 env TOKENS="$work/tokens" BENCH_THREADS=2 \
        wrk -t2 -c50 -d3s -s bench/http/verify.lua "$base"
      ;;
    session)
      access=$(bench_access_token "$base" profile-bench@example.com)
      wrk -t2 -c50 -d2s -H "Authorization: Bearer $access" "$base/v1/session" >/dev/null
      record session 5 wrk -t2 -c50 -d5s -H "Authorization: Bearer $access" "$base/v1/session"
      ;;
    healthz)
      wrk -t2 -c50 -d2s "$base/healthz" >/dev/null
      record healthz 5 wrk -t2 -c50 -d5s "$base/healthz"
      ;;
    *) echo "unknown phase $phase (start, redeem, session, healthz)" >&2; exit 1 ;;
  esac
done
# KEEP=<folder>: keep the samples for `perf report -i <folder>/<phase>.data`.
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  for phase in $PHASES; do cp "$work/$phase.data" "$KEEP/"; done
fi
