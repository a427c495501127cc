#!/usr/bin/python3
"""The example plugins as a stranger ships them: each built out of tree against an installed SDK
and passed through its testkit suite (so are `linkgate new-plugin --kind token|users`, which start
from them), then all three loaded into one server — hmac tokens,
postmark e-mail (a loopback API), csv-directory users — and a sign-in run through them.

  example_plugins.py --build-dir BUILD --source-dir SOURCE --work-dir DIR
"""
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_steps import (Receiver, Server, build_and_test, install_sdk, run,  # noqa: E402
                       workspace, write_config)

build, source, work, linkgate, prefix = workspace()

install_sdk(build, prefix)
examples = ["hmac-token", "postmark-email", "csv-directory", "webhook"]
for example in examples:
    build_and_test(os.path.join(source, "examples/plugins", example), os.path.join(work, example),
                   prefix)

# The scaffold starts from these examples (webhook, hmac-token, csv-directory): what it writes
# must build and pass too, and keep none of the example's names.
for kind in ["delivery", "token", "users"]:
    scaffolded = os.path.join(work, f"new-{kind}")
    run(linkgate, "new-plugin", "--kind", kind, "--name", f"acme-{kind}", "--dir", scaffolded)
    build_and_test(scaffolded, os.path.join(scaffolded, "build"), prefix)
    if not os.path.exists(os.path.join(scaffolded, "build/plugins", f"linkgate-{kind}-acme-{kind}.so")):
        sys.exit(f"the scaffolded {kind} plugin is not named after --name")
    example_names = {"delivery": ["webhook"], "token": ["hmac-token", "hmac_token", '"hmac"'],
                     "users": ["csv-directory", "csv_directory"]}[kind]
    for folder, _, names in os.walk(scaffolded):
        if os.path.relpath(folder, scaffolded).startswith("build"):
            continue
        for n in names:
            with open(os.path.join(folder, n)) as f:
                text = f.read()
            for example_name in example_names:
                if example_name in text:
                    sys.exit(f"the scaffolded {kind} plugin still says {example_name} in {n}")

users = os.path.join(work, "users.csv")
with open(users, "w") as f:
    f.write("# id,email,phone,locale\nu-ada,ada@example.com,,en\n")
api = Receiver(source, os.path.join(work, "api"))
server = None
try:
    config = write_config(
        work, build, source, [f"{work}/{e}/plugins" for e in examples],
        token=f"{{ plugin: hmac, config: {{ key_file: {work}/hmac.key }} }}",
        delivery=f"""  - plugin: postmark
    for: email
    config: {{ server_token: "t0k", from: "Example <no-reply@example.com>",
               base_url: "http://127.0.0.1:{api.port}" }}""",
        users=f"{{ plugin: csv-directory, signup: false, config: {{ file: {users} }} }}")
    run(linkgate, "check-config", "--config", config)
    server = Server(linkgate, config)
    status, started = server.post("/v1/magic-links", {"identifier": "Ada@Example.com"})
    if status != 202:
        sys.exit(f"sign-in start answered {status}: {started}")
    record = api.first_request()
    email = json.loads(record["body"])
    if (record["path"] != "/email" or record["headers"].get("X-Postmark-Server-Token") != "t0k"
            or email["To"] != "ada@example.com"):
        sys.exit(f"unexpected e-mail API request: {record}")
    token = re.search(r"token=([A-Za-z0-9_.~-]+)", email["TextBody"]).group(1)
    signed_in = server.sign_in_with(token)
    if signed_in["user"]["id"] != "u-ada":
        sys.exit(f"signed in as the wrong user: {signed_in}")
    print("example plugins: built against the installed SDK, passed the testkit, and signed "
          "u-ada in through hmac + postmark + csv-directory")
finally:
    if server:
        server.stop()
    api.stop()
shutil.rmtree(work, ignore_errors=True)
