#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd), on loopback.

Prints `PORT <n>` once it listens, then writes every accepted message to
<maildir>/<n>.eml with its envelope in <maildir>/<n>.json (with the number of the connection
that carried it and the time it was accepted).

  smtp_server.py --maildir DIR [--port N] [--tls none|starttls|implicit --cert-dir DIR]
                 [--user U --password P] [--reject-first N --reject-code 451]
                 [--delay-ms N] [--max-per-connection N]

--delay-ms: spend this long on each message before answering (a busy mail server).
--max-per-connection: close a connection after it carried this many messages, as some relays
do, so the client must notice and open another.

--cert-dir: makes a private CA (ca.pem) and a server certificate for 127.0.0.1/localhost
signed by it (cert.pem, key.pem) there, unless they exist.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_certificates import make_certificates  # noqa: E402


class Handler:
    def __init__(self, maildir, reject_first, reject_code, delay_ms=0, max_per_connection=0):
        self.maildir, self.reject_left, self.reject_code = maildir, reject_first, reject_code
        self.delay, self.max_per_connection = delay_ms / 1000.0, max_per_connection
        self.count = 0
        self.connections = {}  # session -> [its number, messages it carried]

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        connection = self.connections.setdefault(session, [len(self.connections) + 1, 0])
        if self.reject_left > 0:
            self.reject_left -= 1
            # Like real servers, the refusal quotes the recipient.
            rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
            return (f"{self.reject_code} 4.2.0 <{rcpt}>: try again later" if self.reject_code < 500
                    else f"{self.reject_code} 5.1.1 <{rcpt}>: no such user")
        self.count += 1
        base = os.path.join(self.maildir, f"{self.count:04d}")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            tls = server.transport.get_extra_info("ssl_object") is not None
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": tls, "auth": session.authenticated, "connection": connection[0],
                       "received_at": time.time()}, f)
        os.rename(base + ".tmp", base + ".eml")
        connection[1] += 1
        if self.max_per_connection and connection[1] >= self.max_per_connection:
            # After the reply is written: transports flush before they close.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    p.add_argument("--cert-dir")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--reject-first", type=int, default=0)
    p.add_argument("--reject-code", type=int, default=451)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--max-per-connection", type=int, default=0)
    a = p.parse_args()
    os.makedirs(a.maildir, exist_ok=True)

    context = None
    if a.tls != "none":
        cert, key = make_certificates(a.cert_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login.decode() == a.user and data.password.decode() == a.password
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    handler = Handler(a.maildir, a.reject_first, a.reject_code, a.delay_ms, a.max_per_connection)

    def factory():
        return SMTP(handler, hostname="localhost",
                    tls_context=context if a.tls == "starttls" else None,
                    require_starttls=a.tls == "starttls",
                    auth_required=a.user is not None,
                    # aiosmtpd only counts its own STARTTLS as TLS; implicit TLS is encrypted from the start.
                    auth_require_tls=a.tls == "starttls",
                    authenticator=authenticator if a.user else None)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=a.port, ssl=context if a.tls == "implicit" else None,
        # A given port may be held by the test (HeldPort) while "the mail server is down".
        reuse_port=a.port != 0))
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
