"""The shape of one reason's rule table."""

from __future__ import annotations

import re
from collections.abc import Sequence


class Rule:
    """Phrases (lower-case substrings) and patterns (regexes) that signal one reason.

    Plain phrases are tried first because a substring test is far cheaper than a regex.
    They are grouped under anchors, words each phrase of the group contains: a text
    without the anchor cannot contain any phrase of its group, which is then skipped
    (most texts hold none of a table's few anchors). Likewise each pattern is searched
    only in a text that holds its guard, the longest plain run of text every match of
    it contains. The answers for the last few texts are remembered: deciding one
    failure asks the same table about the same text several times.
    """

    __slots__ = ("_anchored", "_guarded", "_recent", "name", "patterns", "phrases")

    def __init__(
        self, name: str, phrases: Sequence[str] = (), patterns: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.phrases = tuple(phrases)
        self._anchored = _anchor(self.phrases)
        self.patterns = tuple(patterns)
        self._guarded = tuple((_guard(p), re.compile(p)) for p in patterns)
        self._recent: dict[str, bool] = {}

    def matches(self, text: str) -> bool:
        """`text` must already be lower-cased."""
        if not text:
            return False
        found = self._recent.get(text)
        if found is None:
            found = self._search(text)
            if len(self._recent) >= _RECENT:
                self._recent.clear()
            self._recent[text] = found
        return found

    def _search(self, text: str) -> bool:
        for anchor, phrases in self._anchored:
            if anchor in text:
                if not phrases:
                    return True  # the anchor is a phrase of its own
                for phrase in phrases:
                    if phrase in text:
                        return True
        for guard, pattern in self._guarded:
            if guard in text and pattern.search(text) is not None:
                return True
        return False


def _anchor(phrases: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(anchor, the phrases that contain it) pairs covering every phrase, few anchors.

    An anchor is a word of at least 4 characters of its phrases (or a whole phrase that
    has none): the word found in most phrases not yet covered is taken first. The
    phrases of an anchor that is itself a phrase are dropped (the anchor matching is
    enough).
    """
    uncovered = list(dict.fromkeys(phrases))
    groups: list[tuple[str, tuple[str, ...]]] = []
    while uncovered:
        counts: dict[str, int] = {}
        for phrase in uncovered:
            for word in set(phrase.split()):
                if len(word) >= 4:
                    counts[word] = counts.get(word, 0) + sum(
                        1 for other in uncovered if word in other
                    )
        if counts:
            anchor = max(counts, key=lambda word: (counts[word], len(word), word))
        else:
            anchor = uncovered[0]
        covered = tuple(phrase for phrase in uncovered if anchor in phrase)
        uncovered = [phrase for phrase in uncovered if anchor not in phrase]
        groups.append((anchor, () if anchor in covered else covered))
    return tuple(groups)


_QUANTIFIERS = frozenset("?*+{")
# Escaped characters that stand for themselves.
_ESCAPED_LITERALS = frozenset(".-()[]{}|\\/?*+^$<>:=@'\" ")


def _guard(pattern: str) -> str:
    """The longest run of plain characters that every match of `pattern` contains: one
    outside any group, class or alternation, and not under a quantifier ("" when there
    is none, or the pattern has flags or alternatives at its top level)."""
    if pattern.startswith("(?") and pattern[2:3].isalpha():
        return ""  # inline flags (e.g. case-insensitive): literal text may differ
    runs: list[str] = []
    run = ""
    depth = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        literal = ""
        step = 1
        if char == "\\":
            escaped = pattern[index + 1 : index + 2]
            step = 2
            if depth == 0 and escaped in _ESCAPED_LITERALS:
                literal = escaped
        elif char == "[":
            step = _class_end(pattern, index) - index
        elif char == "{":
            end = pattern.find("}", index)  # a repeat count: {m,n}
            step = (end if end >= 0 else len(pattern)) - index + 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return ""
        elif depth == 0 and char not in ".^$" and char not in _QUANTIFIERS:
            literal = char
        index += step
        if literal and pattern[index : index + 1] not in _QUANTIFIERS:
            run += literal
        else:
            runs.append(run)
            run = ""
    runs.append(run)
    return max(runs, key=len)


def _class_end(pattern: str, start: int) -> int:
    """Where the character class opening at `start` ends (after its "]"): a "]" first
    in the class, or escaped, is a member."""
    index = start + 1
    if pattern[index : index + 1] == "^":
        index += 1
    if pattern[index : index + 1] == "]":
        index += 1
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
            continue
        if pattern[index] == "]":
            return index + 1
        index += 1
    return len(pattern)


# How many texts each table remembers its answer for (a bounded memory: the tables are
# module-level and shared).
_RECENT = 16
