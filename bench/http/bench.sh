#!/usr/bin/env bash
# linkgate's magic-link HTTP throughput, shaped like the Better Auth peer's bench.sh
# (../shared/peers/better-auth/) so the two can be run back to back on one machine:
#   issue : wrk POST /v1/magic-links over $USERS addresses (success = 202)
# (No verify phase yet: collecting enough one-time tokens through the development outbox's files
# is too slow to keep wrk busy for a whole run.)
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
  rate_limits: { per_identifier: 1000000/1m, per_client: 100000000/1m, resend_cooldown: 0s }
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
