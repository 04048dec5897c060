"""IBM/Lotus Domino delivery failure reports.

    Your message

      Subject: Nyaan

    was not delivered to:

      kijitora@example.com

    because:

      User kijitora (kijitora@example.com) not listed in Domino Directory

The human-readable text is what Domino decided; its delivery-status part, when there is
one, may name the address after rewriting, so the text wins.
"""

from __future__ import annotations

import re

from .. import address, smtp
from ..mail import Mail
from ._base import Fact, facts_from_dsn, squash

NAME = "domino"

_SUBJECT_RE = re.compile(r"(?i)^delivery (?:failure|report):")
_REASONS = (
    ("userunknown", ("not listed in domino directory", "not listed in public name & address book")),
    ("filtered", ("domino directory entry does not specify a valid notes mail file",)),
    ("networkerror", ("maximum hop count exceeded", "message probably in a routing loop")),
    ("systemerror", ("unable to deliver message",)),
)


def detect(mail: Mail) -> bool:
    return bool(_SUBJECT_RE.match(mail.subject)) and "was not delivered to:" in mail.body[:5000]


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    start = text.find("was not delivered to:")
    if start < 0:
        return []
    rest = text[start + len("was not delivered to:") :]
    head, _, because = rest.partition("because:")
    recipients = [address.clean(line.strip()) for line in head.split("\n")[:50]]
    recipients = [r for r in recipients if r]
    diagnostic = squash(because.split("\n\n\n")[0])[:1000]
    from_dsn = {f.recipient.lower(): f for f in facts_from_dsn(mail)}
    lowered = " ".join(diagnostic.lower().split())
    reason = next((r for r, words in _REASONS if any(w in lowered for w in words)), "")
    facts = []
    for recipient in recipients:
        known = from_dsn.get(recipient.lower()) or next(iter(from_dsn.values()), None)
        status = known.status if known else smtp.find_status(diagnostic)
        facts.append(
            Fact(
                recipient=recipient,
                status=status,
                diagnostic=diagnostic,
                diagnostic_type=known.diagnostic_type if known else "",
                reason=reason,
                format=NAME,
            )
        )
    return facts if recipients else []
