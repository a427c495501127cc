#!/usr/bin/python3
"""A loopback HTTP server shaped like an SMS gateway's API, for the tests.

Prints `PORT <n>`, then records every request to <dir>/<n>.json (method, path, headers, body,
form fields). With --twilio-sid/--twilio-token it behaves like Twilio's Messages API: Basic auth,
POST /2010-04-01/Accounts/<sid>/Messages.json with To, From and Body, 201 with a message sid;
a wrong password is 401, a missing field 400. --fail-first N answers the first N requests with
--fail-status (default 500) and a body quoting the recipient, as real gateways do.
"""
import argparse
import base64
import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--twilio-sid")
    p.add_argument("--twilio-token")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=500)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    state = {"count": 0, "fail_left": a.fail_first}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
            with lock:
                if state["fail_left"] > 0:
                    state["fail_left"] -= 1
                    # Real gateways quote the recipient in refusals (Twilio's 21211 does).
                    return self.answer(a.fail_status, {
                        "code": 21211,
                        "message": f"The 'To' number {form.get('To', '')} is not a valid phone number."})
                state["count"] += 1
                n = state["count"]
            record = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                      "body": body, "form": form}
            if a.twilio_sid:
                expected = "Basic " + base64.b64encode(f"{a.twilio_sid}:{a.twilio_token}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self.answer(401, {"code": 20003, "message": "Authenticate"})
                if self.command != "POST" or self.path != f"/2010-04-01/Accounts/{a.twilio_sid}/Messages.json":
                    return self.answer(404, {"code": 20404, "message": "not found"})
                if not all(form.get(k) for k in ("To", "From", "Body")):
                    return self.answer(400, {"code": 21604, "message": "A 'To', 'From' and 'Body' are required"})
            tmp = os.path.join(a.dir, f"{n:04d}.tmp")
            with open(tmp, "w") as f:
                json.dump(record, f)
            os.rename(tmp, os.path.join(a.dir, f"{n:04d}.json"))
            self.answer(201 if a.twilio_sid else 200, {"sid": f"SM{n:032d}", "status": "queued"})

        do_POST = do_PUT = do_GET = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
