#!/usr/bin/python3
"""Runs one command under a leak checker and fails unless it reports no definite and no
indirect leaks (and no memory errors).

usage: leak_check.py [--checker valgrind|lsan] [--suppressions FILE] -- COMMAND ARGS...

valgrind (the default): "still reachable" and "possibly lost" blocks are reported but accepted:
ns-3 keeps singletons (TypeId registry, global values, the simulator implementation's statics)
alive until exit. lsan: for a build instrumented with AddressSanitizer (scripts/test-sanitize),
where valgrind cannot run; the command runs as it is and LeakSanitizer, which checks at exit,
reports leaks and memory errors by failing it.
"""
import argparse
import os
import re
import subprocess
import sys
import time

SUMMARY = re.compile(r"(definitely|indirectly|possibly) lost: ([\d,]+) bytes in ([\d,]+) blocks")
ERRORS = re.compile(r"ERROR SUMMARY: ([\d,]+) errors")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checker", choices=["valgrind", "lsan"], default="valgrind")
    parser.add_argument("--suppressions", default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    if args.checker == "lsan":
        return check_with_leak_sanitizer(command)
    valgrind = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect", "--num-callers=30"]
    if args.suppressions:
        valgrind.append("--suppressions=" + args.suppressions)
    started = time.monotonic()
    run = subprocess.run(valgrind + command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    log = run.stderr
    if run.returncode != 0:
        print(log[-6000:])
        print(f"FAIL: exit code {run.returncode} after {seconds:.0f} s")
        return 1
    lost = {kind: (int(b.replace(",", "")), int(n.replace(",", "")))
            for kind, b, n in SUMMARY.findall(log)}
    errors = ERRORS.findall(log)
    clean = "All heap blocks were freed" in log
    if not errors or (not lost and not clean):
        print(log[-6000:])
        print("FAIL: no valgrind summary found")
        return 1
    definite = lost.get("definitely", (0, 0))
    indirect = lost.get("indirectly", (0, 0))
    possible = lost.get("possibly", (0, 0))
    print(f"{' '.join(command)}: {seconds:.0f} s under valgrind; definitely lost: {definite[0]} "
          f"bytes in {definite[1]} blocks, indirectly lost: {indirect[0]} bytes in "
          f"{indirect[1]} blocks, possibly lost: {possible[0]} bytes in {possible[1]} blocks, "
          f"errors: {errors[-1]}")
    if definite[0] or indirect[0] or errors[-1] != "0":
        print(log[-20000:])
        print("FAIL: leaks or memory errors")
        return 1
    return 0


def check_with_leak_sanitizer(command):
    env = dict(os.environ)
    options = env.get("ASAN_OPTIONS", "")
    if "detect_leaks=0" in options:
        print("FAIL: ASAN_OPTIONS disables LeakSanitizer (detect_leaks=0)")
        return 1
    env["ASAN_OPTIONS"] = (options + ":" if options else "") + "detect_leaks=1"
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    log = run.stderr
    if run.returncode != 0 or "ERROR: LeakSanitizer" in log or "ERROR: AddressSanitizer" in log:
        print(log[-20000:])
        print(f"FAIL: exit code {run.returncode} after {seconds:.0f} s under LeakSanitizer")
        return 1
    print(f"{' '.join(command)}: {seconds:.0f} s under AddressSanitizer/LeakSanitizer: "
          "no leaks, no memory errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
