#!/usr/bin/env python3
"""Fails when the SDK's public headers change without a plugin ABI bump.

Like Envoy's dynamic-module ABI guard: sdk/abi-versions.txt records, for each ABI version, the
SHA-256 of the headers that plugins compile against (sdk/include/linkgate/sdk/*.h but version.h),
with comments and white space taken out so that documentation can change freely. The hash of the
headers as they are must be the one recorded for LINKGATE_SDK_ABI_VERSION. A change to a struct,
an interface, an enum or the descriptor changes the hash: bump LINKGATE_SDK_ABI_VERSION in
version.h (and the SDK's minor version), then append a line `<new version> <new hash>`.

  check_abi_hash.py SDK_DIR            check
  check_abi_hash.py SDK_DIR --print    print the current hash
"""
import hashlib
import pathlib
import re
import sys


def strip_comments(text):
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def abi_hash(sdk_dir):
    headers = sorted((sdk_dir / "include" / "linkgate" / "sdk").glob("*.h"))
    digest = hashlib.sha256()
    for header in headers:
        if header.name == "version.h":
            continue
        tokens = " ".join(strip_comments(header.read_text()).split())
        digest.update(header.name.encode() + b"\n" + tokens.encode() + b"\n")
    return digest.hexdigest()


def abi_version(sdk_dir):
    text = (sdk_dir / "include" / "linkgate" / "sdk" / "version.h").read_text()
    return int(re.search(r"#define LINKGATE_SDK_ABI_VERSION (\d+)", text).group(1))


def recorded(sdk_dir):
    table = {}
    for line in (sdk_dir / "abi-versions.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            version, digest = line.split()
            table[int(version)] = digest
    return table


def main():
    sdk_dir = pathlib.Path(sys.argv[1])
    current = abi_hash(sdk_dir)
    if "--print" in sys.argv:
        print(current)
        return 0
    version = abi_version(sdk_dir)
    table = recorded(sdk_dir)
    if version not in table:
        print(f"ABI {version} has no line in abi-versions.txt; append: {version} {current}")
        return 1
    if table[version] != current:
        print(
            f"The SDK headers changed, but LINKGATE_SDK_ABI_VERSION is still {version} (recorded "
            f"hash {table[version]}, now {current}). Bump it to {max(table) + 1}, and append "
            f"'{max(table) + 1} {current}' to sdk/abi-versions.txt."
        )
        return 1
    print(f"SDK headers match plugin ABI {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
