#!/usr/bin/env bash
# What a p99 of 10 ms at 50 connections would take on this machine (docs/performance.md, "What a
# p99 of 10 ms would take: a model of the path"). Measures linkgate's sign-in starts as pace.sh
# runs them (10 s, wrk 2 x 50, after a warm-up and the outbox drained), or with PHASE=redeem its
# link redeems as waits.sh runs them, and where their CPU went by thread: request threads
# (lg-http), the SQLite writers (lg-commit: the core store's, and the users plugin's when a redeem
# makes a user), the rest (delivery, checkpoints, the log). Then build/model_server
# (bench/http/model_server.cpp) answers the same wrk load with that CPU spent in calibrated loops
# and nothing else — no database, no file, no lock but its queue's — in each shape $SHAPES names
# (by default all but leader), at the measured cost and at smaller fractions of it:
#   linkgate's  the request thread spends its share (four fifths before the commit, a fifth after),
#               sleeps until one writer thread has spent the writer's share for each write of the
#               batch holding its own, then answers; delivery's share is spent after the answer by
#               two threads in batches; places as the front end keeps them (4 running, 64 threads);
#   continued   the same costs, but a request's thread queues the write and goes on to other
#               requests; the writer hands each commit's connections back in one batch, answered by
#               whichever of 4 threads takes it (the "request continued by the committer" that
#               earlier sections of the doc named as the way to fewer thread switches);
#   leader      (SHAPES=leader) as linkgate's, but no writer thread: the caller that finds no commit
#               under way commits what is queued, its own among it, then wakes the rest;
#   ideal       every microsecond on the thread that read the request, two threads, nothing else:
#               the least any server with this CPU cost per request could wait here.
# Each line: requests/s, wrk's mean, p50, p90, p99, and the server's CPU per request as measured
# (loops, system calls and thread switches; the model's own costs land it a little off the mark).
#
#   scripts/build && bench/http/model.sh
#   SCALES="1 0.5 0.3" bench/http/model.sh
#   PHASE=redeem bench/http/model.sh         # link redeems (each link once, 4 s while links last)
#   RETURNING=1 PHASE=redeem bench/http/model.sh   # every address already a user (no sign-ups)
#   TOKEN=stateful bench/http/model.sh
#   SHAPES="linkgate leader" SCALES=0.5 bench/http/model.sh   # group commit without a writer thread
#   FLOOR=1 bench/http/model.sh              # the model at a start's floor instead (below)
#   FLOOR=1 PHASE=redeem EXTRA_US=20 bench/http/model.sh   # a redeem's, and 20 us more
#
# FLOOR=1 does not measure linkgate: it has the model spend, in each shape, only what no server of
# the shape the issue requires could skip for a jwt start on this machine — the link's ES256
# signature on the request's thread (one core's time per signature from `openssl speed`, in the
# same run) and the database rows of a start and of its delivery as the shipped SQLite stores
# write them (build/sql_bench's AStartsRowsAndTheirDelivery, on the writer and after the answer),
# with the model's own HTTP handling for linkgate's. Nothing else a start does is in it: no user
# look-up, body parsing, rate limit, code, template, delivery file or log line. With PHASE=redeem
# the floor is the crypto alone: the link's ES256 verify and the session's signature (`openssl
# speed`), no row at all. EXTRA_US=<us> adds that much to the request's thread, for how much of
# the rest the tail has room for. FLOOR_SCALES="1 0.75" also runs the floor scaled down, as a
# faster host would make it (the model's own HTTP handling and wrk stay as fast as they are: an
# upper bound for such a host's p99). FILES=1 adds the development channel's file per message to
# every shape, written for real by the delivery threads as the channel writes it (an unnamed file,
# written, linked under its name; one syncfs per batch): what the embedded default's delivery asks
# of the kernel beyond its rows, which no calibrated loop stands in for. (The ideal shape then
# keeps two delivery threads for the files.)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
PHASE=${PHASE:-start}
SCALES=${SCALES:-1 0.75 0.5}
SHAPES=${SHAPES:-linkgate continued ideal}
. bench/http/serve.sh
bench_begin
hz=$(getconf CLK_TCK)
[ -x "$BUILD/model_server" ] || { echo "no $BUILD/model_server: scripts/build first" >&2; exit 1; }
read -r signs verifies < <(openssl speed -seconds 3 ecdsap256 2>/dev/null |
  awk '/256 bits ecdsa/{print $(NF-1), $NF}')
echo "openssl speed ecdsap256: $signs signs/s, $verifies verifies/s on one core"

# "<name> <ticks>" for each thread of process $1.
thread_ticks() {
  for task in /proc/"$1"/task/*; do echo "$(tr ' ' _ <"$task/comm") $(awk '{print $14 + $15}' "$task/stat")"; done
}
# "<requests/s> <mean> <p50> <p90> <p99>" from a wrk --latency report.
wrk_line() {
  awk '/Requests\/sec/{r = $2} /^ +Latency +[0-9]/{mean = $2} /^ +50%/{p50 = $2} /^ +90%/{p90 = $2}
       /^ +99%/{p99 = $2} END {printf "%7.0f/s mean %8s p50 %8s p90 %8s p99 %8s", r, mean, p50, p90, p99}' "$1"
}

if [ -n "${FLOOR:-}" ]; then
  [ "$TOKEN" = jwt ] || { echo "FLOOR=1 models jwt starts and redeems only" >&2; exit 1; }
  # The model answers any request alike: the starts' script makes its load.
  export BENCH_USERS=100000 BENCH_FIRST=20000
  load=(-s bench/http/issue.lua)
  SCALES=${FLOOR_SCALES:-1}
  before_share=1  # nothing after the commit but the answer
  if [ "$PHASE" = redeem ]; then
    read -r verify sign < <(awk -v s="$signs" -v v="$verifies" 'BEGIN {printf "%.1f %.1f\n", 1e6 / v, 1e6 / s}')
    echo "a redeem's floor: the link's verify $verify us and the session's signature $sign us," \
      "nothing else (no row, no look-up)"
    http=$(awk -v v="$verify" -v s="$sign" -v e="${EXTRA_US:-0}" 'BEGIN {print v + s + e}')
    commit=0
    rest=0
  else
    [ -x "$BUILD/sql_bench" ] || { echo "no $BUILD/sql_bench: scripts/build first" >&2; exit 1; }
    # With the allocator the server links (LINKGATE_TCMALLOC), where it is installed.
    tcmalloc=$(ls /usr/lib/*/libtcmalloc_minimal.so.4 2>/dev/null | head -n 1 || true)
    LD_PRELOAD=$tcmalloc "$BUILD/sql_bench" --benchmark_filter=AStartsRowsAndTheirDelivery \
      --benchmark_min_time=2 --benchmark_format=csv 2>/dev/null >"$work/floor.csv"
    # The start's rows: the writer's time (the bench's thread only waits for it). The rest of the
    # process's CPU with their delivery: the claims, the erasing outcomes and the checkpoints.
    read -r sign commit rest < <(awk -F, -v signs="$signs" '
      /delivered:0/ {rows = $3} /delivered:1/ {all = $4}
      END {printf "%.1f %.1f %.1f\n", 1e6 / signs, rows, all - rows}' "$work/floor.csv")
    echo "a start's floor: the signature $sign us, its rows $commit us on the writer," \
      "their delivery and checkpoints $rest us"
    http=$(awk -v s="$sign" -v e="${EXTRA_US:-0}" 'BEGIN {print s + e}')
  fi
else
  bench_serve_token "$BUILD" "$TOKEN"
  base="http://127.0.0.1:$port"
  if [ -n "${RETURNING:-}" ]; then
    bench_import_users "$BUILD"
  fi
  if [ "$PHASE" = redeem ]; then
    # Links for the redeems (the newest of each address, each redeemed once), as waits.sh makes them.
    BENCH_USERS=100000 wrk -t2 -c50 -d12s -s bench/http/issue.lua "$base" >/dev/null
    bench_wait_drained
    bench_newest_tokens "$work/data/outbox" >"$work/tokens"
    export TOKENS="$work/tokens" BENCH_THREADS=2
    load=(-s bench/http/verify.lua)
    seconds=4  # while links last
  else
    export BENCH_USERS=100000 BENCH_FIRST=20000
    BENCH_FIRST=0 wrk -t2 -c50 -d2s -s bench/http/issue.lua "$base" >/dev/null
    bench_wait_drained
    load=(-s bench/http/issue.lua)
    seconds=10
  fi
  thread_ticks "$server" >"$work/threads.before"
  wrk -t2 -c50 -d${seconds}s --latency "${load[@]}" "$base" >"$work/linkgate.txt"
  thread_ticks "$server" >"$work/threads.after"
  answered=$(awk '/requests in/{print $1}' "$work/linkgate.txt")
  read -r http commit rest < <(awk -v hz="$hz" -v answered="$answered" '
    NR == FNR { before[$1] += $2; next }
    { after[$1] += $2 }
    END {
      for (name in after) {
        us = (after[name] - before[name]) / hz * 1e6 / answered
        if (name == "lg-http") http += us; else if (name == "lg-commit") commit += us; else rest += us
      }
      printf "%.0f %.0f %.0f\n", http, commit, rest
    }' "$work/threads.before" "$work/threads.after")
  kill "$server" && wait "$server" 2>/dev/null || true
  server=""
  echo "linkgate $TOKEN ${PHASE}s: $(wrk_line "$work/linkgate.txt"); server $((http + commit + rest)) us each:" \
    "request threads $http, writer $commit, the rest $rest"
fi

# model <label> <model_server options...>: 10 s of the same load after 2 s of warm-up.
model() {
  local label=$1
  shift
  [ -z "${FILES:-}" ] || mkdir -p "$work/files"
  "$BUILD/model_server" "$@" >"$work/model.log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 50); do
    port=$(awk '/^listening on/{print $3}' "$work/model.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  wrk -t2 -c50 -d2s "${load[@]}" "http://127.0.0.1:$port" >/dev/null
  [ -z "${FILES:-}" ] || sync
  local before
  before=$(bench_server_cpu_ticks)
  wrk -t2 -c50 -d10s --latency "${load[@]}" "http://127.0.0.1:$port" >"$work/model.txt"
  local ticks=$(($(bench_server_cpu_ticks) - before))
  local requests
  requests=$(awk '/requests in/{print $1}' "$work/model.txt")
  kill "$server" && wait "$server" 2>/dev/null || true
  server=""
  rm -rf "$work/files"
  echo "  $label $(wrk_line "$work/model.txt"); server $(awk -v t="$ticks" -v hz="$hz" -v n="$requests" \
    'BEGIN {printf "%.0f", t / hz * 1e6 / n}') us/request"
}

for scale in $SCALES; do
  read -r before after write background < <(awk -v s="$scale" -v h="$http" -v c="$commit" \
    -v r="$rest" -v f="${before_share:-0.8}" \
    'BEGIN {printf "%.1f %.1f %.1f %.1f\n", f * h * s, (1 - f) * h * s, c * s, r * s}')
  all=$(awk -v a="$before" -v b="$after" -v c="$write" -v d="$background" 'BEGIN {print a + b + c + d}')
  if [ -n "${FLOOR:-}" ]; then
    echo "model at $scale of a $PHASE's floor${EXTRA_US:+ and $EXTRA_US us more} ($all us):"
  else
    echo "model at $scale of linkgate's CPU per $PHASE ($all us):"
  fi
  costs=(--before-us "$before" --after-us "$after" --write-us "$write" --background-us "$background")
  files=()
  if [ -n "${FILES:-}" ]; then
    files=(--files-dir "$work/files")
    costs+=("${files[@]}")
  fi
  for shape in $SHAPES; do
    case $shape in
      linkgate) model "linkgate's shape" --shape blocking --threads 64 --places 4 "${costs[@]}" ;;
      leader) model "leader          " --shape leader --threads 64 --places 4 "${costs[@]}" ;;
      continued) model "continued       " --shape continued --threads 4 "${costs[@]}" ;;
      ideal) model "ideal           " --shape inline --threads 2 --before-us "$all" \
        --background-threads "$([ -n "${FILES:-}" ] && echo 2 || echo 0)" "${files[@]}" ;;
      *) echo "SHAPES: linkgate, leader, continued, ideal" >&2; exit 1 ;;
    esac
  done
done
