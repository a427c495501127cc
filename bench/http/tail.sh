#!/usr/bin/env bash
# What sign-in starts' latency is made of at 50 connections: 10 s of starts (wrk 2 x 50, after a
# warm-up and the outbox drained, as pace.sh runs them), then
#   - wrk's whole distribution (p1 to p99.9) and its mean;
#   - inside the server, from /metrics over the same 10 s: the time from a request's last byte to
#     its answer, and of it the wait for the commit holding its rows (queue and commit) and the
#     wait from that commit's end until the thread ran again (the kernel's run queue); what is
#     left of wrk's mean was spent outside the handler (socket queue, wrk itself);
#   - how the answers came: in bursts (a commit wakes its batch together), and the gaps between
#     them of 5 ms and more, when no answer came at all;
#   - the writer threads' time on a CPU and waiting for one (/proc/<tid>/schedstat).
# The experiments of docs/performance.md ("What a start's p99 is made of") change the scheduling
# of the server's threads after the warm-up; each is one variable:
#   WRITER_FIFO=1    the SQLite writer threads real-time (SCHED_FIFO 1; needs root)
#   OTHERS_NICE=5    every other server thread at that nice value
#   OTHERS_BATCH=1   every other server thread SCHED_BATCH (no wake-up preemption)
#   CLIENT_NICE=-10  wrk at that nice value (negative needs root)
#
#   scripts/build && bench/http/tail.sh
#   TOKEN=stateful bench/http/tail.sh
#   BUILD=/other/build WRITER_FIFO=1 bench/http/tail.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
. bench/http/serve.sh
bench_begin
bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"

BENCH_USERS=100000 wrk -t2 -c50 -d2s -s bench/http/issue.lua "$base" >/dev/null
bench_wait_drained

threads_named() {  # the server's thread ids whose name is (or, with "not", is not) $2
  for task in /proc/"$server"/task/*; do
    if { [ "$(cat "$task/comm")" = "$2" ] && [ "$1" = is ]; } ||
      { [ "$(cat "$task/comm")" != "$2" ] && [ "$1" = not ]; }; then
      echo "${task##*/}"
    fi
  done
}
if [ -n "${WRITER_FIFO:-}" ]; then
  for t in $(threads_named is lg-commit); do chrt -f -p 1 "$t"; done
fi
if [ -n "${OTHERS_NICE:-}" ]; then
  for t in $(threads_named not lg-commit); do renice -n "$OTHERS_NICE" -p "$t" >/dev/null; done
fi
if [ -n "${OTHERS_BATCH:-}" ]; then
  for t in $(threads_named not lg-commit); do chrt -b -p 0 "$t"; done
fi
writers_schedstat() {  # "<ns on a CPU> <ns waiting for one>", the writer threads together
  for t in $(threads_named is lg-commit); do cat "/proc/$server/task/$t/schedstat"; done |
    awk '{ run += $1; wait += $2 } END { printf "%d %d\n", run, wait }'
}

mkdir -p "$work/tail"
curl -s "$base/metrics" >"$work/tail/metrics.before"
read -r run_before wait_before < <(writers_schedstat)
read -r sent_before _ < <(bench_outbox_counts)
TAIL_DIR="$work/tail" BENCH_USERS=100000 BENCH_FIRST=20000 ${CLIENT_NICE:+nice -n "$CLIENT_NICE"} \
  wrk -t2 -c50 -d10s --latency -s bench/http/tail.lua "$base" >"$work/tail/wrk.txt"
read -r run_after wait_after < <(writers_schedstat)
curl -s "$base/metrics" >"$work/tail/metrics.after"
read -r sent_after waiting < <(bench_outbox_counts)

echo "starts:    $(bench_wrk_summary "$work/tail/wrk.txt")"
echo "delivered: $(((sent_after - sent_before) / 10))/s in the same 10 s, $waiting waiting at its end"
awk -v run=$((run_after - run_before)) -v wait=$((wait_after - wait_before)) 'BEGIN {
  printf "writers:   %.0f ms/s on a CPU, %.0f ms/s waiting for one\n", run / 1e7, wait / 1e7 }'
/usr/bin/python3 - "$work/tail" <<'PY'
import glob, re, sys
folder = sys.argv[1]

def histograms(path):
    """name -> {"le": {bound: cumulative}, "sum": s, "count": n} for the series of interest."""
    found = {}
    for line in open(path):
        m = re.match(r'(linkgate_sqlite_commit_(?:wait|wake)_seconds|linkgate_http_request_seconds)'
                     r'_(bucket|sum|count)(\{[^}]*\})? (\S+)', line)
        if not m or (m.group(1) == "linkgate_http_request_seconds"
                     and 'route="/v1/magic-links"' not in (m.group(3) or "")):
            continue
        h = found.setdefault(m.group(1), {"le": {}, "sum": 0.0, "count": 0.0})
        if m.group(2) == "bucket":
            le = re.search(r'le="([^"]+)"', m.group(3)).group(1)
            h["le"][float("inf") if le == "+Inf" else float(le)] = float(m.group(4))
        else:
            h[m.group(2)] = float(m.group(4))
    return found

before, after = histograms(folder + "/metrics.before"), histograms(folder + "/metrics.after")

def summary(name):
    if name not in after:
        return "not reported (a PostgreSQL store?)"
    b = before.get(name, {"le": {}, "sum": 0.0, "count": 0.0})
    a = after[name]
    count = a["count"] - b["count"]
    if count <= 0:
        return "none"
    bounds = sorted(a["le"])
    cumulative = [a["le"][x] - b["le"].get(x, 0.0) for x in bounds]
    def percentile(q):  # linear within the bucket that holds it, as Prometheus does
        rank, lower, below = q * count, 0.0, 0.0
        for bound, total in zip(bounds, cumulative):
            if total >= rank:
                if bound == float("inf"):
                    return "> %.0f" % (lower * 1000)
                share = (rank - below) / (total - below) if total > below else 1.0
                return "%.2f" % ((lower + (bound - lower) * share) * 1000)
            lower, below = bound, total
        return "?"
    mean = (a["sum"] - b["sum"]) / count * 1000
    return "mean %.2f ms, p50 %s, p90 %s, p99 %s (%d)" % (
        mean, percentile(0.5), percentile(0.9), percentile(0.99), count)

client = dict(line.split() for line in open(folder + "/percentiles"))
print("wrk:       mean %s ms; %s" % (client["mean"], ", ".join(
    "%s %s" % (k, client[k]) for k in ["p1", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99.9"])))
print("in server: %s" % summary("linkgate_http_request_seconds"))
print("  commit:  %s" % summary("linkgate_sqlite_commit_wait_seconds"))
print("  wake:    %s" % summary("linkgate_sqlite_commit_wake_seconds"))

answers = sorted(int(x) for f in glob.glob(folder + "/answers.*") for x in open(f))
gaps = [b - a for a, b in zip(answers, answers[1:])]
bursts = 1 + sum(1 for g in gaps if g > 500)
long_gaps = [g for g in gaps if g >= 5000]
span = (answers[-1] - answers[0]) / 1000 if answers else 0
print("answers:   %d in %.0f ms, in %d bursts (answers less than 0.5 ms apart; %.1f a burst);"
      " %d gaps of 5 ms or more, %.0f ms in all" % (
          len(answers), span, bursts, len(answers) / bursts, len(long_gaps), sum(long_gaps) / 1000))
PY
