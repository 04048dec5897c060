"""OpenSMTPD's bounces and delay notices.

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

kijitora@example.jp: 550 5.2.2 <kijitora@example.jp>... Mailbox Full

    Below is a copy of the original message:

A delay notice reads "A message is delayed for more than 4 hours for the following list
of recipients:" instead, and says the message stays queued. Each "address: text" line
is what the remote server (or OpenSMTPD itself) said about that recipient. Newer
versions add a delivery-status part whose Status is generic (5.0.0, 4.0.0, or 4.4.7 for
an expired envelope); its Action and Status are kept, the notification line gives the
diagnostic. OpenSMTPD's own failure strings ("Envelope expired", "No MX found for
domain", ...) name their reason.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, facts_from_dsn, squash

NAME = "opensmtpd"

_INTRO = "this is the mailer-daemon, please do not reply to this e"
_LINE_RE = re.compile(r"^(?P<addr>[^\s:<>]{1,254}@[^\s:<>]{1,254}):\s+(?P<text>\S.*)$")
_END_RE = re.compile(r"(?im)^\s*below is a copy of the original message")
# OpenSMTPD's own failure strings (smtpd/mta.c, smtpd/queue.c) and what they mean.
_OWN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("expired", ("envelope expired",)),
    ("hostunknown", ("invalid domain name", "domain does not exist")),
    ("notaccept", ("no mx found for", "destination seem to reject all mails")),
    ("securityerror", ("could not retrieve credentials",)),
    (
        "networkerror",
        (
            "temporary failure in mx lookup",
            "network error on destination mxs",
            "no valid route to",
            "all routes to destination blocked",
            "address family mismatch on destination mxs",
            "bad dns lookup error code",
            "could not retrieve source address",
            "loop detected",
        ),
    ),
)


def detect(mail: Mail) -> bool:
    if _INTRO in mail.lowered_head(3000):
        return True
    return "(OpenSMTPD)" in mail.header("received") and "mailer" in mail.sender


def _own_reason(text: str) -> str:
    lowered = text.lower()
    for reason, phrases in _OWN_WORDS:
        if any(phrase in lowered for phrase in phrases):
            return reason
    return ""


def extract(mail: Mail) -> list[Fact]:
    text = mail.body[:100_000]
    end = _END_RE.search(text)
    if end is not None:
        text = text[: end.start()]
    delayed = "is delayed for more than" in text.lower()
    from_dsn = {fact.recipient.lower(): fact for fact in facts_from_dsn(mail)}
    facts: list[Fact] = []
    for line in text.split("\n", 2000)[:2000]:
        found = _LINE_RE.match(line.strip())
        recipient = address.clean(found.group("addr")) if found else ""
        if found is None or not recipient:
            continue
        diagnostic = squash(found.group("text"))
        known = from_dsn.get(recipient.lower())
        facts.append(
            Fact(
                recipient=recipient,
                action=known.action if known else ("delayed" if delayed else "failed"),
                status=known.status if known else "",
                diagnostic=diagnostic,
                reporting_mta=known.reporting_mta if known else "",
                reason=_own_reason(diagnostic),
                format=NAME,
            )
        )
    return facts
