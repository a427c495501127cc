#!/usr/bin/env bash
# What a request costs the machine, by kind, with wrk on the same cores: server CPU and wrk CPU
# per request for GET /healthz (the HTTP layer alone), GET /v1/session (one ES256 verify and one
# revocation read more), and the one-core ES256 verify cost from `openssl speed`, all in one run.
# From them it prints the most GET /v1/session could reach on these cores if everything but the
# verify and the HTTP layer cost nothing, as a share of the one-core verify bound.
#
#   scripts/build && bench/http/floor.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin perf

verifies=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/{print $NF}')
echo "openssl speed ecdsap256: $verifies verifies/s on one core"

bench_serve_token "$BUILD" jwt
base="http://127.0.0.1:$port"
access=$(bench_access_token "$base" floor-bench@example.com)
cores=$(nproc)

measure() {  # $1: label, then wrk arguments; prints requests/s and CPU per request
  local label=$1
  shift
  wrk -t2 -c50 -d1s "$@" >/dev/null
  (sleep 0.5; perf stat -x, -e task-clock -p "$server" -o "$work/server.csv" -- sleep 3 \
    >/dev/null 2>&1) &
  local counting=$!
  perf stat -x, -e task-clock -o "$work/wrk.csv" -- wrk -t2 -c50 -d4s "$@" >"$work/wrk.txt"
  wait $counting
  local rps server_ms wrk_ms
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  server_ms=$(awk -F, '/task-clock/{print $1}' "$work/server.csv")
  wrk_ms=$(awk -F, '/task-clock/{print $1}' "$work/wrk.csv")
  awk -v l="$label" -v r="$rps" -v s="$server_ms" -v w="$wrk_ms" 'BEGIN {
    printf "%-16s %9.0f/s  server %6.1f us/request  wrk %5.1f us/request\n", l, r, s*1000/(r*3), w*1000/(r*4)
  }'
  echo "$rps $server_ms $wrk_ms" >"$work/$label.nums"
}

measure healthz "$base/healthz"
measure session -H "Authorization: Bearer $access" "$base/v1/session"

read -r h_rps h_server h_wrk <"$work/healthz.nums"
read -r s_rps s_server s_wrk <"$work/session.nums"
awk -v cores="$cores" -v v="$verifies" -v hr="$h_rps" -v hs="$h_server" -v hw="$h_wrk" \
  -v sr="$s_rps" -v ss="$s_server" -v sw="$s_wrk" 'BEGIN {
  verify_us = 1e6 / v
  http_server = hs * 1000 / (hr * 3); http_wrk = hw * 1000 / (hr * 4)
  session_server = ss * 1000 / (sr * 3); session_wrk = sw * 1000 / (sr * 4)
  ceiling = cores * 1e6 / (http_server + http_wrk + verify_us)
  printf "\nGET /v1/session: %.0f/s = %.0f%% of the one-core verify bound (%.0f/s)\n", sr, 100*sr/v, v
  printf "  server CPU beyond the HTTP layer and the verify: %.1f us per request\n", session_server - http_server - verify_us
  printf "  ceiling on %d cores shared with wrk, if only the HTTP layer (%.1f us server + %.1f us wrk)\n", cores, http_server, http_wrk
  printf "  and one verify (%.1f us) cost anything: %.0f/s = %.0f%% of the bound\n", verify_us, ceiling, 100*ceiling/v
}'
