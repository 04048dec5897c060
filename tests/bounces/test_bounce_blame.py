"""Every record and every `classify` verdict says who must act on the failure."""

from __future__ import annotations

import pytest

from buzon.bounces import classify
from buzon.bounces.blame import BLAMES


@pytest.mark.parametrize(
    ("args", "blame"),
    [
        (
            ("5.1.1", 550, "5.1.1 <nadie@example.com>: Recipient address rejected", None, "RCPT"),
            "address",
        ),
        (("5.2.2", 552, "Mailbox full", None, "RCPT"), "mailbox"),
        ((None, 421, "Too many connections from your host", None, "CONN"), "reputation"),
        (("5.7.1", 554, "Relay access denied", None, "RCPT"), "setup"),
    ],
)
def test_classify_says_who_must_act(args, blame) -> None:
    verdict = classify(*args)
    assert verdict.blame == blame
    assert verdict.blame in BLAMES
