#!/usr/bin/env python3
"""Fails when the README's layout section leaves out a folder: every top-level folder, every
folder of core/, and every first-party plugin must be named there."""
import pathlib
import re
import sys


def main():
    source = pathlib.Path(sys.argv[1])
    readme = (source / "README.md").read_text()
    layout = re.search(r"## Layout\n+```\n(.*?)```", readme, re.S).group(1)
    missing = []
    # Folders the checkout ignores (build/, build-fuzz/, data/) are not part of the layout.
    ignored = {line.strip().strip("/") for line in (source / ".gitignore").read_text().splitlines()
               if line.strip().startswith("/")}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        if folder.name.startswith(".") or folder.name in ignored:
            continue
        if not re.search(rf"(^|\s){re.escape(folder.name)}/", layout, re.M):
            missing.append(folder.name + "/")
    for folder in sorted(p for p in (source / "core").iterdir() if p.is_dir()):
        if not re.search(rf"(^|\s){re.escape(folder.name)}/", layout, re.M):
            missing.append("core/" + folder.name + "/")
    for plugin in sorted((source / "plugins").glob("*/*")):
        if plugin.is_dir() and plugin.name not in layout:
            missing.append(str(plugin.relative_to(source)) + "/")
    for m in missing:
        print(f"README.md's layout does not name {m}")
    print(f"{0 if missing else 1} passed, {1 if missing else 0} failed")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
