# Sourced by scripts/bench: linkgate's side of the comparison with the Better Auth peer, phase by
# phase on one server, each phase's wrk shaped like the peer's (2 threads x 50 connections, a
# warm-up first). Needs bench/http/serve.sh sourced, $work, wrk.
#
#   linkgate_phases <build folder> <token plugin: jwt | stateful> <results file>
# appends one line per phase to the results file:
#   <phase> ok_rps=<successes/s> p50_ms=<> p99_ms=<> [exhausted=<n>] [delivered_rps=<> waiting=<>]
# phases: issue (POST /v1/magic-links over 100,000 addresses, two of three already users — as
# the peer's — the third strangers signing up; with delivered_rps, the messages delivered per
# second in the same 10 s, and waiting, those not yet delivered at its end), verify
# (POST /v1/magic-links/verify: returning users' links, each issued in the issue phase and used
# once, as the peer measures), signup (the same with the strangers' links: each redeem also makes
# the user; an unmeasured top-up of starts for fresh addresses keeps both pools ahead of the
# rate), session (GET /v1/session with one bearer token), healthz; then rss_mb=<peak RSS of the
# server>.

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
  bench_import_users "$build" '$1 % 3 != 0'

  bench_warm_up_starts
  # Delivery must keep pace: the messages delivered in the same 10 s, and those still waiting
  # at its end, are written beside the starts.
  local sent_before sent_after waiting
  read -r sent_before waiting < <(bench_outbox_counts)
  BENCH_USERS=100000 wrk -t2 -c50 -d10s --latency -s bench/http/issue.lua "$base" >"$work/issue.txt"
  read -r sent_after waiting < <(bench_outbox_counts)
  echo "$plugin/issue $(wrk_result "$work/issue.txt") delivered_rps=$(((sent_after - sent_before) / 10)) waiting=$waiting" >>"$results"
  bench_redeem_pools "$work/issue.txt"
  local phase
  for phase in verify signup; do
    TOKENS="$work/$phase" BENCH_THREADS=2 wrk -t2 -c50 -d2s --latency \
      -s bench/http/verify.lua "$base" >"$work/$phase.txt"
    echo "$plugin/$phase $(wrk_result "$work/$phase.txt") exhausted=$(grep -o 'exhausted=[0-9]*' "$work/$phase.txt" | cut -d= -f2 | awk '{s+=$1} END{print s+0}') pool=$(wc -l <"$work/$phase")" >>"$results"
  done

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
