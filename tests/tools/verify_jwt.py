#!/usr/bin/python3
"""Verifies a linkgate access token with PyJWT (an independent JWT library) against a JWKS file.

usage: verify_jwt.py TOKEN JWKS_FILE ISSUER AUDIENCE
Prints the claims as JSON and exits 0, or prints the reason and exits 1.
"""
import json
import sys

import jwt

token, jwks_file, issuer, audience = sys.argv[1:5]
try:
    with open(jwks_file) as f:
        jwks = jwt.PyJWKSet.from_dict(json.load(f))
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(token, key.key, algorithms=["ES256"], audience=audience, issuer=issuer,
                        options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]})
    print(json.dumps(claims))
except Exception as e:  # noqa: BLE001 - any failure is a verification failure
    print(f"verification failed: {type(e).__name__}: {e}")
    sys.exit(1)
