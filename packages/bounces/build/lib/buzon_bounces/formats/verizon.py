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
_REASONS = (
    (
        "userunknown",
        (
            "no valid recipients for this mm",
            "invalid recipient",
            "invalid user address",
            "no such user here",
        ),
    ),
)
_RCPT_RE = re.compile(r"(?im)^\s*RCPT TO:\s*(?P<addr>\S+)")


def detect(mail: Mail) -> bool:
    sender = mail.sender
    if "post_master@vtext.com" in sender and "Message details:" in mail.body[:5000]:
        return True  # the SMS gateway's James-style notice
    return ("vzwpix.com" in sender or "vtext.com" in sender) and "undeliverable" in (
        mail.subject_lower
    )


def extract(mail: Mail) -> list[Fact]:
    text = mail.body
    marker = text.find("Original Message:")
    if marker < 0:
        return _from_message_details(text)
    diagnostic = squash(text[:marker])
    found = _TO_RE.search(text[marker : marker + 3000])
    recipients = address.find_all(found.group("value")) if found else []
    lowered = diagnostic.lower()
    reason = next((r for r, ws in _REASONS if any(w in lowered for w in ws)), "")
    return [
        Fact(recipient=r, diagnostic=diagnostic, reason=reason, format=NAME) for r in recipients
    ]


def _from_message_details(text: str) -> list[Fact]:
    """The gateway's other notice: "Error: ..." lines, then "Message details:" quoting
    the envelope ("RCPT TO: a@b")."""
    details = text.find("Message details:")
    start = text.find("Error:")
    if details < 0 or not 0 <= start < details:
        return []
    diagnostic = squash(text[start:details])
    lowered = diagnostic.lower()
    reason = next((r for r, ws in _REASONS if any(w in lowered for w in ws)), "")
    found = _RCPT_RE.search(text[details : details + 3000])
    recipients = address.find_all(found.group("addr")) if found else []
    return [
        Fact(recipient=r, diagnostic=diagnostic, reason=reason, format=NAME) for r in recipients
    ]
