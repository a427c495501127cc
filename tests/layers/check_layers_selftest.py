#!/usr/bin/env python3
"""The layer check itself: it passes a clean tree and fails each kind of upward include."""
import pathlib
import subprocess
import sys
import tempfile

CHECK = pathlib.Path(__file__).with_name("check_layers.py")


def run(files):
    with tempfile.TemporaryDirectory() as tmp:
        core = pathlib.Path(tmp)
        (core / "layers.txt").write_text("util\nflow session\nhttp\n")
        for name, text in files.items():
            (core / name).parent.mkdir(parents=True, exist_ok=True)
            (core / name).write_text(text)
        return subprocess.run([sys.executable, CHECK, core], capture_output=True, text=True)


def main():
    clean = run({"http/a.cpp": '#include "flow/b.h"\n#include "util/c.h"\n#include <string>\n',
                 "flow/b.h": '#include "flow/d.h"\n#include "util/c.h"\n', "main.cpp": '#include "http/a.h"\n'})
    assert clean.returncode == 0, clean.stdout
    up = run({"flow/b.h": '#include "http/a.h"\n'})
    assert up.returncode == 1 and "flow/b.h: includes http/" in up.stdout, up.stdout
    across = run({"flow/b.h": '#include "session/s.h"\n'})
    assert across.returncode == 1, across.stdout
    unknown = run({"misc/x.cpp": "\n"})
    assert unknown.returncode == 1 and "not in layers.txt" in unknown.stdout, unknown.stdout
    print("4 passed, 0 failed")


if __name__ == "__main__":
    main()
