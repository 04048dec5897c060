"""Trend Micro InterScan Messaging Security Suite (IMSS) notices.

    ****** Message from InterScan Messaging Security Suite ******
    Unable to deliver message to <a@b.example> (and other recipients in the same
    domain). Please check if address is correct.

IMSS words a recipient address its next hop refused this way (other failures come as a
session excerpt, "Sent <<< RCPT TO:<a@b>" / "Received >>> 550 5.1.1 ...", which the
generic reader handles): the address is taken to be unknown. Recognised by the
"InterScan" in the sender's name, the MIME boundary or the notice's banner.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "interscan"

_UNABLE_RE = re.compile(
    r"(?i)unable to deliver (?:the )?message to <(?P<addr>[^<>\s]{1,254}@[^<>\s]{1,254})>"
    r"(?P<rest>[^\n]{0,300}(?:\n[^\n]{1,300}){0,2})"
)


def detect(mail: Mail) -> bool:
    if "interscan" in mail.header("from").lower():
        return True
    if "interscan" in mail.header("content-type").lower():
        return True
    return "interscan messaging security" in mail.lowered_notification_head(3000)


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification[:20_000]
    facts: list[Fact] = []
    seen: set[str] = set()
    for found in _UNABLE_RE.finditer(text):
        value = address.clean(found.group("addr"))
        if not value or value.lower() in seen:
            continue
        seen.add(value.lower())
        start = text.rfind("\n", 0, found.start()) + 1
        # The sentence and what follows it up to the paragraph's end.
        paragraph = text[start : found.end()].split("\n\n")[0]
        diagnostic = squash(paragraph).strip(" *")
        facts.append(
            Fact(recipient=value, diagnostic=diagnostic, reason="userunknown", format=NAME)
        )
    return facts
