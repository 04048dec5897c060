"""Zoho Mail (mailer-daemon@mail.zoho.com).

Failures are DSN-like text; delay warnings put each recipient in brackets:

    [Status: Error, Address: <kijitora@example.jp>, ResponseCode 421, , Host not reachable.]
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "zoho"

_BRACKET_RE = re.compile(
    r"\[Status: (?P<status>[^,\]]*), Address: <?(?P<addr>[^\s<>,]+@[^\s<>,]+)>?, "
    r"ResponseCode (?P<code>\d{3}), (?P<text>[^\]]*)\]"
)


def detect(mail: Mail) -> bool:
    return "zoho.com" in mail.sender and "mailer-daemon" in mail.sender


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    delayed = "(delay)" in mail.subject_lower or "this is a warning message only" in text.lower()
    facts = []
    for found in _BRACKET_RE.finditer(text[:50000]):
        value = address.clean(found.group("addr"))
        if not value:
            continue
        diagnostic = squash(found.group("text").strip(" ,"))
        facts.append(
            Fact(
                recipient=value,
                reply_code=found.group("code"),
                diagnostic=diagnostic,
                action="delayed" if delayed else "",
                reason="expired" if delayed else "",
                format=NAME,
            )
        )
    return facts
