"""Hostile-size inputs for buzon_bounces.parse: 10 MB messages and 200-deep nesting.

    python bench/bounces/stress.py [--repeat N]

Prints the best of N parse times for each case against the 50 ms target. The same cases
are run by `tests/bounces/test_bounce_robustness.py`, which only checks that they finish
(a hang bound), because timings on a shared machine belong in a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EML_DIR = ROOT / "tests" / "bounces" / "corpus" / "sisimai" / "eml"
TARGET_MS = 50.0


def ten_megabyte_cases() -> dict[str, bytes]:
    head = (EML_DIR / "lhost-postfix-02.eml").read_bytes()
    return {
        "appended": head + b"A" * 10_000_000,
        "one long line": head.replace(b"\n\n", b"\n\n" + b"x@" * 5_000_000 + b"\n", 1),
        "many recipient lines": b"From: MAILER-DAEMON@mx.test\nSubject: Undelivered Mail\n\n"
        + b"<a@b.test>: 550 5.1.1 user unknown\n" * 300_000,
        "many parts": b"From: MAILER-DAEMON@mx.test\nContent-Type: multipart/report; boundary=b\n\n"
        + b"--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.test\n\n"
        * 150_000,
        # A notice phrase followed by a long blank run (was quadratic in the generic
        # reader's "address follows this phrase" patterns).
        "blank run after phrase": b"From: MAILER-DAEMON@mx.test\n"
        b"Subject: Undelivered Mail\n\nThe mail could not be delivered to" + b" " * 10_000_000,
    }


def deep_cases(depth: int = 200) -> dict[str, bytes]:
    multipart = (
        b"From: MAILER-DAEMON@mx.test\nSubject: Undelivered\n"
        b"Content-Type: multipart/report; boundary=b0\n\n"
    )
    for level in range(depth):
        multipart += b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level, level + 1)
    multipart += (
        b"--b%d\nContent-Type: message/delivery-status\n\n"
        b"Final-Recipient: rfc822; a@b.test\nStatus: 5.1.1\n" % depth
    )
    messages = (
        b"From: MAILER-DAEMON@mx.test\nSubject: Undelivered\nContent-Type: message/rfc822\n\n"
        * depth
    )
    return {f"{depth}-deep multipart": multipart, f"{depth}-deep message/rfc822": messages}


def all_cases() -> dict[str, bytes]:
    return {**{f"10 MB {k}": v for k, v in ten_megabyte_cases().items()}, **deep_cases()}


def best_time(raw: bytes, repeat: int) -> float:
    from buzon_bounces import parse

    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        parse(raw)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="parses per case (best is kept)")
    args = parser.parse_args(argv)
    worst = 0.0
    for name, raw in all_cases().items():
        elapsed = best_time(raw, args.repeat) * 1000
        worst = max(worst, elapsed)
        verdict = "ok" if elapsed < TARGET_MS else "OVER TARGET"
        print(f"{name:<34}: {elapsed:7.2f} ms  ({len(raw) / 1e6:5.1f} MB) {verdict}")
    print(f"slowest case: {worst:.2f} ms (target < {TARGET_MS:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
