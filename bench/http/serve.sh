# Sourced by the HTTP benchmarks: a throwaway deployment of the embedded default (SQLite users
# with sign-up, ES256 JWT links, the outbox channel writing files, token and user calls on the
# request's thread as configs/linkgate.yaml has them) with rate limits lifted, since all load
# comes from one address.
#
#   bench_serve <build folder> <more server keys, e.g. ", threads: 64">
# starts <build folder>/linkgate on a free port with its data in $work/data (an earlier run's
# set aside first, unless $BENCH_KEEP_DATA is set), and sets $server (its pid) and $port. Needs
# $work. $BENCH_DELIVERY, when set, is the `delivery:` list instead of the outbox channel
# (bench/delivery/smtp.sh sends through smtp); $BENCH_TOKEN, when set, the `token:` block's lines.
# Without an audit log unless $BENCH_AUDIT is set (configs/linkgate.yaml keeps one, and each start
# and redeem then waits for its line; the tables in docs/performance.md are without it).
# $BENCH_VERIFY, when set, is one more top-level line ("verify: { supersede_previous: false }").
# bench_begin [perf]: the start most benchmarks share — $BUILD (default build/), a fresh $work
# folder discarded at exit (bench_discard), with $server (once started) stopped; wrk installed;
# with "perf", the script stops unless perf is there.
bench_begin() {
  BUILD=${BUILD:-$(pwd)/build}
  work=$(mktemp -d)
  server=""
  # The server is waited for before its folder goes: it may be writing into it until it exits.
  trap '[ -n "$server" ] && { kill $server; wait $server; } 2>/dev/null; bench_remove_cgroup
        bench_discard "$work"' EXIT
  bench_need_wrk
  if [ "${1:-}" = perf ] && ! command -v perf >/dev/null; then
    echo "$(basename "$0") needs perf (linux-perf)" >&2
    exit 1
  fi
}

# bench_server_cpu_ticks: the server's user + system CPU so far, in clock ticks (getconf CLK_TCK).
bench_server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
# bench_server_memory: the server's peak and present resident memory, on one line.
bench_server_memory() {
  awk '/VmHWM|VmRSS/ { printf "%s %.0f MiB  ", $1, $2 / 1024 } END { print "" }' "/proc/$server/status"
}

# Why no run deletes the message files of the run before it: on an ext4 without a journal (this
# VM's disk), each new inode first skips, one buffer look-up at a time, every inode of its group
# freed in the last few minutes (up to five; recently_deleted() in fs/ext4/ialloc.c), and the
# development channel makes one inode per message. docs/performance.md ("The benchmark's own
# deletions") has the measurements. So an earlier run's data is renamed aside (no inode freed)
# and removed with $work at exit.
bench_set_aside() {
  mkdir -p "$work/spent"
  mv "$1" "$(mktemp -d -p "$work/spent")/"
}

# bench_discard <folder>: removes a finished benchmark's folder — or, with $BENCH_SPENT set,
# moves it there, so that a series of runs (paired comparisons) frees no inode between its runs;
# remove $BENCH_SPENT after the series.
bench_discard() {
  if [ -n "${BENCH_SPENT:-}" ]; then
    mkdir -p "$BENCH_SPENT" && mv "$1" "$BENCH_SPENT/" || true
  else
    rm -rf "$1" || true
  fi
}

bench_serve() {
  if [ -z "${BENCH_KEEP_DATA:-}" ] && [ -d "$work/data" ]; then bench_set_aside "$work/data"; fi
  mkdir -p "$work/data"
  local delivery=${BENCH_DELIVERY:-"  - { plugin: outbox, for: email, config: { dir: $work/data/outbox, log_link: false } }"}
  cat >"$work/linkgate.yaml" <<YAML
server: { listen: 127.0.0.1:0, public_base_url: "http://127.0.0.1:8080"$2 }
plugins: { search_paths: [$1/plugins] }
token:
${BENCH_TOKEN:-"  plugin: jwt
  call_timeout: 0s
  config: { key_file: $work/data/keys/link.pem }"}
delivery:
$delivery
users: { plugin: sql, signup: ${BENCH_SIGNUP:-true}, call_timeout: 0s, config: { database: $work/data/users.db } }
session: { signing_keys: { dir: $work/data/keys } }
security:
  secret_file: $work/data/keys/server.secret
  rate_limits: { per_identifier: 1000000/1s, per_client: 100000000/1s, resend_cooldown: 0s }
outbox: { store: "sqlite:$work/data/outbox.db" }
templates: { dir: configs/templates }
log: { level: info, format: json${BENCH_AUDIT:+, audit_file: $work/data/audit.log} }
${BENCH_VERIFY:-}
YAML
  # $BENCH_WRAP, when set, runs the server under another program that execs it in the same
  # process (valgrind); $BENCH_START_TENTHS is how long to wait for it to listen (default 10 s).
  # $BENCH_MEMORY_LIMIT (bytes, "1G"), when set, starts it in a memory cgroup of that size.
  local in_cgroup=()
  if [ -n "${BENCH_MEMORY_LIMIT:-}" ]; then
    bench_memory_cgroup "$BENCH_MEMORY_LIMIT" || return 1
    in_cgroup=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$bench_cgroup")
  fi
  "${in_cgroup[@]}" ${BENCH_WRAP:-} "$1/linkgate" serve --config "$work/linkgate.yaml" \
    >"$work/server.log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq "${BENCH_START_TENTHS:-100}"); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  cat "$work/server.log" >&2
  return 1
}

# bench_memory_cgroup <limit>: makes the memory cgroup $bench_cgroup of <limit> bytes ("1G" too)
# for the servers this script starts, removed by bench_remove_cgroup at exit — as a container or
# systemd's MemoryMax= would hold the server. The kernel then reclaims the server's own page cache
# (message files, the database) at the limit instead of handing it memory the machine had free:
# on a VM whose free memory goes back to the host, the first few GB a run takes cost far more
# than memory reused (docs/performance.md, "The minute's step: new memory on this VM"). Needs
# root, and cgroup v1's memory controller or cgroup v2 with memory enabled.
bench_cgroup=""
bench_memory_cgroup() {
  local bytes limit_file
  bytes=$(numfmt --from=iec "$1") || return 1
  if [ -d /sys/fs/cgroup/memory ]; then
    bench_cgroup=/sys/fs/cgroup/memory/linkgate-bench-$$ limit_file=memory.limit_in_bytes
  elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    bench_cgroup=/sys/fs/cgroup/linkgate-bench-$$ limit_file=memory.max
  else
    echo "BENCH_MEMORY_LIMIT: no memory cgroup can be made here" >&2
    return 1
  fi
  mkdir -p "$bench_cgroup" && echo "$bytes" >"$bench_cgroup/$limit_file"
}
# bench_remove_cgroup: removes $bench_cgroup once no process is left in it.
bench_remove_cgroup() {
  if [ -n "$bench_cgroup" ]; then rmdir "$bench_cgroup" 2>/dev/null || true; fi
}

# bench_serve with the token plugin $2 (jwt | stateful) configured as the embedded default has
# it (calls on the request's thread; jwt's key, or stateful tokens in SQLite, in $work/data);
# $3, when given, is appended to jwt's config block (", single_use: false"); $BENCH_SERVER_KEYS,
# when set, to the server block (", running_threads: 64").
#   bench_serve_token <build folder> <jwt | stateful> [more jwt config]
bench_serve_token() {
  local token_config="{ key_file: $work/data/keys/link.pem${3:-} }"
  [ "$2" = stateful ] && token_config="{ store: \"sqlite:$work/data/tokens.db\" }"
  BENCH_TOKEN="  plugin: $2
  call_timeout: 0s
  config: $token_config" bench_serve "$1" "${BENCH_SERVER_KEYS:-}"
}

# "<requests/s> p50 <p50> p99 <p99>" from a wrk --latency report.
bench_wrk_summary() {
  awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2}
       END{printf "%7.0f/s p50 %8s p99 %8s", rps, p50, p99}' "$1"
}

# bench_warm_up_starts: 2 s of sign-in starts (wrk 2 x 50 over 100,000 addresses) at $base,
# before a measurement: the server's caches, threads and heaps as they are under load.
bench_warm_up_starts() {
  BENCH_USERS=100000 wrk -t2 -c50 -d2s -s bench/http/issue.lua "$base" >/dev/null
}

# Waits (up to a minute) until the outbox of the deployment bench_serve started has nothing
# pending or being sent.
bench_wait_drained() {
  for _ in $(seq 600); do
    /usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(c.execute(\"SELECT COUNT(*) FROM lg_outbox WHERE state IN ('pending','sending')\").fetchone()[0] > 0)" "$work/data/outbox.db" && return 0
    sleep 0.1
  done
}

# How many messages of the deployment bench_serve started are sent, and how many wait
# (pending or being sent): "<sent> <waiting>".
bench_outbox_counts() {
  /usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(*c.execute(\"SELECT COUNT(*) FILTER (WHERE state='sent'), COUNT(*) FILTER (WHERE state IN ('pending','sending')) FROM lg_outbox\").fetchone())" "$work/data/outbox.db"
}

# Makes users of the addresses bench/http/issue.lua starts for, user0..user99999@example.com, through
# <build>/linkgate users import on the running deployment's configuration (as the peer preloads its
# users); $2, an awk condition on the address's number, keeps only some (phases.sh: '$1 % 3 != 0').
bench_import_users() {
  seq 0 99999 | awk "${2:-1} {print \"user\" \$1 \"@example.com\"}" >"$work/users.txt"
  "$1/linkgate" users import "$work/users.txt" --config "$work/linkgate.yaml" >/dev/null
}

# The newest link token of each address in the outbox channel's folder $1 (older ones were
# superseded), one per line, shuffled; with $2 = with-address, "<address> <token>" lines.
bench_newest_tokens() {
  /usr/bin/python3 - "$1" "${2:-}" <<'PY' | shuf
import glob, json, os, sys
newest = {}
for f in glob.glob(sys.argv[1] + "/*.json"):
    m = json.load(open(f))
    t = os.stat(f).st_mtime_ns
    if m["to"] not in newest or newest[m["to"]][0] < t:
        newest[m["to"]] = (t, m["link"].split("token=", 1)[1])
for to, (t, token) in newest.items():
    print(f"{to} {token}" if sys.argv[2] == "with-address" else token)
PY
}

# The redeem phases' links, after a start phase over 100,000 addresses whose wrk report is $1
# (two of three addresses users, bench_import_users '$1 % 3 != 0'): more starts, not measured, for
# addresses that phase did not reach (8 s, $BENCH_TOPUP), so that no redeem phase of a few seconds
# runs out of fresh links however fast it goes (each wrk thread has half); every message
# delivered; then the newest link of each address (older ones were superseded), shuffled, into
# $work/verify (returning users', past the first 1,000 — $work/warm, redeemed here as a 1 s
# warm-up) and $work/signup (strangers' links: each redeem also makes the user).
bench_redeem_pools() {
  local made
  made=$(awk '/requests in/{print $1}' "$1")
  BENCH_FIRST=$((made / 2 + 1000)) BENCH_USERS=100000 wrk -t2 -c50 -d"${BENCH_TOPUP:-8}s" \
    -s bench/http/issue.lua "$base" >/dev/null
  bench_wait_drained
  bench_newest_tokens "$work/data/outbox" with-address >"$work/tokens"
  awk '{split($1, a, /[r@]/)} a[2] % 3 != 0 {print $2}' "$work/tokens" >"$work/returning"
  awk '{split($1, a, /[r@]/)} a[2] % 3 == 0 {print $2}' "$work/tokens" >"$work/signup"
  head -n 1000 "$work/returning" >"$work/warm" && tail -n +1001 "$work/returning" >"$work/verify"
  TOKENS="$work/warm" BENCH_THREADS=2 wrk -t2 -c50 -d1s -s bench/http/verify.lua "$base" >/dev/null
}

bench_need_wrk() {
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
}

# Signs <identifier> in on the deployment bench_serve started (its link read from the outbox
# channel's folder) and prints the access token.
#   bench_access_token <base URL> <identifier>
bench_access_token() {
  /usr/bin/python3 - "$1" "$2" "$work/data/outbox" <<'PY'
import glob, json, sys, time, urllib.request
base, who, folder = sys.argv[1:4]
def post(path, body):
    r = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                               headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r))
post("/v1/magic-links", {"identifier": who})
for _ in range(100):
    links = [json.load(open(f))["link"] for f in glob.glob(folder + "/*.json")
             if json.load(open(f))["to"] == who]
    if links: break
    time.sleep(0.05)
print(post("/v1/magic-links/verify", {"token": links[0].split("token=", 1)[1]})["access_token"])
PY
}
