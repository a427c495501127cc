#!/usr/bin/env bash
# Why server.threads defaults to 8 per core (at least 16): sign-in starts spend most of their
# time waiting for SQLite's single writer, and while they wait they hold a worker. With the
# start load running (wrk, 50 connections), a second wrk measures cheap requests (/healthz,
# 10 connections) beside it, for each worker count in WORKER_COUNTS.
#
#   bench/http/workers.sh        # after scripts/build
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-6s}
WORKER_COUNTS=${WORKER_COUNTS:-"2 4 16 64"}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work" || true' EXIT

summary() {
  awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2}
       END{printf "%7.0f/s p50 %8s p99 %8s", rps, p50, p99}' "$1"
}

for workers in $WORKER_COUNTS; do
  rm -rf "$work/data" && mkdir -p "$work/data"
  cat >"$work/linkgate.yaml" <<YAML
server: { listen: 127.0.0.1:0, public_base_url: "http://127.0.0.1:8080", threads: $workers }
plugins: { search_paths: [build/plugins] }
token: { plugin: jwt, config: { key_file: $work/data/keys/link.pem } }
delivery:
  - { plugin: outbox, for: email, config: { dir: $work/data/outbox, log_link: false } }
users: { plugin: sql, signup: true, config: { database: $work/data/users.db } }
session: { signing_keys: { dir: $work/data/keys } }
security:
  secret_file: $work/data/keys/server.secret
  rate_limits: { per_identifier: 1000000/1m, per_client: 100000000/1m, resend_cooldown: 0s }
outbox: { store: "sqlite:$work/data/outbox.db" }
templates: { dir: configs/templates }
log: { level: warning, format: json }
YAML
  build/linkgate serve --config "$work/linkgate.yaml" >"$work/server.log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 100); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  BENCH_USERS=10000 wrk -t1 -c50 -d"$DURATION" --latency -s bench/http/issue.lua \
    "http://127.0.0.1:$port" >"$work/start.txt" 2>&1 &
  load=$!
  sleep 0.5
  wrk -t1 -c10 -d"$DURATION" --latency "http://127.0.0.1:$port/healthz" >"$work/health.txt" 2>&1 || true
  wait $load || true
  printf 'threads %3s  starts: %s   /healthz beside them: %s\n' "$workers" \
    "$(summary "$work/start.txt")" "$(summary "$work/health.txt")"
  kill "$server"; wait "$server" 2>/dev/null || true
  server=""
done
