#!/usr/bin/env bash
# What one `GET /v1/session` costs the server beyond its ES256 verify: wrk sends one bearer token
# over 2 threads x 50 connections while `perf stat` counts, over 3 s, the server's system calls by
# kind, its context switches and its CPU time; printed per request answered in those 3 s (the
# server's own count), in all and by thread. Paired runs (BUILD= one build,
# then another, then again) are how docs/performance.md compares changes to the request path.
#
# PHASE=start counts sign-in starts instead (jwt, 100,000 addresses, after a warm-up and the
# outbox drained), with their deliveries in the same window: the development channel's files and
# syncs among the kinds. PHASE=redeem counts link redeems: 10 s of starts for 100,000 addresses
# (RETURNING=1: all of them users first), then each address's newest link redeemed once.
#
#   scripts/build && bench/http/syscalls.sh
#   BUILD=/other/build bench/http/syscalls.sh
#   PHASE=start bench/http/syscalls.sh
#   RETURNING=1 PHASE=redeem bench/http/syscalls.sh
#
# ALLOCATIONS=1 also counts calls to the allocator (tcmalloc's operator new and malloc, by
# uprobes on the library the server maps; every kind of `new` is one entry point there). The
# probes slow the server several-fold, so the rate and CPU of such a run are not comparable:
# read only the counts per request from it.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin perf

bench_serve_token "$BUILD" jwt
base="http://127.0.0.1:$port"
kinds="futex recvfrom sendto write fcntl getpid epoll_wait epoll_ctl pread64 pwrite64"
if [ "${PHASE:-session}" = start ]; then
  export BENCH_USERS=100000
  load=(-s bench/http/issue.lua "$base")
  label="sign-in starts"
  kinds="$kinds openat linkat close syncfs"
  wrk -t2 -c50 -d2s "${load[@]}" >/dev/null
  bench_wait_drained
  export BENCH_FIRST=20000
elif [ "${PHASE:-session}" = redeem ]; then
  if [ -n "${RETURNING:-}" ]; then
    bench_import_users "$BUILD"
  fi
  BENCH_USERS=100000 wrk -t2 -c50 -d10s -s bench/http/issue.lua "$base" >/dev/null
  bench_wait_drained
  bench_newest_tokens "$work/data/outbox" >"$work/tokens"
  export TOKENS="$work/tokens" BENCH_THREADS=2
  load=(-s bench/http/verify.lua "$base")
  label="link redeems"
  kinds="$kinds openat close"
  wrk -t2 -c50 -d1s "${load[@]}" >/dev/null
else
  access=$(bench_access_token "$base" syscalls-bench@example.com)
  load=(-H "Authorization: Bearer $access" "$base/v1/session")
  label="GET /v1/session"
  wrk -t2 -c50 -d2s "${load[@]}" >/dev/null
fi
events="raw_syscalls:sys_enter,context-switches,task-clock"
if [ -n "${ALLOCATIONS:-}" ]; then
  allocator=$(awk '/libtcmalloc_minimal/ && !found {print $6; found = 1}' "/proc/$server/maps")
  [ -n "$allocator" ] || { echo "ALLOCATIONS=1: the server does not map tcmalloc" >&2; exit 1; }
  for symbol in _Znwm malloc; do
    offset=$(nm -D "$allocator" | awk -v s="$symbol" '$3 == s && !found {print $1; found = 1}')
    perf probe -q -x "$allocator" -a "lg_$symbol=0x$offset"
    events="$events,probe_libtcmalloc_minimal:lg_$symbol"
  done
  trap 'perf probe -q -d "probe_libtcmalloc_minimal:lg_*" 2>/dev/null || true
    [ -n "$server" ] && { kill $server; wait $server; } 2>/dev/null; bench_discard "$work"' EXIT
fi
for k in $kinds; do events="$events,syscalls:sys_enter_$k"; done
# Requests answered, from the server's own count read at both ends of the counted window (by the
# command perf counts while it runs): wrk's average over its 4 s is not the rate in those 3 s.
window=3  # seconds counted
answered="curl -s $base/metrics | awk '/^linkgate_http_requests_total/ { n += \$NF } END { print n + 0 }'"
(sleep 0.5
  perf stat --per-thread -x, -e "$events" -p "$server" -o "$work/stat.csv" -- \
    bash -c "$answered; sleep $window; $answered" >"$work/answered" 2>/dev/null) &
counting=$!
wrk -t2 -c50 -d4s "${load[@]}" >"$work/wrk.txt"
grep exhausted "$work/wrk.txt" || true
wait $counting
requests=$(awk 'NR == 1 { first = $1 } NR == 2 { print $1 - first }' "$work/answered")
[ "${requests:-0}" -gt 0 ] || { echo "no requests answered in the counted window (/metrics?)" >&2; exit 1; }
echo "$label: $((requests / window))/s in the $window s counted ($(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")/s over wrk's 4 s)"
# perf's lines are "<thread name>-<tid>,<count>,<unit>,<event>,...": summed over the threads, then
# the kinds that most often cost a switch or a page by the server's thread names.
awk -F, -v requests="$requests" '
  function label(e) {
    sub(/^syscalls:sys_enter_/, "", e); sub(/^raw_syscalls:sys_enter$/, "all system calls", e)
    sub(/^probe_libtcmalloc_minimal:lg__Znwm$/, "operator new", e)
    sub(/^probe_libtcmalloc_minimal:lg_malloc$/, "malloc", e)
    return e
  }
  $4 ~ /^(raw_syscalls|syscalls|context|task|probe_libtcmalloc)/ {
    e = label($4); if (!(e in total)) order[++n] = e; total[e] += $2
    thread = $1; sub(/-[0-9]+$/, "", thread); threads[thread] = 1; by[thread, e] += $2
  }
  END {
    for (i = 1; i <= n; i++) {
      e = order[i]
      if (e == "task-clock") printf "  %-18s %7.1f us per request\n", "server CPU", total[e] * 1000 / requests
      else printf "  %-18s %7.2f per request\n", e, total[e] / requests
    }
    printf "  by thread, per request:  %-9s %-9s %-9s %-9s %-9s %-9s\n", "CPU us", "syscalls", "switches", "futex", "fcntl", "pread64"
    for (t in threads) {
      if (by[t, "task-clock"] * 1000 / requests < 0.5) continue
      printf "    %-22s %-9.1f %-9.2f %-9.2f %-9.2f %-9.2f %-9.2f\n", t, by[t, "task-clock"] * 1000 / requests,
        by[t, "all system calls"] / requests, by[t, "context-switches"] / requests,
        by[t, "futex"] / requests, by[t, "fcntl"] / requests, by[t, "pread64"] / requests
    }
  }' "$work/stat.csv"
