#!/usr/bin/env bash
# How long the embedded default takes from exec to its first `200` on /healthz, and how much
# memory it holds once idle: a first start that makes the keys and databases, then RUNS
# (default 5) restarts on the same data folder, each left idle for 2 s before its resident
# memory is read. Polled from one process every millisecond (a shell loop's forks would add
# their own milliseconds). Prints each run and the medians. With PENDING=<n>, the database is
# first given <n> pending flows unexpired for an hour among FLOWS (default <n>) in all, as a busy
# deployment restarts on them; each run then also times its first sign-in start after ready
# (the server loads the pending flows before it listens: docs/performance.md, "The minute's
# step…", last paragraph).
#
#   scripts/build && bench/http/ready.sh
#   BUILD=/other/build RUNS=9 bench/http/ready.sh
#   PENDING=100000 FLOWS=782000 bench/http/ready.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin
bench_serve "$BUILD" ""  # writes the configuration
kill "$server" && wait "$server" 2>/dev/null || true
server=""
rm -rf "$work/data" && mkdir -p "$work/data"
/usr/bin/python3 - "$BUILD/linkgate" "$work" "${RUNS:-5}" "${PENDING:-0}" "${FLOWS:-${PENDING:-0}}" <<'PY'
import re, socket, sqlite3, statistics, subprocess, sys, time
binary, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
pending, flows = int(sys.argv[4]), max(int(sys.argv[5]), int(sys.argv[4]))

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
            return server, (time.monotonic() - began) * 1000, port
        time.sleep(0.001)
    server.kill()
    sys.exit(open(f"{work}/server.log").read())

def first_start_ms(port):
    body = b'{"identifier":"first-after-ready@example.com"}'
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /v1/magic-links HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                  b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                  b"\r\n\r\n" + body)
        answer = s.recv(64)
    if b" 202 " not in answer:
        sys.exit(f"the first start was answered {answer!r}")
    return (time.monotonic() - began) * 1000

def add_flows():
    db = sqlite3.connect(f"{work}/data/outbox.db")
    db.execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)"
        " INSERT INTO lg_flows (id, identifier_key, identifier_kind, identifier, subject,"
        " redirect_uri, code_mac, state, created_at, expires_at, device, deliverable)"
        " SELECT 'bench' || x, lower(hex(randomblob(32))), 0, 'u' || x || '@example.com', '', '',"
        " '', CASE WHEN x <= ? THEN 'pending' ELSE 'superseded' END, ?, ? + 3600, '', 1 FROM n",
        (flows, pending, int(time.time()), int(time.time())))
    db.commit()
    db.close()

def resident_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

server, ms, port = start()
print(f"first start (keys and databases made): {ms:.0f} ms to ready")
server.terminate(); server.wait()
if pending:
    add_flows()
    print(f"then {pending:,} pending flows among {flows:,}")
readies, idles, firsts = [], [], []
for run in range(1, runs + 1):
    server, ms, port = start()
    first = ""
    if pending:
        firsts.append(first_start_ms(port))
        first = f", first start {firsts[-1]:.1f} ms"
    time.sleep(2)
    rss = resident_mib(server.pid)
    print(f"run {run}: {ms:.0f} ms to ready{first}, {rss:.1f} MiB resident when idle")
    readies.append(ms); idles.append(rss)
    server.terminate(); server.wait()
firsts_text = f", first start {statistics.median(firsts):.1f} ms" if firsts else ""
print(f"median: {statistics.median(readies):.0f} ms to ready{firsts_text},"
      f" {statistics.median(idles):.1f} MiB idle")
PY
