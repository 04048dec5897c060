"""Accuracy on the developer corpus against the issue's acceptance floors.

The expectations are the corpus labels with the departures applied: where a label
contradicts what the message plainly says, `corpus/sisimai/departures.jsonl` records
the label, our reading and why, and our reading is expected (the figures against the
labels as given are printed too). Each floor is its own test so a failure names the
figure. The figures are printed in the pytest summary (see `conftest.py`) whether the
tests pass or not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from buzon_bounces.evaluate import (
    Score,
    apply_departures,
    load_departures,
    load_labels,
    score,
)

CORPUS = Path(__file__).parent / "corpus" / "sisimai"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "bounces.md"

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
    """Against the labels with the departures applied: the floors' figures."""
    labels = apply_departures(load_labels(CORPUS / "labels.jsonl"), departures())
    return score(CORPUS, labels, CORPUS / "not-bounces")


@cache
def label_score() -> Score:
    """Against the labels as given (printed only)."""
    return score(CORPUS, load_labels(CORPUS / "labels.jsonl"), CORPUS / "not-bounces")


@cache
def departures() -> list[dict]:
    return load_departures(CORPUS / "departures.jsonl")


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


def test_each_departure_is_explained() -> None:
    for departure in departures():
        assert departure["ours"] and departure["why"].strip(), departure["file"]
        assert set(departure["ours"]) == set(departure["label"]), departure["file"]


def test_the_documentation_lists_every_departure() -> None:
    """docs/bounces.md's "Labels we do not follow" table has one row per departure."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("#### Labels we do not follow", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = sorted(line.split("`")[1] for line in rows)
    expected = sorted(Path(d["file"]).stem for d in departures())
    assert documented == expected
