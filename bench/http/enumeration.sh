#!/usr/bin/env bash
# Whether a sign-in start's answer time tells a user's address from a stranger's, at an
# attacker's scale: the embedded default with sign-up off (a stranger's message is stored and
# discarded, a user's delivered), one user made, then bench/http/enumeration.py times PAIRS
# (default 5,000) pairs of starts over one keep-alive connection, one after the other. The test
# suite's Enumeration.UsersAndStrangersTakeTheSameTime asks the same at 400 pairs with bounds a
# noisy CI can hold; this is the measurement at the scale where a bias of a few per cent shows.
#
#   scripts/build && bench/http/enumeration.sh
#   PAIRS=20000 BUILD=/other/build bench/http/enumeration.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/serve.sh
bench_begin
BENCH_SIGNUP=false bench_serve_token "$BUILD" "${TOKEN:-jwt}"
"$BUILD/linkgate" users add known@example.com --config "$work/linkgate.yaml" >/dev/null
python3 bench/http/enumeration.py "$port" known@example.com stranger@example.com "${PAIRS:-5000}"
