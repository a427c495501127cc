#!/usr/bin/env python3
"""Fails when a core file includes a header of its own layer's sibling or of a higher layer.

The layers are core/layers.txt: one line per layer, lowest first. `#include "folder/..."` in
core/<folder>/ may name its own folder or a folder on an earlier line. Files directly in core/
(main.cpp) sit above every layer. `linkgate/...` (the SDK) counts as the folder `sdk`.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/', re.M)


def read_layers(path):
    rank = {}
    for number, line in enumerate(
        l for l in path.read_text().splitlines() if l.strip() and not l.startswith("#")
    ):
        for folder in line.split():
            rank[folder] = number
    return rank


def violations(core):
    rank = read_layers(core / "layers.txt")
    top = max(rank.values()) + 1
    found = []
    for source in sorted(core.rglob("*")):
        if source.suffix not in (".h", ".cpp") or not source.is_file():
            continue
        parts = source.relative_to(core).parts
        folder = parts[0] if len(parts) > 1 else None
        if folder is not None and folder not in rank:
            found.append(f"{source}: folder '{folder}' is not in layers.txt")
            continue
        own = rank[folder] if folder else top
        for included in INCLUDE.findall(source.read_text(errors="replace")):
            name = "sdk" if included == "linkgate" else included
            if name == folder or name not in rank:
                continue
            if rank[name] >= own:
                found.append(
                    f"{source.relative_to(core)}: includes {included}/ "
                    f"(layer {rank[name]}) from layer {own}"
                )
    return found


def main():
    core = pathlib.Path(sys.argv[1])
    problems = violations(core)
    for p in problems:
        print(p)
    print(f"{len(problems)} include(s) point up or across a layer")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
