#!/usr/bin/python3
"""Parses a received .eml with Python's email package (independent of Poco) and prints JSON:
decoded headers, the MIME structure and each text part decoded."""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                  "encoding": part.get("Content-Transfer-Encoding"), "body": part.get_content()})
print(json.dumps({
    "from": str(msg["From"]), "to": str(msg["To"]), "subject": str(msg["Subject"]),
    "message_id": str(msg["Message-ID"]), "date": str(msg["Date"]), "content_type": msg.get_content_type(),
    "auto_submitted": str(msg["Auto-Submitted"]), "parts": parts,
}))
