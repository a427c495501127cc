# Sourced by scripts/bench: linkgate's side of the comparison with the Better Auth peer, phase by
# phase on one server, each phase's wrk shaped like the peer's (2 threads x 50 connections, a
# warm-up first). Needs bench/http/serve.sh sourced, $work, wrk.
#
#   linkgate_phases <build folder> <token plugin: jwt | stateful> <results file>
# appends one line per phase to the results file:
#   <phase> ok_rps=<successes/s> p50_ms=<> p99_ms=<> [exhausted=<n>]
# phases: issue (POST /v1/magic-links over 100,000 addresses), verify (POST
# /v1/magic-links/verify, each link issued in the issue phase used once), session (GET
# /v1/session with one bearer token), healthz; then rss_mb=<peak RSS of the server>.

# "ok_rps=… p50_ms=… p99_ms=…" from a wrk --latency report; successes exclude non-2xx answers.
wrk_result() {
  awk '/requests in/{n=$1; s=$4; sub(/s,?$/, "", s)} /Non-2xx/{bad=$5}
       /^ +50%/{p50=$2} /^ +99%/{p99=$2}
       function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       END{printf "ok_rps=%.0f p50_ms=%.2f p99_ms=%.2f", (n-bad)/s, ms(p50), ms(p99)}' "$1"
}

linkgate_phases() {
  local build=$1 plugin=$2 results=$3 base tokens
  bench_serve_token "$build" "$plugin"
  base="http://127.0.0.1:$port"

  BENCH_USERS=100000 wrk -t2 -c50 -d2s -s bench/http/issue.lua "$base" >/dev/null
  BENCH_USERS=100000 wrk -t2 -c50 -d10s --latency -s bench/http/issue.lua "$base" >"$work/issue.txt"
  echo "$plugin/issue $(wrk_result "$work/issue.txt")" >>"$results"

  # Every issued message delivered, then the newest link of each address (older ones were
  # superseded), shuffled: a pool no phase of a few seconds can use up at the rates seen.
  bench_wait_drained
  bench_newest_tokens "$work/data/outbox" >"$work/tokens"
  head -n 1000 "$work/tokens" >"$work/warm" && tail -n +1001 "$work/tokens" >"$work/measure"
  TOKENS="$work/warm" BENCH_THREADS=2 wrk -t2 -c50 -d1s -s bench/http/verify.lua "$base" >/dev/null
  TOKENS="$work/measure" BENCH_THREADS=2 wrk -t2 -c50 -d3s --latency -s bench/http/verify.lua \
    "$base" >"$work/verify.txt"
  echo "$plugin/verify $(wrk_result "$work/verify.txt") exhausted=$(grep -o 'exhausted=[0-9]*' "$work/verify.txt" | cut -d= -f2 | awk '{s+=$1} END{print s+0}') pool=$(wc -l <"$work/measure")" >>"$results"

  local access
  access=$(bench_access_token "$base" session-bench@example.com)
  wrk -t2 -c50 -d2s -H "Authorization: Bearer $access" "$base/v1/session" >/dev/null
  wrk -t2 -c50 -d10s --latency -H "Authorization: Bearer $access" "$base/v1/session" \
    >"$work/session.txt"
  echo "$plugin/session $(wrk_result "$work/session.txt")" >>"$results"
  wrk -t2 -c50 -d2s "$base/healthz" >/dev/null
  wrk -t2 -c50 -d5s --latency "$base/healthz" >"$work/healthz.txt"
  echo "$plugin/healthz $(wrk_result "$work/healthz.txt")" >>"$results"
  echo "$plugin/rss rss_mb=$(awk '/^VmHWM:/{printf "%.0f", $2/1024}' "/proc/$server/status")" >>"$results"
  kill $server; wait $server 2>/dev/null || true
  server=""
}
