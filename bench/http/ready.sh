#!/usr/bin/env bash
# How long the embedded default takes from exec to its first `200` on /healthz, and how much
# memory it holds once idle: a first start that makes the keys and databases, then RUNS
# (default 5) restarts on the same data folder, each left idle for 2 s before its resident
# memory is read. Polled from one process every millisecond (a shell loop's forks would add
# their own milliseconds). Prints each run and the medians.
#
#   scripts/build && bench/http/ready.sh
#   BUILD=/other/build RUNS=9 bench/http/ready.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin
bench_serve "$BUILD" ""  # writes the configuration
kill "$server" && wait "$server" 2>/dev/null || true
server=""
rm -rf "$work/data" && mkdir -p "$work/data"
/usr/bin/python3 - "$BUILD/linkgate" "$work" "${RUNS:-5}" <<'PY'
import re, socket, statistics, subprocess, sys, time
binary, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return b" 200 " in s.recv(64)
    except OSError:
        return False

def start():
    log = open(f"{work}/server.log", "w")
    began = time.monotonic()
    server = subprocess.Popen([binary, "serve", "--config", f"{work}/linkgate.yaml"],
                              stdout=log, stderr=subprocess.STDOUT)
    port = None
    while time.monotonic() - began < 10:
        if port is None:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", open(f"{work}/server.log").read())
            port = int(m.group(1)) if m else None
        if port is not None and healthy(port):
            return server, (time.monotonic() - began) * 1000
        time.sleep(0.001)
    server.kill()
    sys.exit(open(f"{work}/server.log").read())

def resident_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

server, ms = start()
print(f"first start (keys and databases made): {ms:.0f} ms to ready")
server.terminate(); server.wait()
readies, idles = [], []
for run in range(1, runs + 1):
    server, ms = start()
    time.sleep(2)
    rss = resident_mib(server.pid)
    print(f"run {run}: {ms:.0f} ms to ready, {rss:.1f} MiB resident when idle")
    readies.append(ms); idles.append(rss)
    server.terminate(); server.wait()
print(f"median: {statistics.median(readies):.0f} ms to ready, {statistics.median(idles):.1f} MiB idle")
PY
