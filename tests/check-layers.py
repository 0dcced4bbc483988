#!/usr/bin/env python3
"""The folders of src/ and include/brig/ depend on each other one way only
(docs/architecture.md). Reads every #include "brig/FOLDER/..." line and fails
on an arrow that the table below does not allow; since the table has no
cycle, no include cycle between folders can pass either."""
import pathlib
import re
import sys

SUBSYSTEMS = {"cgroup", "fs", "net", "seccomp"}
BASE = {"config", "lib"}
ALLOWED = {
    "lib": set(),
    "config": {"lib"},
    **{s: BASE for s in SUBSYSTEMS},
    "cli": SUBSYSTEMS | BASE,
    "run": SUBSYSTEMS | BASE,
    "probe": {"run", "cli"} | SUBSYSTEMS | BASE,
    "ci": {"run", "cli"} | SUBSYSTEMS | BASE,
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"brig/([a-z_]+)/[^"]+"', re.M)


def folder_of(path, root):
    rel = path.relative_to(root)
    parts = rel.parts
    if parts[0] == "src":
        return "main" if len(parts) == 2 else parts[1]
    return parts[2]  # include/brig/FOLDER/x.h


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = sorted(list((root / "src").rglob("*.[ch]")) +
                   list((root / "include" / "brig").rglob("*.h")))
    bad = 0
    for f in files:
        src = folder_of(f, root)
        allowed = ALLOWED.get(src)
        for dst in INCLUDE.findall(f.read_text()):
            if dst == src or src == "main":
                continue
            if allowed is None or dst not in allowed:
                print(f"{f.relative_to(root)}: {src} -> {dst} goes against "
                      "the layering of docs/architecture.md")
                bad += 1
    if bad:
        print(f"check-layers: {bad} include(s) against the layering")
        return 1
    print(f"check-layers: {len(files)} files, every include follows the layering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
