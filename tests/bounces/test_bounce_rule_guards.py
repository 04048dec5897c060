"""A reason table searches a pattern only in text that holds the pattern's guard: the
guard must be text that every match contains, or a reason would be missed."""

from __future__ import annotations

from pathlib import Path

import pytest

from buzon_bounces.reasons import RULES
from buzon_bounces.reasons._rule import _guard

CORPUS = Path(__file__).parent / "corpus" / "sisimai" / "eml"


@pytest.mark.parametrize(
    ("pattern", "guard"),
    [
        (r"user [^ ]{1,200} unknown", " unknown"),
        (r"over (?:the )?(?:allowed )?quota", "over "),
        (r"5\.7\.2[0-46]\b", "5.7.2"),
        (r"ab*c", "a"),  # a repeated character is not part of any guard
        (r"h(?<!\wh)ost not found(?!, try again)", "ost not found"),
        (r"mail from \d+\.\d+ refused", "mail from "),  # the longest run
        (r"[^]a]bc", "bc"),  # a "]" first in a class is a member
        (r"[\]x]yz", "yz"),  # so is an escaped one
        (r"user \[?[^ \]]{1,200}\]? unknown", " unknown"),
        (r"abc|xyz", ""),  # alternatives at the top level: no guard
        (r"(?i)abc", ""),  # case-insensitive: the text may spell it otherwise
    ],
)
def test_guard_is_plain_text_every_match_holds(pattern: str, guard: str) -> None:
    assert _guard(pattern) == guard


def test_every_match_in_the_corpus_holds_its_guard() -> None:
    lines = {
        line
        for path in sorted(CORPUS.glob("*.eml"))
        for line in path.read_bytes().decode("latin-1").lower().split("\n")
    }
    checked = 0
    for rule in RULES.values():
        for guard, pattern in rule._guarded:
            for line in lines:
                if pattern.search(line):
                    checked += 1
                    assert guard in line, (rule.name, pattern.pattern, line)
    assert checked > 50  # the corpus exercises the patterns


def test_no_pattern_looks_for_a_literal_backslash() -> None:
    # Bounce text holds no backslashes; a doubled one in a raw string is a pattern
    # escaped twice by mistake, which can never match.
    doubled = [p for rule in RULES.values() for p in rule.patterns if "\\\\" in p]
    assert doubled == []
