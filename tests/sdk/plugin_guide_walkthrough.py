#!/usr/bin/python3
"""docs/plugin-guide.md's walk-through, step by step, as CI runs it.

  plugin_guide_walkthrough.py --build-dir BUILD --source-dir SOURCE --work-dir DIR

1. install the SDK to a prefix            (cmake --install)
2. scaffold a delivery plugin             (linkgate new-plugin --kind delivery ...)
3. build it out of tree, against the SDK  (cmake -DCMAKE_PREFIX_PATH=prefix)
4. pass the testkit                        (ctest in the plugin's build)
5. deploy it: a config that names it, check-config, serve
6. sign in: the link arrives at a loopback webhook, and redeems to a session
Any step that fails ends the run with its output.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

p = argparse.ArgumentParser()
p.add_argument("--build-dir", required=True)
p.add_argument("--source-dir", required=True)
p.add_argument("--work-dir", required=True)
a = p.parse_args()
build, source, work = a.build_dir, a.source_dir, a.work_dir
linkgate = os.path.join(build, "linkgate")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
prefix = os.path.join(work, "sdk")
plugin = os.path.join(work, "acme-hook")


def run(*cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"step failed ({r.returncode}):\n{r.stdout}")
    return r.stdout


# 1-4: install, scaffold, build, test.
run("cmake", "--install", build, "--prefix", prefix, "--component", "Unspecified")
run(linkgate, "new-plugin", "--kind", "delivery", "--name", "acme-hook", "--dir", plugin)
run("cmake", "-S", plugin, "-B", os.path.join(plugin, "build"), "-G", "Ninja",
    f"-DCMAKE_PREFIX_PATH={prefix}")
run("cmake", "--build", os.path.join(plugin, "build"))
tests = run("ctest", "--test-dir", os.path.join(plugin, "build"), "--output-on-failure")
if "100% tests passed" not in tests:
    sys.exit("the testkit did not pass:\n" + tests)

# 5: deploy: a webhook to deliver to, a config that names the plugin, the server.
hooks = os.path.join(work, "hooks")
receiver = subprocess.Popen([sys.executable, os.path.join(source, "tests/tools/sms_gateway.py"),
                             "--dir", hooks], stdout=subprocess.PIPE, text=True)
server = None
try:
    hook_port = int(receiver.stdout.readline().split()[1])
    config = os.path.join(work, "linkgate.yaml")
    with open(config, "w") as f:
        f.write(f"""
server: {{ listen: 127.0.0.1:0, public_base_url: "http://127.0.0.1:8080" }}
plugins: {{ search_paths: [{plugin}/build/plugins, {build}/plugins] }}
token: {{ plugin: jwt, config: {{ key_file: {work}/keys/link.pem }} }}
delivery:
  - plugin: acme-hook
    for: email
    config: {{ url: "http://127.0.0.1:{hook_port}/signin", headers: {{ Authorization: "Bearer t0k" }} }}
users: {{ plugin: sql, signup: true, config: {{ database: {work}/users.db }} }}
session: {{ signing_keys: {{ dir: {work}/keys }} }}
security: {{ secret_file: {work}/keys/server.secret }}
outbox: {{ store: "sqlite:{work}/outbox.db", poll_interval: 50ms }}
templates: {{ dir: {source}/configs/templates }}
""")
    run(linkgate, "check-config", "--config", config)
    listed = run(linkgate, "plugins", "--config", config)
    if "delivery  acme-hook" not in listed or "url (string, required)" not in listed:
        sys.exit("linkgate plugins does not show the plugin and its keys:\n" + listed)
    server = subprocess.Popen([linkgate, "serve", "--config", config], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = None
    for line in server.stdout:
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if m:
            base = m.group(1)
            break
    if not base:
        sys.exit("the server did not start")

    # 6: sign in; the link arrives at the webhook and redeems once.
    def post(path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    status, started = post("/v1/magic-links", {"identifier": "guide@example.com"})
    if status != 202:
        sys.exit(f"sign-in start answered {status}: {started}")
    record = None
    for _ in range(200):
        files = sorted(f for f in os.listdir(hooks) if f.endswith(".json")) if os.path.isdir(hooks) else []
        if files:
            with open(os.path.join(hooks, files[0])) as f:
                record = json.load(f)
            break
        time.sleep(0.05)
    if record is None:
        sys.exit("no message reached the webhook")
    message = json.loads(record["body"])
    if record["headers"].get("Authorization") != "Bearer t0k" or message["to"] != "guide@example.com":
        sys.exit(f"unexpected webhook request: {record}")
    token = message["link"].split("token=", 1)[1]
    status, signed_in = post("/v1/magic-links/verify", {"token": token})
    if status != 200 or "access_token" not in signed_in:
        sys.exit(f"redeeming the link answered {status}: {signed_in}")
    status, again = post("/v1/magic-links/verify", {"token": token})
    if status != 400 or again.get("error") != "used_token":
        sys.exit(f"the link redeemed twice: {status} {again}")
    print("walk-through done: scaffolded, built against the installed SDK, passed the testkit, "
          "delivered a real sign-in link that signed in once")
finally:
    if server:
        server.terminate()
        server.wait(10)
    receiver.terminate()
    receiver.wait(10)
shutil.rmtree(work, ignore_errors=True)
