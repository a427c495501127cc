#!/usr/bin/env bash
# Whether delivered links leave the outbox's SQLite files while starts go on at their full rate
# (docs/security.md, "Secrets at rest after delivery"): 16 s of starts (wrk 2 x 50); from 5 s
# on, over and over while they last, every link token delivered more than $AGE seconds (default
# 4) before the scan (the development channel's files, by their time) is looked for, raw, in
# outbox.db and outbox.db-wal; once more 5 s after the starts, every token; then the scrubs the
# server counted, by zeroing and by truncation. AGE=0 shows the scan finds what is there.
#
#   scripts/build && bench/http/scrub_scan.sh
#   AGE=3 BUILD=/other/build bench/http/scrub_scan.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin
bench_serve_token "$BUILD" "${TOKEN:-jwt}"
base="http://127.0.0.1:$port"
scan() {
  /usr/bin/python3 - "$work/data" "$1" "$started" <<'PY'
import glob, json, os, re, sys, time
data, age, started = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
now = time.time()
# The files first, then the tokens: reading thousands of messages takes seconds, during which
# the newest ones' bodies would leave the log.
raw = {}
for name in ("outbox.db", "outbox.db-wal"):
    try:
        raw[name] = open(f"{data}/{name}", "rb").read()
    except OSError:
        raw[name] = b""
old = set()
for f in glob.glob(data + "/outbox/*.json"):
    try:
        if os.stat(f).st_mtime < now - age:
            old.add(json.load(open(f))["link"].split("token=", 1)[1])
    except (OSError, ValueError, KeyError):
        pass  # a file being written
found = {}
for name, content in raw.items():
    seen = {m.decode() for m in re.findall(rb"token=([A-Za-z0-9_.-]+)", content)}
    found[name] = len(seen & old)
print(f"{now - started:5.1f} s after the starts began: {len(old):6d} links delivered over {age:g} s"
      f" before; of them in outbox.db {found.get('outbox.db', 0)}, in outbox.db-wal"
      f" {found.get('outbox.db-wal', 0)}")
PY
}
started=$(date +%s.%N)
BENCH_USERS=100000 wrk -t2 -c50 -d16s -s bench/http/issue.lua "$base" >"$work/starts.txt" &
load=$!
sleep 5
while kill -0 $load 2>/dev/null; do
  scan "${AGE:-4}"
  sleep 1
done
echo "starts (16 s): $(awk '/Requests\/sec/{printf "%.0f/s", $2}' "$work/starts.txt")"
sleep 5
scan 0
curl -s "$base/metrics" | awk -F'[{}"]' '/^linkgate_outbox_scrubs_total/ {n[$3] = $NF}
  END { printf "scrubs: %d by zeroing, %d by truncation\n", n["zeroing"], n["truncation"] }'
