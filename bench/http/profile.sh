#!/usr/bin/env bash
# Where a sign-in start and a link redeem spend their time: perf samples (call graphs) of the
# whole server under wrk load (2 threads x 50 connections, the embedded default with rate
# limits lifted), one phase at a time, printed as the top symbols by self time and by library.
#
#   scripts/build && bench/http/profile.sh            # TOKEN=jwt (default) or stateful
#   KEEP=/tmp/profile bench/http/profile.sh           # keep the samples for perf report
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

token_config="{ key_file: $work/data/keys/link.pem }"
[ "$TOKEN" = stateful ] && token_config="{ store: \"sqlite:$work/data/tokens.db\" }"
BENCH_TOKEN="  plugin: $TOKEN
  config: $token_config" bench_serve "$BUILD" ""
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
perf record -F 999 -g -p "$server" -o "$work/start.data" -- sleep 8 >/dev/null 2>&1 &
recorder=$!
BENCH_USERS=100000 wrk -t2 -c50 -d8s -s bench/http/issue.lua "$base" | grep Requests/sec
wait $recorder || true
report start

for _ in $(seq 600); do
  /usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(c.execute(\"SELECT COUNT(*) FROM lg_outbox WHERE state IN ('pending','sending')\").fetchone()[0] > 0)" "$work/data/outbox.db" && break
  sleep 0.1
done
/usr/bin/python3 - "$work/data/outbox" <<'PY' | shuf >"$work/tokens"
import glob, json, os, sys
newest = {}
for f in glob.glob(sys.argv[1] + "/*.json"):
    m = json.load(open(f))
    t = os.stat(f).st_mtime_ns
    if m["to"] not in newest or newest[m["to"]][0] < t:
        newest[m["to"]] = (t, m["link"].split("token=", 1)[1])
for t, token in newest.values():
    print(token)
PY
perf record -F 999 -g -p "$server" -o "$work/redeem.data" -- sleep 3 >/dev/null 2>&1 &
recorder=$!
TOKENS="$work/tokens" BENCH_THREADS=2 wrk -t2 -c50 -d3s -s bench/http/verify.lua "$base" |
  grep -E "Requests/sec|exhausted"
wait $recorder || true
report redeem
# KEEP=<folder>: keep the samples for `perf report -i <folder>/redeem.data`.
[ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$work/start.data" "$work/redeem.data" "$KEEP/"
