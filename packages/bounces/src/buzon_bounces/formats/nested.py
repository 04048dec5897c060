"""Bounces inside another message: attached as `message/rfc822`, or forwarded as quoted text.

Two shapes reach a mailbox this way. A relay or a filtering gateway may wrap the bounce
it received in a notice of its own, with an empty or generic text and the real bounce as
the attached message. And a person may forward a bounce to a help desk, quoting it:

    Begin forwarded message:

    > From: Mail Delivery Subsystem <MAILER-DAEMON>
    > Subject: Returned mail: see transcript for details
    > ...

In both cases the inner bounce is read as a message of its own. This module is only
asked when the outer message has no delivery-status part and no vendor format claimed
it, and the inner message must itself look like a bounce (a report, or a mailer daemon's
message), so the returned original message of an ordinary bounce is never mistaken for
one.
"""

from __future__ import annotations

import re

from .. import mime
from ..mail import Mail

NAME = "nested"

_DAEMON_RE = re.compile(
    r"(?i)mailer-daemon|postmaster|mail delivery (?:subsystem|system|service)|mail-daemon"
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"(?i)undeliver|returned mail|delivery (?:status notification|failure|failed)|"
    r"failure notice|mail delivery failed|non[- ]?remis|unzustellbar|could not be delivered"
)
# Lines that open a forwarded message in the common mail clients (searched in the text
# with a newline put in front: every match starts with a newline, where a line starts).
_FORWARD_RE = re.compile(
    r"(?im)\n[ \t]*(?:begin forwarded message:|-{2,} ?forwarded message ?-{2,}|"
    r"-{2,} ?original message ?-{2,}|-{2,}\s*weitergeleitete nachricht\s*-{2,}|"
    r"-{2,} ?message transféré ?-{2,})[ \t]*$"
)
_QUOTE_RE = re.compile(r"^> ?")


def looks_like_bounce(part: mime.Part) -> bool:
    """A message that is itself a delivery report or comes from a mailer daemon."""
    if part.content_type == "multipart/report":
        return part.params.get("report-type", "").lower() in ("delivery-status", "")
    sender = mime.decode_words(part.header("from"))
    subject = mime.decode_words(part.header("subject"))
    return bool(_DAEMON_RE.search(sender) and _BOUNCE_SUBJECT_RE.search(subject))


def inner(mail: Mail) -> Mail | None:
    """The bounce inside `mail`, if there is one (see the module's docstring)."""
    if mail.delivery_status_texts:
        return None
    attached = mail.original_part
    if attached is not None and looks_like_bounce(attached):
        return Mail(attached)
    return _forwarded(mail)


def _forwarded(mail: Mail) -> Mail | None:
    body = mail.body
    match = _FORWARD_RE.search("\n" + body[:20000])
    if match is None:
        return None
    lines = body[match.end() - 1 :].lstrip("\n").split("\n", 3000)[:3000]
    quoted = sum(1 for line in lines[:40] if line.startswith(">"))
    if quoted >= 5:
        lines = [_QUOTE_RE.sub("", line, count=1) for line in lines]
    text = "\n".join(line.rstrip() for line in lines).lstrip("\n")
    if not mime.looks_like_header_block(text):
        return None
    part = mime.parse(text.encode("utf-8", "surrogateescape"))
    if not looks_like_bounce(part):
        return None
    return Mail(part)
