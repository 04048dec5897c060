"""atheris fuzz harness for buzon_bounces.parse, seeded with the developer corpus.

    python bench/bounces/fuzz.py -runs=200000 -seed=1          # a fixed, repeatable run
    python bench/bounces/fuzz.py -max_total_time=600           # a longer exploratory run

It fails on any exception escaping `parse` or `is_auto_reply`, on a record whose
recipient is not an email address (a complaint that names nobody has none) and on an
action outside failed / delayed / delivered / relayed / expanded; libFuzzer's own
`-timeout=S` catches hangs. Speed is not checked here (instrumentation and machine load
make per-input times meaningless):
`bench/bounces/bench.py` measures it. Set BUZON_FUZZ_SLOW_MS to also fail on any input
slower than that many milliseconds when hunting for slow inputs by hand, and
BUZON_FUZZ_WORKDIR to choose the folder that receives the seed copies and new inputs.
atheris follows the coverage of Python code: run it on the Python source (a copy of the
.py files on PYTHONPATH, or an install built with BUZON_BOUNCES_PURE=1), not on the
build compiled by mypyc.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from buzon_bounces import is_auto_reply, parse
    from buzon_bounces.address import is_address
    from buzon_bounces.classify import ACTIONS

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "bounces" / "corpus" / "sisimai" / "eml"
SLOW_MS = float(os.environ.get("BUZON_FUZZ_SLOW_MS", "0") or 0)


def test_one_input(data: bytes) -> None:
    started = time.perf_counter()
    records = parse(data)
    is_auto_reply(data)
    if SLOW_MS:
        elapsed = (time.perf_counter() - started) * 1000
        if elapsed > SLOW_MS:
            raise RuntimeError(f"parse took {elapsed:.0f} ms")
    for record in records:
        if not is_address(record.recipient) and (record.recipient or record.reason != "feedback"):
            raise RuntimeError(f"not an address: {record.recipient!r}")
        if record.action not in ACTIONS and record.reason not in ("vacation", "feedback"):
            raise RuntimeError(f"not an action: {record.action!r}")


def main() -> None:
    # libFuzzer adds the inputs it finds to its first corpus folder: give it a copy.
    workdir = os.environ.get("BUZON_FUZZ_WORKDIR")
    seeds = workdir or tempfile.mkdtemp(prefix="bounce-fuzz-")
    Path(seeds).mkdir(parents=True, exist_ok=True)
    for path in sorted(CORPUS.glob("*.eml")):
        (Path(seeds) / path.name).write_bytes(path.read_bytes())
    atheris.Setup([*sys.argv, seeds], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
