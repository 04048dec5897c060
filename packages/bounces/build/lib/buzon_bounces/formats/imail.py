"""Ipswitch IMail Server (X-Mailer: <SMTP32 vNNN>).

The notice is one or two sentences that name the recipient after a colon or "to":

    Unknown user: kijitora@example.com
    Delivery failed 20 attempts: kijitora@example.com
    undeliverable to kijitora@example.jp
    Body of message generated response:
    550 REJECTED - Blacklisted URL in message

"Original message follows." starts the returned copy.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "imail"

_LEADS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)^\s*unknown user:\s*(?P<addr>\S+@\S+)"), "userunknown"),
    (re.compile(r"(?i)^\s*user mailbox exceeds allowed size:\s*(?P<addr>\S+@\S+)"), "mailboxfull"),
    (re.compile(r"(?i)^\s*delivery failed \d+ attempts:\s*(?P<addr>\S+@\S+)"), "expired"),
    (re.compile(r"(?i)^\s*requested action not taken:.*?(?P<addr>\S+@\S+)"), "mesgtoobig"),
    (re.compile(r"(?i)^\s*undeliverable to\s+(?P<addr>\S+@\S+)"), ""),
    (re.compile(r"(?i)^\s*(?:unknown|user) .{0,40}?(?P<addr>\S+@\S+)"), ""),
)


def detect(mail: Mail) -> bool:
    if mail.header("x-mailer").startswith("<SMTP32 v"):
        return True
    return mail.subject_lower.startswith("undeliverable mail") and "postmaster" in mail.sender


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    facts: list[Fact] = []
    lines = text.split("\n", 300)[:300]
    for index, line in enumerate(lines):
        for pattern, reason in _LEADS:
            found = pattern.match(line)
            value = address.clean(found.group("addr")) if found else ""
            if not value or value.lower() in {f.recipient.lower() for f in facts}:
                continue
            rest = squash("\n".join(lines[index + 1 : index + 12]))
            diagnostic = line.strip() if reason else squash(f"{line} {rest}")
            facts.append(Fact(recipient=value, diagnostic=diagnostic, reason=reason, format=NAME))
            break
    return facts
