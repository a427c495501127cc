#!/usr/bin/env bash
# linkgate's magic-link HTTP throughput, shaped like the Better Auth peer's bench.sh
# (../shared/peers/better-auth/) so the two can be run back to back on one machine:
#   issue : wrk POST /v1/magic-links over $USERS addresses (success = 202)
#   verify: $TOKENS links issued first and read back from the outbox files, then wrk POST
#           /v1/magic-links/verify using each once for $VERIFY_DURATION (success = 200 with an
#           access token); the run says how many tokens were used up
# Rate limits are lifted (the peer's limiter is off too; all load comes from one address).
# The embedded default otherwise: SQLite users with sign-up, ES256 JWT links, the outbox.
#
#   bench/http/bench.sh            # after scripts/build
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${THREADS:-2}
CONNS=${CONNS:-50}
DURATION=${DURATION:-10s}
USERS=${USERS:-10000}
TOKENS=${TOKENS:-6000}
VERIFY_DURATION=${VERIFY_DURATION:-4s}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work" || true' EXIT

cat >"$work/linkgate.yaml" <<YAML
server: { listen: 127.0.0.1:0, public_base_url: "http://127.0.0.1:8080", threads: 16 }
plugins: { search_paths: [build/plugins] }
token: { plugin: jwt, config: { key_file: $work/keys/link.pem } }
delivery:
  - { plugin: outbox, for: email, config: { dir: $work/outbox, log_link: false } }
users: { plugin: sql, signup: true, config: { database: $work/users.db } }
session: { signing_keys: { dir: $work/keys } }
security:
  secret_file: $work/keys/server.secret
  rate_limits: { per_identifier: 1000000/1s, per_client: 100000000/1s, resend_cooldown: 0s }
outbox: { store: "sqlite:$work/outbox.db" }
templates: { dir: configs/templates }
log: { level: info, format: json }
YAML

start() {
  build/linkgate serve --config "$work/linkgate.yaml" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  base="http://127.0.0.1:$port"
}
# successes/s from a wrk report: all requests minus the non-2xx ones, over the run's seconds.
successes() {
  awk '/requests in/{n=$1; s=$4; sub(/s,?$/, "", s)} /Non-2xx/{bad=$5} END{printf "%.0f ok/s (%d requests, %d not 2xx, %ss)", (n-bad)/s, n, bad, s}' "$1"
}
rss() { awk '/^VmHWM:/{printf "%.0f", $2/1024}' "/proc/$server/status"; }

start
BENCH_USERS=$USERS wrk -t"$THREADS" -c"$CONNS" -d2s -s bench/http/issue.lua "$base" >/dev/null
BENCH_USERS=$USERS wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/http/issue.lua "$base" \
  >"$work/issue.txt"
echo "issue:  $(successes "$work/issue.txt"), peak RSS $(rss) MiB"
kill $server; wait $server 2>/dev/null || true
rm -rf "$work/outbox" "$work/outbox.db"*

start
python3 - "$base" "$TOKENS" <<'PY'
import concurrent.futures, json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
def start(i):
    body = json.dumps({"identifier": f"verify{i}@example.com"}).encode()
    req = urllib.request.Request(base + "/v1/magic-links", data=body,
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(start, range(n)))
PY
for _ in $(seq 1200); do
  [ "$(ls "$work/outbox" | wc -l)" -ge "$TOKENS" ] && break
  sleep 0.1
done
python3 - "$work/outbox" <<'PY' | shuf >"$work/tokens"
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    print(json.load(open(f))["link"].split("token=", 1)[1])
PY
head -n 500 "$work/tokens" >"$work/warm" && tail -n +501 "$work/tokens" >"$work/measure"
TOKENS="$work/warm" BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" -d1s \
  -s bench/http/verify.lua "$base" >/dev/null
TOKENS="$work/measure" BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNS" -d"$VERIFY_DURATION" \
  -s bench/http/verify.lua "$base" >"$work/verify.txt"
echo "verify: $(successes "$work/verify.txt") — $(wc -l <"$work/measure") tokens offered, peak RSS $(rss) MiB"
kill $server; wait $server 2>/dev/null || true
