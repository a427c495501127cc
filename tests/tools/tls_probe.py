#!/usr/bin/python3
"""Connects to a TLS server with exactly one protocol version and says what happened.

  tls_probe.py HOST PORT CA_FILE VERSION     VERSION: TLSv1, TLSv1_1, TLSv1_2, TLSv1_3

Prints `accepted <version> <cipher>` or `refused <reason>`. Old versions are enabled on the
client side (security level 0), so a refusal is the server's.
"""
import socket
import ssl
import sys

host, port, ca_file, version = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca_file)
wanted = getattr(ssl.TLSVersion, version)
ctx.minimum_version = wanted
ctx.maximum_version = wanted
if wanted < ssl.TLSVersion.TLSv1_2:
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
try:
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            print("accepted", tls.version(), tls.cipher()[0])
except (ssl.SSLError, OSError) as e:
    print("refused", type(e).__name__, e)
