"""Microsoft Exchange 2000/2003 (and the Internet Mail Service of Exchange 5.5).

    Your message
      To:      kijitora@example.net
      Subject: Nyaan
    did not reach the following recipient(s):

    kijitora@example.jp on Thu, 29 Apr 2010 00:00:00 -0000
        The recipient name is not recognized
        MSEXCH:IMS:EXAMPLE:SITE:SERVER 0 (000C05A6) Unknown Recipient

Each failed recipient is a line "address on DATE"; the indented lines below it are its
diagnostic, ending with an MSEXCH code whose hexadecimal number names the cause.
"""

from __future__ import annotations

import re

from .. import address
from ..mail import Mail
from ._base import Fact, squash

NAME = "exchange2003"

_INTRO = "did not reach the following recipient(s):"
_RECIPIENT_RE = re.compile(
    r"^\s*(?:\S*?(?:smtp|SMTP)=)?(?P<addr>[^\s@]{1,254}@[^\s]{1,254}) on\s.*$"
)
_CODE_RE = re.compile(r"MSEXCH:[^(\n]{0,200}\((?P<code>[0-9A-Fa-f]{8})\)")
# Exchange's own error numbers (MSEXCH:IMS) and the reasons they stand for.
_CODES = {
    "000C05A6": "userunknown",  # Unknown Recipient
    "000C0595": "filtered",  # Ambiguous Recipient
    "00010256": "systemerror",  # Too many recipients
    "000D06B5": "systemerror",  # No proxy for recipient
    "00120270": "networkerror",  # Too many hops
    "00050311": "contenterror",  # Conversion to Internet format failed
    "000502CC": "contenterror",
    "000B0981": "securityerror",  # Server does not support AUTH
    "000B099C": "onhold",  # remote errors of several kinds
    "000B09AA": "onhold",
    "000B09B6": "onhold",
}


def detect(mail: Mail) -> bool:
    mailer = mail.header("x-mailer")
    if mailer.startswith(("Internet Mail Service", "Microsoft Exchange Server Internet Mail")):
        return True
    if mail.header("x-ms-embedded-report"):
        return True
    if mail.header("x-mimeole").startswith("Produced By Microsoft Exchange"):
        return True
    return _INTRO in mail.body[:5000]


def extract(mail: Mail) -> list[Fact]:
    text = mail.notification
    start = text.find(_INTRO)
    if start < 0:
        return []
    blocks: list[tuple[str, list[str]]] = []
    for line in text[start + len(_INTRO) :].split("\n", 500)[:500]:
        found = _RECIPIENT_RE.match(line)
        value = address.clean(found.group("addr")) if found else ""
        if value:
            blocks.append((value, []))
        elif blocks and line.strip():
            blocks[-1][1].append(line.strip())
    facts = []
    for value, lines in blocks:
        diagnostic = squash("\n".join(lines))
        code = _CODE_RE.search(diagnostic)
        reason = _CODES.get(code.group("code").upper(), "") if code else ""
        facts.append(Fact(recipient=value, diagnostic=diagnostic, reason=reason, format=NAME))
    return facts
