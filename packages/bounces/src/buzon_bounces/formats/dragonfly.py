"""DragonFly Mail Agent (dma), the small MTA of DragonFly BSD and others.

Its notice is plain text, one failed recipient per message:

    This is the DragonFly Mail Agent v0.13 at mx.example.jp.

    There was an error delivering your mail to <kijitora@example.com>.

    mx.example.com [192.0.2.25] did not like our RCPT TO:
    550 5.1.1 <kijitora@example.com>: Recipient address rejected: User unknown

    Message headers follow.

The text between the recipient line and "Message headers follow." is the diagnostic;
"did not like our COMMAND" names the SMTP command and the remote host. A DNS failure
reads "DNS lookup failure: host example.com not found".
"""

from __future__ import annotations

import re

from .. import address, smtp
from ..mail import Mail
from ._base import Fact, squash

NAME = "dragonfly"

_INTRO = "this is the dragonfly mail agent"
_RECIPIENT_RE = re.compile(
    r"(?i)there was an error delivering your mail to\s+<?(?P<addr>[^\s<>]+)>?"
)
_END_RE = re.compile(r"(?im)^\s*message headers follow\.?\s*$")
_REMOTE_RE = re.compile(
    r"(?i)(?P<host>[a-z0-9][a-z0-9.\-]{0,250})(?:\s+\[[^\]]{1,60}\])?\s+did not like our\s+"
    r"(?P<command>[a-z]+(?: (?:to|from))?)"
)


def detect(mail: Mail) -> bool:
    return _INTRO in mail.lowered_head(2000)


def extract(mail: Mail) -> list[Fact]:
    text = mail.body[:50000]
    found = _RECIPIENT_RE.search(text)
    if found is None:
        return []
    recipient = address.clean(found.group("addr").rstrip("."))
    if not recipient:
        return []
    rest = text[found.end() :]
    end = _END_RE.search(rest)
    diagnostic = squash(rest[: end.start()] if end else rest[:2000]).lstrip(". ")
    fact = Fact(recipient=recipient, diagnostic=diagnostic, format=NAME)
    remote = _REMOTE_RE.search(diagnostic)
    if remote is not None:
        fact.remote_mta = remote.group("host").lower().rstrip(".")
        fact.command = (
            smtp.find_command(remote.group("command"))
            or remote.group("command").split(" ")[0].upper()
        )
        # The remote server's reply is what follows "did not like our COMMAND:".
        fact.diagnostic = diagnostic[remote.end() :].lstrip(": ") or diagnostic
        fact.diagnostic_type = "SMTP"
    return [fact]
