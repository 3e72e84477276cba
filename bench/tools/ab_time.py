#!/usr/bin/env python3
"""Times two commands as whole processes, in turn (A B A B ...), after warm-up runs of each.

Prints, for each command, the wall, cpu (user + sys) seconds and peak resident memory of every run
(min / median / max, from wait4's accounting of the finished child), and the ratio A/B of wall and cpu
taken pair by pair, so that a drift in the machine's speed during the runs cancels out. Output is one
markdown table; --json writes the same figures as one JSON object.

    ab_time.py [-n RUNS] [--warmup N] [--label-a A] [--label-b B] [--json FILE] -- 'COMMAND A' 'COMMAND B'

Each command is one shell-split string; its stdout and stderr are discarded.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"ab_time: '{shlex.join(argv)}' exited with {proc.returncode}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024.0}


def summary(values):
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--runs", type=int, default=10)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--label-a", default="A")
    p.add_argument("--label-b", default="B")
    p.add_argument("--json")
    p.add_argument("commands", nargs=2)
    a = p.parse_args()
    cmds = [shlex.split(c) for c in a.commands]
    for _ in range(a.warmup):
        for c in cmds:
            run_once(c)
    runs = [[], []]
    for _ in range(a.runs):
        for i, c in enumerate(cmds):
            runs[i].append(run_once(c))
    result = {"runs": a.runs, "commands": {}}
    for label, c, r in zip((a.label_a, a.label_b), a.commands, runs):
        result["commands"][label] = {"command": c, **{k: summary([x[k] for x in r]) for k in ("wall", "cpu", "peak_mib")}}
    result["ratio"] = {k: summary([x[k] / y[k] for x, y in zip(*runs)]) for k in ("wall", "cpu")}
    print(f"| figure ({a.runs} runs each, alternating) | min | median | max |")
    print("| --- | ---: | ---: | ---: |")
    for label in (a.label_a, a.label_b):
        for k, unit in (("wall", "s"), ("cpu", "s"), ("peak_mib", "MiB")):
            s = result["commands"][label][k]
            print(f"| {label} {k} {unit} | {s['min']:.4f} | {s['median']:.4f} | {s['max']:.4f} |")
    for k in ("wall", "cpu"):
        s = result["ratio"][k]
        print(f"| {a.label_a}/{a.label_b} {k} | {s['min']:.3f} | {s['median']:.3f} | {s['max']:.3f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
