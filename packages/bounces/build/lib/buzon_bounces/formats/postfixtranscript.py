"""Postfix's "errors from" notices: the transcript of a session Postfix *received*.

When its SMTP server rejects a client with a 4xx/5xx reply, Postfix can send the
postmaster (notify_classes) a message like:

    Subject: Postfix SMTP server: errors from client.example.jp[192.0.2.1]

    Transcript of session follows.

     Out: 220 mx.example.com ESMTP
     In:  MAIL FROM:<sender@example.jp>
     Out: 250 2.1.0 Ok
     In:  RCPT TO:<kijitora@example.com>
     Out: 550 5.1.1 <kijitora@example.com>: Recipient address rejected: User unknown

`In:` lines are the client's commands, `Out:` lines Postfix's replies, and deeper-indented
lines continue the line above. The failure is the first 4xx/5xx reply; its command is the
last `In:` command before it. A refusal at RCPT concerns that RCPT's address; a later
one (at DATA or after) concerns every recipient accepted so far.
"""

from __future__ import annotations

import re

from .. import address, smtp
from ..mail import Mail
from . import transcript
from ._base import Fact, squash

NAME = "postfixtranscript"

_LINE_RE = re.compile(r"^\s{0,4}(?P<side>In|Out):\s*(?P<text>.*)$")
_RCPT_RE = re.compile(r"(?i)^RCPT\s+TO:\s*<?(?P<addr>[^\s<>]+)>?")


def detect(mail: Mail) -> bool:
    if mail.subject_lower.startswith("postfix smtp server: errors from"):
        return True
    head = mail.body.lstrip()[:400].lower()
    return head.startswith("transcript of session follows") and " out: " in mail.body[:4000]


def _session(text: str) -> list[tuple[str, str]]:
    """(side, text) pairs with continuation lines joined."""
    session: list[tuple[str, str]] = []
    for line in text.split("\n", 3000)[:3000]:
        found = _LINE_RE.match(line)
        if found:
            session.append((found.group("side"), found.group("text").strip()))
        elif session and line.startswith("     ") and line.strip():
            side, said = session[-1]
            session[-1] = (side, f"{said} {line.strip()}")
        elif session and not line.strip():
            continue
    return session


def extract(mail: Mail) -> list[Fact]:
    accepted: list[str] = []
    pending = ""
    command = ""
    for side, said in _session(mail.body):
        if side == "In":
            word = said.split(" ", 1)[0].split(":", 1)[0]
            command = transcript.command_name(word) or word.upper()
            rcpt = _RCPT_RE.match(said)
            pending = address.clean(rcpt.group("addr")) if rcpt else ""
            continue
        code = said[:3]
        if code.startswith("2") and pending:
            accepted.append(pending)
            pending = ""
            continue
        if not code.isdigit() or code[0] not in "45":
            continue
        recipients = [pending] if pending else accepted
        diagnostic = squash(said)
        return [
            Fact(
                recipient=recipient,
                reply_code=code,
                status=smtp.find_status(diagnostic),
                diagnostic=diagnostic,
                diagnostic_type="SMTP",
                command=command,
                format=NAME,
            )
            for recipient in dict.fromkeys(recipients)
        ]
    return []
