"""Accuracy on the developer corpus against the issue's acceptance floors.

Each floor is its own test so a failure names the figure. The seven figures are printed
in the pytest summary (see `conftest.py`) whether the tests pass or not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from buzon.bounces.evaluate import Score, load_labels, score

CORPUS = Path(__file__).parent / "corpus" / "sisimai"

# The issue's acceptance floors (percentages).
ISSUE_FLOORS = {
    "recipients_exact": 97.0,
    "reason": 95.0,
    "status_class": 98.0,
    "reply_code": 95.0,
    "hard_soft": 95.0,
}


@cache
def corpus_score() -> Score:
    return score(CORPUS, load_labels(CORPUS / "labels.jsonl"), CORPUS / "not-bounces")


def test_corpus_is_complete() -> None:
    assert corpus_score().files == 425


def test_no_false_positives_on_not_bounces() -> None:
    result = corpus_score()
    assert result.not_bounces == 3
    assert result.false_positives == 0, "a message in not-bounces/ was taken for a bounce"


@pytest.mark.parametrize("name", list(ISSUE_FLOORS))
def test_issue_floor(name: str) -> None:
    figure = corpus_score().figures()[name]
    floor = ISSUE_FLOORS[name]
    assert figure >= floor, f"{name} is {figure:.2f}% (issue floor {floor}%)"
