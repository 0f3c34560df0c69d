#!/usr/bin/env python3
"""Writes a synthetic Nix internal-json build log shaped like real Nix output (activity starts and
stops, phases, progress results, log lines), for benchmarks. Usage: gen-build-log.py LINES > FILE"""
import json, sys

lines = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
out = sys.stdout
emit = lambda obj: out.write("@nix " + json.dumps(obj, separators=(",", ":")) + "\n")
next_id = 1000
emit({"action": "start", "id": 1, "level": 0, "text": "", "type": 102})
emit({"action": "start", "id": 2, "level": 0, "parent": 1, "text": "", "type": 104})
written, drv = 2, 0
while written < lines:
    drv += 1
    next_id += 1
    path = f"/nix/store/{drv:032d}-pkg{drv}-1.0.drv"
    emit({"action": "start", "id": next_id, "level": 3, "parent": 2, "type": 105, "text": f"building '{path}'", "fields": [path, "", 1, 1]})
    written += 1
    for phase in ["unpackPhase", "configurePhase", "buildPhase", "installPhase", "fixupPhase"]:
        emit({"action": "result", "id": next_id, "type": 104, "fields": [phase]})
        written += 1
        for i in range(40):
            emit({"action": "result", "id": next_id, "type": 101, "fields": [f"pkg{drv}: {phase} step {i}: cc -O2 -c src/file_{i}.c -o build/file_{i}.o"]})
            written += 1
    emit({"action": "result", "id": 2, "type": 105, "fields": [drv, drv + 10, 1, 0]})
    emit({"action": "stop", "id": next_id})
    written += 2
emit({"action": "stop", "id": 2})
emit({"action": "stop", "id": 1})
