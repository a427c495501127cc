"""Steps shared by the SDK walk-throughs: install the SDK, build and test a plugin project out of
tree, run a loopback receiver and the server, talk HTTP. Each failing step ends the run."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request


def run(*cmd, env=None):
    print("$", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"step failed ({r.returncode}):\n{r.stdout}")
    return r.stdout


def install_sdk(build, prefix):
    run("cmake", "--install", build, "--prefix", prefix, "--component", "Unspecified")


def build_and_test(project, build_dir, prefix):
    """Configures @project against the SDK in @prefix alone, builds it, runs its tests — with a
    temporary folder of their own, which they must leave as they found it (empty)."""
    run("cmake", "-S", project, "-B", build_dir, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}")
    run("cmake", "--build", build_dir)
    scratch = os.path.join(build_dir, "tmp")
    os.makedirs(scratch, exist_ok=True)
    tests = run("ctest", "--test-dir", build_dir, "--output-on-failure",
                env=dict(os.environ, TMPDIR=scratch))
    if "100% tests passed" not in tests:
        sys.exit(f"{project}: its tests did not pass:\n{tests}")
    left = os.listdir(scratch)
    if left:
        sys.exit(f"{project}: its tests left {left} in their temporary folder")


class Receiver:
    """tests/tools/sms_gateway.py: records every HTTP request it gets as JSON in @directory."""

    def __init__(self, source, directory):
        self.directory = directory
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(source, "tests/tools/sms_gateway.py"), "--dir", directory],
            stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline().split()[1])

    def first_request(self):
        for _ in range(200):
            if os.path.isdir(self.directory):
                files = sorted(f for f in os.listdir(self.directory) if f.endswith(".json"))
                if files:
                    with open(os.path.join(self.directory, files[0])) as f:
                        return json.load(f)
            time.sleep(0.05)
        sys.exit("no request reached the receiver")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Server:
    """`linkgate serve --config @config`, on the port the OS picks."""

    def __init__(self, linkgate, config):
        self.process = subprocess.Popen([linkgate, "serve", "--config", config],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.base = None
        for line in self.process.stdout:
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if m:
                self.base = m.group(1)
                break
        if not self.base:
            sys.exit("the server did not start")

    def post(self, path, body):
        req = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def sign_in_with(self, token):
        """Redeems @token: it must give a session once and `used_token` after."""
        status, signed_in = self.post("/v1/magic-links/verify", {"token": token})
        if status != 200 or "access_token" not in signed_in:
            sys.exit(f"redeeming the link answered {status}: {signed_in}")
        status, again = self.post("/v1/magic-links/verify", {"token": token})
        if status != 400 or again.get("error") != "used_token":
            sys.exit(f"the link redeemed twice: {status} {again}")
        return signed_in

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def workspace():
    """Parses --build-dir/--source-dir/--work-dir; returns (build, source, work, linkgate, prefix)
    with @work emptied and the SDK prefix inside it."""
    import argparse
    import shutil
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--work-dir", required=True)
    a = p.parse_args()
    shutil.rmtree(a.work_dir, ignore_errors=True)
    os.makedirs(a.work_dir)
    return (a.build_dir, a.source_dir, a.work_dir, os.path.join(a.build_dir, "linkgate"),
            os.path.join(a.work_dir, "sdk"))


def write_config(work, build, source, search_paths, token, delivery, users):
    """A deployment in @work whose plugins are found in @search_paths, then the built ones.
    @token, @users: the YAML mappings; @delivery: the YAML list's entries."""
    config = os.path.join(work, "linkgate.yaml")
    with open(config, "w") as f:
        f.write(f"""
server: {{ listen: 127.0.0.1:0, public_base_url: "http://127.0.0.1:8080" }}
plugins: {{ search_paths: [{", ".join(search_paths)}, {build}/plugins] }}
token: {token}
delivery:
{delivery}
users: {users}
session: {{ signing_keys: {{ dir: {work}/keys }} }}
security: {{ secret_file: {work}/keys/server.secret }}
outbox: {{ store: "sqlite:{work}/outbox.db", poll_interval: 50ms }}
templates: {{ dir: {source}/configs/templates }}
""")
    return config
