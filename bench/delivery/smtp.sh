#!/usr/bin/env bash
# Sign-in messages through the whole server to a real SMTP server (aiosmtpd, STARTTLS + AUTH,
# a private CA) that spends DELAY_MS on each message, as a busy relay does. For each setting in
# turn: a burst of BURST starts (as fast as 16 clients can post them), then the time until the
# last one arrived — the drain rate — and each message's time from 202 to accepted by the SMTP
# server; then PACED starts/s for 10 s and the same latencies. All rows come from one run.
#
#   scripts/build && bench/delivery/smtp.sh
#   SETTINGS="8:30s 16:30s" DELAY_MS=20 BURST=3000 PACED=150 bench/delivery/smtp.sh
# A setting is <concurrency>:<keep_alive>, e.g. "1:0s" is one send at a time, a connection each.
# Before each setting, the server's own bound: Python's smtplib sending messages of the same
# size over as many kept-open STARTTLS + AUTH connections as the setting's concurrency.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
BUILD=${BUILD:-$root/build}
DELAY_MS=${DELAY_MS:-20}
BURST=${BURST:-3000}
PACED=${PACED:-150}
SETTINGS=${SETTINGS:-"2:0s 8:0s 8:30s 16:30s"}  # 16:30s is the default
work=$(mktemp -d)
smtp="" server=""
. bench/http/serve.sh
trap '[ -n "$server" ] && kill $server 2>/dev/null; [ -n "$smtp" ] && kill $smtp 2>/dev/null; rm -rf "$work" || true' EXIT

/usr/bin/python3 tests/tools/smtp_server.py --maildir "$work/mail" --tls starttls \
  --cert-dir "$work/certs" --user mailer --password bench-secret --delay-ms "$DELAY_MS" \
  >"$work/smtp.out" 2>"$work/smtp.err" &
smtp=$!
for _ in $(seq 100); do grep -q PORT "$work/smtp.out" 2>/dev/null && break; sleep 0.1; done
smtp_port=$(awk '/PORT/{print $2}' "$work/smtp.out")

echo "SMTP server: aiosmtpd, STARTTLS + AUTH LOGIN, ${DELAY_MS} ms per message; $(nproc) cores"
for setting in $SETTINGS; do
  concurrency=${setting%%:*}
  keep_alive=${setting#*:}
  rm -rf "$work/mail" && mkdir -p "$work/mail"
  echo "concurrency $concurrency, keep_alive $keep_alive"
  /usr/bin/python3 - "$smtp_port" "$work/certs/ca.pem" "$concurrency" <<'PY'
import smtplib, ssl, sys, threading, time
port, ca, k = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
each = max(20, 1200 // k)
body = "Subject: Sign in\r\nContent-Type: text/plain\r\n\r\n" + ("x" * 76 + "\r\n") * 40
def run():
    s = smtplib.SMTP("127.0.0.1", port)
    s.starttls(context=ssl.create_default_context(cafile=ca))
    s.login("mailer", "bench-secret")
    for _ in range(each):
        s.sendmail("no-reply@bench.example", ["ref@example.com"], body)
    s.quit()
start = time.time()
threads = [threading.Thread(target=run) for _ in range(k)]
for t in threads: t.start()
for t in threads: t.join()
print(f"  reference: smtplib, {k} kept-open connections: {k * each / (time.time() - start):.0f} messages/s")
PY
  rm -rf "$work/mail" && mkdir -p "$work/mail"
  BENCH_DELIVERY="  - plugin: smtp
    for: email
    concurrency: $concurrency
    config: { host: 127.0.0.1, port: $smtp_port, tls: starttls, ca_file: $work/certs/ca.pem,
              username: mailer, password: bench-secret, from: \"Bench <no-reply@bench.example>\",
              keep_alive: $keep_alive }" bench_serve "$BUILD" ""
  /usr/bin/python3 - "$port" "$work/mail" "$BURST" "$PACED" "concurrency $concurrency, keep_alive $keep_alive" <<'PY'
import glob, http.client, json, os, sys, threading, time
port, maildir, burst, paced, label = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
accepted = {}
lock = threading.Lock()

def post_all(addresses, pace=None):
    queue = list(reversed(addresses))
    start = time.time()
    def client():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not queue:
                    return
                i = len(addresses) - len(queue)
                who = queue.pop()
            if pace:
                delay = start + i / pace - time.time()
                if delay > 0:
                    time.sleep(delay)
            c.request("POST", "/v1/magic-links", body=json.dumps({"identifier": who}),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status == 202:
                with lock:
                    accepted[who] = time.time()
    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads: t.start()
    for t in threads: t.join()
    return start, time.time()

def received(expected, deadline):
    seen = {}
    while time.time() < deadline:
        for f in glob.glob(os.path.join(maildir, "*.json")):
            if f in seen: continue
            try:
                e = json.load(open(f))
            except ValueError:
                continue
            seen[f] = (e["rcpt_tos"][0], e["received_at"])
        if len(seen) >= expected: break
        time.sleep(0.2)
    return dict(seen.values())

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else float("nan")

def report(phase, addresses, posted_from, posted_to):
    got = received(len(addresses), time.time() + 120)
    lat = [got[a] - accepted[a] for a in addresses if a in got and a in accepted]
    last = max(got.values()) if got else posted_to
    print(f"  {phase:<22} {len(accepted and [a for a in addresses if a in accepted]):>5} accepted "
          f"at {len(addresses) / (posted_to - posted_from):6.0f}/s, {len(got):>5} delivered in "
          f"{last - posted_from:5.1f} s = {len(got) / (last - posted_from):5.0f}/s; "
          f"202->delivered p50 {pct(lat, .5):6.0f} ms p99 {pct(lat, .99):6.0f} ms", flush=True)

first = [f"burst{i}@example.com" for i in range(burst)]
report(f"burst of {burst}", first, *post_all(first))
for f in glob.glob(os.path.join(maildir, "*")): os.remove(f)
second = [f"paced{i}@example.com" for i in range(paced * 10)]
report(f"{paced}/s for 10 s", second, *post_all(second, pace=paced))
PY
  kill $server; wait $server 2>/dev/null || true
  server=""
done
