"""smtpcodes reads an enhanced status code in free text the same way everywhere."""

from __future__ import annotations

import re

import pytest
from status_code_cases import CASES

from buzon.smtpcodes.parsing import (
    LEADING_STATUS_RE,
    STATUS_CODE,
    STATUS_RE,
    Status,
    status_from,
    statuses_in,
)


@pytest.mark.parametrize(("text", "codes"), CASES)
def test_every_code_in_text(text: str, codes: list[tuple[int, int, int]]) -> None:
    assert statuses_in(text) == [Status(*code) for code in codes]
    assert status_from(text) == (Status(*codes[0]) if codes else None)


@pytest.mark.parametrize(("text", "codes"), CASES)
def test_a_code_at_the_start(text: str, codes: list[tuple[int, int, int]]) -> None:
    """The code a text starts with (a reply's text after its reply code)."""
    first = STATUS_RE.search(text)
    match = LEADING_STATUS_RE.match(text)
    assert (match.group(1) if match else None) == (
        first.group(1) if first and first.start() == 0 else None
    )


def test_composed_into_a_reply_pattern() -> None:
    reply = re.compile(rf"([245]\d\d)[ -]({STATUS_CODE})", re.ASCII)
    assert reply.search("said: 550-5.1.1 no").groups() == ("550", "5.1.1")
    assert reply.search("said: 550 5.1.1.20 no") is None
