"""atheris fuzz harness for buzon.bounces.parse, seeded with the developer corpus.

    python bench/bounces/fuzz.py -max_total_time=600

Fails on any exception, on a parse slower than 200 ms, or on a recipient that is not
an email address.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from buzon.bounces import is_auto_reply, parse
    from buzon.bounces.address import is_address

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "bounces" / "corpus" / "sisimai" / "eml"


def test_one_input(data: bytes) -> None:
    started = time.perf_counter()
    records = parse(data)
    is_auto_reply(data)
    elapsed = time.perf_counter() - started
    if elapsed > 0.2:
        raise RuntimeError(f"parse took {elapsed * 1000:.0f} ms")
    for record in records:
        if not is_address(record.recipient):
            raise RuntimeError(f"not an address: {record.recipient!r}")


def main() -> None:
    seeds = tempfile.mkdtemp(prefix="bounce-fuzz-")
    for path in sorted(CORPUS.glob("*.eml")):
        (Path(seeds) / path.name).write_bytes(path.read_bytes())
    atheris.Setup([*sys.argv, seeds], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
