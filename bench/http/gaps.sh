#!/usr/bin/env bash
# What the two cores run while the server answers nothing: 3 s of sign-in starts at 50 connections
# (wrk 2 x 50 after 2 s of warm-up), every thread switch on every CPU and every answer the server
# sends recorded (`perf record -a -e sched:sched_switch,syscalls:sys_enter_sendto`), then each
# stretch of 5 ms or more between two answers (a "gap", as tail.sh counts them) is taken apart:
# for how long each kind of thread — the request threads, the writer, the checkpointer, the outbox
# workers, wrk, the kernel's own, the idle loop — held a CPU during the gaps, against the same
# outside them. The answer to "where does the tail come from" when no single wait explains it.
#
#   scripts/build && bench/http/gaps.sh
#   GAP_MS=3 TOKEN=stateful bench/http/gaps.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin perf
bench_serve_token "$BUILD" "${TOKEN:-jwt}"
base="http://127.0.0.1:$port"
bench_warm_up_starts
bench_wait_drained
(sleep 0.5; perf record -q -a -g -e sched:sched_switch -e syscalls:sys_enter_sendto \
  -o "$work/gaps.data" -- sleep 3 >/dev/null 2>&1 || true) &
recording=$!
BENCH_USERS=100000 wrk -t2 -c50 -d4s --latency -s bench/http/issue.lua "$base" >"$work/starts.txt"
wait $recording
echo "starts: $(bench_wrk_summary "$work/starts.txt") (over 4 s; 3 s of it recorded)"
perf script -i "$work/gaps.data" -F pid,tid,cpu,time,event,trace,ip,sym 2>/dev/null >"$work/gaps.txt"
/usr/bin/python3 - "$work/gaps.txt" "$server" "${GAP_MS:-5}" "/proc/$server/task" <<'PY'
import collections, os, re, sys
path, server, gap_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = {}  # the server's thread ids -> their names (lg-http, lg-commit, ...)
for tid in os.listdir(sys.argv[4]):
    names[tid] = open(os.path.join(sys.argv[4], tid, "comm")).read().strip()

def kind(comm, tid):
    if tid == "0":
        return "idle"
    if tid in names:
        return names[tid]
    if comm.startswith("wrk"):
        return "wrk"
    if comm.startswith(("kworker", "ksoftirqd", "rcu", "migration", "jbd2")):
        return "kernel: " + re.sub(r"[/:].*", "", comm)
    return "other: " + comm

line_re = re.compile(r"\s*(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)")
switch_re = re.compile(
    r"prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")
running = {}   # cpu -> (kind, since)
spans = []     # (cpu, kind, start, end)
writer_off = {}  # the writer's tid -> (when it left a CPU, its state then: R preempted, S, D)
writer_states = []  # (state, start, end) of the core writer's times off a CPU
answers = []
stacks = {}  # (tid, when it left a CPU) -> the frames it left from, innermost first
frames = None
for line in open(path):
    m = line_re.match(line)
    if not m:
        if frames is not None and line.strip():
            frame = line.split(None, 1)[1].strip() if len(line.split(None, 1)) > 1 else "?"
            frames.append(re.sub(r"\+0x[0-9a-f]+$", "", frame))
        continue
    frames = None
    pid, tid, cpu, t, event, rest = m.groups()
    t = float(t)
    if event.endswith("sys_enter_sendto"):
        if pid == server and names.get(tid) == "lg-http":
            answers.append(t)
        continue
    s = switch_re.search(rest)
    if not s:
        continue
    prev = running.get(cpu)
    if prev:
        spans.append((cpu, prev[0], prev[1], t))
    running[cpu] = (kind(s.group(4), s.group(5)), t)
    if names.get(s.group(2)) == "lg-commit":
        writer_off[s.group(2)] = (t, s.group(3)[0])
        frames = stacks.setdefault((s.group(2), t), [])
    left = writer_off.pop(s.group(5), None)
    if left:
        writer_states.append((s.group(5), left[1], left[0], t))
answers.sort()
if len(answers) < 2 or not spans:
    sys.exit("too little recorded: %d answers, %d switches" % (len(answers), len(spans)))
first, last = answers[0], answers[-1]
gaps = [(a, b) for a, b in zip(answers, answers[1:]) if (b - a) * 1000 >= gap_ms]

def overlap(start, end, windows):
    """Seconds of [start, end) inside the sorted, disjoint windows."""
    total = 0.0
    for a, b in windows:
        if b <= start:
            continue
        if a >= end:
            break
        total += min(b, end) - max(a, start)
    return total

def split(stretches):
    """(key, start, end) stretches -> seconds by key inside the gaps, and outside them."""
    inside, outside = collections.Counter(), collections.Counter()
    for key, a, b in stretches:
        a, b = max(a, first), min(b, last)
        if b <= a:
            continue
        g = overlap(a, b, gaps)
        inside[key] += g
        outside[key] += (b - a) - g
    return inside, outside

inside, outside = split((k, a, b) for cpu, k, a, b in spans)
gap_time = sum(b - a for a, b in gaps)
span = last - first
print("answers: %d in %.0f ms; %d gaps of %g ms or more, %.0f ms in all (%.0f %% of the time)" % (
    len(answers), span * 1000, len(gaps), gap_ms, gap_time * 1000, 100 * gap_time / span))
longest = sorted((b - a for a, b in gaps), reverse=True)[:5]
print("longest gaps: " + ", ".join("%.1f ms" % (g * 1000) for g in longest))
print("%-22s %18s %18s" % ("on a CPU", "in the gaps", "outside them"))
total_in = sum(inside.values()) or 1
total_out = sum(outside.values()) or 1
for k in sorted(set(inside) | set(outside), key=lambda k: -inside[k]):
    if inside[k] / total_in < 0.005 and outside[k] / total_out < 0.005:
        continue
    print("%-22s %9.0f ms %5.1f %% %9.0f ms %5.1f %%" % (
        k, inside[k] * 1000, 100 * inside[k] / total_in, outside[k] * 1000,
        100 * outside[k] / total_out))

# The core writer is the lg-commit thread that ran the most (the users plugin's is idle here).
busiest = collections.Counter()
for tid, state, a, b in writer_states:
    busiest[tid] += b - a
if busiest:
    writer = max(busiest, key=busiest.get)
    off_in, off_out = split((state, a, b) for tid, state, a, b in writer_states if tid == writer)
    label = {"R": "runnable, waiting for a CPU", "S": "asleep (nothing to do, or a lock)",
             "D": "in the disk's wait"}
    print("the writer off a CPU    %18s %18s" % ("in the gaps", "outside them"))
    for state in sorted(set(off_in) | set(off_out)):
        print("  %-36s %6.0f ms %6.1f %% %6.0f ms %6.1f %%" % (
            label.get(state, state), off_in[state] * 1000, 100 * off_in[state] / gap_time,
            off_out[state] * 1000, 100 * off_out[state] / (span - gap_time)))
    # Where it slept in the gaps: the first frames that are not the kernel's scheduler's.
    where = collections.Counter()
    for tid, state, a, b in writer_states:
        if tid != writer or state != "S":
            continue
        g = overlap(max(a, first), min(b, last), gaps)
        if g <= 0:
            continue
        chain = [f for f in stacks.get((tid, a), []) if not re.match(
            r"(__schedule|schedule|__traceiter|trace_|perf_|__perf|\[unknown\]|__pfx)", f)]
        user = [f for f in chain if not re.match(r"(futex|__futex|do_futex|__x64|x64_sys|do_syscall|entry_SYSCALL|__se_sys|__do_sys|hrtimer|do_nanosleep|common_nsleep)", f)]
        where[" < ".join(user[:5]) or "?"] += g
    print("the writer asleep in the gaps, by where (innermost first):")
    for chain, g in where.most_common(6):
        print("  %5.1f ms  %s" % (g * 1000, chain[:150]))
PY
