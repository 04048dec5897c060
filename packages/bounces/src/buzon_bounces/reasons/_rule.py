"""The shape of one reason's rule table."""

from __future__ import annotations

import re
from collections.abc import Sequence


class Rule:
    """Phrases (lower-case substrings) and patterns (regexes) that signal one reason.

    Plain phrases are tried first because a substring test is far cheaper than a regex.
    The answers for the last few texts are remembered: deciding one failure asks the
    same table about the same text several times.
    """

    __slots__ = ("_recent", "name", "patterns", "phrases")

    def __init__(
        self, name: str, phrases: Sequence[str] = (), patterns: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.phrases = tuple(phrases)
        self.patterns = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
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
        for phrase in self.phrases:
            if phrase in text:
                return True
        return self.patterns is not None and self.patterns.search(text) is not None


# How many texts each table remembers its answer for (a bounded memory: the tables are
# module-level and shared).
_RECENT = 16
