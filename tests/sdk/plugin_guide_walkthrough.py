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
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_steps import (Receiver, Server, build_and_test, install_sdk, run,  # noqa: E402
                       workspace, write_config)

build, source, work, linkgate, prefix = workspace()
plugin = os.path.join(work, "acme-hook")

# 1-4: install, scaffold, build, test.
install_sdk(build, prefix)
run(linkgate, "new-plugin", "--kind", "delivery", "--name", "acme-hook", "--dir", plugin)
build_and_test(plugin, os.path.join(plugin, "build"), prefix)

# 5: deploy: a webhook to deliver to, a config that names the plugin, the server.
receiver = Receiver(source, os.path.join(work, "hooks"))
server = None
try:
    hook_port = receiver.port
    config = write_config(
        work, build, source, [f"{plugin}/build/plugins"],
        token=f"{{ plugin: jwt, config: {{ key_file: {work}/keys/link.pem }} }}",
        delivery=f"""  - plugin: acme-hook
    for: email
    config: {{ url: "http://127.0.0.1:{hook_port}/signin", headers: {{ Authorization: "Bearer t0k" }} }}""",
        users=f"{{ plugin: sql, signup: true, config: {{ database: {work}/users.db }} }}")
    run(linkgate, "check-config", "--config", config)
    listed = run(linkgate, "plugins", "--config", config)
    if "delivery  acme-hook" not in listed or "url (string, required)" not in listed:
        sys.exit("linkgate plugins does not show the plugin and its keys:\n" + listed)
    server = Server(linkgate, config)

    # 6: sign in; the link arrives at the webhook and redeems once.
    status, started = server.post("/v1/magic-links", {"identifier": "guide@example.com"})
    if status != 202:
        sys.exit(f"sign-in start answered {status}: {started}")
    record = receiver.first_request()
    message = json.loads(record["body"])
    if record["headers"].get("Authorization") != "Bearer t0k" or message["to"] != "guide@example.com":
        sys.exit(f"unexpected webhook request: {record}")
    token = message["link"].split("token=", 1)[1]
    server.sign_in_with(token)
    print("walk-through done: scaffolded, built against the installed SDK, passed the testkit, "
          "delivered a real sign-in link that signed in once")
finally:
    if server:
        server.stop()
    receiver.stop()
shutil.rmtree(work, ignore_errors=True)
