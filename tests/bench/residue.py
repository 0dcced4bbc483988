#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What brig leaves on the host, before and after a benchmark.

    residue.py snapshot FILE      write the host's brig state to FILE
    residue.py check FILE         compare with FILE; exit 1 on residue

The state, by name: job cgroups under the cgroup v2 mount's brig/ parent,
brig-* links, address leases (/run/brig/net), job records (/run/brig/jobs),
job ids in the nftables table inet brig, and host mounts that name brig.
Processes are not here: the jobs driver (jobs.c) is their subreaper and
checks them exactly.

A name that is new after the benchmark is residue unless it goes within
SETTLE seconds (default 5) or belongs to a live job: a lease or record
whose lock a process holds, a cgroup with processes in it. Links and rules
are those of the network namespace it runs in, leases and records those
of its /run/brig: run.sh gives the benchmark namespaces and a /run/brig of
its own, so that other brig jobs on the machine do not count.
"""
import fcntl
import json
import os
import re
import subprocess
import sys
import time

ID = re.compile(r"[0-9a-f]{12}")


def cgroup_root():
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[f.index("-") + 1] == "cgroup2":
            return f[4]
    return None


def live_file(path):
    """A lease or record whose lock some process holds."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def live_cgroup(path):
    try:
        return open(os.path.join(path, "cgroup.procs")).read().strip() != ""
    except OSError:
        return False


def listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def state():
    """name -> True when it belongs to a live job."""
    s = {}
    root = cgroup_root()
    if root:
        parent = os.path.join(root, "brig")
        for d in listdir(parent):
            p = os.path.join(parent, d)
            if d.startswith("job-") and os.path.isdir(p):
                s["cgroup " + p] = live_cgroup(p)
    # ip, not /sys/class/net: sysfs shows its mounter's network namespace.
    try:
        links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    except OSError:
        links = ""
    for line in links.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith("brig-"):
            s["link " + name] = False
    for kind, where in (("lease", "/run/brig/net"), ("record", "/run/brig/jobs")):
        for d in listdir(where):
            if not d.startswith("."):
                s[kind + " " + os.path.join(where, d)] = live_file(os.path.join(where, d))
    try:
        rules = subprocess.run(["nft", "list", "table", "inet", "brig"], capture_output=True, text=True).stdout
    except OSError:
        rules = ""
    for i in set(ID.findall(rules)):
        s["rules of job " + i] = False
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if "brig" in f[4] or "brig" in f[f.index("-") + 2]:
            s["mount " + f[4]] = False
    return s


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("snapshot", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "snapshot":
        json.dump(sorted(state()), open(sys.argv[2], "w"))
        return
    before = set(json.load(open(sys.argv[2])))
    deadline = time.monotonic() + float(os.environ.get("SETTLE", "5"))
    while True:
        now = state()
        new = sorted(k for k, live in now.items() if k not in before and not live)
        if not new or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    live = sum(1 for k, v in now.items() if k not in before and v)
    if new:
        print("residue: %d names new since the benchmark began and not of a live job:" % len(new))
        for k in new[:20]:
            print("  " + k)
        sys.exit(1)
    print("residue: none (cgroups, links, leases, job records, firewall rules, mounts; %d new of live jobs)" % live)


if __name__ == "__main__":
    main()
