"""qmail (and netqmail, s/qmail, notqmail) bounces.

    Hi. This is the qmail-send program at mx.example.jp.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    This is a permanent error; I've given up. Sorry it didn't work out.

    <kijitora@example.jp>:
    192.0.2.153 does not like recipient.
    Remote host said: 550 5.1.1 <kijitora@example.jp>... User Unknown
    Giving up on 192.0.2.153.

    --- Below this line is a copy of the message.

Each "<address>:" line opens a recipient's block. qmail's own sentences say at which
SMTP step the remote host refused, or why qmail itself gave up.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "qmail"

_RECIPIENT_RE = re.compile(r"^<(?P<addr>[^<>\s]+@[^<>\s]+)>:\s*(?P<rest>.*)$")
_END_RE = re.compile(r"^--- |^-{3,}\s*(?:below this line|original message)", re.I)
# qmail-remote's sentences for the SMTP step that failed.
_COMMANDS = (
    ("EHLO", ("but my name was rejected",)),
    ("MAIL", ("but sender was rejected", "didn't like sender")),
    ("RCPT", ("does not like recipient",)),
    ("DATA", ("failed on data command", "failed after i sent the message")),
    ("CONN", ("but greeting failed", "unable to establish an smtp connection")),
)
# Sentences qmail writes about failures it found itself.
_OWN_WORDS = (
    ("blocked", ("but my name was rejected",)),
    ("networkerror", ("wasn't able to establish an smtp connection",)),
    ("systemerror", ("unable to contact ldap server", "this message is looping")),
    (
        "hostunknown",
        ("couldn't find any host named", "sorry, i couldn't find any host by that name"),
    ),
    ("userunknown", ("no mailbox here by that name",)),
    ("mailboxfull", ("disk quota exceeded",)),
    ("mesgtoobig", ("message is too big",)),
)
_GAVE_UP = ("i'm not going to try again; this message has been in the queue too long",)


def detect(mail: Mail) -> bool:
    head = mail.lowered_head(3000)
    return "qmail-send" in head  # ("this is the qmail-send program" holds it)


def extract(mail: Mail) -> list[Fact]:
    blocks: list[tuple[str, list[str]]] = []
    for line in mail.notification.split("\n", 3000)[:3000]:
        if _END_RE.match(line):
            break
        found = _RECIPIENT_RE.match(line.strip())
        value = address.clean(found.group("addr")) if found else ""
        if found is not None and value:
            blocks.append((value, [found.group("rest")] if found.group("rest") else []))
        elif blocks and line.strip():
            blocks[-1][1].append(line.strip())
    facts = []
    for value, lines in blocks:
        diagnostic = squash("\n".join(lines))
        lowered = diagnostic.lower()
        command = next((c for c, ws in _COMMANDS if any(w in lowered for w in ws)), "")
        reason = next((r for r, ws in _OWN_WORDS if any(w in lowered for w in ws)), "")
        if not reason and "remote host said" not in lowered and any(w in lowered for w in _GAVE_UP):
            reason = "expired"
        facts.append(
            Fact(
                recipient=value, diagnostic=diagnostic, command=command, reason=reason, format=NAME
            )
        )
    return facts
