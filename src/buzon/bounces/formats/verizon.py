"""Verizon Wireless MMS/SMS gateways (vtext.com, vzwpix.com).

Message could not be delivered to mobile.
Error: No valid recipients for this MM

Original Message:
From: azumakuniyuki <kijitora@example.jp>
To: 0000000000@vzwpix.com
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "verizon"

_TO_RE = re.compile(r"(?im)^\s*To:\s*(?P<value>.+)$")
_REASONS = (("userunknown", ("no valid recipients for this mm", "invalid recipient")),)


def detect(mail: Mail) -> bool:
    sender = mail.sender
    return ("vzwpix.com" in sender or "vtext.com" in sender) and "undeliverable" in (
        mail.subject_lower
    )


def extract(mail: Mail) -> list[Fact]:
    text = mail.body
    marker = text.find("Original Message:")
    if marker < 0:
        return []
    diagnostic = squash(text[:marker])
    found = _TO_RE.search(text[marker : marker + 3000])
    recipients = address.find_all(found.group("value")) if found else []
    lowered = diagnostic.lower()
    reason = next((r for r, ws in _REASONS if any(w in lowered for w in ws)), "")
    return [
        Fact(recipient=r, diagnostic=diagnostic, reason=reason, format=NAME) for r in recipients
    ]
