"""Trustwave/Marshal MailMarshal SMTP.

Your message:
   From:    sironeko@example.com
   Subject: Nyaan
Could not be delivered because of
550 5.1.1 User unknown
The following recipients were affected:
    kijitora@example.com
Additional Information
======================
"""

from __future__ import annotations

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "mailmarshal"

_CAUSE = "could not be delivered because of"
_AFFECTED = "the following recipients were affected:"


def detect(mail: Mail) -> bool:
    head = mail.lowered_head(5000)
    return _CAUSE in head and _AFFECTED in head


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    lowered = text.lower()
    cause = lowered.find(_CAUSE)
    affected = lowered.find(_AFFECTED)
    if cause < 0 or affected < cause:
        return []
    diagnostic = squash(text[cause + len(_CAUSE) : affected])
    facts: list[Fact] = []
    for line in text[affected + len(_AFFECTED) :].split("\n", 200)[1:200]:
        if not line.strip():
            if facts:
                break
            continue
        value = address.clean(line.strip())
        if not value:
            break
        facts.append(Fact(recipient=value, diagnostic=diagnostic, format=NAME))
    return facts
