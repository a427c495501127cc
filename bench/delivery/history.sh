#!/usr/bin/env bash
# Delivery keeps pace with its own history. The whole server (embedded default, the outbox
# channel writing each message to a file, rate limits lifted) on an empty outbox and on one
# holding HISTORY delivered messages (bodies erased, within outbox.retention, as a busy day
# leaves them), in one run:
#   1. the maximum start rate: wrk POST /v1/magic-links, 2 threads x 50 connections, 10 s;
#   2. half of it, paced, for 10 s from 16 Python clients: each message's time from its 202 to
#      its file being written (the channel's delivery), p50 / p99 / max, and the drain rate.
#
#   scripts/build && bench/delivery/history.sh
#   HISTORY=1000000 PACED_SECONDS=10 bench/delivery/history.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
BUILD=${BUILD:-$root/build}
HISTORY=${HISTORY:-1000000}
PACED_SECONDS=${PACED_SECONDS:-10}
work=$(mktemp -d)
server=""
. bench/http/serve.sh
bench_need_wrk
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work" || true' EXIT

stop() { kill $server; wait $server 2>/dev/null || true; server=""; }

# HISTORY delivered messages, as the worker leaves them: state sent, link and code erased.
fill_history() {
  /usr/bin/python3 - "$work/data/outbox.db" "$HISTORY" <<'PY'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
now = int(time.time())
c = sqlite3.connect(db)
c.execute("PRAGMA journal_mode=WAL")
rows = ((f"hist{i:08d}", f"flow{i:08d}", 0, f"past{i}@example.com", "en", "", "", "", "", "",
         "sent", 1, 0, now - 3600, 0, "", "", now + 900, now - 3600 + i % 3600, now - 60)
        for i in range(n))
c.executemany("INSERT INTO lg_outbox (id, flow_id, kind, recipient, locale, subject, text, html,"
              " link, code, state, attempts, channel_index, next_attempt_at, lease_until, claim,"
              " last_error, expires_at, created_at, updated_at)"
              " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"  history: {c.execute('SELECT COUNT(*) FROM lg_outbox').fetchone()[0]} rows", flush=True)
PY
}

measure() {  # $1: label
  BENCH_USERS=10000 wrk -t2 -c50 -d2s -s bench/http/issue.lua "http://127.0.0.1:$port" >/dev/null
  BENCH_USERS=10000 wrk -t2 -c50 -d10s --latency -s bench/http/issue.lua \
    "http://127.0.0.1:$port" >"$work/max.txt"
  local max
  max=$(awk '/Requests\/sec/{printf "%d", $2}' "$work/max.txt")
  echo "  $1: maximum start rate $(bench_wrk_summary "$work/max.txt")"
  # Let the burst's messages drain before the paced run, then start from an empty folder.
  bench_wait_drained
  rm -rf "$work/data/outbox" && mkdir -p "$work/data/outbox"
  /usr/bin/python3 - "$port" "$work/data/outbox" $((max / 2)) "$PACED_SECONDS" "$1" <<'PY'
import glob, http.client, json, os, sys, threading, time
port, folder, rate, seconds, label = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
addresses = [f"paced{i}@example.com" for i in range(rate * seconds)]
accepted, lock, next_index = {}, threading.Lock(), [0]
start = time.time() + 0.2
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while True:
        with lock:
            i = next_index[0]
            if i >= len(addresses):
                return
            next_index[0] += 1
        delay = start + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        c.request("POST", "/v1/magic-links", body='{"identifier":"%s"}' % addresses[i],
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status == 202:
            with lock:
                accepted[addresses[i]] = time.time()
threads = [threading.Thread(target=client) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
posted = time.time() - start
deadline = time.time() + 60
while time.time() < deadline and len(glob.glob(os.path.join(folder, "*.json"))) < len(accepted):
    time.sleep(0.2)
delivered = {}
for f in glob.glob(os.path.join(folder, "*.json")):
    delivered[json.load(open(f))["to"]] = os.stat(f).st_mtime_ns / 1e9
lat = sorted(delivered[a] - t for a, t in accepted.items() if a in delivered)
def pct(p): return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000 if lat else float("nan")
last = max(delivered.values()) if delivered else start
print(f"  {label}: {len(accepted)} starts accepted at {len(accepted) / posted:.0f}/s (asked {rate}/s), "
      f"{len(delivered)} delivered, drained at {len(delivered) / (last - start):.0f}/s; "
      f"202->delivered p50 {pct(.5):.1f} ms, p99 {pct(.99):.1f} ms, max {lat[-1] * 1000 if lat else 0:.1f} ms",
      flush=True)
PY
}

echo "$(nproc) cores; HISTORY=$HISTORY"
bench_serve "$BUILD" ""
measure "empty outbox"
stop

bench_serve "$BUILD" ""   # a fresh deployment, then its outbox given a day's history
stop
fill_history
BENCH_KEEP_DATA=1 bench_serve "$BUILD" ""
measure "$HISTORY rows of history"
rows=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM lg_outbox').fetchone()[0])" "$work/data/outbox.db")
echo "  rows in the outbox afterwards: $rows"
stop
