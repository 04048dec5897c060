"""The shape of one reason's rule table."""

from __future__ import annotations

import re
from collections.abc import Sequence


class Rule:
    """Phrases (lower-case substrings) and patterns (regexes) that signal one reason.

    Plain phrases are tried first because a substring test is far cheaper than a regex.
    """

    __slots__ = ("name", "patterns", "phrases")

    def __init__(
        self, name: str, phrases: Sequence[str] = (), patterns: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.phrases = tuple(phrases)
        self.patterns = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def matches(self, text: str) -> bool:
        """`text` must already be lower-cased."""
        if not text:
            return False
        for phrase in self.phrases:
            if phrase in text:
                return True
        return self.patterns is not None and self.patterns.search(text) is not None
