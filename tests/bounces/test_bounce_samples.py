"""Hand-written samples in the formats the modules read, none of them a module's source.

Each file in `samples/` is a realistic bounce written for these tests (addresses and
hosts under .test); `expected.json` lists, per file, the records parse must return as
(recipient, reason, status, reply code, hard), optionally followed by the action.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buzon_bounces import parse

SAMPLES = Path(__file__).parent / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str) -> None:
    records = parse((SAMPLES / name).read_bytes())
    with_action = any(len(row) > 5 for row in EXPECTED[name])
    got = [
        (
            r.recipient,
            r.reason,
            r.status,
            r.reply_code,
            r.hard,
            *([r.action] if with_action else []),
        )
        for r in records
    ]
    want = [tuple(row) for row in EXPECTED[name]]
    assert sorted(got) == sorted(want)
