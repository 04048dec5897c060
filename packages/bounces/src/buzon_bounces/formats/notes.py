"""Lotus Notes / Domino SMTP MTA (Lotus SMTP MTA) text notices.

    ------- Failure Reasons  --------
    User not listed in public Name & Address Book
    kijitora@example.com
    ------- Returned Message --------

The reason comes first, the failed address after it.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "notes"

# Matched against the text with a newline in front (quick to find: see mail.py).
_START_RE = re.compile(r"(?im)\n-{3,}\s*failure reasons\s*-{3,}\s*$")
_END_RE = re.compile(r"(?m)^-{3,}\s*\S")
_REASONS = (
    ("userunknown", ("not listed in public name & address book", "no such user")),
    ("networkerror", ("unable to deliver message to",)),
)


def detect(mail: Mail) -> bool:
    return _START_RE.search("\n" + mail.body[:20000]) is not None


def extract(mail: Mail) -> list[Fact]:
    text = mail.body
    start = _START_RE.search("\n" + text)
    if start is None:
        return []
    rest = text[start.end() - 1 :]
    end = _END_RE.search(rest)
    block = rest[: end.start()] if end else rest[:4000]
    words: list[str] = []
    facts: list[Fact] = []
    for line in block.split("\n"):
        value = address.clean(line.strip())
        if value:
            diagnostic = squash(" ".join(words))
            lowered = " ".join(diagnostic.lower().split())
            reason = next((r for r, ws in _REASONS if any(w in lowered for w in ws)), "")
            facts.append(Fact(recipient=value, diagnostic=diagnostic, reason=reason, format=NAME))
            words = []
        elif line.strip():
            words.append(line.strip())
    return facts
