#!/usr/bin/env python3
"""Times sign-in starts for a user's address and a stranger's, as an attacker probing for
accounts would: one keep-alive connection, PAIRS pairs one after the other, who goes first in
each pair drawn at random, no pause between requests. Prints each side's median, the median
ratio, P(user's start slower than a stranger's) over every pair of samples (0.5 = no signal)
and that P's distance from 0.5 in standard errors (Mann-Whitney), which grows with the square
root of the samples when there is a difference — the attacker's gain from asking more.

  bench/http/enumeration.py <port> <user address> <stranger address> [pairs]
"""
import bisect
import http.client
import json
import math
import random
import statistics
import sys
import time


def timed_start(conn, address):
    body = json.dumps({"identifier": address})
    began = time.perf_counter_ns()
    conn.request("POST", "/v1/magic-links", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter_ns() - began) / 1000.0
    if response.status != 202:
        sys.exit(f"{address}: status {response.status}")
    return elapsed


def p_slower(a, b):
    """P(x > y) for x from a, y from b (ties count half)."""
    b_sorted = sorted(b)
    wins = 0.0
    for x in a:
        below = bisect.bisect_left(b_sorted, x)
        equal = bisect.bisect_right(b_sorted, x) - below
        wins += below + equal / 2
    return wins / (len(a) * len(b))


def main():
    port, user, stranger = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    pairs = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(200):  # warm-up, not counted
        timed_start(conn, user if i % 2 else stranger)
    coin = random.Random(20261203)
    users, strangers = [], []
    for _ in range(pairs):
        if coin.random() < 0.5:
            users.append(timed_start(conn, user))
            strangers.append(timed_start(conn, stranger))
        else:
            strangers.append(timed_start(conn, stranger))
            users.append(timed_start(conn, user))
    p = p_slower(users, strangers)
    n1, n2 = len(users), len(strangers)
    standard_error = math.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))
    mu, ms = statistics.median(users), statistics.median(strangers)
    print(f"{pairs} pairs: median user {mu:.1f} us, stranger {ms:.1f} us, ratio {mu / ms:.4f}, "
          f"P(user slower) {p:.4f} = 0.5 {'+' if p >= 0.5 else '-'} "
          f"{abs(p - 0.5) / standard_error:.1f} standard errors")


if __name__ == "__main__":
    main()
