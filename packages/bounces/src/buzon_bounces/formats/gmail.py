"""Gmail and Google Workspace bounces (From: mailer-daemon@googlemail.com / google.com).

Newer notices carry a delivery-status part; older ones are text only:

    Technical details of permanent failure:
    Google tried to deliver your message, but it was rejected by the recipient domain.
    ... The error that the other server returned was:
    550 5.1.1 <kijitora@example.jp>... User unknown

The recipients are read as for any DSN or text bounce; Google's own sentences (its
summary lines and the remote server's quoted reply) are then read with Google's table,
since the remote host is often not named.
"""

from __future__ import annotations

from .. import providers
from ..mail import Mail
from . import generic, rfc3464
from ._base import Fact

NAME = "gmail"

_SENDERS = ("mailer-daemon@googlemail.com", "mailer-daemon@google.com")
_TEMPORARY = "technical details of temporary failure"


def detect(mail: Mail) -> bool:
    return any(sender in mail.sender for sender in _SENDERS)


def extract(mail: Mail) -> list[Fact]:
    facts = rfc3464.extract(mail) if rfc3464.detect(mail) else []
    if not facts:
        # A text notice's own words say whether it still retries ("Delivery to the
        # following recipient has been delayed ... THIS IS A WARNING MESSAGE ONLY"): the
        # generic reader reads them, as for any text bounce.
        facts = generic.extract(mail)
    delayed = _TEMPORARY in mail.lowered_notification_head(5000)
    for fact in facts:
        fact.format = NAME
        if delayed and not fact.action:
            fact.action = "delayed"
        if not fact.reason or fact.reason in ("userunknown", "filtered", "onhold"):
            fact.reason = providers.google.PROVIDER.reason(fact.diagnostic) or fact.reason
    return facts
