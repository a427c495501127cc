#!/usr/bin/env python3
"""Compiles every C++ example a plugin author reads: the ```cpp blocks of docs/plugin-guide.md and
the @code blocks of the SDK and testkit headers. Each is compiled on its own (syntax and types,
-fsyntax-only) after the SDK's and testkit's umbrella headers, the way an author pastes it.

  compile_doc_examples.py SOURCE_DIR [CXX]
"""
import pathlib
import re
import subprocess
import sys
import tempfile



def prelude(source):
    """What an author's file has included by then: the SDK and every testkit header."""
    testkit = sorted((source / "sdk" / "testkit" / "include" / "linkgate" / "testkit").glob("*.h"))
    return '#include "linkgate/sdk/sdk.h"\n' + "".join(
        f'#include "linkgate/testkit/{h.name}"\n' for h in testkit)


def guide_blocks(source):
    for doc in ["docs/plugin-guide.md"]:
        text = (source / doc).read_text()
        for n, block in enumerate(re.findall(r"^```cpp\n(.*?)^```", text, re.S | re.M), 1):
            yield f"{doc} block {n}", block


def header_blocks(source):
    for header in sorted((source / "sdk").rglob("*.h")):
        lines = header.read_text().splitlines()
        block, start = None, 0
        for number, line in enumerate(lines, 1):
            stripped = re.sub(r"^\s*///? ?", "", line)
            if "@code" in line:
                block, start = [], number
            elif "@endcode" in line and block is not None:
                yield f"{header.relative_to(source)}:{start}", "\n".join(block) + "\n"
                block = None
            elif block is not None:
                block.append(stripped)


def main():
    source = pathlib.Path(sys.argv[1])
    cxx = sys.argv[2] if len(sys.argv) > 2 else "c++"
    failed, count = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in list(guide_blocks(source)) + list(header_blocks(source)):
            count += 1
            unit = pathlib.Path(tmp) / f"example{count}.cpp"
            unit.write_text(prelude(source) + code)
            result = subprocess.run(
                [cxx, "-std=c++20", "-fsyntax-only", "-DBOOST_DLL_USE_STD_FS", "-I", str(source / "sdk" / "include"),
                 "-I", str(source / "sdk" / "testkit" / "include"),
                 '-DPLUGIN_FILE="linkgate-delivery-example.so"', str(unit)],
                capture_output=True, text=True)
            if result.returncode != 0:
                failed.append(f"{name}:\n{code}\n{result.stderr[:3000]}")
    for f in failed:
        print(f"--- does not compile: {f}")
    print(f"{count - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
