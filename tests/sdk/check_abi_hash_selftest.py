#!/usr/bin/env python3
"""The ABI guard itself, on a copy of the SDK: a comment may change freely; a struct member may
not, unless the ABI version is bumped and the new hash recorded."""
import pathlib
import shutil
import subprocess
import sys
import tempfile

CHECK = pathlib.Path(__file__).with_name("check_abi_hash.py")


def check(sdk):
    return subprocess.run([sys.executable, CHECK, sdk], capture_output=True, text=True)


def main():
    source = pathlib.Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        sdk = pathlib.Path(tmp) / "sdk"
        shutil.copytree(source, sdk)
        types = sdk / "include" / "linkgate" / "sdk" / "types.h"
        version = sdk / "include" / "linkgate" / "sdk" / "version.h"
        assert check(sdk).returncode == 0, check(sdk).stdout

        types.write_text(types.read_text().replace("struct User {", "/// Reworded.\nstruct User {  // x"))
        assert check(sdk).returncode == 0, "a comment is not an ABI change"

        types.write_text(types.read_text().replace("struct User {", "struct User {\n  int added;"))
        changed = check(sdk)
        assert changed.returncode == 1 and "Bump it to" in changed.stdout, changed.stdout

        text = version.read_text()
        current = int(text.split("#define LINKGATE_SDK_ABI_VERSION ")[1].split()[0])
        version.write_text(text.replace(f"ABI_VERSION {current}", f"ABI_VERSION {current + 1}"))
        still = check(sdk)
        assert still.returncode == 1 and "no line" in still.stdout, still.stdout

        digest = subprocess.run([sys.executable, CHECK, sdk, "--print"], capture_output=True,
                                text=True).stdout.strip()
        with open(sdk / "abi-versions.txt", "a") as table:
            table.write(f"{current + 1} {digest}\n")
        assert check(sdk).returncode == 0, check(sdk).stdout
    print("4 passed, 0 failed")


if __name__ == "__main__":
    main()
