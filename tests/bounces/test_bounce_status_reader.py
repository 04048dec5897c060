"""The bounce library's copy of the enhanced-status reader reads what smtpcodes reads."""

from __future__ import annotations

import pytest
from status_code_cases import CASES

from buzon_bounces import smtp


@pytest.mark.parametrize(("text", "codes"), CASES)
def test_every_code_in_text(text: str, codes: list[tuple[int, int, int]]) -> None:
    found = [tuple(int(g) for g in m.groups()) for m in smtp.STATUS_RE.finditer(text)]
    assert found == codes


@pytest.mark.parametrize(("text", "codes"), CASES)
def test_the_status_of_a_text(text: str, codes: list[tuple[int, int, int]]) -> None:
    """`find_status` gives one of the codes the reader finds (which one: the one after a
    reply code of its class, see test_bounce_classify_smtp), or none when there is none."""
    readable = {f"{c}.{s}.{d}" for c, s, d in codes if s <= 7}
    found = smtp.find_status(text)
    assert found in readable if readable else found == ""
