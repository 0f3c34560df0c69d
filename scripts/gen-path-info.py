#!/usr/bin/env python3
"""Writes a synthetic `nix path-info --json --recursive` closure (Nix 2.8 array shape) with N store
paths and about E references, shaped like a real closure: one root, a layered DAG with wide shared
libraries near the bottom. Usage: gen-path-info.py N E > FILE"""
import json, random, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
e = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
random.seed(11)
alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
def path(i):
    h = "".join(alphabet[(i * 7 + k * 13) % 32] for k in range(24)) + f"{i:08d}"
    return f"/nix/store/{h}-pkg{i}-{i % 7}.{i % 13}"
per = max(1, e // n)
items = []
for i in range(n):
    refs = set()
    if i + 1 < n:
        refs.add(path(i + 1))  # keeps everything reachable from the root
        for _ in range(per - 1):
            # Mostly nearby, sometimes far down to the shared libraries.
            j = random.randint(i + 1, min(n - 1, i + 200)) if random.random() < 0.7 else random.randint(i + 1, n - 1)
            refs.add(path(j))
    items.append({"path": path(i), "narSize": random.randint(1_000, 5_000_000), "references": sorted(refs)})
json.dump(items, sys.stdout)
