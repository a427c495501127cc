#!/usr/bin/python3
"""Sends HTTP requests pipelined in one TLS write and counts the answers that come back.

  tls_pipeline.py HOST PORT CA_FILE BODY...

One `POST /v1/magic-links` per BODY (JSON), all in a single write, so the server's TLS session
holds the later ones while it answers the first. Prints the status line of each answer received
within 10 s, one per line, then `closed` or `open`.
"""
import re
import socket
import ssl
import sys
import time

host, port, ca_file, bodies = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca_file)
requests = b"".join(
    b"POST /v1/magic-links HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (host.encode(), len(body), body.encode())
    for body in bodies)
received, state = b"", "open"
with socket.create_connection((host, port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(requests)
        deadline = time.monotonic() + 10
        while received.count(b"HTTP/1.1 ") < len(bodies) and time.monotonic() < deadline:
            tls.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = tls.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                state = "closed"
                break
            received += chunk
# Each answer's status line; a body ends without a line break, so the next answer's status line
# follows it directly.
for status in re.findall(rb"HTTP/1\.1 [^\r]*", received):
    print(status.decode())
print(state)
