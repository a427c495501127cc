#!/usr/bin/env bash
# What sign-in starts' latency is made of at 50 connections: 10 s of starts (wrk 2 x 50, after a
# warm-up and the outbox drained, as pace.sh runs them) — or, with PHASE=redeem, link redeems as
# the table's redeem phase runs them (bench/http/phases.sh: 10 s of starts over 100,000 addresses,
# two of three users, 8 s more, the outbox drained, 1 s of warm-up redeems, then 2 s of returning
# users' redeems, each link used once) — then
#   - wrk's whole distribution (p1 to p99.9) and its mean;
#   - inside the server, from /metrics over the same window: the time from a request's last byte to
#     its answer, and of it the wait for the commit holding its rows (queue and commit) and the
#     wait from that commit's end until the thread ran again (the kernel's run queue); what is
#     left of wrk's mean was spent outside the handler (socket queue, wrk itself);
#   - how the answers came: in bursts (a commit wakes its batch together), and the gaps between
#     them of 5 ms and more, when no answer came at all;
#   - the core store's writer thread's time on a CPU and waiting for one (/proc/<tid>/schedstat),
#     and the commits it made per second with the writes per commit;
#   - every thread on the machine that ran 5 ms or more meanwhile, by name (the server's, the
#     kernel's, wrk's), the disk's reads and writes, and the core store's files before and after.
# The experiments of docs/performance.md ("What a start's latency is made of at 50 connections")
# change the scheduling of the server's threads after the warm-up; each is one variable:
#   WRITER_FIFO=1    the SQLite writer threads real-time (SCHED_FIFO 1; needs root)
#   WRITER_SLICE_US=100  the writer threads' slice (sched_setattr runtime; EEVDF, Linux 6.6+)
#   OTHERS_NICE=5    every other server thread at that nice value
#   OTHERS_BATCH=1   every other server thread SCHED_BATCH (no wake-up preemption)
#   CLIENT_NICE=-10  wrk at that nice value (negative needs root)
#
#   scripts/build && bench/http/tail.sh
#   TOKEN=stateful bench/http/tail.sh
#   PHASE=redeem bench/http/tail.sh                 # returning users' redeems (jwt)
#   PHASE=redeem MEASURE_SECONDS=6 bench/http/tail.sh
#   BUILD=/other/build WRITER_FIFO=1 bench/http/tail.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKEN=${TOKEN:-jwt}
. bench/http/serve.sh
bench_begin
bench_serve_token "$BUILD" "$TOKEN"
base="http://127.0.0.1:$port"

PHASE=${PHASE:-start}
case $PHASE in
  start)
    MEASURE_SECONDS=${MEASURE_SECONDS:-10}
    bench_warm_up_starts
    bench_wait_drained
    ;;
  redeem)
    MEASURE_SECONDS=${MEASURE_SECONDS:-2}
    bench_import_users "$BUILD" '$1 % 3 != 0'
    bench_warm_up_starts
    BENCH_USERS=100000 wrk -t2 -c50 -d10s -s bench/http/issue.lua "$base" >"$work/issue.txt"
    bench_redeem_pools "$work/issue.txt"
    ;;
  *) echo "PHASE: start or redeem" >&2; exit 1 ;;
esac

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
if [ -n "${WRITER_SLICE_US:-}" ]; then
  # sched_setattr(2) with SCHED_OTHER and a runtime: the slice EEVDF (Linux 6.6+) gives the thread.
  for t in $(threads_named is lg-commit); do
    /usr/bin/python3 - "$t" "$((WRITER_SLICE_US * 1000))" <<'PY'
import ctypes, os, sys
class Attr(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("policy", ctypes.c_uint32), ("flags", ctypes.c_uint64),
                ("nice", ctypes.c_int32), ("priority", ctypes.c_uint32), ("runtime", ctypes.c_uint64),
                ("deadline", ctypes.c_uint64), ("period", ctypes.c_uint64),
                ("util_min", ctypes.c_uint32), ("util_max", ctypes.c_uint32)]
attr = Attr(size=ctypes.sizeof(Attr), runtime=int(sys.argv[2]))
libc = ctypes.CDLL(None, use_errno=True)
if libc.syscall(314, int(sys.argv[1]), ctypes.byref(attr), 0) != 0:  # SYS_sched_setattr, x86-64
    sys.exit("sched_setattr: " + os.strerror(ctypes.get_errno()))
PY
  done
fi
if [ -n "${OTHERS_NICE:-}" ]; then
  for t in $(threads_named not lg-commit); do renice -n "$OTHERS_NICE" -p "$t" >/dev/null; done
fi
if [ -n "${OTHERS_BATCH:-}" ]; then
  for t in $(threads_named not lg-commit); do chrt -b -p 0 "$t"; done
fi
# "<tid> <name> <ns on a CPU>" for every thread on the machine.
all_threads_schedstat() {
  for task in /proc/[0-9]*/task/[0-9]*; do
    local name run
    name=$(cat "$task/comm" 2>/dev/null) && read -r run _ <"$task/schedstat" 2>/dev/null || continue
    echo "${task##*/} ${name// /_} $run"
  done | sort
}
disk_counts() {  # "<device> <reads> <sectors read> <writes> <sectors written>" of real disks
  awk '$3 !~ /^(loop|ram)/ {print $3, $4, $6, $8, $10}' /proc/diskstats
}
store_files() { ls -l "$work/data" | awk '/outbox\.db/ {printf " %s %.1f MiB", $NF, $5 / 1048576}'; }
writers_schedstat() {  # "<tid> <ns on a CPU> <ns waiting for one>" for each writer thread
  for t in $(threads_named is lg-commit); do echo "$t $(cat "/proc/$server/task/$t/schedstat")"; done
}

mkdir -p "$work/tail"
files_before=$(store_files)
all_threads_schedstat >"$work/tail/threads.before"
disk_counts >"$work/tail/disk.before"
curl -s "$base/metrics" >"$work/tail/metrics.before"
writers_schedstat >"$work/tail/writers.before"
read -r sent_before _ < <(bench_outbox_counts)
if [ "$PHASE" = start ]; then
  TAIL_DIR="$work/tail" BENCH_USERS=100000 BENCH_FIRST=20000 ${CLIENT_NICE:+nice -n "$CLIENT_NICE"} \
    wrk -t2 -c50 -d"${MEASURE_SECONDS}s" --latency -s bench/http/tail.lua "$base" >"$work/tail/wrk.txt"
else
  TAIL_DIR="$work/tail" TAIL_SCRIPT=bench/http/verify.lua TOKENS="$work/verify" BENCH_THREADS=2 \
    ${CLIENT_NICE:+nice -n "$CLIENT_NICE"} \
    wrk -t2 -c50 -d"${MEASURE_SECONDS}s" --latency -s bench/http/tail.lua "$base" >"$work/tail/wrk.txt"
fi
writers_schedstat >"$work/tail/writers.after"
curl -s "$base/metrics" >"$work/tail/metrics.after"
disk_counts >"$work/tail/disk.after"
all_threads_schedstat >"$work/tail/threads.after"
read -r sent_after waiting < <(bench_outbox_counts)

if [ "$PHASE" = start ]; then
  echo "starts:    $(bench_wrk_summary "$work/tail/wrk.txt")"
  echo "delivered: $(((sent_after - sent_before) / MEASURE_SECONDS))/s in the same ${MEASURE_SECONDS} s, $waiting waiting at its end"
else
  echo "redeems:   $(bench_wrk_summary "$work/tail/wrk.txt") ($(grep -o 'exhausted=[0-9]*' "$work/tail/wrk.txt") past the pool's end)"
fi
echo "threads that ran 5 ms or more meanwhile (ms on a CPU, by name):"
join "$work/tail/threads.before" "$work/tail/threads.after" |
  awk '{ ran[$2] += $5 - $3 } END { for (t in ran) if (ran[t] >= 5e6) printf "  %-28s %6.0f\n", t, ran[t] / 1e6 }' |
  sort -k2 -n -r
join "$work/tail/disk.before" "$work/tail/disk.after" |
  awk '$6 > $2 || $8 > $4 { printf "disk:      %s %d reads (%.1f MiB), %d writes (%.1f MiB)\n",
       $1, $6 - $2, ($7 - $3) / 2048, $8 - $4, ($9 - $5) / 2048 }'
echo "files:     before$files_before; after$(store_files)"
# The busiest writer is the core store's (the users plugin's database has its own, idle here).
awk 'NR == FNR { run[$1] = $2; wait[$1] = $3; next }
     $2 - run[$1] > best { best = $2 - run[$1]; waited = $3 - wait[$1] }
     END { printf "writer:    %.0f ms/s on a CPU, %.0f ms/s waiting for one\n", best / 1e6 / s, waited / 1e6 / s }' s="$MEASURE_SECONDS" \
  "$work/tail/writers.before" "$work/tail/writers.after"
ROUTE=$([ "$PHASE" = start ] && echo /v1/magic-links || echo /v1/magic-links/verify) \
  /usr/bin/python3 - "$work/tail" "$MEASURE_SECONDS" <<'PY'
import glob, os, re, sys
folder, seconds = sys.argv[1], float(sys.argv[2])
route = 'route="%s"' % os.environ["ROUTE"]

def histograms(path):
    """name -> {"le": {bound: cumulative}, "sum": s, "count": n} for the histograms of interest,
    name -> value for the commit counters."""
    found = {}
    for line in open(path):
        counter = re.match(r'(linkgate_sqlite_commit(?:s|_writes)_total) (\S+)', line)
        if counter:
            found[counter.group(1)] = float(counter.group(2))
            continue
        m = re.match(r'(linkgate_sqlite_commit_(?:wait|wake)_seconds|linkgate_http_request_seconds)'
                     r'_(bucket|sum|count)(\{[^}]*\})? (\S+)', line)
        if not m or (m.group(1) == "linkgate_http_request_seconds"
                     and route not in (m.group(3) or "")):
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
if "linkgate_sqlite_commits_total" in after:
    commits = after["linkgate_sqlite_commits_total"] - before.get("linkgate_sqlite_commits_total", 0)
    writes = (after["linkgate_sqlite_commit_writes_total"]
              - before.get("linkgate_sqlite_commit_writes_total", 0))
    print("  commits: %.0f/s, %.1f writes each" % (commits / seconds, writes / max(commits, 1)))

answers = sorted(int(x) for f in glob.glob(folder + "/answers.*") for x in open(f))
gaps = [b - a for a, b in zip(answers, answers[1:])]
bursts = 1 + sum(1 for g in gaps if g > 500)
long_gaps = [g for g in gaps if g >= 5000]
span = (answers[-1] - answers[0]) / 1000 if answers else 0
print("answers:   %d in %.0f ms, in %d bursts (answers less than 0.5 ms apart; %.1f a burst);"
      " %d gaps of 5 ms or more, %.0f ms in all" % (
          len(answers), span, bursts, len(answers) / bursts, len(long_gaps), sum(long_gaps) / 1000))
PY
